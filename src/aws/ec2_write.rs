//! Creating, updating and deleting network resources. Every create tags at creation time (so a
//! crash right after it leaves a resource the next read adopts), every step is safe to repeat,
//! and AWS's "already done" answers count as done.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, IpPermission, IpRange, ResourceType, Tag,
    TagSpecification, UserIdGroupPair,
};

use super::ErrorClass::{self, Exists, Gone};
use super::ec2::ERRORS;
use super::wait::{self, Poll};
use super::{AwsError, Op, Resolver, done_if, sdk_err};
use crate::model::*;

const NAT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(kind);
    for (k, v) in tags {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

pub(super) async fn create_eip(ec2: &aws_sdk_ec2::Client, op: &Op<'_>) -> Result<String, AwsError> {
    let out = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tag_spec(ResourceType::ElasticIp, &op.tags()))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &op.resource(), "AllocateAddress"))?;
    Ok(out.allocation_id().unwrap_or_default().to_owned())
}

pub(super) async fn create_vpc(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &VpcAttrs,
) -> Result<String, AwsError> {
    let (res, tags) = (op.resource(), &op.tags());
    let out = ec2
        .create_vpc()
        .cidr_block(a.cidr.to_string())
        .tag_specifications(tag_spec(ResourceType::Vpc, tags))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &res, "CreateVpc"))?;
    let id = out
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap_or_default()
        .to_owned();
    set_vpc_dns(ec2, &res, &id, a)
        .await
        .map_err(AwsError::partial(&id))?;
    Ok(id)
}

pub(super) async fn create_subnet(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &SubnetAttrs,
) -> Result<String, AwsError> {
    let (res, tags, ids) = (op.resource(), &op.tags(), &op.ids);
    let vpc = ids.id(&a.vpc)?;
    let out = wait::through_not_found(|| async {
        ec2.create_subnet()
            .vpc_id(&vpc)
            .cidr_block(a.cidr.to_string())
            .availability_zone(&a.availability_zone)
            .tag_specifications(tag_spec(ResourceType::Subnet, tags))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "CreateSubnet"))
    })
    .await?;
    let id = out
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap_or_default()
        .to_owned();
    if a.public_ip_on_launch {
        set_public_ip(ec2, &res, &id, true)
            .await
            .map_err(AwsError::partial(&id))?;
    }
    Ok(id)
}

pub(super) async fn create_igw(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &InternetGatewayAttrs,
) -> Result<String, AwsError> {
    let (res, tags, ids) = (op.resource(), &op.tags(), &op.ids);
    let out = ec2
        .create_internet_gateway()
        .tag_specifications(tag_spec(ResourceType::InternetGateway, tags))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &res, "CreateInternetGateway"))?;
    let id = out
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .unwrap_or_default()
        .to_owned();
    let vpc = ids.id(&a.vpc).map_err(AwsError::partial(&id))?;
    attach_igw(ec2, &res, &id, &vpc)
        .await
        .map_err(AwsError::partial(&id))?;
    Ok(id)
}

pub(super) async fn create_nat(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &NatGatewayAttrs,
) -> Result<String, AwsError> {
    let (res, tags, ids) = (op.resource(), &op.tags(), &op.ids);
    let (subnet, eip) = (ids.id(&a.subnet)?, ids.id(&a.elastic_ip)?);
    let out = wait::through_not_found(|| async {
        ec2.create_nat_gateway()
            .subnet_id(&subnet)
            .allocation_id(&eip)
            .tag_specifications(tag_spec(ResourceType::Natgateway, tags))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "CreateNatGateway"))
    })
    .await?;
    let id = out
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .unwrap_or_default()
        .to_owned();
    wait_nat(ec2, &res, &id, "available")
        .await
        .map_err(AwsError::partial(&id))?;
    Ok(id)
}

pub(super) async fn create_route_table(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &RouteTableAttrs,
) -> Result<String, AwsError> {
    let (res, tags, ids) = (op.resource(), &op.tags(), &op.ids);
    let vpc = ids.id(&a.vpc)?;
    let out = wait::through_not_found(|| async {
        ec2.create_route_table()
            .vpc_id(&vpc)
            .tag_specifications(tag_spec(ResourceType::RouteTable, tags))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "CreateRouteTable"))
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
    update_route_table(ec2, &res, &id, &empty, a, ids, ids)
        .await
        .map_err(AwsError::partial(&id))?;
    Ok(id)
}

pub(super) async fn create_security_group(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &SecurityGroupAttrs,
) -> Result<String, AwsError> {
    let (res, tags, ids) = (op.resource(), &op.tags(), &op.ids);
    let vpc = ids.id(&a.vpc)?;
    let out = wait::through_not_found(|| async {
        ec2.create_security_group()
            .group_name(&a.name)
            .description(&a.description)
            .vpc_id(&vpc)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, tags))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "CreateSecurityGroup"))
    })
    .await?;
    let id = out.group_id().unwrap_or_default().to_owned();
    // A new group has AWS's allow-all egress rule and nothing else.
    let fresh = SecurityGroupAttrs {
        ingress: BTreeSet::new(),
        egress: [Rule::allow_all_egress()].into(),
        ..a.clone()
    };
    update_rules(ec2, &res, &id, &fresh, a, ids, ids)
        .await
        .map_err(AwsError::partial(&id))?;
    Ok(id)
}

pub(super) async fn update_subnet(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    b: &SubnetAttrs,
    a: &SubnetAttrs,
) -> Result<(), AwsError> {
    if b.public_ip_on_launch != a.public_ip_on_launch {
        set_public_ip(ec2, &op.resource(), op.id(), a.public_ip_on_launch).await?;
    }
    Ok(())
}

/// Moves the gateway to the spec's VPC: detached from the old one (if attached), attached.
pub(super) async fn update_igw(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    b: &InternetGatewayAttrs,
    a: &InternetGatewayAttrs,
) -> Result<(), AwsError> {
    let (res, id, ids) = (op.resource(), op.id(), &op.ids);
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
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DetachInternetGateway", e)),
            &[Gone],
        )?;
    }
    attach_igw(ec2, &res, id, &ids.id(&a.vpc)?).await
}

/// Tags are updated for every kind the same way.
pub(super) async fn retag(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let (res, id) = (op.resource(), op.id());
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
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateTags", e))?;
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
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteTags", e))?;
    }
    Ok(())
}

/// A delete's end: gone counts as done, and what still holds the resource after waiting
/// `timeout` is named, found through `holder` (the interface filter that finds what is in it).
pub(super) async fn finish_delete(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    result: Result<(), AwsError>,
    holder: Option<(&str, String)>,
    timeout: Duration,
) -> Result<(), AwsError> {
    match done_if(result, &[Gone]) {
        Err(e) if e.class() == ErrorClass::Busy => {
            Err(explain_dependency(ec2, holder, op.before()?, timeout, e).await)
        }
        other => other,
    }
}

pub(super) async fn delete_vpc(ec2: &aws_sdk_ec2::Client, op: &Op<'_>) -> Result<(), AwsError> {
    let (res, id, timeout) = (op.resource(), op.id(), dependency_timeout(10));
    let r = wait::through_dependencies(timeout, || async {
        ec2.delete_vpc()
            .vpc_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteVpc", e))
    })
    .await;
    finish_delete(ec2, op, r, Some(("vpc-id", id.to_owned())), timeout).await
}

pub(super) async fn delete_subnet(ec2: &aws_sdk_ec2::Client, op: &Op<'_>) -> Result<(), AwsError> {
    let (res, id, timeout) = (op.resource(), op.id(), dependency_timeout(20));
    let r = wait::through_dependencies(timeout, || async {
        ec2.delete_subnet()
            .subnet_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteSubnet", e))
    })
    .await;
    finish_delete(ec2, op, r, Some(("subnet-id", id.to_owned())), timeout).await
}

pub(super) async fn release_eip(ec2: &aws_sdk_ec2::Client, op: &Op<'_>) -> Result<(), AwsError> {
    let r = ec2
        .release_address()
        .allocation_id(op.id())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(ERRORS, op.resource(), "ReleaseAddress", e));
    finish_delete(ec2, op, r, None, dependency_timeout(10)).await
}

/// How long a delete waits for what holds the resource to let go: the Terraform provider's
/// delete timeouts (subnet 20 min, security group 15 min, VPC 5 min and gateway detach, given 10
/// here as load balancer addresses drain for up to 20 min). `PROVISION_DEPENDENCY_TIMEOUT`
/// (seconds) sets all of them, for tests and impatient operators.
pub(super) fn dependency_timeout(minutes: u64) -> Duration {
    if let Some(secs) = std::env::var("PROVISION_DEPENDENCY_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    {
        return Duration::from_secs_f64(secs);
    }
    Duration::from_secs(minutes * 60)
}

pub(super) async fn delete_igw(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &InternetGatewayAttrs,
    timeout: Duration,
) -> Result<(), AwsError> {
    let (res, id, ids) = (op.resource(), op.id(), &op.old);
    if let Ok(vpc) = ids.id(&a.vpc) {
        let r = wait::through_dependencies(timeout, || async {
            ec2.detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(&vpc)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DetachInternetGateway", e))
        })
        .await;
        done_if(
            r,
            // Already gone (a run that died after deleting it): the delete below says so.
            &[Gone],
        )?;
    }
    ec2.delete_internet_gateway()
        .internet_gateway_id(id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteInternetGateway", e))
}

pub(super) async fn delete_nat(ec2: &aws_sdk_ec2::Client, op: &Op<'_>) -> Result<(), AwsError> {
    let (res, id, ids) = (op.resource(), op.id(), &op.old);
    let before = op.before()?;
    let r = ec2
        .delete_nat_gateway()
        .nat_gateway_id(id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteNatGateway", e));
    done_if(r, &[Gone])?;
    // The EIP and subnet stay in use until the gateway is really gone.
    wait_nat(ec2, &res, id, "deleted").await?;
    free_eip(ec2, &res, before, ids).await
}

pub(super) async fn delete_route_table(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
) -> Result<(), AwsError> {
    let (res, id) = (op.resource(), op.id());
    let table = ec2
        .describe_route_tables()
        .route_table_ids(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DescribeRouteTables", e));
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
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DisassociateRouteTable", e));
            done_if(r, &[Gone])?;
        }
    }
    ec2.delete_route_table()
        .route_table_id(id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteRouteTable", e))
}

pub(super) async fn delete_security_group(
    ec2: &aws_sdk_ec2::Client,
    op: &Op<'_>,
    a: &SecurityGroupAttrs,
    timeout: Duration,
) -> Result<(), AwsError> {
    let (res, id, ids) = (op.resource(), op.id(), &op.old);
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
        update_rules(ec2, &res, id, &referencing, &empty, ids, ids).await,
        &[Gone],
    )?;
    wait::through_dependencies(timeout, || async {
        ec2.delete_security_group()
            .group_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteSecurityGroup", e))
    })
    .await
}

/// AWS drops a deleted NAT gateway's EIP association itself; LocalStack keeps it, and then a
/// replacement gateway cannot use the address. Disassociating what is left is a no-op on AWS.
async fn free_eip(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    before: &Attrs,
    ids: &Resolver<'_>,
) -> Result<(), AwsError> {
    let Attrs::NatGateway(nat) = before else {
        return Ok(());
    };
    let Ok(allocation) = ids.id(&nat.elastic_ip) else {
        return Ok(());
    };
    let out = ec2
        .describe_addresses()
        .allocation_ids(&allocation)
        .send()
        .await;
    let association = match out.map_err(|e| AwsError::from_sdk(ERRORS, res, "DescribeAddresses", e))
    {
        Err(e) if e.is_not_found() => return Ok(()),
        other => other?
            .addresses()
            .first()
            .and_then(|a| a.association_id())
            .map(str::to_owned),
    };
    if let Some(association) = association {
        let r = ec2
            .disassociate_address()
            .association_id(association)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "DisassociateAddress", e));
        done_if(r, &[Gone])?;
    }
    Ok(())
}

/// `DependencyViolation` after waiting says something still holds the resource; find what, and
/// name it.
async fn explain_dependency(
    ec2: &aws_sdk_ec2::Client,
    filter: Option<(&str, String)>,
    before: &Attrs,
    waited: Duration,
    e: AwsError,
) -> AwsError {
    let Some((filter, id)) = filter else {
        return e;
    };
    let found = ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name(filter).values(&id).build())
        .send()
        .await;
    let public_only = matches!(before, Attrs::InternetGateway(_));
    let mut holders: Vec<String> = found
        .map(|out| {
            out.network_interfaces()
                .iter()
                // A gateway is held by the public addresses mapped in its VPC, not by every interface.
                .filter(|n| !public_only || n.association().and_then(|a| a.public_ip()).is_some())
                .map(describe_interface)
                .collect()
        })
        .unwrap_or_default();
    if let Attrs::Vpc(_) = before {
        holders.extend(unowned_in_vpc(ec2, &id).await);
    }
    match e {
        AwsError::Call {
            resource,
            operation,
            mut answer,
        } => {
            let waited = format!("gave up after waiting {} s", waited.as_secs());
            answer.message = if holders.is_empty() {
                format!("{} ({waited})", answer.message)
            } else {
                format!(
                    "{} ({waited}); still in use by: {}",
                    answer.message,
                    holders.join(", ")
                )
            };
            AwsError::Call {
                resource,
                operation,
                answer,
            }
        }
        other => other,
    }
}

/// "network interface eni-… (ELB app/…, requester amazon-elb)".
fn describe_interface(n: &aws_sdk_ec2::types::NetworkInterface) -> String {
    let description = n
        .description()
        .filter(|d| !d.is_empty())
        .unwrap_or("no description");
    let requester = match (n.requester_managed(), n.requester_id()) {
        (_, Some(r)) => format!(", requester {r}"),
        (Some(true), None) => ", requester-managed".to_owned(),
        _ => String::new(),
    };
    format!(
        "network interface {} ({description}{requester})",
        n.network_interface_id().unwrap_or("?")
    )
}

/// A VPC is also held by what was made in it by hand: subnets and groups without our tags.
async fn unowned_in_vpc(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    let in_vpc = || Filter::builder().name("vpc-id").values(id).build();
    let (subnets, groups) = tokio::join!(
        ec2.describe_subnets().filters(in_vpc()).send(),
        ec2.describe_security_groups().filters(in_vpc()).send()
    );
    let name = |tags: &[aws_sdk_ec2::types::Tag]| {
        tags.iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value())
            .map(|n| format!(" \"{n}\""))
    };
    let mut holders = Vec::new();
    if let Ok(out) = subnets {
        holders.extend(out.subnets().iter().map(|s| {
            format!(
                "subnet {}{}",
                s.subnet_id().unwrap_or("?"),
                name(s.tags()).unwrap_or_default()
            )
        }));
    }
    if let Ok(out) = groups {
        holders.extend(
            out.security_groups()
                .iter()
                .filter(|g| g.group_name() != Some("default"))
                .map(|g| {
                    format!(
                        "security group {} ({})",
                        g.group_id().unwrap_or("?"),
                        g.group_name().unwrap_or("?")
                    )
                }),
        );
    }
    holders
}

pub(super) async fn set_vpc_dns(
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
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "ModifyVpcAttribute", e))
    })
    .await?;
    ec2.modify_vpc_attribute()
        .vpc_id(id)
        .enable_dns_hostnames(flag(a.dns_hostnames))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, res, "ModifyVpcAttribute", e))?;
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
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "ModifySubnetAttribute", e))
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
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "AttachInternetGateway", e))
    })
    .await;
    done_if(r, &[Exists])
}

async fn wait_nat(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    want: &'static str,
) -> Result<(), AwsError> {
    wait::until(res, &format!("NAT gateway {want}"), NAT_TIMEOUT, || async {
        let out = ec2.describe_nat_gateways().nat_gateway_ids(id).send().await;
        let out = match out.map_err(|e| AwsError::from_sdk(ERRORS, res, "DescribeNatGateways", e)) {
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

/// Routes and associations are compared by physical id: a replaced NAT gateway or subnet keeps
/// its address but not its id, so `before` resolves through the ids the run started with and
/// `after` through the current ones.
pub(super) async fn update_route_table(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    before: &RouteTableAttrs,
    after: &RouteTableAttrs,
    old: &Resolver<'_>,
    new: &Resolver<'_>,
) -> Result<(), AwsError> {
    update_routes(ec2, res, id, before, after, old, new).await?;
    update_associations(ec2, res, id, before, after, old, new).await
}

/// Routes by destination: replaced where the target changed, created, deleted.
async fn update_routes(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    before: &RouteTableAttrs,
    after: &RouteTableAttrs,
    old: &Resolver<'_>,
    new: &Resolver<'_>,
) -> Result<(), AwsError> {
    let old_routes: BTreeMap<_, String> = before
        .routes
        .iter()
        .filter_map(|r| Some((r.destination, old.id(&r.target).ok()?)))
        .collect();
    let mut new_routes = BTreeMap::new();
    for r in &after.routes {
        new_routes.insert(r.destination, new.id(&r.target)?);
    }
    for (destination, target) in &new_routes {
        let existing = old_routes.get(destination);
        if existing == Some(target) {
            continue;
        }
        let nat = target.starts_with("nat-");
        let r = if existing.is_some() {
            let req = ec2
                .replace_route()
                .route_table_id(id)
                .destination_cidr_block(destination.to_string());
            let req = if nat {
                req.nat_gateway_id(target)
            } else {
                req.gateway_id(target)
            };
            req.send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(ERRORS, res, "ReplaceRoute", e))
        } else {
            let req = ec2
                .create_route()
                .route_table_id(id)
                .destination_cidr_block(destination.to_string());
            let req = if nat {
                req.nat_gateway_id(target)
            } else {
                req.gateway_id(target)
            };
            wait::through_not_found(|| {
                let req = req.clone();
                async move {
                    req.send()
                        .await
                        .map(|_| ())
                        .map_err(|e| AwsError::from_sdk(ERRORS, res, "CreateRoute", e))
                }
            })
            .await
        };
        done_if(r, &[Exists])?;
    }
    for destination in old_routes.keys().filter(|d| !new_routes.contains_key(d)) {
        let r = ec2
            .delete_route()
            .route_table_id(id)
            .destination_cidr_block(destination.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "DeleteRoute", e));
        done_if(r, &[Gone])?;
    }
    Ok(())
}

/// Subnet associations: new ones made, dropped ones found by their association id and undone.
async fn update_associations(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    before: &RouteTableAttrs,
    after: &RouteTableAttrs,
    old: &Resolver<'_>,
    new: &Resolver<'_>,
) -> Result<(), AwsError> {
    let old_subnets: BTreeSet<String> = before
        .subnets
        .iter()
        .filter_map(|s| old.id(s).ok())
        .collect();
    let mut new_subnets = BTreeSet::new();
    for s in &after.subnets {
        new_subnets.insert(new.id(s)?);
    }
    for subnet_id in new_subnets.difference(&old_subnets) {
        let r = wait::through_not_found(|| async {
            ec2.associate_route_table()
                .route_table_id(id)
                .subnet_id(subnet_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(ERRORS, res, "AssociateRouteTable", e))
        })
        .await;
        done_if(r, &[Exists])?;
    }
    let removed: BTreeSet<&String> = old_subnets.difference(&new_subnets).collect();
    if !removed.is_empty() {
        let table = ec2
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "DescribeRouteTables", e))?;
        for assoc in table.route_tables().iter().flat_map(|t| t.associations()) {
            if assoc
                .subnet_id()
                .is_some_and(|s| removed.contains(&s.to_owned()))
                && let Some(aid) = assoc.route_table_association_id()
            {
                let r = ec2
                    .disassociate_route_table()
                    .association_id(aid)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk(ERRORS, res, "DisassociateRouteTable", e));
                done_if(r, &[Gone])?;
            }
        }
    }
    Ok(())
}

/// A rule with its group reference turned into the physical group id.
fn resolved(rule: &Rule, ids: &Resolver<'_>) -> Result<Rule, AwsError> {
    let source = match &rule.source {
        RuleSource::Cidr(c) => RuleSource::Cidr(*c),
        RuleSource::Group(g) => RuleSource::Group(Ref::External(ids.id(g)?)),
    };
    Ok(Rule {
        source,
        ..rule.clone()
    })
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

/// The permissions to send, per direction: rules compared with group references resolved,
/// like routes.
struct RuleChanges {
    re_in: Vec<IpPermission>,
    re_out: Vec<IpPermission>,
    add_in: Vec<IpPermission>,
    add_out: Vec<IpPermission>,
    del_in: Vec<IpPermission>,
    del_out: Vec<IpPermission>,
}

fn rule_changes(
    before: &SecurityGroupAttrs,
    after: &SecurityGroupAttrs,
    old: &Resolver<'_>,
    new: &Resolver<'_>,
) -> Result<RuleChanges, AwsError> {
    // Rules naming a group that is already gone cannot be expressed; they went with it.
    let was = |set: &BTreeSet<Rule>| -> BTreeSet<Rule> {
        set.iter().filter_map(|r| resolved(r, old).ok()).collect()
    };
    let will = |set: &BTreeSet<Rule>| -> Result<BTreeSet<Rule>, AwsError> {
        set.iter().map(|r| resolved(r, new)).collect()
    };
    let (in_before, out_before) = (was(&before.ingress), was(&before.egress));
    let (in_after, out_after) = (will(&after.ingress)?, will(&after.egress)?);
    let none = Resolver {
        ids: &BTreeMap::new(),
    };
    let perms = |rules: Vec<&Rule>| -> Result<Vec<IpPermission>, AwsError> {
        rules.into_iter().map(|r| permission(r, &none)).collect()
    };
    // AWS identifies a permission by protocol, ports and source; the description is not part of
    // it. A rule whose only change is its description is updated in place: authorizing it again
    // would be a duplicate, and revoking the old one would remove the only copy.
    let key = |r: &Rule| (r.protocol, r.ports, r.source.clone());
    let redescribed = |before: &BTreeSet<Rule>, after: &BTreeSet<Rule>| -> Vec<Rule> {
        let old: BTreeSet<_> = before.difference(after).map(key).collect();
        after
            .difference(before)
            .filter(|r| old.contains(&key(r)))
            .cloned()
            .collect()
    };
    let (re_in, re_out) = (
        redescribed(&in_before, &in_after),
        redescribed(&out_before, &out_after),
    );
    let changed = |set: &BTreeSet<Rule>, other: &BTreeSet<Rule>, re: &[Rule]| -> Vec<Rule> {
        let re: BTreeSet<_> = re.iter().map(key).collect();
        set.difference(other)
            .filter(|r| !re.contains(&key(r)))
            .cloned()
            .collect()
    };
    let add_in = perms(changed(&in_after, &in_before, &re_in).iter().collect())?;
    let add_out = perms(changed(&out_after, &out_before, &re_out).iter().collect())?;
    let del_in = perms(changed(&in_before, &in_after, &re_in).iter().collect())?;
    let del_out = perms(changed(&out_before, &out_after, &re_out).iter().collect())?;
    Ok(RuleChanges {
        re_in: perms(re_in.iter().collect())?,
        re_out: perms(re_out.iter().collect())?,
        add_in,
        add_out,
        del_in,
        del_out,
    })
}

/// Authorize new rules before revoking old ones, so traffic that both allow never drops.
pub(super) async fn update_rules(
    ec2: &aws_sdk_ec2::Client,
    res: &str,
    id: &str,
    before: &SecurityGroupAttrs,
    after: &SecurityGroupAttrs,
    old: &Resolver<'_>,
    new: &Resolver<'_>,
) -> Result<(), AwsError> {
    let RuleChanges {
        re_in,
        re_out,
        add_in,
        add_out,
        del_in,
        del_out,
    } = rule_changes(before, after, old, new)?;
    // One call per permission and direction; the SDK has a builder per direction, same shape.
    // Adding to a group just created may meet eventual consistency; removing never waits.
    macro_rules! each {
        ($perms:expr, $call:ident, $op:literal, $done:expr, $retry_not_found:expr) => {
            for p in $perms {
                let send = || async {
                    ec2.$call()
                        .group_id(id)
                        .ip_permissions(p.clone())
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| AwsError::from_sdk(ERRORS, res, $op, e))
                };
                let r = if $retry_not_found {
                    wait::through_not_found(send).await
                } else {
                    send().await
                };
                done_if(r, $done)?;
            }
        };
    }
    let (dup, gone) = (&[Exists][..], &[Gone][..]);
    each!(
        re_in,
        update_security_group_rule_descriptions_ingress,
        "UpdateSecurityGroupRuleDescriptionsIngress",
        &[],
        true
    );
    each!(
        re_out,
        update_security_group_rule_descriptions_egress,
        "UpdateSecurityGroupRuleDescriptionsEgress",
        &[],
        true
    );
    each!(
        add_in,
        authorize_security_group_ingress,
        "AuthorizeSecurityGroupIngress",
        dup,
        true
    );
    each!(
        add_out,
        authorize_security_group_egress,
        "AuthorizeSecurityGroupEgress",
        dup,
        true
    );
    each!(
        del_in,
        revoke_security_group_ingress,
        "RevokeSecurityGroupIngress",
        gone,
        false
    );
    each!(
        del_out,
        revoke_security_group_egress,
        "RevokeSecurityGroupEgress",
        gone,
        false
    );
    Ok(())
}
