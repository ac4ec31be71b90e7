//! Validation and typing of one merged environment. Every check appends a diagnostic and goes
//! on, so one run reports every problem.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;

use super::diag::{Diagnostic, Origin};
use super::layer::*;
use super::resolve::{At, Files, MISSING, Pair};
use super::types::*;
use crate::model::{
    EndpointType, IntegrationType, MasterPassword, PortRange, Protocol, StorageType,
};

pub fn lower(
    env: &str,
    base: &S<Layer>,
    over: &S<Layer>,
    files: &Files,
) -> Result<EnvSpec, Vec<Diagnostic>> {
    let mut cx = Cx {
        d: Vec::new(),
        env: env.to_owned(),
        project: String::new(),
        origins: BTreeMap::new(),
    };
    let root = Pair::root(base, over, files);

    let project = root.sub("project", |l| l.project.as_ref());
    let name = project.req(&mut cx.d, "name", |p| p.name.as_ref());
    cx.check_name(&name, 1, 32);
    cx.project = name.value.clone();
    let region = project.req(&mut cx.d, "region", |p| p.region.as_ref());
    cx.check_region(&region);
    let zones_at = project.req(&mut cx.d, "availability_zones", |p| {
        p.availability_zones.as_ref()
    });
    let zones = project.list(&zones_at);
    let mut seen_zones = BTreeSet::new();
    for z in &zones {
        if !z.value.starts_with(&region.value) || z.value.len() != region.value.len() + 1 {
            cx.d.push(z.diag(format!(
                "`{}` is not an availability zone of {} (expected e.g. {}a)",
                z.value, region.value, region.value
            )));
        }
        if !seen_zones.insert(z.value.clone()) {
            cx.d.push(z.diag(format!("`{}` is listed twice", z.value)));
        }
    }
    if seen_zones.len() < 2 {
        cx.d.push(zones_at.diag(
            "needs at least 2 availability zones (RDS subnet groups and load balancers span two)",
        ));
    }

    let state = root.sub("state", |l| l.state.as_ref());
    let bucket = state.req(&mut cx.d, "bucket", |s| s.bucket.as_ref());
    cx.check_bucket(&bucket);
    let state_region = state.opt("region", |s| s.region.as_ref());
    if let Some(r) = &state_region {
        cx.check_region(r);
    }

    let tags = root.values("tags", |l| Some(&l.tags));
    for (k, v) in &tags {
        cx.check_tag(k, v);
    }

    let network = lower_network(&mut cx, &root, &seen_zones);
    let security_groups = lower_security_groups(&mut cx, &root);
    let api = lower_api(&mut cx, &root);
    let backend_pair = root.sub("backend", |l| l.backend.as_ref());
    let console_pair = root.sub("console", |l| l.console.as_ref());
    let refs = Refs {
        network: &network,
        groups: &security_groups,
    };
    let backend = lower_beanstalk(
        &mut cx,
        &backend_pair.sub("beanstalk", |b| b.beanstalk.as_ref()),
        &refs,
    );
    let console = lower_beanstalk(
        &mut cx,
        &console_pair.sub("beanstalk", |b| b.beanstalk.as_ref()),
        &refs,
    );
    let database = lower_database(
        &mut cx,
        &backend_pair.sub("database", |b| b.database.as_ref()),
        &refs,
    );

    let mut ignore = BTreeMap::new();
    for (address, at) in root.values("ignore", |l| Some(&l.ignore)) {
        if address.parse::<crate::model::Address>().is_err() {
            cx.d.push(at.diag(format!(
                "`{address}` is not a resource address (e.g. backend.beanstalk, shared.security_group.rds)"
            )));
        }
        let fields: Vec<String> = at.value.iter().map(|f| f.get_ref().clone()).collect();
        if fields
            .iter()
            .any(|f| f.is_empty() || f.starts_with("tags.provision:"))
        {
            cx.d.push(
                at.diag("field paths must be non-empty, and ownership tags cannot be ignored"),
            );
        }
        cx.remember(&at);
        ignore.insert(address, fields);
    }

    if !cx.d.is_empty() {
        // A missing value was replaced by a default so that validation could go on; checks
        // of that default (`` is not an engine version) only repeat the problem, wrongly.
        let missing: BTreeSet<String> =
            cx.d.iter()
                .filter(|d| d.message.starts_with(MISSING))
                .map(|d| d.field.clone())
                .collect();
        cx.d.retain(|d| d.message.starts_with(MISSING) || !missing.contains(&d.field));
        return Err(cx.d);
    }
    Ok(EnvSpec {
        ignore,
        env: env.to_owned(),
        project: name.value,
        state: StateSpec {
            bucket: bucket.value,
            region: state_region.map_or_else(|| region.value.clone(), |r| r.value),
        },
        region: region.value,
        availability_zones: zones.into_iter().map(|z| z.value).collect(),
        tags: tags.into_iter().map(|(k, v)| (k, v.value)).collect(),
        network,
        security_groups,
        api,
        backend,
        database,
        console,
        origins: cx.origins,
    })
}

struct Cx {
    d: Vec<Diagnostic>,
    env: String,
    project: String,
    origins: BTreeMap<String, Origin>,
}

struct Refs<'a> {
    network: &'a NetworkSpec,
    groups: &'a BTreeMap<String, SecurityGroupSpec>,
}

impl Cx {
    fn remember<T>(&mut self, at: &At<T>) {
        self.origins.insert(at.field.clone(), at.origin.clone());
    }

    /// Expands `{project}` and `{env}` in a name.
    fn template(&mut self, at: &At<String>) -> String {
        let out = at
            .value
            .replace("{project}", &self.project)
            .replace("{env}", &self.env);
        if let Some(start) = out.find('{') {
            let end = out[start..].find('}').map_or(out.len(), |e| start + e + 1);
            self.d.push(at.diag(format!(
                "unknown placeholder `{}` (valid: {{project}}, {{env}})",
                &out[start..end]
            )));
        }
        out
    }

    fn check_name(&mut self, at: &At<String>, min: usize, max: usize) {
        let v = &at.value;
        let ok = v.len() >= min
            && v.len() <= max
            && v.starts_with(|c: char| c.is_ascii_lowercase())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            self.d.push(at.diag(format!(
                "`{v}` is not a valid name: {min}-{max} characters, lowercase letters, digits and '-', starting with a letter"
            )));
        }
    }

    fn check_region(&mut self, at: &At<String>) {
        let parts: Vec<&str> = at.value.split('-').collect();
        let ok = parts.len() == 3
            && parts[0].len() == 2
            && parts.iter().all(|p| !p.is_empty())
            && parts[2].chars().all(|c| c.is_ascii_digit())
            && parts[..2]
                .iter()
                .all(|p| p.chars().all(|c| c.is_ascii_lowercase()));
        if !ok {
            self.d.push(at.diag(format!(
                "`{}` is not an AWS region (e.g. us-east-2)",
                at.value
            )));
        }
    }

    fn check_bucket(&mut self, at: &At<String>) {
        let v = &at.value;
        let ok = (3..=63).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            self.d.push(at.diag(format!(
                "`{v}` is not a valid S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'"
            )));
        }
    }

    fn check_tag(&mut self, key: &str, v: &At<String>) {
        if key.is_empty() || key.len() > 128 {
            self.d.push(v.diag("tag keys are 1-128 characters"));
        }
        if key.starts_with("aws:") || key.starts_with("provision:") {
            self.d.push(v.diag(format!(
                "tag key `{key}` is reserved (`aws:` belongs to AWS, `provision:` to ownership tags)"
            )));
        }
        if v.value.len() > 256 {
            self.d.push(v.diag("tag values are at most 256 characters"));
        }
    }

    fn cidr(&mut self, at: &At<String>, min_prefix: u8, max_prefix: u8) -> Ipv4Net {
        let fallback = Ipv4Net::default();
        let Ok(net) = at.value.parse::<Ipv4Net>() else {
            self.d.push(at.diag(format!(
                "`{}` is not an IPv4 CIDR block (expected e.g. 10.2.0.0/16)",
                at.value
            )));
            return fallback;
        };
        if net.trunc() != net {
            self.d.push(at.diag(format!(
                "`{}` has host bits set; the network is {}",
                at.value,
                net.trunc()
            )));
        }
        if !(min_prefix..=max_prefix).contains(&net.prefix_len()) {
            self.d.push(at.diag(format!(
                "prefix /{} is outside what AWS allows here (/{min_prefix} to /{max_prefix})",
                net.prefix_len()
            )));
        }
        net.trunc()
    }

    fn int(&mut self, at: &At<i64>, lo: i64, hi: i64, what: &str) -> u32 {
        if !(lo..=hi).contains(&at.value) {
            self.d
                .push(at.diag(format!("{} is outside {lo}..={hi} {what}", at.value)));
            return lo.max(0) as u32;
        }
        at.value as u32
    }

    fn choice<T: Copy>(&mut self, at: &At<String>, options: &[(&str, T)]) -> Option<T> {
        let found = options
            .iter()
            .find(|(n, _)| *n == at.value)
            .map(|(_, v)| *v);
        if found.is_none() {
            let valid: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            self.d.push(at.diag(format!(
                "`{}` is not one of: {}",
                at.value,
                valid.join(", ")
            )));
        }
        found
    }

    fn non_empty(&mut self, at: &At<String>) {
        if at.value.trim().is_empty() {
            self.d.push(at.diag("must not be empty"));
        }
    }
}

fn lower_network(cx: &mut Cx, root: &Pair<'_, Layer>, zones: &BTreeSet<String>) -> NetworkSpec {
    let net = root.sub("network", |l| l.network.as_ref());
    let vpc_at = net.req(&mut cx.d, "vpc_cidr", |n| n.vpc_cidr.as_ref());
    cx.remember(&vpc_at);
    let vpc_cidr = cx.cidr(&vpc_at, 16, 28);
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

    let mut subnets = BTreeMap::new();
    let mut placed: Vec<(Ipv4Net, At<String>)> = Vec::new();
    for (name, pair) in net.entries("subnets", |n| &n.subnets) {
        let name_at = At {
            value: name.clone(),
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
        if cidr_at.value.parse::<Ipv4Net>().is_ok() {
            if !vpc_cidr.contains(&cidr) {
                cx.d.push(
                    cidr_at
                        .diag(format!("{cidr} is outside the VPC {vpc_cidr}"))
                        .with_related(vpc_at.origin.clone(), format!("the VPC is {vpc_cidr}")),
                );
            }
            for (other, other_at) in &placed {
                if overlaps(other, &cidr) {
                    cx.d.push(
                        cidr_at
                            .diag(format!("{cidr} overlaps {} ({other})", other_at.field))
                            .with_related(other_at.origin.clone(), format!("{other} is here")),
                    );
                }
            }
            placed.push((cidr, cidr_at.clone()));
        }
        subnets.insert(
            name,
            SubnetSpec {
                tier,
                availability_zone: az.value,
                cidr,
            },
        );
    }
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

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(b) || b.contains(a)
}

fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a String>) -> String {
    let known: Vec<&str> = known.map(String::as_str).collect();
    format!(
        "unknown {what} `{name}` (defined: {})",
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    )
}

fn lower_security_groups(
    cx: &mut Cx,
    root: &Pair<'_, Layer>,
) -> BTreeMap<String, SecurityGroupSpec> {
    let pairs = root.entries("security_groups", |l| &l.security_groups);
    let names: BTreeSet<String> = pairs.keys().cloned().collect();
    let mut out = BTreeMap::new();
    for (name, pair) in &pairs {
        let name_at = At {
            value: name.clone(),
            origin: pair.table_origin(),
            field: pair.path.clone(),
        };
        cx.check_name(&name_at, 1, 64);
        let description = pair.req(&mut cx.d, "description", |g| g.description.as_ref());
        cx.non_empty(&description);
        if description.value.len() > 255 {
            cx.d.push(description.diag("security group descriptions are at most 255 characters"));
        }
        let ingress = pair
            .opt("ingress", |g| g.ingress.as_ref())
            .map(|at| lower_rules(cx, pair, &at, &names))
            .unwrap_or_default();
        let egress = pair
            .opt("egress", |g| g.egress.as_ref())
            .map(|at| lower_rules(cx, pair, &at, &names));
        out.insert(
            name.clone(),
            SecurityGroupSpec {
                description: description.value,
                ingress,
                egress,
            },
        );
    }
    out
}

fn lower_rules(
    cx: &mut Cx,
    pair: &Pair<'_, SecurityGroupLayer>,
    list: &At<Vec<S<RuleLayer>>>,
    groups: &BTreeSet<String>,
) -> Vec<RuleSpec> {
    let mut out = Vec::new();
    for rule in pair.list(list) {
        let r = &rule.value;
        let field = |name: &str| format!("{}.{name}", rule.field);
        let at = |s: &S<String>, name: &str| At {
            value: s.get_ref().clone(),
            origin: Origin {
                file: rule.origin.file.clone(),
                span: s.span(),
            },
            field: field(name),
        };
        let protocol = match &r.protocol {
            None => {
                cx.d.push(rule.diag("missing `protocol` (tcp, udp, icmp or all)"));
                Protocol::Tcp
            }
            Some(p) => cx
                .choice(
                    &at(p, "protocol"),
                    &[
                        ("tcp", Protocol::Tcp),
                        ("udp", Protocol::Udp),
                        ("icmp", Protocol::Icmp),
                        ("all", Protocol::All),
                    ],
                )
                .unwrap_or(Protocol::Tcp),
        };
        let ports = r.ports.as_ref().and_then(|p| {
            let origin = Origin {
                file: rule.origin.file.clone(),
                span: p.span(),
            };
            let bad = |cx: &mut Cx, msg: String| {
                cx.d.push(Diagnostic::new(origin.clone(), field("ports"), msg));
                None
            };
            let (from, to) = match p.get_ref() {
                Ports::One(n) => (*n, *n),
                Ports::Range(s) => match s
                    .split_once('-')
                    .map(|(a, b)| (a.trim().parse(), b.trim().parse()))
                {
                    Some((Ok(a), Ok(b))) => (a, b),
                    _ => match s.trim().parse() {
                        Ok(n) => (n, n),
                        Err(_) => {
                            return bad(
                                cx,
                                format!(
                                    "`{s}` is not a port or range (e.g. 443 or \"1024-65535\")"
                                ),
                            );
                        }
                    },
                },
            };
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                return bad(
                    cx,
                    format!("ports {from}-{to}: need 0 <= from <= to <= 65535"),
                );
            }
            Some(PortRange {
                from: from as u16,
                to: to as u16,
            })
        });
        match (protocol, ports) {
            (Protocol::Tcp | Protocol::Udp, None) => cx.d.push(rule.diag(format!(
                "{} rules need `ports` (e.g. 443 or \"1024-65535\")",
                protocol.as_str()
            ))),
            (Protocol::All, Some(_)) => {
                cx.d.push(rule.diag("protocol `all` covers every port; remove `ports`"))
            }
            _ => {}
        }
        let sources = [
            r.cidr.is_some(),
            r.group.is_some(),
            r.vpc_cidr.as_ref().is_some_and(|v| *v.get_ref()),
        ];
        let source = match sources {
            [true, false, false] => {
                let c = at(r.cidr.as_ref().expect("checked"), "cidr");
                SourceSpec::Cidr(cx.cidr(&c, 0, 32))
            }
            [false, true, false] => {
                let g = at(r.group.as_ref().expect("checked"), "group");
                if !groups.contains(&g.value) {
                    cx.d.push(g.diag(unknown("security group", &g.value, groups.iter())));
                }
                SourceSpec::Group(g.value)
            }
            [false, false, true] => SourceSpec::VpcCidr,
            _ => {
                cx.d.push(
                    rule.diag("give exactly one source: `cidr`, `group` or `vpc_cidr = true`"),
                );
                SourceSpec::VpcCidr
            }
        };
        let description = r.description.as_ref().map(|d| d.get_ref().clone());
        out.push(RuleSpec {
            protocol,
            ports,
            source,
            description,
        });
    }
    out
}

fn lower_api(cx: &mut Cx, root: &Pair<'_, Layer>) -> ApiSpec {
    let api = root.sub("api", |l| l.api.as_ref());
    let name_at = api.req(&mut cx.d, "name", |a| a.name.as_ref());
    let name = cx.template(&name_at);
    cx.remember(&name_at);
    let description = api
        .opt("description", |a| a.description.as_ref())
        .map(|d| cx.template(&d))
        .unwrap_or_default();
    let endpoint_type = api
        .opt("endpoint_type", |a| a.endpoint_type.as_ref())
        .and_then(|at| {
            cx.choice(
                &at,
                &[
                    ("REGIONAL", EndpointType::Regional),
                    ("EDGE", EndpointType::Edge),
                    ("PRIVATE", EndpointType::Private),
                ],
            )
        })
        .unwrap_or(EndpointType::Regional);
    let key_at = api.req(&mut cx.d, "api_key_name", |a| a.api_key_name.as_ref());
    let api_key_name = cx.template(&key_at);
    cx.origins
        .insert(key_at.field.clone(), key_at.origin.clone());
    let integration_at = api.req(&mut cx.d, "integration", |a| a.integration.as_ref());
    let integration = cx
        .choice(
            &integration_at,
            &[
                ("http_proxy", IntegrationType::HttpProxy),
                ("vpc_link", IntegrationType::VpcLink),
            ],
        )
        .unwrap_or(IntegrationType::HttpProxy);
    let vpc_link_id = api.opt("vpc_link_id", |a| a.vpc_link_id.as_ref());
    match (integration, &vpc_link_id) {
        (IntegrationType::VpcLink, None) => {
            cx.d.push(integration_at.diag("`vpc_link` needs `vpc_link_id`"))
        }
        (IntegrationType::HttpProxy, Some(v)) => {
            cx.d.push(v.diag("`vpc_link_id` only applies to integration = \"vpc_link\""))
        }
        _ => {}
    }
    let int = |cx: &mut Cx,
               name: &str,
               get: fn(&ApiLayer) -> Option<&S<i64>>,
               lo: i64,
               hi: i64,
               default: u32| {
        api.opt(name, get)
            .map_or(default, |at| cx.int(&at, lo, hi, ""))
    };
    let timeout_ms = int(
        cx,
        "timeout_ms",
        |a| a.timeout_ms.as_ref(),
        50,
        29_000,
        29_000,
    );
    let rate_limit = int(cx, "rate_limit", |a| a.rate_limit.as_ref(), 1, 10_000, 100);
    let burst_limit = int(cx, "burst_limit", |a| a.burst_limit.as_ref(), 1, 5_000, 200);
    let quota_per_day = api
        .opt("quota_per_day", |a| a.quota_per_day.as_ref())
        .map(|at| cx.int(&at, 1, i64::from(u32::MAX), ""));
    ApiSpec {
        name,
        description,
        endpoint_type,
        api_key_required: api
            .opt("api_key_required", |a| a.api_key_required.as_ref())
            .is_none_or(|v| v.value),
        api_key_name,
        integration,
        vpc_link_id: vpc_link_id.map(|v| v.value),
        timeout_ms,
        rate_limit,
        burst_limit,
        quota_per_day,
    }
}

fn subnet_refs(
    cx: &mut Cx,
    pair: &Pair<'_, impl Sized>,
    list: &At<Vec<S<String>>>,
    refs: &Refs<'_>,
) -> Vec<String> {
    let items = pair.list(list);
    for s in &items {
        if !refs.network.subnets.contains_key(&s.value) {
            cx.d.push(s.diag(unknown("subnet", &s.value, refs.network.subnets.keys())));
        }
    }
    items.into_iter().map(|s| s.value).collect()
}

fn group_refs(
    cx: &mut Cx,
    pair: &Pair<'_, impl Sized>,
    list: &At<Vec<S<String>>>,
    refs: &Refs<'_>,
) -> Vec<String> {
    let items = pair.list(list);
    for s in &items {
        if !refs.groups.contains_key(&s.value) {
            cx.d.push(s.diag(unknown("security group", &s.value, refs.groups.keys())));
        }
    }
    items.into_iter().map(|s| s.value).collect()
}

fn zones_of(refs: &Refs<'_>, subnets: &[String]) -> BTreeSet<String> {
    subnets
        .iter()
        .filter_map(|s| refs.network.subnets.get(s))
        .map(|s| s.availability_zone.clone())
        .collect()
}

fn lower_beanstalk(cx: &mut Cx, p: &Pair<'_, BeanstalkLayer>, refs: &Refs<'_>) -> BeanstalkSpec {
    let app_at = p.req(&mut cx.d, "application", |b| b.application.as_ref());
    let application = cx.template(&app_at);
    cx.remember(&app_at);
    if application.is_empty() || application.len() > 100 {
        cx.d.push(app_at.diag("application names are 1-100 characters"));
    }
    let env_at = p.req(&mut cx.d, "environment", |b| b.environment.as_ref());
    let environment = cx.template(&env_at);
    cx.check_name(
        &At {
            value: environment.clone(),
            ..env_at.clone()
        },
        4,
        40,
    );
    cx.origins
        .insert(env_at.field.clone(), env_at.origin.clone());
    let stack_at = p.req(&mut cx.d, "solution_stack", |b| b.solution_stack.as_ref());
    cx.non_empty(&stack_at);
    let cname_prefix = p
        .opt("cname_prefix", |b| b.cname_prefix.as_ref())
        .map(|at| {
            let v = cx.template(&at);
            cx.check_name(
                &At {
                    value: v.clone(),
                    ..at.clone()
                },
                4,
                63,
            );
            cx.origins.insert(at.field.clone(), at.origin.clone());
            v
        });
    let it = p.req(&mut cx.d, "instance_type", |b| b.instance_type.as_ref());
    if !it
        .value
        .split_once('.')
        .is_some_and(|(f, s)| !f.is_empty() && !s.is_empty())
        || it.value.starts_with("db.")
    {
        cx.d.push(it.diag(format!(
            "`{}` is not an EC2 instance type (e.g. t3.micro)",
            it.value
        )));
    }
    let min_at = p.req(&mut cx.d, "min_instances", |b| b.min_instances.as_ref());
    let max_at = p.req(&mut cx.d, "max_instances", |b| b.max_instances.as_ref());
    let min = cx.int(&min_at, 1, 10_000, "instances");
    let max = cx.int(&max_at, 1, 10_000, "instances");
    if min > max {
        cx.d.push(
            min_at
                .diag(format!(
                    "min_instances {min} is greater than max_instances {max}"
                ))
                .with_related(max_at.origin.clone(), format!("max_instances = {max}")),
        );
    }
    let autoscaling_at = p.req(&mut cx.d, "autoscaling", |b| b.autoscaling.as_ref());
    if !autoscaling_at.value && min != max {
        cx.d.push(
            autoscaling_at
                .diag(format!(
                    "auto-scaling is off, so min_instances ({min}) must equal max_instances ({max})"
                ))
                .with_related(min_at.origin.clone(), "min_instances")
                .with_related(max_at.origin.clone(), "max_instances"),
        );
    }
    if autoscaling_at.value && min == max {
        cx.d.push(autoscaling_at.diag(format!(
            "auto-scaling is on but min_instances = max_instances = {min}: nothing can scale; set autoscaling = false or widen the range"
        )));
    }
    let lb_at = p.req(&mut cx.d, "load_balancer", |b| b.load_balancer.as_ref());
    let load_balancer = cx
        .choice(
            &lb_at,
            &[
                ("application", LoadBalancer::Application),
                ("none", LoadBalancer::None),
            ],
        )
        .unwrap_or(LoadBalancer::Application);
    if load_balancer == LoadBalancer::None && max > 1 {
        cx.d.push(
            lb_at.diag(
                "a single instance (load_balancer = \"none\") cannot run more than 1 instance",
            ),
        );
    }
    let scheme = p
        .opt("load_balancer_scheme", |b| b.load_balancer_scheme.as_ref())
        .and_then(|at| {
            cx.choice(
                &at,
                &[("public", Scheme::Public), ("internal", Scheme::Internal)],
            )
        })
        .unwrap_or(Scheme::Public);
    let inst_at = p.req(&mut cx.d, "instance_subnets", |b| {
        b.instance_subnets.as_ref()
    });
    let instance_subnets = subnet_refs(cx, p, &inst_at, refs);
    let lb_subnets = match p.opt("load_balancer_subnets", |b| {
        b.load_balancer_subnets.as_ref()
    }) {
        Some(at) => {
            let subnets = subnet_refs(cx, p, &at, refs);
            if load_balancer == LoadBalancer::Application && zones_of(refs, &subnets).len() < 2 {
                cx.d.push(at.diag(
                    "an Application Load Balancer needs subnets in at least 2 availability zones",
                ));
            }
            for s in &subnets {
                let tier = refs.network.subnets.get(s).map(|s| s.tier);
                match (scheme, tier) {
                    (Scheme::Public, Some(SubnetTier::Private)) => cx.d.push(at.diag(format!(
                        "`{s}` is private: a public load balancer needs public subnets"
                    ))),
                    (Scheme::Internal, Some(SubnetTier::Public)) => cx.d.push(at.diag(format!(
                        "`{s}` is public: keep an internal load balancer in private subnets"
                    ))),
                    _ => {}
                }
            }
            subnets
        }
        None if load_balancer == LoadBalancer::Application => {
            cx.d.push(lb_at.diag("an Application Load Balancer needs `load_balancer_subnets`"));
            Vec::new()
        }
        None => Vec::new(),
    };
    let sg_at = p.req(&mut cx.d, "security_groups", |b| b.security_groups.as_ref());
    let security_groups = group_refs(cx, p, &sg_at, refs);
    let lb_groups = p
        .opt("load_balancer_security_groups", |b| {
            b.load_balancer_security_groups.as_ref()
        })
        .map(|at| group_refs(cx, p, &at, refs))
        .unwrap_or_default();
    let mut settings: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut set_pairs: Vec<At<()>> = Vec::new();
    for layer_env in [false, true] {
        let layer = if layer_env { p.env } else { p.base };
        let Some(layer) = layer else { continue };
        for (ns, options) in &layer.get_ref().settings {
            for (opt, value) in options {
                let file = if layer_env {
                    &p.files().env
                } else {
                    &p.files().base
                };
                set_pairs.push(At {
                    value: (),
                    origin: Origin {
                        file: file.clone(),
                        span: value.span(),
                    },
                    field: format!("{}.settings.{ns}.{opt}", p.path),
                });
                settings
                    .entry(ns.clone())
                    .or_default()
                    .insert(opt.clone(), value.get_ref().clone());
            }
        }
    }
    for at in &set_pairs {
        let rest = at
            .field
            .rsplit_once(".settings.")
            .map(|(_, r)| r)
            .unwrap_or_default();
        let ns = rest.rsplit_once('.').map_or(rest, |(ns, _)| ns);
        if !ns.starts_with("aws:") {
            cx.d.push(at.diag(format!(
                "`{ns}` is not an Elastic Beanstalk namespace (they start with `aws:`)"
            )));
        }
        if let Some((_, _, field)) = MANAGED_SETTINGS
            .iter()
            .find(|(mns, mopt, _)| rest == format!("{mns}.{mopt}"))
        {
            cx.d.push(at.diag(format!(
                "set by `{field}`; set that field instead of the raw option"
            )));
        }
    }
    BeanstalkSpec {
        application,
        environment,
        solution_stack: stack_at.value,
        cname_prefix,
        instance_type: it.value,
        min_instances: min,
        max_instances: max,
        autoscaling: autoscaling_at.value,
        load_balancer,
        load_balancer_scheme: scheme,
        instance_subnets,
        load_balancer_subnets: lb_subnets,
        security_groups,
        load_balancer_security_groups: lb_groups,
        settings,
    }
}

/// Option settings the typed fields own, so the raw `settings` table cannot contradict them.
pub const MANAGED_SETTINGS: &[(&str, &str, &str)] = &[
    (
        "aws:autoscaling:launchconfiguration",
        "InstanceType",
        "instance_type",
    ),
    ("aws:ec2:instances", "InstanceTypes", "instance_type"),
    ("aws:autoscaling:asg", "MinSize", "min_instances"),
    ("aws:autoscaling:asg", "MaxSize", "max_instances"),
    (
        "aws:elasticbeanstalk:environment",
        "EnvironmentType",
        "load_balancer",
    ),
    (
        "aws:elasticbeanstalk:environment",
        "LoadBalancerType",
        "load_balancer",
    ),
    ("aws:ec2:vpc", "VPCId", "network"),
    ("aws:ec2:vpc", "Subnets", "instance_subnets"),
    ("aws:ec2:vpc", "ELBSubnets", "load_balancer_subnets"),
    ("aws:ec2:vpc", "ELBScheme", "load_balancer_scheme"),
    (
        "aws:autoscaling:launchconfiguration",
        "SecurityGroups",
        "security_groups",
    ),
    (
        "aws:elbv2:loadbalancer",
        "SecurityGroups",
        "load_balancer_security_groups",
    ),
];

fn lower_database(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>, refs: &Refs<'_>) -> DatabaseSpec {
    let id_at = p.req(&mut cx.d, "identifier", |d| d.identifier.as_ref());
    let identifier = cx.template(&id_at);
    cx.remember(&id_at);
    cx.check_name(
        &At {
            value: identifier.clone(),
            ..id_at.clone()
        },
        1,
        63,
    );
    if identifier.ends_with('-') || identifier.contains("--") {
        cx.d.push(id_at.diag("DB identifiers cannot end with '-' or contain '--'"));
    }
    let engine_at = p.req(&mut cx.d, "engine", |d| d.engine.as_ref());
    let engine = cx
        .choice(
            &engine_at,
            &[
                ("postgres", Engine::Postgres),
                ("mysql", Engine::Mysql),
                ("mariadb", Engine::Mariadb),
            ],
        )
        .unwrap_or(Engine::Postgres);
    let version = p.req(&mut cx.d, "engine_version", |d| d.engine_version.as_ref());
    if !version
        .value
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        cx.d.push(version.diag(format!(
            "`{}` is not an engine version (e.g. 16.4)",
            version.value
        )));
    }
    let class = p.req(&mut cx.d, "instance_class", |d| d.instance_class.as_ref());
    if !class.value.starts_with("db.") || class.value.split('.').count() != 3 {
        cx.d.push(class.diag(format!(
            "`{}` is not a DB instance class (e.g. db.t3.micro)",
            class.value
        )));
    }
    let st_at = p.req(&mut cx.d, "storage_type", |d| d.storage_type.as_ref());
    let storage_type = cx
        .choice(
            &st_at,
            &[
                ("standard", StorageType::Standard),
                ("gp2", StorageType::Gp2),
                ("gp3", StorageType::Gp3),
                ("io1", StorageType::Io1),
                ("io2", StorageType::Io2),
            ],
        )
        .unwrap_or(StorageType::Gp3);
    let size_at = p.req(&mut cx.d, "allocated_storage_gb", |d| {
        d.allocated_storage_gb.as_ref()
    });
    let (lo, hi) = storage_limits(engine, storage_type);
    let allocated_storage_gb = if (i64::from(lo)..=i64::from(hi)).contains(&size_at.value) {
        size_at.value as u32
    } else {
        let hint = if storage_type != StorageType::Standard && size_at.value < i64::from(lo) {
            format!(
                "; only magnetic storage (storage_type = \"standard\") goes down to {} GiB",
                storage_limits(engine, StorageType::Standard).0
            )
        } else {
            String::new()
        };
        cx.d.push(
            size_at
                .diag(format!(
                    "{} GiB is outside {lo}-{hi} GiB, what {} allows on {} storage{hint}",
                    size_at.value,
                    engine.as_str(),
                    storage_type.as_str()
                ))
                .with_related(
                    st_at.origin.clone(),
                    format!("storage_type = \"{}\"", storage_type.as_str()),
                ),
        );
        lo
    };
    let retention_at = p.req(&mut cx.d, "backup_retention_days", |d| {
        d.backup_retention_days.as_ref()
    });
    let backup_retention_days = cx.int(
        &retention_at,
        0,
        35,
        "days (AWS keeps automated backups 0-35 days; 0 turns them off)",
    );
    let flag = |name: &str, get: fn(&DatabaseLayer) -> Option<&S<bool>>, default: bool| {
        p.opt(name, get).map_or(default, |v| v.value)
    };
    let db_name = p.req(&mut cx.d, "db_name", |d| d.db_name.as_ref());
    if !db_name.value.starts_with(|c: char| c.is_ascii_alphabetic())
        || !db_name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || db_name.value.len() > 63
    {
        cx.d.push(
            db_name.diag("database names are 1-63 letters, digits and '_', starting with a letter"),
        );
    }
    let user = p.req(&mut cx.d, "master_username", |d| d.master_username.as_ref());
    if !user.value.starts_with(|c: char| c.is_ascii_alphabetic())
        || !user
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || user.value.len() > 16
        || matches!(user.value.as_str(), "admin" | "postgres" | "rdsadmin")
    {
        cx.d.push(user.diag("master usernames are 1-16 letters, digits and '_', starting with a letter, and not a reserved word"));
    }
    let master_password = match p.opt("master_password_env", |d| d.master_password_env.as_ref()) {
        Some(at) => {
            let ok = at
                .value
                .starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
                && at
                    .value
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                cx.d.push(at.diag(format!(
                    "`{}` is not an environment variable name (e.g. STAGING_DB_PASSWORD)",
                    at.value
                )));
            }
            cx.remember(&at);
            MasterPassword::EnvVar(at.value)
        }
        None => MasterPassword::Managed,
    };
    let subnets_at = p.req(&mut cx.d, "subnets", |d| d.subnets.as_ref());
    let subnets = subnet_refs(cx, p, &subnets_at, refs);
    if zones_of(refs, &subnets).len() < 2 {
        cx.d.push(
            subnets_at.diag("a DB subnet group needs subnets in at least 2 availability zones"),
        );
    }
    for s in &subnets {
        if refs
            .network
            .subnets
            .get(s)
            .is_some_and(|s| s.tier == SubnetTier::Public)
        {
            cx.d.push(subnets_at.diag(format!(
                "`{s}` is public: keep the database in private subnets"
            )));
        }
    }
    let sg_at = p.req(&mut cx.d, "security_groups", |d| d.security_groups.as_ref());
    let security_groups = group_refs(cx, p, &sg_at, refs);
    DatabaseSpec {
        identifier,
        engine,
        engine_version: version.value,
        instance_class: class.value,
        storage_type,
        allocated_storage_gb,
        backup_retention_days,
        multi_az: flag("multi_az", |d| d.multi_az.as_ref(), false),
        deletion_protection: flag(
            "deletion_protection",
            |d| d.deletion_protection.as_ref(),
            true,
        ),
        apply_immediately: flag("apply_immediately", |d| d.apply_immediately.as_ref(), false),
        allow_replace: flag("allow_replace", |d| d.allow_replace.as_ref(), false),
        db_name: db_name.value,
        master_username: user.value,
        master_password,
        subnets,
        security_groups,
    }
}

/// Allocated storage limits in GiB, from the RDS CreateDBInstance reference.
pub fn storage_limits(engine: Engine, storage: StorageType) -> (u32, u32) {
    match (engine, storage) {
        (Engine::Postgres | Engine::Mysql | Engine::Mariadb, StorageType::Standard) => (5, 3072),
        (
            Engine::Postgres | Engine::Mysql | Engine::Mariadb,
            StorageType::Gp2 | StorageType::Gp3,
        ) => (20, 65_536),
        (
            Engine::Postgres | Engine::Mysql | Engine::Mariadb,
            StorageType::Io1 | StorageType::Io2,
        ) => (100, 65_536),
    }
}
