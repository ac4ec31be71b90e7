//! `provision state rm`: forgets resources without deleting them. Each is dropped from its
//! stack's snapshot under that stack's lock, and its four ownership tags are taken off: a
//! resource is this environment's by its tags as much as by state, so one left tagged would be
//! adopted again by the next apply (or deleted by it, once gone from the spec). Afterwards drift
//! reports it as unmanaged until it is imported again.

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;
use serde::Serialize;

use super::commands::Run;
use super::{CliError, Global, Outcome, RunArgs, StateBackend};
use crate::aws::Verdict;
use crate::cli::output::{Render, pretty};
use crate::engine::Locks;
use crate::import::OWNERSHIP_TAGS;
use crate::model::Address;
use crate::plan::render::Style;
use crate::state;

#[derive(Debug, Args)]
pub struct StateRmArgs {
    /// Environment name: a file specs/NAME.toml.
    #[arg(long)]
    pub env: String,
    /// The addresses to forget (`provision state show` lists them).
    #[arg(required = true, value_name = "ADDRESS")]
    pub addresses: Vec<String>,
    /// Where snapshots live.
    #[arg(long, value_enum, default_value_t = StateBackend::S3)]
    pub state: StateBackend,
}

/// One forgotten resource, and what happened to its tags.
#[derive(Debug, Serialize)]
struct Forgot {
    address: Address,
    id: String,
    /// `untagged`, `gone` (not in AWS any more), `not_ours` (tags left alone) or `no_tags`.
    tags: &'static str,
}

#[derive(Debug, Serialize)]
struct Forgotten {
    env: String,
    forgotten: Vec<Forgot>,
}

impl Render for Forgotten {
    fn text(&self, _: Style) -> String {
        let mut out = String::new();
        for f in &self.forgotten {
            let what = match f.tags {
                "untagged" => "left in AWS, its ownership tags removed",
                "gone" => "it was gone from AWS already",
                "not_ours" => "left in AWS; its tags name another owner and were left alone",
                _ => "left in AWS (it carries no tags of its own)",
            };
            out.push_str(&format!("{}: forgot {} ({what})\n", f.address, f.id));
        }
        out
    }

    fn json(&self) -> Option<String> {
        pretty(self)
    }
}

pub async fn state_rm(g: &Global, a: &StateRmArgs) -> Result<Outcome, CliError> {
    let mut addresses = BTreeSet::new();
    let mut bad = Vec::new();
    for text in &a.addresses {
        match text.parse::<Address>() {
            Ok(address) => {
                addresses.insert(address);
            }
            Err(e) => bad.push(format!("unknown address: {e}")),
        }
    }
    if !bad.is_empty() {
        return Err(CliError::Refused(bad.join("\n")));
    }
    let run = RunArgs {
        env: a.env.clone(),
        stack: None,
        state: a.state,
        stats: false,
    };
    let s = Run::open(g, &run).await?;
    let store = s.store();
    let stacks: Vec<_> = addresses
        .iter()
        .map(|a| a.stack)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let locks = Locks::acquire(
        &store,
        stacks.iter().copied(),
        &s.env,
        "state rm",
        s.on_release_error(),
    )
    .await?;
    let result = forget(&s, &addresses, &stacks, store).await;
    locks.release().await;
    s.out.show(&result?);
    Ok(Outcome::Done)
}

/// Under the locks: what state records now is what is forgotten.
async fn forget(
    s: &Run,
    addresses: &BTreeSet<Address>,
    stacks: &[crate::model::Stack],
    store: state::Store,
) -> Result<Forgotten, CliError> {
    let mut recorder = state::Recorder::open(store, &s.env, stacks, &s.spec_hash).await?;
    let recorded = recorder.recorded();
    let ids: BTreeMap<&Address, String> = addresses
        .iter()
        .filter_map(|a| Some((a, recorded.resources.get(a)?.id.clone())))
        .collect();
    let missing: Vec<String> = addresses
        .iter()
        .filter(|a| !ids.contains_key(a))
        .map(ToString::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Refused(format!(
            "not in the state of `{}`: {} (`provision state show --env {}` lists what is); nothing was changed",
            s.env,
            missing.join(", "),
            s.env
        )));
    }
    let claims = crate::aws::Claims::new(
        s.owner(),
        recorded.resources.iter().map(|(a, r)| (a, r.id.as_str())),
    );
    let mut forgotten = Vec::new();
    for (address, id) in ids {
        let tags = s.aws.tags_at(&s.owner(), address, &id).await?;
        let outcome = match tags {
            None => "gone",
            // An integration's tags are its API's: they stay.
            Some(_) if address.kind.describe().owned_through.is_some() => "no_tags",
            Some(tags) => match claims.verdict(&id, address.kind, &tags) {
                Verdict::Ours(_) => {
                    let remove: BTreeSet<String> = OWNERSHIP_TAGS
                        .iter()
                        .filter(|k| tags.contains_key(**k))
                        .map(|k| (*k).to_owned())
                        .collect();
                    if !remove.is_empty() {
                        s.aws
                            .tag_at(&s.owner(), address, &id, &Default::default(), &remove)
                            .await?;
                    }
                    "untagged"
                }
                Verdict::Foreign(_) | Verdict::Unproven => "not_ours",
            },
        };
        recorder.forget(address).await?;
        forgotten.push(Forgot {
            address: address.clone(),
            id,
            tags: outcome,
        });
    }
    recorder.finish().await?;
    Ok(Forgotten {
        env: s.env.clone(),
        forgotten,
    })
}
