"""Platform branch lifecycles: ListPlatformBranches and what a retired branch no longer launches.

ListPlatformBranches follows
https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_ListPlatformBranches.html: Filters
are a conjunction of SearchFilter terms, at most 10, each with at most 10 values; attributes and
their operators are BranchName and PlatformName (= != begins_with ends_with contains in not_in),
LifecycleState (= != in not_in; beta supported deprecated retired) and TierType (= !=;
WebServer/Standard Worker/SQS/HTTP); "Most operators take a single value. The in and not_in
operators can take multiple values." MaxRecords is at least 1; NextToken pages. AWS's wording for
a bad filter is not documented: the emulator answers InvalidParameterValue naming the term.

A retired branch "no longer makes the platform branch available to new Elastic Beanstalk
customers for deployments to new environments", while existing customers with active
environments on it keep it through the API ("Elastic Beanstalk platform support policy",
https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/platforms-support-policy.html): an account
without a live environment on the branch is neither shown its versions nor can launch them.
"""

from . import eb_catalog as catalog

STATES = ("beta", "supported", "deprecated", "retired")
TIERS = ("WebServer/Standard", "Worker/SQS/HTTP")
_TEXT_OPERATORS = ("=", "!=", "begins_with", "ends_with", "contains", "in", "not_in")
OPERATORS = {
    "BranchName": _TEXT_OPERATORS,
    "PlatformName": _TEXT_OPERATORS,
    "LifecycleState": ("=", "!=", "in", "not_in"),
    "TierType": ("=", "!="),
}
_CLOSED_VALUES = {"LifecycleState": STATES, "TierType": TIERS}


class BadFilter(ValueError):
    """A filter AWS would refuse; the message names it."""


def lifecycle(branch: str, overrides: dict) -> str | None:
    """The branch's state for an account: a test's override (AWS changing it), else the catalogue's."""
    known = catalog.BRANCHES.get(branch)
    return overrides.get(branch) or (known.lifecycle if known else None)


def _check(filters: list) -> None:
    if len(filters) > 10:
        raise BadFilter("Filters: at most 10 SearchFilter terms are allowed.")
    for term in filters:
        attribute, operator = term.get("Attribute"), term.get("Operator")
        values = term.get("Values") or []
        if attribute not in OPERATORS:
            raise BadFilter(f"Invalid SearchFilter attribute '{attribute}'; valid: {', '.join(OPERATORS)}.")
        if operator not in OPERATORS[attribute]:
            raise BadFilter(f"Invalid SearchFilter operator '{operator}' for attribute '{attribute}'.")
        if not values or len(values) > 10:
            raise BadFilter(f"SearchFilter '{attribute}' needs 1 to 10 values.")
        if len(values) > 1 and operator not in ("in", "not_in"):
            raise BadFilter(f"SearchFilter operator '{operator}' takes a single value.")
        allowed = _CLOSED_VALUES.get(attribute)
        if allowed and any(v not in allowed for v in values):
            raise BadFilter(f"Invalid SearchFilter value for '{attribute}'; valid: {', '.join(allowed)}.")


def _matches(value, operator: str, values: list) -> bool:
    """One term on one value (a list value, the tiers, matches when any of it does)."""
    if isinstance(value, (list, tuple)):
        hit = any(_matches(v, "=", values) for v in value)
        return hit if operator == "=" else not hit
    first = values[0]
    return {
        "=": value == first,
        "!=": value != first,
        "begins_with": value.startswith(first),
        "ends_with": value.endswith(first),
        "contains": first in value,
        "in": value in values,
        "not_in": value not in values,
    }[operator]


def summary(branch: catalog.Branch, state: str) -> dict:
    return {
        "PlatformName": branch.platform,
        "BranchName": branch.name,
        "LifecycleState": state,
        "BranchOrder": branch.order,
        "SupportedTierList": list(branch.tiers),
    }


def list_platform_branches(request: dict, overrides: dict) -> dict:
    """The ListPlatformBranches answer for one account (its lifecycle overrides applied)."""
    filters = request.get("Filters") or []
    _check(filters)
    rows = []
    for branch in catalog.BRANCHES.values():
        state = lifecycle(branch.name, overrides)
        fields = {
            "BranchName": branch.name,
            "PlatformName": branch.platform,
            "LifecycleState": state,
            "TierType": branch.tiers,
        }
        if all(_matches(fields[t["Attribute"]], t["Operator"], t["Values"]) for t in filters):
            rows.append(summary(branch, state))
    limit = request.get("MaxRecords")
    if limit is not None and limit < 1:
        raise BadFilter("MaxRecords must be at least 1.")
    first = int(request.get("NextToken") or 0)
    last = first + (limit or len(rows))
    result = {"PlatformBranchSummaryList": rows[first:last]}
    if last < len(rows):
        result["NextToken"] = str(last)
    return result


def launchable(stack: str, overrides: dict, running: set[str]) -> bool:
    """Whether an account may launch (or list) `stack`: not on a retired branch, unless it runs an
    environment on that branch."""
    branch = catalog.branch_of(stack)
    return lifecycle(branch, overrides) != "retired" or branch in running
