//! The TOML schema of one spec file. `base.toml` and each environment file share it: every field
//! is optional here, the environment overrides the base, and resolution demands what is required.
//! Values stay as written (strings for CIDRs) so validation can report every problem at once.
//! This file holds the top-level tables; each topic's tables live in its module under `topics/`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub use super::topics::api::ApiLayer;
pub use super::topics::beanstalk::BeanstalkLayer;
pub use super::topics::database::DatabaseLayer;
pub use super::topics::iam::IamLayer;
pub use super::topics::monitoring::MonitoringLayer;
pub use super::topics::network::{NetworkLayer, SubnetLayer, SubnetTier};
pub use super::topics::security_groups::{Ports, RuleLayer, SecurityGroupLayer};

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
    pub monitoring: Option<S<MonitoringLayer>>,
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

/// The backend stack's tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendLayer {
    pub beanstalk: Option<S<BeanstalkLayer>>,
    pub database: Option<S<DatabaseLayer>>,
    pub iam: Option<S<IamLayer>>,
}

/// The console stack's tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLayer {
    pub beanstalk: Option<S<BeanstalkLayer>>,
    pub iam: Option<S<IamLayer>>,
}
