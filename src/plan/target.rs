//! `--target ADDRESS`: a plan narrowed to some resources, for the exceptions Terraform's
//! `-target` is for (recovering from a mistake, working around a limitation), not for routine
//! use. Creating or updating a target needs what it depends on, so those stay in the plan;
//! destroying one needs what depends on it gone first, so for a destroy those stay instead.
//!
//! A target names an address (`shared.subnet.public-a`) or every address under it
//! (`shared.subnet`, `backend`).
//!
//! `--exclude ADDRESS` is the complement (OpenTofu's `-exclude`): the plan without those
//! resources and whatever needs them left as they are. For plan and apply, what depends on an
//! excluded resource is left out too (its change may need the excluded one's); for destroy,
//! what an excluded resource depends on stays (AWS refuses to delete what is still in use).

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
#[error("--{flag} {}: no such resource in the spec, in AWS or in state (addresses are shown by `provision plan`); nothing was done", .names.join(&format!(", --{flag} ")))]
pub struct UnknownTargets {
    /// `target` or `exclude`.
    pub flag: &'static str,
    pub names: Vec<String>,
}

/// What `--target` and `--exclude` ask for: the targets' closure, less the exclusions'.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub targets: Vec<String>,
    pub excludes: Vec<String>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.excludes.is_empty()
    }
}

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

/// The addresses of `plan` and `edges` that `names` (targets or exclusions) match; names
/// that match nothing are refused.
fn matched<'a>(
    plan: &'a Plan,
    names: &[String],
    edges: &'a BTreeMap<Address, BTreeSet<Address>>,
    flag: &'static str,
) -> Result<BTreeSet<&'a Address>, UnknownTargets> {
    let known: BTreeSet<&Address> = plan
        .changes
        .iter()
        .map(|c| &c.address)
        .chain(edges.keys())
        .collect();
    let unknown: Vec<String> = names
        .iter()
        .filter(|t| !known.iter().any(|a| matches(t, a)))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(UnknownTargets {
            flag,
            names: unknown,
        });
    }
    Ok(known
        .into_iter()
        .filter(|a| names.iter().any(|t| matches(t, a)))
        .collect())
}

/// `seeds` and everything reachable from them along `edges` (what they depend on), or against
/// them (what depends on them).
fn closure(
    seeds: BTreeSet<&Address>,
    edges: &BTreeMap<Address, BTreeSet<Address>>,
    direction: Direction,
) -> BTreeSet<Address> {
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
    let mut todo: Vec<&Address> = seeds.into_iter().collect();
    while let Some(a) = todo.pop() {
        if kept.insert(a.clone()) {
            todo.extend(next.get(a).into_iter().flatten().copied());
        }
    }
    kept
}

fn opposite(direction: Direction) -> Direction {
    match direction {
        Direction::Dependencies => Direction::Dependents,
        Direction::Dependents => Direction::Dependencies,
    }
}

/// Keeps only the changes of the targets and their closure; returns the addresses kept.
pub fn restrict(
    plan: &mut Plan,
    targets: &[String],
    edges: &BTreeMap<Address, BTreeSet<Address>>,
    direction: Direction,
) -> Result<BTreeSet<Address>, UnknownTargets> {
    let seeds = matched(plan, targets, edges, "target")?;
    let kept = closure(seeds, edges, direction);
    plan.changes.retain(|c| kept.contains(&c.address));
    Ok(kept)
}

/// Takes out the changes of the exclusions and of their closure the other way (`direction`
/// is the targets'); returns the addresses left out.
pub fn exclude(
    plan: &mut Plan,
    excludes: &[String],
    edges: &BTreeMap<Address, BTreeSet<Address>>,
    direction: Direction,
) -> Result<BTreeSet<Address>, UnknownTargets> {
    let seeds = matched(plan, excludes, edges, "exclude")?;
    let out = closure(seeds, edges, opposite(direction));
    plan.changes.retain(|c| !out.contains(&c.address));
    Ok(out)
}

/// `--target` then `--exclude`, each refusing names that match nothing.
pub fn select(
    plan: &mut Plan,
    selection: &Selection,
    edges: &BTreeMap<Address, BTreeSet<Address>>,
    direction: Direction,
) -> Result<(), UnknownTargets> {
    if !selection.targets.is_empty() {
        restrict(plan, &selection.targets, edges, direction)?;
    }
    if !selection.excludes.is_empty() {
        exclude(plan, &selection.excludes, edges, direction)?;
    }
    Ok(())
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
        assert_eq!(
            err,
            UnknownTargets {
                flag: "target",
                names: vec!["shared.subnet.nope".to_owned()]
            }
        );
        assert!(err.to_string().contains("--target shared.subnet.nope"));
    }

    #[test]
    fn excluding_a_subnet_leaves_out_what_uses_it_and_keeps_the_vpc() {
        let (desired, mut plan) = staging();
        let all = addresses(&plan);
        let edges = edges(&desired, &LiveState::default(), &RecordedState::default());
        let out = exclude(
            &mut plan,
            &["shared.subnet.public-a".to_owned()],
            &edges,
            Direction::Dependencies,
        )
        .unwrap();
        let kept = addresses(&plan);
        assert!(kept.contains(&"shared.vpc".to_owned()), "{kept:?}");
        assert!(!kept.contains(&"shared.subnet.public-a".to_owned()));
        // What sits in the subnet (its NAT gateway) goes with it; the other subnets stay.
        assert!(
            !kept.iter().any(|a| a.starts_with("shared.nat_gateway")),
            "{kept:?}"
        );
        assert!(
            kept.contains(&"shared.subnet.public-b".to_owned()),
            "{kept:?}"
        );
        assert_eq!(
            kept.len() + out.iter().filter(|a| all.contains(&a.to_string())).count(),
            all.len()
        );
    }

    #[test]
    fn excluding_a_stack_leaves_it_alone_and_for_destroy_keeps_what_it_needs() {
        let (desired, plan) = staging();
        let edges = edges(&desired, &LiveState::default(), &RecordedState::default());
        let mut apply = plan.clone();
        let sel = Selection {
            targets: vec![],
            excludes: vec!["console".to_owned()],
        };
        select(&mut apply, &sel, &edges, Direction::Dependencies).unwrap();
        let kept = addresses(&apply);
        assert!(kept.iter().all(|a| !a.starts_with("console.")), "{kept:?}");
        assert!(kept.contains(&"backend.rds".to_owned()), "{kept:?}");
        // Destroying all but the console keeps what the console stands on (the VPC, ...).
        let mut destroy = plan.clone();
        select(&mut destroy, &sel, &edges, Direction::Dependents).unwrap();
        let kept = addresses(&destroy);
        assert!(!kept.contains(&"shared.vpc".to_owned()), "{kept:?}");
        assert!(kept.iter().all(|a| !a.starts_with("console.")), "{kept:?}");
        // A target narrowed by an exclusion; an unknown exclusion is named.
        let mut both = plan.clone();
        let sel = Selection {
            targets: vec!["shared.subnet".to_owned()],
            excludes: vec!["shared.subnet.public-a".to_owned()],
        };
        select(&mut both, &sel, &edges, Direction::Dependencies).unwrap();
        let kept = addresses(&both);
        assert!(
            kept.contains(&"shared.subnet.public-b".to_owned()),
            "{kept:?}"
        );
        assert!(
            !kept.contains(&"shared.subnet.public-a".to_owned()),
            "{kept:?}"
        );
        let err = exclude(
            &mut plan.clone(),
            &["nope".to_owned()],
            &edges,
            Direction::Dependencies,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--exclude nope: no such resource"),
            "{err}"
        );
    }
}
