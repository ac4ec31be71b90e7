//! What a setting may read of a resource apply has just made (`${backend.rds.endpoint}`): the
//! plan could not know it, so the executor reads it right before the change that sends it.

use std::collections::BTreeMap;

use super::{Aws, AwsError, sdk_err};
use crate::model::{Address, Kind};
use crate::plan::references::invoke_url;

impl Aws {
    /// The attributes of the resource at `address`, whose physical id is `id`.
    pub async fn exports_of(
        &self,
        address: &Address,
        id: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let res = address.to_string();
        let mut out = match address.kind {
            Kind::DbInstance => {
                let found = self
                    .rds
                    .describe_db_instances()
                    .db_instance_identifier(id)
                    .send()
                    .await
                    .map_err(sdk_err(super::rds::ERRORS, &res, "DescribeDBInstances"))?;
                found
                    .db_instances()
                    .first()
                    .map(super::rds::instance_exports)
                    .unwrap_or_default()
            }
            Kind::BeanstalkEnv => {
                let found = self
                    .beanstalk
                    .describe_environments()
                    .environment_ids(id)
                    .include_deleted(false)
                    .send()
                    .await
                    .map_err(sdk_err(
                        super::beanstalk::ERRORS,
                        &res,
                        "DescribeEnvironments",
                    ))?;
                found
                    .environments()
                    .first()
                    .map(super::beanstalk::env_exports)
                    .unwrap_or_default()
            }
            // A stage's id is `{api id}/{stage name}` (`apigateway::stage_id`).
            Kind::ApiStage => id
                .split_once('/')
                .map(|(api, stage)| {
                    BTreeMap::from([(
                        "invoke_url".to_owned(),
                        invoke_url(api, &self.region, stage),
                    )])
                })
                .unwrap_or_default(),
            Kind::Vpc
            | Kind::Subnet
            | Kind::InternetGateway
            | Kind::ElasticIp
            | Kind::NatGateway
            | Kind::RouteTable
            | Kind::SecurityGroup
            | Kind::RestApi
            | Kind::ApiKey
            | Kind::VpcLink
            | Kind::ApiIntegration
            | Kind::UsagePlan
            | Kind::DbSubnetGroup
            | Kind::BeanstalkApp
            | Kind::IamRole
            | Kind::InstanceProfile
            | Kind::AlarmTopic
            | Kind::AlarmSubscription
            | Kind::Alarm
            | Kind::Dashboard => BTreeMap::new(),
        };
        out.insert("id".into(), id.to_owned());
        Ok(out)
    }
}
