//! `--target ADDRESS`: a plan narrowed to some resources, for the exceptions Terraform's
//! `-target` is for (recovering from a mistake, working around a limitation), not for routine
//! use. Creating or updating a target needs what it depends on, so those stay in the plan;
//! destroying one needs what depends on it gone first, so for a destroy those stay instead.
//!
//! A target names an address (`shared.subnet.public-a`) or every address under it
//! (`shared.subnet`, `backend`).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Address, DesiredState, LiveState, RecordedState, Ref};

use super::Plan;

/// Which way the closure of the targets goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// plan and apply: the targets and everything they depend on.
    Dependencies,
    /// destroy: the targets and everything that depends on them.
    Dependents,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("--target {}: no such resource in the spec, in AWS or in state (addresses are shown by `provision plan`); nothing was done", .0.join(", --target "))]
pub struct UnknownTargets(pub Vec<String>);

/// The warning every targeted run prints, as Terraform's does.
pub const WARNING: &str = "resource targeting is in effect: the plan may be incomplete, and the \
environment may not match its spec afterwards. --target is for exceptional situations (recovering \
from mistakes, working around limitations), not routine use; run a full plan and apply afterwards.";

/// Who depends on whom, by the three views: `edges[a]` are what `a` depends on.
pub fn edges(
    desired: &DesiredState,
    live: &LiveState,
    recorded: &RecordedState,
) -> BTreeMap<Address, BTreeSet<Address>> {
    let mut edges: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
    for (a, d) in &desired.resources {
        edges.entry(a.clone()).or_default().extend(d.depends_on(a));
    }
    for (a, r) in &recorded.resources {
        edges
            .entry(a.clone())
            .or_default()
            .extend(r.depends_on.iter().cloned());
    }
    for (a, l) in &live.resources {
        let deps = l.attrs.refs().into_iter().filter_map(|r| match r {
            Ref::Managed(t) if t != a => Some(t.clone()),
            _ => None,
        });
        edges.entry(a.clone()).or_default().extend(deps);
    }
    edges
}

fn matches(target: &str, address: &Address) -> bool {
    let a = address.to_string();
    a == target || a.starts_with(&format!("{target}."))
}

/// Keeps only the changes of the targets and their closure; returns the addresses kept.
pub fn restrict(
    plan: &mut Plan,
    targets: &[String],
    edges: &BTreeMap<Address, BTreeSet<Address>>,
    direction: Direction,
) -> Result<BTreeSet<Address>, UnknownTargets> {
    let known: BTreeSet<&Address> = plan
        .changes
        .iter()
        .map(|c| &c.address)
        .chain(edges.keys())
        .collect();
    let unknown: Vec<String> = targets
        .iter()
        .filter(|t| !known.iter().any(|a| matches(t, a)))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(UnknownTargets(unknown));
    }
    let next: BTreeMap<&Address, BTreeSet<&Address>> = match direction {
        Direction::Dependencies => edges
            .iter()
            .map(|(a, deps)| (a, deps.iter().collect()))
            .collect(),
        Direction::Dependents => {
            let mut users: BTreeMap<&Address, BTreeSet<&Address>> = BTreeMap::new();
            for (a, deps) in edges {
                for d in deps {
                    users.entry(d).or_default().insert(a);
                }
            }
            users
        }
    };
    let mut kept: BTreeSet<Address> = BTreeSet::new();
    let mut todo: Vec<&Address> = known
        .iter()
        .copied()
        .filter(|a| targets.iter().any(|t| matches(t, a)))
        .collect();
    while let Some(a) = todo.pop() {
        if kept.insert(a.clone()) {
            todo.extend(next.get(a).into_iter().flatten().copied());
        }
    }
    plan.changes.retain(|c| kept.contains(&c.address));
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn staging() -> (DesiredState, Plan) {
        let loaded = crate::spec::load_one(Path::new("specs"), "staging").expect("valid");
        let desired = crate::spec::desired::build(&loaded.spec);
        let plan = super::super::diff(&desired, &LiveState::default(), &RecordedState::default())
            .expect("plans");
        (desired, plan)
    }

    fn addresses(plan: &Plan) -> Vec<String> {
        plan.changes.iter().map(|c| c.address.to_string()).collect()
    }

    #[test]
    fn a_subnet_pulls_in_its_vpc_and_nothing_else() {
        let (desired, mut plan) = staging();
        let edges = edges(&desired, &LiveState::default(), &RecordedState::default());
        let target = vec!["shared.subnet.public-a".to_owned()];
        restrict(&mut plan, &target, &edges, Direction::Dependencies).unwrap();
        assert_eq!(addresses(&plan), ["shared.vpc", "shared.subnet.public-a"]);
    }

    #[test]
    fn destroying_the_vpc_takes_what_depends_on_it() {
        let (desired, mut plan) = staging();
        let all = plan.changes.len();
        let edges = edges(&desired, &LiveState::default(), &RecordedState::default());
        let subnet = vec!["shared.subnet.public-a".to_owned()];
        let mut sub = plan.clone();
        restrict(&mut sub, &subnet, &edges, Direction::Dependents).unwrap();
        let kept = addresses(&sub);
        assert!(
            kept.contains(&"shared.subnet.public-a".to_owned()),
            "{kept:?}"
        );
        assert!(!kept.contains(&"shared.vpc".to_owned()), "{kept:?}");
        assert!(
            kept.iter().any(|a| a.starts_with("shared.nat_gateway")),
            "{kept:?}"
        );
        // Everything in the environment hangs off the VPC.
        restrict(
            &mut plan,
            &["shared.vpc".to_owned()],
            &edges,
            Direction::Dependents,
        )
        .unwrap();
        assert!(plan.changes.len() > all / 2, "{:?}", addresses(&plan));
    }

    #[test]
    fn a_prefix_targets_every_address_under_it_and_unknown_targets_are_named() {
        let (desired, mut plan) = staging();
        let edges = edges(&desired, &LiveState::default(), &RecordedState::default());
        restrict(
            &mut plan.clone(),
            &["shared.subnet".to_owned()],
            &edges,
            Direction::Dependencies,
        )
        .map(|kept| {
            assert!(
                kept.iter()
                    .filter(|a| a.to_string().starts_with("shared.subnet."))
                    .count()
                    >= 4
            )
        })
        .unwrap();
        let err = restrict(
            &mut plan,
            &["shared.subnet.nope".to_owned(), "shared.vpc".to_owned()],
            &edges,
            Direction::Dependencies,
        )
        .unwrap_err();
        assert_eq!(err, UnknownTargets(vec!["shared.subnet.nope".to_owned()]));
        assert!(err.to_string().contains("--target shared.subnet.nope"));
    }
}
