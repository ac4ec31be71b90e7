//! What an environment costs a month, estimated from its resources and a dated price table
//! (`prices/{region}.toml`, built into the binary). Pure: no AWS call. The same estimator
//! prices the desired state (`provision cost`, `envdiff`) and what a snapshot records (`plan`'s
//! cost change), since both are resources with typed attributes.

mod paused;
pub mod prices;
mod render;
mod resources;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::model::{Address, Attrs, DesiredState, usd};
pub use paused::{PausedCost, paused_cost};
pub use prices::{PriceError, PriceTable};
pub use render::{money, money_span, quantity, render_paused, render_text, unit_price};

/// A quantity or amount that autoscaling makes a range: `min` at the minimum instance count,
/// `max` at the maximum. Equal when nothing scales.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    pub min: f64,
    pub max: f64,
}

impl Span {
    pub fn fixed(v: f64) -> Self {
        Span { min: v, max: v }
    }

    pub fn scale(self, by: f64) -> Self {
        Span {
            min: self.min * by,
            max: self.max * by,
        }
    }

    pub fn plus(self, other: Span) -> Self {
        Span {
            min: self.min + other.min,
            max: self.max + other.max,
        }
    }
}

/// One priced item: a resource's instance hours, storage, addresses, requests, …
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// The resource address (`backend.rds`).
    pub resource: String,
    /// What is charged (`EC2 t3.micro`).
    pub item: String,
    /// Dollars per `unit`.
    pub unit_price: f64,
    pub unit: String,
    pub quantity: Span,
    /// `unit_price × quantity`, dollars a month.
    pub monthly: Span,
}

/// An environment's monthly estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub format_version: u32,
    pub env: String,
    pub region: String,
    pub currency: String,
    /// The day the price table's prices were taken.
    pub prices_taken: String,
    pub prices_file: String,
    pub hours_per_month: f64,
    /// Sorted by resource address, then item.
    pub lines: Vec<Line>,
    /// The sum of `lines[].monthly`.
    pub total: Span,
    /// Everything the figures rest on, in words.
    pub assumptions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error(transparent)]
    Prices(#[from] PriceError),
    #[error(
        "{file}: no price for {what} (used by {resource}): add it under [{section}] (docs/cost.md)"
    )]
    Unpriced {
        file: String,
        what: String,
        resource: String,
        section: String,
    },
}

/// The lines of a set of resources (any state: desired, recorded, live) and their total.
pub fn price<'a>(
    resources: impl IntoIterator<Item = (&'a Address, &'a Attrs)>,
    prices: &PriceTable,
) -> Result<(Vec<Line>, Span), CostError> {
    let mut lines = Vec::new();
    for (address, attrs) in resources {
        lines.extend(resources::lines(address, attrs, prices)?);
    }
    lines.sort_by(|a, b| (&a.resource, &a.item).cmp(&(&b.resource, &b.item)));
    let total = lines
        .iter()
        .fold(Span::fixed(0.0), |sum, l| sum.plus(l.monthly));
    Ok((lines, total))
}

/// Budgets whose spec sets no limit get the environment's monthly estimate: its high figure
/// (the maximum instance counts), from the built-in price table, rounded up to a whole dollar.
/// Call it on the whole environment's desired state, before any narrowing to stacks.
/// Validation has checked the table exists for the region.
pub fn fill_budget_limits(desired: &mut DesiredState) {
    let Ok(prices) = prices::built_in(&desired.region) else {
        return;
    };
    let priced = desired.resources.iter().map(|(a, r)| (a, &r.attrs));
    let Ok((_, total)) = price(priced, &prices) else {
        return;
    };
    for r in desired.resources.values_mut() {
        if let Attrs::Budget(b) = &mut r.attrs
            && b.limit_usd.is_empty()
        {
            b.limit_usd = usd(total.max.ceil().max(1.0));
        }
    }
}

/// The estimate of a desired state.
pub fn estimate(desired: &DesiredState, prices: &PriceTable) -> Result<Estimate, CostError> {
    let (lines, total) = price(desired.resources.iter().map(|(a, r)| (a, &r.attrs)), prices)?;
    Ok(Estimate {
        format_version: 1,
        env: desired.env.clone(),
        region: desired.region.clone(),
        currency: prices.currency.clone(),
        prices_taken: prices.taken.to_string(),
        prices_file: prices.origin(),
        hours_per_month: prices.hours_per_month.0,
        lines,
        total,
        assumptions: assumptions(prices),
    })
}

/// The assumptions, as printed under every estimate.
pub fn assumptions(p: &PriceTable) -> Vec<String> {
    let a = &p.assumptions;
    vec![
        format!(
            "On-demand list prices for {} taken {}, from {}: check them before relying on them.",
            p.region.get_ref(),
            p.taken,
            p.origin()
        ),
        format!(
            "{} hours a month; everything runs all month; no free tier, savings plan or reservation.",
            p.hours_per_month.0
        ),
        "Autoscaling: the low figure runs each environment's minimum instance count, the high one its maximum.".into(),
        format!("Each Beanstalk instance has a gp3 root volume of {} GB.", a.instance_root_gb.0),
        format!("Each application load balancer averages {} LCU.", a.alb_lcu.0),
        format!("Each NAT gateway processes {} GB a month.", a.nat_gb_per_month.0),
        format!("The REST API serves {} million requests a month.", a.api_requests_millions.0),
        format!(
            "Backups: one full copy plus {} % of the storage changed per day of retention; free up to 100 % of the allocated storage.",
            a.backup_daily_change.0 * 100.0
        ),
        format!(
            "SNS sends {} alarm e-mails a month to each subscribed address; the topic's own publishes are left out.",
            a.alarm_emails_per_month.0
        ),
        "Public IPv4: every public address is billed (AWS, since February 2024): Elastic IPs and one per subnet of an internet-facing load balancer; instances in private subnets have none.".into(),
        "Not included: data transfer out, CloudWatch logs and metrics (alarms and dashboards are priced), magnetic-storage I/O requests, Secrets Manager API calls, taxes.".into(),
    ]
}
