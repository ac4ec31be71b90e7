//! `provision cost --env E`: the environment's monthly estimate from its spec and the price
//! table of its region. No AWS call.

use std::path::Path;

use super::output::{Render, pretty};
use super::{CliError, Global, Outcome};
use crate::cost::{self, Estimate, PriceTable};
use crate::envdiff::EnvDiff;
use crate::plan::render::Style;
use crate::spec::{self, EnvSpec};

pub(super) fn run(g: &Global, env: &str, prices: Option<&Path>) -> Result<Outcome, CliError> {
    let loaded = super::load(g, env)?;
    let table = price_table(g, prices, &loaded.spec)?;
    let desired = spec::desired::build(&loaded.spec);
    let estimate = cost::estimate(&desired, &table)?;
    g.out().show(&estimate);
    Ok(Outcome::Done)
}

/// The price table for a spec's region.
pub(super) fn price_table(
    g: &Global,
    prices: Option<&Path>,
    spec: &EnvSpec,
) -> Result<PriceTable, CliError> {
    let folder = cost::prices::folder(prices, &g.specs);
    Ok(cost::prices::load(&folder, &spec.region).map_err(cost::CostError::from)?)
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
            let estimate = price_table(g, None, s)
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
