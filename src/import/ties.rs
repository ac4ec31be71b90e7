//! A Terraform resource known through its parent maps only where its parent maps to the spec's
//! parent of that address (issue 21): an internet gateway through its VPC, a NAT gateway through
//! its subnet and Elastic IP, a route table through its VPC and subnets, an integration and a
//! stage through their API, an environment through its application, an instance profile through
//! its role. "The one there is" is no evidence: without these ties, the only internet gateway of
//! a state would map whatever VPC it is attached to, and importing it would attach it elsewhere.
//!
//! Candidates are settled together: a candidate whose tie fails is dropped, which may break the
//! ties of its children, until nothing changes; an address that several Terraform resources claim
//! alike maps none of them, and none of them serves as a parent.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::terraform::Instance;
use crate::model::{Address, DesiredState, Field, Ref};

/// A Terraform attribute naming a parent: (attribute, the parent's Terraform type, the spec
/// field naming the same parent). The AWS provider's attribute names.
type Parent = (&'static str, &'static str, &'static str);

/// The parents of each Terraform type known through them.
const PARENTS: &[(&str, &[Parent])] = &[
    ("aws_subnet", &[("vpc_id", "aws_vpc", "vpc")]),
    ("aws_internet_gateway", &[("vpc_id", "aws_vpc", "vpc")]),
    (
        "aws_nat_gateway",
        &[
            ("subnet_id", "aws_subnet", "subnet"),
            ("allocation_id", "aws_eip", "elastic_ip"),
        ],
    ),
    ("aws_route_table", &[("vpc_id", "aws_vpc", "vpc")]),
    ("aws_security_group", &[("vpc_id", "aws_vpc", "vpc")]),
    (
        "aws_db_subnet_group",
        &[("subnet_ids", "aws_subnet", "subnets")],
    ),
    (
        "aws_apigatewayv2_vpc_link",
        &[
            ("subnet_ids", "aws_subnet", "subnets"),
            (
                "security_group_ids",
                "aws_security_group",
                "security_groups",
            ),
        ],
    ),
    (
        "aws_api_gateway_integration",
        &[("rest_api_id", "aws_api_gateway_rest_api", "api")],
    ),
    (
        "aws_api_gateway_stage",
        &[("rest_api_id", "aws_api_gateway_rest_api", "api")],
    ),
    (
        "aws_elastic_beanstalk_environment",
        &[(
            "application",
            "aws_elastic_beanstalk_application",
            "application",
        )],
    ),
    (
        "aws_iam_instance_profile",
        &[("role", "aws_iam_role", "role")],
    ),
    (
        "aws_sns_topic_subscription",
        &[("topic_arn", "aws_sns_topic", "topic")],
    ),
];

/// The spec's side of a tie.
enum Spec {
    /// The addresses (and external ids) a field of the candidate's address names.
    Field(&'static str),
    /// The addresses whose field names the candidate (an Elastic IP: the NAT gateway using it).
    UsedBy(&'static str),
}

/// One tie of a candidate: the Terraform parents it names (instance indexes, or why one is not
/// there) against what the spec says.
struct Tie {
    /// The Terraform attribute, as reasons name it.
    attr: &'static str,
    parents: Vec<Result<usize, String>>,
    spec: Spec,
}

/// Terraform's resources by (type, id): ids are unique only within a type (an IAM role and its
/// instance profile share a name; an SNS topic and its policy an ARN).
pub struct ById<'a>(BTreeMap<(&'a str, &'a str), usize>);

impl<'a> ById<'a> {
    pub fn new(instances: &'a [Instance]) -> Self {
        let mut by = BTreeMap::new();
        for (i, inst) in instances.iter().enumerate().filter(|(_, i)| i.managed) {
            if let Some(id) = inst.attributes.get("id").and_then(Value::as_str) {
                by.insert((inst.tf_type.as_str(), id), i);
            }
        }
        ById(by)
    }

    pub fn get(&self, tf_type: &str, id: &str) -> Option<usize> {
        self.0.get(&(tf_type, id)).copied()
    }
}

/// The ids an attribute holds: one string, or a list of them.
fn ids(inst: &Instance, attr: &str) -> Vec<String> {
    match inst.attributes.get(attr) {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A value as output may show it: Terraform's sensitive values never are.
fn shown(inst: &Instance, value: &str) -> String {
    if inst.is_sensitive(value) {
        "(sensitive)".into()
    } else {
        format!("`{value}`")
    }
}

fn ties(
    instances: &[Instance],
    i: usize,
    by_id: &ById<'_>,
    associations: &BTreeMap<&str, BTreeSet<&str>>,
    nat_of_eip: &BTreeMap<&str, usize>,
) -> Vec<Tie> {
    let inst = &instances[i];
    let lookup = |attr: &str, tf_type: &str, id: &str| {
        by_id.get(tf_type, id).ok_or_else(|| {
            format!(
                "its {attr} names the {tf_type} {}, which is in none of these states",
                shown(inst, id)
            )
        })
    };
    let mut out: Vec<Tie> = PARENTS
        .iter()
        .filter(|(t, _)| *t == inst.tf_type)
        .flat_map(|(_, ps)| ps.iter())
        .map(|(attr, tf_type, field)| Tie {
            attr,
            parents: ids(inst, attr)
                .iter()
                .map(|id| lookup(attr, tf_type, id))
                .collect(),
            spec: Spec::Field(field),
        })
        .collect();
    let own_id = inst.attributes.get("id").and_then(Value::as_str);
    match inst.tf_type.as_str() {
        // Associations are resources of their own in Terraform; an unassociated table is told
        // apart by its routes instead, and keeps only its VPC tie.
        "aws_route_table" => {
            if let Some(subnets) = own_id.and_then(|id| associations.get(id)) {
                out.push(Tie {
                    attr: "associations",
                    parents: subnets
                        .iter()
                        .map(|s| lookup("association", "aws_subnet", s))
                        .collect(),
                    spec: Spec::Field("subnets"),
                });
            }
        }
        "aws_eip" => {
            let alloc = inst
                .attributes
                .get("allocation_id")
                .and_then(Value::as_str)
                .or(own_id);
            out.push(Tie {
                attr: "allocation (the NAT gateway using it)",
                parents: alloc
                    .and_then(|a| nat_of_eip.get(a))
                    .map(|n| Ok(*n))
                    .into_iter()
                    .collect(),
                spec: Spec::UsedBy("elastic_ip"),
            });
        }
        _ => {}
    }
    out
}

/// What the spec names for a tie of `address`: managed addresses and external ids.
fn spec_side(
    desired: &DesiredState,
    address: &Address,
    spec: &Spec,
) -> (BTreeSet<Address>, BTreeSet<String>) {
    let mut managed = BTreeSet::new();
    let mut external = BTreeSet::new();
    match spec {
        Spec::Field(field) => {
            let field = Field::Attr((*field).to_owned());
            let Some(d) = desired.resources.get(address) else {
                return (managed, external);
            };
            for (f, r) in d.attrs.field_refs() {
                match r {
                    Ref::Managed(a) if f == field => {
                        managed.insert(a.clone());
                    }
                    Ref::External(id) if f == field => {
                        external.insert(id.clone());
                    }
                    _ => {}
                }
            }
        }
        Spec::UsedBy(field) => {
            let field = Field::Attr((*field).to_owned());
            for (a, d) in &desired.resources {
                let uses = d
                    .attrs
                    .field_refs()
                    .into_iter()
                    .any(|(f, r)| f == field && *r == Ref::Managed(address.clone()));
                if uses {
                    managed.insert(a.clone());
                }
            }
        }
    }
    (managed, external)
}

/// The candidates: instance index -> the one address its key matched.
pub struct Candidates<'a> {
    pub instances: &'a [Instance],
    pub desired: &'a DesiredState,
    pub by_id: &'a ById<'a>,
    /// Route table id -> associated subnet ids.
    pub associations: &'a BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// Allocation id -> the NAT gateway using it.
    pub nat_of_eip: &'a BTreeMap<&'a str, usize>,
}

impl Candidates<'_> {
    /// Settles `found` (instance -> address): what maps, and why each of the others does not.
    pub fn settle(
        &self,
        mut found: BTreeMap<usize, Address>,
    ) -> (BTreeMap<usize, Address>, Vec<(usize, String)>) {
        let mut dropped = Vec::new();
        loop {
            let contested = contested(&found);
            let failing: Vec<(usize, String)> = found
                .iter()
                .filter_map(|(i, a)| {
                    self.check(*i, a, &found, &contested)
                        .err()
                        .map(|why| (*i, why))
                })
                .collect();
            if failing.is_empty() {
                break;
            }
            for (i, why) in failing {
                found.remove(&i);
                dropped.push((i, why));
            }
        }
        for (address, claimants) in contested(&found) {
            let mut names: Vec<&str> = claimants
                .iter()
                .map(|i| self.instances[*i].tf_address.as_str())
                .collect();
            names.sort();
            for i in claimants {
                found.remove(&i);
                dropped.push((
                    i,
                    format!(
                        "{address} is claimed alike by {}: nothing maps to it by guess",
                        names.join(", ")
                    ),
                ));
            }
        }
        (found, dropped)
    }

    /// Whether every tie of candidate `i` (mapped to `address`) holds.
    fn check(
        &self,
        i: usize,
        address: &Address,
        found: &BTreeMap<usize, Address>,
        contested: &BTreeMap<Address, Vec<usize>>,
    ) -> Result<(), String> {
        let ties = ties(
            self.instances,
            i,
            self.by_id,
            self.associations,
            self.nat_of_eip,
        );
        for tie in ties {
            let (managed, external) = spec_side(self.desired, address, &tie.spec);
            let mut reached = BTreeSet::new();
            for parent in &tie.parents {
                let p = parent.clone()?;
                let parent_inst = &self.instances[p];
                let id = parent_inst.attributes.get("id").and_then(Value::as_str);
                if id.is_some_and(|id| external.contains(id)) {
                    continue;
                }
                let name = &parent_inst.tf_address;
                match found.get(&p) {
                    Some(a) if contested.contains_key(a) => {
                        return Err(format!(
                            "its {} is {name}, one of several Terraform resources claiming {a}",
                            tie.attr
                        ));
                    }
                    Some(a) => {
                        reached.insert(a.clone());
                    }
                    None => {
                        return Err(format!("its {} is {name}, which maps to nothing", tie.attr));
                    }
                }
            }
            if reached != managed {
                return Err(format!(
                    "its {} maps to {}, but the spec's {address} belongs to {}",
                    tie.attr,
                    list(&reached),
                    list(&managed)
                ));
            }
        }
        Ok(())
    }
}

fn contested(found: &BTreeMap<usize, Address>) -> BTreeMap<Address, Vec<usize>> {
    let mut by_address: BTreeMap<Address, Vec<usize>> = BTreeMap::new();
    for (i, a) in found {
        by_address.entry(a.clone()).or_default().push(*i);
    }
    by_address.retain(|_, v| v.len() > 1);
    by_address
}

fn list(addresses: &BTreeSet<Address>) -> String {
    if addresses.is_empty() {
        return "nothing".into();
    }
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
