//! From a validated spec to the desired state: addresses, typed attributes, tags, edges. Each
//! topic adds its resources (`desire` in its module); this builder names and tags them all.

use std::collections::{BTreeMap, BTreeSet};

use super::topics::{api, beanstalk, database, iam, monitoring, network, security_groups};
use super::types::EnvSpec;
use crate::model::*;

pub use super::topics::api::definition_hash;
pub use super::topics::monitoring::topic_policy;
pub use super::topics::network::{PRIVATE_ROUTES, PUBLIC_ROUTES};

pub fn build(spec: &EnvSpec) -> DesiredState {
    let mut b = Builder {
        spec,
        out: BTreeMap::new(),
    };
    network::desire(&mut b, &spec.network);
    security_groups::desire(&mut b, &spec.security_groups);
    api::desire(&mut b, &spec.api);
    database::desire(&mut b, &spec.database);
    beanstalk::desire(&mut b, Stack::Backend, &spec.backend);
    beanstalk::desire(&mut b, Stack::Console, &spec.console);
    // Only an RDS-managed password has a secret for the instances to read.
    let secret = match spec.database.master_password {
        MasterPassword::Managed => Some(spec.database.identifier.as_str()),
        MasterPassword::EnvVar(_) => None,
    };
    iam::desire(&mut b, Stack::Backend, &spec.backend_iam, secret);
    iam::desire(&mut b, Stack::Console, &spec.console_iam, None);
    monitoring::desire(&mut b, &spec.monitoring);
    for (address, fields) in &spec.ignore {
        if let Some(r) = address
            .parse()
            .ok()
            .and_then(|a: Address| b.out.get_mut(&a))
        {
            r.lifecycle.ignore = fields.clone();
        }
    }
    DesiredState {
        env: spec.env.clone(),
        region: spec.region.clone(),
        resources: b.out,
    }
}

/// The platform branch each Beanstalk environment names (`plan::platforms` resolves them); an
/// environment with a pinned solution stack is not in it.
pub fn platform_branches(spec: &EnvSpec) -> BTreeMap<Address, String> {
    [
        (Stack::Backend, &spec.backend),
        (Stack::Console, &spec.console),
    ]
    .into_iter()
    .filter_map(|(stack, eb)| match &eb.platform {
        beanstalk::Platform::Branch(b) => Some((beanstalk::env_address(stack), b.clone())),
        beanstalk::Platform::Pinned(_) => None,
    })
    .collect()
}

pub(super) fn addr(stack: Stack, kind: Kind) -> Address {
    Address::single(stack, kind)
}

pub(super) fn named(stack: Stack, kind: Kind, name: &str) -> Ref {
    Ref::Managed(Address::named(stack, kind, name))
}

// References to shared resources, from the topics that own them.
pub(super) use super::topics::network::{subnet, vpc};
pub(super) use super::topics::security_groups::group;

pub(super) struct Builder<'a> {
    pub(super) spec: &'a EnvSpec,
    out: BTreeMap<Address, DesiredResource>,
}

impl Builder<'_> {
    fn tags(&self, address: &Address) -> Tags {
        let mut tags = self.spec.tags.clone();
        // Shared resources are the environment's; others also name their stack (both stacks
        // have a Beanstalk application and environment).
        let mut name = match address.stack {
            Stack::Shared => format!("{}-{}-{}", self.spec.project, self.spec.env, address.kind),
            Stack::Backend | Stack::Console => {
                format!(
                    "{}-{}-{}-{}",
                    self.spec.project, self.spec.env, address.stack, address.kind
                )
            }
        };
        if let Some(n) = &address.name {
            name = format!("{name}-{n}");
        }
        tags.insert("Name".into(), name);
        tags.insert("Environment".into(), self.spec.env.clone());
        tags.insert(TAG_PROJECT.into(), self.spec.project.clone());
        tags.insert(TAG_ENV.into(), self.spec.env.clone());
        tags.insert(TAG_STACK.into(), address.stack.to_string());
        tags.insert(TAG_ADDRESS.into(), address.to_string());
        tags
    }

    /// Sets one option of a Beanstalk environment added before (the IAM topic names its roles
    /// there), unless the spec's own `settings` name a value: an explicit setting wins.
    pub(super) fn default_setting(&mut self, env: &Address, ns: &str, opt: &str, v: SettingValue) {
        if let Some(DesiredResource {
            attrs: Attrs::BeanstalkEnv(a),
            ..
        }) = self.out.get_mut(env)
        {
            a.settings
                .entry(ns.to_owned())
                .or_default()
                .entry(opt.to_owned())
                .or_insert(v);
        }
    }

    pub(super) fn add(&mut self, address: Address, attrs: Attrs) -> &mut DesiredResource {
        let tags = self.tags(&address);
        let r = DesiredResource {
            attrs,
            tags,
            extra_deps: BTreeSet::new(),
            lifecycle: Lifecycle::default(),
        };
        self.out.entry(address).or_insert(r)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
