//! AWS Budgets: the environment's monthly cost budget. Its id is its ARN,
//! `arn:aws:budgets::ACCOUNT:budget/NAME` (Service Authorization Reference, AWS Budget
//! Service resource types); every Budgets call takes the account and the name instead.
//!
//! Budgets is global and lists every budget of the account at once (`DescribeBudgets`, with
//! `ShowFilterExpression` so the scope comes back): a read pass keeps those whose name starts
//! with the project and carries the environment (validation requires both) or whose ARN the
//! state recorded, and reads their tags, notifications and subscribers one by one. The
//! account comes from a recorded ARN (the budget's or the alarm topic's); with none recorded
//! (a first plan, a lost state) from STS `GetCallerIdentity`.
//!
//! Cost Explorer's `ListCostAllocationTags` says whether the scope's tag keys are active cost
//! allocation tags: a budget filtered by an inactive key counts nothing (`cost_allocation`).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_budgets::Client;
use aws_sdk_budgets::types::{
    BudgetType, ComparisonOperator, Expression, Metric, Notification, NotificationType,
    NotificationWithSubscribers, ResourceTag, Spend, Subscriber, SubscriptionType, TagValues,
    ThresholdType, TimeUnit,
};

use super::errors::Code::Is;
use super::errors::ErrorClass::{Exists, Gone, Refused};
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::kind::AwsKind;
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::{AwsError, Op, Resolver, sdk_err};
use crate::model::*;

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <Budgets as super::Service>::ERRORS;

/// A budget's ARN.
pub fn budget_arn(account: &str, name: &str) -> String {
    format!("arn:aws:budgets::{account}:budget/{name}")
}

/// (account, name) of a budget's ARN.
fn parts(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(":budgets::")?;
    rest.split_once(":budget/")
}

/// The account in an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`).
fn account_in(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// A notification as the read found it, before its topic becomes a reference.
#[derive(Debug)]
struct ReadNotification {
    kind: String,
    comparison: String,
    threshold: f64,
    threshold_type: String,
    topic: Option<String>,
    emails: BTreeSet<String>,
}

#[derive(Debug)]
struct ReadBudget {
    arn: String,
    tags: Tags,
    name: String,
    budget_type: String,
    time_unit: String,
    limit: String,
    scope: BTreeMap<String, String>,
    notifications: Vec<ReadNotification>,
}

#[derive(Debug, Default)]
pub struct Raw {
    budgets: Vec<ReadBudget>,
}

/// The account this run works in.
async fn account(b: &Budgets, claims: &Claims) -> Result<String, AwsError> {
    let recorded = claims
        .recorded_ids(Kind::Budget)
        .into_iter()
        .chain(claims.recorded_ids(Kind::AlarmTopic));
    if let Some(account) = recorded
        .filter_map(|id| account_in(&id).map(str::to_owned))
        .next()
    {
        return Ok(account);
    }
    let out = b.sts.get_caller_identity().send().await.map_err(sdk_err(
        ERRORS,
        "the AWS account",
        "GetCallerIdentity",
    ))?;
    out.account()
        .map(str::to_owned)
        .ok_or_else(|| AwsError::Invalid {
            resource: "the AWS account".into(),
            message: "GetCallerIdentity answered without an account".into(),
        })
}

async fn read(b: &Budgets, claims: &Claims) -> Result<Raw, AwsError> {
    let what = format!("budgets of {}", claims.owner);
    let account = account(b, claims).await?;
    let recorded = claims.recorded_ids(Kind::Budget);
    let mut candidates = Vec::new();
    let mut pages = b
        .client
        .describe_budgets()
        .account_id(&account)
        .show_filter_expression(true)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, &what, "DescribeBudgets"))?;
        for budget in p.budgets() {
            let name = budget.budget_name();
            let arn = budget_arn(&account, name);
            let ours =
                name.starts_with(&claims.owner.project) && names_env(name, &claims.owner.env);
            if ours || recorded.contains(&arn) {
                candidates.push((arn, budget.clone()));
            }
        }
    }
    let mut budgets = Vec::new();
    for (arn, budget) in candidates {
        let Some(tags) = super::unless_gone(tags_of(&b.client, &what, &arn).await)? else {
            continue;
        };
        if claims.address(&arn, Kind::Budget, &tags).is_none() {
            continue;
        }
        let name = budget.budget_name();
        let notifications = notifications(&b.client, &what, &account, name).await;
        let Some(notifications) = super::unless_gone(notifications)? else {
            continue;
        };
        budgets.push(ReadBudget {
            arn,
            tags,
            name: name.to_owned(),
            budget_type: budget.budget_type().as_str().to_owned(),
            time_unit: budget.time_unit().as_str().to_owned(),
            limit: budget.budget_limit().map(amount).unwrap_or_default(),
            scope: scope_of(budget.filter_expression()),
            notifications,
        });
    }
    Ok(Raw { budgets })
}

/// A limit as `usd` writes it (AWS answers `170.0`); what does not parse, as AWS wrote it.
fn amount(spend: &Spend) -> String {
    match spend.amount().parse::<f64>() {
        Ok(v) if spend.unit() == "USD" => usd(v),
        _ => format!("{} {}", spend.amount(), spend.unit()),
    }
}

/// The tags a filter expression requires, as the spec writes them: `Tags`, or an `And` of
/// them, each with one value. Anything else is kept as text under `filter`, so it differs
/// from any spec and a plan puts the scope back.
fn scope_of(expression: Option<&Expression>) -> BTreeMap<String, String> {
    let Some(e) = expression else {
        return BTreeMap::new();
    };
    let terms: Vec<&Expression> = if e.and().is_empty() {
        vec![e]
    } else {
        e.and().iter().collect()
    };
    let tags: Option<BTreeMap<String, String>> = terms
        .iter()
        .map(
            |t| match (t.tags(), t.and().is_empty() && t.or().is_empty()) {
                (Some(tv), true) if tv.values().len() == 1 => {
                    Some((tv.key()?.to_owned(), tv.values()[0].clone()))
                }
                _ => None,
            },
        )
        .collect();
    tags.unwrap_or_else(|| [("filter".to_owned(), format!("{e:?}"))].into())
}

fn expression_of(scope: &BTreeMap<String, String>) -> Option<Expression> {
    let mut terms: Vec<Expression> = scope
        .iter()
        .map(|(k, v)| {
            let tv = TagValues::builder().key(k).values(v).build();
            Expression::builder().tags(tv).build()
        })
        .collect();
    match terms.len() {
        0 => None,
        1 => terms.pop(),
        _ => Some(Expression::builder().set_and(Some(terms)).build()),
    }
}

async fn tags_of(client: &Client, res: &str, arn: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListTagsForResource"))?;
    Ok(out
        .resource_tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

async fn notifications(
    client: &Client,
    res: &str,
    account: &str,
    name: &str,
) -> Result<Vec<ReadNotification>, AwsError> {
    let mut found = Vec::new();
    let mut pages = client
        .describe_notifications_for_budget()
        .account_id(account)
        .budget_name(name)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, res, "DescribeNotificationsForBudget"))?;
        found.extend(p.notifications().iter().cloned());
    }
    let mut out = Vec::new();
    for n in found {
        let mut read = ReadNotification {
            kind: n.notification_type().as_str().to_owned(),
            comparison: n.comparison_operator().as_str().to_owned(),
            threshold: n.threshold(),
            // AWS leaves ThresholdType out when it is PERCENTAGE (the Terraform provider's
            // aws_budgets_budget reads a missing one so).
            threshold_type: n
                .threshold_type()
                .map_or("PERCENTAGE", |t| t.as_str())
                .to_owned(),
            topic: None,
            emails: BTreeSet::new(),
        };
        let mut pages = client
            .describe_subscribers_for_notification()
            .account_id(account)
            .budget_name(name)
            .notification(n)
            .into_paginator()
            .send();
        while let Some(p) = pages.next().await {
            let p = p.map_err(sdk_err(ERRORS, res, "DescribeSubscribersForNotification"))?;
            for s in p.subscribers() {
                match s.subscription_type() {
                    SubscriptionType::Sns => read.topic = Some(s.address().to_owned()),
                    _ => {
                        read.emails.insert(s.address().to_owned());
                    }
                }
            }
        }
        out.push(read);
    }
    Ok(out)
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        self.budgets
            .iter()
            .map(|b| (b.arn.clone(), b.tags.clone()))
            .collect()
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut found = Found::default();
        for b in self.budgets {
            let Some(address) = claims.address(&b.arn, Kind::Budget, &b.tags) else {
                continue;
            };
            let mut notifications: Vec<BudgetNotification> = b
                .notifications
                .into_iter()
                .map(|n| BudgetNotification {
                    notification_type: n.kind,
                    comparison: n.comparison,
                    threshold: Threshold(n.threshold),
                    threshold_type: n.threshold_type,
                    topic: n.topic.map(|t| ids.to_ref(&t)),
                    emails: n.emails,
                })
                .collect();
            sort(&mut notifications);
            let attrs = Attrs::Budget(BudgetAttrs {
                name: b.name,
                budget_type: b.budget_type,
                time_unit: b.time_unit,
                limit_usd: b.limit,
                scope: b.scope,
                notifications,
            });
            found.insert(
                address,
                LiveResource {
                    id: b.arn,
                    attrs,
                    tags: b.tags,
                    pending: BTreeMap::new(),
                },
            );
        }
        found
    }
}

/// Notifications in the order the spec lists them: by type, then threshold.
fn sort(notifications: &mut [BudgetNotification]) {
    notifications.sort_by(|a, b| {
        (&a.notification_type, a.threshold.0)
            .partial_cmp(&(&b.notification_type, b.threshold.0))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// What tells a notification apart for AWS: type, comparison, threshold and its type.
fn identity(n: &BudgetNotification) -> (String, String, u64, String) {
    (
        n.notification_type.clone(),
        n.comparison.clone(),
        n.threshold.0.to_bits(),
        n.threshold_type.clone(),
    )
}

fn notification(n: &BudgetNotification) -> Result<Notification, String> {
    Notification::builder()
        .notification_type(NotificationType::from(n.notification_type.as_str()))
        .comparison_operator(ComparisonOperator::from(n.comparison.as_str()))
        .threshold(n.threshold.0)
        .threshold_type(ThresholdType::from(n.threshold_type.as_str()))
        .build()
        .map_err(|e| e.to_string())
}

/// A notification's subscribers, the topic resolved through `ids`.
fn subscribers(n: &BudgetNotification, ids: &Resolver<'_>) -> Result<Vec<Subscriber>, AwsError> {
    let mut out = Vec::new();
    if let Some(topic) = &n.topic {
        out.push((SubscriptionType::Sns, ids.id(topic)?));
    }
    out.extend(
        n.emails
            .iter()
            .map(|e| (SubscriptionType::Email, e.clone())),
    );
    out.into_iter()
        .map(|(kind, address)| {
            Subscriber::builder()
                .subscription_type(kind)
                .address(address)
                .build()
                .map_err(|e| AwsError::Invalid {
                    resource: "a budget subscriber".into(),
                    message: e.to_string(),
                })
        })
        .collect()
}

fn budget(op: &Op<'_>, a: &BudgetAttrs) -> Result<aws_sdk_budgets::types::Budget, AwsError> {
    let limit = Spend::builder()
        .amount(&a.limit_usd)
        .unit("USD")
        .build()
        .map_err(|e| op.invalid(&e.to_string()))?;
    aws_sdk_budgets::types::Budget::builder()
        .budget_name(&a.name)
        .budget_type(BudgetType::from(a.budget_type.as_str()))
        .time_unit(TimeUnit::from(a.time_unit.as_str()))
        .budget_limit(limit)
        .set_filter_expression(expression_of(&a.scope))
        // What the budget sums: unblended costs, as AWS Budgets tracks by default.
        .metrics(Metric::UnblendedCost)
        .build()
        .map_err(|e| op.invalid(&e.to_string()))
}

fn attrs<'a>(op: &Op<'_>, attrs: &'a Attrs) -> Result<&'a BudgetAttrs, AwsError> {
    match attrs {
        Attrs::Budget(a) => Ok(a),
        other => Err(op.invalid(&format!("{} is not a budget", other.kind()))),
    }
}

/// The account a budget is made in: its alarm topic's (Budgets notifies topics of its own
/// account only: "Cross-account Amazon SNS isn't supported", Cost Management guide).
fn account_of(op: &Op<'_>, a: &BudgetAttrs) -> Result<String, AwsError> {
    if let Some((account, _)) = parts(op.id()) {
        return Ok(account.to_owned());
    }
    let topic = a.notifications.iter().find_map(|n| n.topic.as_ref());
    let arn = match topic {
        Some(t) => op.ids.id(t)?,
        None => String::new(),
    };
    account_in(&arn)
        .map(str::to_owned)
        .ok_or_else(|| op.invalid("has no alarm topic to tell the account by"))
}

async fn create(b: &Budgets, op: &Op<'_>) -> Result<String, AwsError> {
    let a = attrs(op, op.after()?)?;
    let account = account_of(op, a)?;
    let mut with = Vec::new();
    for n in &a.notifications {
        let built = NotificationWithSubscribers::builder()
            .notification(notification(n).map_err(|e| op.invalid(&e))?)
            .set_subscribers(Some(subscribers(n, &op.ids)?))
            .build()
            .map_err(|e| op.invalid(&e.to_string()))?;
        with.push(built);
    }
    let tags: Vec<ResourceTag> = op
        .tags()
        .iter()
        .filter_map(|(k, v)| ResourceTag::builder().key(k).value(v).build().ok())
        .collect();
    b.client
        .create_budget()
        .account_id(&account)
        .budget(budget(op, a)?)
        .set_notifications_with_subscribers(Some(with))
        .set_resource_tags(Some(tags))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &op.resource(), "CreateBudget"))?;
    Ok(budget_arn(&account, &a.name))
}

async fn update(b: &Budgets, op: &Op<'_>) -> Result<(), AwsError> {
    let (before, after) = (attrs(op, op.before()?)?, attrs(op, op.after()?)?);
    let account = account_of(op, after)?;
    let res = op.resource();
    let same_budget = (&before.limit_usd, &before.scope, &before.time_unit)
        == (&after.limit_usd, &after.scope, &after.time_unit);
    if !same_budget {
        b.client
            .update_budget()
            .account_id(&account)
            .new_budget(budget(op, after)?)
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "UpdateBudget"))?;
    }
    let old: BTreeMap<_, _> = before
        .notifications
        .iter()
        .map(|n| (identity(n), n))
        .collect();
    let new: BTreeMap<_, _> = after
        .notifications
        .iter()
        .map(|n| (identity(n), n))
        .collect();
    for (key, n) in &old {
        if !new.contains_key(key) {
            b.client
                .delete_notification()
                .account_id(&account)
                .budget_name(&after.name)
                .notification(notification(n).map_err(|e| op.invalid(&e))?)
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "DeleteNotification"))?;
        }
    }
    for (key, n) in &new {
        match old.get(key) {
            None => create_notification(b, op, &account, &after.name, n).await?,
            Some(was) => resubscribe(b, op, &account, &after.name, was, n).await?,
        }
    }
    Ok(())
}

async fn create_notification(
    b: &Budgets,
    op: &Op<'_>,
    account: &str,
    name: &str,
    n: &BudgetNotification,
) -> Result<(), AwsError> {
    b.client
        .create_notification()
        .account_id(account)
        .budget_name(name)
        .notification(notification(n).map_err(|e| op.invalid(&e))?)
        .set_subscribers(Some(subscribers(n, &op.ids)?))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &op.resource(), "CreateNotification"))?;
    Ok(())
}

/// One notification's subscribers from `was` to `now`: new ones first, so it is never left
/// without one (AWS requires at least one).
async fn resubscribe(
    b: &Budgets,
    op: &Op<'_>,
    account: &str,
    name: &str,
    was: &BudgetNotification,
    now: &BudgetNotification,
) -> Result<(), AwsError> {
    let res = op.resource();
    let old = subscribers(was, &op.old)?;
    let new = subscribers(now, &op.ids)?;
    let n = notification(now).map_err(|e| op.invalid(&e))?;
    for s in new.iter().filter(|s| !old.contains(s)) {
        b.client
            .create_subscriber()
            .account_id(account)
            .budget_name(name)
            .notification(n.clone())
            .subscriber(s.clone())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "CreateSubscriber"))?;
    }
    for s in old.iter().filter(|s| !new.contains(s)) {
        let r = b
            .client
            .delete_subscriber()
            .account_id(account)
            .budget_name(name)
            .notification(n.clone())
            .subscriber(s.clone())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "DeleteSubscriber"));
        super::unless_gone(r)?;
    }
    Ok(())
}

async fn retag(
    b: &Budgets,
    op: &Op<'_>,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let res = op.resource();
    if !set.is_empty() {
        let tags: Vec<ResourceTag> = set
            .iter()
            .filter_map(|(k, v)| ResourceTag::builder().key(k).value(v).build().ok())
            .collect();
        b.client
            .tag_resource()
            .resource_arn(op.id())
            .set_resource_tags(Some(tags))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "TagResource"))?;
    }
    if !remove.is_empty() {
        b.client
            .untag_resource()
            .resource_arn(op.id())
            .set_resource_tag_keys(Some(remove.iter().cloned().collect()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "UntagResource"))?;
    }
    Ok(())
}

async fn delete(b: &Budgets, op: &Op<'_>) -> Result<(), AwsError> {
    let Some((account, name)) = parts(op.id()) else {
        return Err(op.invalid(&format!("`{}` is not a budget ARN", op.id())));
    };
    let r = b
        .client
        .delete_budget()
        .account_id(account)
        .budget_name(name)
        .send()
        .await
        .map_err(sdk_err(ERRORS, &op.resource(), "DeleteBudget"));
    super::unless_gone(r).map(drop)
}

impl super::Aws {
    /// The keys among `keys` that are not active cost allocation tags of the account
    /// (Cost Explorer `ListCostAllocationTags`): AWS's billing tools, budgets among them, see
    /// a user-defined tag only once it is activated. A key AWS has not seen yet is not listed
    /// at all, and so is inactive too. Sorted.
    pub async fn inactive_cost_tags(&self, keys: &[String]) -> Result<Vec<String>, AwsError> {
        let mut active = BTreeSet::new();
        let mut pages = self
            .costexplorer
            .list_cost_allocation_tags()
            .set_tag_keys(Some(keys.to_vec()))
            .into_paginator()
            .send();
        while let Some(p) = pages.next().await {
            let p = p.map_err(sdk_err(
                ERRORS,
                "the cost allocation tags",
                "ListCostAllocationTags",
            ))?;
            active.extend(
                p.cost_allocation_tags()
                    .iter()
                    .filter(|t| t.status().as_str() == "Active")
                    .map(|t| t.tag_key().to_owned()),
            );
        }
        let mut inactive: Vec<String> = keys
            .iter()
            .filter(|k| !active.contains(*k))
            .cloned()
            .collect();
        inactive.sort();
        Ok(inactive)
    }
}

/// AWS Budgets as a `Service`, with STS to tell the account and Cost Explorer for the cost
/// allocation tags.
pub struct Budgets {
    client: Client,
    sts: aws_sdk_sts::Client,
}

impl super::Service for Budgets {
    type Client = Client;
    type Raw = Raw;
    // Budgets API reference, Common Errors and each operation's Errors: NotFoundException
    // (no such budget, notification or subscriber), DuplicateRecordException (the name, the
    // notification or the subscriber exists), InvalidParameterException and
    // CreationLimitExceededException (AWS's limits: 5 notifications, 1 SNS and 10 e-mail
    // subscribers each).
    const ERRORS: ErrorTable = &[
        (None, Is("NotFoundException"), Gone),
        (None, Is("DuplicateRecordException"), Exists),
        (None, Is("InvalidParameterException"), Refused),
        (None, Is("CreationLimitExceededException"), Refused),
    ];

    fn new(aws: &super::Aws) -> Self {
        Budgets {
            client: aws.budgets.clone(),
            sts: aws.sts.clone(),
        }
    }

    async fn read(&self, claims: &Claims, _tags: &TagIndex) -> Result<Raw, AwsError> {
        read(self, claims).await
    }
}

impl AwsKind for crate::kinds::budget::Budget {
    type Service = Budgets;

    async fn not_found(b: &Budgets, address: &Address, id: &str) -> Option<AwsError> {
        let (account, name) = parts(id)?;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeBudget",
            b.client
                .describe_budget()
                .account_id(account)
                .budget_name(name)
        )
    }

    async fn tags_now(b: &Budgets, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        super::unless_gone(tags_of(&b.client, &op.resource(), op.id()).await)
    }

    async fn create(b: &Budgets, op: &Op<'_>) -> Result<String, AwsError> {
        create(b, op).await
    }

    async fn update(b: &Budgets, op: &Op<'_>) -> Result<(), AwsError> {
        update(b, op).await
    }

    async fn retag(
        b: &Budgets,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        retag(b, op, set, remove).await
    }

    async fn delete(b: &Budgets, op: &Op<'_>) -> Result<(), AwsError> {
        delete(b, op).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_give_their_account_and_name() {
        let arn = budget_arn("123456789012", "agentpass-staging-monthly");
        assert_eq!(
            arn,
            "arn:aws:budgets::123456789012:budget/agentpass-staging-monthly"
        );
        assert_eq!(
            parts(&arn),
            Some(("123456789012", "agentpass-staging-monthly"))
        );
        assert_eq!(account_in(&arn), Some("123456789012"));
        assert_eq!(
            account_in("arn:aws:sns:us-east-2:000000000000:agentpass-staging-alarms"),
            Some("000000000000")
        );
        assert_eq!(parts("arn:aws:sns:us-east-2:1:t"), None);
    }

    #[test]
    fn a_scope_reads_back_as_it_was_written() {
        let scope: BTreeMap<String, String> = [
            ("provision:env".to_owned(), "staging".to_owned()),
            ("provision:project".to_owned(), "agentpass".to_owned()),
        ]
        .into();
        assert_eq!(scope_of(expression_of(&scope).as_ref()), scope);
        let one: BTreeMap<String, String> = [("k".to_owned(), "v".to_owned())].into();
        assert_eq!(scope_of(expression_of(&one).as_ref()), one);
        assert_eq!(scope_of(None), BTreeMap::new());
        // Anything else differs from every spec.
        let other = Expression::builder()
            .tags(
                TagValues::builder()
                    .key("k")
                    .values("a")
                    .values("b")
                    .build(),
            )
            .build();
        assert!(scope_of(Some(&other)).contains_key("filter"));
    }

    #[test]
    fn limits_read_as_the_spec_writes_them() {
        let spend = |a: &str, u: &str| Spend::builder().amount(a).unit(u).build().unwrap();
        assert_eq!(amount(&spend("170.0", "USD")), "170");
        assert_eq!(amount(&spend("99.5", "USD")), "99.5");
        assert_eq!(amount(&spend("170", "EUR")), "170 EUR");
    }
}
