//! Terraform state (format version 4) mapped onto provision's addresses, without a network.
//!
//! A v4 state is `{"version": 4, "terraform_version", "serial", "lineage", "outputs",
//! "resources": [{"mode", "type", "name", "module"?, "provider", "instances": [{"index_key"?,
//! "attributes", …}]}]}`. Each instance of an AWS provider resource type provision knows is
//! matched to the one address of its kind whose spec says the same thing: the CIDR of a VPC or
//! subnet, the subnet of a NAT gateway (and of the NAT's Elastic IP), the subnets a route table
//! is associated with, and the name (or identifier) of everything named. Parts that provision
//! keeps inside another resource (route table associations, security group rules, the proxy
//! resource and method, deployments, policy attachments, usage plan keys) are listed as such.
//! Nothing here writes Terraform's state.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::infer;
use super::stated::Stated;
use super::ties::{self, ById};
use crate::kinds::TfKey;
use crate::model::{Address, Attrs, DesiredState, Kind, Ref};

/// One resource instance of a Terraform state.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Where it was read (a file or `s3://bucket/key`).
    pub source: String,
    /// Terraform's address: `module.vpc.aws_subnet.public[0]`, `data.aws_region.current`.
    pub tf_address: String,
    pub managed: bool,
    pub tf_type: String,
    pub attributes: Map<String, Value>,
    /// Top-level attributes Terraform marks sensitive (`sensitive_attributes`, Terraform 0.15
    /// and later): their values are never shown.
    pub sensitive: BTreeSet<String>,
}

impl Instance {
    /// Whether `value` is (part of) an attribute Terraform marks sensitive.
    pub fn is_sensitive(&self, value: &str) -> bool {
        !value.is_empty()
            && self
                .sensitive
                .iter()
                .any(|a| self.attributes.get(a).is_some_and(|v| holds(v, value)))
    }
}

/// Whether a JSON value is, or contains, the string `value`.
fn holds(v: &Value, value: &str) -> bool {
    match v {
        Value::String(s) => s == value,
        Value::Array(a) => a.iter().any(|x| holds(x, value)),
        Value::Object(o) => o.values().any(|x| holds(x, value)),
        _ => false,
    }
}

/// The top-level attribute names of `sensitive_attributes`: a list of paths, each a list of
/// steps whose first is `{"type": "get_attr", "value": NAME}`.
fn sensitive_names(inst: &Value) -> BTreeSet<String> {
    let paths = inst.get("sensitive_attributes").and_then(Value::as_array);
    paths
        .into_iter()
        .flatten()
        .filter_map(|path| path.as_array()?.first()?.get("value")?.as_str())
        .map(str::to_owned)
        .collect()
}

/// A state file that is not Terraform state v4 as documented: which file and which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {field}: {message}")]
pub struct Malformed {
    pub file: String,
    pub field: String,
    pub message: String,
}

/// One state file: which Terraform wrote which version of it, and its resource instances.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub terraform_version: String,
    /// Incremented by every write of the state: tells a stale copy from the current one.
    pub serial: u64,
    /// The state's identity, the same across its serials.
    pub lineage: String,
    pub instances: Vec<Instance>,
}

/// Reads one state file's text. `source` names it in errors.
pub fn parse(source: &str, text: &str) -> Result<State, Malformed> {
    let bad = |field: &str, message: String| Malformed {
        file: source.to_owned(),
        field: field.to_owned(),
        message,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        bad(
            &format!("line {}, column {}", e.line(), e.column()),
            format!("not JSON: {e}"),
        )
    })?;
    let root = doc
        .as_object()
        .ok_or_else(|| bad("(document)", "is not a JSON object".into()))?;
    match root.get("version").and_then(Value::as_u64) {
        Some(4) => {}
        Some(v) => {
            return Err(bad(
                "version",
                format!(
                    "is {v}; provision reads Terraform state format version 4 (Terraform 0.12 and later): run `terraform state pull` with a current Terraform"
                ),
            ));
        }
        None => return Err(bad("version", "missing or not a number".into())),
    }
    let text_of = |key: &str| {
        root.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(key, "missing or not a string".into()))
    };
    let (terraform_version, lineage) = (text_of("terraform_version")?, text_of("lineage")?);
    let serial = root
        .get("serial")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("serial", "missing or not a number".into()))?;
    let resources = root
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("resources", "missing or not a list".into()))?;
    let mut out = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        out.extend(resource(r, &format!("resources[{i}]"), source).map_err(|(f, m)| bad(&f, m))?);
    }
    Ok(State {
        terraform_version,
        serial,
        lineage,
        instances: out,
    })
}

/// One entry of `resources`, as instances; errors are (field path, message).
fn resource(r: &Value, at: &str, source: &str) -> Result<Vec<Instance>, (String, String)> {
    let text = |key: &str| -> Result<&str, (String, String)> {
        r.get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| (format!("{at}.{key}"), "missing or not a string".into()))
    };
    let (mode, tf_type, name) = (text("mode")?, text("type")?, text("name")?);
    let managed = match mode {
        "managed" => true,
        "data" => false,
        other => {
            return Err((
                format!("{at}.mode"),
                format!("is `{other}`, expected `managed` or `data`"),
            ));
        }
    };
    let module = match r.get("module") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(m)) => format!("{m}."),
        Some(_) => return Err((format!("{at}.module"), "not a string".into())),
    };
    let data = if managed { "" } else { "data." };
    let instances = r
        .get("instances")
        .and_then(Value::as_array)
        .ok_or_else(|| (format!("{at}.instances"), "missing or not a list".into()))?;
    let mut out = Vec::new();
    for (j, inst) in instances.iter().enumerate() {
        let key = match inst.get("index_key") {
            None | Some(Value::Null) => String::new(),
            Some(Value::Number(n)) => format!("[{n}]"),
            Some(Value::String(s)) => format!("[\"{s}\"]"),
            Some(_) => {
                return Err((
                    format!("{at}.instances[{j}].index_key"),
                    "neither a number nor a string".into(),
                ));
            }
        };
        let attributes = inst
            .get("attributes")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                (
                    format!("{at}.instances[{j}].attributes"),
                    "missing or not an object (states written before Terraform 0.12 keep `attributes_flat`; pull the state with a current Terraform)".into(),
                )
            })?;
        out.push(Instance {
            source: source.to_owned(),
            tf_address: format!("{module}{data}{tf_type}.{name}{key}"),
            managed,
            tf_type: tf_type.to_owned(),
            attributes: attributes.clone(),
            sensitive: sensitive_names(inst),
        });
    }
    Ok(out)
}

/// How a Terraform resource instance came to its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// By what it is: its CIDR, name, subnets, or its parent.
    Matched,
    /// The operator said so (`--map`, `--map-file`).
    Stated,
    /// From what uses it (a security group of a database, an environment, a rule).
    Inferred,
}

/// Where one Terraform resource instance goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapped {
    pub address: Address,
    /// The id `provision import` takes.
    #[serde(skip)]
    pub id: String,
    /// The id as output shows it: `(sensitive)` where Terraform marks it so.
    #[serde(rename = "id")]
    pub shown_id: String,
    pub source: String,
    pub tf_address: String,
    pub how: How,
    /// What it was mapped by: "matched by the CIDR 10.2.0.0/16", "stated by map.txt:3",
    /// "inferred from aws_db_instance.main's vpc_security_group_ids".
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unmapped {
    pub source: String,
    pub tf_address: String,
    pub reason: String,
}

/// The whole mapping, sorted: by address, then by source and Terraform address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub mapped: Vec<Mapped>,
    pub unmapped: Vec<Unmapped>,
    /// Resources provision has no kind for: each stays Terraform's until it is retired from
    /// Terraform's state (`terraform state rm`) or deleted (`terraform destroy -target`).
    pub leftovers: Vec<Unmapped>,
    /// Addresses of the spec that no Terraform resource maps to: apply would create them.
    pub not_in_terraform: Vec<Address>,
}

/// What a Terraform instance is to provision.
enum Match {
    /// A resource of `kind` told apart by `key`, imported under `id`.
    Kind { kind: Kind, key: String, id: String },
    /// Not a resource of its own for provision: why.
    Not(String),
    /// A resource provision has no kind for: Terraform's to retire or delete (why).
    Leftover(String),
}

/// The candidates before their ties are checked: instance -> address, how, id; and why each
/// other instance of a kind provision has maps to nothing.
#[derive(Default)]
struct Pass {
    found: BTreeMap<usize, Address>,
    how: BTreeMap<usize, (How, String)>,
    ids: BTreeMap<usize, String>,
    no_match: BTreeMap<usize, String>,
}

/// Maps every instance of `states` onto the addresses of `desired`: as stated (`stated`,
/// checked by [`super::stated::check`]), else by its key (a CIDR, a name, the subnets it
/// serves), then security groups inferred from what uses them ([`super::infer`]); each only
/// where its parents map to the spec's parents ([`ties`]).
pub fn map(
    instances: &[Instance],
    desired: &DesiredState,
    stated: &BTreeMap<usize, Stated>,
) -> Mapping {
    let index = Index::new(instances);
    let mut mapping = Mapping::default();
    let mut pass = first_pass(instances, desired, &index, stated, &mut mapping);
    let candidates = ties::Candidates {
        instances,
        desired,
        by_id: &index.by_id,
        associations: &index.associations,
        nat_of_eip: &index.nat_of_eip,
    };
    // Inferred groups may tie others (a group whose rules admit them): until nothing new.
    let mut tried: BTreeSet<usize> = pass.found.keys().copied().collect();
    let (settled, dropped, ambiguous) = loop {
        let (settled, dropped) = candidates.settle(pass.found.clone());
        let inferred = infer::infer(instances, desired, &index.by_id, &settled, &tried);
        let new: Vec<_> = inferred
            .proposed
            .into_iter()
            .filter(|(j, _)| pass.ids.contains_key(j))
            .collect();
        if new.is_empty() {
            break (settled, dropped, inferred.ambiguous);
        }
        for (j, (address, evidence)) in new {
            tried.insert(j);
            pass.found.insert(j, address);
            pass.how.insert(j, (How::Inferred, evidence));
        }
    };
    let unmapped = |i: usize, reason: String| Unmapped {
        source: instances[i].source.clone(),
        tf_address: instances[i].tf_address.clone(),
        reason,
    };
    let dropped_at: BTreeSet<usize> = dropped.iter().map(|(i, _)| *i).collect();
    for (i, why) in dropped {
        let reason = match pass.how.get(&i) {
            Some((How::Matched, _)) | None => why,
            Some((_, evidence)) => format!("{evidence}, but {why}"),
        };
        mapping.unmapped.push(unmapped(i, reason));
    }
    for (i, why) in &pass.no_match {
        if dropped_at.contains(i) || settled.contains_key(i) {
            continue;
        }
        let reason = match ambiguous.get(i) {
            Some(note) => format!("{why}; {note}"),
            None => why.clone(),
        };
        mapping.unmapped.push(unmapped(*i, reason));
    }
    for (i, address) in settled {
        let inst = &instances[i];
        let id = pass.ids.remove(&i).unwrap_or_default();
        let (how, evidence) = pass.how.remove(&i).unwrap_or((How::Matched, String::new()));
        mapping.mapped.push(Mapped {
            address,
            shown_id: if inst.is_sensitive(&id) {
                "(sensitive)".into()
            } else {
                id.clone()
            },
            id,
            source: inst.source.clone(),
            tf_address: inst.tf_address.clone(),
            how,
            evidence,
        });
    }
    finish(&mut mapping, desired);
    mapping
}

/// Sorted, and what the spec has that nothing maps to.
fn finish(mapping: &mut Mapping, desired: &DesiredState) {
    mapping.mapped.sort_by(|a, b| a.address.cmp(&b.address));
    mapping.unmapped.sort();
    mapping.leftovers.sort();
    let taken: BTreeSet<&Address> = mapping.mapped.iter().map(|m| &m.address).collect();
    mapping.not_in_terraform = desired
        .resources
        .keys()
        .filter(|a| !taken.contains(a))
        .cloned()
        .collect();
}

/// Each instance classified: stated ones take their address, the others their key's; what is
/// no resource of its own, or a leftover, goes straight into `mapping`.
fn first_pass(
    instances: &[Instance],
    desired: &DesiredState,
    index: &Index<'_>,
    stated: &BTreeMap<usize, Stated>,
    mapping: &mut Mapping,
) -> Pass {
    let keys = desired_keys(desired);
    let mut pass = Pass::default();
    let unmapped = |inst: &Instance, reason: String| Unmapped {
        source: inst.source.clone(),
        tf_address: inst.tf_address.clone(),
        reason,
    };
    for (i, inst) in instances.iter().enumerate() {
        let matched = classify(inst, index);
        if let Some(s) = stated.get(&i) {
            let by = format!("stated by {}", s.origin);
            match stated_id(inst, &matched) {
                Ok(id) => {
                    pass.ids.insert(i, id);
                    pass.found.insert(i, s.address.clone());
                    pass.how.insert(i, (How::Stated, by));
                }
                Err(why) => mapping
                    .unmapped
                    .push(unmapped(inst, format!("{by}, but {why}"))),
            }
            continue;
        }
        let (kind, key, id) = match matched {
            Match::Kind { kind, key, id } => (kind, key, id),
            Match::Not(reason) => {
                mapping.unmapped.push(unmapped(inst, reason));
                continue;
            }
            Match::Leftover(reason) => {
                mapping.leftovers.push(unmapped(inst, reason));
                continue;
            }
        };
        pass.ids.insert(i, id);
        let shown = if inst.is_sensitive(&key) {
            "(sensitive)".to_owned()
        } else {
            key.clone()
        };
        let candidates: Vec<&Address> = keys
            .iter()
            .filter(|(a, k)| a.kind == kind && *k == key)
            .map(|(a, _)| a)
            .collect();
        let why = match candidates.as_slice() {
            [] => format!(
                "no {kind} of the spec of `{}` has {}",
                desired.env,
                describe_key(kind, &shown)
            ),
            [address] => match stated.values().find(|s| s.address == **address) {
                Some(s) => format!(
                    "{address} is stated for another Terraform resource ({})",
                    s.origin
                ),
                None => {
                    pass.found.insert(i, (*address).clone());
                    pass.how.insert(i, (How::Matched, matched_by(kind, &shown)));
                    continue;
                }
            },
            several => format!("{} of the spec match alike", list(several.iter().copied())),
        };
        pass.no_match.insert(i, why);
    }
    pass
}

fn list<'a>(addresses: impl Iterator<Item = &'a Address>) -> String {
    addresses
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The id of a stated instance: its match's, or for a route table, NAT gateway or Elastic IP
/// that nothing tells apart (no associations, routes or subnet in these states), its own.
fn stated_id(inst: &Instance, matched: &Match) -> Result<String, String> {
    match matched {
        Match::Kind { id, .. } => Ok(id.clone()),
        Match::Not(why) => match kind_of(&inst.tf_type).map(|(_, k)| k) {
            Some(TfKey::Subnets | TfKey::SubnetCidr) => attr(inst, "id"),
            Some(TfKey::NatSubnet) => attr(inst, "allocation_id").or_else(|| attr(inst, "id")),
            _ => None,
        }
        .map(str::to_owned)
        .ok_or_else(|| why.clone()),
        Match::Leftover(why) => Err(why.clone()),
    }
}

/// The evidence of a match by key.
fn matched_by(kind: Kind, key: &str) -> String {
    match kind.describe().terraform.map(|t| t.key) {
        Some(TfKey::One | TfKey::Integration) => "matched through its parent".into(),
        Some(TfKey::SubnetCidr) => format!("matched by its subnet's CIDR {key}"),
        _ => format!("matched by {}", describe_key(kind, key)),
    }
}

fn describe_key(kind: Kind, key: &str) -> String {
    match kind.describe().terraform.map(|t| t.key) {
        Some(TfKey::Attribute {
            attr: "cidr_block", ..
        }) => format!("the CIDR {key}"),
        Some(TfKey::SubnetCidr | TfKey::NatSubnet) => format!("a NAT gateway in the subnet {key}"),
        Some(TfKey::Subnets) if key.starts_with("routes ") => {
            key.replacen("routes", "the routes", 1)
        }
        Some(TfKey::Subnets) => format!("the subnets {key}"),
        Some(TfKey::Identifier) => format!("the identifier `{key}`"),
        Some(TfKey::Stage) => format!("the stage name `{key}`"),
        _ if key.is_empty() => "one".into(),
        _ => format!("the name `{key}`"),
    }
}

/// Terraform's resources by id, for the matches that follow references (a NAT gateway's
/// subnet, a route table's associations).
struct Index<'a> {
    instances: &'a [Instance],
    by_id: ById<'a>,
    /// Route table id -> associated subnet ids.
    associations: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// Allocation id -> the NAT gateway that uses it.
    nat_of_eip: BTreeMap<&'a str, usize>,
    /// Route table id -> its routes as `route_key` writes them (inline `route` blocks and
    /// `aws_route` resources).
    routes: BTreeMap<&'a str, BTreeSet<String>>,
}

fn attr<'a>(inst: &'a Instance, key: &str) -> Option<&'a str> {
    inst.attributes
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl<'a> Index<'a> {
    fn new(instances: &'a [Instance]) -> Self {
        let mut index = Index {
            instances,
            by_id: ById::new(instances),
            associations: BTreeMap::new(),
            nat_of_eip: BTreeMap::new(),
            routes: BTreeMap::new(),
        };
        for (i, inst) in instances.iter().enumerate().filter(|(_, i)| i.managed) {
            match inst.tf_type.as_str() {
                "aws_route_table_association" => {
                    if let (Some(rt), Some(subnet)) =
                        (attr(inst, "route_table_id"), attr(inst, "subnet_id"))
                    {
                        index.associations.entry(rt).or_default().insert(subnet);
                    }
                }
                "aws_nat_gateway" => {
                    if let Some(eip) = attr(inst, "allocation_id") {
                        index.nat_of_eip.insert(eip, i);
                    }
                }
                _ => {}
            }
        }
        // Routes need every subnet and NAT gateway known first.
        for inst in instances.iter().filter(|i| i.managed) {
            let found: Vec<(&str, String)> = match inst.tf_type.as_str() {
                "aws_route_table" => {
                    let inline = inst.attributes.get("route").and_then(Value::as_array);
                    let keys = inline
                        .into_iter()
                        .flatten()
                        .filter_map(|r| index.route_key(r, "cidr_block"));
                    attr(inst, "id")
                        .map(|id| keys.map(|k| (id, k)).collect())
                        .unwrap_or_default()
                }
                "aws_route" => {
                    let rt = attr(inst, "route_table_id");
                    let key = index.route_key(
                        &Value::Object(inst.attributes.clone()),
                        "destination_cidr_block",
                    );
                    rt.zip(key).into_iter().collect()
                }
                _ => Vec::new(),
            };
            for (rt, key) in found {
                index.routes.entry(rt).or_default().insert(key);
            }
        }
        index
    }

    /// The instance of `tf_type` whose id is `id`.
    fn get(&self, tf_type: &str, id: &str) -> Option<&'a Instance> {
        self.by_id.get(tf_type, id).map(|i| &self.instances[i])
    }

    /// `0.0.0.0/0 via igw`, `0.0.0.0/0 via nat 10.2.1.0/24` (the NAT gateway's subnet).
    fn route_key(&self, route: &Value, cidr_attr: &str) -> Option<String> {
        let text = |k: &str| {
            route
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let cidr = text(cidr_attr)?;
        if text("gateway_id").is_some_and(|g| g.starts_with("igw-")) {
            return Some(format!("{cidr} via igw"));
        }
        let nat = self.get("aws_nat_gateway", text("nat_gateway_id")?)?;
        Some(format!(
            "{cidr} via nat {}",
            self.subnet_cidr(attr(nat, "subnet_id")?)?
        ))
    }

    /// The CIDR of the subnet `id` as Terraform recorded it.
    fn subnet_cidr(&self, id: &str) -> Option<String> {
        attr(self.get("aws_subnet", id)?, "cidr_block").map(str::to_owned)
    }
}

fn named(inst: &Instance, kind: Kind, name_attr: &str, id: Option<&str>) -> Match {
    match (attr(inst, name_attr), id.or_else(|| attr(inst, "id"))) {
        (Some(name), Some(id)) => Match::Kind {
            kind,
            key: name.to_owned(),
            id: id.to_owned(),
        },
        (None, _) => Match::Not(format!("it has no `{name_attr}` attribute")),
        (_, None) => Match::Not("it has no `id` attribute".into()),
    }
}

/// The kind a Terraform resource type is taken over as, and what tells its instances apart.
pub(super) fn kind_of(tf_type: &str) -> Option<(Kind, TfKey)> {
    Kind::ALL.into_iter().find_map(|kind| {
        let tf = kind.describe().terraform?;
        (tf.tf_type == tf_type).then_some((kind, tf.key))
    })
}

/// Types provision keeps inside another resource: what they are part of.
fn part_of(tf_type: &str) -> Option<&'static str> {
    Some(match tf_type {
        "aws_route_table_association" | "aws_route" | "aws_main_route_table_association" => {
            "its route table"
        }
        "aws_security_group_rule"
        | "aws_vpc_security_group_ingress_rule"
        | "aws_vpc_security_group_egress_rule" => "its security group (rules are the group's)",
        "aws_api_gateway_resource"
        | "aws_api_gateway_method"
        | "aws_api_gateway_method_response"
        | "aws_api_gateway_integration_response" => {
            "backend.api_integration (the {proxy+} resource and its ANY method)"
        }
        "aws_api_gateway_deployment" => {
            "backend.api_stage (provision deploys when the API changes)"
        }
        "aws_api_gateway_usage_plan_key" => "backend.usage_plan",
        "aws_iam_role_policy_attachment" | "aws_iam_role_policy" => "its IAM role",
        _ => return None,
    })
}

/// What provision makes of one Terraform instance (the AWS provider's attribute names).
fn classify(inst: &Instance, index: &Index<'_>) -> Match {
    if !inst.managed {
        return Match::Not("a data source: Terraform reads it, nothing to take over".into());
    }
    if let Some(of) = part_of(&inst.tf_type) {
        return Match::Not(format!(
            "provision keeps it inside {of}, and takes it over with it"
        ));
    }
    if let Some((kind, key)) = kind_of(&inst.tf_type) {
        return by_key(inst, index, kind, key);
    }
    match inst.tf_type.as_str() {
        "aws_api_gateway_vpc_link" => Match::Leftover(
            "a VPC link V1 (to a Network Load Balancer): provision's API reaches the backend through a V2 link (aws_apigatewayv2_vpc_link), which apply creates".into(),
        ),
        // Beanstalk's own load balancers are in no Terraform state: one there is Terraform's,
        // such as the Network Load Balancer of the older private-integration pattern.
        "aws_lb" | "aws_lb_listener" | "aws_lb_target_group" | "aws_alb" | "aws_elb"
        | "aws_lb_target_group_attachment" | "aws_alb_listener" | "aws_alb_target_group" => {
            Match::Leftover(
                "a load balancer part Terraform made: Elastic Beanstalk makes and owns the environments' load balancers".into(),
            )
        }
        other if other.starts_with("aws_") => {
            Match::Leftover(format!("provision has no kind for {other}"))
        }
        other => Match::Leftover(format!("not an AWS provider resource ({other})")),
    }
}

/// A resource of `kind`, told apart by `key`.
fn by_key(inst: &Instance, index: &Index<'_>, kind: Kind, key: TfKey) -> Match {
    let id = attr(inst, "id");
    match key {
        TfKey::Attribute {
            attr: name,
            id_is_name,
        } => {
            let id = if id_is_name { attr(inst, name) } else { None };
            named(inst, kind, name, id)
        }
        TfKey::One => match id {
            Some(id) => Match::Kind {
                kind,
                key: String::new(),
                id: id.to_owned(),
            },
            None => Match::Not("it has no `id` attribute".into()),
        },
        TfKey::SubnetCidr | TfKey::NatSubnet | TfKey::Subnets => by_subnets(inst, index, kind, key),
        TfKey::Identifier => match attr(inst, "identifier").or(id) {
            Some(i) => Match::Kind {
                kind,
                key: i.to_owned(),
                id: i.to_owned(),
            },
            None => Match::Not("it has neither `identifier` nor `id`".into()),
        },
        TfKey::Stage | TfKey::Integration => api_part(inst, kind, key),
        TfKey::NameArn => named(inst, kind, "name", attr(inst, "arn")),
    }
}

/// NAT gateways, their Elastic IPs and route tables: told apart by the subnets they serve.
fn by_subnets(inst: &Instance, index: &Index<'_>, kind: Kind, key: TfKey) -> Match {
    let id = attr(inst, "id");
    match key {
        TfKey::SubnetCidr => {
            match (
                id,
                attr(inst, "subnet_id").and_then(|s| index.subnet_cidr(s)),
            ) {
                (Some(id), Some(cidr)) => Match::Kind {
                    kind,
                    key: cidr,
                    id: id.to_owned(),
                },
                _ => Match::Not(
                    "its subnet (`subnet_id`) is not an aws_subnet of these states".into(),
                ),
            }
        }
        TfKey::NatSubnet => {
            let alloc = attr(inst, "allocation_id").or(id);
            let cidr = alloc
                .and_then(|a| index.nat_of_eip.get(a))
                .and_then(|nat| attr(&index.instances[*nat], "subnet_id"))
                .and_then(|s| index.subnet_cidr(s));
            match (alloc, cidr) {
                (Some(alloc), Some(cidr)) => Match::Kind {
                    kind,
                    key: cidr,
                    id: alloc.to_owned(),
                },
                _ => Match::Not(
                    "no NAT gateway of these states uses it: provision's Elastic IPs are its NAT gateways'".into(),
                ),
            }
        }
        _ => {
            let cidrs: Option<BTreeSet<String>> =
                id.and_then(|id| index.associations.get(id)).map(|subnets| {
                    subnets
                        .iter()
                        .filter_map(|s| index.subnet_cidr(s))
                        .collect()
                });
            // Without associations, its routes tell it apart (via the internet or a NAT).
            let routes = id
                .and_then(|id| index.routes.get(id))
                .filter(|r| !r.is_empty());
            match (id, cidrs, routes) {
                (Some(id), Some(cidrs), _) if !cidrs.is_empty() => Match::Kind {
                    kind,
                    key: cidrs.into_iter().collect::<Vec<_>>().join(","),
                    id: id.to_owned(),
                },
                (Some(id), _, Some(routes)) => Match::Kind {
                    kind,
                    key: routes_key(routes),
                    id: id.to_owned(),
                },
                _ => Match::Not(
                    "no aws_route_table_association of these states associates it with a subnet, and it has no route through an internet or NAT gateway of these states"
                        .into(),
                ),
            }
        }
    }
}

fn routes_key(routes: &BTreeSet<String>) -> String {
    format!(
        "routes {}",
        routes.iter().cloned().collect::<Vec<_>>().join(", ")
    )
}

/// An API's integration and stage: ids made of the API's id and their own parts.
fn api_part(inst: &Instance, kind: Kind, key: TfKey) -> Match {
    let api = attr(inst, "rest_api_id");
    if key == TfKey::Stage {
        return match (api, attr(inst, "stage_name")) {
            (Some(api), Some(stage)) => Match::Kind {
                kind,
                key: stage.to_owned(),
                id: format!("{api}/{stage}"),
            },
            _ => Match::Not("it lacks `rest_api_id` or `stage_name`".into()),
        };
    }
    match (api, attr(inst, "resource_id"), attr(inst, "http_method")) {
        (Some(api), Some(res), Some("ANY")) => Match::Kind {
            kind,
            key: String::new(),
            id: format!("{api}/{res}/ANY"),
        },
        (_, _, Some(m)) => Match::Not(format!(
            "an integration of the {m} method: provision's API has one, of ANY on {{proxy+}}"
        )),
        _ => Match::Not("it lacks `rest_api_id`, `resource_id` or `http_method`".into()),
    }
}

/// What each desired address is told apart by (see [`classify`] for Terraform's side).
fn desired_keys(desired: &DesiredState) -> Vec<(Address, String)> {
    let cidr_of = |r: &Ref| match r {
        Ref::Managed(a) => match desired.resources.get(a).map(|d| &d.attrs) {
            Some(Attrs::Subnet(s)) => Some(s.cidr.to_string()),
            _ => None,
        },
        Ref::External(_) => None,
    };
    let mut out = Vec::new();
    for (address, d) in &desired.resources {
        let key = match &d.attrs {
            Attrs::Vpc(a) => Some(a.cidr.to_string()),
            Attrs::Subnet(a) => Some(a.cidr.to_string()),
            Attrs::InternetGateway(_) | Attrs::ApiIntegration(_) => Some(String::new()),
            Attrs::ElasticIp(_) => desired.resources.values().find_map(|n| match &n.attrs {
                Attrs::NatGateway(nat) if nat.elastic_ip == Ref::Managed(address.clone()) => {
                    cidr_of(&nat.subnet)
                }
                _ => None,
            }),
            Attrs::NatGateway(a) => cidr_of(&a.subnet),
            Attrs::RouteTable(a) => {
                let cidrs: Option<BTreeSet<String>> = a.subnets.iter().map(cidr_of).collect();
                cidrs.map(|c| c.into_iter().collect::<Vec<_>>().join(","))
            }
            Attrs::SecurityGroup(a) => Some(a.name.clone()),
            Attrs::RestApi(a) => Some(a.name.clone()),
            Attrs::ApiKey(a) => Some(a.name.clone()),
            Attrs::VpcLink(a) => Some(a.name.clone()),
            Attrs::ApiStage(a) => Some(a.stage_name.clone()),
            Attrs::UsagePlan(a) => Some(a.name.clone()),
            Attrs::DbSubnetGroup(a) => Some(a.name.clone()),
            Attrs::DbInstance(a) => Some(a.identifier.clone()),
            Attrs::BeanstalkApp(a) => Some(a.name.clone()),
            Attrs::BeanstalkEnv(a) => Some(a.name.clone()),
            Attrs::IamRole(a) => Some(a.name.clone()),
            Attrs::InstanceProfile(a) => Some(a.name.clone()),
            Attrs::AlarmTopic(a) => Some(a.name.clone()),
            Attrs::AlarmSubscription(a) => Some(a.endpoint.clone()),
            Attrs::Alarm(a) => Some(a.name.clone()),
            Attrs::Dashboard(a) => Some(a.name.clone()),
            Attrs::Budget(a) => Some(a.name.clone()),
        };
        if let Some(key) = key {
            out.push((address.clone(), key));
        }
        if let Attrs::RouteTable(rt) = &d.attrs {
            let routes: Option<BTreeSet<String>> = rt
                .routes
                .iter()
                .map(|r| desired_route(desired, r, &cidr_of))
                .collect();
            if let Some(routes) = routes.filter(|r| !r.is_empty()) {
                out.push((address.clone(), routes_key(&routes)));
            }
        }
    }
    out
}

/// A route of the spec as `Index::route_key` writes Terraform's.
fn desired_route(
    desired: &DesiredState,
    r: &crate::model::Route,
    cidr_of: &impl Fn(&Ref) -> Option<String>,
) -> Option<String> {
    let Ref::Managed(target) = &r.target else {
        return None;
    };
    match desired.resources.get(target).map(|d| &d.attrs) {
        Some(Attrs::InternetGateway(_)) => Some(format!("{} via igw", r.destination)),
        Some(Attrs::NatGateway(nat)) => Some(format!(
            "{} via nat {}",
            r.destination,
            cidr_of(&nat.subnet)?
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staging() -> DesiredState {
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let (loaded, _) = crate::spec::load(&specs, "staging").expect("the project's specs load");
        crate::spec::desired::build(&loaded.spec)
    }

    fn resource(tf_type: &str, name: &str, instances: Value) -> Value {
        serde_json::json!({
            "mode": "managed", "type": tf_type, "name": name, "module": "module.network",
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": instances
        })
    }

    fn one(attributes: Value) -> Value {
        serde_json::json!([{ "schema_version": 0, "attributes": attributes }])
    }

    fn state(resources: Vec<Value>) -> String {
        serde_json::json!({
            "version": 4, "terraform_version": "1.9.5", "serial": 7,
            "lineage": "3f0c2a5e-0000-4000-8000-000000000000", "outputs": {}, "resources": resources
        })
        .to_string()
    }

    fn fixture() -> String {
        let subnets = serde_json::json!([
            {"index_key": 0, "attributes": {"id": "subnet-a", "cidr_block": "10.2.1.0/24", "vpc_id": "vpc-1"}},
            {"index_key": 1, "attributes": {"id": "subnet-b", "cidr_block": "10.2.2.0/24", "vpc_id": "vpc-1"}}
        ]);
        state(vec![
            resource(
                "aws_vpc",
                "main",
                one(serde_json::json!({"id": "vpc-1", "cidr_block": "10.2.0.0/16"})),
            ),
            resource("aws_subnet", "public", subnets),
            resource(
                "aws_eip",
                "nat",
                one(
                    serde_json::json!({"id": "eipalloc-1", "allocation_id": "eipalloc-1", "domain": "vpc"}),
                ),
            ),
            resource(
                "aws_nat_gateway",
                "main",
                one(
                    serde_json::json!({"id": "nat-1", "subnet_id": "subnet-a", "allocation_id": "eipalloc-1"}),
                ),
            ),
            resource(
                "aws_route_table",
                "public",
                one(serde_json::json!({"id": "rtb-1", "vpc_id": "vpc-1"})),
            ),
            resource(
                "aws_route_table_association",
                "public",
                serde_json::json!([
                    {"index_key": 0, "attributes": {"id": "rtbassoc-1", "route_table_id": "rtb-1", "subnet_id": "subnet-a"}},
                    {"index_key": 1, "attributes": {"id": "rtbassoc-2", "route_table_id": "rtb-1", "subnet_id": "subnet-b"}}
                ]),
            ),
            resource(
                "aws_security_group",
                "rds",
                one(
                    serde_json::json!({"id": "sg-1", "name": "agentpass-staging-rds", "vpc_id": "vpc-1"}),
                ),
            ),
            resource(
                "aws_security_group",
                "legacy",
                one(
                    serde_json::json!({"id": "sg-2", "name": "staging-bastion", "vpc_id": "vpc-1"}),
                ),
            ),
            resource(
                "aws_security_group_rule",
                "rds_in",
                one(serde_json::json!({"id": "sgrule-1", "security_group_id": "sg-1"})),
            ),
            resource(
                "aws_db_instance",
                "main",
                one(serde_json::json!({"id": "db-ABCDEF", "identifier": "agentpass-staging"})),
            ),
            resource(
                "aws_api_gateway_rest_api",
                "main",
                one(serde_json::json!({"id": "api1", "name": "agentpass-api-staging"})),
            ),
            resource(
                "aws_api_gateway_stage",
                "main",
                one(
                    serde_json::json!({"id": "ags-api1-staging", "rest_api_id": "api1", "stage_name": "staging"}),
                ),
            ),
            resource(
                "aws_api_gateway_integration",
                "health",
                one(
                    serde_json::json!({"id": "agi-x", "rest_api_id": "api1", "resource_id": "r1", "http_method": "GET"}),
                ),
            ),
            resource(
                "aws_cloudwatch_log_group",
                "app",
                one(serde_json::json!({"id": "/aws/app"})),
            ),
            serde_json::json!({"mode": "data", "type": "aws_region", "name": "current", "provider": "p",
                               "instances": [{"attributes": {"id": "us-east-2"}}]}),
        ])
    }

    #[test]
    fn resources_map_by_cidr_subnet_associations_and_names() {
        let state = parse("shared/staging/terraform.tfstate", &fixture()).unwrap();
        assert_eq!(
            (state.serial, state.terraform_version.as_str()),
            (7, "1.9.5")
        );
        let instances = state.instances;
        let m = map(&instances, &staging(), &BTreeMap::new());
        let mapped: Vec<(String, &str)> = m
            .mapped
            .iter()
            .map(|x| (x.address.to_string(), x.id.as_str()))
            .collect();
        assert_eq!(
            mapped,
            [
                ("shared.vpc".into(), "vpc-1"),
                ("shared.subnet.public-a".into(), "subnet-a"),
                ("shared.subnet.public-b".into(), "subnet-b"),
                ("shared.eip.nat-public-a".into(), "eipalloc-1"),
                ("shared.nat_gateway.public-a".into(), "nat-1"),
                ("shared.route_table.public".into(), "rtb-1"),
                ("shared.security_group.rds".into(), "sg-1"),
                ("shared.api".into(), "api1"),
                ("backend.api_stage".into(), "api1/staging"),
                ("backend.rds".into(), "agentpass-staging"),
            ]
        );
        assert_eq!(
            m.mapped[1].tf_address,
            "module.network.aws_subnet.public[0]"
        );
        let evidence: Vec<&str> = m.mapped.iter().map(|x| x.evidence.as_str()).collect();
        assert_eq!(
            evidence,
            [
                "matched by the CIDR 10.2.0.0/16",
                "matched by the CIDR 10.2.1.0/24",
                "matched by the CIDR 10.2.2.0/24",
                "matched by a NAT gateway in the subnet 10.2.1.0/24",
                "matched by its subnet's CIDR 10.2.1.0/24",
                "matched by the subnets 10.2.1.0/24,10.2.2.0/24",
                "matched by the name `agentpass-staging-rds`",
                "matched by the name `agentpass-api-staging`",
                "matched by the stage name `staging`",
                "matched by the identifier `agentpass-staging`",
            ]
        );
        assert!(m.mapped.iter().all(|x| x.how == How::Matched));
        let why = |tf: &str| {
            m.unmapped
                .iter()
                .find(|u| u.tf_address == tf)
                .map(|u| u.reason.clone())
                .unwrap_or_else(|| panic!("{tf} not listed as unmapped: {:?}", m.unmapped))
        };
        assert!(
            why("module.network.aws_security_group.legacy").contains("the name `staging-bastion`")
        );
        assert!(
            why("module.network.aws_security_group_rule.rds_in").contains("its security group")
        );
        assert!(
            why("module.network.aws_route_table_association.public[1]").contains("route table")
        );
        assert!(why("module.network.aws_api_gateway_integration.health").contains("GET"));
        assert_eq!(
            m.leftovers
                .iter()
                .map(|u| (u.tf_address.as_str(), u.reason.as_str()))
                .collect::<Vec<_>>(),
            [(
                "module.network.aws_cloudwatch_log_group.app",
                "provision has no kind for aws_cloudwatch_log_group"
            )]
        );
        assert!(why("data.aws_region.current").contains("data source"));
        assert_eq!(
            m.mapped.len() + m.unmapped.len() + m.leftovers.len(),
            instances.len(),
            "every instance is listed"
        );
        assert!(
            m.not_in_terraform
                .iter()
                .any(|a| a.to_string() == "shared.subnet.private-a")
        );
    }

    /// Every address of both environments can be mapped to, and no two of a kind look alike.
    #[test]
    fn every_address_has_a_key_of_its_own() {
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        for env in ["staging", "production"] {
            let (loaded, _) = crate::spec::load(&specs, env).unwrap();
            let desired = crate::spec::desired::build(&loaded.spec);
            let keys = desired_keys(&desired);
            let covered: BTreeSet<&Address> = keys.iter().map(|(a, _)| a).collect();
            assert_eq!(covered.len(), desired.resources.len(), "{env}");
            let distinct: BTreeSet<(Kind, &String)> =
                keys.iter().map(|(a, k)| (a.kind, k)).collect();
            assert_eq!(distinct.len(), keys.len(), "{env}: {keys:?}");
        }
    }

    #[test]
    fn route_tables_without_associations_map_by_their_routes() {
        let text = state(vec![
            resource(
                "aws_vpc",
                "main",
                one(serde_json::json!({"id": "vpc-1", "cidr_block": "10.2.0.0/16"})),
            ),
            resource(
                "aws_subnet",
                "a",
                one(
                    serde_json::json!({"id": "subnet-a", "cidr_block": "10.2.1.0/24", "vpc_id": "vpc-1"}),
                ),
            ),
            resource(
                "aws_nat_gateway",
                "main",
                one(serde_json::json!({"id": "nat-1", "subnet_id": "subnet-a"})),
            ),
            resource(
                "aws_route_table",
                "public",
                one(serde_json::json!({"id": "rtb-pub", "vpc_id": "vpc-1",
                "route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-1", "nat_gateway_id": ""}]})),
            ),
            resource(
                "aws_route_table",
                "private",
                one(serde_json::json!({"id": "rtb-priv", "vpc_id": "vpc-1", "route": []})),
            ),
            resource(
                "aws_route",
                "private_nat",
                one(
                    serde_json::json!({"id": "r-1", "route_table_id": "rtb-priv",
                "destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"}),
                ),
            ),
        ]);
        let m = map(
            &parse("f.tfstate", &text).unwrap().instances,
            &staging(),
            &BTreeMap::new(),
        );
        let tables: Vec<(String, &str)> = m
            .mapped
            .iter()
            .filter(|x| x.address.kind == Kind::RouteTable)
            .map(|x| (x.address.to_string(), x.id.as_str()))
            .collect();
        assert_eq!(
            tables,
            [
                ("shared.route_table.private".into(), "rtb-priv"),
                ("shared.route_table.public".into(), "rtb-pub")
            ]
        );
    }

    #[test]
    fn two_terraform_resources_for_one_address_map_neither() {
        let text = state(vec![
            resource(
                "aws_vpc",
                "main",
                one(serde_json::json!({"id": "vpc-1", "cidr_block": "10.2.0.0/16"})),
            ),
            resource(
                "aws_vpc",
                "copy",
                one(serde_json::json!({"id": "vpc-2", "cidr_block": "10.2.0.0/16"})),
            ),
        ]);
        let m = map(
            &parse("f.tfstate", &text).unwrap().instances,
            &staging(),
            &BTreeMap::new(),
        );
        assert_eq!(m.mapped, []);
        for u in &m.unmapped {
            assert!(
                u.reason
                    .contains("shared.vpc is claimed alike by module.network.aws_vpc.copy, module.network.aws_vpc.main"),
                "{u:?}"
            );
        }
        assert_eq!(m.unmapped.len(), 2);
    }

    /// The only internet gateway, integration or stage of a state is no evidence: each maps only
    /// where its VPC or API maps to the spec's (issue 21).
    #[test]
    fn children_map_only_through_their_parents() {
        let text = state(vec![
            resource(
                "aws_vpc",
                "other",
                one(serde_json::json!({"id": "vpc-9", "cidr_block": "172.31.0.0/16"})),
            ),
            resource(
                "aws_internet_gateway",
                "gw",
                one(serde_json::json!({"id": "igw-9", "vpc_id": "vpc-9"})),
            ),
            resource(
                "aws_internet_gateway",
                "lost",
                one(serde_json::json!({"id": "igw-8", "vpc_id": "vpc-unknown"})),
            ),
            resource(
                "aws_api_gateway_rest_api",
                "lambda",
                one(serde_json::json!({"id": "api9", "name": "some-lambda-api"})),
            ),
            resource(
                "aws_api_gateway_integration",
                "lambda",
                one(
                    serde_json::json!({"id": "agi-9", "rest_api_id": "api9", "resource_id": "r9", "http_method": "ANY"}),
                ),
            ),
        ]);
        let m = map(
            &parse("f.tfstate", &text).unwrap().instances,
            &staging(),
            &BTreeMap::new(),
        );
        assert_eq!(m.mapped, [], "{:?}", m.unmapped);
        let why = |tf: &str| {
            m.unmapped
                .iter()
                .find(|u| u.tf_address.ends_with(tf))
                .map(|u| u.reason.clone())
                .unwrap()
        };
        assert_eq!(
            why("aws_internet_gateway.gw"),
            "its vpc_id is module.network.aws_vpc.other, which maps to nothing"
        );
        assert_eq!(
            why("aws_internet_gateway.lost"),
            "its vpc_id names the aws_vpc `vpc-unknown`, which is in none of these states"
        );
        assert_eq!(
            why("aws_api_gateway_integration.lambda"),
            "its rest_api_id is module.network.aws_api_gateway_rest_api.lambda, which maps to nothing"
        );
    }

    /// A network whose groups Terraform named its own way: none matches by name.
    fn terraform_named() -> Vec<Value> {
        let sg = |name: &str, id: &str, extra: Value| {
            let mut a = serde_json::json!({"id": id, "name": format!("agentpass-staging-{name}-sg"),
                                           "description": "Managed by Terraform", "vpc_id": "vpc-1"});
            a.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            resource("aws_security_group", name, one(a))
        };
        let setting = |ns: &str, value: &str| serde_json::json!({"namespace": ns, "name": "SecurityGroups", "value": value, "resource": ""});
        vec![
            resource(
                "aws_vpc",
                "this",
                one(serde_json::json!({"id": "vpc-1", "cidr_block": "10.2.0.0/16"})),
            ),
            sg("rds", "sg-rds", serde_json::json!({})),
            sg("backend", "sg-app", serde_json::json!({})),
            sg(
                "alb_internal",
                "sg-alb",
                serde_json::json!({"ingress": [{"from_port": 80, "to_port": 80, "protocol": "tcp",
                                                "security_groups": ["sg-link"], "self": false}]}),
            ),
            sg("link", "sg-link", serde_json::json!({})),
            resource(
                "aws_security_group_rule",
                "rds_from_backend",
                one(serde_json::json!({"id": "sgrule-1", "type": "ingress",
                    "security_group_id": "sg-rds", "source_security_group_id": "sg-app"})),
            ),
            resource(
                "aws_db_instance",
                "main",
                one(
                    serde_json::json!({"id": "db-X", "identifier": "agentpass-staging",
                    "vpc_security_group_ids": ["sg-rds"]}),
                ),
            ),
            resource(
                "aws_elastic_beanstalk_application",
                "backend",
                one(
                    serde_json::json!({"id": "agentpass-backend-staging", "name": "agentpass-backend-staging"}),
                ),
            ),
            resource(
                "aws_elastic_beanstalk_environment",
                "backend",
                one(
                    serde_json::json!({"id": "e-1", "name": "agentpass-backend-staging",
                    "application": "agentpass-backend-staging",
                    "setting": [setting("aws:autoscaling:launchconfiguration", "sg-app"),
                                setting("aws:elbv2:loadbalancer", "sg-alb")]}),
                ),
            ),
        ]
    }

    fn how_each(m: &Mapping) -> BTreeMap<String, (String, How, String)> {
        m.mapped
            .iter()
            .map(|x| {
                (
                    x.address.to_string(),
                    (x.tf_address.clone(), x.how, x.evidence.clone()),
                )
            })
            .collect()
    }

    fn reason(m: &Mapping, tf: &str) -> String {
        m.unmapped
            .iter()
            .find(|u| u.tf_address.ends_with(tf))
            .map(|u| u.reason.clone())
            .unwrap_or_else(|| panic!("{tf} not unmapped: {:#?}", m.mapped))
    }

    fn stated_for(instances: &[Instance], pairs: &[(&str, &str)]) -> BTreeMap<usize, Stated> {
        let statements: Vec<_> = pairs
            .iter()
            .map(|(tf, a)| super::super::stated::from_arg(&format!("{tf}={a}")).unwrap())
            .collect();
        super::super::stated::check(&statements, instances, &staging()).unwrap()
    }

    /// The groups a mapped database, environment and group use are inferred, each saying from
    /// what; the rule of one inferred group then infers the next.
    #[test]
    fn groups_are_inferred_from_what_uses_them() {
        let instances = parse("f.tfstate", &state(terraform_named()))
            .unwrap()
            .instances;
        let m = map(&instances, &staging(), &BTreeMap::new());
        let how = how_each(&m);
        let group = |name: &str| how[&format!("shared.security_group.{name}")].clone();
        assert_eq!(
            group("rds"),
            (
                "module.network.aws_security_group.rds".into(),
                How::Inferred,
                "inferred from module.network.aws_db_instance.main's vpc_security_group_ids".into()
            )
        );
        let (tf, how_app, evidence) = group("backend-app");
        assert_eq!(
            (tf.as_str(), how_app),
            ("module.network.aws_security_group.backend", How::Inferred)
        );
        assert_eq!(
            evidence,
            "inferred from module.network.aws_elastic_beanstalk_environment.backend's setting aws:autoscaling:launchconfiguration SecurityGroups"
        );
        assert_eq!(
            group("internal-lb").0,
            "module.network.aws_security_group.alb_internal"
        );
        assert!(
            group("internal-lb")
                .2
                .contains("aws:elbv2:loadbalancer SecurityGroups")
        );
        let (tf, _, evidence) = group("api-link");
        assert_eq!(tf, "module.network.aws_security_group.link");
        assert!(
            evidence.contains("alb_internal's inline ingress security_groups"),
            "{evidence}"
        );
        assert_eq!(how["shared.vpc"].1, How::Matched);
        assert_eq!(how["shared.vpc"].2, "matched by the CIDR 10.2.0.0/16");
        assert_eq!(
            how["backend.rds"].2,
            "matched by the identifier `agentpass-staging`"
        );
    }

    /// The rules of an inferred group infer the groups they admit, in a later round.
    #[test]
    fn rules_of_an_inferred_group_infer_what_they_admit() {
        let mut resources = terraform_named();
        resources.truncate(8); // no Beanstalk environment
        let instances = parse("f.tfstate", &state(resources)).unwrap().instances;
        let m = map(&instances, &staging(), &BTreeMap::new());
        let (tf, how, evidence) = how_each(&m)["shared.security_group.backend-app"].clone();
        assert_eq!(
            (tf.as_str(), how),
            ("module.network.aws_security_group.backend", How::Inferred)
        );
        assert_eq!(
            evidence,
            "inferred from the ingress rules of module.network.aws_security_group.rds (module.network.aws_security_group_rule.rds_from_backend's source_security_group_id)"
        );
        // Nothing uses the load balancer's group here: it stays unmapped, saying why.
        assert!(
            reason(&m, "aws_security_group.alb_internal")
                .starts_with("no security_group of the spec")
        );
    }

    /// A stated mapping wins over a match by name, and over an inference.
    #[test]
    fn stated_mappings_override_names_and_inferences() {
        let mut resources = terraform_named();
        // A group named as the spec names `rds`, which the statement below puts aside.
        resources.push(resource(
            "aws_security_group",
            "old_rds",
            one(serde_json::json!({"id": "sg-old", "name": "agentpass-staging-rds", "vpc_id": "vpc-1"})),
        ));
        let instances = parse("f.tfstate", &state(resources)).unwrap().instances;
        let stated = stated_for(
            &instances,
            &[
                (
                    "module.network.aws_security_group.rds",
                    "shared.security_group.rds",
                ),
                (
                    "module.network.aws_security_group.link",
                    "shared.security_group.public-lb",
                ),
            ],
        );
        let m = map(&instances, &staging(), &stated);
        let how = how_each(&m);
        assert_eq!(
            how["shared.security_group.rds"],
            (
                "module.network.aws_security_group.rds".into(),
                How::Stated,
                "stated by --map module.network.aws_security_group.rds=shared.security_group.rds"
                    .into()
            )
        );
        assert_eq!(how["shared.security_group.public-lb"].1, How::Stated);
        assert_eq!(
            reason(&m, "aws_security_group.old_rds"),
            "shared.security_group.rds is stated for another Terraform resource (--map module.network.aws_security_group.rds=shared.security_group.rds)"
        );
        // The link is public-lb as stated: the inline rule of alb_internal now disagrees with
        // the spec (internal-lb admits api-link), so nothing is inferred from it.
        assert!(
            !how.contains_key("shared.security_group.api-link"),
            "{how:#?}"
        );
    }

    /// Two groups for one of the spec's, or one group inferred as two: nothing is inferred,
    /// and the candidates are named.
    #[test]
    fn ambiguous_inferences_map_nothing() {
        let mut resources = terraform_named();
        resources[6] = resource(
            "aws_db_instance",
            "main",
            one(
                serde_json::json!({"id": "db-X", "identifier": "agentpass-staging",
                "vpc_security_group_ids": ["sg-rds", "sg-x"]}),
            ),
        );
        resources.push(resource(
            "aws_security_group",
            "extra",
            one(serde_json::json!({"id": "sg-x", "name": "x", "vpc_id": "vpc-1"})),
        ));
        let instances = parse("f.tfstate", &state(resources)).unwrap().instances;
        let m = map(&instances, &staging(), &BTreeMap::new());
        let how = how_each(&m);
        assert!(!how.contains_key("shared.security_group.rds"), "{how:#?}");
        let why = reason(&m, "aws_security_group.rds");
        assert!(
            why.contains("module.network.aws_db_instance.main's vpc_security_group_ids leaves module.network.aws_security_group.rds, module.network.aws_security_group.extra for shared.security_group.rds: nothing inferred"),
            "{why}"
        );

        // A group in no state read is named, unless Terraform marks the value sensitive.
        let mut resources = terraform_named();
        resources[6] = serde_json::json!({
            "mode": "managed", "type": "aws_db_instance", "name": "main", "provider": "p",
            "instances": [{"attributes": {"id": "db-X", "identifier": "agentpass-staging",
                           "vpc_security_group_ids": ["sg-rds", "sg-hush"]},
                           "sensitive_attributes": [[{"type": "get_attr", "value": "vpc_security_group_ids"}]]}]
        });
        let hushed = parse("f.tfstate", &state(resources)).unwrap().instances;
        let m = map(&hushed, &staging(), &BTreeMap::new());
        let why = reason(&m, "aws_security_group.rds");
        assert!(
            why.contains("aws_db_instance.main's vpc_security_group_ids leaves (sensitive) (in no state read), module.network.aws_security_group.rds for shared.security_group.rds: nothing inferred"),
            "{why}"
        );
        assert!(!serde_json::to_string(&m).unwrap().contains("sg-hush"));

        // Where the spec names that other group by its id, it is no candidate.
        let mut desired = staging();
        let rds: Address = "backend.rds".parse().unwrap();
        if let Some(Attrs::DbInstance(db)) = desired.resources.get_mut(&rds).map(|d| &mut d.attrs) {
            db.security_groups.insert(Ref::External("sg-x".into()));
        }
        let m = map(&instances, &desired, &BTreeMap::new());
        assert_eq!(
            how_each(&m)["shared.security_group.rds"].2,
            "inferred from module.network.aws_db_instance.main's vpc_security_group_ids"
        );

        // The database's group is also the backend instances' group.
        let mut resources = terraform_named();
        resources[6] = resource(
            "aws_db_instance",
            "main",
            one(
                serde_json::json!({"id": "db-X", "identifier": "agentpass-staging",
                "vpc_security_group_ids": ["sg-app"]}),
            ),
        );
        let instances = parse("f.tfstate", &state(resources)).unwrap().instances;
        let m = map(&instances, &staging(), &BTreeMap::new());
        let why = reason(&m, "aws_security_group.backend");
        assert!(
            why.contains("inferred alike as shared.security_group.backend-app (from module.network.aws_elastic_beanstalk_environment.backend's setting aws:autoscaling:launchconfiguration SecurityGroups), shared.security_group.rds (from module.network.aws_db_instance.main's vpc_security_group_ids): nothing maps by guess"),
            "{why}"
        );
        assert!(!how_each(&m).contains_key("shared.security_group.backend-app"));
    }

    /// Stated and inferred mappings meet the same ties as any match: a group of another VPC is
    /// refused with the reason, and so is a stated one.
    #[test]
    fn stated_and_inferred_mappings_meet_the_ties() {
        let mut resources = terraform_named();
        resources.push(resource(
            "aws_vpc",
            "other",
            one(serde_json::json!({"id": "vpc-9", "cidr_block": "172.31.0.0/16"})),
        ));
        resources[1] = resource(
            "aws_security_group",
            "rds",
            one(serde_json::json!({"id": "sg-rds", "name": "db-sg", "vpc_id": "vpc-9"})),
        );
        resources[4] = resource(
            "aws_security_group",
            "link",
            one(serde_json::json!({"id": "sg-link", "name": "link-sg", "vpc_id": "vpc-9"})),
        );
        let instances = parse("f.tfstate", &state(resources)).unwrap().instances;
        let stated = stated_for(
            &instances,
            &[(
                "module.network.aws_security_group.link",
                "shared.security_group.api-link",
            )],
        );
        let m = map(&instances, &staging(), &stated);
        assert_eq!(
            reason(&m, "aws_security_group.rds"),
            "inferred from module.network.aws_db_instance.main's vpc_security_group_ids, but its vpc_id is module.network.aws_vpc.other, which maps to nothing"
        );
        assert_eq!(
            reason(&m, "aws_security_group.link"),
            "stated by --map module.network.aws_security_group.link=shared.security_group.api-link, but its vpc_id is module.network.aws_vpc.other, which maps to nothing"
        );
        // The backend group is still inferred from the environment (the rule's group is out).
        assert_eq!(
            how_each(&m)["shared.security_group.backend-app"].1,
            How::Inferred
        );
    }

    /// Values Terraform marks sensitive are matched on but never shown.
    #[test]
    fn sensitive_values_are_never_shown() {
        let text = state(vec![serde_json::json!({
            "mode": "managed", "type": "aws_db_instance", "name": "main", "provider": "p",
            "instances": [{"attributes": {"id": "db-X", "identifier": "hush-db", "password": "pw"},
                           "sensitive_attributes": [[{"type": "get_attr", "value": "identifier"}],
                                                    [{"type": "get_attr", "value": "password"}]]}]
        })]);
        let instances = parse("f.tfstate", &text).unwrap().instances;
        assert!(instances[0].is_sensitive("hush-db") && !instances[0].is_sensitive("db-X"));
        let m = map(&instances, &staging(), &BTreeMap::new());
        let shown = serde_json::to_string(&m).unwrap();
        assert!(!shown.contains("hush-db"), "{shown}");
        assert!(shown.contains("the identifier `(sensitive)`"), "{shown}");
    }

    #[test]
    fn malformed_files_name_the_file_and_the_field() {
        let cases = [
            ("{", "line 1"),
            ("[]", "(document)"),
            (r#"{"version": 3, "resources": []}"#, "version"),
            (
                r#"{"version": 4, "serial": 1, "lineage": "l"}"#,
                "terraform_version",
            ),
            (
                r#"{"version": 4, "terraform_version": "1.9.5", "serial": "x", "lineage": "l"}"#,
                "serial",
            ),
            (
                r#"{"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "l"}"#,
                "resources",
            ),
            (
                r#"{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "l", "resources": [{"mode": "managed", "type": "aws_vpc", "name": "x"}]}"#,
                "resources[0].instances",
            ),
            (
                r#"{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "l", "resources": [{"mode": "weird", "type": "aws_vpc", "name": "x", "instances": []}]}"#,
                "resources[0].mode",
            ),
            (
                r#"{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "l", "resources": [{"mode": "managed", "type": "aws_vpc", "name": "x", "instances": [{"attributes_flat": {}}]}]}"#,
                "resources[0].instances[0].attributes",
            ),
            (
                r#"{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "l", "resources": [{"mode": "managed", "name": "x", "instances": []}]}"#,
                "resources[0].type",
            ),
        ];
        for (text, field) in cases {
            let e = parse("backend/staging/terraform.tfstate", text).unwrap_err();
            assert_eq!(e.file, "backend/staging/terraform.tfstate");
            assert!(e.field.contains(field), "{text}: {e}");
            assert!(
                e.to_string()
                    .starts_with("backend/staging/terraform.tfstate: "),
                "{e}"
            );
        }
    }
}
