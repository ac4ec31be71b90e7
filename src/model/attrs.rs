//! Typed attributes per resource kind, shared by desired state, live state and snapshots.
//!
//! References to other resources are [`Ref`]s: the spec names them by address; the AWS layer maps
//! the physical ids it reads back onto addresses, so desired and live compare directly.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ipnet::Ipv4Net;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::address::{Address, Kind};
use super::field::Field;
use super::monitoring::*;
use super::template::Template;

pub use super::reference::Ref;

impl From<Address> for Ref {
    fn from(a: Address) -> Self {
        Ref::Managed(a)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcAttrs {
    pub cidr: Ipv4Net,
    pub dns_hostnames: bool,
    pub dns_support: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetAttrs {
    pub vpc: Ref,
    pub cidr: Ipv4Net,
    pub availability_zone: String,
    pub public_ip_on_launch: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternetGatewayAttrs {
    pub vpc: Ref,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElasticIpAttrs {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatGatewayAttrs {
    pub subnet: Ref,
    pub elastic_ip: Ref,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    pub destination: Ipv4Net,
    pub target: Ref,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} via {}", self.destination, self.target)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableAttrs {
    pub vpc: Ref,
    /// Routes besides the implicit local route of the VPC CIDR.
    pub routes: BTreeSet<Route>,
    pub subnets: BTreeSet<Ref>,
}

/// IP protocol in its canonical name; AWS's `-1` is `All`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    All,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::All => "all",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    Cidr(Ipv4Net),
    Group(Ref),
}

/// One security-group permission. Rules are sets: order never matters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rule {
    pub protocol: Protocol,
    /// `None` means every port (protocol `all`, or ICMP of every type).
    pub ports: Option<PortRange>,
    pub source: RuleSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Rule {
    /// The rule AWS adds to every new group: all traffic out to anywhere.
    pub fn allow_all_egress() -> Self {
        Rule {
            protocol: Protocol::All,
            ports: None,
            source: RuleSource::Cidr("0.0.0.0/0".parse().expect("valid CIDR")),
            description: None,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.protocol.as_str())?;
        if let Some(p) = self.ports {
            write!(f, " {p}")?;
        }
        match &self.source {
            RuleSource::Cidr(c) => write!(f, " {c}")?,
            RuleSource::Group(g) => write!(f, " {g}")?,
        }
        if let Some(d) = &self.description {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupAttrs {
    pub vpc: Ref,
    pub name: String,
    pub description: String,
    pub ingress: BTreeSet<Rule>,
    pub egress: BTreeSet<Rule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndpointType {
    Regional,
    Edge,
    Private,
}

/// The REST API with its `{proxy+}` resource and `ANY` method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestApiAttrs {
    pub name: String,
    pub description: String,
    pub endpoint_type: EndpointType,
    pub api_key_required: bool,
}

/// Only the key's id and name are ever held; its value stays in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyAttrs {
    pub name: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationType {
    HttpProxy,
    VpcLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiIntegrationAttrs {
    pub api: Ref,
    pub integration_type: IntegrationType,
    /// The Beanstalk environment whose endpoint receives the traffic.
    pub target: Ref,
    /// The VPC link (V2), when `integration_type` is `vpc_link`: the backend stack's own
    /// (`backend.vpc_link`) or one made outside provision (its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_link_id: Option<Ref>,
    pub timeout_ms: u32,
    /// The backend receives the path the client asked for (`/health` for `GET
    /// /staging/health`): a private integration adds the stage otherwise, and this is the
    /// override AWS documents for it (see `aws::apigateway::PATH_AS_REQUESTED`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_as_requested: bool,
}

/// An API Gateway VPC link V2: elastic network interfaces in the subnets, carrying the security
/// groups, through which the REST API reaches the backend's internal load balancer. AWS cannot
/// change a V2 link's subnets or groups, so every field but the tags means replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcLinkAttrs {
    pub name: String,
    pub subnets: Vec<Ref>,
    pub security_groups: Vec<Ref>,
}

/// A stage named after the environment, pointing at the deployment of the current definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiStageAttrs {
    pub api: Ref,
    pub stage_name: String,
    /// Hash of the API definition the stage's deployment was made from; a new hash redeploys.
    pub definition_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagePlanAttrs {
    pub name: String,
    pub api: Ref,
    pub stage: Ref,
    pub api_key: Ref,
    pub rate_limit: u32,
    pub burst_limit: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_per_day: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSubnetGroupAttrs {
    pub name: String,
    pub description: String,
    pub vpc: Ref,
    pub subnets: BTreeSet<Ref>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    Standard,
    Gp2,
    Gp3,
    Io1,
    Io2,
}

impl StorageType {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageType::Standard => "standard",
            StorageType::Gp2 => "gp2",
            StorageType::Gp3 => "gp3",
            StorageType::Io1 => "io1",
            StorageType::Io2 => "io2",
        }
    }
}

/// Where the master password comes from. The password itself is never part of any state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MasterPassword {
    /// `ManageMasterUserPassword`: RDS keeps it in Secrets Manager.
    Managed,
    /// Read from this environment variable at apply time.
    EnvVar(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInstanceAttrs {
    pub identifier: String,
    pub engine: String,
    pub engine_version: String,
    pub instance_class: String,
    pub storage_type: StorageType,
    pub allocated_storage_gb: u32,
    pub backup_retention_days: u32,
    pub multi_az: bool,
    pub publicly_accessible: bool,
    pub deletion_protection: bool,
    pub db_name: String,
    pub master_username: String,
    pub master_password: MasterPassword,
    pub subnet_group: Ref,
    pub security_groups: BTreeSet<Ref>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeanstalkAppAttrs {
    pub name: String,
    pub description: String,
}

/// An option setting's value: text, resources whose ids AWS wants comma-separated, or text
/// with references to other resources' attributes (`${backend.rds.endpoint}`).
#[derive(Debug, Clone)]
pub enum SettingValue {
    Text(String),
    Refs(Vec<Ref>),
    Template(TemplateValue),
}

/// What a value compares by: a resolved template is the text it came to (state records it as
/// text), so a converged environment's recorded and desired settings are equal.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum ValueKey<'a> {
    Text(&'a str),
    Refs(&'a [Ref]),
    Unresolved(&'a Template),
}

impl SettingValue {
    fn key(&self) -> ValueKey<'_> {
        match self {
            SettingValue::Text(t) => ValueKey::Text(t),
            SettingValue::Refs(r) => ValueKey::Refs(r),
            SettingValue::Template(t) => match &t.resolved {
                Some(v) => ValueKey::Text(v),
                None => ValueKey::Unresolved(&t.template),
            },
        }
    }
}

impl PartialEq for SettingValue {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for SettingValue {}

impl PartialOrd for SettingValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SettingValue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// A template and, once the plan knows every value it reads, what it comes to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TemplateValue {
    pub template: Template,
    pub resolved: Option<String>,
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Text(t) => f.write_str(t),
            SettingValue::Refs(r) => {
                let parts: Vec<String> = r.iter().map(ToString::to_string).collect();
                f.write_str(&parts.join(","))
            }
            SettingValue::Template(t) => match &t.resolved {
                Some(v) => f.write_str(v),
                None => write!(f, "{}", t.template),
            },
        }
    }
}

/// A resolved template is its value (what AWS is sent and state records); an unresolved one
/// its source text, which reads back as a template: text never holds `${` (spec validation).
impl Serialize for SettingValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SettingValue::Refs(r) => r.serialize(s),
            SettingValue::Text(_) | SettingValue::Template(_) => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for SettingValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Refs(Vec<Ref>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Refs(r) => SettingValue::Refs(r),
            Raw::Text(t) if Template::wanted(&t) => match Template::parse(&t) {
                Ok(template) => SettingValue::Template(TemplateValue {
                    template,
                    resolved: None,
                }),
                Err(_) => SettingValue::Text(t),
            },
            Raw::Text(t) => SettingValue::Text(t),
        })
    }
}

/// Option settings as namespace -> option name -> value.
pub type OptionSettings = BTreeMap<String, BTreeMap<String, SettingValue>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    WebServer,
    Worker,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeanstalkEnvAttrs {
    pub name: String,
    pub application: Ref,
    pub solution_stack: String,
    pub tier: Tier,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cname_prefix: Option<String>,
    /// Only the settings the spec declares; the planner compares nothing else.
    pub settings: OptionSettings,
}

/// An IAM role with its policies: managed ones attached by ARN, inline ones by name. The
/// policy documents are canonical JSON (keys sorted, no spaces), as a read gives them back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRoleAttrs {
    pub name: String,
    /// Who may assume the role (the trust policy).
    pub trust_policy: String,
    pub managed_policies: BTreeSet<String>,
    /// Inline policy name -> document.
    pub inline_policies: BTreeMap<String, String>,
}

/// An EC2 instance profile holding one role (AWS allows no more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfileAttrs {
    pub name: String,
    pub role: Ref,
}

/// Attributes of one resource, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attrs {
    Vpc(VpcAttrs),
    Subnet(SubnetAttrs),
    InternetGateway(InternetGatewayAttrs),
    ElasticIp(ElasticIpAttrs),
    NatGateway(NatGatewayAttrs),
    RouteTable(RouteTableAttrs),
    SecurityGroup(SecurityGroupAttrs),
    RestApi(RestApiAttrs),
    ApiKey(ApiKeyAttrs),
    VpcLink(VpcLinkAttrs),
    ApiIntegration(ApiIntegrationAttrs),
    ApiStage(ApiStageAttrs),
    UsagePlan(UsagePlanAttrs),
    DbSubnetGroup(DbSubnetGroupAttrs),
    DbInstance(DbInstanceAttrs),
    BeanstalkApp(BeanstalkAppAttrs),
    BeanstalkEnv(BeanstalkEnvAttrs),
    IamRole(IamRoleAttrs),
    InstanceProfile(InstanceProfileAttrs),
    AlarmTopic(AlarmTopicAttrs),
    AlarmSubscription(AlarmSubscriptionAttrs),
    Alarm(AlarmAttrs),
    Dashboard(DashboardAttrs),
    Budget(BudgetAttrs),
}

/// `Attrs::kind`, one arm per kind of the registry: each `Attrs` variant is named as its kind.
macro_rules! attrs_kind {
    ($($variant:ident => $module:ident, $service:ident;)*) => {
        impl Attrs {
            pub fn kind(&self) -> Kind {
                match self {
                    $(Attrs::$variant(_) => Kind::$variant,)*
                }
            }
        }
    };
}

crate::kinds::with_kinds!(attrs_kind);

impl Attrs {
    /// Every resource this one refers to: the edges of the dependency graph.
    pub fn refs(&self) -> Vec<&Ref> {
        self.field_refs().into_iter().map(|(_, r)| r).collect()
    }

    /// Every reference with the field that holds it, in the order the field lists them.
    pub fn field_refs(&self) -> Vec<(Field, &Ref)> {
        let attr = |name: &str| Field::Attr(name.to_owned());
        let mut out: Vec<(Field, &Ref)> = Vec::new();
        match self {
            Attrs::Vpc(_) | Attrs::ElasticIp(_) | Attrs::RestApi(_) | Attrs::ApiKey(_) => {}
            Attrs::BeanstalkApp(_) | Attrs::IamRole(_) | Attrs::AlarmTopic(_) => {}
            Attrs::AlarmSubscription(a) => out.push((attr("topic"), &a.topic)),
            Attrs::Alarm(a) => {
                // The dimension's own path, as plans show the field.
                for (name, d) in &a.metric.dimensions {
                    let variant = match d {
                        Dimension::Text(_) => continue,
                        Dimension::Id(_) => "id",
                        Dimension::LoadBalancerOf(_) => "load_balancer_of",
                    };
                    let path = format!("metric.dimensions.{name}.{variant}");
                    out.extend(d.reference().map(|r| (attr(&path), r)));
                }
                out.extend(a.actions.iter().map(|r| (attr("actions"), r)));
            }
            Attrs::Dashboard(a) => {
                out.push((attr("topic"), &a.topic));
                for w in &a.widgets {
                    if let Shows::Metric(m) = &w.shows {
                        out.extend(metric_refs(m).map(|r| (attr("widgets"), r)));
                    }
                }
            }
            Attrs::Budget(a) => {
                for n in &a.notifications {
                    out.extend(n.topic.iter().map(|t| (attr("notifications"), t)));
                }
            }
            Attrs::InstanceProfile(a) => out.push((attr("role"), &a.role)),
            Attrs::Subnet(a) => out.push((attr("vpc"), &a.vpc)),
            Attrs::InternetGateway(a) => out.push((attr("vpc"), &a.vpc)),
            Attrs::NatGateway(a) => out.extend([
                (attr("subnet"), &a.subnet),
                (attr("elastic_ip"), &a.elastic_ip),
            ]),
            Attrs::RouteTable(a) => {
                out.push((attr("vpc"), &a.vpc));
                out.extend(a.routes.iter().map(|r| (attr("routes"), &r.target)));
                out.extend(a.subnets.iter().map(|s| (attr("subnets"), s)));
            }
            Attrs::SecurityGroup(a) => {
                out.push((attr("vpc"), &a.vpc));
                for (name, rules) in [("ingress", &a.ingress), ("egress", &a.egress)] {
                    for rule in rules {
                        if let RuleSource::Group(g) = &rule.source {
                            out.push((attr(name), g));
                        }
                    }
                }
            }
            Attrs::VpcLink(a) => {
                out.extend(a.subnets.iter().map(|s| (attr("subnets"), s)));
                out.extend(
                    a.security_groups
                        .iter()
                        .map(|g| (attr("security_groups"), g)),
                );
            }
            Attrs::ApiIntegration(a) => {
                out.extend([(attr("api"), &a.api), (attr("target"), &a.target)]);
                out.extend(a.vpc_link_id.iter().map(|l| (attr("vpc_link_id"), l)));
            }
            Attrs::ApiStage(a) => out.push((attr("api"), &a.api)),
            Attrs::UsagePlan(a) => out.extend([
                (attr("api"), &a.api),
                (attr("stage"), &a.stage),
                (attr("api_key"), &a.api_key),
            ]),
            Attrs::DbSubnetGroup(a) => {
                out.push((attr("vpc"), &a.vpc));
                out.extend(a.subnets.iter().map(|s| (attr("subnets"), s)));
            }
            Attrs::DbInstance(a) => {
                out.push((attr("subnet_group"), &a.subnet_group));
                out.extend(
                    a.security_groups
                        .iter()
                        .map(|g| (attr("security_groups"), g)),
                );
            }
            Attrs::BeanstalkEnv(a) => {
                out.push((attr("application"), &a.application));
                out.extend(setting_refs(&a.settings));
            }
        }
        out
    }
}

/// The references in option settings: resource lists and what templates read.
fn setting_refs(settings: &OptionSettings) -> Vec<(Field, &Ref)> {
    let mut out = Vec::new();
    for (namespace, options) in settings {
        for (option, value) in options {
            let field = Field::Setting {
                namespace: namespace.clone(),
                option: option.clone(),
            };
            match value {
                SettingValue::Refs(r) => out.extend(r.iter().map(|r| (field.clone(), r))),
                SettingValue::Template(t) => {
                    out.extend(t.template.refs().map(|(r, _)| (field.clone(), r)));
                }
                SettingValue::Text(_) => {}
            }
        }
    }
    out
}

/// The resources a metric's dimensions name.
fn metric_refs(m: &Metric) -> impl Iterator<Item = &Ref> {
    m.dimensions.values().filter_map(Dimension::reference)
}
