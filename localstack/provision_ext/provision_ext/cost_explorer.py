"""Cost Explorer's cost allocation tags (API 2017-10-25, JSON protocol): ListCostAllocationTags and
UpdateCostAllocationTagsStatus, per account. Community LocalStack has no Cost Explorer; every
other operation answers 501.

On AWS a user-defined tag key shows up in the cost allocation tags only after AWS's billing has
seen it on a resource ("After the user-defined tags are created and applied to resources, it can
take up to 24 hours for the tag keys to appear on Cost Allocation tag page for activation", the
Terraform provider's aws_ce_cost_allocation_tag page; AWS's
https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html), and a linked
(member) account of an organization cannot activate it: only its management account can. Here:

- A key is seen once a test says so: POST /_provision/ce/cost-allocation-tags with
  {"account_id", "tag_keys": [...]} (what AWS's billing does within a day); it is listed
  `Inactive`, `UserDefined`. The same endpoint with {"linked": true} makes the account a linked
  (member) account.
- ListCostAllocationTags (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_ListCostAllocationTags.html):
  filters Status, TagKeys (1-100), Type; MaxResults 1-1000 (default 100) and NextToken.
- UpdateCostAllocationTagsStatus (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html):
  1-20 entries ("maximum batch size of 20"; more is ValidationException); the same status again
  "doesn't have any effect"; a key not seen yet comes back in `Errors` (code `TagKeyNotFound`,
  not verified against AWS) and the others are applied; in a linked account the call is
  `AccessDeniedException: Failed to update Cost Allocation Tag: Linked account doesn't have
  access to cost allocation tags.` (AWS's answer as reported in
  2i2c-org/infrastructure#4932).
"""

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute
from localstack.state import StateVisitor

from .budgets import page

GLOBAL = "us-east-1"  # Cost Explorer is global
MAX_UPDATE = 20


def _error(code: str, message: str) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=400, sender_fault=True)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class CostAllocationTag:
    key: str
    status: str = "Inactive"
    updated: str = ""
    used: str = ""

    def describe(self) -> dict:
        return {
            "TagKey": self.key,
            "Type": "UserDefined",
            "Status": self.status,
            "LastUpdatedDate": self.updated,
            "LastUsedDate": self.used,
        }


class CostExplorerStore(BaseStore):
    tags: dict[str, CostAllocationTag] = LocalAttribute(default=dict)
    linked: dict[str, bool] = LocalAttribute(default=dict)  # {"linked": True} for a member account


stores = AccountRegionBundle("ce", CostExplorerStore, validate=False)


def seen(account: str, keys: list[str], linked: bool | None = None) -> list[dict]:
    """What AWS's billing does for keys it finds on the account's resources; returns the list."""
    store = stores[account][GLOBAL]
    for key in keys:
        if key not in store.tags:
            store.tags[key] = CostAllocationTag(key, updated=_now(), used=_now())
    if linked is not None:
        store.linked["linked"] = linked
    return [store.tags[k].describe() for k in sorted(store.tags)]


class CostExplorerProvider:
    service = "ce"

    def __init__(self):
        self._lock = threading.RLock()

    def accept_state_visitor(self, visitor: StateVisitor):
        visitor.visit(stores)

    @handler("ListCostAllocationTags", expand=False)
    def list_cost_allocation_tags(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            store = stores[context.account_id][GLOBAL]
            keys = request.get("TagKeys")
            if keys is not None and not 1 <= len(keys) <= 100:
                raise _error("ValidationException", "TagKeys must hold 1 to 100 keys.")
            items = [
                t.describe()
                for k, t in sorted(store.tags.items())
                if (keys is None or k in keys)
                and request.get("Status") in (None, t.status)
                and request.get("Type") in (None, "UserDefined")
            ]
            return page(items, request, "CostAllocationTags", default=100, top=1000)

    @handler("UpdateCostAllocationTagsStatus", expand=False)
    def update_cost_allocation_tags_status(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            store = stores[context.account_id][GLOBAL]
            entries = request.get("CostAllocationTagsStatus") or []
            if not 1 <= len(entries) <= MAX_UPDATE:
                raise _error("ValidationException", f"CostAllocationTagsStatus must hold 1 to {MAX_UPDATE} entries.")
            if store.linked.get("linked"):
                raise _error(
                    "AccessDeniedException",
                    "Failed to update Cost Allocation Tag: Linked account doesn't have access to cost allocation tags.",
                )
            errors = []
            for entry in entries:
                key, status = entry.get("TagKey"), entry.get("Status")
                if status not in ("Active", "Inactive"):
                    raise _error("ValidationException", f"Status must be Active or Inactive, got {status!r}.")
                tag = store.tags.get(key)
                if tag is None:
                    errors.append({"TagKey": key, "Code": "TagKeyNotFound", "Message": f"Tag key {key} not found."})
                elif tag.status != status:
                    tag.status, tag.updated = status, _now()
            return {"Errors": errors}
