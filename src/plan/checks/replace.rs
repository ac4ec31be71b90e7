//! What a replacement would destroy, or cannot do: checked on the planned changes, and
//! reported by `diff` together with its other errors.

use serde_json::Value;

use crate::model::{Address, Attrs, Kind, LiveState};
use crate::plan::types::{Action, Change, PlanError};

/// The errors found, by where planning meets them: per address (a storage shrink), and per
/// replacement (data destroyed, a group in use).
#[derive(Debug, Default)]
pub struct Found {
    pub per_address: Vec<PlanError>,
    pub per_replacement: Vec<PlanError>,
}

pub fn replacements(changes: &[Change], live: &LiveState) -> Found {
    let mut found = Found::default();
    for c in changes {
        found.per_address.extend(storage_shrink(c, live));
    }
    for c in changes.iter().filter(|c| c.action == Action::Replace) {
        found.per_replacement.extend(destructive(c));
        found.per_replacement.extend(in_use(c, changes));
    }
    found
}

/// RDS only grows storage. Live storage counts with the value AWS is converging to.
fn storage_shrink(c: &Change, live: &LiveState) -> Option<PlanError> {
    let Some(Attrs::DbInstance(want)) = &c.after else {
        return None;
    };
    let l = live.resources.get(&c.address)?;
    let Attrs::DbInstance(have) = &l.attrs else {
        return None;
    };
    let live_size = l
        .pending
        .get("allocated_storage_gb")
        .cloned()
        .unwrap_or_else(|| Value::from(have.allocated_storage_gb))
        .as_u64()
        .unwrap_or(0) as u32;
    (want.allocated_storage_gb < live_size).then(|| PlanError::StorageShrink {
        address: c.address.clone(),
        from: live_size,
        to: want.allocated_storage_gb,
    })
}

/// Replacing what holds data destroys it: the spec must allow that explicitly.
fn destructive(c: &Change) -> Option<PlanError> {
    let allowed = c.lifecycle.allow_replace;
    (c.address.kind.describe().holds_data && !allowed).then(|| PlanError::DestructiveReplace {
        address: c.address.clone(),
        fields: c.forcing_fields(),
    })
}

/// A replacement deletes the old group first, and AWS refuses to delete a group that rules or
/// instances still use: say so now rather than fail halfway.
fn in_use(c: &Change, changes: &[Change]) -> Option<PlanError> {
    if c.address.kind != Kind::SecurityGroup {
        return None;
    }
    // The desired resources (those with attributes after) that depend on it and stay.
    let users: Vec<Address> = changes
        .iter()
        .filter(|u| u.after.is_some() && u.address != c.address)
        .filter(|u| u.depends_on.contains(&c.address) && u.action != Action::Replace)
        .map(|u| u.address.clone())
        .collect();
    (!users.is_empty()).then(|| PlanError::ReplaceInUse {
        address: c.address.clone(),
        fields: c.forcing_fields(),
        users,
    })
}
