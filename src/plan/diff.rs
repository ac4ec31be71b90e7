//! `diff(desired, live, recorded) -> Plan`: pure, deterministic, no AWS.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::types::*;
use crate::model::engine_version::{Standing, standing};
use crate::model::field::flatten;
use crate::model::graph::levels;
use crate::model::kinds::{Normalise, Shown};
use crate::model::*;

/// Whether a change to `field` forces `kind` to be replaced.
fn forces(kind: Kind, field: &Field) -> bool {
    kind.describe()
        .immutable
        .iter()
        .any(|path| field.is_under(path))
}

/// The dependency graphs the plan is ordered by: desired for creates and updates, existing
/// for deletes.
struct Graphs {
    desired_edges: BTreeMap<Address, BTreeSet<Address>>,
    desired_levels: BTreeMap<Address, usize>,
    existing_edges: BTreeMap<Address, BTreeSet<Address>>,
    existing_levels: BTreeMap<Address, usize>,
}

impl Graphs {
    fn new(
        desired: &DesiredState,
        live: &LiveState,
        recorded: &RecordedState,
    ) -> Result<Graphs, PlanErrors> {
        let desired_edges: BTreeMap<Address, BTreeSet<Address>> = desired
            .resources
            .iter()
            .map(|(a, r)| (a.clone(), r.depends_on(a)))
            .collect();
        let desired_levels = levels(&desired_edges).map_err(|e| PlanErrors(vec![e.into()]))?;
        // Existing resources' edges, for ordering deletes: live references plus the snapshot's
        // edges, which also hold the ordering edges no attribute carries (NAT gateway -> IGW).
        let mut existing_edges: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
        for (a, r) in &recorded.resources {
            existing_edges.insert(a.clone(), r.depends_on.clone());
        }
        for (a, r) in &live.resources {
            existing_edges
                .entry(a.clone())
                .or_default()
                .extend(managed_refs(a, &r.attrs));
        }
        let existing_levels = levels(&existing_edges).map_err(|e| PlanErrors(vec![e.into()]))?;
        Ok(Graphs {
            desired_edges,
            desired_levels,
            existing_edges,
            existing_levels,
        })
    }

    /// Level and dependencies of a delete: what refers to it goes first.
    fn existing(&self, address: &Address) -> (usize, BTreeSet<Address>) {
        (
            self.existing_levels.get(address).copied().unwrap_or(0),
            dependents(address, &self.existing_edges),
        )
    }
}

pub fn diff(
    desired: &DesiredState,
    live: &LiveState,
    recorded: &RecordedState,
) -> Result<Plan, PlanErrors> {
    // Two resources under one address: any choice between them could delete the wrong one.
    let mut errors: Vec<PlanError> = live
        .duplicates
        .iter()
        .map(|d| PlanError::Duplicate {
            address: d.address.clone(),
            id: d.id.clone(),
            recorded: recorded
                .resources
                .get(&d.address)
                .map(|r| r.id.clone())
                .filter(|r| *r != d.id),
        })
        .collect();
    let graphs = Graphs::new(desired, live, recorded)?;
    let addresses: BTreeSet<&Address> = desired
        .resources
        .keys()
        .chain(live.resources.keys())
        .chain(recorded.resources.keys())
        .collect();
    let mut changes = Vec::new();
    let mut mismatches = Vec::new();
    for address in addresses {
        let d = desired.resources.get(address);
        let l = live.resources.get(address);
        let rec = recorded.resources.get(address);
        match planned(address, d, l, rec, &graphs) {
            Ok(change) => changes.push(change),
            Err(mismatch) => mismatches.push(mismatch),
        }
    }
    cascade_replacements(&mut changes, desired);
    redeploy_stages(&mut changes);
    order_replacements(&mut changes);

    // The replacement checks validate the planned changes; their errors are reported with
    // the rest, in the order planning meets them: per address, then per replacement.
    let found = super::checks::replacements(&changes, live);
    let mut per_address = mismatches;
    per_address.extend(found.per_address);
    per_address.extend(super::checks::settings::refused(&changes));
    per_address.sort_by(|a, b| a.address().cmp(&b.address()));
    errors.extend(per_address);
    errors.extend(found.per_replacement);
    if errors.is_empty() {
        Ok(Plan {
            env: desired.env.clone(),
            changes,
        })
    } else {
        Err(PlanErrors(errors))
    }
}

/// The change at one address, from what the spec wants, what AWS has and what was recorded.
fn planned(
    address: &Address,
    d: Option<&DesiredResource>,
    l: Option<&LiveResource>,
    rec: Option<&RecordedResource>,
    graphs: &Graphs,
) -> Result<Change, PlanError> {
    Ok(match (d, l) {
        (Some(d), None) => Change {
            address: address.clone(),
            action: Action::Create,
            level: graphs.desired_levels[address],
            depends_on: graphs.desired_edges[address].clone(),
            id: None,
            before: None,
            after: Some(d.attrs.clone()),
            tags: Some(d.tags.clone()),
            fields: Vec::new(),
            lifecycle: d.lifecycle.clone(),
            final_snapshot: None,
            notes: Vec::new(),
            reason: rec.map(|r| Reason::GoneFromAws { id: r.id.clone() }),
        },
        (Some(d), Some(l)) => {
            if d.attrs.kind() != l.attrs.kind() {
                return Err(PlanError::KindMismatch {
                    address: address.clone(),
                    desired: d.attrs.kind().to_string(),
                    live: l.attrs.kind().to_string(),
                });
            }
            compare(
                address,
                d,
                l,
                rec,
                graphs.desired_levels[address],
                &graphs.desired_edges[address],
            )
        }
        (None, Some(l)) => {
            let (level, depends_on) = graphs.existing(address);
            Change {
                address: address.clone(),
                action: Action::Delete,
                level,
                depends_on,
                id: Some(l.id.clone()),
                before: Some(shown(&l.attrs, None, rec)),
                after: None,
                tags: None,
                fields: Vec::new(),
                lifecycle: Lifecycle::default(),
                final_snapshot: None,
                notes: Vec::new(),
                reason: Some(Reason::NoLongerInSpec(data_loss(&l.attrs))),
            }
        }
        (None, None) => {
            let r = rec.expect("address came from one of the three maps");
            // Nothing of ours was found: only the record goes, and whatever holds its id
            // or name now is not touched. Ordered like a delete: what the read left out
            // while it was going (a terminating environment) is waited for at apply.
            let (level, depends_on) = graphs.existing(address);
            Change {
                address: address.clone(),
                action: Action::Forget,
                level,
                depends_on,
                id: Some(r.id.clone()),
                before: Some(r.attrs.clone()),
                after: None,
                tags: None,
                fields: Vec::new(),
                lifecycle: Lifecycle::default(),
                final_snapshot: None,
                notes: Vec::new(),
                reason: Some(Reason::AlreadyGone),
            }
        }
    })
}

fn managed_refs(own: &Address, attrs: &Attrs) -> BTreeSet<Address> {
    attrs
        .refs()
        .into_iter()
        .filter_map(|r| match r {
            Ref::Managed(a) if a != own => Some(a.clone()),
            Ref::Managed(_) | Ref::External(_) => None,
        })
        .collect()
}

/// For a delete: the existing resources that refer to it, which must go first.
fn dependents(
    address: &Address,
    edges: &BTreeMap<Address, BTreeSet<Address>>,
) -> BTreeSet<Address> {
    edges
        .iter()
        .filter(|(_, deps)| deps.contains(address))
        .map(|(a, _)| a.clone())
        .collect()
}

fn compare(
    address: &Address,
    d: &DesiredResource,
    l: &LiveResource,
    rec: Option<&RecordedResource>,
    level: usize,
    deps: &BTreeSet<Address>,
) -> Change {
    let kind = address.kind;
    let (fields, _) = field_changes(kind, &d.attrs, &d.tags, l, rec, &d.lifecycle.ignore);
    let action = if fields.is_empty() {
        Action::NoOp
    } else if fields.iter().any(|f| f.forces_replacement) {
        Action::Replace
    } else {
        Action::Update
    };
    Change {
        address: address.clone(),
        action,
        level,
        depends_on: deps.clone(),
        id: Some(l.id.clone()),
        before: Some(shown(&l.attrs, Some(&d.attrs), rec)),
        after: Some(d.attrs.clone()),
        tags: Some(d.tags.clone()),
        fields,
        reason: None,
        lifecycle: d.lifecycle.clone(),
        final_snapshot: None,
        notes: notes(&d.attrs, l),
    }
}

/// What an unchanged or updated resource should tell the operator (see [`Note`]).
fn notes(want: &Attrs, l: &LiveResource) -> Vec<Note> {
    let (Attrs::DbInstance(w), Attrs::DbInstance(h)) = (want, &l.attrs) else {
        return Vec::new();
    };
    // A version AWS holds pending is where it is going; the live one is where it is.
    let live = l
        .pending
        .get("engine_version")
        .and_then(Value::as_str)
        .unwrap_or(&h.engine_version);
    match standing(&w.engine_version, live) {
        Standing::Ahead => vec![Note::EngineVersionAhead {
            spec: w.engine_version.clone(),
            live: live.to_owned(),
        }],
        Standing::Matches | Standing::Behind => Vec::new(),
    }
}

/// How a live resource differs from the attributes and tags it should have (`before` is live,
/// `after` is wanted), as the planner and drift both compare: pending values count as reached,
/// kind-specific normalisation applies, and fields the spec says to ignore are left out.
/// Also returns the live fields as compared.
pub fn field_changes(
    kind: Kind,
    attrs: &Attrs,
    tags: &Tags,
    l: &LiveResource,
    rec: Option<&RecordedResource>,
    ignore: &[String],
) -> (Vec<FieldChange>, BTreeMap<Field, Value>) {
    let want = flatten(attrs, tags);
    let mut have = flatten(&l.attrs, &l.tags);
    // A value AWS is already converging to counts as reached. Pending entries that are no
    // attribute (a Beanstalk environment's `status`) are for drift to report, not to compare.
    for (field, value) in &l.pending {
        let field = Field::from(field.as_str());
        if have.contains_key(&field) {
            have.insert(field, value.clone());
        }
    }
    normalise_live(kind, &want, &mut have, rec);
    let mut fields = Vec::new();
    let keys: BTreeSet<&Field> = want.keys().chain(have.keys()).collect();
    for key in keys
        .into_iter()
        .filter(|k| !is_ignored(&k.to_string(), ignore))
    {
        let before = have.get(key).cloned().unwrap_or(Value::Null);
        let after = want.get(key).cloned().unwrap_or(Value::Null);
        if before != after {
            fields.push(FieldChange {
                field: key.clone(),
                forces_replacement: forces(kind, key),
                before,
                after,
            });
        }
    }
    (fields, have)
}

/// Whether a dotted field path is one of the `[ignore]` paths, or under one of them.
pub fn is_ignored(key: &str, ignore: &[String]) -> bool {
    ignore.iter().any(|i| {
        key == i
            || key
                .strip_prefix(i.as_str())
                .is_some_and(|r| r.starts_with('.'))
    })
}

/// What deleting a resource does to its data.
fn data_loss(before: &Attrs) -> DataLoss {
    match before {
        Attrs::DbInstance(db) if db.deletion_protection => DataLoss::Protected,
        Attrs::DbInstance(_) => DataLoss::Unprotected,
        _ => DataLoss::Nothing,
    }
}

/// Live attributes as a plan may show them (see [`Shown`]).
fn shown(live: &Attrs, want: Option<&Attrs>, rec: Option<&RecordedResource>) -> Attrs {
    match live.kind().describe().shown {
        Shown::AsRead => live.clone(),
        Shown::DeclaredSettings => declared_settings(live, want, rec),
    }
}

/// Only the settings the spec declares, or declared when last applied.
fn declared_settings(live: &Attrs, want: Option<&Attrs>, rec: Option<&RecordedResource>) -> Attrs {
    let Attrs::BeanstalkEnv(l) = live else {
        return live.clone();
    };
    let declared = |a: Option<&Attrs>, ns: &str, opt: &str| match a {
        Some(Attrs::BeanstalkEnv(e)) => e.settings.get(ns).is_some_and(|o| o.contains_key(opt)),
        _ => false,
    };
    let mut out = l.clone();
    for (ns, options) in out.settings.iter_mut() {
        options
            .retain(|opt, _| declared(want, ns, opt) || declared(rec.map(|r| &r.attrs), ns, opt));
    }
    out.settings.retain(|_, options| !options.is_empty());
    Attrs::BeanstalkEnv(out)
}

/// Kind-specific views of live values before comparing (see [`Normalise`]).
fn normalise_live(
    kind: Kind,
    want: &BTreeMap<Field, Value>,
    have: &mut BTreeMap<Field, Value>,
    rec: Option<&RecordedResource>,
) {
    match kind.describe().normalise {
        Normalise::AsRead => {}
        Normalise::DeclaredSettings => {
            let recorded: BTreeSet<Field> = rec
                .map(|r| {
                    flatten(&r.attrs, &r.tags)
                        .into_keys()
                        .filter(|k| k.setting().is_some())
                        .collect()
                })
                .unwrap_or_default();
            have.retain(|k, _| {
                k.setting().is_none() || want.contains_key(k) || recorded.contains(k)
            });
            let prefix = Field::Attr("cname_prefix".into());
            if !want.contains_key(&prefix) {
                have.remove(&prefix);
            }
        }
        Normalise::Database => {
            let password = Field::Attr("master_password.env_var".into());
            if let (Some(w), Some(h)) = (want.get(&password), have.get(&password))
                && w != h
            {
                have.insert(password, w.clone());
            }
            let version = Field::Attr("engine_version".into());
            if let (Some(Value::String(w)), Some(Value::String(h))) =
                (want.get(&version), have.get(&version))
                && standing(w, h) != Standing::Behind
            {
                have.insert(version, Value::String(w.clone()));
            }
        }
    }
}

/// Attributes and tags as dotted paths to leaf values (arrays stay whole: they are sets).
pub fn flatten_resource(attrs: &Attrs, tags: &Tags) -> BTreeMap<String, Value> {
    flatten(attrs, tags)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// A replaced resource gets a new id: whatever holds that id in an immutable field must be
/// replaced too, and whatever holds it in a mutable field must be updated to the new id.
fn cascade_replacements(changes: &mut [Change], desired: &DesiredState) {
    loop {
        let replaced: BTreeSet<Address> = changes
            .iter()
            .filter(|c| c.action == Action::Replace)
            .map(|c| c.address.clone())
            .collect();
        let mut changed = false;
        for c in changes.iter_mut() {
            if !matches!(c.action, Action::NoOp | Action::Update) {
                continue;
            }
            if let Some(d) = desired.resources.get(&c.address) {
                changed |= follow_replaced(c, &d.attrs, &replaced);
            }
        }
        if !changed {
            break;
        }
    }
}

/// Adds to `c` each field of its desired attributes that refers to a replaced resource (by
/// its typed references), and whether that replaces `c` too. Returns whether any was added.
fn follow_replaced(c: &mut Change, attrs: &Attrs, replaced: &BTreeSet<Address>) -> bool {
    let mut holding: BTreeMap<Field, Vec<&Address>> = BTreeMap::new();
    for (field, r) in attrs.field_refs() {
        if let Ref::Managed(a) = r
            && replaced.contains(a)
        {
            holding.entry(field).or_default().push(a);
        }
    }
    let mut added = false;
    let values = flatten(attrs, &Tags::new());
    for (field, targets) in holding {
        if c.fields.iter().any(|f| f.field == field) {
            continue;
        }
        let value = values.get(&field).cloned().unwrap_or(Value::Null);
        let forces_replacement = forces(c.address.kind, &field);
        c.fields.push(FieldChange {
            after: with_new_ids(&value, &targets),
            before: value,
            field,
            forces_replacement,
        });
        c.action = if forces_replacement || c.action == Action::Replace {
            Action::Replace
        } else {
            Action::Update
        };
        c.reason = Some(Reason::Replaced(targets[0].clone()));
        added = true;
    }
    c.fields.sort_by(|a, b| a.field.cmp(&b.field));
    added
}

/// The value once the replaced resources have their new ids: each of their references
/// becomes `(new id of ADDRESS)`, the rest of the value (other set members) stays.
fn with_new_ids(value: &Value, targets: &[&Address]) -> Value {
    match value {
        Value::String(s) if targets.iter().any(|t| t.to_string() == *s) => {
            Value::String(format!("(new id of {s})"))
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| with_new_ids(v, targets)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), with_new_ids(v, targets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Which replacements create the new resource before deleting the old one: those of kinds
/// whose old and new may exist side by side ([`Description::coexists`]), unless something the
/// new one needs is itself replaced old-first. That one's create waits for its delete, which
/// waits for whatever holds it to go first: a create-first replacement there would wait for
/// itself (Terraform's rule that `create_before_destroy` reaches a resource's dependencies).
///
/// [`Description::coexists`]: crate::model::kinds::Description::coexists
fn order_replacements(changes: &mut [Change]) {
    let replaced = |c: &&Change| c.action == Action::Replace;
    let mut first: BTreeSet<Address> = changes
        .iter()
        .filter(replaced)
        .filter(|c| c.address.kind.describe().coexists)
        .map(|c| c.address.clone())
        .collect();
    loop {
        let old_first: BTreeSet<&Address> = changes
            .iter()
            .filter(replaced)
            .map(|c| &c.address)
            .filter(|a| !first.contains(*a))
            .collect();
        let before = first.len();
        first.retain(|a| {
            changes
                .iter()
                .find(|c| &c.address == a)
                .is_some_and(|c| !c.depends_on.iter().any(|d| old_first.contains(d)))
        });
        if first.len() == before {
            break;
        }
    }
    for c in changes.iter_mut().filter(|c| first.contains(&c.address)) {
        c.lifecycle.create_before_destroy = true;
    }
}

/// What serves a snapshot of others (an API stage, a deployment of its API) must be deployed
/// again when one of those changes for a reason its own attributes cannot see (the
/// integration's target was replaced and has a new endpoint), or clients keep the old one.
fn redeploy_stages(changes: &mut [Change]) {
    let changed: BTreeSet<Kind> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Replace))
        .map(|c| c.address.kind)
        .collect();
    for c in changes.iter_mut().filter(|c| c.action == Action::NoOp) {
        let by = c.address.kind.describe().redeployed_by;
        if !by.iter().any(|k| changed.contains(k)) {
            continue;
        }
        c.action = Action::Update;
        c.fields.push(FieldChange {
            field: Field::Deployment,
            before: Value::String("current".into()),
            after: Value::String("new deployment".into()),
            forces_replacement: false,
        });
        c.reason = Some(Reason::Redeploy);
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
