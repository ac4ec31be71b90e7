//! The TOML schema of one spec file. `base.toml` and each environment file share it: every field
//! is optional here, the environment overrides the base, and resolution demands what is required.
//! Values stay as written (strings for CIDRs) so validation can report every problem at once.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub project: Option<S<ProjectLayer>>,
    pub state: Option<S<StateLayer>>,
    #[serde(default)]
    pub tags: BTreeMap<String, S<String>>,
    pub network: Option<S<NetworkLayer>>,
    #[serde(default)]
    pub security_groups: BTreeMap<String, S<SecurityGroupLayer>>,
    pub api: Option<S<ApiLayer>>,
    pub backend: Option<S<BackendLayer>>,
    pub console: Option<S<ConsoleLayer>>,
    /// Fields another system owns, per resource address: not planned, not drift.
    #[serde(default)]
    pub ignore: BTreeMap<String, S<Vec<S<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectLayer {
    pub name: Option<S<String>>,
    pub region: Option<S<String>>,
    pub availability_zones: Option<S<Vec<S<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateLayer {
    pub bucket: Option<S<String>>,
    pub region: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkLayer {
    pub vpc_cidr: Option<S<String>>,
    pub dns_hostnames: Option<S<bool>>,
    pub dns_support: Option<S<bool>>,
    pub nat_subnet: Option<S<String>>,
    #[serde(default)]
    pub subnets: BTreeMap<String, S<SubnetLayer>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetLayer {
    pub tier: Option<S<SubnetTier>>,
    pub availability_zone: Option<S<String>>,
    pub cidr: Option<S<String>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubnetTier {
    Public,
    #[default]
    Private,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupLayer {
    pub description: Option<S<String>>,
    pub ingress: Option<S<Vec<S<RuleLayer>>>>,
    /// Absent: AWS's default allow-all egress rule. `[]`: no egress at all.
    pub egress: Option<S<Vec<S<RuleLayer>>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleLayer {
    pub protocol: Option<S<String>>,
    /// `443`, or `"1024-65535"`; absent for protocol `all` or every ICMP type.
    pub ports: Option<S<Ports>>,
    pub cidr: Option<S<String>>,
    pub group: Option<S<String>>,
    /// The environment's own VPC CIDR, so the base spec needs no per-environment CIDR.
    pub vpc_cidr: Option<S<bool>>,
    pub description: Option<S<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Ports {
    One(i64),
    Range(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiLayer {
    pub name: Option<S<String>>,
    pub description: Option<S<String>>,
    pub endpoint_type: Option<S<String>>,
    pub api_key_required: Option<S<bool>>,
    pub api_key_name: Option<S<String>>,
    pub integration: Option<S<String>>,
    pub vpc_link_id: Option<S<String>>,
    pub timeout_ms: Option<S<i64>>,
    pub rate_limit: Option<S<i64>>,
    pub burst_limit: Option<S<i64>>,
    pub quota_per_day: Option<S<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendLayer {
    pub beanstalk: Option<S<BeanstalkLayer>>,
    pub database: Option<S<DatabaseLayer>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLayer {
    pub beanstalk: Option<S<BeanstalkLayer>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeanstalkLayer {
    pub application: Option<S<String>>,
    pub environment: Option<S<String>>,
    pub solution_stack: Option<S<String>>,
    pub cname_prefix: Option<S<String>>,
    pub instance_type: Option<S<String>>,
    pub min_instances: Option<S<i64>>,
    pub max_instances: Option<S<i64>>,
    pub autoscaling: Option<S<bool>>,
    /// `application` (an ALB) or `none` (a single instance).
    pub load_balancer: Option<S<String>>,
    pub load_balancer_scheme: Option<S<String>>,
    pub instance_subnets: Option<S<Vec<S<String>>>>,
    pub load_balancer_subnets: Option<S<Vec<S<String>>>>,
    pub security_groups: Option<S<Vec<S<String>>>>,
    pub load_balancer_security_groups: Option<S<Vec<S<String>>>>,
    /// Further option settings: namespace -> option -> value.
    #[serde(default)]
    pub settings: BTreeMap<String, BTreeMap<String, S<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseLayer {
    pub identifier: Option<S<String>>,
    pub engine: Option<S<String>>,
    pub engine_version: Option<S<String>>,
    pub instance_class: Option<S<String>>,
    pub storage_type: Option<S<String>>,
    pub allocated_storage_gb: Option<S<i64>>,
    pub backup_retention_days: Option<S<i64>>,
    pub multi_az: Option<S<bool>>,
    pub deletion_protection: Option<S<bool>>,
    pub apply_immediately: Option<S<bool>>,
    pub allow_replace: Option<S<bool>>,
    pub db_name: Option<S<String>>,
    pub master_username: Option<S<String>>,
    /// Name of an environment variable holding the password; absent means RDS manages it.
    pub master_password_env: Option<S<String>>,
    pub subnets: Option<S<Vec<S<String>>>>,
    pub security_groups: Option<S<Vec<S<String>>>>,
}
