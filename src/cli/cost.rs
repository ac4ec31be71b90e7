//! `provision cost --env E`: the environment's monthly estimate from its spec and the price
//! table of its region (built in, or `--prices`). No AWS call.

use super::output::{Render, pretty};
use super::{CliError, Global, Outcome};
use crate::cost::Span;
use crate::cost::{self, Estimate, PriceTable};
use crate::envdiff::EnvDiff;
use crate::model::{DesiredState, LiveState};
use crate::plan::render::Style;
use crate::spec::{self, EnvSpec};

pub(super) fn run(g: &Global, env: &str) -> Result<Outcome, CliError> {
    let loaded = super::load(g, env)?;
    let table = price_table(g, &loaded.spec.region)?;
    let desired = spec::desired::build(&loaded.spec);
    let estimate = cost::estimate(&desired, &table)?;
    let paused = cost::paused_cost(&desired, &table)?;
    g.out().show(&WithPaused {
        estimate: &estimate,
        paused: &paused,
    });
    Ok(Outcome::Done)
}

/// The estimate, then what the environment costs while paused (`provision pause`).
struct WithPaused<'a> {
    estimate: &'a Estimate,
    paused: &'a cost::PausedCost,
}

impl Render for WithPaused<'_> {
    fn text(&self, style: Style) -> String {
        format!(
            "{}\n{}",
            self.estimate.text(style),
            cost::render_paused(self.paused)
        )
    }

    fn json(&self) -> Option<String> {
        let mut doc = serde_json::to_value(self.estimate).expect("an estimate serialises");
        doc["paused"] = serde_json::json!({
            "total": self.paused.paused,
            "saving": self.paused.saving,
            "kept_ips": self.paused.kept_ips,
            "lines": self.paused.lines,
        });
        pretty(&doc)
    }

    fn markdown(&self) -> Option<String> {
        let paused = format!(
            "Paused (`provision pause`): {} a month, saving {}",
            cost::money_span(self.paused.paused),
            cost::money_span(self.paused.saving)
        );
        Some(crate::markdown::tables::cost(self.estimate, Some(&paused)))
    }
}

/// The price table for a region: `--prices` (or `PROVISION_PRICES`), else the built-in one.
pub(super) fn price_table(g: &Global, region: &str) -> Result<PriceTable, CliError> {
    Ok(cost::prices::load(g.prices.as_deref(), region).map_err(cost::CostError::from)?)
}

impl Render for Estimate {
    fn text(&self, _: Style) -> String {
        cost::render_text(self)
    }

    fn json(&self) -> Option<String> {
        pretty(self)
    }
}

/// `envdiff`'s cost row: each environment's monthly estimate. A missing or broken price table
/// does not stop the comparison: the cell says so and the reason is a warning.
pub(super) fn add_envdiff_row(g: &Global, diff: &mut EnvDiff, specs: &[&EnvSpec]) {
    let values = specs
        .iter()
        .map(|s| {
            let estimate = price_table(g, &s.region)
                .and_then(|table| Ok(cost::estimate(&spec::desired::build(s), &table)?));
            match estimate {
                Ok(e) => format!("{} a month", cost::money_span(e.total)),
                Err(e) => {
                    g.out().warn(format!("{}: no cost estimate: {e}", s.env));
                    "no estimate".to_owned()
                }
            }
        })
        .collect();
    diff.rows.push(crate::envdiff::Row {
        aspect: "Monthly cost (estimate, provision cost)".into(),
        values,
    });
}

/// The monthly cost a plan changes: what exists now (the live resources in the plan's scope)
/// against what the spec wants, both priced with the same table. An estimate, as `cost` is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CostChange {
    pub before: Span,
    pub after: Span,
    pub prices_taken: String,
}

impl CostChange {
    /// `Monthly cost (estimate): $A -> $B (+$C)`.
    pub fn line(&self) -> String {
        let change = Span {
            min: self.after.min - self.before.min,
            max: self.after.max - self.before.max,
        };
        let sign = |v: f64| if v >= 0.005 { "+" } else { "" };
        let delta = if cost::money(change.min) == cost::money(change.max) {
            format!("{}{}", sign(change.min), cost::money(change.min))
        } else {
            format!(
                "{}{} to {}{}",
                sign(change.min),
                cost::money(change.min),
                sign(change.max),
                cost::money(change.max)
            )
        };
        format!(
            "Monthly cost (estimate, prices of {}): {} -> {} ({delta})\n",
            self.prices_taken,
            cost::money_span(self.before),
            cost::money_span(self.after)
        )
    }
}

/// `plan`'s cost line, or `None` with a warning saying why (no table for the region, an
/// unreadable or invalid `--prices`, a resource it has no price for): the plan itself never
/// fails for want of prices, and never drops the line quietly.
pub(super) fn plan_change(
    g: &Global,
    live: &LiveState,
    desired: &DesiredState,
) -> Option<CostChange> {
    let priced = || -> Result<CostChange, CliError> {
        let table = price_table(g, &desired.region)?;
        let (_, before) = cost::price(live.resources.iter().map(|(a, r)| (a, &r.attrs)), &table)?;
        let (_, after) = cost::price(desired.resources.iter().map(|(a, r)| (a, &r.attrs)), &table)?;
        Ok(CostChange {
            before,
            after,
            prices_taken: table.taken.to_string(),
        })
    };
    match priced() {
        Ok(change) => Some(change),
        Err(e) => {
            g.out()
                .warn(format!("no monthly cost estimate: {}", with_causes(&e)));
            None
        }
    }
}

/// An error and its causes on one line (a warning has no `caused by:` lines).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut said = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !said.contains(&text) {
            said = format!("{said}: {text}");
        }
        source = cause.source();
    }
    said
}

/// The plan's JSON document with `monthly_cost` added as its last field (the document is a
/// struct printed pretty, so it ends in `\n}\n`).
pub(super) fn with_cost(doc: String, change: Option<&CostChange>) -> String {
    let (Some(change), Some(head)) = (change, doc.strip_suffix("\n}\n")) else {
        return doc;
    };
    let value = serde_json::to_string_pretty(change).expect("cost serialises");
    format!(
        "{head},\n  \"monthly_cost\": {}\n}}\n",
        value.replace('\n', "\n  ")
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::cli::Format;
    use crate::model::LiveResource;

    fn global() -> Global {
        Global {
            specs: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs"),
            format: Format::Text,
            endpoint_url: None,
            profile: None,
            verbose: 0,
            prices: None,
        }
    }

    fn desired(env: &str) -> DesiredState {
        let (loaded, _) = spec::load(&global().specs, env).unwrap();
        spec::desired::build(&loaded.spec)
    }

    /// Live resources exactly as `desired` wants them.
    fn live_as(d: &DesiredState) -> LiveState {
        let mut live = LiveState::default();
        for (a, r) in &d.resources {
            live.resources.insert(
                a.clone(),
                LiveResource {
                    id: format!("id-{a}"),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    pending: Default::default(),
                },
            );
        }
        live
    }

    #[test]
    fn a_new_environment_goes_from_nothing_to_its_estimate() {
        let c = plan_change(&global(), &LiveState::default(), &desired("staging")).unwrap();
        assert_eq!(
            c.line(),
            "Monthly cost (estimate, prices of 2026-11-30): $0.00 -> $127.43 (+$127.43)\n"
        );
    }

    #[test]
    fn a_converged_environment_changes_nothing_and_a_bigger_instance_costs_more() {
        let d = desired("staging");
        let c = plan_change(&global(), &live_as(&d), &d).unwrap();
        assert!(
            c.line().ends_with(": $127.43 -> $127.43 ($0.00)\n"),
            "{}",
            c.line()
        );
        // Production's sizes wanted where staging's run: t3.micro -> t3.small backend, 1-2
        // instances each, 20 GB gp3 and 7 days of backups.
        let c = plan_change(&global(), &live_as(&d), &desired("production")).unwrap();
        assert_eq!(
            c.line(),
            "Monthly cost (estimate, prices of 2026-11-30): $127.43 -> $136.84-$160.90 (+$9.41 to +$33.47)\n"
        );
    }

    #[test]
    fn the_built_in_table_prices_specs_kept_anywhere() {
        let mut g = global();
        g.specs = PathBuf::from("/nonexistent/specs");
        assert!(plan_change(&g, &LiveState::default(), &desired("staging")).is_some());
    }

    #[test]
    fn an_unreadable_override_means_no_line_and_says_why() {
        let mut g = global();
        g.prices = Some(PathBuf::from("/nonexistent/prices.toml"));
        assert!(plan_change(&g, &LiveState::default(), &desired("staging")).is_none());
        let e = price_table(&g, "us-east-2").unwrap_err();
        assert_eq!(
            with_causes(&e),
            "/nonexistent/prices.toml: cannot read the price table given with --prices or PROVISION_PRICES: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn the_json_plan_gains_monthly_cost_as_its_last_field() {
        let doc = "{\n  \"format_version\": 1,\n  \"changes\": []\n}\n".to_owned();
        let c = CostChange {
            before: Span::fixed(1.0),
            after: Span::fixed(2.5),
            prices_taken: "2026-11-30".into(),
        };
        let out = with_cost(doc.clone(), Some(&c));
        let v: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(v["monthly_cost"]["after"]["max"], 2.5);
        assert_eq!(v["format_version"], 1);
        assert!(
            out.ends_with("\"prices_taken\": \"2026-11-30\"\n  }\n}\n"),
            "{out}"
        );
        assert_eq!(with_cost(doc.clone(), None), doc);
    }
}
