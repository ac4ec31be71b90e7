"""Budgets and Cost Explorer's cost allocation tags, as strict as AWS on what provision relies on
(provision_ext/budgets.py and cost_explorer.py cite the pages)."""

import random

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from support import ENDPOINT, internal

TOPIC = "arn:aws:sns:us-east-2:{account}:alarms"
EXPRESSION = {
    "And": [
        {"Tags": {"Key": "provision:env", "Values": ["staging"], "MatchOptions": ["EQUALS"]}},
        {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["111111111111"]}},
    ]
}


def notification(kind="ACTUAL", threshold=100.0):
    return {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN", "Threshold": threshold}


def budget(name="staging", amount="120", **extra):
    return {
        "BudgetName": name,
        "BudgetLimit": {"Amount": amount, "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
        **extra,
    }


def other_account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


def code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


@pytest.fixture
def budgets(aws, account):
    # boto3's own checks off: the Rust SDK sends what it is given, so the server must refuse.
    config = Config(parameter_validation=False, retries={"total_max_attempts": 1})
    client = boto3.client("budgets", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id=account,
                          aws_secret_access_key="test", config=config)

    def call(operation: str, **kwargs):
        return getattr(client, operation)(AccountId=account, **kwargs)

    call.client = client
    return call


def test_a_budget_with_notifications_tags_and_filter_round_trips(budgets, account):
    topic = TOPIC.format(account=account)
    budgets(
        "create_budget",
        Budget=budget(FilterExpression=EXPRESSION),
        NotificationsWithSubscribers=[
            {"Notification": notification("FORECASTED", 80), "Subscribers": [{"SubscriptionType": "SNS", "Address": topic}]},
            {"Notification": notification(), "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}]},
        ],
        ResourceTags=[{"Key": "provision:env", "Value": "staging"}],
    )
    described = budgets("describe_budget", BudgetName="staging", ShowFilterExpression=True)["Budget"]
    assert described["BudgetLimit"] == {"Amount": "120", "Unit": "USD"}
    assert described["FilterExpression"] == EXPRESSION
    # Without ShowFilterExpression the filter is left out, as AWS does.
    assert "FilterExpression" not in budgets("describe_budget", BudgetName="staging")["Budget"]
    notes = budgets("describe_notifications_for_budget", BudgetName="staging")["Notifications"]
    # PERCENTAGE is the default, and AWS leaves it out of the answer.
    assert [(n["NotificationType"], n["Threshold"], n.get("ThresholdType")) for n in notes] == [
        ("FORECASTED", 80.0, None),
        ("ACTUAL", 100.0, None),
    ]
    subs = budgets("describe_subscribers_for_notification", BudgetName="staging", Notification=notification("FORECASTED", 80))
    assert subs["Subscribers"] == [{"SubscriptionType": "SNS", "Address": topic}]
    arn = f"arn:aws:budgets::{account}:budget/staging"
    assert budgets.client.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "provision:env", "Value": "staging"}
    ]
    budgets.client.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "owner", "Value": "ops"}])
    budgets.client.untag_resource(ResourceARN=arn, ResourceTagKeys=["provision:env"])
    assert budgets.client.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "owner", "Value": "ops"}]


def test_update_changes_the_limit_and_delete_removes_the_budget(budgets):
    budgets("create_budget", Budget=budget())
    budgets("update_budget", NewBudget=budget(amount="250.5"))
    assert budgets("describe_budget", BudgetName="staging")["Budget"]["BudgetLimit"]["Amount"] == "250.5"
    budgets("delete_budget", BudgetName="staging")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("describe_budget", BudgetName="staging")
    assert code(e) == "NotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("update_budget", NewBudget=budget())
    assert code(e) == "NotFoundException"


def test_notifications_and_subscribers_are_updated_in_place(budgets, account):
    topic = TOPIC.format(account=account)
    email = {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}
    budgets(
        "create_budget",
        Budget=budget(),
        NotificationsWithSubscribers=[
            {"Notification": notification(threshold=t), "Subscribers": [email, {"SubscriptionType": "SNS", "Address": topic}]}
            for t in (80, 100)
        ],
    )
    budgets("update_notification", BudgetName="staging", OldNotification=notification(threshold=80),
            NewNotification=notification("FORECASTED", 90))
    with pytest.raises(botocore.exceptions.ClientError) as e:  # onto the other one
        budgets("update_notification", BudgetName="staging", OldNotification=notification("FORECASTED", 90),
                NewNotification=notification(threshold=100))
    assert code(e) == "DuplicateRecordException"
    moved = notification("FORECASTED", 90)
    subs = budgets("describe_subscribers_for_notification", BudgetName="staging", Notification=moved)["Subscribers"]
    assert len(subs) == 2  # the subscribers went with it
    new_email = {"SubscriptionType": "EMAIL", "Address": "oncall@example.com"}
    budgets("update_subscriber", BudgetName="staging", Notification=moved, OldSubscriber=email, NewSubscriber=new_email)
    subs = budgets("describe_subscribers_for_notification", BudgetName="staging", Notification=moved)["Subscribers"]
    assert new_email in subs and email not in subs
    with pytest.raises(botocore.exceptions.ClientError) as e:  # a second SNS subscriber
        budgets("update_subscriber", BudgetName="staging", Notification=moved, OldSubscriber=new_email,
                NewSubscriber={"SubscriptionType": "SNS", "Address": topic + "-2"})
    assert code(e) == "CreationLimitExceededException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("update_subscriber", BudgetName="staging", Notification=moved, OldSubscriber=email, NewSubscriber=email)
    assert code(e) == "NotFoundException"


def test_a_second_budget_of_a_name_is_a_duplicate(budgets):
    budgets("create_budget", Budget=budget())
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("create_budget", Budget=budget(amount="5"))
    assert code(e) == "DuplicateRecordException"
    assert "the budget already exists" in str(e.value)


@pytest.mark.parametrize(
    "body, why",
    [
        (budget(name="a:b"), "colon"),
        (budget(name="a\\b"), "backslash"),
        (budget(name="x/action/y"), "/action/"),
        (budget(name="n" * 101), "101 characters"),
        (budget(amount="12,5"), "amount not a number"),
        (budget(amount="-3"), "negative amount"),
        ({**budget(), "BudgetLimit": None}, "no limit on a cost budget"),
        (budget(PlannedBudgetLimits={"1700000000": {"Amount": "1", "Unit": "USD"}}), "limit and planned limits"),
        (budget(FilterExpression=EXPRESSION, CostFilters={"Service": ["Amazon RDS"]}), "filter styles mixed"),
        (budget(FilterExpression={**EXPRESSION, "Tags": {"Key": "k"}}), "two roots"),
        (budget(FilterExpression={"Dimensions": {"Key": "REGION"}}), "dimension without values"),
        (budget(TimeUnit="WEEKLY"), "time unit"),
    ],
)
def test_invalid_budgets_are_refused(budgets, body, why):
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("create_budget", Budget=body)
    assert code(e) == "InvalidParameterException", why


def test_at_most_five_notifications_per_budget(budgets, account):
    email = [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}]
    budgets(
        "create_budget",
        Budget=budget(),
        NotificationsWithSubscribers=[{"Notification": notification(threshold=t), "Subscribers": email} for t in (50, 60, 70, 80)],
    )
    budgets("create_notification", BudgetName="staging", Notification=notification(threshold=90), Subscribers=email)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("create_notification", BudgetName="staging", Notification=notification(threshold=95), Subscribers=email)
    assert code(e) == "CreationLimitExceededException"
    with pytest.raises(botocore.exceptions.ClientError) as e:  # the same notification again
        budgets("create_notification", BudgetName="staging", Notification=notification(threshold=90), Subscribers=email)
    assert code(e) == "DuplicateRecordException"
    budgets("delete_notification", BudgetName="staging", Notification=notification(threshold=90))
    assert len(budgets("describe_notifications_for_budget", BudgetName="staging")["Notifications"]) == 4
    six = [{"Notification": notification(threshold=t), "Subscribers": email} for t in range(1, 7)]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("create_budget", Budget=budget(name="six"), NotificationsWithSubscribers=six)
    assert code(e) == "CreationLimitExceededException"


def test_one_sns_and_ten_email_subscribers_per_notification(budgets, account):
    topic = TOPIC.format(account=account)
    emails = [{"SubscriptionType": "EMAIL", "Address": f"p{i}@example.com"} for i in range(10)]
    budgets(
        "create_budget",
        Budget=budget(),
        NotificationsWithSubscribers=[{"Notification": notification(), "Subscribers": emails}],
    )
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("create_subscriber", BudgetName="staging", Notification=notification(),
                Subscriber={"SubscriptionType": "EMAIL", "Address": "p10@example.com"})
    assert code(e) == "CreationLimitExceededException"
    sns = {"SubscriptionType": "SNS", "Address": topic}
    budgets("create_subscriber", BudgetName="staging", Notification=notification(), Subscriber=sns)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("create_subscriber", BudgetName="staging", Notification=notification(),
                Subscriber={"SubscriptionType": "SNS", "Address": topic + "-2"})
    assert code(e) == "CreationLimitExceededException"
    assert "1 subscribers with type of SNS" in str(e.value)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        budgets("create_notification", BudgetName="staging", Notification=notification("FORECASTED", 80),
                Subscribers=[{"SubscriptionType": "SNS", "Address": "not-a-topic"}])
    assert code(e) == "InvalidParameterException"
    subs = budgets("describe_subscribers_for_notification", BudgetName="staging", Notification=notification())
    assert len(subs["Subscribers"]) == 11


def test_budgets_are_per_account_and_page(aws, budgets, account):
    for i in range(3):
        budgets("create_budget", Budget=budget(name=f"b{i}"))
    first = budgets("describe_budgets", MaxResults=2)
    assert [b["BudgetName"] for b in first["Budgets"]] == ["b0", "b1"]
    rest = budgets("describe_budgets", MaxResults=2, NextToken=first["NextToken"])
    assert [b["BudgetName"] for b in rest["Budgets"]] == ["b2"] and "NextToken" not in rest
    other = aws("budgets", region="us-east-1", account_id=other_account())
    with pytest.raises(botocore.exceptions.ClientError) as e:  # another account's id
        other.describe_budgets(AccountId=account)
    assert code(e) == "AccessDeniedException"


def test_cost_allocation_tags_are_activated_once_seen(aws, account):
    ce = aws("ce", region="us-east-1")
    assert ce.list_cost_allocation_tags()["CostAllocationTags"] == []
    errors = ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[{"TagKey": "provision:env", "Status": "Active"}])
    assert [e["TagKey"] for e in errors["Errors"]] == ["provision:env"]  # not seen by billing yet
    status, _ = internal("POST", "/_provision/ce/cost-allocation-tags", {"account_id": account, "tag_keys": ["provision:env"]})
    assert status == 200
    tags = ce.list_cost_allocation_tags(TagKeys=["provision:env"])["CostAllocationTags"]
    assert [(t["TagKey"], t["Type"], t["Status"]) for t in tags] == [("provision:env", "UserDefined", "Inactive")]
    assert ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[{"TagKey": "provision:env", "Status": "Active"}])["Errors"] == []
    assert [t["TagKey"] for t in ce.list_cost_allocation_tags(Status="Active")["CostAllocationTags"]] == ["provision:env"]
    assert ce.list_cost_allocation_tags(Status="Inactive")["CostAllocationTags"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ce.update_cost_allocation_tags_status(
            CostAllocationTagsStatus=[{"TagKey": f"k{i}", "Status": "Active"} for i in range(21)]
        )
    assert code(e) == "ValidationException"
    # The other account has none.
    assert aws("ce", region="us-east-1", account_id=other_account()).list_cost_allocation_tags()["CostAllocationTags"] == []


def test_a_linked_account_cannot_activate_cost_allocation_tags(aws, account):
    status, _ = internal("POST", "/_provision/ce/cost-allocation-tags", {"account_id": account, "tag_keys": ["team"], "linked": True})
    assert status == 200
    with pytest.raises(botocore.exceptions.ClientError) as e:
        aws("ce", region="us-east-1").update_cost_allocation_tags_status(CostAllocationTagsStatus=[{"TagKey": "team", "Status": "Active"}])
    assert code(e) == "AccessDeniedException"
    assert "Linked account doesn't have access to cost allocation tags" in str(e.value)
    assert internal("POST", "/_provision/ce/cost-allocation-tags", {"account_id": "12", "tag_keys": []})[0] == 400
