//! Taking over what exists (`provision import`) and letting it go (`provision state rm`): what
//! AWS holds under an id given on the command line, and the ownership tags put on or taken off.
//! Both go through the services' own `tags_now` and `retag`, as a change's steps do.

use std::collections::{BTreeMap, BTreeSet};

use super::service::{Service, dispatch};
use super::{ApplyCtx, Aws, AwsError, Claims, Op, Resolver, ServiceId};
use crate::model::{Address, Kind, Owner, Tags};
use crate::plan::{Action, Change};

/// The pieces an `Op` borrows, for a step that is no change of a plan.
struct Bare {
    address: Address,
    change: Change,
    ctx: ApplyCtx,
    ids: BTreeMap<Address, String>,
}

impl Bare {
    fn new(owner: &Owner, address: &Address, id: &str) -> Bare {
        Bare {
            address: address.clone(),
            change: Change {
                address: address.clone(),
                action: Action::NoOp,
                level: 0,
                depends_on: BTreeSet::new(),
                id: Some(id.to_owned()),
                before: None,
                after: None,
                tags: None,
                fields: Vec::new(),
                reason: None,
                lifecycle: Default::default(),
                final_snapshot: None,
                notes: Vec::new(),
            },
            ctx: ApplyCtx {
                owner: owner.clone(),
                claims: Claims::tags_only(owner.clone()),
                env: owner.env.clone(),
                confirmed_destroy: false,
            },
            ids: BTreeMap::new(),
        }
    }

    fn op(&self) -> Op<'_> {
        Op {
            address: &self.address,
            change: &self.change,
            old: Resolver { ids: &self.ids },
            ids: Resolver { ids: &self.ids },
            ctx: &self.ctx,
        }
    }
}

impl Aws {
    /// The tags of what AWS holds under `id` as a resource of `address`'s kind; `None` when it
    /// holds nothing there. An integration answers with its REST API's tags (it has none).
    pub async fn tags_at(
        &self,
        owner: &Owner,
        address: &Address,
        id: &str,
    ) -> Result<Option<Tags>, AwsError> {
        let bare = Bare::new(owner, address, id);
        let op = bare.op();
        dispatch!(ServiceId::of(address.kind), S => S::new(self).tags_now(&op).await)
    }

    /// Sets and removes tags on what AWS holds under `id` (nothing for an integration).
    pub async fn tag_at(
        &self,
        owner: &Owner,
        address: &Address,
        id: &str,
        set: &Tags,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let bare = Bare::new(owner, address, id);
        let op = bare.op();
        dispatch!(ServiceId::of(address.kind), S => S::new(self).retag(&op, set, remove).await)
    }
}

/// The call `tags_at` looks a resource of `kind` up with: the one a "not found" comes from.
pub fn lookup_operation(kind: Kind) -> &'static str {
    match kind {
        Kind::Vpc => "DescribeVpcs",
        Kind::Subnet => "DescribeSubnets",
        Kind::InternetGateway => "DescribeInternetGateways",
        Kind::ElasticIp => "DescribeAddresses",
        Kind::NatGateway => "DescribeNatGateways",
        Kind::RouteTable => "DescribeRouteTables",
        Kind::SecurityGroup => "DescribeSecurityGroups",
        Kind::RestApi | Kind::ApiIntegration => "GetRestApi",
        Kind::ApiKey => "GetApiKey",
        Kind::UsagePlan => "GetUsagePlan",
        Kind::ApiStage => "GetStage",
        Kind::VpcLink => "GetVpcLink",
        Kind::DbSubnetGroup => "DescribeDBSubnetGroups",
        Kind::DbInstance => "DescribeDBInstances",
        Kind::BeanstalkApp => "DescribeApplications",
        Kind::BeanstalkEnv => "DescribeEnvironments",
        Kind::IamRole => "ListRoleTags",
        Kind::InstanceProfile => "ListInstanceProfileTags",
        Kind::AlarmTopic => "GetTopicAttributes",
        Kind::AlarmSubscription => "GetSubscriptionAttributes",
        Kind::Alarm => "DescribeAlarms",
        Kind::Dashboard => "GetDashboard",
    }
}

/// The error of a direct lookup of `id`, for `$call` (a request builder) named `$op`.
macro_rules! refused {
    ($res:expr, $op:literal, $call:expr) => {
        $call
            .send()
            .await
            .err()
            // Classified by the kind's service's table once the lookup is known.
            .map(|e| AwsError::from_sdk(&[], $res, $op, e))
    };
}

impl Aws {
    /// AWS's own answer for an id `tags_at` found nothing under: the error of a lookup by that
    /// id (`InvalidVpcID.NotFound`, `DBInstanceNotFound` …); `None` where the lookup answers an
    /// empty list instead (Beanstalk).
    pub async fn not_found(&self, address: &Address, id: &str) -> Option<AwsError> {
        let res = address.to_string();
        let (api, rest) = id.split_once('/').unwrap_or((id, ""));
        let refused = match address.kind {
            Kind::Vpc => refused!(&res, "DescribeVpcs", self.ec2.describe_vpcs().vpc_ids(id)),
            Kind::Subnet => refused!(
                &res,
                "DescribeSubnets",
                self.ec2.describe_subnets().subnet_ids(id)
            ),
            Kind::InternetGateway => refused!(
                &res,
                "DescribeInternetGateways",
                self.ec2
                    .describe_internet_gateways()
                    .internet_gateway_ids(id)
            ),
            Kind::ElasticIp => refused!(
                &res,
                "DescribeAddresses",
                self.ec2.describe_addresses().allocation_ids(id)
            ),
            Kind::NatGateway => refused!(
                &res,
                "DescribeNatGateways",
                self.ec2.describe_nat_gateways().nat_gateway_ids(id)
            ),
            Kind::RouteTable => refused!(
                &res,
                "DescribeRouteTables",
                self.ec2.describe_route_tables().route_table_ids(id)
            ),
            Kind::SecurityGroup => refused!(
                &res,
                "DescribeSecurityGroups",
                self.ec2.describe_security_groups().group_ids(id)
            ),
            Kind::RestApi | Kind::ApiIntegration => refused!(
                &res,
                "GetRestApi",
                self.apigateway.get_rest_api().rest_api_id(api)
            ),
            Kind::ApiKey => refused!(&res, "GetApiKey", self.apigateway.get_api_key().api_key(id)),
            Kind::UsagePlan => refused!(
                &res,
                "GetUsagePlan",
                self.apigateway.get_usage_plan().usage_plan_id(id)
            ),
            Kind::ApiStage => refused!(
                &res,
                "GetStage",
                self.apigateway
                    .get_stage()
                    .rest_api_id(api)
                    .stage_name(rest)
            ),
            Kind::VpcLink => refused!(
                &res,
                "GetVpcLink",
                self.apigatewayv2.get_vpc_link().vpc_link_id(id)
            ),
            Kind::DbSubnetGroup => refused!(
                &res,
                "DescribeDBSubnetGroups",
                self.rds
                    .describe_db_subnet_groups()
                    .db_subnet_group_name(id)
            ),
            Kind::DbInstance => refused!(
                &res,
                "DescribeDBInstances",
                self.rds.describe_db_instances().db_instance_identifier(id)
            ),
            Kind::BeanstalkApp | Kind::BeanstalkEnv => None,
            Kind::IamRole => refused!(&res, "GetRole", self.iam.get_role().role_name(id)),
            Kind::InstanceProfile => refused!(
                &res,
                "GetInstanceProfile",
                self.iam.get_instance_profile().instance_profile_name(id)
            ),
            Kind::AlarmTopic => refused!(
                &res,
                "GetTopicAttributes",
                self.sns.get_topic_attributes().topic_arn(id)
            ),
            Kind::AlarmSubscription => refused!(
                &res,
                "GetSubscriptionAttributes",
                self.sns.get_subscription_attributes().subscription_arn(id)
            ),
            // DescribeAlarms answers an empty list for a name it does not know.
            Kind::Alarm => None,
            Kind::Dashboard => refused!(
                &res,
                "GetDashboard",
                self.cloudwatch.get_dashboard().dashboard_name(id)
            ),
        };
        refused.map(|e| e.classified_by(super::service::ServiceId::of(address.kind).errors()))
    }
}
