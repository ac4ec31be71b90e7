//! The network topic: the VPC, its subnets, the internet gateway, the NAT gateway with its
//! Elastic IP, and the public and private route tables.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::spec::desired::{Builder, addr, named};
use crate::spec::diag::Diagnostic;
use crate::spec::layer::S;
use crate::spec::resolve::{At, Pair};
use crate::spec::validate::{Cx, unknown};

/// Well-known names inside the generated graph.
pub const PUBLIC_ROUTES: &str = "public";
pub const PRIVATE_ROUTES: &str = "private";

// ---- TOML layer ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkLayer {
    pub vpc_cidr: Option<S<String>>,
    pub dns_hostnames: Option<S<bool>>,
    pub dns_support: Option<S<bool>>,
    pub nat_subnet: Option<S<String>>,
    #[serde(default)]
    pub subnets: BTreeMap<String, S<SubnetLayer>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetLayer {
    pub tier: Option<S<SubnetTier>>,
    pub availability_zone: Option<S<String>>,
    pub cidr: Option<S<String>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubnetTier {
    Public,
    #[default]
    Private,
}

// ---- validated spec --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct NetworkSpec {
    pub vpc_cidr: Ipv4Net,
    pub dns_hostnames: bool,
    pub dns_support: bool,
    pub nat_subnet: String,
    pub subnets: BTreeMap<String, SubnetSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubnetSpec {
    pub tier: SubnetTier,
    pub availability_zone: String,
    pub cidr: Ipv4Net,
}

// ---- lowering --------------------------------------------------------------------------------

/// `zones` are the project's availability zones, which every subnet must be in.
pub(in crate::spec) fn lower(
    cx: &mut Cx,
    net: &Pair<'_, NetworkLayer>,
    zones: &BTreeSet<String>,
) -> NetworkSpec {
    let vpc_at = net.req(&mut cx.d, "vpc_cidr", |n| n.vpc_cidr.as_ref());
    cx.remember(&vpc_at);
    let vpc_cidr = cx.cidr(&vpc_at, 16, 28);
    let (dns_hostnames, dns_support) = lower_dns(cx, net);
    let subnets = lower_subnets(cx, net, zones, &vpc_at, vpc_cidr);
    check_tiers_span_zones(cx, net, &subnets);
    let nat = net.req(&mut cx.d, "nat_subnet", |n| n.nat_subnet.as_ref());
    match subnets.get(&nat.value) {
        Some(s) if s.tier == SubnetTier::Public => {}
        Some(_) => cx.d.push(nat.diag(format!(
            "`{}` is a private subnet; a NAT gateway needs a public one",
            nat.value
        ))),
        None => {
            cx.d.push(nat.diag(unknown("subnet", &nat.value, subnets.keys())))
        }
    }
    NetworkSpec {
        vpc_cidr,
        dns_hostnames,
        dns_support,
        nat_subnet: nat.value,
        subnets,
    }
}

/// Both default to on; hostnames without DNS support is an error.
fn lower_dns(cx: &mut Cx, net: &Pair<'_, NetworkLayer>) -> (bool, bool) {
    let dns_hostnames = net
        .opt("dns_hostnames", |n| n.dns_hostnames.as_ref())
        .is_none_or(|v| v.value);
    let dns_support = net
        .opt("dns_support", |n| n.dns_support.as_ref())
        .is_none_or(|v| v.value);
    if dns_hostnames && !dns_support {
        let at = net
            .opt("dns_support", |n| n.dns_support.as_ref())
            .expect("set to false");
        cx.d.push(at.diag("DNS hostnames need DNS support: set dns_support = true"));
    }
    (dns_hostnames, dns_support)
}

fn lower_subnets(
    cx: &mut Cx,
    net: &Pair<'_, NetworkLayer>,
    zones: &BTreeSet<String>,
    vpc_at: &At<String>,
    vpc_cidr: Ipv4Net,
) -> BTreeMap<String, SubnetSpec> {
    let mut subnets = BTreeMap::new();
    let mut placed: Vec<(Ipv4Net, At<String>)> = Vec::new();
    for (name, pair) in net.entries("subnets", |n| &n.subnets) {
        let (subnet, cidr_at) = lower_subnet(cx, &name, &pair, zones);
        // An unparsable CIDR was reported already; placing its fallback would only add noise.
        if cidr_at.value.parse::<Ipv4Net>().is_ok() {
            check_placement(cx, &cidr_at, subnet.cidr, (vpc_at, vpc_cidr), &placed);
            placed.push((subnet.cidr, cidr_at));
        }
        subnets.insert(name, subnet);
    }
    subnets
}

/// One subnet, and where its CIDR was written.
fn lower_subnet(
    cx: &mut Cx,
    name: &str,
    pair: &Pair<'_, SubnetLayer>,
    zones: &BTreeSet<String>,
) -> (SubnetSpec, At<String>) {
    let name_at = At {
        value: name.to_owned(),
        origin: pair.table_origin(),
        field: pair.path.clone(),
    };
    cx.check_name(&name_at, 1, 32);
    let tier = pair.req(&mut cx.d, "tier", |s| s.tier.as_ref()).value;
    let az = pair.req(&mut cx.d, "availability_zone", |s| {
        s.availability_zone.as_ref()
    });
    if !zones.contains(&az.value) {
        let valid: Vec<&str> = zones.iter().map(String::as_str).collect();
        cx.d.push(az.diag(format!(
            "`{}` is not in project.availability_zones ({})",
            az.value,
            valid.join(", ")
        )));
    }
    let cidr_at = pair.req(&mut cx.d, "cidr", |s| s.cidr.as_ref());
    cx.remember(&cidr_at);
    let cidr = cx.cidr(&cidr_at, 16, 28);
    let subnet = SubnetSpec {
        tier,
        availability_zone: az.value,
        cidr,
    };
    (subnet, cidr_at)
}

/// A subnet lies inside the VPC and overlaps no subnet placed before it.
fn check_placement(
    cx: &mut Cx,
    cidr_at: &At<String>,
    cidr: Ipv4Net,
    (vpc_at, vpc_cidr): (&At<String>, Ipv4Net),
    placed: &[(Ipv4Net, At<String>)],
) {
    if !vpc_cidr.contains(&cidr) {
        cx.d.push(
            cidr_at
                .diag(format!("{cidr} is outside the VPC {vpc_cidr}"))
                .with_related(vpc_at.origin.clone(), format!("the VPC is {vpc_cidr}")),
        );
    }
    for (other, other_at) in placed {
        if overlaps(other, &cidr) {
            cx.d.push(
                cidr_at
                    .diag(format!("{cidr} overlaps {} ({other})", other_at.field))
                    .with_related(other_at.origin.clone(), format!("{other} is here")),
            );
        }
    }
}

fn check_tiers_span_zones(
    cx: &mut Cx,
    net: &Pair<'_, NetworkLayer>,
    subnets: &BTreeMap<String, SubnetSpec>,
) {
    for tier in [SubnetTier::Public, SubnetTier::Private] {
        let azs: BTreeSet<&str> = subnets
            .values()
            .filter(|s| s.tier == tier)
            .map(|s| s.availability_zone.as_str())
            .collect();
        if azs.len() < 2 {
            cx.d.push(Diagnostic::new(
                net.table_origin(),
                format!("{}.subnets", net.path),
                format!(
                    "{tier:?} subnets must span at least 2 availability zones (found {})",
                    azs.len()
                )
                .to_lowercase(),
            ));
        }
    }
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(b) || b.contains(a)
}

/// A list of subnet names another topic refers to; unknown names are reported.
pub(in crate::spec) fn subnet_refs(
    cx: &mut Cx,
    pair: &Pair<'_, impl Sized>,
    list: &At<Vec<S<String>>>,
    network: &NetworkSpec,
) -> Vec<String> {
    let items = pair.list(list);
    for s in &items {
        if !network.subnets.contains_key(&s.value) {
            cx.d.push(s.diag(unknown("subnet", &s.value, network.subnets.keys())));
        }
    }
    items.into_iter().map(|s| s.value).collect()
}

/// The availability zones the named subnets are in.
pub(in crate::spec) fn zones_of(network: &NetworkSpec, subnets: &[String]) -> BTreeSet<String> {
    subnets
        .iter()
        .filter_map(|s| network.subnets.get(s))
        .map(|s| s.availability_zone.clone())
        .collect()
}

// ---- desired state ---------------------------------------------------------------------------

pub(in crate::spec) fn desire(b: &mut Builder<'_>, net: &NetworkSpec) {
    let s = Stack::Shared;
    b.add(
        addr(s, Kind::Vpc),
        Attrs::Vpc(VpcAttrs {
            cidr: net.vpc_cidr,
            dns_hostnames: net.dns_hostnames,
            dns_support: net.dns_support,
        }),
    );
    for (name, sn) in &net.subnets {
        b.add(
            Address::named(s, Kind::Subnet, name),
            Attrs::Subnet(SubnetAttrs {
                vpc: vpc(),
                cidr: sn.cidr,
                availability_zone: sn.availability_zone.clone(),
                public_ip_on_launch: sn.tier == SubnetTier::Public,
            }),
        );
    }
    let igw = addr(s, Kind::InternetGateway);
    b.add(
        igw.clone(),
        Attrs::InternetGateway(InternetGatewayAttrs { vpc: vpc() }),
    );

    let eip = format!("nat-{}", net.nat_subnet);
    b.add(
        Address::named(s, Kind::ElasticIp, &eip),
        Attrs::ElasticIp(ElasticIpAttrs {}),
    );
    let nat = nat_gateway(net);
    b.add(
        nat.clone(),
        Attrs::NatGateway(NatGatewayAttrs {
            subnet: subnet(&net.nat_subnet),
            elastic_ip: named(s, Kind::ElasticIp, &eip),
        }),
    )
    // A public NAT gateway only works once the VPC has an attached internet gateway.
    .extra_deps
    .insert(igw.clone());

    let default_route = "0.0.0.0/0".parse().expect("valid CIDR");
    for (table, tier, target) in [
        (PUBLIC_ROUTES, SubnetTier::Public, Ref::Managed(igw)),
        (PRIVATE_ROUTES, SubnetTier::Private, Ref::Managed(nat)),
    ] {
        let subnets = net
            .subnets
            .iter()
            .filter(|(_, sn)| sn.tier == tier)
            .map(|(n, _)| subnet(n))
            .collect();
        b.add(
            Address::named(s, Kind::RouteTable, table),
            Attrs::RouteTable(RouteTableAttrs {
                vpc: vpc(),
                routes: [Route {
                    destination: default_route,
                    target,
                }]
                .into(),
                subnets,
            }),
        );
    }
}
/// A reference to the shared subnet `name`.
pub(crate) fn subnet(name: &str) -> Ref {
    named(Stack::Shared, Kind::Subnet, name)
}

/// A reference to the environment's VPC.
pub(crate) fn vpc() -> Ref {
    Ref::Managed(addr(Stack::Shared, Kind::Vpc))
}

/// The environment's NAT gateway, named by its subnet.
pub(crate) fn nat_gateway(net: &NetworkSpec) -> Address {
    Address::named(Stack::Shared, Kind::NatGateway, &net.nat_subnet)
}
