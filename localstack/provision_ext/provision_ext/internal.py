"""Internal HTTP endpoints for tests: POST /_provision/reset (one account or all), GET/POST
/_provision/config, GET /_provision/patches, POST /_provision/ce/cost-allocation-tags, POST /_provision/rds/maintenance, GET /_provision/apigateway/forwarded and the
Elastic Beanstalk ones (platforms released, branch lifecycles, health blips)."""

import logging
import re
import time

from localstack.http import Request, Response, route
from localstack.services.plugins import SERVICE_PLUGINS
from localstack.services.stores import AccountRegionBundle
from localstack.state import StateVisitor
from moto.core.base_backend import BackendDict, backend_lock

from . import ec2, rds_latency
from .config import SETTINGS

LOG = logging.getLogger(__name__)

class _Clear(StateVisitor):
    """Empties LocalStack stores; moto backends are all cleared separately, asset folders left alone."""

    def visit(self, state_container):
        if isinstance(state_container, AccountRegionBundle):
            state_container.reset()


class _ForgetAccount(StateVisitor):
    """Drops one account's LocalStack stores; moto backends are handled separately."""

    def __init__(self, account_id: str):
        self.account_id = account_id

    def visit(self, state_container):
        if isinstance(state_container, AccountRegionBundle):
            with state_container.lock:
                state_container.pop(self.account_id, None)


def _services() -> list:
    """Every service this server has started, not a fixed list: a service added to
    localstack/lib.sh (or started lazily by a call) is emptied too."""
    return [s for name in sorted(SERVICE_PLUGINS.list_loaded_services()) if (s := SERVICE_PLUGINS.get_service(name))]


def reset_all() -> list[str]:
    services = _services()
    for service in services:
        service.lifecycle_hook.on_before_state_reset()
        service.accept_state_visitor(_Clear())
        if storage := getattr(service._provider, "_storage_backend", None):
            storage.reset()  # S3 keeps object bodies outside its stores
        service.lifecycle_hook.on_after_state_reset()
    # Every moto backend, including those used indirectly (RDS keeps its managed master
    # passwords in moto's Secrets Manager and KMS); accounts are recreated on next use.
    with backend_lock:
        for backends in {id(b): b for b in BackendDict._instances}.values():
            backends.clear()
    ec2.reset()
    rds_latency.reset()
    return [s.name() for s in services]


def reset_account(account_id: str) -> list[str]:
    """Empties one account and leaves every other as it was, so a test can clean up after itself on
    an emulator it shares with a running demo or another test run."""
    services = _services()
    for service in services:
        if service.name() == "s3":
            _forget_buckets(service, account_id)
        service.accept_state_visitor(_ForgetAccount(account_id))
    with backend_lock:
        for backends in {id(b): b for b in BackendDict._instances}.values():
            backends.pop(account_id, None)
    ec2.reset(account_id)
    rds_latency.reset(account_id)
    return [s.name() for s in services]


def _forget_buckets(service, account_id: str):
    """Bucket names are global (held in a cross-account map) and object bodies live in the
    provider's storage: both are released along with the account's stores."""
    from localstack.services.s3.models import s3_stores

    storage = getattr(service._provider, "_storage_backend", None)
    with s3_stores.lock:
        regions = dict.get(s3_stores, account_id) or {}
        for store in list(regions.values())[:1]:  # buckets are shared by the account's regions
            for name in list(store.buckets):
                if store.global_bucket_map.get(name) == account_id:
                    store.global_bucket_map.pop(name, None)
                if storage is not None:
                    storage.delete_bucket(name)


class InternalEndpoints:
    @route("/_provision/reset", methods=["POST"])
    def reset(self, request: Request):
        """Empties one account (JSON body {"account_id": "..."}) or, with no body, every account."""
        body = request.get_json(force=True, silent=True) or {}
        account = body.get("account_id") if isinstance(body, dict) else None
        if account is not None and not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
            return Response.for_json({"error": f"account_id must be 12 digits, got {account!r}"}, status=400)
        started = time.perf_counter()
        services = reset_account(account) if account else reset_all()
        seconds = round(time.perf_counter() - started, 3)
        LOG.info("provision: emulator state reset (%s) in %s s", account or "every account", seconds)
        return {"reset": services, "account_id": account, "seconds": seconds}

    @route("/_provision/rds/maintenance", methods=["POST"])
    def rds_maintenance(self, request: Request):
        """Runs the RDS maintenance window now for one account and region (JSON body: account_id,
        region): instances with AutoMinorVersionUpgrade move to their major's newest minor."""
        from .rds import maintenance_window

        body = request.get_json(force=True, silent=True) or {}
        account = body.get("account_id") or "000000000000"
        region = body.get("region") or "us-east-1"
        return {"upgraded": maintenance_window(account, region)}

    @route("/_provision/elasticbeanstalk/platforms", methods=["POST"])
    def eb_release_platform(self, request: Request):
        """Releases a new platform version for one account and region (JSON body: account_id,
        region, solution_stack): it is listed and launchable there from now on."""
        from . import eb_catalog
        from .elasticbeanstalk import release_platform

        body = request.get_json(force=True, silent=True) or {}
        stack = body.get("solution_stack") or ""
        if not eb_catalog.is_solution_stack(stack):
            return Response.for_json({"error": f"not a solution stack name: {stack!r}"}, status=400)
        account = body.get("account_id") or "000000000000"
        region = body.get("region") or "us-east-1"
        return {"solution_stacks": release_platform(account, region, stack)}

    @route("/_provision/apigateway/forwarded", methods=["GET"])
    def apigateway_forwarded(self, request: Request):
        """The path a REST API's integration sends its backend for a request to a stage (query: api,
        stage, path; optional method, account_id, region): {"path": "..."} (apigateway_forwarded.py)."""
        from .apigateway_forwarded import Unanswerable, forwarded

        args = request.args
        missing = [name for name in ("api", "stage", "path") if not args.get(name)]
        if missing:
            return Response.for_json({"error": f"missing query parameters: {', '.join(missing)}"}, status=400)
        try:
            path = forwarded(
                args["api"],
                args["stage"],
                args["path"],
                method=args.get("method", "GET"),
                account_id=args.get("account_id"),
                region=args.get("region"),
            )
        except Unanswerable as e:
            return Response.for_json({"error": str(e)}, status=e.status)
        return {"path": path}

    @route("/_provision/elasticbeanstalk/branches", methods=["POST"])
    def eb_branch_lifecycle(self, request: Request):
        """Changes a platform branch's lifecycle state for one account and region (JSON body:
        account_id, region, branch, lifecycle_state), as AWS deprecating or retiring it."""
        from .elasticbeanstalk import set_lifecycle

        body = request.get_json(force=True, silent=True) or {}
        try:
            return set_lifecycle(
                body.get("account_id") or "000000000000",
                body.get("region") or "us-east-1",
                body.get("branch") or "",
                body.get("lifecycle_state") or "",
            )
        except ValueError as bad:
            return Response.for_json({"error": str(bad)}, status=400)

    @route("/_provision/elasticbeanstalk/health", methods=["POST"])
    def eb_health_blip(self, request: Request):
        """Arms a health blip (JSON body: account_id, region, environment_name, red_seconds; a
        null red_seconds stays Red): the environment's next Ready is Red / Severe that long."""
        from .elasticbeanstalk import arm_health_blip

        body = request.get_json(force=True, silent=True) or {}
        seconds = body.get("red_seconds")
        number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        if seconds is not None and (not number or seconds < 0):
            return Response.for_json({"error": "red_seconds must be a number >= 0, or null"}, status=400)
        try:
            return arm_health_blip(
                body.get("account_id") or "000000000000",
                body.get("region") or "us-east-1",
                body.get("environment_name") or "",
                seconds,
            )
        except ValueError as bad:
            return Response.for_json({"error": str(bad)}, status=400)

    @route("/_provision/ce/cost-allocation-tags", methods=["POST"])
    def ce_cost_allocation_tags(self, request: Request):
        """What AWS's billing does within a day (cost_explorer.py): the tag keys (JSON body:
        account_id, tag_keys, optional linked) are seen in that account and listed Inactive;
        linked true makes it a member account, which cannot activate them."""
        from .cost_explorer import seen

        body = request.get_json(force=True, silent=True) or {}
        account, keys, linked = body.get("account_id"), body.get("tag_keys") or [], body.get("linked")
        if not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
            return Response.for_json({"error": f"account_id must be 12 digits, got {account!r}"}, status=400)
        if not (isinstance(keys, list) and all(isinstance(k, str) and k for k in keys)):
            return Response.for_json({"error": "tag_keys must be a list of tag keys"}, status=400)
        if linked is not None and not isinstance(linked, bool):
            return Response.for_json({"error": "linked must be true or false"}, status=400)
        return {"CostAllocationTags": seen(account, keys, linked)}

    @route("/_provision/patches", methods=["GET"])
    def patches(self, request: Request):
        """Every patch of patches.py in the order applied, each with whether its target carries it
        now (registry.py): {"patches": [{"name", "target", "applied", "why", "aws", "reads"}]}."""
        from . import patches, registry

        return {"patches": registry.report(patches.PATCHES)}

    @route("/_provision/config", methods=["GET"])
    def get_config(self, request: Request):
        return SETTINGS

    @route("/_provision/config", methods=["POST"])
    def set_config(self, request: Request):
        changes = request.get_json(force=True, silent=True)
        problem = _config_problem(changes)
        if problem:
            return Response.for_json({"error": problem}, status=400)
        SETTINGS.update({key: float(value) for key, value in changes.items()})
        return SETTINGS


def _config_problem(changes) -> str | None:
    if not isinstance(changes, dict) or not changes:
        return 'expected a JSON object such as {"eb_status_delay": 3}'
    for key, value in changes.items():
        if key not in SETTINGS:
            return f"unknown setting {key!r}; known: {sorted(SETTINGS)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return f"{key} must be a number of seconds >= 0"
    return None
