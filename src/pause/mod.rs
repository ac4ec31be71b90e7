//! Pausing an environment: what it looks like paused (pure), and how that is recorded.
//!
//! "Paused" is a mode of the desired state, not a change to it: the spec stays as written, and
//! while the environment's record says paused, every command plans against [`paused`] of it. So
//! `plan`, `drift` and `apply` of a paused environment are empty, and a spec change applied while
//! paused lands in its paused form. The database's run state is not an attribute: stopping and
//! starting it is the `pause`/`resume` commands' own step (RDS keeps no run state in a plan).
//!
//! A NAT gateway's Elastic IP is the environment's outbound address, which third parties
//! allow-list: a pause keeps it allocated (and tagged, so still this environment's) unless
//! asked to release it, and resume makes the NAT gateway again on the same allocation.

pub mod record;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::kinds::PausedForm;
use crate::model::{Address, Attrs, BeanstalkEnvAttrs, DesiredState, Ref, SettingValue};

pub use record::{PauseRecord, PauseState};

/// Beanstalk's capacity options: a load-balanced environment is paused by setting both to 0
/// with UpdateEnvironment ("Pausing and resuming Elastic Beanstalk environments",
/// https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environment-management-pause.html).
pub const ASG: &str = "aws:autoscaling:asg";
const ENVIRONMENT: &str = "aws:elasticbeanstalk:environment";

/// What a pause does with the NAT gateways' Elastic IPs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElasticIps {
    /// Allocated and tagged while paused: "Deleting a public NAT gateway disassociates its
    /// Elastic IP address, but does not release the address from your account" (EC2 API
    /// reference, DeleteNatGateway), so resume's NAT gateway gets the same address back. An
    /// idle address costs what an attached one does ($0.005 an hour, Amazon VPC pricing).
    #[default]
    Kept,
    /// Released (`pause --release-ip`): resume allocates a new address.
    Released,
}

/// The paused form of a desired state, and what the transform did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paused {
    pub desired: DesiredState,
    /// Resources absent while paused: NAT gateways (their Elastic IPs too when released), and
    /// whatever else refers to them (not through a route).
    pub removed: BTreeSet<Address>,
    /// The NAT gateways' Elastic IPs kept allocated while paused.
    pub kept_ips: BTreeSet<Address>,
    /// Beanstalk environments scaled to zero instances.
    pub scaled_to_zero: BTreeSet<Address>,
    /// Single-instance Beanstalk environments: AWS cannot scale them to zero, they keep running.
    pub kept_running: BTreeSet<Address>,
    /// DB instances to stop: address and identifier.
    pub databases: Vec<(Address, String)>,
}

/// The environment as it is while paused, as each kind's description says
/// (`Description::paused`): removed kinds (NAT gateways) gone, with the addresses they use kept
/// or released as `ips` says, routes through them dropped (AWS would leave a blackhole route),
/// nothing else that refers to them (found through the references, whatever their kind: an
/// alarm on the NAT goes with it and comes back on resume), databases listed to stop and
/// load-balanced Beanstalk environments at 0 instances. Pure.
pub fn paused(desired: &DesiredState, ips: ElasticIps) -> Paused {
    let mut out = desired.clone();
    let (mut removed, kept_ips) = removed_by_kind(desired, ips);
    // Until nothing left refers to what is gone: a reference may remove a resource that others
    // refer to in turn.
    loop {
        out.resources.retain(|a, _| !removed.contains(a));
        let mut more = BTreeSet::new();
        for (a, r) in out.resources.iter_mut() {
            r.extra_deps.retain(|d| !removed.contains(d));
            if let (PausedForm::RoutesDropped, Attrs::RouteTable(rt)) =
                (form(&r.attrs), &mut r.attrs)
            {
                rt.routes.retain(
                    |route| !matches!(&route.target, Ref::Managed(t) if removed.contains(t)),
                );
            }
            let refers = r
                .attrs
                .refs()
                .into_iter()
                .any(|d| matches!(d, Ref::Managed(t) if removed.contains(t)));
            if refers {
                more.insert(a.clone());
            }
        }
        if more.is_empty() {
            break;
        }
        removed.extend(more);
    }
    let (mut scaled_to_zero, mut kept_running, mut databases) =
        (BTreeSet::new(), BTreeSet::new(), Vec::new());
    for (a, r) in out.resources.iter_mut() {
        match (form(&r.attrs), &mut r.attrs) {
            (PausedForm::Stopped, Attrs::DbInstance(db)) => {
                databases.push((a.clone(), db.identifier.clone()));
            }
            (PausedForm::ScaledToZero, Attrs::BeanstalkEnv(eb)) => {
                if scale_to_zero(eb) {
                    scaled_to_zero.insert(a.clone());
                } else {
                    kept_running.insert(a.clone());
                }
            }
            _ => {}
        }
    }
    Paused {
        desired: out,
        removed,
        kept_ips,
        scaled_to_zero,
        kept_running,
        databases,
    }
}

/// What its kind becomes while paused.
fn form(attrs: &Attrs) -> PausedForm {
    attrs.kind().describe().paused
}

/// The resources whose kind is removed while paused, and the addresses they use
/// (`PausedForm::Identity`): kept, or removed with them when `ips` says released.
fn removed_by_kind(
    desired: &DesiredState,
    ips: ElasticIps,
) -> (BTreeSet<Address>, BTreeSet<Address>) {
    let (mut removed, mut kept_ips) = (BTreeSet::new(), BTreeSet::new());
    for (a, r) in &desired.resources {
        if form(&r.attrs) != PausedForm::Removed {
            continue;
        }
        removed.insert(a.clone());
        for used in r.attrs.refs() {
            let Ref::Managed(ip) = used else { continue };
            if ip.kind.describe().paused == PausedForm::Identity {
                match ips {
                    ElasticIps::Kept => kept_ips.insert(ip.clone()),
                    ElasticIps::Released => removed.insert(ip.clone()),
                };
            }
        }
    }
    (removed, kept_ips)
}

/// Sets a load-balanced environment's capacity to 0 instances: false, and nothing changed, for
/// a single-instance one, which AWS cannot scale to zero.
fn scale_to_zero(eb: &mut BeanstalkEnvAttrs) -> bool {
    let single = eb
        .settings
        .get(ENVIRONMENT)
        .and_then(|o| o.get("EnvironmentType"))
        == Some(&SettingValue::Text("SingleInstance".into()));
    if single {
        return false;
    }
    let asg = eb.settings.entry(ASG.to_owned()).or_default();
    for option in ["MinSize", "MaxSize"] {
        asg.insert(option.to_owned(), SettingValue::Text("0".into()));
    }
    true
}

#[cfg(test)]
mod tests;
