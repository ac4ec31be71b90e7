//! One environment's spec after merging and validation: typed, complete, no AWS types.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use serde::Serialize;

use super::diag::Origin;
pub use super::layer::SubnetTier;
use crate::model::{
    EndpointType, IntegrationType, MasterPassword, PortRange, Protocol, StorageType,
};

#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub env: String,
    pub project: String,
    pub region: String,
    pub availability_zones: Vec<String>,
    pub state: StateSpec,
    pub tags: BTreeMap<String, String>,
    pub network: NetworkSpec,
    pub security_groups: BTreeMap<String, SecurityGroupSpec>,
    pub api: ApiSpec,
    pub backend: BeanstalkSpec,
    pub database: DatabaseSpec,
    pub console: BeanstalkSpec,
    /// Resource address -> fields to ignore (dotted paths or their prefixes).
    pub ignore: BTreeMap<String, Vec<String>>,
    /// Where the values that cross-environment checks look at were written, by field path.
    pub origins: BTreeMap<String, Origin>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateSpec {
    pub bucket: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkSpec {
    pub vpc_cidr: Ipv4Net,
    pub dns_hostnames: bool,
    pub dns_support: bool,
    pub nat_subnet: String,
    pub subnets: BTreeMap<String, SubnetSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubnetSpec {
    pub tier: SubnetTier,
    pub availability_zone: String,
    pub cidr: Ipv4Net,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupSpec {
    pub description: String,
    pub ingress: Vec<RuleSpec>,
    /// `None`: AWS's default allow-all egress.
    pub egress: Option<Vec<RuleSpec>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleSpec {
    pub protocol: Protocol,
    pub ports: Option<PortRange>,
    pub source: SourceSpec,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceSpec {
    Cidr(Ipv4Net),
    Group(String),
    VpcCidr,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiSpec {
    pub name: String,
    pub description: String,
    pub endpoint_type: EndpointType,
    pub api_key_required: bool,
    pub api_key_name: String,
    pub integration: IntegrationType,
    pub vpc_link_id: Option<String>,
    pub timeout_ms: u32,
    pub rate_limit: u32,
    pub burst_limit: u32,
    pub quota_per_day: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalancer {
    /// An Application Load Balancer in front of the instances.
    Application,
    /// A single instance, no load balancer.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    Public,
    Internal,
}

#[derive(Debug, Clone, Serialize)]
pub struct BeanstalkSpec {
    pub application: String,
    pub environment: String,
    pub solution_stack: String,
    pub cname_prefix: Option<String>,
    pub instance_type: String,
    pub min_instances: u32,
    pub max_instances: u32,
    pub autoscaling: bool,
    pub load_balancer: LoadBalancer,
    pub load_balancer_scheme: Scheme,
    pub instance_subnets: Vec<String>,
    pub load_balancer_subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub load_balancer_security_groups: Vec<String>,
    pub settings: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Mariadb,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseSpec {
    pub identifier: String,
    pub engine: Engine,
    pub engine_version: String,
    pub instance_class: String,
    pub storage_type: StorageType,
    pub allocated_storage_gb: u32,
    pub backup_retention_days: u32,
    pub multi_az: bool,
    pub deletion_protection: bool,
    pub apply_immediately: bool,
    pub allow_replace: bool,
    pub db_name: String,
    pub master_username: String,
    pub master_password: MasterPassword,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}
