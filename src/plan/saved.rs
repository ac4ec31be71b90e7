//! Saved plans (`plan --out FILE`, `apply FILE`): a plan with what it was made from, so that
//! the apply carries out exactly that plan or refuses, changing nothing, when anything it was
//! made from moved since. Its own versioned format (docs/plan-json.md, "Saved plans"): the
//! executor runs the plan made again under the locks, which must be the saved one to the byte.
//!
//! What it was made from: the specs (their hash), each stack's snapshot (lineage and serial),
//! the live values of every resource in the plan (a hash each), the targets, and the plan's
//! own digest. No secret is in it: plans carry none (only references to where they are kept).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Address, LiveState, Stack};

use super::Plan;
use super::target::Selection;

pub const FORMAT: &str = "provision-saved-plan";
/// 2: `excludes` (`--exclude`); version 1 files read as having none.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub format_version: u32,
    pub env: String,
    pub stacks: Vec<String>,
    pub targets: Vec<String>,
    /// `--exclude` (format version 2).
    #[serde(default)]
    pub excludes: Vec<String>,
    /// Made with `--upgrade-platform`: the apply resolves platforms the same way.
    #[serde(default)]
    pub upgrade_platform: bool,
    pub spec_hash: String,
    /// Each stack's snapshot as the plan read it; `None`: none written yet.
    pub state: BTreeMap<String, Option<StateMark>>,
    /// A hash of what AWS had for each address of the plan; `None`: not in AWS.
    pub live: BTreeMap<Address, Option<String>>,
    /// sha256 of the plan's JSON (plan-json.md) as made, before the checks run on it.
    pub digest: String,
    /// The plan itself, for people and tools (plan-json.md); not read back.
    pub plan: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMark {
    pub lineage: String,
    pub serial: u64,
}

/// What a saved plan is checked against: the same facts, read again.
pub struct Current<'a> {
    pub env: &'a str,
    pub stacks: &'a [Stack],
    pub selection: &'a Selection,
    pub spec_hash: &'a str,
    /// Each stack's snapshot as read now (absent: none written yet); the caller reads state.
    pub state: BTreeMap<Stack, StateMark>,
    pub live: &'a LiveState,
    pub plan: &'a Plan,
    pub region: &'a str,
}

/// Why a saved plan cannot be applied; nothing was changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Moved {
    #[error("the saved plan is for {saved}, not {now}; nothing was changed")]
    Scope { saved: String, now: String },
    #[error("the specs changed since the plan was saved; make a new plan; nothing was changed")]
    Spec,
    #[error("state moved since the plan was saved ({}); make a new plan; nothing was changed", .0.join("; "))]
    State(Vec<String>),
    #[error("AWS changed since the plan was saved: {}; make a new plan; nothing was changed", .0.join(", "))]
    Live(Vec<String>),
    #[error("the plan made now differs from the saved one; make a new plan; nothing was changed")]
    Plan,
}

fn sha(bytes: &[u8]) -> String {
    crate::spec::desired::hex(&Sha256::digest(bytes))
}

fn names(stacks: &[Stack]) -> Vec<String> {
    stacks.iter().map(|s| s.as_str().to_owned()).collect()
}

fn marks(
    stacks: &[Stack],
    state: &BTreeMap<Stack, StateMark>,
) -> BTreeMap<String, Option<StateMark>> {
    stacks
        .iter()
        .map(|s| (s.as_str().to_owned(), state.get(s).cloned()))
        .collect()
}

fn live_hashes(plan: &Plan, live: &LiveState) -> BTreeMap<Address, Option<String>> {
    plan.changes
        .iter()
        .map(|c| {
            let hash = live.resources.get(&c.address).map(|l| {
                sha(&serde_json::to_vec(&(&l.id, &l.attrs, &l.tags, &l.pending))
                    .expect("serialises"))
            });
            (c.address.clone(), hash)
        })
        .collect()
}

fn digest(plan: &Plan, region: &str) -> String {
    sha(super::render_json(plan, region).as_bytes())
}

impl SavedPlan {
    /// `plan` as made from `now` (before the plan's checks); `shown` is the plan as checked and
    /// shown.
    pub fn new(now: &Current<'_>, shown: &Plan) -> SavedPlan {
        let shown_json = super::render_json(shown, now.region);
        SavedPlan {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            env: now.env.into(),
            stacks: names(now.stacks),
            targets: now.selection.targets.clone(),
            excludes: now.selection.excludes.clone(),
            upgrade_platform: false,
            spec_hash: now.spec_hash.into(),
            state: marks(now.stacks, &now.state),
            live: live_hashes(now.plan, now.live),
            digest: digest(now.plan, now.region),
            plan: serde_json::from_str(&shown_json).expect("plan JSON"),
        }
    }

    /// The `--target` and `--exclude` it was made with.
    pub fn selection(&self) -> Selection {
        Selection {
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
        }
    }

    /// Whether `now` is what the plan was made from, first difference first.
    pub fn check(&self, now: &Current<'_>) -> Result<(), Moved> {
        let scope = |env: &str, stacks: &[String], sel: &Selection| {
            let mut s = format!("--env {env} (stacks {})", stacks.join(", "));
            for t in &sel.targets {
                s.push_str(&format!(" --target {t}"));
            }
            for t in &sel.excludes {
                s.push_str(&format!(" --exclude {t}"));
            }
            s
        };
        if self.env != now.env || self.stacks != names(now.stacks) {
            return Err(Moved::Scope {
                saved: scope(&self.env, &self.stacks, &self.selection()),
                now: scope(now.env, &names(now.stacks), now.selection),
            });
        }
        if self.spec_hash != now.spec_hash {
            return Err(Moved::Spec);
        }
        let state_now = marks(now.stacks, &now.state);
        let moved: Vec<String> = self
            .state
            .iter()
            .filter(|(s, m)| state_now.get(*s) != Some(*m))
            .map(|(s, m)| {
                let show = |m: Option<&StateMark>| {
                    m.map_or("no snapshot".into(), |m| format!("serial {}", m.serial))
                };
                let now = state_now.get(s).and_then(Option::as_ref);
                format!(
                    "{s}/{}: {} in the plan, {} now",
                    self.env,
                    show(m.as_ref()),
                    show(now)
                )
            })
            .collect();
        if !moved.is_empty() {
            return Err(Moved::State(moved));
        }
        let live_now = live_hashes(now.plan, now.live);
        let mut moved: Vec<String> = self
            .live
            .iter()
            .filter(|(a, h)| live_now.get(*a) != Some(*h))
            .map(|(a, _)| a.to_string())
            .collect();
        moved.extend(
            live_now
                .keys()
                .filter(|a| !self.live.contains_key(*a))
                .map(|a| format!("{a} (new)")),
        );
        if !moved.is_empty() {
            return Err(Moved::Live(moved));
        }
        if digest(now.plan, now.region) != self.digest {
            return Err(Moved::Plan);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::{LiveResource, RecordedState};
    use crate::state::{Snapshot, Stored};

    struct World {
        live: LiveState,
        stored: BTreeMap<Stack, Stored>,
        plan: Plan,
    }

    fn world() -> World {
        let loaded = crate::spec::load_one(Path::new("specs"), "staging").expect("valid");
        let desired = crate::spec::desired::build(&loaded.spec);
        let vpc: Address = "shared.vpc".parse().unwrap();
        let mut live = LiveState::default();
        let d = &desired.resources[&vpc];
        live.resources.insert(
            vpc.clone(),
            LiveResource {
                id: "vpc-1".into(),
                attrs: d.attrs.clone(),
                tags: BTreeMap::from([("Environment".into(), "by-hand".into())]),
                pending: BTreeMap::new(),
            },
        );
        let mut snap = Snapshot::new("staging", Stack::Shared, "h");
        snap.serial = 3;
        let stored = BTreeMap::from([(
            Stack::Shared,
            Stored {
                snapshot: snap,
                etag: "e".into(),
            },
        )]);
        let plan = super::super::diff(&desired, &live, &RecordedState::default()).unwrap();
        World { live, stored, plan }
    }

    fn now<'a>(w: &'a World) -> Current<'a> {
        static NONE: Selection = Selection {
            targets: Vec::new(),
            excludes: Vec::new(),
        };
        Current {
            env: "staging",
            stacks: &Stack::ALL,
            selection: &NONE,
            spec_hash: "spec",
            state: w
                .stored
                .iter()
                .map(|(s, st)| {
                    let mark = StateMark {
                        lineage: st.snapshot.lineage.clone(),
                        serial: st.snapshot.serial,
                    };
                    (*s, mark)
                })
                .collect(),
            live: &w.live,
            plan: &w.plan,
            region: "us-east-2",
        }
    }

    #[test]
    fn the_same_world_passes_and_survives_a_round_trip() {
        let w = world();
        let saved = SavedPlan::new(&now(&w), &w.plan);
        let text = serde_json::to_string(&saved).unwrap();
        let back: SavedPlan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, saved);
        assert_eq!(back.check(&now(&w)), Ok(()));
        assert_eq!(
            back.state["shared"],
            Some(StateMark {
                lineage: w.stored[&Stack::Shared].snapshot.lineage.clone(),
                serial: 3
            })
        );
        assert_eq!(back.state["backend"], None);
    }

    #[test]
    fn what_moved_is_named() {
        let w = world();
        let saved = SavedPlan::new(&now(&w), &w.plan);
        let mut moved = world();
        moved.stored = w.stored.clone();
        moved
            .stored
            .get_mut(&Stack::Shared)
            .unwrap()
            .snapshot
            .serial = 4;
        assert_eq!(
            saved.check(&now(&moved)),
            Err(Moved::State(vec![
                "shared/staging: serial 3 in the plan, serial 4 now".into()
            ]))
        );
        let mut moved = world();
        moved.stored = w.stored.clone();
        let vpc: Address = "shared.vpc".parse().unwrap();
        moved
            .live
            .resources
            .get_mut(&vpc)
            .unwrap()
            .tags
            .insert("Environment".into(), "again".into());
        assert_eq!(
            saved.check(&now(&moved)),
            Err(Moved::Live(vec!["shared.vpc".into()]))
        );
        let other = Current {
            spec_hash: "edited",
            ..now(&w)
        };
        assert_eq!(saved.check(&other), Err(Moved::Spec));
        let other = Current {
            env: "production",
            ..now(&w)
        };
        assert!(matches!(saved.check(&other), Err(Moved::Scope { .. })));
    }
}
