//! Reading the network: one tag-filtered Describe per resource type, all concurrently (Elastic
//! IPs after the NAT gateways, which may show them all: `tagging::carried_and_listed`), then normalised into
//! live-state attributes whose references are addresses.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, IpPermission, Tag, VpcAttributeName};
use ipnet::Ipv4Net;

use super::ec2::ERRORS;
use super::ids::Found;
pub use super::ids::{Claims, Ids, address_of, ours};
use super::tagging::TagIndex;
use super::{AwsError, unless_gone};
use crate::model::*;

/// The server-side half of ownership; `ours` checks the project tag too.
pub fn env_filter(env: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{TAG_ENV}"))
        .values(env)
        .build()
}

pub fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn cidr(s: Option<&str>) -> Ipv4Net {
    s.and_then(|s| s.parse::<Ipv4Net>().ok())
        .map(|n| n.trunc())
        .unwrap_or_default()
}

/// Raw results of the read pass, before ids become references.
pub struct Raw {
    vpcs: Vec<VpcRead>,
    subnets: Vec<aws_sdk_ec2::types::Subnet>,
    igws: Vec<aws_sdk_ec2::types::InternetGateway>,
    /// Elastic IPs (allocation id, tags): their attributes are empty.
    eips: Vec<(String, Tags)>,
    nats: Vec<aws_sdk_ec2::types::NatGateway>,
    tables: Vec<aws_sdk_ec2::types::RouteTable>,
    groups: Vec<aws_sdk_ec2::types::SecurityGroup>,
}

pub async fn read(
    ec2: &aws_sdk_ec2::Client,
    claims: &Claims,
    index: &TagIndex,
) -> Result<Raw, AwsError> {
    let what = format!("network of {}", claims.owner);
    let w = what.as_str();
    let inside = async {
        let vpc_id = |v: &VpcRead| v.0.vpc_id().map(str::to_owned);
        let found = with_recorded(claims, Kind::Vpc, "vpc-id", vpc_id, |f| vpcs(ec2, w, f));
        inside(ec2, w, claims, found.await?).await
    };
    let igw_id =
        |g: &aws_sdk_ec2::types::InternetGateway| g.internet_gateway_id().map(str::to_owned);
    let nat_id = |n: &aws_sdk_ec2::types::NatGateway| n.nat_gateway_id().map(str::to_owned);
    let gateways = async {
        let nats = with_recorded(claims, Kind::NatGateway, "nat-gateway-id", nat_id, |f| {
            nats(ec2, w, f)
        });
        let nats = nats.await?;
        let eips = addresses(ec2, w, claims, index, &nats).await?;
        Ok::<_, AwsError>((nats, eips))
    };
    let ((vpcs, inside), igws, (nats, eips)) = tokio::try_join!(
        inside,
        with_recorded(
            claims,
            Kind::InternetGateway,
            "internet-gateway-id",
            igw_id,
            |f| { igws(ec2, w, f) }
        ),
        gateways,
    )?;
    Ok(Raw {
        vpcs,
        subnets: inside.subnets,
        igws,
        eips,
        nats,
        tables: inside.tables,
        groups: inside.groups,
    })
}

/// A filter on physical ids (`vpc-id`, `allocation-id`, ...): unlike the id parameters, it
/// answers with what exists instead of failing on an id that is gone.
pub(super) fn id_filter(name: &str, ids: Vec<String>) -> Filter {
    Filter::builder().name(name).set_values(Some(ids)).build()
}

/// A tag-filtered listing, plus the ids state recorded for `kind` that it did not return: their
/// tags were lost or changed, so they are looked up by id (one more call, only then).
async fn with_recorded<T, Fut>(
    claims: &Claims,
    kind: Kind,
    id_name: &str,
    id_of: impl Fn(&T) -> Option<String>,
    list: impl Fn(Filter) -> Fut,
) -> Result<Vec<T>, AwsError>
where
    Fut: std::future::Future<Output = Result<Vec<T>, AwsError>>,
{
    let mut out = list(env_filter(&claims.owner.env)).await?;
    let seen: BTreeSet<String> = out.iter().filter_map(&id_of).collect();
    let lost: Vec<String> = claims
        .recorded_ids(kind)
        .into_iter()
        .filter(|id| !seen.contains(id))
        .collect();
    if !lost.is_empty() {
        out.extend(list(id_filter(id_name, lost)).await?);
    }
    Ok(out)
}

type VpcRead = (aws_sdk_ec2::types::Vpc, bool, bool);

/// The environment's VPCs with their DNS attributes.
async fn vpcs(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    filter: Filter,
) -> Result<Vec<VpcRead>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ec2.describe_vpcs().filters(filter).into_paginator().send();
    while let Some(p) = pages.next().await {
        out.extend(
            p.map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeVpcs", e))?
                .vpcs()
                .iter()
                .cloned(),
        );
    }
    // DNS attributes are only readable per VPC; an environment has one VPC.
    let mut with_dns = Vec::new();
    for v in out {
        let id = v.vpc_id().unwrap_or_default().to_owned();
        let attr = |name: VpcAttributeName| {
            let id = id.clone();
            async move {
                ec2.describe_vpc_attribute()
                    .vpc_id(&id)
                    .attribute(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(ERRORS, &id, "DescribeVpcAttribute", e))
            }
        };
        let dns = tokio::try_join!(
            attr(VpcAttributeName::EnableDnsHostnames),
            attr(VpcAttributeName::EnableDnsSupport)
        );
        // Deleted since DescribeVpcs: gone.
        let Some((h, s)) = unless_gone(dns)? else {
            continue;
        };
        let hostnames = h
            .enable_dns_hostnames()
            .and_then(|a| a.value())
            .unwrap_or(false);
        let support = s
            .enable_dns_support()
            .and_then(|a| a.value())
            .unwrap_or(true);
        with_dns.push((v, hostnames, support));
    }
    Ok(with_dns)
}

/// What lives inside the environment's VPCs.
#[derive(Default)]
struct Inside {
    subnets: Vec<aws_sdk_ec2::types::Subnet>,
    tables: Vec<aws_sdk_ec2::types::RouteTable>,
    groups: Vec<aws_sdk_ec2::types::SecurityGroup>,
}

/// What lives inside the VPC is read by VPC, not by tag: the same one call per type finds ours
/// and whatever was made there by hand, which drift reports as unmanaged.
async fn inside(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    claims: &Claims,
    mut vpcs: Vec<VpcRead>,
) -> Result<(Vec<VpcRead>, Inside), AwsError> {
    let ids: Vec<String> = vpcs
        .iter()
        .filter(|(v, _, _)| {
            claims.keeps(
                v.vpc_id().unwrap_or_default(),
                Kind::Vpc,
                &tags_of(v.tags()),
            )
        })
        .filter_map(|(v, _, _)| v.vpc_id().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        let found = in_scope(ec2, what, env_filter(&claims.owner.env)).await?;
        return Ok((vpcs, found));
    }
    match in_scope(ec2, what, vpc_filter(ids.clone())).await {
        Ok(found) => Ok((vpcs, found)),
        // A VPC deleted since DescribeVpcs (a destroy is running): read each VPC on its own;
        // one that is gone is gone with everything in it.
        Err(e) if e.is_not_found() => {
            let mut found = Inside::default();
            for id in ids {
                match unless_gone(in_scope(ec2, what, vpc_filter(vec![id.clone()])).await)? {
                    Some(one) => {
                        found.subnets.extend(one.subnets);
                        found.tables.extend(one.tables);
                        found.groups.extend(one.groups);
                    }
                    None => vpcs.retain(|(v, _, _)| v.vpc_id() != Some(id.as_str())),
                }
            }
            Ok((vpcs, found))
        }
        Err(e) => Err(e),
    }
}

fn vpc_filter(ids: Vec<String>) -> Filter {
    Filter::builder()
        .name("vpc-id")
        .set_values(Some(ids))
        .build()
}

async fn in_scope(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    scope: Filter,
) -> Result<Inside, AwsError> {
    let (subnets, tables, groups) = tokio::try_join!(
        subnets(ec2, what, scope.clone()),
        tables(ec2, what, scope.clone()),
        groups(ec2, what, scope)
    )?;
    Ok(Inside {
        subnets,
        tables,
        groups,
    })
}

async fn subnets(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::Subnet>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ec2
        .describe_subnets()
        .filters(filter)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        out.extend(
            p.map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeSubnets", e))?
                .subnets()
                .iter()
                .cloned(),
        );
    }
    Ok(out)
}

async fn tables(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::RouteTable>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ec2
        .describe_route_tables()
        .filters(filter)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        out.extend(
            p.map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeRouteTables", e))?
                .route_tables()
                .iter()
                .cloned(),
        );
    }
    Ok(out)
}

async fn groups(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::SecurityGroup>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ec2
        .describe_security_groups()
        .filters(filter)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        out.extend(
            p.map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeSecurityGroups", e))?
                .security_groups()
                .iter()
                .cloned(),
        );
    }
    Ok(out)
}

async fn igws(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::InternetGateway>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ec2
        .describe_internet_gateways()
        .filters(filter)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        out.extend(
            p.map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeInternetGateways", e))?
                .internet_gateways()
                .iter()
                .cloned(),
        );
    }
    Ok(out)
}

/// The environment's Elastic IPs: as the NAT gateways show them when they show every one the
/// read must find (`tagging::carried_and_listed`), else described as before.
async fn addresses(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    claims: &Claims,
    index: &TagIndex,
    nats: &[aws_sdk_ec2::types::NatGateway],
) -> Result<Vec<(String, Tags)>, AwsError> {
    if let Some(shown) = nat_addresses(claims, index, nats).await? {
        return Ok(shown);
    }
    let eip_id = |a: &aws_sdk_ec2::types::Address| a.allocation_id().map(str::to_owned);
    let found = with_recorded(claims, Kind::ElasticIp, "allocation-id", eip_id, |f| {
        eips(ec2, what, f)
    });
    Ok(found
        .await?
        .iter()
        .map(|a| (eip_id(a).unwrap_or_default(), tags_of(a.tags())))
        .collect())
}

/// The Elastic IPs the available NAT gateways hold (`NatGateway.NatGatewayAddresses`: each
/// address's `AllocationId` and `PublicIp`,
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGatewayAddress.html), with the
/// tags the pass's listing holds (`ec2:elastic-ip`), when they are every one the read must
/// find; `None` when `DescribeAddresses` must look. No NAT gateway holds none, and asks no
/// listing (an empty account, a paused environment).
async fn nat_addresses(
    claims: &Claims,
    index: &TagIndex,
    nats: &[aws_sdk_ec2::types::NatGateway],
) -> Result<Option<Vec<(String, Tags)>>, AwsError> {
    // An available gateway holds its address: AWS releases none while a gateway uses it.
    let held: BTreeSet<String> = nats
        .iter()
        .filter(|n| n.state() == Some(&aws_sdk_ec2::types::NatGatewayState::Available))
        .flat_map(|n| n.nat_gateway_addresses())
        .filter_map(|a| a.allocation_id().map(str::to_owned))
        .collect();
    // An address the spec wants and state does not record (an allocation whose answer was
    // lost, or a run stopped before its record) may be listed by nothing yet: look.
    if held.is_empty() || claims.wants_unrecorded(Kind::ElasticIp) {
        return Ok(None);
    }
    let listed: BTreeMap<String, Tags> = index
        .of_type("ec2", "elastic-ip/")
        .await?
        .into_iter()
        .map(|l| (l.id, l.tags))
        .collect();
    let mut known: BTreeSet<String> = claims.recorded_ids(Kind::ElasticIp).into_iter().collect();
    known.extend(listed.keys().cloned());
    // Every address a gateway holds must be one the read knows, too: otherwise the gateway's
    // `elastic_ip` would name an id the read did not return.
    if !held.is_subset(&known) || !super::tagging::carried_and_listed(&known, &held, &listed) {
        return Ok(None);
    }
    Ok(Some(
        known
            .into_iter()
            .filter_map(|id| Some((id.clone(), listed.get(&id)?.clone())))
            .collect(),
    ))
}

async fn eips(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::Address>, AwsError> {
    let out = ec2
        .describe_addresses()
        .filters(filter)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeAddresses", e))?;
    Ok(out.addresses().to_vec())
}

async fn nats(
    ec2: &aws_sdk_ec2::Client,
    what: &str,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::NatGateway>, AwsError> {
    let mut out = Vec::new();
    // Deleted gateways stay visible for a while; they are gone for our purposes.
    let states = Filter::builder()
        .name("state")
        .values("pending")
        .values("available")
        .values("failed")
        .build();
    let mut pages = ec2
        .describe_nat_gateways()
        .filter(filter)
        .filter(states)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        out.extend(
            p.map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeNatGateways", e))?
                .nat_gateways()
                .iter()
                .cloned(),
        );
    }
    Ok(out)
}

impl Raw {
    /// (physical id, tags) of everything read, for the id map.
    pub fn tagged(&self) -> Vec<(String, Tags)> {
        let id = |s: Option<&str>| s.unwrap_or_default().to_owned();
        let mut out: Vec<(String, Tags)> = Vec::new();
        out.extend(
            self.vpcs
                .iter()
                .map(|(v, _, _)| (id(v.vpc_id()), tags_of(v.tags()))),
        );
        out.extend(
            self.subnets
                .iter()
                .map(|s| (id(s.subnet_id()), tags_of(s.tags()))),
        );
        out.extend(
            self.igws
                .iter()
                .map(|g| (id(g.internet_gateway_id()), tags_of(g.tags()))),
        );
        out.extend(self.eips.iter().cloned());
        out.extend(
            self.nats
                .iter()
                .map(|n| (id(n.nat_gateway_id()), tags_of(n.tags()))),
        );
        out.extend(
            self.tables
                .iter()
                .map(|t| (id(t.route_table_id()), tags_of(t.tags()))),
        );
        out.extend(
            self.groups
                .iter()
                .map(|g| (id(g.group_id()), tags_of(g.tags()))),
        );
        out
    }

    /// Subnets, route tables and security groups in the environment's VPC without its tags.
    /// AWS's own defaults (the `default` group, the main route table) and the groups Beanstalk
    /// makes for an environment are not counted.
    pub fn unmanaged(&self, claims: &Claims) -> Vec<Unmanaged> {
        let name = |tags: &Tags| tags.get("Name").cloned();
        let mut out = Vec::new();
        for s in &self.subnets {
            let tags = tags_of(s.tags());
            if !claims.keeps(s.subnet_id().unwrap_or_default(), Kind::Subnet, &tags) {
                out.push(Unmanaged {
                    kind: Kind::Subnet,
                    id: s.subnet_id().unwrap_or_default().into(),
                    name: name(&tags),
                });
            }
        }
        for t in &self.tables {
            let tags = tags_of(t.tags());
            let main = t.associations().iter().any(|a| a.main().unwrap_or(false));
            let id = t.route_table_id().unwrap_or_default();
            if !claims.keeps(id, Kind::RouteTable, &tags) && !main {
                out.push(Unmanaged {
                    kind: Kind::RouteTable,
                    id: t.route_table_id().unwrap_or_default().into(),
                    name: name(&tags),
                });
            }
        }
        for g in &self.groups {
            let tags = tags_of(g.tags());
            let id = g.group_id().unwrap_or_default();
            if !claims.keeps(id, Kind::SecurityGroup, &tags) && !aws_made(g.group_name()) {
                out.push(Unmanaged {
                    kind: Kind::SecurityGroup,
                    id: g.group_id().unwrap_or_default().into(),
                    name: g.group_name().map(str::to_owned),
                });
            }
        }
        out.sort();
        out
    }

    pub fn normalise(self, claims: &Claims, ids: &Ids) -> Found {
        let mut resources = Found::default();
        let mut put = |id: Option<&str>, tags: Tags, attrs: Attrs| {
            let id = id.unwrap_or_default();
            if let Some(address) = claims.address(id, attrs.kind(), &tags) {
                resources.insert(
                    address,
                    LiveResource {
                        id: id.to_owned(),
                        attrs,
                        tags,
                        pending: BTreeMap::new(),
                    },
                );
            }
        };
        for (v, hostnames, support) in &self.vpcs {
            let attrs = Attrs::Vpc(VpcAttrs {
                cidr: cidr(v.cidr_block()),
                dns_hostnames: *hostnames,
                dns_support: *support,
            });
            put(v.vpc_id(), tags_of(v.tags()), attrs);
        }
        for s in &self.subnets {
            put(s.subnet_id(), tags_of(s.tags()), subnet_attrs(s, ids));
        }
        for g in &self.igws {
            let vpc = g.attachments().iter().find_map(|a| a.vpc_id());
            let attrs = Attrs::InternetGateway(InternetGatewayAttrs {
                vpc: ids.to_ref(vpc.unwrap_or_default()),
            });
            put(g.internet_gateway_id(), tags_of(g.tags()), attrs);
        }
        for (id, tags) in &self.eips {
            put(Some(id), tags.clone(), Attrs::ElasticIp(ElasticIpAttrs {}));
        }
        for n in &self.nats {
            put(n.nat_gateway_id(), tags_of(n.tags()), nat_attrs(n, ids));
        }
        for t in &self.tables {
            put(
                t.route_table_id(),
                tags_of(t.tags()),
                route_table_attrs(t, ids),
            );
        }
        for g in &self.groups {
            put(g.group_id(), tags_of(g.tags()), group_attrs(g, ids));
        }
        resources
    }
}

fn subnet_attrs(s: &aws_sdk_ec2::types::Subnet, ids: &Ids) -> Attrs {
    Attrs::Subnet(SubnetAttrs {
        vpc: ids.to_ref(s.vpc_id().unwrap_or_default()),
        cidr: cidr(s.cidr_block()),
        availability_zone: s.availability_zone().unwrap_or_default().to_owned(),
        public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
    })
}

fn nat_attrs(n: &aws_sdk_ec2::types::NatGateway, ids: &Ids) -> Attrs {
    let eip = n
        .nat_gateway_addresses()
        .iter()
        .find_map(|a| a.allocation_id())
        .unwrap_or_default();
    Attrs::NatGateway(NatGatewayAttrs {
        subnet: ids.to_ref(n.subnet_id().unwrap_or_default()),
        elastic_ip: ids.to_ref(eip),
    })
}

fn route_table_attrs(t: &aws_sdk_ec2::types::RouteTable, ids: &Ids) -> Attrs {
    let routes = t
        .routes()
        .iter()
        .filter(|r| r.gateway_id() != Some("local"))
        .filter_map(|r| {
            let target = r.nat_gateway_id().or(r.gateway_id())?;
            Some(Route {
                destination: cidr(r.destination_cidr_block()),
                target: ids.to_ref(target),
            })
        })
        .collect();
    let subnets = t
        .associations()
        .iter()
        .filter(|a| !a.main().unwrap_or(false))
        .filter_map(|a| a.subnet_id())
        .map(|s| ids.to_ref(s))
        .collect();
    Attrs::RouteTable(RouteTableAttrs {
        vpc: ids.to_ref(t.vpc_id().unwrap_or_default()),
        routes,
        subnets,
    })
}

/// Groups AWS makes and keeps itself: the VPC's `default`, and Elastic Beanstalk's
/// `awseb-<env id>-stack-AWSEB…SecurityGroup-…` (the Terraform provider drops the same prefix
/// from an environment's settings). Environments provision creates opt out of the latter;
/// older ones, or an ALB without a group in the spec, still have them.
fn aws_made(group_name: Option<&str>) -> bool {
    group_name.is_some_and(|n| n == "default" || n.starts_with("awseb"))
}

fn group_attrs(g: &aws_sdk_ec2::types::SecurityGroup, ids: &Ids) -> Attrs {
    Attrs::SecurityGroup(SecurityGroupAttrs {
        vpc: ids.to_ref(g.vpc_id().unwrap_or_default()),
        name: g.group_name().unwrap_or_default().to_owned(),
        description: g.description().unwrap_or_default().to_owned(),
        ingress: rules(g.ip_permissions(), ids),
        egress: rules(g.ip_permissions_egress(), ids),
    })
}

/// AWS groups permissions by protocol and ports; provision compares one rule per source.
pub fn rules(perms: &[IpPermission], ids: &Ids) -> BTreeSet<Rule> {
    let mut out = BTreeSet::new();
    for p in perms {
        let protocol = match p.ip_protocol().unwrap_or("-1") {
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            _ => Protocol::All,
        };
        let ports = match (protocol, p.from_port(), p.to_port()) {
            (Protocol::All, _, _) => None,
            (_, Some(from), Some(to)) if from >= 0 && to >= 0 => Some(PortRange {
                from: from as u16,
                to: to as u16,
            }),
            _ => None,
        };
        let description = |d: Option<&str>| d.filter(|d| !d.is_empty()).map(str::to_owned);
        for r in p.ip_ranges() {
            out.insert(Rule {
                protocol,
                ports,
                source: RuleSource::Cidr(cidr(r.cidr_ip())),
                description: description(r.description()),
            });
        }
        for g in p.user_id_group_pairs() {
            out.insert(Rule {
                protocol,
                ports,
                source: RuleSource::Group(ids.to_ref(g.group_id().unwrap_or_default())),
                description: description(g.description()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::tagging::carried_and_listed;

    #[test]
    fn elastic_ips_are_described_unless_the_nat_gateways_hold_every_known_one() {
        let set =
            |ids: &[&str]| -> BTreeSet<String> { ids.iter().map(|i| (*i).to_owned()).collect() };
        let listed = |ids: &[&str]| -> BTreeMap<String, Tags> {
            ids.iter().map(|i| ((*i).to_owned(), Tags::new())).collect()
        };
        let (a, b) = ("eipalloc-a", "eipalloc-b");
        // Converged: each gateway holds its address, whose tags are listed.
        assert!(carried_and_listed(
            &set(&[a, b]),
            &set(&[a, b]),
            &listed(&[a, b])
        ));
        // Paused (the address kept, its gateway gone), or a gateway not made yet: described.
        assert!(!carried_and_listed(
            &set(&[a, b]),
            &set(&[a]),
            &listed(&[a, b])
        ));
        // Tags lost or not listed yet: described.
        assert!(!carried_and_listed(&set(&[a]), &set(&[a]), &listed(&[])));
        // A leaked address the listing holds beside the held one: described.
        assert!(!carried_and_listed(
            &set(&[a, b]),
            &set(&[a]),
            &listed(&[a, b])
        ));
        // Nothing known: described.
        assert!(!carried_and_listed(&set(&[]), &set(&[a]), &listed(&[a])));
    }

    #[test]
    fn beanstalk_and_default_groups_are_aws_made() {
        assert!(aws_made(Some("default")));
        assert!(aws_made(Some(
            "awseb-e-abc123-stack-AWSEBSecurityGroup-1A2B3C4D5E6F"
        )));
        assert!(!aws_made(Some("agentpass-staging-console-app")));
        assert!(!aws_made(None));
    }
}
