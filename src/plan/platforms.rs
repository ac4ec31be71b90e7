//! Beanstalk platforms, resolved: a spec naming a platform branch gets the branch's newest
//! version AWS lists (`ListAvailableSolutionStacks`) when the environment is created, and keeps
//! the version it runs afterwards: a newer one is a note and an opt-in upgrade
//! (`--upgrade-platform`), not a perpetual change. A pinned stack is checked against the same
//! list whenever the plan would send it, since AWS launches only current versions and would
//! refuse it after everything before the environment was created. Pure.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::platform::{branch_of, is_newer, newest};
use crate::model::{Address, Attrs, DesiredState, LiveState};

use super::types::{Note, Plan};

/// The branch each environment's spec names (pinned environments are not in it).
pub type Branches = BTreeMap<Address, String>;

/// What resolution decided, for the plan's notes.
#[derive(Debug, Default)]
pub struct Resolved {
    pub notes: Vec<(Address, Note)>,
}

/// Whether resolving needs AWS's list: a branch to resolve (or, when the plan is to show
/// newer versions, any branch at all), or a pin the plan would send. Drift, showing no notes,
/// usually needs none.
pub fn needs_list(
    desired: &DesiredState,
    branches: &Branches,
    live: &LiveState,
    notes: bool,
) -> bool {
    desired.resources.iter().any(|(address, r)| {
        let Attrs::BeanstalkEnv(want) = &r.attrs else {
            return false;
        };
        let running = running(live, address);
        match branches.get(address) {
            Some(branch) => {
                notes || running.and_then(branch_of).as_deref() != Some(branch.as_str())
            }
            None => running != Some(want.solution_stack.as_str()),
        }
    })
}

/// Fills each branch environment's `solution_stack` in `desired`; checks pinned ones.
pub fn resolve(
    desired: &mut DesiredState,
    branches: &Branches,
    live: &LiveState,
    available: &[String],
    upgrade: bool,
) -> Result<Resolved, Unavailable> {
    let mut out = Resolved::default();
    let mut problems = Vec::new();
    for (address, r) in desired.resources.iter_mut() {
        let Attrs::BeanstalkEnv(want) = &mut r.attrs else {
            continue;
        };
        let running = running(live, address);
        let Some(branch) = branches.get(address) else {
            if running != Some(want.solution_stack.as_str())
                && !available.contains(&want.solution_stack)
            {
                problems.push(Problem::pinned(address, &want.solution_stack, available));
            }
            continue;
        };
        let newest = newest(branch, available);
        let on_branch = running.filter(|s| branch_of(s).as_deref() == Some(branch.as_str()));
        want.solution_stack = match (on_branch, newest) {
            (Some(run), Some(new)) if upgrade && is_newer(new, run) => new.to_owned(),
            (Some(run), Some(new)) if is_newer(new, run) => {
                out.notes.push((
                    address.clone(),
                    Note::NewerPlatform {
                        running: run.to_owned(),
                        newest: new.to_owned(),
                    },
                ));
                run.to_owned()
            }
            (Some(run), _) => run.to_owned(),
            (None, Some(new)) => new.to_owned(),
            (None, None) => {
                problems.push(Problem::branch(address, branch, available));
                continue;
            }
        };
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Unavailable {
            list: problems,
            origins: BTreeMap::new(),
        })
    }
}

/// The solution stack an environment runs now, if it exists.
fn running<'a>(live: &'a LiveState, address: &Address) -> Option<&'a str> {
    match live.resources.get(address).map(|l| &l.attrs) {
        Some(Attrs::BeanstalkEnv(l)) => Some(l.solution_stack.as_str()),
        _ => None,
    }
}

/// Puts each note on its resource's change in `plan`.
pub fn annotate(plan: &mut Plan, resolved: Resolved) {
    for (address, note) in resolved.notes {
        if let Some(c) = plan.changes.iter_mut().find(|c| c.address == address) {
            c.notes.push(note);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub address: Address,
    /// `platform` or `solution_stack`.
    pub field: &'static str,
    pub message: String,
}

impl Problem {
    fn branch(address: &Address, branch: &str, available: &[String]) -> Problem {
        let mut branches: Vec<String> = available.iter().filter_map(|s| branch_of(s)).collect();
        branches.sort();
        branches.dedup();
        Problem {
            address: address.clone(),
            field: "platform",
            message: format!(
                "Elastic Beanstalk lists no version of the platform branch `{branch}` \
                 (retired, or not offered in this region); branches listed: {}",
                branches.join("; ")
            ),
        }
    }

    fn pinned(address: &Address, stack: &str, available: &[String]) -> Problem {
        let hint = branch_of(stack)
            .and_then(|b| newest(&b, available).map(|n| (b.clone(), n)))
            .map_or_else(String::new, |(b, n)| {
                format!("; its branch's newest is `{n}` (or write platform = \"{b}\")")
            });
        Problem {
            address: address.clone(),
            field: "solution_stack",
            message: format!(
                "Elastic Beanstalk does not list the solution stack `{stack}` (retired \
                 versions cannot be launched){hint}"
            ),
        }
    }
}

/// Every environment whose platform AWS cannot launch: nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Unavailable {
    pub list: Vec<Problem>,
    /// Where each spec field was written (`file:line`), by field path, when known.
    pub origins: BTreeMap<String, String>,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Elastic Beanstalk cannot launch the platform this plan asks for; nothing was changed"
        )?;
        for p in &self.list {
            let path = format!("{}.beanstalk.{}", p.address.stack, p.field);
            let at = self
                .origins
                .get(&path)
                .map_or_else(String::new, |o| format!(" ({o})"));
            write!(f, "\n  {}: {path}{at}: {}", p.address, p.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LiveResource, Stack};

    const BRANCH: &str = "Node.js 20 running on 64bit Amazon Linux 2023";
    const V1: &str = "64bit Amazon Linux 2023 v6.7.2 running Node.js 20";
    const V2: &str = "64bit Amazon Linux 2023 v6.8.0 running Node.js 20";
    const OLD: &str = "64bit Amazon Linux 2023 v6.6.0 running Node.js 20";

    fn staging() -> (DesiredState, Branches) {
        let loaded = crate::spec::load_one(std::path::Path::new("specs"), "staging")
            .expect("staging validates");
        (
            crate::spec::desired::build(&loaded.spec),
            crate::spec::platform_branches(&loaded.spec),
        )
    }

    fn backend() -> Address {
        Address::single(Stack::Backend, crate::model::Kind::BeanstalkEnv)
    }

    /// AWS running the backend environment on `stack` (the console not created yet).
    fn running(d: &DesiredState, stack: &str) -> LiveState {
        let mut attrs = d.resources[&backend()].attrs.clone();
        if let Attrs::BeanstalkEnv(e) = &mut attrs {
            e.solution_stack = stack.to_owned();
        }
        let mut live = LiveState::default();
        let l = LiveResource {
            id: "e-1".into(),
            attrs,
            tags: Default::default(),
            pending: Default::default(),
        };
        live.resources.insert(backend(), l);
        live
    }

    fn stack_of(d: &DesiredState, a: &Address) -> String {
        match &d.resources[a].attrs {
            Attrs::BeanstalkEnv(e) => e.solution_stack.clone(),
            _ => unreachable!(),
        }
    }

    fn list(stacks: &[&str]) -> Vec<String> {
        stacks.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_new_environment_gets_the_branch_newest_version() {
        let (mut d, branches) = staging();
        assert_eq!(branches.len(), 2);
        assert!(branches.values().all(|b| b == BRANCH));
        let r = resolve(
            &mut d,
            &branches,
            &LiveState::default(),
            &list(&[V1, V2]),
            false,
        )
        .unwrap();
        assert_eq!(stack_of(&d, &backend()), V2);
        assert!(r.notes.is_empty());
    }

    #[test]
    fn a_running_version_stays_and_a_newer_one_is_a_note_unless_upgrading() {
        let (d, branches) = staging();
        let live = running(&d, V1);
        let mut kept = d.clone();
        let r = resolve(&mut kept, &branches, &live, &list(&[V2, V1]), false).unwrap();
        assert_eq!(stack_of(&kept, &backend()), V1);
        assert_eq!(
            r.notes,
            vec![(
                backend(),
                Note::NewerPlatform {
                    running: V1.into(),
                    newest: V2.into()
                }
            )]
        );
        let mut upgraded = d.clone();
        let r = resolve(&mut upgraded, &branches, &live, &list(&[V2, V1]), true).unwrap();
        assert_eq!(stack_of(&upgraded, &backend()), V2);
        assert!(r.notes.is_empty());
        // An upgrade never goes back: a version newer than any listed one stays.
        let ahead = running(&d, V2);
        let mut kept = d.clone();
        resolve(&mut kept, &branches, &ahead, &list(&[V1]), true).unwrap();
        assert_eq!(stack_of(&kept, &backend()), V2);
        // A retired version keeps running: nothing is sent, no list needed for drift.
        let live = running(&d, OLD);
        let mut kept = d.clone();
        resolve(&mut kept, &branches, &live, &list(&[V1]), false).unwrap();
        assert_eq!(stack_of(&kept, &backend()), OLD);
        let mut only_backend = d.clone();
        only_backend.resources.retain(|a, _| *a == backend());
        assert!(!needs_list(&only_backend, &branches, &live, false));
        assert!(needs_list(&only_backend, &branches, &live, true));
    }

    #[test]
    fn an_unlisted_branch_or_pin_is_refused_naming_the_field() {
        let (mut d, branches) = staging();
        let e = resolve(
            &mut d,
            &branches,
            &LiveState::default(),
            &list(&["64bit Amazon Linux 2023 v6.7.2 running Node.js 22"]),
            false,
        )
        .unwrap_err();
        assert_eq!(e.list.len(), 2);
        assert!(e.list.iter().all(|p| p.field == "platform"));
        assert!(
            e.list[0]
                .message
                .contains("Node.js 22 running on 64bit Amazon Linux 2023")
        );
        // Pinned: refused when it would be sent, whatever runs.
        let (mut d, _) = staging();
        for r in d.resources.values_mut() {
            if let Attrs::BeanstalkEnv(e) = &mut r.attrs {
                e.solution_stack = OLD.into();
            }
        }
        let e = resolve(
            &mut d,
            &Branches::new(),
            &LiveState::default(),
            &list(&[V1]),
            false,
        )
        .unwrap_err();
        assert_eq!(e.list[0].field, "solution_stack");
        assert!(e.list[0].message.contains(V1), "{}", e.list[0].message);
        let live = running(&d, OLD);
        d.resources.retain(|a, _| *a == backend());
        resolve(&mut d, &Branches::new(), &live, &list(&[V1]), false).unwrap();
    }
}
