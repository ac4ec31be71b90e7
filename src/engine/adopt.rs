//! Adoption: what a plan found by its tags (or with other values) that state does not record,
//! which stacks a plan writes to, and the plan made again under the locks.

use std::collections::BTreeSet;

use super::{Error, Observed, Session};
use crate::model::{Address, RecordedState, Stack};
use crate::plan::{Action, Plan};
use crate::state;

/// The stacks a plan writes to: those with changes, and those where resources are adopted.
pub fn touched(plan: &Plan, recorded: &RecordedState) -> BTreeSet<Stack> {
    let adopt = unrecorded(plan, recorded);
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp || adopt.contains(&c.address))
        .map(|c| c.address.stack)
        .collect()
}

/// Resources that match the spec but are missing from state, recorded under another id (found
/// by their ownership tags after a run that died before recording them), or recorded with
/// other values (a run killed while AWS carried out its change): live = spec ≠ recorded.
pub fn unrecorded(plan: &Plan, recorded: &RecordedState) -> BTreeSet<Address> {
    plan.changes
        .iter()
        .filter(|c| c.action == Action::NoOp)
        .filter(|c| match recorded.resources.get(&c.address) {
            None => true,
            Some(r) => {
                Some(&r.id) != c.id.as_ref()
                    || Some(&r.attrs) != c.after.as_ref()
                    || Some(&r.tags) != c.tags.as_ref()
            }
        })
        .map(|c| c.address.clone())
        .collect()
}

/// The plan made again under the locks (`made`), through the same checks as the first.
pub async fn replan(
    s: &Session,
    observed: &Observed,
    made: Plan,
    locked: &BTreeSet<Stack>,
) -> Result<Plan, Error> {
    let plan = s.checked(made, true)?;
    // Names may have been taken while this run waited for its locks.
    s.check_names(&plan, observed).await?;
    // Someone changed AWS or state between the first plan and the lock: the work now reaches a
    // stack this run does not hold. Start over rather than write to it unlocked.
    let unlocked: Vec<&str> = touched(&plan, &observed.recorded)
        .difference(locked)
        .map(|s| s.as_str())
        .collect();
    if !unlocked.is_empty() {
        return Err(Error::Refused(format!(
            "AWS or state changed while this run waited for its locks: the plan now also changes {}; nothing was done, run it again",
            unlocked.join(", ")
        )));
    }
    Ok(plan)
}

/// Records what the plan found by its tags but state is missing, before anything changes;
/// `note` is told of each, as it is recorded.
pub async fn adopt(
    plan: &Plan,
    observed: &Observed,
    recorder: &mut state::Recorder,
    note: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let adopt = unrecorded(plan, &observed.recorded);
    for c in plan.changes.iter().filter(|c| adopt.contains(&c.address)) {
        let (Some(id), Some(attrs)) = (&c.id, &c.after) else {
            continue;
        };
        let record = crate::model::RecordedResource {
            id: id.clone(),
            attrs: attrs.clone(),
            tags: c.tags.clone().unwrap_or_default(),
            depends_on: c.depends_on.clone(),
        };
        let text = match observed.recorded.resources.get(&c.address) {
            Some(r) if &r.id == id => format!(
                "{}: recorded {id} as AWS has it (it matches the spec; state had older values)\n",
                c.address
            ),
            _ => format!(
                "{}: adopted {id} (found by its tags, missing from state)\n",
                c.address
            ),
        };
        recorder.record(&c.address, record).await?;
        note(&text);
    }
    Ok(())
}
