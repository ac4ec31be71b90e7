//! The Elastic Beanstalk topic: an application and its environment, with the option settings
//! that size it, place it in the network and put a load balancer in front of it. Both stacks
//! (backend and console) hold one.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::template::Piece;
use crate::model::*;
use crate::spec::desired::{Builder, PRIVATE_ROUTES, addr, group, subnet, vpc};
use crate::spec::diag::Origin;
use crate::spec::layer::S;
use crate::spec::resolve::{At, Pair};
use crate::spec::topics::network::{SubnetTier, nat_gateway, subnet_refs, zones_of};
use crate::spec::topics::security_groups::group_refs;
use crate::spec::validate::{Cx, Refs};

// ---- TOML layer ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeanstalkLayer {
    pub application: Option<S<String>>,
    pub environment: Option<S<String>>,
    /// A platform branch (`Node.js 24 running on 64bit Amazon Linux 2023`): the plan resolves
    /// it to the branch's newest version.
    pub platform: Option<S<String>>,
    /// One exact solution stack: a pin, instead of `platform`.
    pub solution_stack: Option<S<String>>,
    pub cname_prefix: Option<S<String>>,
    pub instance_type: Option<S<String>>,
    pub min_instances: Option<S<i64>>,
    pub max_instances: Option<S<i64>>,
    pub autoscaling: Option<S<bool>>,
    /// `application` (an ALB) or `none` (a single instance).
    pub load_balancer: Option<S<String>>,
    pub load_balancer_scheme: Option<S<String>>,
    pub instance_subnets: Option<S<Vec<S<String>>>>,
    pub load_balancer_subnets: Option<S<Vec<S<String>>>>,
    pub security_groups: Option<S<Vec<S<String>>>>,
    pub load_balancer_security_groups: Option<S<Vec<S<String>>>>,
    /// An ACM certificate ARN: the load balancer also listens with HTTPS on 443 (issue 11).
    pub https_certificate_arn: Option<S<String>>,
    /// Further option settings: namespace -> option -> value.
    #[serde(default)]
    pub settings: BTreeMap<String, BTreeMap<String, S<String>>>,
}

// ---- validated spec --------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalancer {
    /// An Application Load Balancer in front of the instances.
    Application,
    /// A single instance, no load balancer.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    Public,
    Internal,
}

/// What the environment runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// A platform branch: its newest version when created; later versions are an optional
    /// upgrade (`apply --upgrade-platform`), not a change the plan makes by itself.
    Branch(String),
    /// One solution stack, exactly.
    Pinned(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct BeanstalkSpec {
    pub application: String,
    pub environment: String,
    pub platform: Platform,
    pub cname_prefix: Option<String>,
    pub instance_type: String,
    pub min_instances: u32,
    pub max_instances: u32,
    pub autoscaling: bool,
    pub load_balancer: LoadBalancer,
    pub load_balancer_scheme: Scheme,
    pub instance_subnets: Vec<String>,
    pub load_balancer_subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub load_balancer_security_groups: Vec<String>,
    /// An HTTPS listener on 443 with this ACM certificate.
    pub https_certificate_arn: Option<String>,
    pub settings: RawSettings,
}

/// Option settings as written: namespace -> option -> value.
pub type RawSettings = BTreeMap<String, BTreeMap<String, String>>;

// ---- lowering --------------------------------------------------------------------------------

pub(in crate::spec) fn lower(
    cx: &mut Cx,
    p: &Pair<'_, BeanstalkLayer>,
    refs: &Refs<'_>,
) -> BeanstalkSpec {
    let names = lower_names(cx, p);
    let size = lower_size(cx, p);
    let balancer = lower_balancer(cx, p, size.max);
    let inst_at = p.req(&mut cx.d, "instance_subnets", |b| {
        b.instance_subnets.as_ref()
    });
    let instance_subnets = subnet_refs(cx, p, &inst_at, refs.network);
    let load_balancer_subnets = lower_balancer_subnets(cx, p, &balancer, refs);
    let sg_at = p.req(&mut cx.d, "security_groups", |b| b.security_groups.as_ref());
    let security_groups = group_refs(cx, p, &sg_at, refs.groups);
    let load_balancer_security_groups = p
        .opt("load_balancer_security_groups", |b| {
            b.load_balancer_security_groups.as_ref()
        })
        .map(|at| group_refs(cx, p, &at, refs.groups))
        .unwrap_or_default();
    let (settings, written) = merge_settings(p);
    check_settings(cx, &written);
    check_references(cx, &settings, &written);
    check_properties(cx, &p.path, &settings, &written);
    let https_certificate_arn = lower_https(cx, p, balancer.kind);
    BeanstalkSpec {
        application: names.application,
        environment: names.environment,
        platform: names.platform,
        cname_prefix: names.cname_prefix,
        instance_type: size.instance_type,
        min_instances: size.min,
        max_instances: size.max,
        autoscaling: size.autoscaling,
        load_balancer: balancer.kind,
        load_balancer_scheme: balancer.scheme,
        instance_subnets,
        load_balancer_subnets,
        security_groups,
        load_balancer_security_groups,
        https_certificate_arn,
        settings,
    }
}

/// An ACM certificate for an HTTPS listener, on a load-balanced environment only.
fn lower_https(cx: &mut Cx, p: &Pair<'_, BeanstalkLayer>, kind: LoadBalancer) -> Option<String> {
    let at = p.opt("https_certificate_arn", |b| {
        b.https_certificate_arn.as_ref()
    })?;
    let parts: Vec<&str> = at.value.splitn(6, ':').collect();
    if parts.len() != 6
        || parts[0] != "arn"
        || parts[2] != "acm"
        || !parts[5].starts_with("certificate/")
    {
        cx.d.push(at.diag(format!(
            "`{}` is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
            at.value
        )));
    }
    if kind == LoadBalancer::None {
        cx.d.push(
            at.diag("an HTTPS listener needs a load balancer (load_balancer = \"application\")"),
        );
    }
    cx.remember(&at);
    Some(at.value)
}

struct Names {
    application: String,
    environment: String,
    platform: Platform,
    cname_prefix: Option<String>,
}

/// The application, the environment, its platform and its CNAME prefix.
fn lower_names(cx: &mut Cx, p: &Pair<'_, BeanstalkLayer>) -> Names {
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
    let platform = lower_platform(cx, p);
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
    Names {
        application,
        environment,
        platform,
        cname_prefix,
    }
}

/// `platform` (a branch) or `solution_stack` (a pin). Given in both files, the environment
/// file's wins: production may pin what the base leaves to the branch.
fn lower_platform(cx: &mut Cx, p: &Pair<'_, BeanstalkLayer>) -> Platform {
    use crate::model::platform::{is_branch, parse};
    let branch = p.opt("platform", |b| b.platform.as_ref());
    let pin = p.opt("solution_stack", |b| b.solution_stack.as_ref());
    let env_file = p.env_path();
    let use_branch = match (&branch, &pin) {
        (Some(b), Some(s)) if b.origin.path() == s.origin.path() => {
            cx.d.push(s.diag(
                "give `platform` (a branch, resolved to its newest version) or `solution_stack` \
                 (one exact version), not both",
            ));
            true
        }
        (Some(b), Some(_)) => b.origin.path() == env_file,
        (Some(_), None) => true,
        (None, _) => false,
    };
    for at in [&branch, &pin].into_iter().flatten() {
        cx.origins.insert(at.field.clone(), at.origin.clone());
    }
    match (use_branch, branch, pin) {
        (true, Some(b), _) => {
            if !is_branch(&b.value) {
                cx.d.push(b.diag(format!(
                    "`{}` is not a platform branch: write it as Elastic Beanstalk names \
                     branches, e.g. \"Node.js 24 running on 64bit Amazon Linux 2023\"",
                    b.value
                )));
            }
            Platform::Branch(b.value)
        }
        (_, _, Some(s)) => {
            cx.non_empty(&s);
            if !s.value.trim().is_empty()
                && parse(&s.value).is_none()
                && !s.value.contains(" running ")
            {
                cx.d.push(s.diag(format!(
                    "`{}` is not a solution stack name (e.g. \"64bit Amazon Linux 2023 v6.11.5 \
                     running Node.js 24\")",
                    s.value
                )));
            }
            Platform::Pinned(s.value)
        }
        (_, _, None) => {
            let at = p.req(&mut cx.d, "platform", |b| b.platform.as_ref());
            Platform::Branch(at.value)
        }
    }
}

struct Size {
    instance_type: String,
    min: u32,
    max: u32,
    autoscaling: bool,
}

/// The instance type and how many instances run.
fn lower_size(cx: &mut Cx, p: &Pair<'_, BeanstalkLayer>) -> Size {
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
    Size {
        instance_type: it.value,
        min,
        max,
        autoscaling: autoscaling_at.value,
    }
}

struct Balancer {
    kind: LoadBalancer,
    scheme: Scheme,
    /// Where `load_balancer` was written, for the problems it causes elsewhere.
    at: At<String>,
}

fn lower_balancer(cx: &mut Cx, p: &Pair<'_, BeanstalkLayer>, max: u32) -> Balancer {
    let lb_at = p.req(&mut cx.d, "load_balancer", |b| b.load_balancer.as_ref());
    let kind = cx
        .choice(
            &lb_at,
            &[
                ("application", LoadBalancer::Application),
                ("none", LoadBalancer::None),
            ],
        )
        .unwrap_or(LoadBalancer::Application);
    if kind == LoadBalancer::None && max > 1 {
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
    Balancer {
        kind,
        scheme,
        at: lb_at,
    }
}

/// An Application Load Balancer spans two zones, in subnets of the tier its scheme calls for.
fn lower_balancer_subnets(
    cx: &mut Cx,
    p: &Pair<'_, BeanstalkLayer>,
    balancer: &Balancer,
    refs: &Refs<'_>,
) -> Vec<String> {
    let Some(at) = p.opt("load_balancer_subnets", |b| {
        b.load_balancer_subnets.as_ref()
    }) else {
        if balancer.kind == LoadBalancer::Application {
            cx.d.push(
                balancer
                    .at
                    .diag("an Application Load Balancer needs `load_balancer_subnets`"),
            );
        }
        return Vec::new();
    };
    let subnets = subnet_refs(cx, p, &at, refs.network);
    if balancer.kind == LoadBalancer::Application && zones_of(refs.network, &subnets).len() < 2 {
        cx.d.push(
            at.diag("an Application Load Balancer needs subnets in at least 2 availability zones"),
        );
    }
    for s in &subnets {
        let tier = refs.network.subnets.get(s).map(|s| s.tier);
        match (balancer.scheme, tier) {
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

/// The raw option settings of both layers, the environment's winning, and where each was
/// written (base first, then the environment, as the checks report them).
fn merge_settings(p: &Pair<'_, BeanstalkLayer>) -> (RawSettings, Vec<At<()>>) {
    let mut settings = RawSettings::new();
    let mut written: Vec<At<()>> = Vec::new();
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
                written.push(At {
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
    (settings, written)
}

/// Raw settings must be in an Elastic Beanstalk namespace and must not set what a typed field
/// owns.
fn check_settings(cx: &mut Cx, written: &[At<()>]) {
    for at in written {
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
}

/// Values with `${…}` are references (`${backend.rds.endpoint}`): their syntax and attribute
/// are checked here; that the resource exists once the desired state is built (`spec::load`).
fn check_references(cx: &mut Cx, settings: &RawSettings, written: &[At<()>]) {
    for at in written {
        let Some((ns, opt)) = at
            .field
            .rsplit_once(".settings.")
            .and_then(|(_, rest)| rest.rsplit_once('.'))
        else {
            continue;
        };
        let Some(value) = settings.get(ns).and_then(|o| o.get(opt)) else {
            continue;
        };
        if !Template::wanted(value) {
            continue;
        }
        cx.remember(at);
        if let Err(e) = Template::parse(value) {
            cx.d.push(at.diag(e));
        }
    }
}

/// Text AWS would refuse in the environment's properties and secrets, before any call:
/// literal characters outside AWS's set (and references whose every value has one), literal
/// text over the 4,096 bytes, and secrets that are no ARN (`model::properties`). What a
/// reference resolves to is checked by the plan.
fn check_properties(cx: &mut Cx, path: &str, settings: &RawSettings, written: &[At<()>]) {
    use crate::model::properties::{
        MAX_BYTES, PROPERTIES, SECRETS, bytes, key_message, refused_in_key, refused_in_value,
        secret_problem, size_message, value_message,
    };
    let mut total = 0;
    let mut over: Option<At<()>> = None;
    let mut references = false;
    for ns in [PROPERTIES, SECRETS] {
        for (opt, value) in settings.get(ns).into_iter().flatten() {
            // Where the value that wins was written: the environment file's, when both are.
            let field = format!("{path}.settings.{ns}.{opt}");
            let Some(at) = written.iter().rev().find(|a| a.field == field) else {
                continue;
            };
            let Ok(template) = Template::parse(value) else {
                continue; // reported by `check_references`
            };
            let literal: String = template
                .pieces
                .iter()
                .filter_map(|piece| match piece {
                    Piece::Text(t) => Some(t.as_str()),
                    Piece::Attr { .. } => None,
                })
                .collect();
            if ns == SECRETS {
                if !Template::wanted(value)
                    && let Some(problem) = secret_problem(value)
                {
                    cx.d.push(at.diag(problem));
                }
                continue;
            }
            if let Some(c) = refused_in_key(opt) {
                cx.d.push(at.diag(key_message(c)));
            }
            if let Some(c) = refused_in_value(&literal) {
                cx.d.push(at.diag(value_message(&literal, c)));
            }
            refused_references(cx, at, &template);
            references |= template.refs().next().is_some();
            total += bytes(opt, &literal);
            if total > MAX_BYTES && over.is_none() {
                over = Some(at.clone());
            }
        }
    }
    if let Some(at) = over {
        let more = if references {
            ", and references add their values to that"
        } else {
            ""
        };
        cx.d.push(at.diag(format!("{}{more}", size_message(total))));
    }
}

/// References in a property whose every value AWS refuses (an RDS-managed secret's ARN).
fn refused_references(cx: &mut Cx, at: &At<()>, template: &Template) {
    use crate::model::properties::{SECRETS, refused_reference};
    for (target, attribute) in template.refs() {
        let Ref::Managed(target) = target else {
            continue;
        };
        if let Some(c) = refused_reference(target.kind, attribute) {
            cx.d.push(at.diag(format!(
                "`${{{target}.{attribute}}}` always holds `{c}` (RDS names its secrets \
                 `rds!db-…`), which Elastic Beanstalk does not allow in a property value; \
                 give the application the secret through {SECRETS} (its ARN, `:username` or \
                 `:password` for one key of it)"
            )));
        }
    }
}

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
    (
        "aws:autoscaling:launchconfiguration",
        "DisableDefaultEC2SecurityGroup",
        "security_groups",
    ),
    (
        "aws:elbv2:loadbalancer",
        "ManagedSecurityGroup",
        "load_balancer_security_groups",
    ),
];

// ---- desired state ---------------------------------------------------------------------------

pub(in crate::spec) fn desire(b: &mut Builder<'_>, stack: Stack, eb: &BeanstalkSpec) {
    let app = addr(stack, Kind::BeanstalkApp);
    b.add(
        app.clone(),
        Attrs::BeanstalkApp(BeanstalkAppAttrs {
            name: eb.application.clone(),
            description: format!("{} {stack} ({})", b.spec.project, b.spec.env),
        }),
    );
    let settings = option_settings(eb);
    let egress = egress_edges(b, eb);
    b.add(
        env_address(stack),
        Attrs::BeanstalkEnv(BeanstalkEnvAttrs {
            name: eb.environment.clone(),
            application: Ref::Managed(app),
            // A branch is resolved by the plan (`plan::platforms`), against what AWS lists.
            solution_stack: match &eb.platform {
                Platform::Pinned(stack) => stack.clone(),
                Platform::Branch(_) => String::new(),
            },
            tier: Tier::WebServer,
            cname_prefix: eb.cname_prefix.clone(),
            settings,
        }),
    )
    .extra_deps
    .extend(egress);
}

/// Instances in private subnets reach the Beanstalk service only through the NAT gateway and the
/// private route table's default route ("Without VPC endpoints, your VPC must have access to the
/// internet", https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/vpc.html): an environment
/// launched before them never becomes healthy. Deletes run the other way: the environment goes first.
fn egress_edges(b: &Builder<'_>, eb: &BeanstalkSpec) -> BTreeSet<Address> {
    let net = &b.spec.network;
    let private = eb
        .instance_subnets
        .iter()
        .any(|s| net.subnets.get(s).map(|s| s.tier) == Some(SubnetTier::Private));
    if !private {
        return BTreeSet::new();
    }
    [
        nat_gateway(net),
        Address::named(Stack::Shared, Kind::RouteTable, PRIVATE_ROUTES),
    ]
    .into()
}

/// The option settings the typed fields stand for, then the raw ones.
fn option_settings(eb: &BeanstalkSpec) -> OptionSettings {
    let mut settings: OptionSettings = BTreeMap::new();
    let mut set = |ns: &str, opt: &str, v: SettingValue| put(&mut settings, ns, opt, v);
    set(
        "aws:ec2:instances",
        "InstanceTypes",
        text(&eb.instance_type),
    );
    set(
        "aws:autoscaling:asg",
        "MinSize",
        text(&eb.min_instances.to_string()),
    );
    set(
        "aws:autoscaling:asg",
        "MaxSize",
        text(&eb.max_instances.to_string()),
    );
    set("aws:ec2:vpc", "VPCId", SettingValue::Refs(vec![vpc()]));
    set("aws:ec2:vpc", "Subnets", refs(&eb.instance_subnets, subnet));
    set(
        "aws:autoscaling:launchconfiguration",
        "SecurityGroups",
        refs(&eb.security_groups, group),
    );
    if !eb.security_groups.is_empty() {
        // The instances take the spec's groups only, not an `awseb-…` one Beanstalk would add
        // (and list in `SecurityGroups`, a diff on every plan).
        set(
            "aws:autoscaling:launchconfiguration",
            "DisableDefaultEC2SecurityGroup",
            text("true"),
        );
    }
    match eb.load_balancer {
        LoadBalancer::Application => load_balancer_settings(eb, &mut settings),
        LoadBalancer::None => set(
            "aws:elasticbeanstalk:environment",
            "EnvironmentType",
            text("SingleInstance"),
        ),
    }
    for (ns, options) in &eb.settings {
        for (opt, v) in options {
            put(&mut settings, ns, opt, raw_value(v));
        }
    }
    settings
}

/// The settings of a load-balanced environment's application load balancer.
fn load_balancer_settings(eb: &BeanstalkSpec, settings: &mut OptionSettings) {
    let mut set = |ns: &str, opt: &str, v: SettingValue| put(settings, ns, opt, v);
    set(
        "aws:elasticbeanstalk:environment",
        "EnvironmentType",
        text("LoadBalanced"),
    );
    set(
        "aws:elasticbeanstalk:environment",
        "LoadBalancerType",
        text("application"),
    );
    set(
        "aws:ec2:vpc",
        "ELBSubnets",
        refs(&eb.load_balancer_subnets, subnet),
    );
    let scheme = match eb.load_balancer_scheme {
        Scheme::Public => "public",
        Scheme::Internal => "internal",
    };
    set("aws:ec2:vpc", "ELBScheme", text(scheme));
    // The Beanstalk listener options for HTTPS on an ALB (developer guide, "Configuring
    // HTTPS for an Application Load Balancer": aws:elbv2:listener:443).
    if let Some(arn) = &eb.https_certificate_arn {
        let https = "aws:elbv2:listener:443";
        set(https, "ListenerEnabled", text("true"));
        set(https, "Protocol", text("HTTPS"));
        set(https, "SSLCertificateArns", text(arn));
    }
    if let Some(first) = eb.load_balancer_security_groups.first() {
        set(
            "aws:elbv2:loadbalancer",
            "SecurityGroups",
            refs(&eb.load_balancer_security_groups, group),
        );
        // The ALB gets the spec's group instead of an `awseb-…` one Beanstalk would make.
        set(
            "aws:elbv2:loadbalancer",
            "ManagedSecurityGroup",
            refs(std::slice::from_ref(first), group),
        );
    }
}

fn put(settings: &mut OptionSettings, ns: &str, opt: &str, v: SettingValue) {
    settings
        .entry(ns.to_owned())
        .or_default()
        .insert(opt.to_owned(), v);
}

/// A raw setting: text, or a template the plan resolves (validated by `check_references`).
fn raw_value(v: &str) -> SettingValue {
    match Template::parse(v) {
        Ok(template) if Template::wanted(v) => SettingValue::Template(TemplateValue {
            template,
            resolved: None,
        }),
        Ok(_) | Err(_) => text(v),
    }
}

fn text(s: &str) -> SettingValue {
    SettingValue::Text(s.to_owned())
}

/// AWS keeps these lists as sets; sorted, they compare equal to what a read returns.
fn refs(names: &[String], f: fn(&str) -> Ref) -> SettingValue {
    let mut refs: Vec<Ref> = names.iter().map(|n| f(n)).collect();
    refs.sort_by_key(ToString::to_string);
    refs.dedup();
    SettingValue::Refs(refs)
}
/// The Beanstalk environment of `stack` (backend or console).
pub(crate) fn env_address(stack: Stack) -> Address {
    addr(stack, Kind::BeanstalkEnv)
}
