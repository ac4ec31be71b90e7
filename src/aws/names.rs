//! Who holds a name a plan would create: one lookup per kind of name, every claim looked up
//! concurrently. Only the plan's creates claim names, so a converged plan makes none of these
//! calls. Ownership is not decided here: every holder comes back with its tags, and
//! `plan::names` sorts out which are this environment's.

use tokio::task::JoinSet;

use super::{Aws, AwsError, apigateway, beanstalk, cloudwatch, iam, rds, sns};
use crate::plan::names::{Claim, Holder, NameKind};

impl Aws {
    /// Every holder of every claimed name, with the claim it holds, in claim order.
    pub async fn holders(&self, claims: Vec<Claim>) -> Result<Vec<(Claim, Holder)>, AwsError> {
        let mut tasks = JoinSet::new();
        for (i, claim) in claims.into_iter().enumerate() {
            let aws = self.clone();
            tasks.spawn(async move {
                let res = claim.address.to_string();
                let name = claim.name.as_str();
                let held = match claim.kind {
                    NameKind::DbInstance => db_instance(&aws.rds, &res, name).await,
                    NameKind::DbSubnetGroup => db_subnet_group(&aws.rds, &res, name).await,
                    NameKind::BeanstalkApp => beanstalk_app(&aws.beanstalk, &res, name).await,
                    NameKind::BeanstalkEnv => beanstalk_env(&aws.beanstalk, &res, name).await,
                    NameKind::CnamePrefix => cname_prefix(&aws.beanstalk, &res, name).await,
                    NameKind::RestApi => rest_api(&aws.apigateway, &res, name).await,
                    NameKind::ApiKey => api_key(&aws.apigateway, &res, name).await,
                    NameKind::SecurityGroup => match claim.scope.as_deref() {
                        Some(vpc) => security_group(&aws.ec2, &res, name, vpc).await,
                        None => Ok(Vec::new()),
                    },
                    NameKind::UsagePlan => usage_plan(&aws.apigateway, &res, name).await,
                    NameKind::IamRole => iam::role_holder(&aws.iam, &res, name).await,
                    NameKind::InstanceProfile => iam::profile_holder(&aws.iam, &res, name).await,
                    NameKind::SnsTopic => sns::topic_holder(&aws.sns, &res, name).await,
                    NameKind::Alarm => cloudwatch::alarm_holder(&aws.cloudwatch, &res, name).await,
                    NameKind::Dashboard => {
                        cloudwatch::dashboard_holder(&aws.cloudwatch, &res, name).await
                    }
                }?;
                Ok::<_, AwsError>((i, claim, held))
            });
        }
        let mut found = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (i, claim, held) = joined.map_err(|e| AwsError::Invalid {
                resource: "name lookups".into(),
                message: format!("a lookup task failed: {e}"),
            })??;
            found.extend(held.into_iter().map(|h| (i, claim.clone(), h)));
        }
        found.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
        Ok(found.into_iter().map(|(_, c, h)| (c, h)).collect())
    }
}

/// `Ok(None)` for AWS's "no such thing": the name is free.
fn free_if_missing<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn resource(id: &str, tags: crate::model::Tags, detail: Option<String>) -> Holder {
    Holder::Resource {
        id: id.to_owned(),
        tags,
        detail,
    }
}

async fn db_instance(
    client: &aws_sdk_rds::Client,
    res: &str,
    name: &str,
) -> Result<Vec<Holder>, AwsError> {
    let out = client
        .describe_db_instances()
        .db_instance_identifier(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(super::rds::ERRORS, res, "DescribeDBInstances", e));
    let Some(out) = free_if_missing(out)? else {
        return Ok(Vec::new());
    };
    Ok(out
        .db_instances()
        .iter()
        .map(|i| {
            let id = i.db_instance_identifier().unwrap_or(name);
            resource(id, rds::tags_of(i.tag_list()), None)
        })
        .collect())
}

async fn db_subnet_group(
    client: &aws_sdk_rds::Client,
    res: &str,
    name: &str,
) -> Result<Vec<Holder>, AwsError> {
    let out = client
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(super::rds::ERRORS, res, "DescribeDBSubnetGroups", e));
    let Some(out) = free_if_missing(out)? else {
        return Ok(Vec::new());
    };
    let mut held = Vec::new();
    for g in out.db_subnet_groups() {
        // Subnet groups come without tags.
        let tags = client
            .list_tags_for_resource()
            .resource_name(g.db_subnet_group_arn().unwrap_or_default())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(super::rds::ERRORS, res, "ListTagsForResource", e));
        let Some(tags) = free_if_missing(tags)? else {
            continue;
        };
        let id = g.db_subnet_group_name().unwrap_or(name);
        let vpc = g.vpc_id().map(|v| format!("in {v}"));
        held.push(resource(id, rds::tags_of(tags.tag_list()), vpc));
    }
    Ok(held)
}

/// A Beanstalk resource's tags; `None` when it went away since it was listed.
async fn eb_tags(
    client: &aws_sdk_elasticbeanstalk::Client,
    res: &str,
    arn: &str,
) -> Result<Option<crate::model::Tags>, AwsError> {
    match beanstalk::list_tags(client, res, arn).await {
        Ok(tags) => Ok(Some(tags)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

async fn beanstalk_app(
    client: &aws_sdk_elasticbeanstalk::Client,
    res: &str,
    name: &str,
) -> Result<Vec<Holder>, AwsError> {
    let out = client
        .describe_applications()
        .application_names(name)
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk(super::beanstalk::ERRORS, res, "DescribeApplications", e)
        })?;
    let mut held = Vec::new();
    // Filtered again: an emulator (or a future AWS) may ignore the names filter.
    for app in out
        .applications()
        .iter()
        .filter(|a| a.application_name() == Some(name))
    {
        if let Some(tags) = eb_tags(client, res, app.application_arn().unwrap_or_default()).await? {
            held.push(resource(name, tags, None));
        }
    }
    Ok(held)
}

/// Environment names are unique in the account and region, whatever the application; a
/// terminated environment no longer holds its name.
async fn beanstalk_env(
    client: &aws_sdk_elasticbeanstalk::Client,
    res: &str,
    name: &str,
) -> Result<Vec<Holder>, AwsError> {
    use aws_sdk_elasticbeanstalk::types::EnvironmentStatus;
    let out = client
        .describe_environments()
        .environment_names(name)
        .include_deleted(false)
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk(super::beanstalk::ERRORS, res, "DescribeEnvironments", e)
        })?;
    let mut held = Vec::new();
    for e in out.environments() {
        let status = e.status();
        if e.environment_name() != Some(name) || status == Some(&EnvironmentStatus::Terminated) {
            continue;
        }
        let Some(tags) = eb_tags(client, res, e.environment_arn().unwrap_or_default()).await?
        else {
            continue;
        };
        let mut detail = format!(
            "environment of application `{}`",
            e.application_name().unwrap_or_default()
        );
        if status == Some(&EnvironmentStatus::Terminating) {
            detail.push_str(", terminating: the name is free once it is gone");
        }
        let id = e.environment_id().unwrap_or_default();
        held.push(resource(id, tags, Some(detail)));
    }
    Ok(held)
}

/// CNAMEs are unique in the region across every account: `CheckDNSAvailability` says whether
/// the prefix is free, and only when it is not are this account's environments listed to find
/// the holder (else it is another account's).
async fn cname_prefix(
    client: &aws_sdk_elasticbeanstalk::Client,
    res: &str,
    prefix: &str,
) -> Result<Vec<Holder>, AwsError> {
    let out = client
        .check_dns_availability()
        .cname_prefix(prefix)
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk(super::beanstalk::ERRORS, res, "CheckDNSAvailability", e)
        })?;
    if out.available() != Some(false) {
        return Ok(Vec::new());
    }
    let cname = out.fully_qualified_cname().unwrap_or(prefix).to_owned();
    // The SDK has no paginator for DescribeEnvironments.
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_environments()
            .include_deleted(false)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk(super::beanstalk::ERRORS, res, "DescribeEnvironments", e)
            })?;
        let holder = page.environments().iter().find(|e| {
            e.cname().is_some_and(|c| c.eq_ignore_ascii_case(&cname))
                && e.status()
                    != Some(&aws_sdk_elasticbeanstalk::types::EnvironmentStatus::Terminated)
        });
        if let Some(e) = holder {
            let detail = format!(
                "environment `{}` of application `{}`, whose CNAME is {cname}",
                e.environment_name().unwrap_or_default(),
                e.application_name().unwrap_or_default()
            );
            let arn = e.environment_arn().unwrap_or_default();
            // Gone since the list: its CNAME is on its way to being free.
            let Some(tags) = eb_tags(client, res, arn).await? else {
                return Ok(Vec::new());
            };
            let id = e.environment_id().unwrap_or_default();
            return Ok(vec![resource(id, tags, Some(detail))]);
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(vec![Holder::Elsewhere {
        what: format!(
            "{cname}, an environment of another AWS account (CNAMEs are unique in a region \
             across all accounts)"
        ),
    }])
}

/// REST API names are not unique on AWS: every API of the name is listed.
async fn rest_api(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    name: &str,
) -> Result<Vec<Holder>, AwsError> {
    let mut held = Vec::new();
    let mut pages = client.get_rest_apis().limit(500).into_paginator().send();
    while let Some(p) = pages.next().await {
        let p =
            p.map_err(|e| AwsError::from_sdk(super::apigateway::ERRORS, res, "GetRestApis", e))?;
        for a in p.items().iter().filter(|a| a.name() == Some(name)) {
            let id = a.id().unwrap_or_default();
            held.push(resource(id, apigateway::tags_of(a.tags()), None));
        }
    }
    Ok(held)
}

/// API keys by name (`nameQuery` narrows the list; the match is exact here). Listed without
/// values, as everywhere.
async fn api_key(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    name: &str,
) -> Result<Vec<Holder>, AwsError> {
    let mut held = Vec::new();
    let mut pages = client
        .get_api_keys()
        .name_query(name)
        .limit(500)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p =
            p.map_err(|e| AwsError::from_sdk(super::apigateway::ERRORS, res, "GetApiKeys", e))?;
        for k in p.items().iter().filter(|k| k.name() == Some(name)) {
            let id = k.id().unwrap_or_default();
            held.push(resource(id, apigateway::tags_of(k.tags()), None));
        }
    }
    Ok(held)
}

/// Security group names are unique in their VPC ("You can't have two security groups for the
/// same VPC with the same name", EC2 API reference, CreateSecurityGroup) and case-insensitive
/// there: the VPC's groups are listed and compared without case.
async fn security_group(
    client: &aws_sdk_ec2::Client,
    res: &str,
    name: &str,
    vpc: &str,
) -> Result<Vec<Holder>, AwsError> {
    use aws_sdk_ec2::types::Filter;
    let mut held = Vec::new();
    let mut pages = client
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(|e| {
            AwsError::from_sdk(super::ec2::ERRORS, res, "DescribeSecurityGroups", e)
        })?;
        for g in p
            .security_groups()
            .iter()
            .filter(|g| g.group_name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        {
            let id = g.group_id().unwrap_or_default();
            let tags = super::ec2_read::tags_of(g.tags());
            held.push(resource(id, tags, Some(format!("in {vpc}"))));
        }
    }
    Ok(held)
}

/// Usage plans by name: not unique on AWS, so every plan of the name is listed.
async fn usage_plan(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    name: &str,
) -> Result<Vec<Holder>, AwsError> {
    let mut held = Vec::new();
    let mut pages = client.get_usage_plans().limit(500).into_paginator().send();
    while let Some(p) = pages.next().await {
        let p =
            p.map_err(|e| AwsError::from_sdk(super::apigateway::ERRORS, res, "GetUsagePlans", e))?;
        for u in p.items().iter().filter(|u| u.name() == Some(name)) {
            let id = u.id().unwrap_or_default();
            held.push(resource(id, apigateway::tags_of(u.tags()), None));
        }
    }
    Ok(held)
}
