//! `provision refresh`: records in state what AWS has for what state records, without changing
//! AWS (Terraform's `apply -refresh-only`). Like an apply, it writes under the stacks' locks
//! and leaves history; with nothing to record it takes no lock and writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::super::output::{Render, pretty};
use super::super::{CliError, Global, Outcome, RunArgs};
use super::Run;
use crate::engine::Locks;
use crate::model::{Address, Stack};
use crate::plan::refresh::{Refreshed, refresh as decide};
use crate::plan::render::Style;
use crate::state;

pub async fn refresh(g: &Global, run: &RunArgs) -> Result<Outcome, CliError> {
    let s = Run::open(g, run).await?;
    refresh_some(&s, run, None).await
}

/// Refresh for `only` these addresses when given (`drift --accept` records what it accepted
/// and nothing else), for every recorded address when not.
pub async fn refresh_some(
    s: &Run,
    run: &RunArgs,
    only: Option<&BTreeSet<Address>>,
) -> Result<Outcome, CliError> {
    let decide = |observed: &crate::engine::Observed| {
        let mut changes = decide(&s.desired, &observed.live, &observed.recorded);
        changes.retain(|c| only.is_none_or(|o| o.contains(c.address())));
        changes
    };
    let observed = s.observe().await?;
    let first = decide(&observed);
    if first.is_empty() {
        s.out.show(&View {
            env: &s.env,
            changes: &first,
        });
        s.print_stats(run);
        return Ok(Outcome::Done);
    }
    let store = s.store();
    store.ensure_ready().await?;
    let stacks: BTreeSet<Stack> = first.iter().map(|r| r.address().stack).collect();
    let locks = Locks::acquire(
        &store,
        stacks.iter().copied(),
        &s.env,
        "refresh",
        s.on_release_error(),
    )
    .await
    .map_err(|e| s.lock_error(e))?;
    let result = locked(s, &stacks, decide).await;
    locks.release().await;
    s.print_stats(run);
    result
}

/// Under the locks: read again, and record on exactly the snapshots read.
async fn locked(
    s: &Run,
    stacks: &BTreeSet<Stack>,
    decide: impl Fn(&crate::engine::Observed) -> Vec<Refreshed>,
) -> Result<Outcome, CliError> {
    let observed = s.observe().await?;
    let changes = decide(&observed);
    let outside: Vec<&str> = changes
        .iter()
        .map(|r| r.address().stack)
        .filter(|st| !stacks.contains(st))
        .map(Stack::as_str)
        .collect();
    if !outside.is_empty() {
        return Err(CliError::Refused(format!(
            "AWS or state changed while refresh waited for its locks (now also {}); nothing was recorded, run it again",
            outside.join(", ")
        )));
    }
    let mut recorder = state::Recorder::from_stored(
        s.store(),
        &s.env,
        &s.stacks,
        &s.spec_hash,
        observed.stored.clone(),
    );
    for change in &changes {
        match change {
            Refreshed::Record {
                address, record, ..
            } => recorder.record(address, (**record).clone()).await?,
            Refreshed::Forget { address, .. } => recorder.forget(address).await?,
        }
    }
    recorder.finish().await?;
    s.out.show(&View {
        env: &s.env,
        changes: &changes,
    });
    Ok(Outcome::Done)
}

/// What refresh recorded (json.md).
struct View<'a> {
    env: &'a str,
    changes: &'a [Refreshed],
}

impl Render for View<'_> {
    fn text(&self, _: Style) -> String {
        if self.changes.is_empty() {
            return format!(
                "{}: state already records what AWS has; nothing to refresh\n",
                self.env
            );
        }
        let mut out = String::new();
        for c in self.changes {
            match c {
                Refreshed::Record {
                    address,
                    id,
                    fields,
                    ..
                } => out.push_str(&format!(
                    "{address}: recorded what AWS has for {id} ({})\n",
                    fields.join(", ")
                )),
                Refreshed::Forget { address, id } => {
                    out.push_str(&format!("{address}: forgotten ({id} is gone from AWS)\n"))
                }
            }
        }
        out.push_str(&format!(
            "\nRefresh complete: {} recorded; AWS was not changed.\n",
            self.changes.len()
        ));
        out
    }

    fn json(&self) -> Option<String> {
        let by_stack: BTreeMap<&str, usize> =
            self.changes.iter().fold(BTreeMap::new(), |mut m, c| {
                *m.entry(c.address().stack.as_str()).or_default() += 1;
                m
            });
        pretty(&json!({
            "format_version": 1,
            "env": self.env,
            "changes": self.changes,
            "by_stack": by_stack,
        }))
    }
}
