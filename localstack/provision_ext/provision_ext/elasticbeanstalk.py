"""A stateful Elastic Beanstalk (query protocol, API version 2010-12-01) for tests.

Nothing runs behind an environment: its status walks Launching/Updating/Terminating to
Ready/Terminated once config.seconds(...) have passed (eb_status_delay, or AWS's durations in the
latency mode), evaluated whenever it is read. State is per account and region.
"""

import hashlib
import random
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute
from localstack.state import StateVisitor
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends

from . import eb_catalog as catalog
from . import eb_properties
from . import eb_security_groups
from . import eb_events
from . import eb_health
from . import eb_platforms
from . import config

SETTLES_TO = {"Launching": "Ready", "Updating": "Ready", "Terminating": "Terminated"}
BEGIN_DURATION = {"Launching": "eb_launch", "Updating": "eb_update", "Terminating": "eb_terminate"}
# Health colour, and the enhanced-health status reported when SystemType is enhanced.
HEALTH = {
    "Launching": ("Grey", "Pending"),
    "Updating": ("Grey", "Pending"),
    "Ready": ("Green", "Ok"),
    "Terminating": ("Grey", "Suspended"),
    "Terminated": ("Grey", "Suspended"),
}
TIERS = {"WebServer": "Standard", "Worker": "SQS/HTTP"}
ENV_NS = "aws:elasticbeanstalk:environment"
VPC_NS = "aws:ec2:vpc"
ASG_NS = "aws:autoscaling:asg"


def _error(code: str, message: str) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=400, sender_fault=True)


def _invalid(message: str) -> CommonServiceException:
    return _error("InvalidParameterValue", message)


def _now() -> datetime:
    return datetime.now(UTC)


def _random(alphabet: str, length: int) -> str:
    return "".join(random.choices(alphabet, k=length))


LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits


def _tags(tag_list) -> dict:
    return {tag["Key"]: tag.get("Value", "") for tag in tag_list or []}


def _tag_list(tags: dict) -> list:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _key(setting: dict) -> tuple[str, str]:
    return setting.get("Namespace", ""), setting.get("OptionName", "")


@dataclass
class ApplicationVersion:
    label: str
    arn: str
    description: str | None
    source_bundle: dict | None
    status: str
    tags: dict
    created: datetime = field(default_factory=_now)


@dataclass
class Application:
    name: str
    arn: str
    description: str | None
    tags: dict
    versions: dict[str, ApplicationVersion] = field(default_factory=dict)
    created: datetime = field(default_factory=_now)
    updated: datetime = field(default_factory=_now)


@dataclass
class Environment:
    id: str
    name: str
    application: str
    arn: str
    solution_stack: str
    platform_arn: str
    tier: dict
    description: str | None
    version_label: str | None
    cname: str | None
    settings: dict  # (namespace, option) -> value, only what the user set
    tags: dict
    endpoint: str | None = None
    endpoint_shape: tuple = ()
    groups: dict = field(default_factory=dict)  # (namespace, 'SecurityGroups') -> awseb group id
    status: str = "Launching"
    settles_at: float = 0.0
    created: datetime = field(default_factory=_now)
    updated: datetime = field(default_factory=_now)
    events: list = field(default_factory=list)
    launch_failure: str | None = None  # why Launching ends Terminated (eb_events.launch_failure)
    health: eb_health.Blip = field(default_factory=eb_health.Blip)

    def refresh(self):
        if self.status in SETTLES_TO and time.time() >= self.settles_at:
            failed = self.status == "Launching" and self.launch_failure
            self.status = "Terminated" if failed else SETTLES_TO[self.status]
            self.updated = datetime.fromtimestamp(self.settles_at, UTC)
            if failed:
                self.record("ERROR", self.launch_failure, self.updated)
                self.record("ERROR", "Failed to launch environment.", self.updated + timedelta(milliseconds=1))
            elif self.status == "Ready":
                for severity, message, date in self.health.settled(self.settles_at):
                    self.record(severity, message, date)
        if self.status == "Ready":
            for severity, message, date in self.health.recovered(time.time()):
                self.record(severity, message, date)

    def record(self, severity: str, message: str, date: datetime | None = None):
        self.events.append(eb_events.event(self, severity, message, date or _now()))

    def begin(self, status: str):
        self.status = status
        self.settles_at = time.time() + config.seconds(BEGIN_DURATION[status])
        self.updated = _now()

    @property
    def active(self) -> bool:
        self.refresh()
        return self.status != "Terminated"

    def merged_settings(self) -> dict:
        defaults = catalog.default_settings(
            self.solution_stack,
            self.settings.get((ENV_NS, "EnvironmentType"), "LoadBalanced"),
            self.settings.get((ENV_NS, "LoadBalancerType"), "application"),
        )
        return eb_security_groups.merged_with({**defaults, **self.settings}, self.groups)


def _check_load_balancer_type(env: Environment, settings: list, removals: list):
    """AWS: "You can choose the type of load balancer that your environment uses only during
    environment creation. ... you can't change its type."
    (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-alb.html). The error
    text is AWS's, as quoted in hashicorp/terraform-provider-aws#812. Removing the option restores
    the default, which is a change too when the environment has another type."""
    key = (ENV_NS, "LoadBalancerType")
    before = env.merged_settings().get(key)
    after = {_key(s): s.get("Value", "") for s in settings}.get(key)
    if after is None and key in map(_key, removals):
        after = "application"
    if before is not None and after is not None and after != before:
        raise _error(
            "ConfigurationValidationException",
            "Configuration validation exception: LoadBalancer type option cannot be changed.",
        )


def _check_security_groups(settings: dict):
    if reason := eb_security_groups.problem(settings):
        raise _error("ConfigurationValidationException", f"Configuration validation exception: {reason}")


class ElasticBeanstalkStore(BaseStore):
    applications: dict[str, Application] = LocalAttribute(default=dict)
    environments: dict[str, Environment] = LocalAttribute(default=dict)  # by id, terminated ones too
    # Platform versions released after the catalogue, newest first (a test's "AWS released").
    released: list[str] = LocalAttribute(default=list)
    # Branch lifecycle states changed by a test ("AWS deprecated it"), over the catalogue's.
    lifecycles: dict[str, str] = LocalAttribute(default=dict)


eb_stores = AccountRegionBundle("elasticbeanstalk", ElasticBeanstalkStore)


class ElasticBeanstalkProvider:
    service = "elasticbeanstalk"

    def __init__(self):
        self._lock = threading.RLock()

    def accept_state_visitor(self, visitor: StateVisitor):
        visitor.visit(eb_stores)

    # --- lookups ------------------------------------------------------------------------------

    @staticmethod
    def _store(context: RequestContext) -> ElasticBeanstalkStore:
        return eb_stores[context.account_id][context.region]

    def _application(self, context, name: str) -> Application:
        app = self._store(context).applications.get(name)
        if not app:
            raise _invalid(f"No Application named '{name}' found.")
        return app

    def _environment(self, context, request: dict) -> Environment:
        """The live environment a request names by EnvironmentId or EnvironmentName."""
        env_id, name = request.get("EnvironmentId"), request.get("EnvironmentName")
        if not env_id and not name:
            raise _error("MissingParameter", "Either EnvironmentName or EnvironmentId must be specified.")
        for env in self._store(context).environments.values():
            if env.active and (env.id == env_id if env_id else env.name == name):
                return env
        raise _invalid(
            f"No Environment found for EnvironmentId = '{env_id}'."
            if env_id
            else f"No Environment found for EnvironmentName = '{name}'."
        )

    def _live_environments(self, context) -> list[Environment]:
        return [env for env in self._store(context).environments.values() if env.active]

    def _cname_taken(self, context, cname: str) -> bool:
        return any(env.cname == cname for env in self._live_environments(context))

    # --- option settings ------------------------------------------------------------------------

    def _problems(self, context, settings: list, removals: list, current: dict) -> list[tuple[str, dict]]:
        """Validation problems as (error code, ValidationMessage), in the order AWS reports them."""
        problems = []

        def report(code: str, namespace: str, option: str, message: str):
            message = {"Message": message, "Severity": "error", "Namespace": namespace, "OptionName": option}
            problems.append((code, message))

        def bad_value(code: str, namespace: str, option: str, value: str, reason: str):
            spec = f"(Namespace: '{namespace}', OptionName: '{option}')"
            report(code, namespace, option, f"Invalid option value: '{value}' {spec}: {reason}")

        for namespace, option in map(_key, list(settings) + list(removals)):
            options = catalog.options_of(namespace)
            if options is None or (namespace not in catalog.FREE_FORM and option not in options):
                spec = f"(Namespace: '{namespace}', OptionName: '{option}')"
                message = f"Invalid option specification {spec}: Unknown configuration setting."
                report("ConfigurationValidationException", namespace, option, message)
        if problems:
            return problems

        given = {_key(s): s.get("Value", "") for s in settings}
        for (namespace, option), value in given.items():
            spec = catalog.options_of(namespace).get(option)
            if reason := spec and spec.problem(value):
                bad_value("ConfigurationValidationException", namespace, option, value, reason)
        for namespace, option, message in eb_properties.key_problems(given):
            report("ConfigurationValidationException", namespace, option, message)
        for namespace, option, value, reason in eb_properties.value_problems(given):
            bad_value("ConfigurationValidationException", namespace, option, value, reason)
        if problems:
            return problems

        merged = {**current, **given}
        for key in map(_key, removals):
            merged.pop(key, None)
        if (total := eb_properties.size(merged)) > eb_properties.MAX_BYTES:
            message = (
                f"Environment properties take {total} bytes (as key=value); the combined size of all "
                f"environment properties cannot exceed {eb_properties.MAX_BYTES} bytes."
            )
            report("ConfigurationValidationException", eb_properties.PROPERTIES, "", message)
        low, high = merged.get((ASG_NS, "MinSize"), "1"), merged.get((ASG_NS, "MaxSize"), "4")
        if int(low) > int(high):
            reason = f"MinSize must be less than or equal to MaxSize ('{high}')."
            bad_value("ConfigurationValidationException", ASG_NS, "MinSize", low, reason)
        # "You can pause load-balanced environments only. Single-instance environments always run
        # exactly one instance, so their capacity can't be set to zero" (Elastic Beanstalk
        # Developer Guide, "Pausing and resuming Elastic Beanstalk environments",
        # https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environment-management-pause.html).
        # The wording of AWS's refusal is not documented; the code is that of other bad values.
        if merged.get((ENV_NS, "EnvironmentType"), "LoadBalanced") == "SingleInstance":
            for option, value in ((ASG_NS, "MinSize"), low), ((ASG_NS, "MaxSize"), high):
                if int(value) == 0:
                    reason = "A single-instance environment runs exactly one instance."
                    bad_value("ConfigurationValidationException", ASG_NS, option[1], value, reason)
        for option, value, reason in self._vpc_problems(context, merged, given):
            bad_value("InvalidParameterValue", VPC_NS, option, value, reason)
        return problems

    @staticmethod
    def _vpc_problems(context, merged: dict, given: dict):
        """(option, value, reason) for aws:ec2:vpc values naming what LocalStack's EC2 doesn't have."""
        if not any(namespace == VPC_NS for namespace, _ in given):
            return
        ec2 = ec2_backends[context.account_id][context.region]
        vpc_id = merged.get((VPC_NS, "VPCId"))
        if vpc_id and vpc_id not in ec2.vpcs:
            yield "VPCId", vpc_id, f"The VPC '{vpc_id}' does not exist."
            return
        for option in ("Subnets", "ELBSubnets"):
            for subnet_id in filter(None, (s.strip() for s in merged.get((VPC_NS, option), "").split(","))):
                try:
                    subnet = ec2.get_subnet(subnet_id)
                except InvalidSubnetIdError:
                    yield option, subnet_id, f"The subnet '{subnet_id}' does not exist."
                    continue
                if vpc_id and subnet.vpc_id != vpc_id:
                    yield option, subnet_id, f"The subnet '{subnet_id}' is not in VPC '{vpc_id}'."

    def _check_settings(self, context, settings: list, removals: list, current: dict):
        problems = self._problems(context, settings, removals, current)
        if problems:
            code, message = problems[0]
            text = message["Message"]
            if code == "ConfigurationValidationException":
                text = f"Configuration validation exception: {text}"
            raise _error(code, text)

    @staticmethod
    def _check_service_role(context, settings: list):
        given = {_key(s): s.get("Value", "") for s in settings}
        if problem := eb_events.service_role_problem(context.account_id, context.partition, given):
            raise CommonServiceException(
                "InsufficientPrivilegesException", problem, status_code=403, sender_fault=True
            )

    # --- rendering ------------------------------------------------------------------------------

    @staticmethod
    def _set_endpoint(env: Environment, region: str):
        """EndpointURL as AWS forms it: the load balancer's DNS name, or the instance's public IP."""
        settings = env.merged_settings()
        shape = (
            settings[(ENV_NS, "EnvironmentType")],
            settings.get((ENV_NS, "LoadBalancerType")),
            settings.get((VPC_NS, "ELBScheme")),
        )
        if env.tier["Name"] != "WebServer" or shape == env.endpoint_shape:
            return
        env_type, lb_type, scheme = shape
        if env_type == "SingleInstance":
            env.endpoint = f"198.51.100.{random.randint(1, 254)}"  # documentation range: nothing answers
        else:
            if lb_type == "classic":
                name = f"awseb-{env.id[:3]}-AWSEBLoa-{_random(UPPER_ALNUM, 13)}"
            else:
                name = f"awseb--AWSEB-{_random(UPPER_ALNUM, 12)}"
            internal = "internal-" if scheme == "internal" else ""
            env.endpoint = f"{internal}{name}-{random.randint(10**9, 10**10 - 1)}.{region}.elb.amazonaws.com"
        env.endpoint_shape = shape

    @staticmethod
    def _describe(env: Environment) -> dict:
        # Not refreshed here: a mutating call answers with the transitional status, as AWS does.
        health, health_status = HEALTH[env.status]
        if env.status == "Ready" and env.health.red:
            health, health_status = eb_health.RED
        result = {
            "EnvironmentName": env.name,
            "EnvironmentId": env.id,
            "ApplicationName": env.application,
            "SolutionStackName": env.solution_stack,
            "PlatformArn": env.platform_arn,
            "DateCreated": env.created,
            "DateUpdated": env.updated,
            "Status": env.status,
            "AbortableOperationInProgress": env.status == "Updating",
            "Health": health,
            "Tier": env.tier,
            "EnvironmentLinks": [],
            "EnvironmentArn": env.arn,
        }
        if (
            env.merged_settings().get(("aws:elasticbeanstalk:healthreporting:system", "SystemType"))
            == "enhanced"
        ):
            result["HealthStatus"] = health_status
        optional = {
            "VersionLabel": env.version_label,
            "Description": env.description,
            "CNAME": env.cname,
            "EndpointURL": env.endpoint,
        }
        result.update({key: value for key, value in optional.items() if value})
        return result

    @staticmethod
    def _describe_application(app: Application) -> dict:
        result = {
            "ApplicationArn": app.arn,
            "ApplicationName": app.name,
            "DateCreated": app.created,
            "DateUpdated": app.updated,
            "Versions": list(app.versions),
            "ConfigurationTemplates": [],
        }
        if app.description:
            result["Description"] = app.description
        return result

    @staticmethod
    def _describe_version(app: Application, version: ApplicationVersion) -> dict:
        result = {
            "ApplicationVersionArn": version.arn,
            "ApplicationName": app.name,
            "VersionLabel": version.label,
            "DateCreated": version.created,
            "DateUpdated": version.created,
            "Status": version.status,
        }
        if version.description:
            result["Description"] = version.description
        if version.source_bundle:
            result["SourceBundle"] = version.source_bundle
        return result

    # --- applications ---------------------------------------------------------------------------

    @handler("CreateApplication", expand=False)
    def create_application(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            name = request["ApplicationName"]
            store = self._store(context)
            if name in store.applications:
                raise _invalid(f"Application {name} already exists.")
            app = store.applications[name] = Application(
                name=name,
                arn=f"arn:aws:elasticbeanstalk:{context.region}:{context.account_id}:application/{name}",
                description=request.get("Description"),
                tags=_tags(request.get("Tags")),
            )
            return {"Application": self._describe_application(app)}

    @handler("DescribeApplications", expand=False)
    def describe_applications(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            names = request.get("ApplicationNames")
            apps = [
                app for app in self._store(context).applications.values() if not names or app.name in names
            ]
            return {"Applications": [self._describe_application(app) for app in apps]}

    @handler("UpdateApplication", expand=False)
    def update_application(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            app = self._application(context, request["ApplicationName"])
            if "Description" in request:
                app.description = request["Description"]
            app.updated = _now()
            return {"Application": self._describe_application(app)}

    @handler("DeleteApplication", expand=False)
    def delete_application(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            app = self._application(context, request["ApplicationName"])
            running = [env for env in self._live_environments(context) if env.application == app.name]
            if running and not request.get("TerminateEnvByForce"):
                raise _invalid(
                    f"Unable to delete application {app.name} because it has running environments."
                )
            for env in running:
                env.groups = eb_security_groups.sync(context, env.id, {}, env.groups, terminating=True)
                env.begin("Terminating")
            del self._store(context).applications[app.name]
            return {}

    # --- application versions -------------------------------------------------------------------

    @handler("CreateApplicationVersion", expand=False)
    def create_application_version(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            name, label = request["ApplicationName"], request["VersionLabel"]
            if name not in self._store(context).applications and request.get("AutoCreateApplication"):
                self.create_application(context, {"ApplicationName": name})
            app = self._application(context, name)
            if label in app.versions:
                raise _invalid(f"Application Version {label} already exists.")
            version = app.versions[label] = ApplicationVersion(
                label=label,
                arn=f"arn:aws:elasticbeanstalk:{context.region}:{context.account_id}:"
                f"applicationversion/{name}/{label}",
                description=request.get("Description"),
                source_bundle=request.get("SourceBundle"),
                status="Processed" if request.get("Process") else "Unprocessed",
                tags=_tags(request.get("Tags")),
            )
            return {"ApplicationVersion": self._describe_version(app, version)}

    @handler("DescribeApplicationVersions", expand=False)
    def describe_application_versions(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            name, labels = request.get("ApplicationName"), request.get("VersionLabels")
            return {
                "ApplicationVersions": [
                    self._describe_version(app, version)
                    for app in self._store(context).applications.values()
                    if not name or app.name == name
                    for version in reversed(app.versions.values())
                    if not labels or version.label in labels
                ]
            }

    @handler("DeleteApplicationVersion", expand=False)
    def delete_application_version(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            app = self._application(context, request["ApplicationName"])
            label = request["VersionLabel"]
            if label not in app.versions:
                raise _invalid(f"No Application Version named '{label}' found.")
            if any(
                e.version_label == label and e.application == app.name
                for e in self._live_environments(context)
            ):
                raise _invalid(
                    f"Unable to delete application version {label} because it is deployed to a running environment."
                )
            del app.versions[label]
            return {}

    # --- environments ---------------------------------------------------------------------------

    def _resolve_platform(self, context, request: dict) -> tuple[str, str] | None:
        """(solution stack, platform ARN) the request asks for, or None if it names neither."""
        stack, arn = request.get("SolutionStackName"), request.get("PlatformArn")
        released = self._store(context).released
        if stack:
            known = stack in catalog.SOLUTION_STACKS or stack in released
            if not known or not self._launchable(context, stack):
                raise _invalid(f"No Solution Stack named '{stack}' found.")
            return stack, catalog.platform_arn(stack, context.region)
        if arn:
            stack = catalog.solution_stack_of(arn, released)
            if not stack or not self._launchable(context, stack):
                raise _invalid(f"No Platform named '{arn}' found.")
            return stack, arn
        if request.get("TemplateName"):
            raise _invalid(
                f"No Configuration Template named '{request['ApplicationName']}/{request['TemplateName']}' found."
            )
        return None

    def _launchable(self, context, stack: str) -> bool:
        """A retired branch's versions only for an account running an environment on it."""
        running = {catalog.branch_of(env.solution_stack) for env in self._live_environments(context)}
        return eb_platforms.launchable(stack, self._store(context).lifecycles, running)

    @staticmethod
    def _check_name(kind: str, value: str, longest: int):
        if (
            not (4 <= len(value) <= longest)
            or not all(c.isalnum() or c == "-" for c in value)
            or (value.startswith("-") or value.endswith("-"))
        ):
            raise _invalid(
                f"{kind} '{value}' is invalid: use 4 to {longest} letters, digits or hyphens, "
                "not starting or ending with a hyphen."
            )

    @handler("CreateEnvironment", expand=False)
    def create_environment(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            app = self._application(context, request["ApplicationName"])
            name = request.get("EnvironmentName")
            if not name:
                raise _error("MissingParameter", "EnvironmentName is required.")
            self._check_name("Environment name", name, 40)
            if any(env.name == name for env in self._live_environments(context)):
                raise _invalid(f"Environment {name} already exists.")
            platform = self._resolve_platform(context, request)
            if not platform:
                raise _invalid("You must specify a SolutionStackName, a PlatformArn or a TemplateName.")
            label = request.get("VersionLabel")
            if label and label not in app.versions:
                raise _invalid(f"No Application Version named '{label}' found.")
            tier_name = (request.get("Tier") or {}).get("Name", "WebServer")
            if tier_name not in TIERS:
                raise _invalid(f"Invalid Tier name '{tier_name}'. Must be one of: WebServer, Worker.")
            settings = request.get("OptionSettings") or []
            self._check_settings(context, settings, [], {})
            self._check_service_role(context, settings)

            cname = None
            if tier_name == "WebServer":
                prefix = request.get("CNAMEPrefix")
                if prefix:
                    self._check_name("CNAME prefix", prefix, 63)
                else:
                    prefix = f"{name}.eba-{_random(LOWER_ALNUM, 8)}"
                cname = f"{prefix.lower()}.{context.region}.elasticbeanstalk.com"
                if self._cname_taken(context, cname):
                    raise _invalid(f"DNS name ({cname}) is not available.")

            env_id = f"e-{_random(LOWER_ALNUM, 10)}"
            env = Environment(
                id=env_id,
                name=name,
                application=app.name,
                arn=f"arn:aws:elasticbeanstalk:{context.region}:{context.account_id}:environment/{app.name}/{name}",
                solution_stack=platform[0],
                platform_arn=platform[1],
                tier={"Name": tier_name, "Type": TIERS[tier_name], "Version": "1.0"},
                description=request.get("Description"),
                version_label=label,
                cname=cname,
                settings={_key(s): s.get("Value", "") for s in settings},
                tags=_tags(request.get("Tags")),
            )
            _check_security_groups(env.settings)
            env.groups = eb_security_groups.sync(context, env.id, env.merged_settings(), {})
            self._set_endpoint(env, context.region)
            env.launch_failure = eb_events.launch_failure(
                context.account_id, context.partition, env.merged_settings()
            )
            env.begin("Launching")
            env.record("INFO", "createEnvironment is starting.")
            self._store(context).environments[env_id] = env
            return self._describe(env)

    @handler("DescribeEnvironments", expand=False)
    def describe_environments(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            ids, names = request.get("EnvironmentIds"), request.get("EnvironmentNames")
            app, label = request.get("ApplicationName"), request.get("VersionLabel")
            include_deleted = request.get("IncludeDeleted", True)
            deleted_since = request.get("IncludedDeletedBackTo")
            if deleted_since and not deleted_since.tzinfo:
                deleted_since = deleted_since.replace(tzinfo=UTC)
            matches = []
            for env in self._store(context).environments.values():
                if (ids and env.id not in ids) or (names and env.name not in names):
                    continue
                if (app and env.application != app) or (label and env.version_label != label):
                    continue
                if not env.active and (
                    not include_deleted or (deleted_since and env.updated < deleted_since)
                ):
                    continue
                matches.append(env)
            start = int(request.get("NextToken") or 0)
            end = start + (request.get("MaxRecords") or len(matches))
            result = {"Environments": [self._describe(env) for env in matches[start:end]]}
            if end < len(matches):
                result["NextToken"] = str(end)
            return result

    @handler("UpdateEnvironment", expand=False)
    def update_environment(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            env = self._environment(context, request)
            if request.get("ApplicationName") and request["ApplicationName"] != env.application:
                raise _invalid(f"No Environment found for EnvironmentName = '{env.name}'.")
            if env.status != "Ready":
                raise _invalid(
                    f"Environment named {env.name} is in an invalid state for this operation. Must be Ready."
                )
            platform = self._resolve_platform(context, {**request, "ApplicationName": env.application})
            label = request.get("VersionLabel")
            if label and label not in self._application(context, env.application).versions:
                raise _invalid(f"No Application Version named '{label}' found.")
            tier = request.get("Tier")
            if tier and tier.get("Name", env.tier["Name"]) != env.tier["Name"]:
                raise _invalid("Cannot change the tier of an environment.")
            settings, removals = request.get("OptionSettings") or [], request.get("OptionsToRemove") or []
            self._check_settings(context, settings, removals, env.settings)
            self._check_service_role(context, settings)
            _check_load_balancer_type(env, settings, removals)
            after = {k: v for k, v in env.settings.items() if k not in set(map(_key, removals))}
            _check_security_groups({**after, **{_key(s): s.get("Value", "") for s in settings}})

            for key in map(_key, removals):
                env.settings.pop(key, None)
            env.settings.update({_key(s): s.get("Value", "") for s in settings})
            env.groups = eb_security_groups.sync(context, env.id, env.merged_settings(), env.groups)
            if platform:
                env.solution_stack, env.platform_arn = platform
            if label:
                env.version_label = label
            if "Description" in request:
                env.description = request["Description"]
            self._set_endpoint(env, context.region)
            env.begin("Updating")
            return self._describe(env)

    @handler("TerminateEnvironment", expand=False)
    def terminate_environment(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            env = self._environment(context, request)
            if env.status != "Ready":
                raise _invalid(
                    f"Environment named {env.name} is in an invalid state for this operation. Must be Ready."
                )
            env.groups = eb_security_groups.sync(context, env.id, {}, env.groups, terminating=True)
            env.begin("Terminating")
            return self._describe(env)

    @handler("DescribeEvents", expand=False)
    def describe_events(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            env_id, name = request.get("EnvironmentId"), request.get("EnvironmentName")
            app = request.get("ApplicationName")
            events = []
            for env in self._store(context).environments.values():
                env.refresh()  # a launch that has just finished logs its events
                if (env_id and env.id != env_id) or (name and env.name != name):
                    continue
                if not app or env.application == app:
                    events.extend(env.events)
            try:
                return eb_events.select(events, request)
            except ValueError as bad:
                raise _invalid(f"Invalid Severity '{bad}'.") from None

    @handler("CheckDNSAvailability", expand=False)
    def check_dns_availability(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            cname = f"{request['CNAMEPrefix'].lower()}.{context.region}.elasticbeanstalk.com"
            return {"Available": not self._cname_taken(context, cname), "FullyQualifiedCNAME": cname}

    @staticmethod
    def _load_balancer_name(env: Environment, account_id: str, region: str) -> str | None:
        """DescribeEnvironmentResources' LoadBalancers[].Name: for an ALB or NLB environment the
        load balancer's ARN (what Beanstalk reports and API Gateway's integrationTarget takes,
        https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html),
        for a classic one its name. Derived from the endpoint, so it is stable and unique."""
        if not env.endpoint or not env.endpoint.endswith(".elb.amazonaws.com"):
            return None  # single instance, or a worker: no load balancer
        name = env.endpoint.removeprefix("internal-").split(".")[0].rsplit("-", 1)[0]
        lb_type = env.merged_settings().get((ENV_NS, "LoadBalancerType"), "application")
        if lb_type == "classic":
            return name
        suffix = hashlib.sha256(f"{env.arn}/{name}".encode()).hexdigest()[:16]
        kind = "net" if lb_type == "network" else "app"
        return f"arn:aws:elasticloadbalancing:{region}:{account_id}:loadbalancer/{kind}/{name}/{suffix}"

    @handler("DescribeEnvironmentResources", expand=False)
    def describe_environment_resources(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            env = self._environment(context, request)
            lb = self._load_balancer_name(env, context.account_id, context.region)
            return {
                "EnvironmentResources": {
                    "EnvironmentName": env.name,
                    "AutoScalingGroups": [],
                    "Instances": [],
                    "LaunchConfigurations": [],
                    "LaunchTemplates": [],
                    "LoadBalancers": [{"Name": lb}] if lb else [],
                    "Triggers": [],
                    "Queues": [],
                }
            }

    # --- configuration --------------------------------------------------------------------------

    def _configured_environment(self, context, request: dict) -> Environment:
        """The environment a configuration call names through ApplicationName + EnvironmentName."""
        app = self._application(context, request["ApplicationName"])
        if request.get("TemplateName"):
            raise _invalid(f"No Configuration Template named '{app.name}/{request['TemplateName']}' found.")
        env = self._environment(context, {"EnvironmentName": request.get("EnvironmentName")})
        if env.application != app.name:
            raise _invalid(f"No Environment found for EnvironmentName = '{env.name}'.")
        return env

    @handler("DescribeConfigurationSettings", expand=False)
    def describe_configuration_settings(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            env = self._configured_environment(context, request)
            settings = [
                {"Namespace": namespace, "OptionName": option, "Value": value}
                for (namespace, option), value in sorted(env.merged_settings().items())
            ]
            description = {
                "SolutionStackName": env.solution_stack,
                "PlatformArn": env.platform_arn,
                "ApplicationName": env.application,
                "EnvironmentName": env.name,
                "DeploymentStatus": "deployed" if env.status == "Ready" else "pending",
                "DateCreated": env.created,
                "DateUpdated": env.updated,
                "OptionSettings": settings,
            }
            if env.description:
                description["Description"] = env.description
            return {"ConfigurationSettings": [description]}

    @handler("ValidateConfigurationSettings", expand=False)
    def validate_configuration_settings(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            current = {}
            if request.get("EnvironmentName") or request.get("TemplateName"):
                current = self._configured_environment(context, request).settings
            else:
                self._application(context, request["ApplicationName"])
            problems = self._problems(context, request.get("OptionSettings") or [], [], current)
            return {"Messages": [message for _, message in problems]}

    @handler("ListAvailableSolutionStacks", expand=False)
    def list_available_solution_stacks(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            stacks = [*self._store(context).released, *catalog.SOLUTION_STACKS]
            stacks = [stack for stack in stacks if self._launchable(context, stack)]
        return {
            "SolutionStacks": stacks,
            "SolutionStackDetails": [
                {"SolutionStackName": stack, "PermittedFileTypes": catalog.permitted_file_types(stack)}
                for stack in stacks
            ],
        }

    @handler("ListPlatformBranches", expand=False)
    def list_platform_branches(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            try:
                return eb_platforms.list_platform_branches(request, self._store(context).lifecycles)
            except eb_platforms.BadFilter as bad:
                raise _invalid(str(bad)) from None

    # --- tags -----------------------------------------------------------------------------------

    def _tagged(self, context, arn: str):
        """The application, version or live environment an ARN names in the caller's account and region."""
        parts = arn.split(":", 5)
        resource = parts[5].split("/") if len(parts) == 6 else []
        found = None
        if parts[:5] == ["arn", "aws", "elasticbeanstalk", context.region, context.account_id] and resource:
            store = self._store(context)
            kind, names = resource[0], resource[1:]
            app = store.applications.get(names[0]) if names else None
            if kind == "application" and len(names) == 1:
                found = app
            elif kind == "applicationversion" and len(names) == 2 and app:
                found = app.versions.get(names[1])
            elif kind == "environment" and len(names) == 2:
                found = next((e for e in self._live_environments(context) if e.arn == arn), None)
            elif kind not in ("application", "applicationversion", "environment"):
                raise _error(
                    "ResourceTypeNotSupportedException",
                    "The type of the specified Amazon Resource Name (ARN) isn't supported for this operation.",
                )
        if found is None:
            raise _error(
                "ResourceNotFoundException",
                f"A resource doesn't exist for the specified Amazon Resource Name (ARN): {arn}",
            )
        return found

    @handler("ListTagsForResource", expand=False)
    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            resource = self._tagged(context, request["ResourceArn"])
            return {"ResourceArn": request["ResourceArn"], "ResourceTags": _tag_list(resource.tags)}

    @handler("UpdateTagsForResource", expand=False)
    def update_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            resource = self._tagged(context, request["ResourceArn"])
            tags = {k: v for k, v in resource.tags.items() if k not in (request.get("TagsToRemove") or [])}
            tags.update(_tags(request.get("TagsToAdd")))
            if len(tags) > 50:
                raise _error(
                    "TooManyTagsException",
                    "The number of tags in the resource would exceed the number "
                    "of tags that each resource can have.",
                )
            resource.tags = tags
            return {}


def release_platform(account: str, region: str, stack: str) -> list[str]:
    """Lists a new platform version for one account and region, as AWS releasing one: the
    previous newest stays launchable there (the account ran it)."""
    released = eb_stores[account][region].released
    if stack not in released and stack not in catalog.SOLUTION_STACKS:
        released.insert(0, stack)
    return [*released, *catalog.SOLUTION_STACKS]


def set_lifecycle(account: str, region: str, branch: str, state: str) -> dict:
    """Moves a branch to another lifecycle state for one account and region, as AWS deprecating
    or retiring it; answers the branch's summary."""
    known = catalog.BRANCHES.get(branch)
    if known is None or state not in eb_platforms.STATES:
        raise ValueError(f"unknown branch {branch!r} or state {state!r} (states: {eb_platforms.STATES})")
    eb_stores[account][region].lifecycles[branch] = state
    return eb_platforms.summary(known, state)


def arm_health_blip(account: str, region: str, name: str, red_seconds: float | None) -> dict:
    """The next time the live environment `name` settles to Ready (after a launch or an update), it
    reports health Red / Severe for `red_seconds` (None: until further notice), as AWS does while
    targets register (eb_health)."""
    for env in eb_stores[account][region].environments.values():
        if env.name == name and env.active:
            env.health.arm(red_seconds)
            return {"environment": name, "environment_id": env.id, "red_seconds": red_seconds}
    raise ValueError(f"no live environment named {name!r} in {account}/{region}")
