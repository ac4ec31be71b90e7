//! The plan: data that says exactly what apply will do, in what order, and why.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::{Address, Attrs, Lifecycle, Tags};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Delete, then create again: an immutable field changed.
    Replace,
    Delete,
    /// Drop it from state only: it is gone from AWS (or what holds its id now is not ours), so
    /// no call is made.
    Forget,
    NoOp,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Forget => "x",
            Action::NoOp => " ",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Forget => "forget (state only)",
            Action::NoOp => "no change",
        }
    }
}

/// One field's before and after, as JSON values (objects are flattened to dotted paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    /// `null` when the field is new.
    pub before: serde_json::Value,
    /// `null` when the field goes away.
    pub after: serde_json::Value,
    /// This field cannot change in place.
    pub forces_replacement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// Depth in the dependency graph of the side the action works on (desired for creates and
    /// updates, live for deletes). Creates run by ascending level, deletes by descending.
    pub level: usize,
    /// What must be done before this change (for deletes: what must be deleted first).
    pub depends_on: BTreeSet<Address>,
    /// The physical id, when the resource exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub before: Option<Attrs>,
    pub after: Option<Attrs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    pub fields: Vec<FieldChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How the executor may carry the change out (RDS: apply now or in the maintenance window).
    #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
    pub lifecycle: Lifecycle,
    /// A database deleted by this change (a delete, or the first half of a replace) leaves
    /// this final snapshot; `None`: its data goes with it. Decided by the plan's checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_snapshot: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    /// Dropped from state without an AWS call. Absent from JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub forget: usize,
    pub no_op: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub env: String,
    /// Sorted by address; `level` and `depends_on` carry the order of execution.
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
                Action::Forget => s.forget += 1,
                Action::NoOp => s.no_op += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }
}

/// Why no plan could be made. All of them are reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{address}: changing {} forces replacement, which would destroy its data; \
         set `allow_replace = true` in the spec to accept that, or revert the change",
        fields.join(", ")
    )]
    DestructiveReplace {
        address: Address,
        fields: Vec<String>,
    },
    #[error(
        "{address}: allocated storage cannot shrink ({from} GiB -> {to} GiB); RDS only grows storage. \
         Keep {from} GiB or more, or migrate to a new instance"
    )]
    StorageShrink {
        address: Address,
        from: u32,
        to: u32,
    },
    #[error(
        "{address}: changing {} forces replacement, but the group is still used by {} and AWS \
         cannot delete a group in use; keep {0} as it is, or add a new group under another name \
         in the spec, move its users to it, and remove the old one afterwards",
        fields.join(", "),
        users.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    ReplaceInUse {
        address: Address,
        fields: Vec<String>,
        users: Vec<Address>,
    },
    #[error(
        "{address}: {id} also carries this address's ownership tags (a copy made outside \
         provision?); delete the one that should not exist, or remove its provision:* tags"
    )]
    Duplicate { address: Address, id: String },
    #[error("{address}: the spec says {desired} but AWS has a {live} under this address")]
    KindMismatch {
        address: Address,
        desired: String,
        live: String,
    },
    #[error(
        "{address}: changing {} replaces the database, deleting the old instance and its data \
         ({why}); that needs the environment's explicit confirmation: apply --env {env} \
         --confirm {env} (a final snapshot is taken first), or revert the change",
        fields.join(", ")
    )]
    UnconfirmedDataReplace {
        address: Address,
        fields: Vec<String>,
        env: String,
        why: String,
    },
    #[error("{0}")]
    Cycle(#[from] crate::model::graph::CycleError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PlanErrors(pub Vec<PlanError>);
