//! Every kind of resource provision manages, one module each, and the registry that makes
//! `Kind`, `Kind::ALL` and the per-kind dispatch from one list. A kind's module implements
//! [`KindDef`]: all that the planner, renderer, checks, templates and import know about it.
//! Code elsewhere asks the kind (`kind.describe()`) instead of naming it.
//!
//! The registry line also names the kind's AWS service (`aws::ServiceId`): modules that need
//! the list (`Attrs::kind`, `ServiceId::of`) expand [`with_kinds!`] with a macro of their own, so
//! nothing here depends on them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod alarm;
pub mod alarm_subscription;
pub mod alarm_topic;
pub mod api_integration;
pub mod api_key;
pub mod api_stage;
pub mod beanstalk_app;
pub mod beanstalk_env;
pub mod budget;
pub mod dashboard;
pub mod db_instance;
pub mod db_subnet_group;
pub mod elastic_ip;
pub mod iam_role;
pub mod instance_profile;
pub mod internet_gateway;
pub mod nat_gateway;
pub mod rest_api;
pub mod route_table;
pub mod security_group;
pub mod subnet;
pub mod usage_plan;
pub mod vpc;
pub mod vpc_link;

/// What one kind is. Its module implements this; the registry lists it.
pub trait KindDef {
    /// Its description: one value, every field decided in the module.
    const DESCRIPTION: Description;
}

/// The registry: `Variant => module, Service;`, in the order kinds sort and plans list them.
/// `$callback!` receives the list; see the module's documentation.
macro_rules! with_kinds {
    ($callback:ident) => {
        $callback! {
            Vpc => vpc, Ec2;
            Subnet => subnet, Ec2;
            InternetGateway => internet_gateway, Ec2;
            ElasticIp => elastic_ip, Ec2;
            NatGateway => nat_gateway, Ec2;
            RouteTable => route_table, Ec2;
            SecurityGroup => security_group, Ec2;
            RestApi => rest_api, ApiGateway;
            ApiKey => api_key, ApiGateway;
            VpcLink => vpc_link, ApiGatewayV2;
            ApiIntegration => api_integration, ApiGateway;
            ApiStage => api_stage, ApiGateway;
            UsagePlan => usage_plan, ApiGateway;
            DbSubnetGroup => db_subnet_group, Rds;
            DbInstance => db_instance, Rds;
            BeanstalkApp => beanstalk_app, Beanstalk;
            BeanstalkEnv => beanstalk_env, Beanstalk;
            IamRole => iam_role, Iam;
            InstanceProfile => instance_profile, Iam;
            AlarmTopic => alarm_topic, Sns;
            AlarmSubscription => alarm_subscription, Sns;
            Alarm => alarm, CloudWatch;
            Dashboard => dashboard, CloudWatch;
            Budget => budget, Budgets;
        }
    };
}
pub(crate) use with_kinds;

macro_rules! define_kinds {
    ($($variant:ident => $module:ident, $service:ident;)*) => {
        /// Every kind of resource `provision` manages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($variant,)*
        }

        impl Kind {
            pub const ALL: [Kind; [$(Kind::$variant),*].len()] = [$(Kind::$variant),*];

            /// This kind's description, from its module.
            pub const fn describe(self) -> Description {
                match self {
                    $(Kind::$variant => <$module::$variant as KindDef>::DESCRIPTION,)*
                }
            }
        }
    };
}

with_kinds!(define_kinds);

impl Kind {
    /// Whether the physical id is a name the account chooses (see [`Description::id_is_name`]).
    pub fn id_is_name(self) -> bool {
        self.describe().id_is_name
    }

    /// The segment used in addresses.
    pub fn as_str(self) -> &'static str {
        self.describe().segment
    }

    /// Kinds with one instance per stack have no name segment.
    pub fn is_named(self) -> bool {
        self.describe().named
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown kind `{s}`")))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Description {
    /// The segment used in addresses.
    pub segment: &'static str,
    /// More than one per stack: addresses carry a name segment.
    pub named: bool,
    /// Whether the physical id is a name the account chooses (and anyone may take again once
    /// it is free): a recorded id of such a kind proves nothing by itself, so the resource must
    /// still carry this environment's project and env tags to be taken as ours.
    pub id_is_name: bool,
    /// Fields that cannot change in place, as plans name them: a change to one of them, or to
    /// a field under one, means replace.
    pub immutable: &'static [&'static str],
    /// Replacing or deleting it destroys data, so the spec must allow a replacement explicitly.
    pub holds_data: bool,
    /// AWS lets a replacement exist beside the one it replaces (no unique name, address or
    /// attachment in common): the new one is created first and the old one deleted once what
    /// used it has moved (Terraform's `create_before_destroy`), so a failed create leaves the
    /// old one serving. Otherwise the old one goes first.
    pub coexists: bool,
    /// How live values are viewed before they are compared with the spec.
    pub normalise: Normalise,
    /// How live attributes are shown in a plan.
    pub shown: Shown,
    /// The names a create takes that AWS keeps unique (or that tell resources apart): which
    /// kind of name, and the attribute it comes from. An absent attribute claims nothing.
    pub names: &'static [(NameKind, &'static str)],
    /// Kinds whose deletes must be done before this kind's delete: an order AWS imposes that
    /// no attribute says.
    pub deleted_after: &'static [Kind],
    /// Kinds whose update or replacement reaches clients only once this one is deployed again
    /// (for a reason its own attributes cannot see).
    pub redeployed_by: &'static [Kind],
    /// What other resources may read of it in `${address.attribute}`, besides `id` (every
    /// kind's physical id).
    pub exposed: &'static [&'static str],
    /// The prefix AWS gives its ids (EC2 kinds); `None` where the id is a name or unprefixed.
    pub id_prefix: Option<&'static str>,
    /// A composite id as `import` takes it: how it is written and how many `/`-parts it has.
    pub id_shape: Option<(&'static str, usize)>,
    /// It has no tags of its own: a read by id answers with its parent's, which may carry the
    /// parent's address.
    pub borrows_tags: bool,
    /// Its parent, of this kind, whose id is the first `/`-part of its own: it has no tags,
    /// and is this environment's when that parent is (an integration and its REST API). Its
    /// ownership is checked on the parent's, it is imported only with or after it, and
    /// `state rm` leaves the parent's tags alone.
    pub owned_through: Option<Kind>,
    /// The call a read of its tags by id makes: the one whose "not found" `import` reports.
    pub lookup: &'static str,
    /// The Terraform AWS provider's resource type it is taken over from, and how an instance
    /// of it is told apart (`import-tf`).
    pub terraform: Option<Terraform>,
    /// How `cost` prices it: its rows in the price table (`prices/{region}.toml`), or the
    /// computed lines of a database or a Beanstalk environment.
    pub price: Price,
    /// What it becomes while its environment is paused (`pause::paused` applies it).
    pub paused: PausedForm,
}

/// How a kind is priced. Data, which `cost` interprets: `kinds` sits below `model` and `cost`
/// and sees neither attributes nor the price table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Price {
    /// No charge of its own.
    Free,
    /// The same charges whatever its attributes, each one a row of the price table.
    Charges(&'static [Charge]),
    /// A database's lines, computed from its attributes: instance class and deployment,
    /// storage, backups beyond the free allowance, the managed password's secret.
    Database,
    /// A Beanstalk environment's lines, computed from its settings: instances (from the
    /// minimum to the maximum count), their root volumes, and a load balancer with its public
    /// addresses or a single instance's Elastic IP.
    Beanstalk,
}

/// One charge of a kind: `rate` × `quantity` a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// What is charged, as the estimate's line says it.
    pub item: &'static str,
    /// Its price key, `section.row` of the price table (`nat_gateway.hourly`): a table without
    /// it is refused when it is read.
    pub rate: &'static str,
    /// The unit the rate is per.
    pub unit: &'static str,
    pub quantity: Quantity,
}

/// How many units of a charge a month holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// The table's `hours_per_month`.
    Hours,
    /// The days in the table's month (`hours_per_month / 24`).
    Days,
    /// One a month.
    Month,
    /// A row of the table's `[assumptions]`: the use the estimate assumes.
    Assumed(&'static str),
}

/// What a kind becomes while its environment is paused. Whatever refers to a removed resource
/// is removed with it, whatever its kind (found through its references).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausedForm {
    /// As the spec says.
    Running,
    /// Absent while paused, made again on resume.
    Removed,
    /// An address others allow-list: kept allocated (and tagged) while what uses it is removed,
    /// unless the pause releases addresses (`pause --release-ip`), when it goes with its user.
    Identity,
    /// Its routes through a removed resource dropped (AWS would keep them as blackholes).
    RoutesDropped,
    /// Stopped by the pause's own step (a run state is no attribute), and billed for no
    /// instance hours while stopped.
    Stopped,
    /// Scaled to zero instances where AWS allows it (load-balanced); a single instance keeps
    /// running.
    ScaledToZero,
}

/// A Terraform resource type provision takes over as this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terraform {
    /// The AWS provider's resource type (`aws_vpc`).
    pub tf_type: &'static str,
    pub key: TfKey,
}

/// What tells a Terraform instance apart, matched against the same in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfKey {
    /// The attribute holding its name (or CIDR); whether its id is that name.
    Attribute {
        attr: &'static str,
        id_is_name: bool,
    },
    /// Nothing: one per environment (the internet gateway).
    One,
    /// The CIDR of its subnet (`subnet_id`).
    SubnetCidr,
    /// The subnet of the NAT gateway that uses its allocation.
    NatSubnet,
    /// The CIDRs of the subnets associated with it, or else its routes.
    Subnets,
    /// `identifier` (since version 5 of the provider `id` is the resource id; before, the
    /// identifier).
    Identifier,
    /// `name`, and the id provision uses is the `arn` attribute (the provider's own id is
    /// `ACCOUNT:NAME`: `aws_budgets_budget`).
    NameArn,
    /// `rest_api_id` and `stage_name`: the id `{api}/{stage}`.
    Stage,
    /// `rest_api_id`, `resource_id` and an `ANY` `http_method`: the id `{api}/{resource}/ANY`.
    Integration,
}

/// Kind-specific views of live values before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalise {
    /// Compared as read.
    AsRead,
    /// Only the option settings the spec declares (or declared when last applied) are
    /// compared; everything else is Beanstalk's defaults. Without a prefix in the spec,
    /// whatever CNAME AWS generated is fine.
    DeclaredSettings,
    /// A database: the password of an instance created with one is opaque (any variable name
    /// matches), and the engine version compares as [`super::engine_version::standing`] says (a
    /// live version under the spec's, or ahead of it, is no change: RDS cannot go back).
    Database,
}

/// How live attributes appear in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    AsRead,
    /// Live settings include every option AWS knows, among them environment variables someone
    /// set by hand (secrets, often): only the declared ones are shown.
    DeclaredSettings,
}

/// A kind of name AWS keeps unique, or (API Gateway) that tells resources apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameKind {
    DbInstance,
    DbSubnetGroup,
    BeanstalkApp,
    /// Unique in the account and region, across applications.
    BeanstalkEnv,
    /// The environment's `{prefix}.{region}.elasticbeanstalk.com`: unique in the region across
    /// every AWS account.
    CnamePrefix,
    RestApi,
    ApiKey,
    /// Unique in its VPC: looked up only where the VPC exists.
    SecurityGroup,
    UsagePlan,
    IamRole,
    InstanceProfile,
    SnsTopic,
    Alarm,
    Dashboard,
}

impl NameKind {
    pub fn label(self) -> &'static str {
        match self {
            NameKind::DbInstance => "DB instance identifier",
            NameKind::DbSubnetGroup => "DB subnet group name",
            NameKind::BeanstalkApp => "Beanstalk application name",
            NameKind::BeanstalkEnv => "Beanstalk environment name",
            NameKind::CnamePrefix => "Beanstalk CNAME prefix",
            NameKind::RestApi => "REST API name",
            NameKind::ApiKey => "API key name",
            NameKind::SecurityGroup => "security group name",
            NameKind::UsagePlan => "usage plan name",
            NameKind::IamRole => "IAM role name",
            NameKind::InstanceProfile => "IAM instance profile name",
            NameKind::SnsTopic => "SNS topic name",
            NameKind::Alarm => "CloudWatch alarm name",
            NameKind::Dashboard => "CloudWatch dashboard name",
        }
    }

    /// Whether AWS itself refuses a second holder (API Gateway takes duplicates).
    pub fn unique(self) -> bool {
        match self {
            NameKind::DbInstance
            | NameKind::DbSubnetGroup
            | NameKind::BeanstalkApp
            | NameKind::BeanstalkEnv
            | NameKind::CnamePrefix
            // "You can't have two security groups for the same VPC with the same name"
            // (EC2 API reference, CreateSecurityGroup): InvalidGroup.Duplicate.
            | NameKind::SecurityGroup
            | NameKind::IamRole
            | NameKind::InstanceProfile
            // CreateTopic, PutMetricAlarm and PutDashboard take a held name without an error
            // (they return or overwrite what is there): provision must see the holder first.
            | NameKind::SnsTopic
            | NameKind::Alarm
            | NameKind::Dashboard => true,
            // CreateUsagePlan documents no uniqueness of its name, as CreateRestApi and
            // CreateApiKey do not: API Gateway takes a second one.
            NameKind::RestApi | NameKind::ApiKey | NameKind::UsagePlan => false,
        }
    }
}

/// The common case: one per stack, an id AWS makes, everything mutable, compared and shown as
/// read, no unique name.
pub(crate) const PLAIN: Description = Description {
    segment: "",
    named: false,
    id_is_name: false,
    immutable: &[],
    holds_data: false,
    coexists: false,
    normalise: Normalise::AsRead,
    shown: Shown::AsRead,
    names: &[],
    deleted_after: &[],
    redeployed_by: &[],
    exposed: &[],
    id_prefix: None,
    id_shape: None,
    borrows_tags: false,
    owned_through: None,
    lookup: "",
    terraform: None,
    price: Price::Free,
    paused: PausedForm::Running,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_segment() {
        let segments: std::collections::BTreeSet<&str> =
            Kind::ALL.iter().map(|k| k.describe().segment).collect();
        assert_eq!(segments.len(), Kind::ALL.len());
        assert!(!segments.contains(""));
    }

    #[test]
    fn every_kind_has_its_own_terraform_type() {
        let types: std::collections::BTreeSet<&str> = Kind::ALL
            .iter()
            .filter_map(|k| k.describe().terraform)
            .map(|t| t.tf_type)
            .collect();
        assert_eq!(types.len(), Kind::ALL.len());
    }

    #[test]
    fn every_charge_names_a_row_of_a_section() {
        for kind in Kind::ALL {
            let Price::Charges(charges) = kind.describe().price else {
                continue;
            };
            for c in charges {
                let parts: Vec<&str> = c.rate.split('.').collect();
                assert!(
                    parts.len() == 2 && parts.iter().all(|p| !p.is_empty()),
                    "{kind}: {}",
                    c.rate
                );
                assert!(!c.item.is_empty() && !c.unit.is_empty(), "{kind}");
            }
        }
    }

    #[test]
    fn every_kind_names_the_call_that_reads_it_by_id() {
        for kind in Kind::ALL {
            assert!(!kind.describe().lookup.is_empty(), "{kind}");
        }
    }
}
