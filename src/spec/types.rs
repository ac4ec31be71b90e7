//! One environment's spec after merging and validation: typed, complete, no AWS types. Each
//! topic's types live in its module under `topics/`; `EnvSpec` holds one field per topic.

use std::collections::BTreeMap;

use serde::Serialize;

use super::diag::Origin;
pub use super::topics::api::ApiSpec;
pub use super::topics::beanstalk::{BeanstalkSpec, LoadBalancer, Scheme};
pub use super::topics::database::{DatabaseSpec, Engine};
pub use super::topics::iam::IamSpec;
pub use super::topics::monitoring::MonitoringSpec;
pub use super::topics::network::{NetworkSpec, SubnetSpec, SubnetTier};
pub use super::topics::security_groups::{RuleSpec, SecurityGroupSpec, SourceSpec};

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
    /// The roles of the backend's and the console's environments.
    pub backend_iam: IamSpec,
    pub console_iam: IamSpec,
    /// Alarms, their topic and the dashboard.
    pub monitoring: MonitoringSpec,
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
