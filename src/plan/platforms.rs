//! Beanstalk platforms, resolved: a spec naming a platform branch gets the branch's newest
//! version AWS lists (`ListAvailableSolutionStacks`) when the environment is created, and keeps
//! the version it runs afterwards: a newer one is a note and an opt-in upgrade
//! (`--upgrade-platform`), not a perpetual change. A pinned stack is checked against the same
//! list whenever the plan would send it, since AWS launches only current versions and would
//! refuse it after everything before the environment was created. Pure.
//!
//! A plan that changes an environment also reads the lifecycle of the branch each
//! environment is to run (`ListPlatformBranches`, [`Lifecycles`]): a deprecated branch is a
//! warning on its change, with the retirement date AWS published; a retired one is refused
//! before anything is changed, naming the branch to move to ([`check_lifecycle`]).
//!
//! Both lists advise on what a plan sends, so only such a plan reads them ([`advised`]):
//! Elastic Beanstalk launches and updates environments on the versions it lists, and a
//! retired branch is "no longer available for creating new environments" while deprecated
//! ones "continue to receive updates until their retirement date" (Elastic Beanstalk
//! Platforms guide, "About Elastic Beanstalk platforms"; Developer Guide, "Platform support
//! policy"). An environment the plan leaves as it is gets no call these could make fail, and
//! keeps the version it runs whatever the list says, so skipping them changes nothing the
//! plan does; what it costs is the notes on unchanged environments (`plan
//! --upgrade-platform` shows a newer version whenever asked).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::platform::{
    BranchSummary, Lifecycle, branch_of, is_newer, newest, retirement_date, successor,
};
use crate::model::{Address, Attrs, DesiredState, LiveState};

use super::types::{Action, Note, Plan};

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

/// Whether the plan creates, replaces or updates a Beanstalk environment.
pub fn changes_an_environment(plan: &Plan) -> bool {
    plan.changes.iter().any(|c| {
        matches!(c.action, Action::Create | Action::Replace | Action::Update)
            && matches!(c.after, Some(Attrs::BeanstalkEnv(_)))
    })
}

/// Whether a plan reads the platform lists beyond what resolution needs (the solution stacks
/// for newer-version notes, the branches' lifecycle): when resolving needs the list anyway
/// (`needs_list` without notes), with `--upgrade-platform`, or when the plan, made without
/// them, changes an environment. A plan that could not be made (`None`) reads them, so its
/// refusals come in the order they always did (a retired branch first).
pub fn advised(needs_list: bool, upgrade: bool, plan: Option<&Plan>) -> bool {
    needs_list || upgrade || plan.is_none_or(changes_an_environment)
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

/// What `ListPlatformBranches` said of the branches a plan targets, and, when one is retired,
/// the supported branches of its platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycles {
    pub branches: Vec<BranchSummary>,
    pub supported: Vec<BranchSummary>,
}

impl Lifecycles {
    /// The platforms of the retired branches: where to look for the branch to move to.
    pub fn retired_platforms(&self) -> Vec<String> {
        let platforms: BTreeSet<String> = self
            .branches
            .iter()
            .filter(|b| b.lifecycle == Lifecycle::Retired)
            .map(|b| b.platform.clone())
            .collect();
        platforms.into_iter().collect()
    }
}

/// The branch each Beanstalk environment is to run: the spec's branch, or the branch of its
/// pinned solution stack. Sorted, one per environment.
pub fn targeted(desired: &DesiredState, branches: &Branches) -> Branches {
    desired
        .resources
        .iter()
        .filter_map(|(address, r)| {
            let Attrs::BeanstalkEnv(want) = &r.attrs else {
                return None;
            };
            let branch = branches
                .get(address)
                .cloned()
                .or_else(|| branch_of(&want.solution_stack))?;
            Some((address.clone(), branch))
        })
        .collect()
}

/// The distinct branches of [`targeted`], for one `ListPlatformBranches` call.
pub fn names(targets: &Branches) -> Vec<String> {
    let names: BTreeSet<&String> = targets.values().collect();
    names.into_iter().cloned().collect()
}

/// A deprecated branch is a note (with its retirement date, when AWS published one); a retired
/// one an error naming the branch to move to. Branches AWS did not describe pass: the solution
/// stack check (`resolve`) speaks for them.
pub fn check_lifecycle(
    targets: &Branches,
    branches: &Branches,
    lifecycles: &Lifecycles,
) -> Result<Vec<(Address, Note)>, Unavailable> {
    let (mut notes, mut problems) = (Vec::new(), Vec::new());
    for (address, branch) in targets {
        let Some(summary) = lifecycles.branches.iter().find(|b| &b.name == branch) else {
            continue;
        };
        match summary.lifecycle {
            Lifecycle::Deprecated => notes.push((
                address.clone(),
                Note::DeprecatedPlatform {
                    branch: branch.clone(),
                    retires: retirement_date(branch).map(str::to_owned),
                },
            )),
            Lifecycle::Retired => {
                let field = if branches.contains_key(address) {
                    "platform"
                } else {
                    "solution_stack"
                };
                problems.push(Problem::retired(address, field, summary, lifecycles));
            }
            Lifecycle::Supported | Lifecycle::Beta => {}
        }
    }
    if problems.is_empty() {
        Ok(notes)
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

    fn retired(
        address: &Address,
        field: &'static str,
        branch: &BranchSummary,
        lifecycles: &Lifecycles,
    ) -> Problem {
        let since = retirement_date(&branch.name).map_or_else(String::new, |d| format!(" on {d}"));
        let to = match successor(branch, &lifecycles.supported) {
            Some(next) => format!(
                "move to `{0}` (platform = \"{0}\"), the newest supported branch of {1}",
                next.name, branch.platform
            ),
            None => format!(
                "Elastic Beanstalk lists no supported branch of {} to move to",
                branch.platform
            ),
        };
        Problem {
            address: address.clone(),
            field,
            message: format!(
                "Elastic Beanstalk retired the platform branch `{}`{since}: it launches no new \
                 environment on it and updates none; {to}",
                branch.name
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

/// Every environment whose platform AWS cannot launch (or has retired): nothing was changed.
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

    const BRANCH: &str = "Node.js 24 running on 64bit Amazon Linux 2023";
    const V1: &str = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24";
    const V2: &str = "64bit Amazon Linux 2023 v6.12.0 running Node.js 24";
    const OLD: &str = "64bit Amazon Linux 2023 v6.6.0 running Node.js 24";

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
            &list(&["64bit Amazon Linux 2023 v6.11.5 running Node.js 22"]),
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

    /// AWS as `d` says, the environments on `V1`, each resource's attributes edited by `edit`.
    fn live_as(d: &DesiredState, edit: impl Fn(&Address, &mut Attrs)) -> LiveState {
        let mut live = LiveState::default();
        for (a, r) in &d.resources {
            let mut attrs = r.attrs.clone();
            if let Attrs::BeanstalkEnv(e) = &mut attrs {
                e.solution_stack = V1.into();
            }
            edit(a, &mut attrs);
            let l = LiveResource {
                id: a.to_string(),
                attrs,
                tags: r.tags.clone(),
                pending: Default::default(),
            };
            live.resources.insert(a.clone(), l);
        }
        live
    }

    /// The plan from `d` to `live`, its platforms resolved without AWS's lists (as a plan is
    /// first made): this fails if resolution needed them.
    fn plan(d: &DesiredState, live: &LiveState) -> Plan {
        let (mut d, branches) = (d.clone(), staging().1);
        resolve(&mut d, &branches, live, &[], false).unwrap();
        crate::plan::diff(&d, live, &Default::default()).unwrap()
    }

    #[test]
    fn only_a_plan_that_changes_an_environment_reads_the_platform_lists() {
        let (d, branches) = staging();
        let converged = live_as(&d, |_, _| {});
        // Converged: resolution keeps what runs without the list, and nothing is read.
        assert!(!needs_list(&d, &branches, &converged, false));
        let same = plan(&d, &converged);
        assert!(!changes_an_environment(&same));
        assert!(!advised(false, false, Some(&same)));
        // ... unless the operator asks to upgrade, or the plan could not be made without them.
        assert!(advised(false, true, Some(&same)));
        assert!(advised(false, false, None));
        // Something else changes (an alarm's threshold): still nothing to advise on.
        let alarm = live_as(&d, |_, attrs| {
            if let Attrs::Alarm(al) = attrs {
                al.threshold = crate::model::Threshold(12345.0);
            }
        });
        let other = plan(&d, &alarm);
        assert!(other.has_changes());
        assert!(!advised(false, false, Some(&other)));
        // An environment's setting changed outside provision: the plan updates it, and reads.
        let settings = live_as(&d, |a, attrs| {
            if let Attrs::BeanstalkEnv(e) = attrs
                && *a == backend()
            {
                e.settings.clear();
            }
        });
        let updated = plan(&d, &settings);
        assert!(changes_an_environment(&updated));
        assert!(advised(false, false, Some(&updated)));
        // Created: resolution needs the list anyway.
        assert!(needs_list(&d, &branches, &LiveState::default(), false));
        let mut created = d.clone();
        resolve(
            &mut created,
            &branches,
            &LiveState::default(),
            &[V1.into()],
            false,
        )
        .unwrap();
        let from_empty = crate::plan::diff(&created, &LiveState::default(), &Default::default());
        assert!(changes_an_environment(&from_empty.unwrap()));
        // Deleted (destroy): nothing is sent to an environment, nothing to advise on.
        let mut none = d.clone();
        none.resources.clear();
        let gone = plan(&none, &converged);
        assert!(!changes_an_environment(&gone));
    }

    fn summary(name: &str, lifecycle: Lifecycle, order: i32) -> BranchSummary {
        BranchSummary {
            name: name.into(),
            platform: "Node.js".into(),
            lifecycle,
            order,
        }
    }

    const NODE20: &str = "Node.js 20 running on 64bit Amazon Linux 2023";
    const NODE22: &str = "Node.js 22 running on 64bit Amazon Linux 2023";

    #[test]
    fn the_targets_are_the_spec_branches_and_the_branches_of_pins() {
        let (mut d, branches) = staging();
        let targets = targeted(&d, &branches);
        assert_eq!(targets.len(), 2);
        assert_eq!(names(&targets), [BRANCH]);
        // A pinned console: the branch of its stack.
        if let Attrs::BeanstalkEnv(e) = &mut d.resources.get_mut(&console()).unwrap().attrs {
            e.solution_stack = "64bit Amazon Linux 2023 v6.11.5 running Node.js 22".into();
        }
        let mut pinned = branches.clone();
        pinned.remove(&console());
        let targets = targeted(&d, &pinned);
        assert_eq!(targets[&console()], NODE22);
        assert_eq!(names(&targets), [NODE22, BRANCH]);
    }

    fn console() -> Address {
        Address::single(Stack::Console, crate::model::Kind::BeanstalkEnv)
    }

    #[test]
    fn a_deprecated_branch_is_a_warning_with_its_retirement_date() {
        let (d, branches) = staging();
        let targets = targeted(&d, &branches);
        let supported = Lifecycles {
            branches: vec![summary(BRANCH, Lifecycle::Supported, 5)],
            supported: vec![],
        };
        assert_eq!(check_lifecycle(&targets, &branches, &supported), Ok(vec![]));
        let deprecated = Lifecycles {
            branches: vec![summary(BRANCH, Lifecycle::Deprecated, 5)],
            supported: vec![],
        };
        let notes = check_lifecycle(&targets, &branches, &deprecated).unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        let text = notes[0].1.to_string();
        assert!(text.starts_with("warning: platform:"), "{text}");
        assert!(text.contains("no retirement date"), "{text}");
        // A branch whose date AWS published names it.
        let mut on_20 = targets.clone();
        on_20.insert(backend(), NODE20.into());
        let node20 = Lifecycles {
            branches: vec![summary(NODE20, Lifecycle::Deprecated, 3)],
            supported: vec![],
        };
        let notes = check_lifecycle(&on_20, &branches, &node20).unwrap();
        assert_eq!(
            notes,
            vec![(
                backend(),
                Note::DeprecatedPlatform {
                    branch: NODE20.into(),
                    retires: Some("2026-07-31".into())
                }
            )]
        );
        assert!(notes[0].1.to_string().contains("retires on 2026-07-31"));
        // Nothing known of a branch: no opinion (the solution stacks speak for it).
        let none = check_lifecycle(&targets, &branches, &Lifecycles::default()).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_retired_branch_is_refused_naming_the_branch_to_move_to() {
        let (d, mut branches) = staging();
        for b in branches.values_mut() {
            *b = NODE20.into();
        }
        let targets = targeted(&d, &branches);
        let mut lifecycles = Lifecycles {
            branches: vec![summary(NODE20, Lifecycle::Retired, 3)],
            supported: vec![
                summary(NODE22, Lifecycle::Supported, 4),
                summary(BRANCH, Lifecycle::Supported, 5),
            ],
        };
        assert_eq!(lifecycles.retired_platforms(), ["Node.js"]);
        let e = check_lifecycle(&targets, &branches, &lifecycles).unwrap_err();
        assert_eq!(e.list.len(), 2);
        let p = &e.list[0];
        assert_eq!((p.address.clone(), p.field), (backend(), "platform"));
        assert!(
            p.message
                .contains("retired the platform branch `Node.js 20"),
            "{}",
            p.message
        );
        assert!(p.message.contains("on 2026-07-31"), "{}", p.message);
        assert!(
            p.message
                .contains(&format!("move to `{BRANCH}` (platform = \"{BRANCH}\")")),
            "{}",
            p.message
        );
        // Pinned, the field is the pin; nowhere to go, it says so.
        lifecycles.supported.clear();
        let e = check_lifecycle(&targets, &Branches::new(), &lifecycles).unwrap_err();
        assert_eq!(e.list[0].field, "solution_stack");
        assert!(e.list[0].message.contains("no supported branch of Node.js"));
        let shown = Unavailable {
            origins: [(
                "backend.beanstalk.solution_stack".to_owned(),
                "specs/base.toml:99".to_owned(),
            )]
            .into(),
            ..e
        }
        .to_string();
        assert!(
            shown.contains("backend.beanstalk.solution_stack (specs/base.toml:99)"),
            "{shown}"
        );
    }
}
