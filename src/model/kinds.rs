//! What the planner, the renderer and the checks know about each kind, in one description per
//! kind. `Kind::describe` is one exhaustive match: a new kind does not compile until it says
//! how it is addressed, what cannot change in place, whether it holds data, how its live values
//! are compared and shown, and which names it takes in AWS.

use super::address::Kind;

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
const PLAIN: Description = Description {
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
};

impl Kind {
    /// This kind's description: one arm per kind, no default.
    pub const fn describe(self) -> Description {
        match self {
            Kind::Vpc => VPC,
            Kind::Subnet => SUBNET,
            Kind::InternetGateway => INTERNET_GATEWAY,
            Kind::ElasticIp => ELASTIC_IP,
            Kind::NatGateway => NAT_GATEWAY,
            Kind::RouteTable => ROUTE_TABLE,
            Kind::SecurityGroup => SECURITY_GROUP,
            Kind::RestApi => REST_API,
            Kind::ApiKey => API_KEY,
            Kind::VpcLink => VPC_LINK,
            Kind::ApiIntegration => API_INTEGRATION,
            Kind::ApiStage => API_STAGE,
            Kind::UsagePlan => USAGE_PLAN,
            Kind::DbSubnetGroup => DB_SUBNET_GROUP,
            Kind::DbInstance => DB_INSTANCE,
            Kind::BeanstalkApp => BEANSTALK_APP,
            Kind::BeanstalkEnv => BEANSTALK_ENV,
            Kind::IamRole => IAM_ROLE,
            Kind::InstanceProfile => INSTANCE_PROFILE,
            Kind::AlarmTopic => ALARM_TOPIC,
            Kind::AlarmSubscription => ALARM_SUBSCRIPTION,
            Kind::Alarm => ALARM,
            Kind::Dashboard => DASHBOARD,
        }
    }
}

const VPC: Description = Description {
    segment: "vpc",
    immutable: &["cidr"],
    ..PLAIN
};

const SUBNET: Description = Description {
    segment: "subnet",
    named: true,
    immutable: &["vpc", "cidr", "availability_zone"],
    ..PLAIN
};

const INTERNET_GATEWAY: Description = Description {
    segment: "internet_gateway",
    immutable: &["vpc"],
    // AWS refuses to detach an internet gateway while public addresses are mapped
    // in the VPC: NAT gateways and elastic IPs go first.
    deleted_after: &[Kind::NatGateway, Kind::ElasticIp],
    ..PLAIN
};

const ELASTIC_IP: Description = Description {
    segment: "eip",
    named: true,
    ..PLAIN
};

const NAT_GATEWAY: Description = Description {
    segment: "nat_gateway",
    named: true,
    immutable: &["subnet", "elastic_ip"],
    ..PLAIN
};

const ROUTE_TABLE: Description = Description {
    segment: "route_table",
    named: true,
    immutable: &["vpc"],
    ..PLAIN
};

const SECURITY_GROUP: Description = Description {
    segment: "security_group",
    named: true,
    // AWS cannot rename a group or change its description.
    immutable: &["vpc", "name", "description"],
    names: &[(NameKind::SecurityGroup, "name")],
    ..PLAIN
};

const REST_API: Description = Description {
    segment: "api",
    names: &[(NameKind::RestApi, "name")],
    ..PLAIN
};

const API_KEY: Description = Description {
    segment: "api_key",
    names: &[(NameKind::ApiKey, "name")],
    ..PLAIN
};

// A V2 link is immutable: "you can't change its subnets or security groups"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-links-v2.html).
// Two links may exist side by side: a link is known by the id AWS gives it, and CreateVpcLink
// (API Gateway V2 API reference) asks for a name it does not require to be unique.
const VPC_LINK: Description = Description {
    segment: "vpc_link",
    immutable: &["name", "subnets", "security_groups"],
    coexists: true,
    ..PLAIN
};

const API_INTEGRATION: Description = Description {
    segment: "api_integration",
    immutable: &["api"],
    ..PLAIN
};

const API_STAGE: Description = Description {
    segment: "api_stage",
    immutable: &["api", "stage_name"],
    // A stage serves a snapshot (deployment) of the API: when the integration changes (its
    // target was replaced and has a new endpoint), clients keep the old one until then.
    redeployed_by: &[Kind::ApiIntegration],
    ..PLAIN
};

const USAGE_PLAN: Description = Description {
    segment: "usage_plan",
    immutable: &["api"],
    names: &[(NameKind::UsagePlan, "name")],
    ..PLAIN
};

const DB_SUBNET_GROUP: Description = Description {
    segment: "db_subnet_group",
    id_is_name: true,
    immutable: &["name", "vpc"],
    names: &[(NameKind::DbSubnetGroup, "name")],
    ..PLAIN
};

const DB_INSTANCE: Description = Description {
    segment: "rds",
    id_is_name: true,
    immutable: &["identifier", "engine", "db_name", "master_username"],
    holds_data: true,
    normalise: Normalise::Database,
    names: &[(NameKind::DbInstance, "identifier")],
    ..PLAIN
};

const BEANSTALK_APP: Description = Description {
    segment: "beanstalk_app",
    id_is_name: true,
    immutable: &["name"],
    names: &[(NameKind::BeanstalkApp, "name")],
    ..PLAIN
};

const BEANSTALK_ENV: Description = Description {
    segment: "beanstalk",
    immutable: &[
        "name",
        "application",
        "tier",
        "cname_prefix",
        "settings.aws:ec2:vpc.VPCId",
        // "You can choose the type of load balancer ... only during environment creation"
        // (AWS Beanstalk guide, environments-cfg-alb); UpdateEnvironment refuses a change.
        "settings.aws:elasticbeanstalk:environment.LoadBalancerType",
    ],
    normalise: Normalise::DeclaredSettings,
    shown: Shown::DeclaredSettings,
    // Without a prefix AWS makes a unique one.
    names: &[
        (NameKind::BeanstalkEnv, "name"),
        (NameKind::CnamePrefix, "cname_prefix"),
    ],
    ..PLAIN
};

const IAM_ROLE: Description = Description {
    segment: "iam_role",
    named: true,
    id_is_name: true,
    // IAM cannot rename a role.
    immutable: &["name"],
    names: &[(NameKind::IamRole, "name")],
    ..PLAIN
};

const INSTANCE_PROFILE: Description = Description {
    segment: "instance_profile",
    id_is_name: true,
    immutable: &["name"],
    names: &[(NameKind::InstanceProfile, "name")],
    ..PLAIN
};

// An SNS topic's id is its ARN; SNS cannot rename a topic.
const ALARM_TOPIC: Description = Description {
    segment: "alarm_topic",
    immutable: &["name"],
    names: &[(NameKind::SnsTopic, "name")],
    // A topic is deleted once nothing notifies it any more.
    deleted_after: &[Kind::Alarm, Kind::AlarmSubscription],
    ..PLAIN
};

// A subscription cannot be changed in place: another endpoint is another subscription.
const ALARM_SUBSCRIPTION: Description = Description {
    segment: "alarm_subscription",
    named: true,
    immutable: &["topic", "protocol", "endpoint"],
    ..PLAIN
};

// An alarm's id is its name (PutMetricAlarm creates and updates by name).
const ALARM: Description = Description {
    segment: "alarm",
    named: true,
    id_is_name: true,
    immutable: &["name"],
    names: &[(NameKind::Alarm, "name")],
    ..PLAIN
};

// A dashboard's id is its name, but dashboards take no tags: a recorded name is the only proof
// it is ours, so `id_is_name` stays false (with it, nothing could ever prove one ours) and the
// names check refuses to create over any dashboard not recorded.
const DASHBOARD: Description = Description {
    segment: "dashboard",
    immutable: &["name"],
    names: &[(NameKind::Dashboard, "name")],
    ..PLAIN
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
}
