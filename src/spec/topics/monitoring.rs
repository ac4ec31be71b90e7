//! The monitoring topic: an SNS topic for alarms (with optional e-mail subscriptions), one
//! CloudWatch alarm per watched metric with the spec's thresholds, and one dashboard per
//! environment showing those metrics. Every name carries the environment, so two environments
//! never share one (`isolation.rs`).
//!
//! Where they live: the topic, its subscriptions, the dashboard and the alarms on shared
//! resources (the API, the NAT gateway) in `shared`; the database and backend alarms in
//! `backend`; the console's in `console`. Nothing in `shared` refers to the other stacks: the
//! dashboard names metrics by the spec's names and the NAT gateway's id, and graphs the load
//! balancers (whose dimension exists only once each Beanstalk environment does) through their
//! alarms, by name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::spec::desired::{Builder, addr};
use crate::spec::layer::S;
use crate::spec::resolve::{At, Pair};
use crate::spec::topics::beanstalk::env_address;
use crate::spec::topics::network::nat_gateway;
use crate::spec::types::{EnvSpec, LoadBalancer};
use crate::spec::validate::Cx;

// ---- TOML layer ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringLayer {
    pub topic: Option<S<String>>,
    pub dashboard: Option<S<String>>,
    /// Alarms are named `{alarm_prefix}-{alarm}`.
    pub alarm_prefix: Option<S<String>>,
    pub emails: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    pub alarms: BTreeMap<String, S<AlarmLayer>>,
    pub budget: Option<S<BudgetLayer>>,
}

/// `[monitoring.budget]`: a monthly cost budget notifying the alarm topic and the e-mails.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetLayer {
    pub name: Option<S<String>>,
    /// USD a month; default: the environment's estimate (`provision cost`), rounded up.
    pub limit: Option<S<f64>>,
    /// Percent of the limit the month's forecast may reach before a notification.
    pub forecasted_percent: Option<S<f64>>,
    /// Percent of the limit the month's actual cost may reach before a notification.
    pub actual_percent: Option<S<f64>>,
    /// `tags` (what carries the environment's ownership tags) or `account` (everything the
    /// account is billed: for an environment with an account of its own).
    pub scope: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmLayer {
    pub threshold: Option<S<f64>>,
    /// `>`, `>=`, `<` or `<=`.
    pub comparison: Option<S<String>>,
    pub period: Option<S<i64>>,
    pub evaluation_periods: Option<S<i64>>,
}

// ---- the alarms provision knows --------------------------------------------------------------

/// What one alarm watches, before the spec's values.
struct Watch {
    key: &'static str,
    stack: Stack,
    title: &'static str,
    namespace: &'static str,
    metric: &'static str,
    statistic: &'static str,
    comparison: &'static str,
    period: u32,
    evaluation_periods: u32,
    /// The spec's threshold times this is CloudWatch's (GiB → bytes).
    scale: f64,
}

const fn watch(
    key: &'static str,
    stack: Stack,
    title: &'static str,
    (namespace, metric, statistic): (&'static str, &'static str, &'static str),
    comparison: &'static str,
    (period, evaluation_periods): (u32, u32),
) -> Watch {
    Watch {
        key,
        stack,
        title,
        namespace,
        metric,
        statistic,
        comparison,
        period,
        evaluation_periods,
        scale: 1.0,
    }
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Every alarm, in the order the dashboard shows them.
const WATCHES: [Watch; 10] = [
    watch(
        "api-5xx",
        Stack::Shared,
        "API 5XX errors",
        ("AWS/ApiGateway", "5XXError", "Sum"),
        ">",
        (300, 1),
    ),
    watch(
        "api-latency",
        Stack::Shared,
        "API latency (ms)",
        ("AWS/ApiGateway", "Latency", "Average"),
        ">",
        (300, 3),
    ),
    watch(
        "nat-port-allocation",
        Stack::Shared,
        "NAT port allocation errors",
        ("AWS/NATGateway", "ErrorPortAllocation", "Sum"),
        ">",
        (300, 1),
    ),
    watch(
        "db-cpu",
        Stack::Backend,
        "Database CPU (%)",
        ("AWS/RDS", "CPUUtilization", "Average"),
        ">",
        (300, 3),
    ),
    Watch {
        scale: GIB,
        ..watch(
            "db-free-storage",
            Stack::Backend,
            "Database free storage (bytes)",
            ("AWS/RDS", "FreeStorageSpace", "Minimum"),
            "<",
            (300, 1),
        )
    },
    watch(
        "db-connections",
        Stack::Backend,
        "Database connections",
        ("AWS/RDS", "DatabaseConnections", "Maximum"),
        ">",
        (300, 3),
    ),
    watch(
        "backend-health",
        Stack::Backend,
        "Backend environment health",
        ("AWS/ElasticBeanstalk", "EnvironmentHealth", "Maximum"),
        ">=",
        (60, 5),
    ),
    watch(
        "backend-5xx",
        Stack::Backend,
        "Backend load balancer 5XX",
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum"),
        ">",
        (300, 1),
    ),
    watch(
        "console-health",
        Stack::Console,
        "Console environment health",
        ("AWS/ElasticBeanstalk", "EnvironmentHealth", "Maximum"),
        ">=",
        (60, 5),
    ),
    watch(
        "console-5xx",
        Stack::Console,
        "Console load balancer 5XX",
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum"),
        ">",
        (300, 1),
    ),
];

const COMPARISONS: [(&str, &str); 4] = [
    (">", "GreaterThanThreshold"),
    (">=", "GreaterThanOrEqualToThreshold"),
    ("<", "LessThanThreshold"),
    ("<=", "LessThanOrEqualToThreshold"),
];

// ---- validated spec --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct AlarmSpec {
    pub threshold: f64,
    /// CloudWatch's word (`GreaterThanThreshold`).
    pub comparison: String,
    pub period: u32,
    pub evaluation_periods: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitoringSpec {
    pub topic: String,
    pub dashboard: String,
    pub alarm_prefix: String,
    pub emails: Vec<String>,
    /// By alarm key (`db-cpu`).
    pub alarms: BTreeMap<String, AlarmSpec>,
    pub budget: Option<BudgetSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BudgetSpec {
    pub name: String,
    /// USD a month; `None`: the environment's estimate, rounded up (`cost::fill_budget_limits`).
    pub limit: Option<f64>,
    pub forecasted_percent: f64,
    pub actual_percent: f64,
    /// Counts what carries the ownership tags; else everything the account is billed.
    pub by_tags: bool,
}

// ---- lowering --------------------------------------------------------------------------------

/// A name that must start with the project and carry the environment between dashes.
fn env_name<L>(
    cx: &mut Cx,
    p: &Pair<'_, L>,
    field: &str,
    at: Option<At<String>>,
    max: usize,
) -> String {
    let Some(at) = at else {
        let missing = p.req(&mut cx.d, field, |_| None::<&S<String>>);
        return missing.value;
    };
    let value = cx.template(&at);
    let at = At { value, ..at };
    cx.check_name(&at, 1, max);
    if !at.value.starts_with(&cx.project) || !names_env(&at.value, &cx.env) {
        let message = format!(
            "`{}` must start with the project name `{}` and name the environment `{}` between dashes, as `{{project}}-{{env}}-…` does (provision finds its monitoring by it, and environments must not share it)",
            at.value, cx.project, cx.env
        );
        cx.d.push(at.diag(message));
    }
    cx.remember(&at);
    at.value
}

pub(in crate::spec) fn lower(
    cx: &mut Cx,
    p: &Pair<'_, MonitoringLayer>,
    region: &str,
) -> MonitoringSpec {
    let topic = p.opt("topic", |l| l.topic.as_ref());
    let topic = env_name(cx, p, "topic", topic, 256);
    let dashboard = p.opt("dashboard", |l| l.dashboard.as_ref());
    let dashboard = env_name(cx, p, "dashboard", dashboard, 255);
    let prefix = p.opt("alarm_prefix", |l| l.alarm_prefix.as_ref());
    let alarm_prefix = env_name(cx, p, "alarm_prefix", prefix, 200);
    let mut emails = Vec::new();
    if let Some(at) = p.opt("emails", |l| l.emails.as_ref()) {
        for e in p.list(&at) {
            if !is_email(&e.value) {
                cx.d.push(e.diag(format!(
                    "`{}` is not an e-mail address (expected e.g. ops@example.com)",
                    e.value
                )));
            } else if emails.contains(&e.value) {
                cx.d.push(e.diag(format!("`{}` is listed twice", e.value)));
            } else {
                emails.push(e.value);
            }
        }
    }
    let entries = p.entries("alarms", |l| &l.alarms);
    for (key, entry) in &entries {
        if !WATCHES.iter().any(|w| w.key == key) {
            let known: Vec<&str> = WATCHES.iter().map(|w| w.key).collect();
            let origin = entry.table_origin();
            cx.d.push(crate::spec::diag::Diagnostic::new(
                origin,
                entry.path.clone(),
                format!("unknown alarm `{key}` (known: {})", known.join(", ")),
            ));
        }
    }
    let mut alarms = BTreeMap::new();
    for w in &WATCHES {
        let spec = match entries.get(w.key) {
            Some(entry) => lower_alarm(cx, entry, w),
            None => {
                let missing = p.sub("alarms", |_| None::<&S<AlarmLayer>>);
                missing.req(&mut cx.d, w.key, |_| None::<&S<f64>>);
                continue;
            }
        };
        alarms.insert(w.key.to_owned(), spec);
    }
    let b = p.sub("budget", |l| l.budget.as_ref());
    let budget =
        (b.base.is_some() || b.env.is_some()).then(|| lower_budget(cx, &b, region, emails.len()));
    MonitoringSpec {
        topic,
        dashboard,
        alarm_prefix,
        emails,
        alarms,
        budget,
    }
}

fn lower_alarm(cx: &mut Cx, a: &Pair<'_, AlarmLayer>, w: &Watch) -> AlarmSpec {
    let threshold = a.req(&mut cx.d, "threshold", |l| l.threshold.as_ref());
    if !threshold.value.is_finite() || threshold.value < 0.0 {
        cx.d.push(threshold.diag(format!(
            "{} is not a threshold: it must be a number of 0 or more",
            threshold.value
        )));
    }
    let comparison = match a.opt("comparison", |l| l.comparison.as_ref()) {
        Some(at) => cx.choice(&at, &COMPARISONS).unwrap_or(COMPARISONS[0].1),
        None => COMPARISONS
            .iter()
            .find(|(s, _)| *s == w.comparison)
            .map_or(COMPARISONS[0].1, |(_, c)| c),
    };
    let period = match a.opt("period", |l| l.period.as_ref()) {
        Some(at) => {
            let p = cx.int(&at, 60, 86_400, "seconds");
            // CloudWatch takes 10, 30 or a multiple of 60 (standard resolution: the latter).
            if !p.is_multiple_of(60) {
                cx.d.push(at.diag(format!("{p} is not a multiple of 60 seconds")));
            }
            p
        }
        None => w.period,
    };
    let evaluation_periods = match a.opt("evaluation_periods", |l| l.evaluation_periods.as_ref()) {
        Some(at) => cx.int(&at, 1, 100, "periods"),
        None => w.evaluation_periods,
    };
    cx.remember(&threshold);
    AlarmSpec {
        threshold: threshold.value,
        comparison: comparison.to_owned(),
        period,
        evaluation_periods,
    }
}

/// AWS's limits on a budget notification's subscribers: "A notification can have one SNS
/// subscriber and up to 10 email subscribers" (Budgets API reference,
/// NotificationWithSubscribers); the topic is the one SNS subscriber.
const BUDGET_EMAILS: usize = 10;
/// "The maximum limit for your threshold is 1,000,000% above the budgeted amount" (Budgets
/// API reference, Notification).
const MAX_PERCENT: f64 = 1_000_000.0;

fn lower_budget(cx: &mut Cx, b: &Pair<'_, BudgetLayer>, region: &str, emails: usize) -> BudgetSpec {
    let name = b.opt("name", |l| l.name.as_ref());
    // BudgetName: 1-100 characters, no ':' or '\\' (Budgets API reference, Budget): the
    // names provision checks (lowercase, digits, '-') are within that.
    let name = env_name(cx, b, "name", name, 100);
    if emails > BUDGET_EMAILS {
        let at = b.table_origin();
        cx.d.push(crate::spec::diag::Diagnostic::new(
            at,
            "monitoring.emails".to_owned(),
            format!(
                "{emails} e-mail addresses, but a budget notification takes at most {BUDGET_EMAILS} e-mail subscribers (AWS Budgets): list fewer, or subscribe a list address"
            ),
        ));
    }
    let limit = b.opt("limit", |l| l.limit.as_ref()).map(|at| {
        // Spend.Amount is a positive decimal (`([0-9]*\\.)?[0-9]+`, Budgets API reference, Spend).
        if !at.value.is_finite() || at.value <= 0.0 {
            cx.d.push(at.diag(format!(
                "{} is not a budget limit: it must be a number of US dollars above 0",
                at.value
            )));
        }
        cx.remember(&at);
        at.value
    });
    if limit.is_none() && !PRICED_REGIONS.contains(&region) {
        cx.d.push(crate::spec::diag::Diagnostic::new(
            b.table_origin(),
            format!("{}.limit", b.path),
            format!(
                "missing; provision has no price table for {region} to estimate the default limit from: set `limit` (US dollars a month)"
            ),
        ));
    }
    let percent = |cx: &mut Cx, at: Option<At<f64>>, default: f64| match at {
        Some(at) => {
            if !at.value.is_finite() || at.value <= 0.0 || at.value > MAX_PERCENT {
                cx.d.push(at.diag(format!(
                    "{} is not a threshold: a percentage of the limit above 0 and at most 1000000",
                    at.value
                )));
            }
            at.value
        }
        None => default,
    };
    let forecasted = b.opt("forecasted_percent", |l| l.forecasted_percent.as_ref());
    let forecasted_percent = percent(cx, forecasted, 80.0);
    let actual = b.opt("actual_percent", |l| l.actual_percent.as_ref());
    let actual_percent = percent(cx, actual, 100.0);
    let scope = b.opt("scope", |l| l.scope.as_ref());
    let by_tags = scope.map_or(Some(true), |at| {
        cx.choice(&at, &[("tags", true), ("account", false)])
    });
    BudgetSpec {
        name,
        limit,
        forecasted_percent,
        actual_percent,
        by_tags: by_tags.unwrap_or(true),
    }
}

/// A plain address `local@domain.tld`: what SNS's e-mail protocol takes.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

// ---- desired state ---------------------------------------------------------------------------

fn metric_of(spec: &EnvSpec, w: &Watch) -> Option<Metric> {
    let text = |v: &str| Dimension::Text(v.to_owned());
    let lb = |stack: Stack, eb: &crate::spec::types::BeanstalkSpec| match eb.load_balancer {
        LoadBalancer::Application => {
            Some(Dimension::LoadBalancerOf(Ref::Managed(env_address(stack))))
        }
        LoadBalancer::None => None,
    };
    let dims: Vec<(&str, Dimension)> = match w.key {
        "api-5xx" | "api-latency" => vec![
            ("ApiName", text(&spec.api.name)),
            ("Stage", text(&spec.env)),
        ],
        "nat-port-allocation" => vec![(
            "NatGatewayId",
            Dimension::Id(Ref::Managed(nat_gateway(&spec.network))),
        )],
        "db-cpu" | "db-free-storage" | "db-connections" => {
            vec![("DBInstanceIdentifier", text(&spec.database.identifier))]
        }
        "backend-health" => vec![("EnvironmentName", text(&spec.backend.environment))],
        "console-health" => vec![("EnvironmentName", text(&spec.console.environment))],
        "backend-5xx" => vec![("LoadBalancer", lb(Stack::Backend, &spec.backend)?)],
        "console-5xx" => vec![("LoadBalancer", lb(Stack::Console, &spec.console)?)],
        _ => return None,
    };
    Some(Metric {
        namespace: w.namespace.to_owned(),
        name: w.metric.to_owned(),
        dimensions: dims.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    })
}

/// The topic, its subscriptions, the alarms and the dashboard; enhanced health on both
/// Beanstalk environments (the `EnvironmentHealth` metric needs it, and the API leaves it off).
pub(in crate::spec) fn desire(b: &mut Builder<'_>, m: &MonitoringSpec) {
    let spec = b.spec;
    let topic = addr(Stack::Shared, Kind::AlarmTopic);
    b.add(
        topic.clone(),
        Attrs::AlarmTopic(AlarmTopicAttrs {
            name: m.topic.clone(),
            policy: topic_policy(m.budget.is_some()),
        }),
    );
    if let Some(budget) = &m.budget {
        let attrs = budget_attrs(spec, m, budget, &topic);
        b.add(addr(Stack::Shared, Kind::Budget), Attrs::Budget(attrs));
    }
    for email in &m.emails {
        let sub = Address::named(
            Stack::Shared,
            Kind::AlarmSubscription,
            subscription_name(email),
        );
        let attrs = AlarmSubscriptionAttrs {
            topic: Ref::Managed(topic.clone()),
            protocol: "email".into(),
            endpoint: email.clone(),
        };
        // Subscriptions take no tags in AWS.
        b.add(sub, Attrs::AlarmSubscription(attrs)).tags.clear();
    }
    let mut widgets = Vec::new();
    for w in &WATCHES {
        let (Some(metric), Some(a)) = (metric_of(spec, w), m.alarms.get(w.key)) else {
            continue;
        };
        let name = format!("{}-{}", m.alarm_prefix, w.key);
        let alarm = AlarmAttrs {
            description: format!("{} ({}, managed by provision)", w.title, spec.env),
            name: name.clone(),
            metric: metric.clone(),
            statistic: w.statistic.to_owned(),
            period_seconds: a.period,
            evaluation_periods: a.evaluation_periods,
            threshold: Threshold(a.threshold * w.scale),
            comparison: a.comparison.clone(),
            treat_missing_data: "notBreaching".into(),
            actions: [Ref::Managed(topic.clone())].into(),
        };
        b.add(
            Address::named(w.stack, Kind::Alarm, w.key),
            Attrs::Alarm(alarm),
        );
        // A load balancer's dimension is known only once its environment (in another stack)
        // exists: the dashboard graphs its alarm instead, by name.
        let shows = match w.namespace {
            "AWS/ApplicationELB" => Shows::Alarm(name.clone()),
            _ => Shows::Metric(metric.clone()),
        };
        widgets.push(Widget {
            title: w.title.to_owned(),
            shows,
            statistic: w.statistic.to_owned(),
            period_seconds: a.period,
        });
    }
    let dashboard = DashboardAttrs {
        name: m.dashboard.clone(),
        region: spec.region.clone(),
        topic: Ref::Managed(topic),
        widgets,
    };
    // Dashboards take no tags in AWS: the ownership tags go into the body, as a marker
    // (`aws::marker`), and nothing else.
    b.add(
        addr(Stack::Shared, Kind::Dashboard),
        Attrs::Dashboard(dashboard),
    )
    .tags
    .retain(|k, _| [TAG_PROJECT, TAG_ENV, TAG_STACK, TAG_ADDRESS].contains(&k.as_str()));
    for stack in [Stack::Backend, Stack::Console] {
        b.default_setting(
            &env_address(stack),
            "aws:elasticbeanstalk:healthreporting:system",
            "SystemType",
            SettingValue::Text("enhanced".into()),
        );
    }
}

/// The alarm topic's access policy, `{topic}` and `{account}` standing for its ARN and
/// account (`AlarmTopicAttrs::policy`): SNS's default statement (the owner's account may use
/// the topic, which CloudWatch alarms publish through), and with a budget AWS Budgets'
/// permission to publish, for this account's budgets only, as AWS's Cost Management guide,
/// "Creating an Amazon SNS topic for budget notifications", writes it.
pub fn topic_policy(budgets: bool) -> String {
    let mut statements = vec![serde_json::json!({
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": [
            "SNS:AddPermission", "SNS:DeleteTopic", "SNS:GetTopicAttributes",
            "SNS:ListSubscriptionsByTopic", "SNS:Publish", "SNS:RemovePermission",
            "SNS:SetTopicAttributes", "SNS:Subscribe"
        ],
        "Resource": "{topic}",
        "Condition": {"StringEquals": {"AWS:SourceOwner": "{account}"}}
    })];
    if budgets {
        statements.push(serde_json::json!({
            "Sid": "AWSBudgetsSNSPublishingPermissions",
            "Effect": "Allow",
            "Principal": {"Service": "budgets.amazonaws.com"},
            "Action": "SNS:Publish",
            "Resource": "{topic}",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "{account}"},
                "ArnLike": {"aws:SourceArn": "arn:aws:budgets::{account}:*"}
            }
        }));
    }
    serde_json::json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": statements
    })
    .to_string()
}

/// The budget: monthly, of what AWS bills (`COST`), counting only what carries the
/// environment's ownership tags, notifying the topic and the e-mails when the forecast and
/// when the actual cost pass their share of the limit. The limit left empty here is the
/// estimate's, filled by `cost::fill_budget_limits` (the engine, `envdiff`): pricing is not
/// the spec's to do.
fn budget_attrs(
    spec: &EnvSpec,
    m: &MonitoringSpec,
    b: &BudgetSpec,
    topic: &Address,
) -> BudgetAttrs {
    let notification = |kind: &str, percent: f64| BudgetNotification {
        notification_type: kind.to_owned(),
        comparison: "GREATER_THAN".into(),
        threshold: Threshold(percent),
        threshold_type: "PERCENTAGE".into(),
        topic: Some(Ref::Managed(topic.clone())),
        emails: m.emails.iter().cloned().collect(),
    };
    BudgetAttrs {
        name: b.name.clone(),
        budget_type: "COST".into(),
        time_unit: "MONTHLY".into(),
        limit_usd: b.limit.map(usd).unwrap_or_default(),
        // A budget in an account of the environment's own counts what that account is billed
        // ("Primary view: Shows cost management data for your current account", Cost
        // Management guide, billing views): no filter, and no cost allocation tag to activate.
        scope: match b.by_tags {
            true => [
                (TAG_PROJECT.to_owned(), spec.project.clone()),
                (TAG_ENV.to_owned(), spec.env.clone()),
            ]
            .into(),
            false => BTreeMap::new(),
        },
        notifications: vec![
            notification("ACTUAL", b.actual_percent),
            notification("FORECASTED", b.forecasted_percent),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staging() -> crate::model::DesiredState {
        let loaded = crate::spec::load_one(std::path::Path::new("specs"), "staging").unwrap();
        crate::spec::desired::build(&loaded.spec)
    }

    #[test]
    fn staging_s_budget_notifies_the_topic_and_the_e_mails_at_80_and_100_percent() {
        let d = staging();
        let Attrs::Budget(b) = &d.resources[&addr(Stack::Shared, Kind::Budget)].attrs else {
            panic!("a budget");
        };
        assert_eq!(b.name, "agentpass-staging-monthly");
        assert_eq!(
            (b.budget_type.as_str(), b.time_unit.as_str()),
            ("COST", "MONTHLY")
        );
        let scope: Vec<(&str, &str)> = b
            .scope
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(scope, [(TAG_ENV, "staging"), (TAG_PROJECT, "agentpass")]);
        let topic = Ref::Managed(addr(Stack::Shared, Kind::AlarmTopic));
        let got: Vec<(&str, f64, Option<&Ref>, Vec<&str>)> = b
            .notifications
            .iter()
            .map(|n| {
                assert_eq!(
                    (n.comparison.as_str(), n.threshold_type.as_str()),
                    ("GREATER_THAN", "PERCENTAGE")
                );
                let emails = n.emails.iter().map(String::as_str).collect();
                (
                    n.notification_type.as_str(),
                    n.threshold.0,
                    n.topic.as_ref(),
                    emails,
                )
            })
            .collect();
        let emails = vec!["ops+staging@example.com"];
        assert_eq!(
            got,
            [
                ("ACTUAL", 100.0, Some(&topic), emails.clone()),
                ("FORECASTED", 80.0, Some(&topic), emails)
            ]
        );
        // The limit is the estimate's, filled outside the spec (`cost::fill_budget_limits`).
        assert_eq!(b.limit_usd, "");
        // The budget refers to the topic: created after it, deleted before it.
        let refs = d.resources[&addr(Stack::Shared, Kind::Budget)].attrs.refs();
        assert_eq!(refs, [&topic, &topic]);
    }

    #[test]
    fn the_topic_lets_budgets_publish_only_with_a_budget() {
        let with: serde_json::Value = serde_json::from_str(&topic_policy(true)).unwrap();
        let without: serde_json::Value = serde_json::from_str(&topic_policy(false)).unwrap();
        assert_eq!(with["Statement"].as_array().unwrap().len(), 2);
        assert_eq!(without["Statement"].as_array().unwrap().len(), 1);
        let budgets = &with["Statement"][1];
        assert_eq!(budgets["Principal"]["Service"], "budgets.amazonaws.com");
        assert_eq!(
            budgets["Condition"]["StringEquals"]["aws:SourceAccount"],
            "{account}"
        );
        assert_eq!(
            budgets["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:budgets::{account}:*"
        );
        let d = staging();
        let Attrs::AlarmTopic(t) = &d.resources[&addr(Stack::Shared, Kind::AlarmTopic)].attrs
        else {
            panic!("a topic");
        };
        assert_eq!(t.policy, topic_policy(true));
    }

    #[test]
    fn e_mail_addresses() {
        for ok in ["ops@example.com", "a.b+alarms@sub.example.org"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "ops",
            "ops@",
            "@example.com",
            "ops@example",
            "o ps@example.com",
            "a@b@c.com",
            "ops@.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn every_alarm_has_a_comparison_provision_knows() {
        for w in &WATCHES {
            assert!(
                COMPARISONS.iter().any(|(s, _)| *s == w.comparison),
                "{}",
                w.key
            );
        }
    }
}
