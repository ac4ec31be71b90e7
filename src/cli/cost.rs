//! `provision cost --env E`: the environment's monthly estimate from its spec and the price
//! table of its region. No AWS call.

use std::path::Path;

use super::output::{Render, pretty};
use super::{CliError, Global, Outcome};
use crate::cost::{self, Estimate, PriceTable};
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
