//! The three views the planner compares: desired (from specs), live (from AWS) and recorded
//! (the last snapshot). All plain data; the AWS layer fills [`LiveState`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::address::{Address, Kind, Stack};
use super::attrs::{Attrs, Ref};

pub type Tags = BTreeMap<String, String>;

/// Ownership tags: how `provision` finds what it owns, and never guesses by name.
pub const TAG_PROJECT: &str = "provision:project";
pub const TAG_ENV: &str = "provision:env";
pub const TAG_STACK: &str = "provision:stack";
pub const TAG_ADDRESS: &str = "provision:address";
/// Not an ownership tag: the one `provision:` key a spec's `[tags]` may set, to mark a run's
/// resources (scripts/aws-acceptance finds what a run left behind by it).
pub const TAG_RUN: &str = "provision:run";

/// Whose resources a read pass looks for: one project's one environment. Both tags must match,
/// so two projects (or two copies of one) with an environment of the same name never see, plan
/// or delete each other's resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub project: String,
    pub env: String,
}

impl Owner {
    pub fn owns(&self, tags: &Tags) -> bool {
        tags.get(TAG_PROJECT) == Some(&self.project) && tags.get(TAG_ENV) == Some(&self.env)
    }

    /// The provision owner (`project/env`) another project's or environment's tags name, if
    /// they name one. A tag that is missing names nobody (an operator may have removed it);
    /// only a `provision:project` or `provision:env` that says another value does.
    pub fn other(&self, tags: &Tags) -> Option<String> {
        let (project, env) = (tags.get(TAG_PROJECT), tags.get(TAG_ENV));
        let differs = |v: Option<&String>, ours: &str| v.is_some_and(|v| v != ours);
        if !differs(project, &self.project) && !differs(env, &self.env) {
            return None;
        }
        let show = |v: Option<&String>| v.map_or_else(|| "?".to_owned(), Clone::clone);
        Some(format!("{}/{}", show(project), show(env)))
    }
}

/// Whether `name` carries `env` as one of its dash-separated words (`agentpass-staging-backend-ec2`):
/// IAM names must (spec validation), so that a read pass skips other environments' by name.
pub fn names_env(name: &str, env: &str) -> bool {
    name == env
        || name.starts_with(&format!("{env}-"))
        || name.ends_with(&format!("-{env}"))
        || name.contains(&format!("-{env}-"))
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.project, self.env)
    }
}

/// How the planner may treat a resource, beyond its attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Allow a replacement that destroys data (RDS). Off unless the spec says so.
    pub allow_replace: bool,
    /// RDS: apply modifications now rather than in the next maintenance window.
    pub apply_immediately: bool,
    /// Fields (dotted paths, or prefixes of them) another system owns: neither planned nor
    /// reported as drift.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// A replacement that creates the new resource before deleting the old one (decided by
    /// the plan: the kind [coexists](super::kinds::Description::coexists) and nothing it
    /// needs is replaced the other way round). Never set by a spec.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
}

impl Lifecycle {
    pub fn is_default(&self) -> bool {
        *self == Lifecycle::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredResource {
    pub attrs: Attrs,
    pub tags: Tags,
    /// Ordering edges that are not attribute references (e.g. NAT needs the IGW attached).
    pub extra_deps: BTreeSet<Address>,
    pub lifecycle: Lifecycle,
}

impl DesiredResource {
    /// Managed resources this one must come after: its references plus extra ordering edges.
    /// What a setting only reads (`${backend.rds.endpoint}`) is not among them
    /// ([`read_only`](super::reads::read_only)).
    pub fn depends_on(&self, own: &Address) -> BTreeSet<Address> {
        let mut deps = self.extra_deps.clone();
        let read_only = super::reads::read_only(&self.attrs);
        for r in self.attrs.refs() {
            if let Ref::Managed(a) = r
                && a != own
                && !read_only.contains(a)
            {
                deps.insert(a.clone());
            }
        }
        deps
    }
}

/// Everything one environment's specs ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredState {
    pub env: String,
    pub region: String,
    pub resources: BTreeMap<Address, DesiredResource>,
}

impl DesiredState {
    pub fn stack(&self, stack: Stack) -> impl Iterator<Item = (&Address, &DesiredResource)> {
        self.resources.iter().filter(move |(a, _)| a.stack == stack)
    }
}

/// One resource as a read pass found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveResource {
    pub id: String,
    pub attrs: Attrs,
    pub tags: Tags,
    /// Values AWS has accepted but not applied yet (RDS `PendingModifiedValues`), by field.
    /// The planner treats them as the live value: converging is not a change to make.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, serde_json::Value>,
}

/// A resource inside the environment's VPC that carries no ownership tags of this environment:
/// made by hand, or by another tool. Never changed by provision; drift reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unmanaged {
    pub kind: Kind,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A second resource carrying an address's ownership tags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Duplicate {
    pub address: Address,
    pub id: String,
}

/// What one read pass of AWS found, by address (from the ownership tags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveState {
    pub resources: BTreeMap<Address, LiveResource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<Unmanaged>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<Duplicate>,
    /// Attributes other resources' settings may read (`${backend.rds.endpoint}`), by address:
    /// what the read pass saw besides the compared attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exports: super::template::Exports,
}

/// A resource as the last apply recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResource {
    pub id: String,
    pub attrs: Attrs,
    pub tags: Tags,
    #[serde(default)]
    pub depends_on: BTreeSet<Address>,
}

/// The last applied state of an environment, merged across its stacks' snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedState {
    pub resources: BTreeMap<Address, RecordedResource>,
}
