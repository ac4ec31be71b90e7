//! Security groups inferred from what uses them (issue 21): where Terraform named a group
//! otherwise than the spec, the groups a mapped database or Beanstalk environment uses, and the
//! groups a mapped group's rules admit, are matched against the groups the spec's resource at
//! that address names in the same field. A group is inferred only where exactly one group of
//! Terraform's is left unmapped on one side and exactly one of the spec's on the other; more
//! than one leaves it unmapped, with the candidates named. The inferred mapping then goes
//! through the same ties ([`super::ties`]) and import checks as a match by name.
//!
//! Terraform's attributes (the AWS provider's documentation, registry.terraform.io/providers/
//! hashicorp/aws/latest/docs/resources/…): `aws_db_instance.vpc_security_group_ids`;
//! `aws_elastic_beanstalk_environment.setting` blocks (`namespace`, `name`, `value`), where the
//! `SecurityGroups` options of `aws:autoscaling:launchconfiguration` and `aws:elbv2:loadbalancer`
//! list group ids, comma-separated (AWS Elastic Beanstalk Developer Guide, "General options for
//! all environments"); `aws_security_group_rule` (`type`, `security_group_id`,
//! `source_security_group_id`); `aws_vpc_security_group_ingress_rule` / `_egress_rule`
//! (`security_group_id`, `referenced_security_group_id`); and `aws_security_group`'s inline
//! `ingress` / `egress` blocks (`security_groups`: group ids in a VPC).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::terraform::Instance;
use super::ties::ById;
use crate::model::{Address, DesiredState, Field, Ref};

const SG: &str = "aws_security_group";

/// Terraform's groups named by one field of one mapped resource.
#[derive(Debug)]
struct Use {
    /// The Terraform instance holding the field (the database, environment or group).
    holder: usize,
    /// How reasons name it: "aws_db_instance.main's vpc_security_group_ids".
    what: String,
    /// The spec's field naming the same groups.
    field: Field,
    /// Group ids (or names) as Terraform recorded them.
    groups: BTreeSet<String>,
}

/// The groups a group's rules of one way admit, and the attributes they were read from.
type Admitted = (BTreeSet<String>, BTreeSet<String>);

/// Group instance -> the addresses the uses point it to, with the uses that do.
type Votes = BTreeMap<usize, BTreeMap<Address, Vec<String>>>;

/// What inference found: instance -> (address, how), and why others stay unmapped.
#[derive(Debug, Default)]
pub struct Inferred {
    pub proposed: BTreeMap<usize, (Address, String)>,
    pub ambiguous: BTreeMap<usize, String>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(a)) => a.iter().flat_map(|x| strings(Some(x))).collect(),
        _ => Vec::new(),
    }
}

fn text<'a>(inst: &'a Instance, key: &str) -> Option<&'a str> {
    inst.attributes
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Every field of the states that names security groups, rules gathered per group and way.
fn uses(instances: &[Instance], by_id: &ById<'_>) -> Vec<Use> {
    let mut out = Vec::new();
    // (group instance, "ingress"|"egress") -> (the groups admitted, where each was read)
    let mut rules: BTreeMap<(usize, &str), Admitted> = BTreeMap::new();
    let mut rule = |group: Option<&str>, way: &'static str, source: Vec<String>, from: String| {
        if let Some(g) = group.and_then(|g| by_id.get(SG, g)) {
            let entry = rules.entry((g, way)).or_default();
            if !source.is_empty() {
                entry.0.extend(source);
                entry.1.insert(from);
            }
        }
    };
    for (i, inst) in instances.iter().enumerate().filter(|(_, i)| i.managed) {
        let at = &inst.tf_address;
        match inst.tf_type.as_str() {
            "aws_db_instance" => out.push(Use {
                holder: i,
                what: format!("{at}'s vpc_security_group_ids"),
                field: Field::Attr("security_groups".into()),
                groups: strings(inst.attributes.get("vpc_security_group_ids"))
                    .into_iter()
                    .collect(),
            }),
            "aws_elastic_beanstalk_environment" => out.extend(beanstalk(i, inst)),
            "aws_security_group_rule" => {
                let way = if text(inst, "type") == Some("egress") {
                    "egress"
                } else {
                    "ingress"
                };
                let source = strings(inst.attributes.get("source_security_group_id"));
                let from = format!("{at}'s source_security_group_id");
                rule(text(inst, "security_group_id"), way, source, from);
            }
            t @ ("aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule") => {
                let way = if t.ends_with("egress_rule") {
                    "egress"
                } else {
                    "ingress"
                };
                let source = strings(inst.attributes.get("referenced_security_group_id"));
                let from = format!("{at}'s referenced_security_group_id");
                rule(text(inst, "security_group_id"), way, source, from);
            }
            SG => {
                for way in ["ingress", "egress"] {
                    let blocks = inst.attributes.get(way).and_then(Value::as_array);
                    let source: Vec<String> = blocks
                        .into_iter()
                        .flatten()
                        .flat_map(|b| strings(b.get("security_groups")))
                        .collect();
                    let from = format!("{at}'s inline {way} security_groups");
                    rule(text(inst, "id"), way, source, from);
                }
            }
            _ => {}
        }
    }
    for ((group, way), (groups, from)) in rules {
        if groups.is_empty() {
            continue;
        }
        let from: Vec<String> = from.into_iter().collect();
        out.push(Use {
            holder: group,
            what: format!(
                "the {way} rules of {} ({})",
                instances[group].tf_address,
                from.join(", ")
            ),
            field: Field::Attr(way.into()),
            groups,
        });
    }
    out
}

/// The `SecurityGroups` options of a Beanstalk environment's settings.
fn beanstalk(i: usize, inst: &Instance) -> Vec<Use> {
    let settings = inst.attributes.get("setting").and_then(Value::as_array);
    let mut out = Vec::new();
    for namespace in [
        "aws:autoscaling:launchconfiguration",
        "aws:elbv2:loadbalancer",
    ] {
        let groups: BTreeSet<String> = settings
            .into_iter()
            .flatten()
            .filter(|s| {
                s.get("namespace").and_then(Value::as_str) == Some(namespace)
                    && s.get("name").and_then(Value::as_str) == Some("SecurityGroups")
            })
            .flat_map(|s| strings(s.get("value")))
            .collect();
        if !groups.is_empty() {
            out.push(Use {
                holder: i,
                what: format!("{}'s setting {namespace} SecurityGroups", inst.tf_address),
                field: Field::Setting {
                    namespace: namespace.into(),
                    option: "SecurityGroups".into(),
                },
                groups,
            });
        }
    }
    out
}

/// Whether the address is a security group's, asked of the kind (whose Terraform type it has).
fn is_group(a: &Address) -> bool {
    a.kind.describe().terraform.is_some_and(|t| t.tf_type == SG)
}

/// The spec's groups in `field` of `address`, and the ids of groups it names from outside.
fn spec_groups(
    desired: &DesiredState,
    address: &Address,
    field: &Field,
) -> (BTreeSet<Address>, BTreeSet<String>) {
    let mut managed = BTreeSet::new();
    let mut external = BTreeSet::new();
    let refs = desired.resources.get(address).map(|d| d.attrs.field_refs());
    for (f, r) in refs.into_iter().flatten() {
        match r {
            Ref::Managed(a) if f == *field && is_group(a) => {
                managed.insert(a.clone());
            }
            Ref::External(id) if f == *field => {
                external.insert(id.clone());
            }
            _ => {}
        }
    }
    (managed, external)
}

fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Groups inferred from the uses whose holder maps (`settled`), for groups that map to nothing
/// yet and were not tried before (`tried`).
pub fn infer(
    instances: &[Instance],
    desired: &DesiredState,
    by_id: &ById<'_>,
    settled: &BTreeMap<usize, Address>,
    tried: &BTreeSet<usize>,
) -> Inferred {
    let taken: BTreeSet<&Address> = settled.values().collect();
    let group_of = |g: &str| {
        by_id.get(SG, g).or_else(|| {
            // Beanstalk's SecurityGroups may name a group rather than give its id.
            (0..instances.len())
                .find(|j| instances[*j].tf_type == SG && text(&instances[*j], "name") == Some(g))
        })
    };
    let mut votes: Votes = BTreeMap::new();
    let mut ambiguous: BTreeMap<usize, String> = BTreeMap::new();
    for u in uses(instances, by_id) {
        let Some(holder_at) = settled.get(&u.holder) else {
            continue;
        };
        let (spec, external) = spec_groups(desired, holder_at, &u.field);
        let mut mapped = BTreeSet::new();
        let mut open: Vec<Result<usize, &str>> = Vec::new();
        // A group the spec names by its id is that group: no candidate for another.
        for g in u.groups.iter().filter(|g| !external.contains(*g)) {
            match group_of(g) {
                Some(j) => match settled.get(&j) {
                    Some(a) => {
                        mapped.insert(a.clone());
                    }
                    None => open.push(Ok(j)),
                },
                None => open.push(Err(g)),
            }
        }
        let known: Vec<usize> = open.iter().filter_map(|o| o.ok()).collect();
        // The two sides must agree on what is mapped already, or nothing follows from them.
        let extra: Vec<&Address> = mapped.difference(&spec).collect();
        if !extra.is_empty() {
            for j in known {
                ambiguous.entry(j).or_insert_with(|| {
                    format!(
                        "{} also names {}, which the spec's {holder_at} does not use: nothing inferred",
                        u.what,
                        list(&extra)
                    )
                });
            }
            continue;
        }
        let free: Vec<&Address> = spec
            .iter()
            .filter(|a| !mapped.contains(*a) && !taken.contains(a))
            .collect();
        match (open.as_slice(), free.as_slice()) {
            ([Ok(j)], [a]) if !tried.contains(j) => {
                votes
                    .entry(*j)
                    .or_default()
                    .entry((*a).clone())
                    .or_default()
                    .push(u.what.clone());
            }
            (_, []) => {}
            _ => {
                let left = open.iter().map(|o| match o {
                    Ok(j) => instances[*j].tf_address.clone(),
                    // Shown as any value of a state: never one Terraform marks sensitive.
                    Err(g) if instances[u.holder].is_sensitive(g) => {
                        "(sensitive) (in no state read)".to_owned()
                    }
                    Err(g) => format!("`{g}` (in no state read)"),
                });
                let note = format!(
                    "{} leaves {} for {}: nothing inferred",
                    u.what,
                    list(left),
                    list(&free)
                );
                for j in known {
                    ambiguous.entry(j).or_insert_with(|| note.clone());
                }
            }
        }
    }
    tally(votes, ambiguous)
}

/// Each group's votes: one address inferred, or several and nothing (named).
fn tally(votes: Votes, mut ambiguous: BTreeMap<usize, String>) -> Inferred {
    let mut out = Inferred::default();
    for (j, by_address) in votes {
        if let [(address, whats)] = by_address.iter().collect::<Vec<_>>().as_slice() {
            ambiguous.remove(&j);
            out.proposed.insert(
                j,
                (
                    (*address).clone(),
                    format!("inferred from {}", whats.join(" and ")),
                ),
            );
        } else {
            let alike = by_address
                .iter()
                .map(|(a, w)| format!("{a} (from {})", w.join(" and ")));
            ambiguous.insert(
                j,
                format!("inferred alike as {}: nothing maps by guess", list(alike)),
            );
        }
    }
    out.ambiguous = ambiguous;
    out
}
