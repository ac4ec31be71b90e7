//! The security groups topic: groups by name, their ingress and egress rules, and the sources
//! those rules allow (a CIDR, another group, or the environment's own VPC).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::spec::desired::{Builder, vpc};
use crate::spec::diag::{Diagnostic, Origin};
use crate::spec::layer::S;
use crate::spec::resolve::{At, Pair};
use crate::spec::validate::{Cx, unknown};

// ---- TOML layer ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupLayer {
    /// The group's name in AWS, where it is not the derived `{project}-{env}-KEY` (a group made
    /// by another tool keeps its name: AWS cannot rename a group).
    pub name: Option<S<String>>,
    pub description: Option<S<String>>,
    pub ingress: Option<S<Vec<S<RuleLayer>>>>,
    /// Absent: AWS's default allow-all egress rule. `[]`: no egress at all.
    pub egress: Option<S<Vec<S<RuleLayer>>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleLayer {
    pub protocol: Option<S<String>>,
    /// `443`, or `"1024-65535"`; absent for protocol `all` or every ICMP type.
    pub ports: Option<S<Ports>>,
    pub cidr: Option<S<String>>,
    pub group: Option<S<String>>,
    /// The environment's own VPC CIDR, so the base spec needs no per-environment CIDR.
    pub vpc_cidr: Option<S<bool>>,
    pub description: Option<S<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Ports {
    One(i64),
    Range(String),
}

// ---- validated spec --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupSpec {
    /// Its name in AWS, `{project}-{env}-KEY` unless the spec states one.
    pub name: String,
    pub description: String,
    pub ingress: Vec<RuleSpec>,
    /// `None`: AWS's default allow-all egress.
    pub egress: Option<Vec<RuleSpec>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleSpec {
    pub protocol: Protocol,
    pub ports: Option<PortRange>,
    pub source: SourceSpec,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceSpec {
    Cidr(Ipv4Net),
    Group(String),
    VpcCidr,
}

// ---- lowering --------------------------------------------------------------------------------

pub(in crate::spec) fn lower(
    cx: &mut Cx,
    pairs: &BTreeMap<String, Pair<'_, SecurityGroupLayer>>,
) -> BTreeMap<String, SecurityGroupSpec> {
    let names: BTreeSet<String> = pairs.keys().cloned().collect();
    let mut out = BTreeMap::new();
    for (name, pair) in pairs {
        let name_at = At {
            value: name.clone(),
            origin: pair.table_origin(),
            field: pair.path.clone(),
        };
        cx.check_name(&name_at, 1, 64);
        let aws_name = group_name(cx, pair, &name_at);
        let description = pair.req(&mut cx.d, "description", |g| g.description.as_ref());
        cx.non_empty(&description);
        check_group_text(cx, &description, "descriptions");
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
                name: aws_name,
                description: description.value,
                ingress,
                egress,
            },
        );
    }
    out
}

/// The group's AWS name: the spec's `name`, else `{project}-{env}-KEY`. Remembered under
/// `security_groups.KEY.name`, where a collision says to rename it (`plan::names`).
fn group_name(cx: &mut Cx, pair: &Pair<'_, SecurityGroupLayer>, key: &At<String>) -> String {
    let Some(at) = pair.opt("name", |g| g.name.as_ref()) else {
        cx.remember(&At {
            field: format!("{}.name", key.field),
            ..key.clone()
        });
        return format!("{}-{}-{}", cx.project, cx.env, key.value);
    };
    let value = cx.template(&at);
    let at = At { value, ..at };
    cx.remember(&at);
    check_group_text(cx, &at, "names");
    // "Can't start with sg-" (CreateSecurityGroup, GroupName).
    if at.value.starts_with("sg-") {
        cx.d.push(
            at.diag("a security group's name cannot start with `sg-` (AWS keeps that for ids)"),
        );
    }
    at.value
}

/// AWS's rules for a group's name and description, from the EC2 API reference
/// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html):
/// up to 255 characters of a-z, A-Z, 0-9, spaces and `._-:/()#,@[]+=&;{}!$*`.
fn check_group_text(cx: &mut Cx, at: &At<String>, what: &str) {
    const OTHERS: &str = " ._-:/()#,@[]+=&;{}!$*";
    if at.value.len() > 255 {
        cx.d.push(at.diag(format!("security group {what} are at most 255 characters")));
    }
    if let Some(c) = at
        .value
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !OTHERS.contains(*c))
    {
        cx.d.push(at.diag(format!(
            "`{c}` is not allowed in security group {what} (AWS allows a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{{}}!$*)"
        )));
    }
}

/// `groups` are the names a rule may allow traffic from.
fn lower_rules(
    cx: &mut Cx,
    pair: &Pair<'_, SecurityGroupLayer>,
    list: &At<Vec<S<RuleLayer>>>,
    groups: &BTreeSet<String>,
) -> Vec<RuleSpec> {
    let mut out = Vec::new();
    for rule in pair.list(list) {
        out.push(lower_rule(cx, &rule, groups));
    }
    out
}

fn lower_rule(cx: &mut Cx, rule: &At<RuleLayer>, groups: &BTreeSet<String>) -> RuleSpec {
    let r = &rule.value;
    let protocol = rule_protocol(cx, rule);
    let ports = r.ports.as_ref().and_then(|p| rule_ports(cx, rule, p));
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
    let source = rule_source(cx, rule, groups);
    let description = r.description.as_ref().map(|d| d.get_ref().clone());
    RuleSpec {
        protocol,
        ports,
        source,
        description,
    }
}

/// A string inside a rule, located by its own span (rules are inline tables).
fn located(rule: &At<RuleLayer>, s: &S<String>, name: &str) -> At<String> {
    At {
        value: s.get_ref().clone(),
        origin: Origin {
            file: rule.origin.file.clone(),
            span: s.span(),
        },
        field: format!("{}.{name}", rule.field),
    }
}

fn rule_protocol(cx: &mut Cx, rule: &At<RuleLayer>) -> Protocol {
    match &rule.value.protocol {
        None => {
            cx.d.push(rule.diag("missing `protocol` (tcp, udp, icmp or all)"));
            Protocol::Tcp
        }
        Some(p) => cx
            .choice(
                &located(rule, p, "protocol"),
                &[
                    ("tcp", Protocol::Tcp),
                    ("udp", Protocol::Udp),
                    ("icmp", Protocol::Icmp),
                    ("all", Protocol::All),
                ],
            )
            .unwrap_or(Protocol::Tcp),
    }
}

fn rule_ports(cx: &mut Cx, rule: &At<RuleLayer>, p: &S<Ports>) -> Option<PortRange> {
    let origin = Origin {
        file: rule.origin.file.clone(),
        span: p.span(),
    };
    let field = format!("{}.ports", rule.field);
    let (from, to) = match p.get_ref() {
        Ports::One(n) => (*n, *n),
        Ports::Range(s) => match parse_range(s) {
            Some(range) => range,
            None => {
                cx.d.push(Diagnostic::new(
                    origin,
                    field,
                    format!("`{s}` is not a port or range (e.g. 443 or \"1024-65535\")"),
                ));
                return None;
            }
        },
    };
    if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
        cx.d.push(Diagnostic::new(
            origin,
            field,
            format!("ports {from}-{to}: need 0 <= from <= to <= 65535"),
        ));
        return None;
    }
    Some(PortRange {
        from: from as u16,
        to: to as u16,
    })
}

/// `"1024-65535"` or a single port written as a string, `"443"`.
fn parse_range(s: &str) -> Option<(i64, i64)> {
    match s
        .split_once('-')
        .map(|(a, b)| (a.trim().parse(), b.trim().parse()))
    {
        Some((Ok(a), Ok(b))) => Some((a, b)),
        _ => s.trim().parse().ok().map(|n| (n, n)),
    }
}

fn rule_source(cx: &mut Cx, rule: &At<RuleLayer>, groups: &BTreeSet<String>) -> SourceSpec {
    let r = &rule.value;
    let sources = [
        r.cidr.is_some(),
        r.group.is_some(),
        r.vpc_cidr.as_ref().is_some_and(|v| *v.get_ref()),
    ];
    match sources {
        [true, false, false] => {
            let c = located(rule, r.cidr.as_ref().expect("checked"), "cidr");
            SourceSpec::Cidr(cx.cidr(&c, 0, 32))
        }
        [false, true, false] => {
            let g = located(rule, r.group.as_ref().expect("checked"), "group");
            if !groups.contains(&g.value) {
                cx.d.push(g.diag(unknown("security group", &g.value, groups.iter())));
            }
            SourceSpec::Group(g.value)
        }
        [false, false, true] => SourceSpec::VpcCidr,
        _ => {
            cx.d.push(rule.diag("give exactly one source: `cidr`, `group` or `vpc_cidr = true`"));
            SourceSpec::VpcCidr
        }
    }
}

/// A list of security group names another topic refers to; unknown names are reported.
pub(in crate::spec) fn group_refs(
    cx: &mut Cx,
    pair: &Pair<'_, impl Sized>,
    list: &At<Vec<S<String>>>,
    groups: &BTreeMap<String, SecurityGroupSpec>,
) -> Vec<String> {
    let items = pair.list(list);
    for s in &items {
        if !groups.contains_key(&s.value) {
            cx.d.push(s.diag(unknown("security group", &s.value, groups.keys())));
        }
    }
    items.into_iter().map(|s| s.value).collect()
}

// ---- desired state ---------------------------------------------------------------------------

pub(in crate::spec) fn desire(b: &mut Builder<'_>, groups: &BTreeMap<String, SecurityGroupSpec>) {
    let spec = b.spec;
    let rules = |list: &[RuleSpec]| -> BTreeSet<Rule> {
        list.iter()
            .map(|r| Rule {
                protocol: r.protocol,
                ports: r.ports,
                source: match &r.source {
                    SourceSpec::Cidr(c) => RuleSource::Cidr(*c),
                    SourceSpec::Group(g) => RuleSource::Group(group(g)),
                    SourceSpec::VpcCidr => RuleSource::Cidr(spec.network.vpc_cidr),
                },
                description: r.description.clone(),
            })
            .collect()
    };
    for (name, sg) in groups {
        let egress = sg
            .egress
            .as_deref()
            .map_or_else(|| [Rule::allow_all_egress()].into(), rules);
        b.add(
            Address::named(Stack::Shared, Kind::SecurityGroup, name),
            Attrs::SecurityGroup(SecurityGroupAttrs {
                vpc: vpc(),
                name: sg.name.clone(),
                description: sg.description.clone(),
                ingress: rules(&sg.ingress),
                egress,
            }),
        );
    }
}
/// A reference to the shared security group `name`.
pub(crate) fn group(name: &str) -> Ref {
    Ref::Managed(Address::named(Stack::Shared, Kind::SecurityGroup, name))
}
