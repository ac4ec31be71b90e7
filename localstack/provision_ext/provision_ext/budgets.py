"""AWS Budgets (API 2016-10-20, JSON protocol), which community LocalStack does not serve.

moto has a budgets backend, but without UpdateBudget, subscribers, tags, FilterExpression or any
limit, so this is a provider of its own (like apigatewayv2.py) over a store per account: Budgets
is a global service, so the caller's region does not matter. What provision relies on, as strict
as AWS (API reference https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/,
pages API_budgets_<Operation>.html and API_budgets_<Type>.html):

- AccountId is the caller's account (12 digits); another account is AccessDeniedException (not
  verified on AWS: a budget is always its own account's).
- BudgetName: 1-100 characters, no ":" or "\\", no "/action/" (API_budgets_Budget.html: "The ':'
  and '\\' characters, and the '/action/' substring, aren't allowed"); unique in the account:
  a second CreateBudget is DuplicateRecordException "Error creating budget: NAME - the budget
  already exists." (AWS's wording as CloudFormation users report it,
  aws-cloudformation/cloudformation-coverage-roadmap#365).
- BudgetType and TimeUnit from their enums; BudgetLimit (Amount matching `([0-9]*\\.)?[0-9]+`,
  a Unit) is required for COST and USAGE budgets, and BudgetLimit with PlannedBudgetLimits is
  refused (API_budgets_Budget.html: "BudgetLimit is required for cost or usage budgets ... You
  can't use BudgetLimit with PlannedBudgetLimits"); FilterExpression/Metrics with
  CostFilters/CostTypes is refused (API_budgets_UpdateBudget.html: "Either FilterExpression and
  Metrics or CostFilters and CostTypes, not both or a different combination"). All
  InvalidParameterException.
- FilterExpression: each level has exactly one of And, Or, Not, Dimensions, Tags, CostCategories
  (Cost Explorer's Expression, API_Expression.html: "Because each Expression can have only one
  operator, the service returns an error if more than one is specified"), And/Or hold at least
  one expression, Dimensions a Key and Values. DescribeBudget(s) show it only with
  ShowFilterExpression=true (API_budgets_DescribeBudget.html: "Specifies whether the response
  includes the filter expression associated with the budget").
- Notifications: at most 5 per budget (API_budgets_CreateBudget.html: "A budget can have up to
  five notifications"; the Notification type's page says ten: the stricter holds here),
  CreationLimitExceededException beyond; each notification is identified by NotificationType,
  ComparisonOperator, Threshold and ThresholdType (default PERCENTAGE), a second one the same is
  DuplicateRecordException (DescribeNotificationsForBudget leaves ThresholdType out when it is
  PERCENTAGE, as AWS answers according to the Terraform provider); Threshold 0-15000000000000, at most 1000000 as a percentage
  (API_budgets_Notification.html: "The maximum limit for your threshold is 1,000,000% above the
  budgeted amount").
- Subscribers: at least one per notification, at most one SNS and ten EMAIL
  (API_budgets_NotificationWithSubscribers.html: "A notification can have one SNS subscriber and
  up to 10 email subscribers"), CreationLimitExceededException beyond, with AWS's wording "one
  notification can only have 1 subscribers with type of SNS" (as reported from a 2026 apply); an
  SNS subscriber's Address must be an SNS topic ARN (InvalidParameterException; whether the
  topic's policy lets budgets.amazonaws.com publish is not checked).
- Tags (TagResource, UntagResource, ListTagsForResource, CreateBudget's ResourceTags) on
  arn:aws:budgets::ACCOUNT:budget/NAME (Service Authorization Reference, AWS Budgets resource
  types); at most 200, keys 1-128 and values up to 256 characters (the ResourceTagList,
  ResourceTagKey and ResourceTagValue limits of API_budgets_ResourceTag.html), no key starting
  with "aws:" ("The aws: prefix is reserved for AWS use",
  https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html); an unknown ARN is
  NotFoundException.
- UpdateNotification keeps the subscribers; UpdateSubscriber keeps the subscriber limits; a
  change onto an existing notification or subscriber is DuplicateRecordException.
- Lists page with MaxResults and an opaque NextToken (DescribeBudgets 1-1000, default 100).
"""

import base64
import copy
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute
from localstack.state import StateVisitor

GLOBAL = "us-east-1"  # Budgets is global: one store per account
MAX_NOTIFICATIONS = 5
MAX_EMAIL, MAX_SNS = 10, 1
MAX_TAGS = 200
MAX_PERCENT = 1_000_000
MAX_THRESHOLD = 15_000_000_000_000
BUDGET_TYPES = {"USAGE", "COST", "RI_UTILIZATION", "RI_COVERAGE", "SAVINGS_PLANS_UTILIZATION", "SAVINGS_PLANS_COVERAGE"}
TIME_UNITS = {"DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY", "CUSTOM"}
_NAME = re.compile(r"^(?![^:\\]*/action/|(?i:.*<script>.*</script>.*))[^:\\]+$")
_AMOUNT = re.compile(r"^([0-9]*\.)?[0-9]+$")
_TOPIC = re.compile(r"^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")
_ARN = re.compile(r"^arn:aws[\w-]*:budgets::(?P<account>\d{12}):budget/(?P<name>.+)$")
_ROOTS = ("And", "Or", "Not", "Dimensions", "Tags", "CostCategories")


def _error(code: str, message: str) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=400, sender_fault=True)


def invalid(message: str) -> CommonServiceException:
    return _error("InvalidParameterException", message)


def not_found(message: str) -> CommonServiceException:
    return _error("NotFoundException", message)


def over_limit(message: str) -> CommonServiceException:
    return _error("CreationLimitExceededException", message)


def duplicate(message: str) -> CommonServiceException:
    return _error("DuplicateRecordException", message)


@dataclass
class Notification:
    spec: dict  # NotificationType, ComparisonOperator, Threshold, ThresholdType
    subscribers: list = field(default_factory=list)  # {"SubscriptionType", "Address"}

    def describe(self) -> dict:
        # AWS leaves ThresholdType out when it is PERCENTAGE (the Terraform provider's budget.go:
        # "The AWS API doesn't seem to return a ThresholdType if it's set to PERCENTAGE").
        shown = {k: v for k, v in self.spec.items() if not (k == "ThresholdType" and v == "PERCENTAGE")}
        return {**shown, "NotificationState": "OK"}


@dataclass
class Budget:
    account: str
    body: dict  # the Budget structure as stored
    notifications: list = field(default_factory=list)
    tags: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.body["BudgetName"]

    @property
    def arn(self) -> str:
        return f"arn:aws:budgets::{self.account}:budget/{self.name}"

    def describe(self, show_filter: bool) -> dict:
        body = copy.deepcopy(self.body)
        if not show_filter:
            body.pop("FilterExpression", None)
        return body


class BudgetsStore(BaseStore):
    budgets: dict[str, Budget] = LocalAttribute(default=dict)


stores = AccountRegionBundle("budgets", BudgetsStore, validate=False)


def budgets_of(account: str) -> dict[str, Budget]:
    return stores[account][GLOBAL].budgets


# --- validation ---------------------------------------------------------------------------------


def check_name(name) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise invalid("BudgetName must be 1 to 100 characters long.")
    if not _NAME.match(name):
        raise invalid(f"BudgetName {name!r} is not valid: ':' and '\\' and the '/action/' substring are not allowed.")
    return name


def check_expression(expression, path: str = "FilterExpression"):
    if not isinstance(expression, dict):
        raise invalid(f"{path} must be an object.")
    roots = [k for k in _ROOTS if expression.get(k) not in (None, [], {})]
    if len(roots) != 1:
        raise invalid(
            f"{path}: Expression has more than one roots. Only one root operator is allowed for each "
            "expression: And, Or, Not, Dimensions, Tags, CostCategories"
            if roots
            else f"{path}: an expression needs one of And, Or, Not, Dimensions, Tags, CostCategories."
        )
    root = roots[0]
    value = expression[root]
    if root in ("And", "Or"):
        if not isinstance(value, list):
            raise invalid(f"{path}.{root} must be a list of expressions.")
        for i, inner in enumerate(value):
            check_expression(inner, f"{path}.{root}[{i}]")
    elif root == "Not":
        check_expression(value, f"{path}.Not")
    elif root == "Dimensions" and not (value.get("Key") and value.get("Values")):
        raise invalid(f"{path}.Dimensions needs a Key and Values.")
    elif root in ("Tags", "CostCategories") and not value.get("Key"):
        raise invalid(f"{path}.{root} needs a Key.")


def _check_limit(body: dict):
    kind = body.get("BudgetType")
    limit, planned = body.get("BudgetLimit"), body.get("PlannedBudgetLimits")
    if limit is not None and planned:
        raise invalid("You can't use BudgetLimit with PlannedBudgetLimits.")
    if limit is None and not planned and kind in ("COST", "USAGE"):
        raise invalid(f"BudgetLimit is required for a {kind} budget.")
    if limit is not None:
        amount = limit.get("Amount")
        if not isinstance(amount, str) or not _AMOUNT.match(amount):
            raise invalid(f"BudgetLimit.Amount must be a number such as 100 or 100.5, got {amount!r}.")
        if not limit.get("Unit"):
            raise invalid("BudgetLimit.Unit is required.")


def check_budget(body) -> dict:
    """The budget as stored: checked, with AWS's defaults filled in."""
    if not isinstance(body, dict):
        raise invalid("Budget is required.")
    check_name(body.get("BudgetName"))
    if body.get("BudgetType") not in BUDGET_TYPES:
        raise invalid(f"BudgetType must be one of {', '.join(sorted(BUDGET_TYPES))}.")
    if body.get("TimeUnit") not in TIME_UNITS:
        raise invalid(f"TimeUnit must be one of {', '.join(sorted(TIME_UNITS))}.")
    _check_limit(body)
    new_style = body.get("FilterExpression") is not None or body.get("Metrics") is not None
    old_style = body.get("CostFilters") is not None or body.get("CostTypes") is not None
    if new_style and old_style:
        raise invalid("Either FilterExpression and Metrics or CostFilters and CostTypes, not both.")
    if body.get("FilterExpression") is not None:
        check_expression(body["FilterExpression"])
    stored = copy.deepcopy(body)
    now = datetime.now(UTC)
    stored.setdefault("TimePeriod", {"Start": now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)})
    stored["TimePeriod"].setdefault("End", datetime(2087, 6, 15, tzinfo=UTC))  # AWS's "no end"
    stored["LastUpdatedTime"] = now
    unit = (stored.get("BudgetLimit") or {}).get("Unit", "USD")
    zero = {"Amount": "0", "Unit": unit}
    stored["CalculatedSpend"] = {"ActualSpend": dict(zero), "ForecastedSpend": dict(zero)}
    return stored


def check_notification(spec) -> dict:
    """The notification's identity (NotificationState is not part of it)."""
    if not isinstance(spec, dict):
        raise invalid("Notification is required.")
    if spec.get("NotificationType") not in ("ACTUAL", "FORECASTED"):
        raise invalid("NotificationType must be ACTUAL or FORECASTED.")
    if spec.get("ComparisonOperator") not in ("GREATER_THAN", "LESS_THAN", "EQUAL_TO"):
        raise invalid("ComparisonOperator must be GREATER_THAN, LESS_THAN or EQUAL_TO.")
    kind = spec.get("ThresholdType") or "PERCENTAGE"
    if kind not in ("PERCENTAGE", "ABSOLUTE_VALUE"):
        raise invalid("ThresholdType must be PERCENTAGE or ABSOLUTE_VALUE.")
    threshold = spec.get("Threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise invalid("Threshold is required.")
    top = MAX_PERCENT if kind == "PERCENTAGE" else MAX_THRESHOLD
    if not 0 <= threshold <= top:
        raise invalid(f"Threshold must be between 0 and {top} for {kind}, got {threshold}.")
    return {
        "NotificationType": spec["NotificationType"],
        "ComparisonOperator": spec["ComparisonOperator"],
        "Threshold": float(threshold),
        "ThresholdType": kind,
    }


def check_subscriber(subscriber) -> dict:
    if not isinstance(subscriber, dict) or subscriber.get("SubscriptionType") not in ("SNS", "EMAIL"):
        raise invalid("SubscriptionType must be SNS or EMAIL.")
    address = subscriber.get("Address")
    if not isinstance(address, str) or not address:
        raise invalid("Address is required.")
    if subscriber["SubscriptionType"] == "SNS" and not _TOPIC.match(address):
        raise invalid(f"An SNS subscriber's Address must be an SNS topic ARN, got {address!r}.")
    return {"SubscriptionType": subscriber["SubscriptionType"], "Address": address}


def add_subscribers(notification: Notification, subscribers: list):
    """Adds subscribers within AWS's limits: one SNS and ten EMAIL per notification."""
    for s in subscribers:
        s = check_subscriber(s)
        if s in notification.subscribers:
            raise duplicate(f"Subscriber {s['SubscriptionType']} {s['Address']} already exists for this notification.")
        same = [x for x in notification.subscribers if x["SubscriptionType"] == s["SubscriptionType"]]
        top = MAX_SNS if s["SubscriptionType"] == "SNS" else MAX_EMAIL
        if len(same) >= top:
            raise over_limit(f"one notification can only have {top} subscribers with type of {s['SubscriptionType']}")
        notification.subscribers.append(s)


def add_notification(budget: Budget, spec, subscribers) -> Notification:
    key = check_notification(spec)
    if any(n.spec == key for n in budget.notifications):
        raise duplicate(f"Error creating notification: {budget.name} - the notification already exists.")
    if len(budget.notifications) >= MAX_NOTIFICATIONS:
        raise over_limit(f"one budget can only have {MAX_NOTIFICATIONS} notifications")
    if not subscribers:
        raise invalid("A notification needs at least one subscriber.")
    notification = Notification(key)
    add_subscribers(notification, subscribers)
    budget.notifications.append(notification)
    return notification


def check_tags(tags) -> dict:
    result = {}
    for tag in tags or []:
        key, value = tag.get("Key"), tag.get("Value")
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.startswith("aws:"):
            raise invalid(f"Tag key {key!r} is not valid: 1 to 128 characters, not starting with 'aws:'.")
        if not isinstance(value, str) or len(value) > 256:
            raise invalid(f"Tag value of {key!r} is not valid: at most 256 characters.")
        result[key] = value
    return result


def page(items: list, request: dict, key: str, default: int = 100, top: int = 100) -> dict:
    size = request.get("MaxResults") or default
    if not 1 <= size <= top:
        raise invalid(f"MaxResults must be between 1 and {top}.")
    start = 0
    if token := request.get("NextToken"):
        try:
            start = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
        except (ValueError, KeyError, TypeError):
            raise _error("InvalidNextTokenException", "The NextToken is not valid.") from None
    result = {key: items[start : start + size]}
    if start + size < len(items):
        result["NextToken"] = base64.urlsafe_b64encode(json.dumps({"offset": start + size}).encode()).decode()
    return result


# --- the provider -------------------------------------------------------------------------------


class BudgetsProvider:
    service = "budgets"

    def __init__(self):
        self._lock = threading.RLock()

    def accept_state_visitor(self, visitor: StateVisitor):
        visitor.visit(stores)

    @staticmethod
    def _budgets(context: RequestContext, request: dict) -> dict[str, Budget]:
        account = request.get("AccountId")
        if account != context.account_id:
            raise _error("AccessDeniedException", f"You are not authorized to access budgets of account {account}.")
        return budgets_of(account)

    def _budget(self, context, request: dict, verb: str = "get") -> Budget:
        name = request.get("BudgetName")
        budget = self._budgets(context, request).get(name)
        if budget is None:
            raise not_found(f"Unable to {verb} budget: {name} - the budget doesn't exist.")
        return budget

    @staticmethod
    def _notification(budget: Budget, spec) -> Notification:
        key = check_notification(spec)
        for n in budget.notifications:
            if n.spec == key:
                return n
        raise not_found(f"Unable to find notification in budget {budget.name}: the notification doesn't exist.")

    @handler("CreateBudget", expand=False)
    def create_budget(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budgets = self._budgets(context, request)
            body = check_budget(request.get("Budget"))
            name = body["BudgetName"]
            if name in budgets:
                raise duplicate(f"Error creating budget: {name} - the budget already exists.")
            budget = Budget(context.account_id, body)
            budget.tags = check_tags(request.get("ResourceTags"))
            if len(budget.tags) > MAX_TAGS:
                raise invalid(f"A budget can have at most {MAX_TAGS} tags.")
            for item in request.get("NotificationsWithSubscribers") or []:
                add_notification(budget, item.get("Notification"), item.get("Subscribers"))
            budgets[name] = budget
            return {}

    @handler("DescribeBudget", expand=False)
    def describe_budget(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            return {"Budget": budget.describe(bool(request.get("ShowFilterExpression")))}

    @handler("DescribeBudgets", expand=False)
    def describe_budgets(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budgets = self._budgets(context, request)
            show = bool(request.get("ShowFilterExpression"))
            items = [budgets[name].describe(show) for name in sorted(budgets)]
            return page(items, request, "Budgets", default=100, top=1000)

    @handler("UpdateBudget", expand=False)
    def update_budget(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            new = request.get("NewBudget") or {}
            budget = self._budget(context, {**request, "BudgetName": new.get("BudgetName")}, "update")
            body = check_budget(new)
            if "TimePeriod" not in new:
                body["TimePeriod"] = budget.body["TimePeriod"]
            budget.body = body
            return {}

    @handler("DeleteBudget", expand=False)
    def delete_budget(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request, "delete")
            del self._budgets(context, request)[budget.name]
            return {}

    @handler("CreateNotification", expand=False)
    def create_notification(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            add_notification(budget, request.get("Notification"), request.get("Subscribers"))
            return {}

    @handler("DeleteNotification", expand=False)
    def delete_notification(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            budget.notifications.remove(self._notification(budget, request.get("Notification")))
            return {}

    @handler("DescribeNotificationsForBudget", expand=False)
    def describe_notifications_for_budget(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            items = [n.describe() for n in budget.notifications]
            return page(items, request, "Notifications")

    @handler("UpdateNotification", expand=False)
    def update_notification(self, context: RequestContext, request: dict) -> dict:
        """The subscribers stay with the notification; the new one must not exist already."""
        with self._lock:
            budget = self._budget(context, request)
            notification = self._notification(budget, request.get("OldNotification"))
            new = check_notification(request.get("NewNotification"))
            if new != notification.spec and any(n.spec == new for n in budget.notifications):
                raise duplicate(f"Error updating notification: {budget.name} - the notification already exists.")
            notification.spec = new
            return {}

    @handler("CreateSubscriber", expand=False)
    def create_subscriber(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            notification = self._notification(budget, request.get("Notification"))
            add_subscribers(notification, [request.get("Subscriber")])
            return {}

    @handler("DeleteSubscriber", expand=False)
    def delete_subscriber(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            notification = self._notification(budget, request.get("Notification"))
            subscriber = check_subscriber(request.get("Subscriber"))
            if subscriber not in notification.subscribers:
                raise not_found(f"Subscriber {subscriber['Address']} doesn't exist for this notification.")
            notification.subscribers.remove(subscriber)
            return {}

    @handler("UpdateSubscriber", expand=False)
    def update_subscriber(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            notification = self._notification(budget, request.get("Notification"))
            old = check_subscriber(request.get("OldSubscriber"))
            if old not in notification.subscribers:
                raise not_found(f"Subscriber {old['Address']} doesn't exist for this notification.")
            others = [s for s in notification.subscribers if s != old]
            trial = Notification(notification.spec, others)
            add_subscribers(trial, [request.get("NewSubscriber")])  # the same limits and duplicates
            notification.subscribers[notification.subscribers.index(old)] = trial.subscribers[-1]
            return {}

    @handler("DescribeSubscribersForNotification", expand=False)
    def describe_subscribers_for_notification(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._budget(context, request)
            notification = self._notification(budget, request.get("Notification"))
            return page([dict(s) for s in notification.subscribers], request, "Subscribers")

    def _tagged(self, context: RequestContext, arn: str) -> Budget:
        m = _ARN.match(arn or "")
        budget = budgets_of(m["account"]).get(m["name"]) if m and m["account"] == context.account_id else None
        if budget is None:
            raise not_found(f"Unable to find resource {arn}.")
        return budget

    @handler("TagResource", expand=False)
    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._tagged(context, request.get("ResourceARN"))
            tags = {**budget.tags, **check_tags(request.get("ResourceTags"))}
            if len(tags) > MAX_TAGS:
                raise _error("ServiceQuotaExceededException", f"A budget can have at most {MAX_TAGS} tags.")
            budget.tags = tags
            return {}

    @handler("UntagResource", expand=False)
    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._tagged(context, request.get("ResourceARN"))
            for key in request.get("ResourceTagKeys") or []:
                budget.tags.pop(key, None)
            return {}

    @handler("ListTagsForResource", expand=False)
    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            budget = self._tagged(context, request.get("ResourceARN"))
            return {"ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(budget.tags.items())]}
