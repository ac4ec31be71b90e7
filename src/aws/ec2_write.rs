//! Creating, updating and deleting network resources. Every create tags at creation time (so a
//! crash right after it leaves a resource the next read adopts), every step is safe to repeat,
//! and AWS's "already done" answers count as done.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, IpPermission, IpRange, ResourceType, Tag,
    TagSpecification, UserIdGroupPair,
};

use super::wait::{self, Poll};
use super::{AwsError, Resolver};
use crate::model::*;

const NAT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(kind);
    for (k, v) in tags {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

fn sdk_err<E, R>(
    res: &str,
    op: &'static str,
) -> impl FnOnce(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> AwsError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let res = res.to_owned();
    move |e| AwsError::from_sdk(res, op, e)
}

/// Errors that mean the step was already done.
fn done_if(result: Result<(), AwsError>, codes: &[&str]) -> Result<(), AwsError> {
    match result {
        Err(e) if e.code().is_some_and(|c| codes.contains(&c)) => Ok(()),
        other => other,
    }
}

pub async fn create(
    ec2: &aws_sdk_ec2::Client,
    address: &Address,
    attrs: &Attrs,
    tags: &Tags,
    ids: &Resolver<'_>,
) -> Result<String, AwsError> {
    let res = address.to_string();
    match attrs {
        Attrs::Vpc(a) => {
            let out = ec2
                .create_vpc()
                .cidr_block(a.cidr.to_string())
                .tag_specifications(tag_spec(ResourceType::Vpc, tags))
                .send()
                .await
                .map_err(sdk_err(&res, "CreateVpc"))?;
            let id = out
                .vpc()
                .and_then(|v| v.vpc_id())
                .unwrap_or_default()
                .to_owned();
            set_vpc_dns(ec2, &res, &id, a).await?;
            Ok(id)
        }
        Attrs::Subnet(a) => {
            let vpc = ids.id(&a.vpc)?;
            let out = wait::through_not_found(|| async {
                ec2.create_subnet()
                    .vpc_id(&vpc)
                    .cidr_block(a.cidr.to_string())
                    .availability_zone(&a.availability_zone)
                    .tag_specifications(tag_spec(ResourceType::Subnet, tags))
                    .send()
                    .await
                    .map_err(sdk_err(&res, "CreateSubnet"))
            })
            .await?;
            let id = out
                .subnet()
                .and_then(|s| s.subnet_id())
                .unwrap_or_default()
                .to_owned();
            if a.public_ip_on_launch {
                set_public_ip(ec2, &res, &id, true).await?;
            }
            Ok(id)
        }
        Attrs::InternetGateway(a) => {
            let out = ec2
                .create_internet_gateway()
                .tag_specifications(tag_spec(ResourceType::InternetGateway, tags))
                .send()
                .await
                .map_err(sdk_err(&res, "CreateInternetGateway"))?;
            let id = out
                .internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .unwrap_or_default()
                .to_owned();
            attach_igw(ec2, &res, &id, &ids.id(&a.vpc)?).await?;
            Ok(id)
        }
        Attrs::ElasticIp(_) => {
            let out = ec2
                .allocate_address()
                .domain(DomainType::Vpc)
                .tag_specifications(tag_spec(ResourceType::ElasticIp, tags))
                .send()
                .await
                .map_err(sdk_err(&res, "AllocateAddress"))?;
            Ok(out.allocation_id().unwrap_or_default().to_owned())
        }
        Attrs::NatGateway(a) => {
            let (subnet, eip) = (ids.id(&a.subnet)?, ids.id(&a.elastic_ip)?);
            let out = wait::through_not_found(|| async {
                ec2.create_nat_gateway()
                    .subnet_id(&subnet)
                    .allocation_id(&eip)
                    .tag_specifications(tag_spec(ResourceType::Natgateway, tags))
                    .send()
                    .await
                    .map_err(sdk_err(&res, "CreateNatGateway"))
            })
            .await?;
            let id = out
                .nat_gateway()
                .and_then(|n| n.nat_gateway_id())
                .unwrap_or_default()
                .to_owned();
            wait_nat(ec2, &res, &id, "available").await?;
            Ok(id)
        }
        Attrs::RouteTable(a) => {
            let vpc = ids.id(&a.vpc)?;
            let out = wait::through_not_found(|| async {
                ec2.create_route_table()
                    .vpc_id(&vpc)
                    .tag_specifications(tag_spec(ResourceType::RouteTable, tags))
                    .send()
                    .await
                    .map_err(sdk_err(&res, "CreateRouteTable"))
            })
            .await?;
            let id = out
                .route_table()
                .and_then(|t| t.route_table_id())
                .unwrap_or_default()
                .to_owned();
            let empty = RouteTableAttrs {
                vpc: a.vpc.clone(),
                routes: BTreeSet::new(),
                subnets: BTreeSet::new(),
            };
            update_route_table(ec2, &res, &id, &empty, a, ids).await?;
            Ok(id)
        }
        Attrs::SecurityGroup(a) => {
            let vpc = ids.id(&a.vpc)?;
            let out = wait::through_not_found(|| async {
                ec2.create_security_group()
                    .group_name(&a.name)
                    .description(&a.description)
                    .vpc_id(&vpc)
                    .tag_specifications(tag_spec(ResourceType::SecurityGroup, tags))
                    .send()
                    .await
                    .map_err(sdk_err(&res, "CreateSecurityGroup"))
            })
            .await?;
            let id = out.group_id().unwrap_or_default().to_owned();
            // A new group has AWS's allow-all egress rule and nothing else.
            let fresh = SecurityGroupAttrs {
                ingress: BTreeSet::new(),
                egress: [Rule::allow_all_egress()].into(),
                ..a.clone()
            };
            update_rules(ec2, &res, &id, &fresh, a, ids).await?;
            Ok(id)
        }
        other => Err(AwsError::Invalid {
            resource: res,
            message: format!("{} is not a network resource", other.kind()),
        }),
    }
}

pub async fn update(
    ec2: &aws_sdk_ec2::Client,
    address: &Address,
    id: &str,
    before: &Attrs,
    after: &Attrs,
    ids: &Resolver<'_>,
) -> Result<(), AwsError> {
    let res = address.to_string();
    match (before, after) {
        (Attrs::Vpc(_), Attrs::Vpc(a)) => set_vpc_dns(ec2, &res, id, a).await,
        (Attrs::Subnet(b), Attrs::Subnet(a)) => {
            if b.public_ip_on_launch != a.public_ip_on_launch {
                set_public_ip(ec2, &res, id, a.public_ip_on_launch).await?;
            }
            Ok(())
        }
        (Attrs::InternetGateway(b), Attrs::InternetGateway(a)) => {
            if let Ref::Managed(_) | Ref::External(_) = &b.vpc
                && let Ok(old) = ids.id(&b.vpc)
                && !old.is_empty()
            {
                let r = ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(&old)
                    .send()
                    .await;
                done_if(
                    r.map(|_| ())
                        .map_err(|e| AwsError::from_sdk(&res, "DetachInternetGateway", e)),
                    &["Gateway.NotAttached", "InvalidVpcID.NotFound"],
                )?;
            }
            attach_igw(ec2, &res, id, &ids.id(&a.vpc)?).await
        }
        (Attrs::ElasticIp(_), Attrs::ElasticIp(_))
        | (Attrs::NatGateway(_), Attrs::NatGateway(_)) => Ok(()),
        (Attrs::RouteTable(b), Attrs::RouteTable(a)) => {
            update_route_table(ec2, &res, id, b, a, ids).await
        }
        (Attrs::SecurityGroup(b), Attrs::SecurityGroup(a)) => {
            update_rules(ec2, &res, id, b, a, ids).await
        }
        _ => Err(AwsError::Invalid {
            resource: res,
            message: "kind changed; this needs a replace".into(),
        }),
    }
}

/// Tags are updated for every kind the same way.
pub async fn retag(
    ec2: &aws_sdk_ec2::Client,
    address: &Address,
    id: &str,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let res = address.to_string();
    if !set.is_empty() {
        let tags: Vec<Tag> = set
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(&res, "CreateTags", e))?;
    }
    if !remove.is_empty() {
        let tags: Vec<Tag> = remove
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(&res, "DeleteTags", e))?;
    }
    Ok(())
}

pub async fn delete(
    ec2: &aws_sdk_ec2::Client,
    address: &Address,
    id: &str,
    before: &Attrs,
    ids: &Resolver<'_>,
) -> Result<(), AwsError> {
    let res = address.to_string();
    let gone = [
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidAllocationID.NotFound",
        "NatGatewayNotFound",
        "InvalidNatGatewayID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidGroupId.NotFound",
    ];
    let result = match before {
        Attrs::Vpc(_) => ec2
            .delete_vpc()
            .vpc_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(&res, "DeleteVpc", e)),
        Attrs::Subnet(_) => ec2
            .delete_subnet()
            .subnet_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(&res, "DeleteSubnet", e)),
        Attrs::InternetGateway(a) => {
            if let Ok(vpc) = ids.id(&a.vpc) {
                let r = ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(vpc)
                    .send()
                    .await;
                done_if(
                    r.map(|_| ())
                        .map_err(|e| AwsError::from_sdk(&res, "DetachInternetGateway", e)),
                    &["Gateway.NotAttached", "InvalidVpcID.NotFound"],
                )?;
            }
            ec2.delete_internet_gateway()
                .internet_gateway_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(&res, "DeleteInternetGateway", e))
        }
        Attrs::ElasticIp(_) => ec2
            .release_address()
            .allocation_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(&res, "ReleaseAddress", e)),
        Attrs::NatGateway(_) => {
            let r = ec2
                .delete_nat_gateway()
                .nat_gateway_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(&res, "DeleteNatGateway", e));
            done_if(r, &gone)?;
            // The EIP and subnet stay in use until the gateway is really gone.
            wait_nat(ec2, &res, id, "deleted").await
        }
        Attrs::RouteTable(_) => {
            let table = ec2
                .describe_route_tables()
                .route_table_ids(id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(&res, "DescribeRouteTables", e));
            let table = match table {
                Err(e) if e.is_not_found() => return Ok(()),
                other => other?,
            };
            for assoc in table.route_tables().iter().flat_map(|t| t.associations()) {
                if assoc.main().unwrap_or(false) {
                    continue;
                }
                if let Some(aid) = assoc.route_table_association_id() {
                    let r = ec2
                        .disassociate_route_table()
                        .association_id(aid)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| AwsError::from_sdk(&res, "DisassociateRouteTable", e));
                    done_if(r, &["InvalidAssociationID.NotFound"])?;
                }
            }
            ec2.delete_route_table()
                .route_table_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(&res, "DeleteRouteTable", e))
        }
        Attrs::SecurityGroup(a) => {
            // Rules that name other groups hold those groups; revoke them so both can go.
            let empty = SecurityGroupAttrs {
                ingress: BTreeSet::new(),
                egress: BTreeSet::new(),
                ..a.clone()
            };
            let referencing = SecurityGroupAttrs {
                ingress: a
                    .ingress
                    .iter()
                    .filter(|r| matches!(r.source, RuleSource::Group(_)))
                    .cloned()
                    .collect(),
                egress: a
                    .egress
                    .iter()
                    .filter(|r| matches!(r.source, RuleSource::Group(_)))
                    .cloned()
                    .collect(),
                ..a.clone()
            };
            done_if(
                update_rules(ec2, &res, id, &referencing, &empty, ids).await,
                &gone,
            )?;
            ec2.delete_security_group()
                .group_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(&res, "DeleteSecurityGroup", e))
        }
        other => Err(AwsError::Invalid {
            resource: res.clone(),
            message: format!("{} is not a network resource", other.kind()),
        }),
    };
    match done_if(result, &gone) {
        Err(e) if e.code() == Some("DependencyViolation") => {
            Err(explain_dependency(ec2, id, before, e).await)
        }
        other => other,
    }
}

/// `DependencyViolation` says something still holds the resource; find what, and name it.
async fn explain_dependency(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    before: &Attrs,
    e: AwsError,
) -> AwsError {
    let filter = match before {
        Attrs::Vpc(_) => "vpc-id",
        Attrs::Subnet(_) => "subnet-id",
        Attrs::SecurityGroup(_) => "group-id",
        _ => return e,
    };
    let found = ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name(filter).values(id).build())
        .send()
        .await;
    let holders: Vec<String> = found
        .map(|out| {
            out.network_interfaces()
                .iter()
                .map(|n| {
                    format!(
                        "{} ({})",
                        n.network_interface_id().unwrap_or("?"),
                        n.description()
                            .filter(|d| !d.is_empty())
                            .unwrap_or("no description")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    match e {
        AwsError::Call {
            resource,
            operation,
            code,
            message,
        } if !holders.is_empty() => AwsError::Call {
            resource,
            operation,
            code,
            message: format!(
                "{message}; still in use by network interfaces: {}",
                holders.join(", ")
            ),
        },
        other => other,
    }
}

async fn set_vpc_dns(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    a: &VpcAttrs,
) -> Result<(), AwsError> {
    let flag = |v: bool| AttributeBooleanValue::builder().value(v).build();
    // Support must be on before hostnames can be, so set it first.
    wait::through_not_found(|| async {
        ec2.modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(flag(a.dns_support))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(res, "ModifyVpcAttribute", e))
    })
    .await?;
    ec2.modify_vpc_attribute()
        .vpc_id(id)
        .enable_dns_hostnames(flag(a.dns_hostnames))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(res, "ModifyVpcAttribute", e))?;
    Ok(())
}

async fn set_public_ip(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    on: bool,
) -> Result<(), AwsError> {
    wait::through_not_found(|| async {
        ec2.modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(res, "ModifySubnetAttribute", e))
    })
    .await?;
    Ok(())
}

async fn attach_igw(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    vpc: &str,
) -> Result<(), AwsError> {
    let r = wait::through_not_found(|| async {
        ec2.attach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(res, "AttachInternetGateway", e))
    })
    .await;
    done_if(r, &["Resource.AlreadyAssociated"])
}

async fn wait_nat(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    want: &'static str,
) -> Result<(), AwsError> {
    wait::until(res, &format!("NAT gateway {want}"), NAT_TIMEOUT, || async {
        let out = ec2.describe_nat_gateways().nat_gateway_ids(id).send().await;
        let out = match out.map_err(|e| AwsError::from_sdk(res, "DescribeNatGateways", e)) {
            Err(e) if e.is_not_found() && want == "deleted" => return Ok(Poll::Done),
            Err(e) if e.is_not_found() => return Ok(Poll::Pending("not visible yet".into())),
            other => other?,
        };
        let state = out
            .nat_gateways()
            .first()
            .and_then(|n| n.state())
            .map(|s| s.as_str().to_owned());
        match (state.as_deref(), want) {
            (Some("available"), "available") | (Some("deleted") | None, "deleted") => {
                Ok(Poll::Done)
            }
            (Some("failed"), _) => Err(AwsError::Invalid {
                resource: res.to_owned(),
                message: format!(
                    "NAT gateway {id} failed: {}",
                    out.nat_gateways()
                        .first()
                        .and_then(|n| n.failure_message())
                        .unwrap_or("no reason given")
                ),
            }),
            (s, _) => Ok(Poll::Pending(s.unwrap_or("unknown").to_owned())),
        }
    })
    .await
}

async fn update_route_table(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    before: &RouteTableAttrs,
    after: &RouteTableAttrs,
    ids: &Resolver<'_>,
) -> Result<(), AwsError> {
    let old: BTreeMap<_, _> = before
        .routes
        .iter()
        .map(|r| (r.destination, &r.target))
        .collect();
    for route in &after.routes {
        let target = ids.id(&route.target)?;
        let mut req = match old.get(&route.destination) {
            Some(t) if **t == route.target => continue,
            Some(_) => {
                let mut r = ec2
                    .replace_route()
                    .route_table_id(id)
                    .destination_cidr_block(route.destination.to_string());
                r = if target.starts_with("nat-") {
                    r.nat_gateway_id(&target)
                } else {
                    r.gateway_id(&target)
                };
                r.send()
                    .await
                    .map_err(|e| AwsError::from_sdk(res, "ReplaceRoute", e))?;
                continue;
            }
            None => ec2
                .create_route()
                .route_table_id(id)
                .destination_cidr_block(route.destination.to_string()),
        };
        req = if target.starts_with("nat-") {
            req.nat_gateway_id(&target)
        } else {
            req.gateway_id(&target)
        };
        let r = wait::through_not_found(|| {
            let req = req.clone();
            async move {
                req.send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk(res, "CreateRoute", e))
            }
        })
        .await;
        done_if(r, &["RouteAlreadyExists"])?;
    }
    let wanted: BTreeSet<_> = after.routes.iter().map(|r| r.destination).collect();
    for route in before
        .routes
        .iter()
        .filter(|r| !wanted.contains(&r.destination))
    {
        let r = ec2
            .delete_route()
            .route_table_id(id)
            .destination_cidr_block(route.destination.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(res, "DeleteRoute", e));
        done_if(r, &["InvalidRoute.NotFound"])?;
    }
    for subnet in after.subnets.difference(&before.subnets) {
        let subnet_id = ids.id(subnet)?;
        let r = wait::through_not_found(|| async {
            ec2.associate_route_table()
                .route_table_id(id)
                .subnet_id(&subnet_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(res, "AssociateRouteTable", e))
        })
        .await;
        done_if(r, &["Resource.AlreadyAssociated"])?;
    }
    let removed: BTreeSet<String> = before
        .subnets
        .difference(&after.subnets)
        .filter_map(|s| ids.id(s).ok())
        .collect();
    if !removed.is_empty() {
        let table = ec2
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(res, "DescribeRouteTables", e))?;
        for assoc in table.route_tables().iter().flat_map(|t| t.associations()) {
            if assoc.subnet_id().is_some_and(|s| removed.contains(s))
                && let Some(aid) = assoc.route_table_association_id()
            {
                let r = ec2
                    .disassociate_route_table()
                    .association_id(aid)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk(res, "DisassociateRouteTable", e));
                done_if(r, &["InvalidAssociationID.NotFound"])?;
            }
        }
    }
    Ok(())
}

fn permission(rule: &Rule, ids: &Resolver<'_>) -> Result<IpPermission, AwsError> {
    let (from, to) = match (rule.protocol, rule.ports) {
        (Protocol::All, _) => (None, None),
        (_, Some(p)) => (Some(i32::from(p.from)), Some(i32::from(p.to))),
        (Protocol::Icmp, None) => (Some(-1), Some(-1)),
        (_, None) => (Some(0), Some(65535)),
    };
    let protocol = match rule.protocol {
        Protocol::All => "-1",
        p => p.as_str(),
    };
    let mut b = IpPermission::builder()
        .ip_protocol(protocol)
        .set_from_port(from)
        .set_to_port(to);
    b = match &rule.source {
        RuleSource::Cidr(c) => b.ip_ranges(
            IpRange::builder()
                .cidr_ip(c.to_string())
                .set_description(rule.description.clone())
                .build(),
        ),
        RuleSource::Group(g) => b.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(ids.id(g)?)
                .set_description(rule.description.clone())
                .build(),
        ),
    };
    Ok(b.build())
}

/// Authorize new rules before revoking old ones, so traffic that both allow never drops.
async fn update_rules(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    before: &SecurityGroupAttrs,
    after: &SecurityGroupAttrs,
    ids: &Resolver<'_>,
) -> Result<(), AwsError> {
    let add_in: Vec<IpPermission> = after
        .ingress
        .difference(&before.ingress)
        .map(|r| permission(r, ids))
        .collect::<Result<_, _>>()?;
    let add_out: Vec<IpPermission> = after
        .egress
        .difference(&before.egress)
        .map(|r| permission(r, ids))
        .collect::<Result<_, _>>()?;
    // Rules naming a group that is already gone cannot be expressed; they went with it.
    let del_in: Vec<IpPermission> = before
        .ingress
        .difference(&after.ingress)
        .filter_map(|r| permission(r, ids).ok())
        .collect();
    let del_out: Vec<IpPermission> = before
        .egress
        .difference(&after.egress)
        .filter_map(|r| permission(r, ids).ok())
        .collect();
    for p in add_in {
        let r = wait::through_not_found(|| async {
            ec2.authorize_security_group_ingress()
                .group_id(id)
                .ip_permissions(p.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(res, "AuthorizeSecurityGroupIngress", e))
        })
        .await;
        done_if(r, &["InvalidPermission.Duplicate"])?;
    }
    for p in add_out {
        let r = wait::through_not_found(|| async {
            ec2.authorize_security_group_egress()
                .group_id(id)
                .ip_permissions(p.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(res, "AuthorizeSecurityGroupEgress", e))
        })
        .await;
        done_if(r, &["InvalidPermission.Duplicate"])?;
    }
    for p in del_in {
        let r = ec2
            .revoke_security_group_ingress()
            .group_id(id)
            .ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(res, "RevokeSecurityGroupIngress", e));
        done_if(r, &["InvalidPermission.NotFound"])?;
    }
    for p in del_out {
        let r = ec2
            .revoke_security_group_egress()
            .group_id(id)
            .ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(res, "RevokeSecurityGroupEgress", e));
        done_if(r, &["InvalidPermission.NotFound"])?;
    }
    Ok(())
}
