"""RDS instances take AWS's time in the latency mode (config.seconds "rds_create"/"rds_delete").

moto's instances are `available` as soon as CreateDBInstance answers and gone as soon as
DeleteDBInstance does. On AWS an instance is `creating` (then `backing-up` briefly) before
`available`, and `deleting` until DescribeDBInstances answers DBInstanceNotFound
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status).
Here a created instance is `creating` for the scaled duration; a deleted one is gone from moto at
once but still described, `deleting`, for the scaled duration (a "ghost"): DescribeDBInstances by
identifier answers it, and a listing without filters includes it. Outside the latency mode both
durations are 0 and nothing changes.
"""

import copy
import threading
import time

from . import config

_lock = threading.Lock()
# (account, region) -> identifier -> (description as DescribeDBInstances answers it, gone at)
_ghosts: dict[tuple, dict] = {}


def reset(account_id: str | None = None):
    """Forgets one account's deleted instances, or every account's."""
    with _lock:
        for key in [k for k in _ghosts if account_id is None or k[0] == account_id]:
            del _ghosts[key]


def creating(context, response: dict) -> dict:
    """After a CreateDBInstance: the instance is creating for a while."""
    from moto.rds.models import rds_backends

    delay = config.seconds("rds_create")
    if delay <= 0:
        return response
    identifier = response["DBInstance"]["DBInstanceIdentifier"]
    database = rds_backends[context.account_id][context.region].databases.get(identifier)
    if database is None:
        return response
    database.status = "creating"
    response["DBInstance"]["DBInstanceStatus"] = "creating"

    def become_available():
        if database.status == "creating":
            database.status = "available"

    timer = threading.Timer(delay, become_available)
    timer.daemon = True
    timer.start()
    return response


def deleting(context, response: dict) -> dict:
    """After a DeleteDBInstance: the instance is still described, deleting, for a while."""
    delay = config.seconds("rds_delete")
    if delay <= 0:
        return response
    description = copy.deepcopy(response["DBInstance"])
    description["DBInstanceStatus"] = "deleting"
    with _lock:
        ghosts = _ghosts.setdefault((context.account_id, context.region), {})
        ghosts[description["DBInstanceIdentifier"]] = (description, time.time() + delay)
    response["DBInstance"]["DBInstanceStatus"] = "deleting"
    return response


def _live(context) -> dict:
    now = time.time()
    with _lock:
        ghosts = _ghosts.setdefault((context.account_id, context.region), {})
        for identifier in [i for i, (_, gone) in ghosts.items() if gone <= now]:
            del ghosts[identifier]
        return {i: copy.deepcopy(d) for i, (d, _) in ghosts.items()}


def describe(context, request: dict, moto_answer) -> dict:
    """DescribeDBInstances with the instances still being deleted."""
    ghosts = _live(context)
    identifier = request.get("DBInstanceIdentifier")
    if identifier and identifier in ghosts:
        return {"DBInstances": [ghosts[identifier]]}
    response = moto_answer()
    if not identifier and not request.get("Filters") and ghosts:
        listed = {d["DBInstanceIdentifier"] for d in response.get("DBInstances", [])}
        response["DBInstances"] = response.get("DBInstances", []) + [
            d for i, d in sorted(ghosts.items()) if i not in listed
        ]
    return response
