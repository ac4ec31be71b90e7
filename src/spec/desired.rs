//! From a validated spec to the desired state: addresses, typed attributes, tags, edges.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::types::*;
use crate::model::*;

/// Well-known names inside the generated graph.
pub const PUBLIC_ROUTES: &str = "public";
pub const PRIVATE_ROUTES: &str = "private";

pub fn build(spec: &EnvSpec) -> DesiredState {
    let mut b = Builder {
        spec,
        out: BTreeMap::new(),
    };
    b.network();
    b.security_groups();
    b.api();
    b.database();
    b.beanstalk(Stack::Backend, &spec.backend);
    b.beanstalk(Stack::Console, &spec.console);
    for (address, fields) in &spec.ignore {
        if let Some(r) = address
            .parse()
            .ok()
            .and_then(|a: Address| b.out.get_mut(&a))
        {
            r.lifecycle.ignore = fields.clone();
        }
    }
    DesiredState {
        env: spec.env.clone(),
        region: spec.region.clone(),
        resources: b.out,
    }
}

fn addr(stack: Stack, kind: Kind) -> Address {
    Address::single(stack, kind)
}

fn named(stack: Stack, kind: Kind, name: &str) -> Ref {
    Ref::Managed(Address::named(stack, kind, name))
}

fn subnet(name: &str) -> Ref {
    named(Stack::Shared, Kind::Subnet, name)
}

fn group(name: &str) -> Ref {
    named(Stack::Shared, Kind::SecurityGroup, name)
}

fn vpc() -> Ref {
    Ref::Managed(addr(Stack::Shared, Kind::Vpc))
}

struct Builder<'a> {
    spec: &'a EnvSpec,
    out: BTreeMap<Address, DesiredResource>,
}

impl Builder<'_> {
    fn tags(&self, address: &Address) -> Tags {
        let mut tags = self.spec.tags.clone();
        // Shared resources are the environment's; others also name their stack (both stacks
        // have a Beanstalk application and environment).
        let mut name = match address.stack {
            Stack::Shared => format!("{}-{}-{}", self.spec.project, self.spec.env, address.kind),
            Stack::Backend | Stack::Console => {
                format!(
                    "{}-{}-{}-{}",
                    self.spec.project, self.spec.env, address.stack, address.kind
                )
            }
        };
        if let Some(n) = &address.name {
            name = format!("{name}-{n}");
        }
        tags.insert("Name".into(), name);
        tags.insert("Environment".into(), self.spec.env.clone());
        tags.insert(TAG_PROJECT.into(), self.spec.project.clone());
        tags.insert(TAG_ENV.into(), self.spec.env.clone());
        tags.insert(TAG_STACK.into(), address.stack.to_string());
        tags.insert(TAG_ADDRESS.into(), address.to_string());
        tags
    }

    fn add(&mut self, address: Address, attrs: Attrs) -> &mut DesiredResource {
        let tags = self.tags(&address);
        let r = DesiredResource {
            attrs,
            tags,
            extra_deps: BTreeSet::new(),
            lifecycle: Lifecycle::default(),
        };
        self.out.entry(address).or_insert(r)
    }

    fn network(&mut self) {
        let net = &self.spec.network;
        let s = Stack::Shared;
        self.add(
            addr(s, Kind::Vpc),
            Attrs::Vpc(VpcAttrs {
                cidr: net.vpc_cidr,
                dns_hostnames: net.dns_hostnames,
                dns_support: net.dns_support,
            }),
        );
        for (name, sn) in &net.subnets {
            self.add(
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
        self.add(
            igw.clone(),
            Attrs::InternetGateway(InternetGatewayAttrs { vpc: vpc() }),
        );

        let eip = format!("nat-{}", net.nat_subnet);
        self.add(
            Address::named(s, Kind::ElasticIp, &eip),
            Attrs::ElasticIp(ElasticIpAttrs {}),
        );
        let nat = Address::named(s, Kind::NatGateway, &net.nat_subnet);
        self.add(
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
            self.add(
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

    fn security_groups(&mut self) {
        let spec = self.spec;
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
        for (name, sg) in &spec.security_groups {
            let egress = sg
                .egress
                .as_deref()
                .map_or_else(|| [Rule::allow_all_egress()].into(), rules);
            self.add(
                Address::named(Stack::Shared, Kind::SecurityGroup, name),
                Attrs::SecurityGroup(SecurityGroupAttrs {
                    vpc: vpc(),
                    name: format!("{}-{}-{name}", spec.project, spec.env),
                    description: sg.description.clone(),
                    ingress: rules(&sg.ingress),
                    egress,
                }),
            );
        }
    }

    fn api(&mut self) {
        let api = &self.spec.api;
        let api_ref = Ref::Managed(addr(Stack::Shared, Kind::RestApi));
        let rest = RestApiAttrs {
            name: api.name.clone(),
            description: api.description.clone(),
            endpoint_type: api.endpoint_type,
            api_key_required: api.api_key_required,
        };
        let integration = ApiIntegrationAttrs {
            api: api_ref.clone(),
            integration_type: api.integration,
            target: Ref::Managed(addr(Stack::Backend, Kind::BeanstalkEnv)),
            vpc_link_id: api.vpc_link_id.clone(),
            timeout_ms: api.timeout_ms,
        };
        let definition_hash = definition_hash(&rest, &integration);
        self.add(addr(Stack::Shared, Kind::RestApi), Attrs::RestApi(rest));
        self.add(
            addr(Stack::Shared, Kind::ApiKey),
            Attrs::ApiKey(ApiKeyAttrs {
                name: api.api_key_name.clone(),
                enabled: true,
            }),
        );
        let integration_addr = addr(Stack::Backend, Kind::ApiIntegration);
        self.add(integration_addr.clone(), Attrs::ApiIntegration(integration));
        self.add(
            addr(Stack::Backend, Kind::ApiStage),
            Attrs::ApiStage(ApiStageAttrs {
                api: api_ref.clone(),
                stage_name: self.spec.env.clone(),
                definition_hash,
            }),
        )
        // A deployment snapshots the integration, so it must exist first.
        .extra_deps
        .insert(integration_addr);
        self.add(
            addr(Stack::Backend, Kind::UsagePlan),
            Attrs::UsagePlan(UsagePlanAttrs {
                name: format!("{}-{}", api.name, "usage"),
                api: api_ref,
                stage: Ref::Managed(addr(Stack::Backend, Kind::ApiStage)),
                api_key: Ref::Managed(addr(Stack::Shared, Kind::ApiKey)),
                rate_limit: api.rate_limit,
                burst_limit: api.burst_limit,
                quota_per_day: api.quota_per_day,
            }),
        );
    }

    fn database(&mut self) {
        let db = &self.spec.database;
        let group_addr = addr(Stack::Backend, Kind::DbSubnetGroup);
        self.add(
            group_addr.clone(),
            Attrs::DbSubnetGroup(DbSubnetGroupAttrs {
                name: format!("{}-subnets", db.identifier),
                description: format!("{} database subnets ({})", self.spec.project, self.spec.env),
                vpc: vpc(),
                subnets: db.subnets.iter().map(|s| subnet(s)).collect(),
            }),
        );
        let r = self.add(
            addr(Stack::Backend, Kind::DbInstance),
            Attrs::DbInstance(DbInstanceAttrs {
                identifier: db.identifier.clone(),
                engine: db.engine.as_str().to_owned(),
                engine_version: db.engine_version.clone(),
                instance_class: db.instance_class.clone(),
                storage_type: db.storage_type,
                allocated_storage_gb: db.allocated_storage_gb,
                backup_retention_days: db.backup_retention_days,
                multi_az: db.multi_az,
                publicly_accessible: false,
                deletion_protection: db.deletion_protection,
                db_name: db.db_name.clone(),
                master_username: db.master_username.clone(),
                master_password: db.master_password.clone(),
                subnet_group: Ref::Managed(group_addr),
                security_groups: db.security_groups.iter().map(|g| group(g)).collect(),
            }),
        );
        r.lifecycle = Lifecycle {
            allow_replace: db.allow_replace,
            apply_immediately: db.apply_immediately,
            ignore: Vec::new(),
        };
    }

    fn beanstalk(&mut self, stack: Stack, eb: &BeanstalkSpec) {
        let app = addr(stack, Kind::BeanstalkApp);
        self.add(
            app.clone(),
            Attrs::BeanstalkApp(BeanstalkAppAttrs {
                name: eb.application.clone(),
                description: format!("{} {stack} ({})", self.spec.project, self.spec.env),
            }),
        );
        let mut settings: OptionSettings = BTreeMap::new();
        let mut set = |ns: &str, opt: &str, v: SettingValue| {
            settings
                .entry(ns.to_owned())
                .or_default()
                .insert(opt.to_owned(), v);
        };
        let text = |s: &str| SettingValue::Text(s.to_owned());
        // AWS keeps these lists as sets; sorted, they compare equal to what a read returns.
        let refs = |names: &[String], f: fn(&str) -> Ref| {
            let mut refs: Vec<Ref> = names.iter().map(|n| f(n)).collect();
            refs.sort_by_key(ToString::to_string);
            refs.dedup();
            SettingValue::Refs(refs)
        };
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
        match eb.load_balancer {
            LoadBalancer::Application => {
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
                if !eb.load_balancer_security_groups.is_empty() {
                    set(
                        "aws:elbv2:loadbalancer",
                        "SecurityGroups",
                        refs(&eb.load_balancer_security_groups, group),
                    );
                }
            }
            LoadBalancer::None => set(
                "aws:elasticbeanstalk:environment",
                "EnvironmentType",
                text("SingleInstance"),
            ),
        }
        for (ns, options) in &eb.settings {
            for (opt, v) in options {
                set(ns, opt, text(v));
            }
        }
        self.add(
            addr(stack, Kind::BeanstalkEnv),
            Attrs::BeanstalkEnv(BeanstalkEnvAttrs {
                name: eb.environment.clone(),
                application: Ref::Managed(app),
                solution_stack: eb.solution_stack.clone(),
                tier: Tier::WebServer,
                cname_prefix: eb.cname_prefix.clone(),
                settings,
            }),
        );
    }
}

/// Hash of what a deployment of the API serves; a change means a new deployment.
pub fn definition_hash(rest: &RestApiAttrs, integration: &ApiIntegrationAttrs) -> String {
    let json = serde_json::to_vec(&(rest, integration)).expect("attributes serialise");
    hex(&Sha256::digest(json)[..8])
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
