//! Attributes of the monitoring kinds: the alarm topic (SNS) and its e-mail subscriptions, the
//! CloudWatch metric alarms and the dashboard.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::reference::Ref;

/// The SNS topic every alarm notifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmTopicAttrs {
    pub name: String,
    /// The topic's access policy as canonical JSON (keys sorted, no spaces), with the topic's
    /// ARN written `{topic}` and its account `{account}`: neither is known before the topic
    /// exists, and a read puts the placeholders back so spec and live compare as text.
    /// Empty in snapshots from before the policy was managed.
    #[serde(default)]
    pub policy: String,
}

/// An e-mail subscription to the alarm topic. Subscriptions carry no tags: one is this
/// environment's when its topic is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmSubscriptionAttrs {
    pub topic: Ref,
    pub protocol: String,
    pub endpoint: String,
}

/// A metric dimension's value: text the spec knows, the id of a resource, or the
/// `app/NAME/ID` suffix of a Beanstalk environment's load balancer ARN (known once the
/// environment exists, resolved at apply time).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Text(String),
    Id(Ref),
    LoadBalancerOf(Ref),
}

impl Dimension {
    pub fn reference(&self) -> Option<&Ref> {
        match self {
            Dimension::Text(_) => None,
            Dimension::Id(r) | Dimension::LoadBalancerOf(r) => Some(r),
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dimension::Text(t) => f.write_str(t),
            Dimension::Id(r) => write!(f, "{r}"),
            Dimension::LoadBalancerOf(r) => write!(f, "load balancer of {r}"),
        }
    }
}

/// One metric: namespace, name and dimensions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Metric {
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, Dimension>,
}

/// A threshold: a finite number (validation refuses anything else), compared by value.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Threshold(pub f64);

impl Eq for Threshold {}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A CloudWatch metric alarm on one metric, notifying the alarm topic when it fires and when
/// it recovers. `comparison` and `statistic` are CloudWatch's own words
/// (`GreaterThanOrEqualToThreshold`, `Average`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmAttrs {
    pub name: String,
    pub description: String,
    pub metric: Metric,
    pub statistic: String,
    pub period_seconds: u32,
    pub evaluation_periods: u32,
    pub threshold: Threshold,
    pub comparison: String,
    pub treat_missing_data: String,
    /// Notified on ALARM and on OK.
    pub actions: BTreeSet<Ref>,
}

/// What a graph shows: a metric, or an alarm's metric and threshold (by the alarm's name, for
/// metrics whose dimension only another stack's resource knows: a load balancer's).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shows {
    Metric(Metric),
    Alarm(String),
}

/// One graph of a dashboard, with the statistic and period of its alarm.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Widget {
    pub title: String,
    pub shows: Shows,
    pub statistic: String,
    pub period_seconds: u32,
}

/// A CloudWatch dashboard. AWS takes no tags on dashboards: one is this environment's only by
/// its recorded name (see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardAttrs {
    pub name: String,
    pub region: String,
    /// The alarm topic, whose ARN names the account the alarms' ARNs are in.
    pub topic: Ref,
    pub widgets: Vec<Widget>,
}

/// A monthly cost budget (AWS Budgets), scoped to the environment by its ownership tags and
/// notifying the alarm topic and e-mail addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetAttrs {
    pub name: String,
    /// `COST`: what AWS bills.
    pub budget_type: String,
    /// `MONTHLY`.
    pub time_unit: String,
    /// The limit in USD as a number's shortest form (`170`, `99.5`): AWS answers `170.0`.
    pub limit_usd: String,
    /// Tag key → value every cost counted must carry (the budget's `FilterExpression`: tags,
    /// all of them).
    pub scope: BTreeMap<String, String>,
    /// Sorted by type, then threshold.
    pub notifications: Vec<BudgetNotification>,
}

/// One notification of a budget and who receives it. AWS tells notifications apart by type,
/// comparison, threshold and threshold type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetNotification {
    /// `ACTUAL` or `FORECASTED`.
    pub notification_type: String,
    /// `GREATER_THAN`.
    pub comparison: String,
    /// Percent of the limit (`threshold_type` `PERCENTAGE`).
    pub threshold: Threshold,
    pub threshold_type: String,
    /// The SNS subscriber: at most one per notification.
    pub topic: Option<Ref>,
    pub emails: BTreeSet<String>,
}

/// The regions whose price table is built into provision (`cost::prices`, which checks the
/// two agree): there a budget may leave its limit to the estimate.
pub const PRICED_REGIONS: [&str; 1] = ["us-east-2"];

/// A limit in dollars as budgets show it: the shortest decimal form (`170`, `99.5`).
pub fn usd(amount: f64) -> String {
    format!("{amount}")
}

/// The address segment of an e-mail subscription: its endpoint in lowercase, with every
/// character but letters and digits a dash (addresses split on dots).
pub fn subscription_name(endpoint: &str) -> String {
    endpoint
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
