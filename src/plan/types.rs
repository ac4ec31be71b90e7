//! The plan: data that says exactly what apply will do, in what order, and why.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{Address, Attrs, Field, Lifecycle, Tags};

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
    pub field: Field,
    /// `null` when the field is new.
    pub before: serde_json::Value,
    /// `null` when the field goes away.
    pub after: serde_json::Value,
    /// This field cannot change in place.
    pub forces_replacement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub reason: Option<Reason>,
    /// How the executor may carry the change out (RDS: apply now or in the maintenance window).
    #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
    pub lifecycle: Lifecycle,
    /// A database deleted by this change (a delete, or the first half of a replace) leaves
    /// this final snapshot; `None`: its data goes with it. Decided by the plan's checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_snapshot: Option<String>,
    /// What the plan does not change but an operator should know (even on an unchanged
    /// resource). Plans show (and serialise) each as a sentence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

/// Something a plan leaves as it is, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// AWS runs a newer engine version than the spec names (an automatic minor upgrade in the
    /// maintenance window): RDS cannot go back, so nothing is sent.
    EngineVersionAhead { spec: String, live: String },
    /// The spec's platform branch has a newer version than the environment runs: an upgrade
    /// the operator asks for (`--upgrade-platform`), never one the plan makes by itself.
    NewerPlatform { running: String, newest: String },
    /// AWS has deprecated the branch the environment is on: it still runs and updates, until
    /// its retirement date (when AWS has published one).
    DeprecatedPlatform {
        branch: String,
        retires: Option<String>,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::EngineVersionAhead { spec, live } => write!(
                f,
                "engine_version: AWS runs {live}, newer than the spec's {spec} (an automatic \
                 minor upgrade); RDS cannot downgrade, so nothing is sent. Pin the major \
                 (engine_version = \"{major}\") or {live} to say so in the spec",
                major = crate::model::engine_version::major(live)
            ),
            Note::NewerPlatform { running, newest } => write!(
                f,
                "solution_stack: `{newest}` is available, newer than the `{running}` this \
                 environment runs; `provision apply --upgrade-platform` moves to it (an in-place \
                 platform update)"
            ),
            Note::DeprecatedPlatform { branch, retires } => {
                write!(
                    f,
                    "warning: platform: Elastic Beanstalk has deprecated the branch `{branch}`: "
                )?;
                match retires {
                    Some(date) => write!(
                        f,
                        "it retires on {date} (AWS's published schedule), after which no new \
                         environment launches on it and it gets no updates"
                    )?,
                    None => f.write_str("AWS has published no retirement date for it yet")?,
                }
                f.write_str("; move the spec to a supported branch before then")
            }
        }
    }
}

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a change is what it is, beyond its fields. Plans show (and serialise) it as a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Recorded under this id, but gone from AWS: created again.
    GoneFromAws { id: String },
    /// Out of the spec: deleted, saying what that does to its data.
    NoLongerInSpec(DataLoss),
    /// Out of the spec and already gone from AWS: only dropped from state.
    AlreadyGone,
    /// A resource it refers to is replaced: the reference follows the new id.
    Replaced(Address),
    /// The API integration changes: the stage is deployed again.
    Redeploy,
    /// A final snapshot is taken before the database is deleted, besides the reason before.
    FinalSnapshot {
        before: Option<Box<Reason>>,
        snapshot: String,
    },
}

/// What deleting a resource does to its data, so the plan says it before apply does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataLoss {
    /// It holds no data.
    Nothing,
    /// A database with deletion protection on.
    Protected,
    /// A database with deletion protection off.
    Unprotected,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::GoneFromAws { id } => write!(
                f,
                "recorded as {id} but gone from AWS (deleted outside provision)"
            ),
            Reason::NoLongerInSpec(loss) => {
                f.write_str("no longer in the spec")?;
                match loss {
                    DataLoss::Nothing => Ok(()),
                    DataLoss::Protected => f.write_str(
                        "; deletion protection is on: destroy needs --confirm ENV, turns it off, and takes a final snapshot",
                    ),
                    DataLoss::Unprotected => f.write_str(
                        "; deletion protection is off: the data goes with it, no final snapshot",
                    ),
                }
            }
            Reason::AlreadyGone => f.write_str(
                "no longer in the spec and already gone from AWS; only dropped from state",
            ),
            Reason::Replaced(target) => write!(f, "{target} is replaced"),
            Reason::Redeploy => {
                f.write_str("the integration changes; a new deployment carries it to clients")
            }
            Reason::FinalSnapshot { before, snapshot } => {
                if let Some(before) = before {
                    write!(f, "{before}; ")?;
                }
                write!(
                    f,
                    "final snapshot {snapshot} is taken before the instance is deleted"
                )
            }
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Tags a change sets (key -> value) and removes: applied apart from the attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    pub set: BTreeMap<String, String>,
    pub remove: BTreeSet<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// What the executor reads of a change: typed intent, never the text of its fields.
impl Change {
    /// Whether any attribute (not only tags) changes: an update call is needed.
    pub fn changes_attributes(&self) -> bool {
        self.fields.iter().any(|f| f.field.tag().is_none())
    }

    /// The tags to set and to remove.
    pub fn tag_changes(&self) -> TagChanges {
        let mut out = TagChanges::default();
        for f in &self.fields {
            let Some(key) = f.field.tag() else { continue };
            match f.after.as_str() {
                Some(v) => {
                    out.set.insert(key.to_owned(), v.to_owned());
                }
                None => {
                    out.remove.insert(key.to_owned());
                }
            }
        }
        out
    }

    /// Whether the planner asks for a new deployment of an API stage.
    pub fn redeploys(&self) -> bool {
        self.fields.iter().any(|f| f.field == Field::Deployment)
    }

    /// The option settings (namespace, option) the planner compared and found different,
    /// declared now or when last applied.
    pub fn changed_settings(&self) -> BTreeSet<(&str, &str)> {
        self.fields
            .iter()
            .filter_map(|f| f.field.setting())
            .collect()
    }

    /// Whether the attribute at `path` (or something under it) is one of the changed fields.
    pub fn touches(&self, path: &str) -> bool {
        self.fields.iter().any(|f| f.field.is_under(path))
    }

    /// The fields that force the replacement, as plans name them.
    pub fn forcing_fields(&self) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| f.forces_replacement)
            .map(|f| f.field.to_string())
            .collect()
    }
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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
        "{address}: {id} also carries this address's ownership tags ({}); delete the one that \
         should not exist, or remove its provision:* tags",
        match recorded {
            Some(kept) => format!(
                "state records {kept}: {id} is most likely the old one of a replacement that \
                 created the new one first and stopped before deleting it, or a copy made \
                 outside provision"
            ),
            None => "a copy made outside provision?".to_owned(),
        }
    )]
    Duplicate {
        address: Address,
        id: String,
        /// The one state records, when state records one of them.
        recorded: Option<String>,
    },
    #[error(
        "{address}: Elastic Beanstalk would refuse {problem}; change the setting (or what it \
         reads) in the spec. Nothing was changed"
    )]
    RefusedSetting {
        address: Address,
        problem: crate::model::properties::Refusal,
    },
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

impl PlanError {
    /// The resource the error is about; a cycle is about several.
    pub fn address(&self) -> Option<&Address> {
        match self {
            PlanError::DestructiveReplace { address, .. }
            | PlanError::StorageShrink { address, .. }
            | PlanError::ReplaceInUse { address, .. }
            | PlanError::Duplicate { address, .. }
            | PlanError::KindMismatch { address, .. }
            | PlanError::UnconfirmedDataReplace { address, .. }
            | PlanError::RefusedSetting { address, .. } => Some(address),
            PlanError::Cycle(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PlanErrors(pub Vec<PlanError>);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(fields: &[(&str, serde_json::Value)]) -> Change {
        Change {
            address: "console.beanstalk".parse().unwrap(),
            action: Action::Update,
            level: 0,
            depends_on: BTreeSet::new(),
            id: None,
            before: None,
            after: None,
            tags: None,
            fields: fields
                .iter()
                .map(|(f, after)| FieldChange {
                    field: Field::from(*f),
                    before: json!("old"),
                    after: after.clone(),
                    forces_replacement: false,
                })
                .collect(),
            reason: None,
            lifecycle: Lifecycle::default(),
            final_snapshot: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_executor_reads_typed_intent() {
        let tags_only = change(&[("tags.Name", json!("web")), ("tags.Old", json!(null))]);
        assert!(!tags_only.changes_attributes());
        let tags = tags_only.tag_changes();
        assert_eq!(tags.set, [("Name".to_owned(), "web".to_owned())].into());
        assert_eq!(tags.remove, ["Old".to_owned()].into());

        let settings = change(&[
            (
                "settings.aws:ec2:instances.InstanceTypes",
                json!("t3.small"),
            ),
            ("solution_stack", json!("new")),
        ]);
        assert!(settings.changes_attributes());
        assert!(settings.tag_changes().is_empty());
        assert_eq!(
            settings.changed_settings(),
            [("aws:ec2:instances", "InstanceTypes")].into()
        );
        assert!(settings.touches("solution_stack") && settings.touches("settings"));
        assert!(!settings.redeploys());
        assert!(change(&[("deployment", json!("new deployment"))]).redeploys());
    }

    #[test]
    fn reasons_read_as_before() {
        let gone = Reason::GoneFromAws { id: "vpc-1".into() };
        let with_snapshot = Reason::FinalSnapshot {
            before: Some(Box::new(Reason::NoLongerInSpec(DataLoss::Protected))),
            snapshot: "db-final".into(),
        };
        assert_eq!(
            serde_json::to_value(&gone).unwrap(),
            json!("recorded as vpc-1 but gone from AWS (deleted outside provision)")
        );
        assert!(with_snapshot.to_string().starts_with(
            "no longer in the spec; deletion protection is on: destroy needs --confirm ENV"
        ));
        assert!(
            with_snapshot
                .to_string()
                .ends_with("; final snapshot db-final is taken before the instance is deleted")
        );
    }
}
