//! What an environment costs a month while paused (`provision pause`): its paused form
//! (`crate::pause::paused`: no NAT gateway, load-balanced Beanstalk at 0 instances) priced as
//! any desired state, less the stopped database's instance hours. A stopped DB instance still
//! pays for its storage and backups, and the load balancers, the API and the managed secret
//! stay; so does the NAT gateway's Elastic IP, which a pause keeps allocated (an idle public
//! IPv4 address is billed as an attached one) unless `pause --release-ip`.

use serde::Serialize;

use super::{CostError, Line, PriceTable, Span, price};
use crate::model::DesiredState;

/// The paused monthly figure beside the running one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PausedCost {
    /// The running estimate's total.
    pub running: Span,
    /// The total while paused all month.
    pub paused: Span,
    /// `running - paused`.
    pub saving: Span,
    /// The paused form's lines (the stopped database's instance hours left out).
    pub lines: Vec<Line>,
    /// Of `paused`, the Elastic IPs kept allocated: what `pause --release-ip` saves besides.
    pub kept_ips: Span,
}

pub fn paused_cost(desired: &DesiredState, prices: &PriceTable) -> Result<PausedCost, CostError> {
    let (_, running) = price(desired.resources.iter().map(|(a, r)| (a, &r.attrs)), prices)?;
    let form = crate::pause::paused(desired, crate::pause::ElasticIps::Kept);
    let (lines, _) = price(
        form.desired.resources.iter().map(|(a, r)| (a, &r.attrs)),
        prices,
    )?;
    let stopped: Vec<String> = form.databases.iter().map(|(a, _)| a.to_string()).collect();
    let lines: Vec<Line> = lines
        .into_iter()
        .filter(|l| !(stopped.contains(&l.resource) && l.unit == "instance-hour"))
        .collect();
    let sum = |lines: &mut dyn Iterator<Item = &Line>| {
        lines.fold(Span::fixed(0.0), |sum, l| sum.plus(l.monthly))
    };
    let paused = sum(&mut lines.iter());
    let kept: Vec<String> = form.kept_ips.iter().map(ToString::to_string).collect();
    let kept_ips = sum(&mut lines.iter().filter(|l| kept.contains(&l.resource)));
    Ok(PausedCost {
        running,
        paused,
        saving: Span {
            min: running.min - paused.min,
            max: running.max - paused.max,
        },
        lines,
        kept_ips,
    })
}
