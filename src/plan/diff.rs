//! `diff(desired, live, recorded) -> Plan`: pure, deterministic, no AWS.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::types::*;
use crate::model::graph::levels;
use crate::model::*;

/// Fields that cannot change in place, per kind. A change to one of them means replace.
pub fn immutable_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Vpc => &["cidr"],
        Kind::Subnet => &["vpc", "cidr", "availability_zone"],
        Kind::InternetGateway => &["vpc"],
        Kind::ElasticIp => &[],
        Kind::NatGateway => &["subnet", "elastic_ip"],
        Kind::RouteTable => &["vpc"],
        // AWS cannot rename a group or change its description.
        Kind::SecurityGroup => &["vpc", "name", "description"],
        Kind::RestApi => &[],
        Kind::ApiKey => &[],
        Kind::ApiIntegration => &["api"],
        Kind::ApiStage => &["api", "stage_name"],
        Kind::UsagePlan => &["api"],
        Kind::DbSubnetGroup => &["name", "vpc"],
        Kind::DbInstance => &["identifier", "engine", "db_name", "master_username"],
        Kind::BeanstalkApp => &["name"],
        Kind::BeanstalkEnv => &[
            "name",
            "application",
            "tier",
            "cname_prefix",
            "settings.aws:ec2:vpc.VPCId",
        ],
    }
}

/// Replacing these destroys data, so the spec must allow it explicitly.
pub fn holds_data(kind: Kind) -> bool {
    match kind {
        Kind::DbInstance => true,
        Kind::Vpc
        | Kind::Subnet
        | Kind::InternetGateway
        | Kind::ElasticIp
        | Kind::NatGateway
        | Kind::RouteTable
        | Kind::SecurityGroup
        | Kind::RestApi
        | Kind::ApiKey
        | Kind::ApiIntegration
        | Kind::ApiStage
        | Kind::UsagePlan
        | Kind::DbSubnetGroup
        | Kind::BeanstalkApp
        | Kind::BeanstalkEnv => false,
    }
}

fn forces(kind: Kind, field: &str) -> bool {
    immutable_fields(kind).iter().any(|f| {
        field == *f
            || field
                .strip_prefix(f)
                .is_some_and(|rest| rest.starts_with('.'))
    })
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
        })
        .collect();

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

    let addresses: BTreeSet<&Address> = desired
        .resources
        .keys()
        .chain(live.resources.keys())
        .chain(recorded.resources.keys())
        .collect();

    let mut changes = Vec::new();
    for address in addresses {
        let d = desired.resources.get(address);
        let l = live.resources.get(address);
        let rec = recorded.resources.get(address);
        let change = match (d, l) {
            (Some(d), None) => Change {
                address: address.clone(),
                action: Action::Create,
                level: desired_levels[address],
                depends_on: desired_edges[address].clone(),
                id: None,
                before: None,
                after: Some(d.attrs.clone()),
                tags: Some(d.tags.clone()),
                fields: Vec::new(),
                lifecycle: d.lifecycle.clone(),
                final_snapshot: None,
                reason: rec.map(|r| {
                    format!(
                        "recorded as {} but gone from AWS (deleted outside provision)",
                        r.id
                    )
                }),
            },
            (Some(d), Some(l)) => {
                if d.attrs.kind() != l.attrs.kind() {
                    errors.push(PlanError::KindMismatch {
                        address: address.clone(),
                        desired: d.attrs.kind().to_string(),
                        live: l.attrs.kind().to_string(),
                    });
                    continue;
                }
                compare(
                    address,
                    d,
                    l,
                    rec,
                    desired_levels[address],
                    &desired_edges[address],
                    &mut errors,
                )
            }
            (None, Some(l)) => Change {
                address: address.clone(),
                action: Action::Delete,
                level: existing_levels.get(address).copied().unwrap_or(0),
                depends_on: dependents(address, &existing_edges),
                id: Some(l.id.clone()),
                before: Some(shown(&l.attrs, None, rec)),
                after: None,
                tags: None,
                fields: Vec::new(),
                lifecycle: Lifecycle::default(),
                final_snapshot: None,
                reason: Some(format!("no longer in the spec{}", data_note(&l.attrs))),
            },
            (None, None) => {
                let r = rec.expect("address came from one of the three maps");
                // Nothing of ours was found: only the record goes, and whatever holds its id
                // or name now is not touched. Ordered like a delete: what the read left out
                // while it was going (a terminating environment) is waited for at apply.
                Change {
                    address: address.clone(),
                    action: Action::Forget,
                    level: existing_levels.get(address).copied().unwrap_or(0),
                    depends_on: dependents(address, &existing_edges),
                    id: Some(r.id.clone()),
                    before: Some(r.attrs.clone()),
                    after: None,
                    tags: None,
                    fields: Vec::new(),
                    lifecycle: Lifecycle::default(),
                    final_snapshot: None,
                    reason: Some(
                        "no longer in the spec and already gone from AWS; only dropped from state"
                            .into(),
                    ),
                }
            }
        };
        changes.push(change);
    }

    cascade_replacements(&mut changes, desired);
    redeploy_stages(&mut changes);

    for c in &changes {
        if c.action == Action::Replace && holds_data(c.address.kind) {
            let allowed = desired
                .resources
                .get(&c.address)
                .is_some_and(|d| d.lifecycle.allow_replace);
            if !allowed {
                let fields = c
                    .fields
                    .iter()
                    .filter(|f| f.forces_replacement)
                    .map(|f| f.field.clone())
                    .collect();
                errors.push(PlanError::DestructiveReplace {
                    address: c.address.clone(),
                    fields,
                });
            }
        }
        // A replacement deletes the old group first, and AWS refuses to delete a group that
        // rules or instances still use: say so now rather than fail halfway.
        if c.action == Action::Replace && c.address.kind == Kind::SecurityGroup {
            let users: Vec<Address> = desired
                .resources
                .iter()
                .filter(|(a, r)| **a != c.address && r.depends_on(a).contains(&c.address))
                .filter(|(a, _)| {
                    changes
                        .iter()
                        .any(|u| &u.address == *a && u.action != Action::Replace)
                })
                .map(|(a, _)| a.clone())
                .collect();
            if !users.is_empty() {
                let fields = c
                    .fields
                    .iter()
                    .filter(|f| f.forces_replacement)
                    .map(|f| f.field.clone())
                    .collect();
                errors.push(PlanError::ReplaceInUse {
                    address: c.address.clone(),
                    fields,
                    users,
                });
            }
        }
    }

    if errors.is_empty() {
        Ok(Plan {
            env: desired.env.clone(),
            changes,
        })
    } else {
        Err(PlanErrors(errors))
    }
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
    errors: &mut Vec<PlanError>,
) -> Change {
    let kind = address.kind;
    let (fields, have) = field_changes(kind, &d.attrs, &d.tags, l, rec, &d.lifecycle.ignore);

    if let (Attrs::DbInstance(want), Attrs::DbInstance(_)) = (&d.attrs, &l.attrs) {
        let live_size = have
            .get("allocated_storage_gb")
            .and_then(Value::as_u64)
            .unwrap_or(0) as u32;
        if want.allocated_storage_gb < live_size {
            errors.push(PlanError::StorageShrink {
                address: address.clone(),
                from: live_size,
                to: want.allocated_storage_gb,
            });
        }
    }

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
) -> (Vec<FieldChange>, BTreeMap<String, Value>) {
    let want = flatten_resource(attrs, tags);
    let mut have = flatten_resource(&l.attrs, &l.tags);
    // A value AWS is already converging to counts as reached. Pending entries that are no
    // attribute (a Beanstalk environment's `status`) are for drift to report, not to compare.
    for (field, value) in &l.pending {
        if have.contains_key(field) {
            have.insert(field.clone(), value.clone());
        }
    }
    normalise_live(kind, &want, &mut have, rec);
    let mut fields = Vec::new();
    let keys: BTreeSet<&String> = want.keys().chain(have.keys()).collect();
    for key in keys.into_iter().filter(|k| !is_ignored(k, ignore)) {
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

/// What deleting a resource does to its data, so the plan says it before apply does it.
fn data_note(before: &Attrs) -> &'static str {
    match before {
        Attrs::DbInstance(db) if db.deletion_protection => {
            "; deletion protection is on: destroy needs --confirm ENV, turns it off, and takes a final snapshot"
        }
        Attrs::DbInstance(_) => {
            "; deletion protection is off: the data goes with it, no final snapshot"
        }
        _ => "",
    }
}

/// Live attributes as a plan may show them. A Beanstalk environment's live settings include
/// every option AWS knows, among them environment variables someone set by hand (secrets,
/// often): only the settings the spec declares, or declared when last applied, are shown.
fn shown(live: &Attrs, want: Option<&Attrs>, rec: Option<&RecordedResource>) -> Attrs {
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

/// Kind-specific views of live values before comparing.
fn normalise_live(
    kind: Kind,
    want: &BTreeMap<String, Value>,
    have: &mut BTreeMap<String, Value>,
    rec: Option<&RecordedResource>,
) {
    match kind {
        // Compare only the option settings the spec declares, plus the ones it declared last
        // time (those must be removed); everything else is Beanstalk's defaults.
        Kind::BeanstalkEnv => {
            let recorded: BTreeSet<String> = rec
                .map(|r| {
                    flatten_resource(&r.attrs, &r.tags)
                        .into_keys()
                        .filter(|k| k.starts_with("settings."))
                        .collect()
                })
                .unwrap_or_default();
            have.retain(|k, _| {
                !k.starts_with("settings.") || want.contains_key(k) || recorded.contains(k)
            });
            // Without a prefix in the spec, whatever CNAME AWS generated is fine.
            if !want.contains_key("cname_prefix") {
                have.remove("cname_prefix");
            }
        }
        // The password of an instance created with one is opaque: any variable name matches.
        Kind::DbInstance => {
            if let (Some(w), Some(h)) = (
                want.get("master_password.env_var"),
                have.get("master_password.env_var"),
            ) && w != h
            {
                have.insert("master_password.env_var".into(), w.clone());
            }
        }
        Kind::Vpc
        | Kind::Subnet
        | Kind::InternetGateway
        | Kind::ElasticIp
        | Kind::NatGateway
        | Kind::RouteTable
        | Kind::SecurityGroup
        | Kind::RestApi
        | Kind::ApiKey
        | Kind::ApiIntegration
        | Kind::ApiStage
        | Kind::UsagePlan
        | Kind::DbSubnetGroup
        | Kind::BeanstalkApp => {}
    }
}

/// Attributes and tags as dotted paths to leaf values (arrays stay whole: they are sets).
pub fn flatten_resource(attrs: &Attrs, tags: &Tags) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut value = serde_json::to_value(attrs).expect("attributes serialise");
    if let Value::Object(map) = &mut value {
        map.remove("kind");
        map.insert(
            "tags".into(),
            serde_json::to_value(tags).expect("tags serialise"),
        );
        flatten("", map, &mut out);
    }
    out
}

fn flatten(prefix: &str, map: &Map<String, Value>, out: &mut BTreeMap<String, Value>) {
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => flatten(&key, inner, out),
            other => {
                out.insert(key, other.clone());
            }
        }
    }
}

/// A replaced resource gets a new id: whatever holds that id in an immutable field must be
/// replaced too, and whatever holds it in a mutable field must be updated to the new id.
fn cascade_replacements(changes: &mut [Change], desired: &DesiredState) {
    loop {
        let replaced: BTreeSet<String> = changes
            .iter()
            .filter(|c| c.action == Action::Replace)
            .map(|c| c.address.to_string())
            .collect();
        let mut changed = false;
        for c in changes.iter_mut() {
            if !matches!(c.action, Action::NoOp | Action::Update) {
                continue;
            }
            let Some(d) = desired.resources.get(&c.address) else {
                continue;
            };
            for (field, value) in flatten_resource(&d.attrs, &BTreeMap::new()) {
                let Some(target) = mentions(&value, &replaced) else {
                    continue;
                };
                if c.fields.iter().any(|f| f.field == field) {
                    continue;
                }
                let forces_replacement = forces(c.address.kind, &field);
                c.fields.push(FieldChange {
                    field: field.clone(),
                    after: with_new_ids(&value, &replaced),
                    before: value,
                    forces_replacement,
                });
                c.action = if forces_replacement || c.action == Action::Replace {
                    Action::Replace
                } else {
                    Action::Update
                };
                c.reason = Some(format!("{target} is replaced"));
                changed = true;
            }
            c.fields.sort_by(|a, b| a.field.cmp(&b.field));
        }
        if !changed {
            break;
        }
    }
}

/// The value once the replaced resources have their new ids: each mention of one becomes
/// `(new id of ADDRESS)`, the rest of the value (other set members, other fields) stays.
fn with_new_ids(value: &Value, addresses: &BTreeSet<String>) -> Value {
    match value {
        Value::String(s) if addresses.contains(s) => Value::String(format!("(new id of {s})")),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| with_new_ids(v, addresses)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), with_new_ids(v, addresses)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A stage serves a snapshot (deployment) of the API: when the integration changes in AWS for a
/// reason the definition hash cannot see (its target was replaced and has a new endpoint), the
/// stage must be deployed again or clients keep the old target.
fn redeploy_stages(changes: &mut [Change]) {
    let integration_changes = changes.iter().any(|c| {
        c.address.kind == Kind::ApiIntegration
            && matches!(c.action, Action::Update | Action::Replace)
    });
    if !integration_changes {
        return;
    }
    for c in changes
        .iter_mut()
        .filter(|c| c.address.kind == Kind::ApiStage && c.action == Action::NoOp)
    {
        c.action = Action::Update;
        c.fields.push(FieldChange {
            field: "deployment".into(),
            before: Value::String("current".into()),
            after: Value::String("new deployment".into()),
            forces_replacement: false,
        });
        c.reason = Some("the integration changes; a new deployment carries it to clients".into());
    }
}

fn mentions(value: &Value, addresses: &BTreeSet<String>) -> Option<String> {
    match value {
        Value::String(s) if addresses.contains(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|v| mentions(v, addresses)),
        Value::Object(map) => map.values().find_map(|v| mentions(v, addresses)),
        _ => None,
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
