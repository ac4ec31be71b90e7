//! Planner tests on the real staging spec. Live state starts as the desired state itself (a
//! converged environment) and each test mutates one side.

use std::path::Path;

use serde_json::json;

use super::*;

fn desired() -> DesiredState {
    let loaded = crate::spec::load_one(Path::new("specs"), "staging").expect("staging validates");
    crate::spec::desired::build(&loaded.spec)
}

fn a(s: &str) -> Address {
    s.parse().expect("valid address")
}

fn id_of(address: &Address) -> String {
    format!("id-{address}")
}

/// AWS exactly as the spec asks: nothing to do.
fn converged(d: &DesiredState) -> LiveState {
    LiveState {
        resources: d
            .resources
            .iter()
            .map(|(address, r)| {
                let live = LiveResource {
                    id: id_of(address),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    pending: BTreeMap::new(),
                };
                (address.clone(), live)
            })
            .collect(),
        ..Default::default()
    }
}

/// The snapshot a clean apply of `d` would have written.
fn recorded(d: &DesiredState) -> RecordedState {
    RecordedState {
        resources: d
            .resources
            .iter()
            .map(|(address, r)| {
                let rec = RecordedResource {
                    id: id_of(address),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    depends_on: r.depends_on(address),
                };
                (address.clone(), rec)
            })
            .collect(),
    }
}

fn live_mut<'a>(live: &'a mut LiveState, address: &str) -> &'a mut LiveResource {
    live.resources
        .get_mut(&a(address))
        .unwrap_or_else(|| panic!("{address} is live"))
}

fn desired_mut<'a>(d: &'a mut DesiredState, address: &str) -> &'a mut DesiredResource {
    d.resources
        .get_mut(&a(address))
        .unwrap_or_else(|| panic!("{address} is desired"))
}

fn plan(d: &DesiredState, live: &LiveState) -> Plan {
    diff(d, live, &RecordedState::default()).expect("a plan")
}

fn change<'a>(plan: &'a Plan, address: &str) -> &'a Change {
    plan.changes
        .iter()
        .find(|c| c.address == a(address))
        .unwrap_or_else(|| panic!("{address} is in the plan"))
}

/// Every change except the listed ones is a no-op.
fn assert_only_changes(plan: &Plan, expected: &[&str]) {
    let changed: BTreeSet<String> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| c.address.to_string())
        .collect();
    let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(changed, expected, "resources with changes");
}

macro_rules! attrs {
    ($r:expr, $variant:ident) => {
        match &mut $r.attrs {
            Attrs::$variant(x) => x,
            other => panic!("expected {}, got {:?}", stringify!($variant), other.kind()),
        }
    };
}

/// One address of every kind, in the staging spec.
const ONE_OF_EACH: [(&str, Kind); 22] = [
    ("shared.vpc", Kind::Vpc),
    ("shared.subnet.public-a", Kind::Subnet),
    ("shared.internet_gateway", Kind::InternetGateway),
    ("shared.eip.nat-public-a", Kind::ElasticIp),
    ("shared.nat_gateway.public-a", Kind::NatGateway),
    ("shared.route_table.private", Kind::RouteTable),
    ("shared.security_group.public-lb", Kind::SecurityGroup),
    ("shared.api", Kind::RestApi),
    ("shared.api_key", Kind::ApiKey),
    ("backend.vpc_link", Kind::VpcLink),
    ("backend.api_integration", Kind::ApiIntegration),
    ("backend.api_stage", Kind::ApiStage),
    ("backend.usage_plan", Kind::UsagePlan),
    ("backend.db_subnet_group", Kind::DbSubnetGroup),
    ("backend.rds", Kind::DbInstance),
    ("backend.beanstalk_app", Kind::BeanstalkApp),
    ("console.beanstalk", Kind::BeanstalkEnv),
    ("shared.alarm_topic", Kind::AlarmTopic),
    (
        "shared.alarm_subscription.ops-staging-example-com",
        Kind::AlarmSubscription,
    ),
    ("backend.alarm.db-cpu", Kind::Alarm),
    ("shared.dashboard", Kind::Dashboard),
    ("shared.budget", Kind::Budget),
];

#[test]
fn the_fixture_has_every_kind() {
    let d = desired();
    let kinds: BTreeSet<Kind> = d.resources.keys().map(|a| a.kind).collect();
    assert_eq!(kinds, Kind::ALL.into_iter().collect());
    for (address, kind) in ONE_OF_EACH {
        assert_eq!(a(address).kind, kind);
        assert!(d.resources.contains_key(&a(address)), "{address}");
    }
}

// ---- no-op ------------------------------------------------------------------------------------

#[test]
fn converged_is_all_noop_for_every_kind() {
    let d = desired();
    let p = plan(&d, &converged(&d));
    assert_eq!(p.changes.len(), d.resources.len());
    assert!(!p.has_changes());
    for c in &p.changes {
        assert_eq!(c.action, Action::NoOp, "{}", c.address);
        assert!(c.fields.is_empty(), "{}: {:?}", c.address, c.fields);
        assert_eq!(c.id.as_deref(), Some(id_of(&c.address).as_str()));
        assert_eq!(c.reason, None);
    }
    let kinds: BTreeSet<Kind> = p.changes.iter().map(|c| c.address.kind).collect();
    assert_eq!(kinds.len(), Kind::ALL.len());
    assert_eq!(p.summary().no_op, d.resources.len());
}

#[test]
fn converged_with_a_matching_snapshot_is_all_noop() {
    let d = desired();
    let p = diff(&d, &converged(&d), &recorded(&d)).unwrap();
    assert!(!p.has_changes());
}

// ---- create -----------------------------------------------------------------------------------

#[test]
fn missing_from_aws_is_create_for_every_kind() {
    let d = desired();
    for (address, _) in ONE_OF_EACH {
        let mut live = converged(&d);
        live.resources.remove(&a(address));
        let p = plan(&d, &live);
        assert_only_changes(&p, &[address]);
        let c = change(&p, address);
        let want = &d.resources[&a(address)];
        assert_eq!(c.action, Action::Create, "{address}");
        assert_eq!(c.id, None, "{address}");
        assert_eq!(c.before, None, "{address}");
        assert_eq!(c.after.as_ref(), Some(&want.attrs), "{address}");
        assert_eq!(c.tags.as_ref(), Some(&want.tags), "{address}");
        assert_eq!(c.depends_on, want.depends_on(&a(address)), "{address}");
        assert_eq!(c.reason, None, "{address}");
    }
}

#[test]
fn recorded_but_gone_from_aws_is_create_with_a_reason() {
    let d = desired();
    let mut live = converged(&d);
    live.resources.remove(&a("shared.nat_gateway.public-a"));
    let p = diff(&d, &live, &recorded(&d)).unwrap();
    let c = change(&p, "shared.nat_gateway.public-a");
    assert_eq!(c.action, Action::Create);
    assert_eq!(
        c.reason.as_ref().map(ToString::to_string).as_deref(),
        Some(
            "recorded as id-shared.nat_gateway.public-a but gone from AWS (deleted outside provision)"
        )
    );
}

#[test]
fn creates_are_levelled_parent_first() {
    let d = desired();
    let p = plan(&d, &LiveState::default());
    assert_eq!(p.summary().create, d.resources.len());
    let level = |s: &str| change(&p, s).level;
    for c in &p.changes {
        assert_eq!(c.action, Action::Create);
        for dep in &c.depends_on {
            assert!(
                level(&dep.to_string()) < c.level,
                "{} (level {}) must come after {dep} (level {})",
                c.address,
                c.level,
                level(&dep.to_string())
            );
        }
    }
    assert_eq!(level("shared.vpc"), 0);
    assert_eq!(level("shared.api"), 0);
    assert_eq!(level("shared.subnet.public-a"), 1);
    // Not a reference, an ordering edge: the NAT gateway needs the internet gateway attached.
    assert!(
        change(&p, "shared.nat_gateway.public-a")
            .depends_on
            .contains(&a("shared.internet_gateway"))
    );
    assert!(level("shared.nat_gateway.public-a") > level("shared.internet_gateway"));
    assert!(level("shared.route_table.private") > level("shared.nat_gateway.public-a"));
    assert!(level("backend.rds") > level("backend.db_subnet_group"));
    assert!(level("backend.db_subnet_group") > level("shared.subnet.private-a"));
    // The stage's deployment snapshots the integration, which needs the backend environment.
    assert!(level("backend.api_stage") > level("backend.api_integration"));
    assert!(level("backend.api_integration") > level("backend.beanstalk"));
    assert!(level("backend.usage_plan") > level("backend.api_stage"));
}

#[test]
fn beanstalk_in_private_subnets_starts_after_the_nat_gateway_and_private_routes() {
    let d = desired();
    let p = plan(&d, &LiveState::default());
    let level = |s: &str| change(&p, s).level;
    for env in ["backend.beanstalk", "console.beanstalk"] {
        let c = change(&p, env);
        for egress in ["shared.nat_gateway.public-a", "shared.route_table.private"] {
            assert!(c.depends_on.contains(&a(egress)), "{env} after {egress}");
            assert!(level(env) > level(egress), "{env} after {egress}");
        }
    }
    // Destroy runs the other way: the environments go before the NAT gateway and the routes.
    let none = DesiredState {
        resources: BTreeMap::new(),
        ..d.clone()
    };
    let p = diff(&none, &converged(&d), &recorded(&d)).unwrap();
    let level = |s: &str| change(&p, s).level;
    assert!(level("backend.beanstalk") > level("shared.nat_gateway.public-a"));
    assert!(level("console.beanstalk") > level("shared.route_table.private"));

    // Instances in public subnets need neither.
    let mut spec = crate::spec::load_one(Path::new("specs"), "staging")
        .unwrap()
        .spec;
    spec.backend.instance_subnets = vec!["public-a".into(), "public-b".into()];
    let d = crate::spec::desired::build(&spec);
    let eb = &d.resources[&a("backend.beanstalk")];
    assert!(!eb.extra_deps.contains(&a("shared.nat_gateway.public-a")));
}

// ---- update -----------------------------------------------------------------------------------

type Mutation = fn(&mut LiveResource);

type Drift = (&'static str, Mutation, &'static str, serde_json::Value);

/// Per kind: a drift in a field that can change in place, the field, and its live value.
fn in_place_drifts() -> Vec<Drift> {
    let mut all = network_in_place_drifts();
    all.extend(service_in_place_drifts());
    all.extend(monitoring_in_place_drifts());
    all
}

/// The shared stack's network kinds.
fn network_in_place_drifts() -> Vec<Drift> {
    vec![
        (
            "shared.vpc",
            |r| attrs!(r, Vpc).dns_hostnames = false,
            "dns_hostnames",
            json!(false),
        ),
        (
            "shared.subnet.public-a",
            |r| attrs!(r, Subnet).public_ip_on_launch = false,
            "public_ip_on_launch",
            json!(false),
        ),
        (
            "shared.internet_gateway",
            |r| {
                r.tags.insert("Project".into(), "old".into());
            },
            "tags.Project",
            json!("old"),
        ),
        (
            "shared.eip.nat-public-a",
            |r| {
                r.tags.remove("ManagedBy");
            },
            "tags.ManagedBy",
            json!(null),
        ),
        (
            "shared.nat_gateway.public-a",
            |r| {
                r.tags.insert("Name".into(), "renamed".into());
            },
            "tags.Name",
            json!("renamed"),
        ),
        (
            "shared.route_table.private",
            |r| {
                attrs!(r, RouteTable)
                    .subnets
                    .remove(&Ref::Managed(a("shared.subnet.private-b")));
            },
            "subnets",
            json!(["shared.subnet.private-a"]),
        ),
        (
            "shared.security_group.public-lb",
            |r| {
                attrs!(r, SecurityGroup)
                    .ingress
                    .retain(|rule| rule.description.as_deref() == Some("HTTP"))
            },
            "ingress",
            json!([{"protocol": "tcp", "ports": {"from": 80, "to": 80}, "source": {"cidr": "0.0.0.0/0"}, "description": "HTTP"}]),
        ),
    ]
}

/// API Gateway, the database and Beanstalk.
fn service_in_place_drifts() -> Vec<Drift> {
    vec![
        (
            "shared.api",
            |r| attrs!(r, RestApi).description = "old".into(),
            "description",
            json!("old"),
        ),
        (
            "shared.api_key",
            |r| attrs!(r, ApiKey).enabled = false,
            "enabled",
            json!(false),
        ),
        (
            // Nothing else of a VPC link changes in place.
            "backend.vpc_link",
            |r| {
                r.tags.insert("Project".into(), "old".into());
            },
            "tags.Project",
            json!("old"),
        ),
        (
            "backend.api_integration",
            |r| attrs!(r, ApiIntegration).timeout_ms = 10_000,
            "timeout_ms",
            json!(10_000),
        ),
        (
            "backend.api_stage",
            |r| attrs!(r, ApiStage).definition_hash = "0000".into(),
            "definition_hash",
            json!("0000"),
        ),
        (
            "backend.usage_plan",
            |r| attrs!(r, UsagePlan).rate_limit = 50,
            "rate_limit",
            json!(50),
        ),
        (
            "backend.db_subnet_group",
            |r| attrs!(r, DbSubnetGroup).description = "old".into(),
            "description",
            json!("old"),
        ),
        (
            "backend.rds",
            |r| attrs!(r, DbInstance).backup_retention_days = 1,
            "backup_retention_days",
            json!(1),
        ),
        (
            "backend.beanstalk_app",
            |r| attrs!(r, BeanstalkApp).description = "old".into(),
            "description",
            json!("old"),
        ),
        (
            "console.beanstalk",
            |r| {
                attrs!(r, BeanstalkEnv)
                    .settings
                    .get_mut("aws:ec2:instances")
                    .unwrap()
                    .insert(
                        "InstanceTypes".into(),
                        SettingValue::Text("t3.small".into()),
                    );
            },
            "settings.aws:ec2:instances.InstanceTypes",
            json!("t3.small"),
        ),
        (
            "backend.iam_role.service",
            |r| attrs!(r, IamRole).trust_policy = "{}".into(),
            "trust_policy",
            json!("{}"),
        ),
        (
            "console.instance_profile",
            |r| attrs!(r, InstanceProfile).role = Ref::External("other-role".into()),
            "role",
            json!("other-role"),
        ),
    ]
}

/// The monitoring kinds.
fn monitoring_in_place_drifts() -> Vec<Drift> {
    vec![
        (
            // Nothing else of a topic changes in place.
            "shared.alarm_topic",
            |r| {
                r.tags.insert("Project".into(), "old".into());
            },
            "tags.Project",
            json!("old"),
        ),
        (
            "backend.alarm.db-cpu",
            |r| attrs!(r, Alarm).threshold = Threshold(95.0),
            "threshold",
            json!(95.0),
        ),
        (
            "shared.dashboard",
            |r| attrs!(r, Dashboard).region = "eu-west-1".into(),
            "region",
            json!("eu-west-1"),
        ),
        (
            "shared.budget",
            |r| attrs!(r, Budget).limit_usd = "999".into(),
            "limit_usd",
            json!("999"),
        ),
        (
            "shared.alarm_topic",
            |r| attrs!(r, AlarmTopic).policy = "{}".into(),
            "policy",
            json!("{}"),
        ),
    ]
}

/// Kinds with nothing mutable: no attribute changes in place and AWS takes no tags on them.
const NEVER_UPDATED: [Kind; 1] = [Kind::AlarmSubscription];

#[test]
fn in_place_drift_is_update_with_before_and_after_for_every_kind() {
    let d = desired();
    let cases = in_place_drifts();
    let kinds: BTreeSet<Kind> = cases
        .iter()
        .map(|(s, ..)| a(s).kind)
        .chain(NEVER_UPDATED)
        .collect();
    assert_eq!(kinds.len(), Kind::ALL.len(), "every kind has a case");
    for (address, mutate, field, before) in cases {
        let mut live = converged(&d);
        mutate(live_mut(&mut live, address));
        let want = flatten_resource(
            &d.resources[&a(address)].attrs,
            &d.resources[&a(address)].tags,
        );
        let p = plan(&d, &live);
        if address == "backend.api_integration" {
            // Putting the integration back needs a deployment to reach clients.
            assert_only_changes(&p, &[address, "backend.api_stage"]);
        } else {
            assert_only_changes(&p, &[address]);
        }
        let c = change(&p, address);
        assert_eq!(c.action, Action::Update, "{address}");
        assert_eq!(
            c.fields,
            vec![FieldChange {
                field: field.into(),
                before,
                after: want.get(field).cloned().unwrap_or(Value::Null),
                forces_replacement: false,
            }],
            "{address}"
        );
        assert_eq!(c.id, Some(id_of(&a(address))), "{address}");
        assert_eq!(c.before.as_ref(), Some(&live.resources[&a(address)].attrs));
        assert_eq!(c.after.as_ref(), Some(&d.resources[&a(address)].attrs));
    }
}

#[test]
fn several_fields_are_listed_in_field_order() {
    let d = desired();
    let mut live = converged(&d);
    let r = live_mut(&mut live, "backend.rds");
    let db = attrs!(r, DbInstance);
    db.instance_class = "db.t3.small".into();
    db.backup_retention_days = 1;
    db.multi_az = true;
    let p = plan(&d, &live);
    let c = change(&p, "backend.rds");
    assert_eq!(c.action, Action::Update);
    let fields: Vec<(String, &Value, &Value)> = c
        .fields
        .iter()
        .map(|f| (f.field.to_string(), &f.before, &f.after))
        .collect();
    assert_eq!(
        fields,
        [
            ("backup_retention_days", &json!(1), &json!(3)),
            (
                "instance_class",
                &json!("db.t3.small"),
                &json!("db.t3.micro")
            ),
            ("multi_az", &json!(true), &json!(false)),
        ]
        .map(|(f, b, a)| (f.to_owned(), b, a))
    );
}

// ---- replace ----------------------------------------------------------------------------------

/// Per kind that has one: a drift in a field that cannot change in place, and the live value.
fn immutable_drifts() -> Vec<(&'static str, Mutation, &'static str, serde_json::Value)> {
    vec![
        (
            "shared.vpc",
            |r| attrs!(r, Vpc).cidr = "10.9.0.0/16".parse().unwrap(),
            "cidr",
            json!("10.9.0.0/16"),
        ),
        (
            "shared.subnet.private-b",
            |r| attrs!(r, Subnet).availability_zone = "us-east-2c".into(),
            "availability_zone",
            json!("us-east-2c"),
        ),
        (
            "shared.internet_gateway",
            |r| attrs!(r, InternetGateway).vpc = Ref::External("vpc-0ther".into()),
            "vpc",
            json!("vpc-0ther"),
        ),
        (
            "shared.nat_gateway.public-a",
            |r| attrs!(r, NatGateway).elastic_ip = Ref::External("eipalloc-0ther".into()),
            "elastic_ip",
            json!("eipalloc-0ther"),
        ),
        (
            "shared.route_table.public",
            |r| attrs!(r, RouteTable).vpc = Ref::External("vpc-0ther".into()),
            "vpc",
            json!("vpc-0ther"),
        ),
        (
            "shared.security_group.rds",
            |r| attrs!(r, SecurityGroup).description = "old".into(),
            "description",
            json!("old"),
        ),
        (
            "backend.vpc_link",
            |r| attrs!(r, VpcLink).subnets = vec![Ref::External("subnet-0ther".into())],
            "subnets",
            json!(["subnet-0ther"]),
        ),
        (
            "backend.api_integration",
            |r| attrs!(r, ApiIntegration).api = Ref::External("0therapi".into()),
            "api",
            json!("0therapi"),
        ),
        (
            "backend.api_stage",
            |r| attrs!(r, ApiStage).stage_name = "prod".into(),
            "stage_name",
            json!("prod"),
        ),
        (
            "backend.usage_plan",
            |r| attrs!(r, UsagePlan).api = Ref::External("0therapi".into()),
            "api",
            json!("0therapi"),
        ),
        (
            "backend.db_subnet_group",
            |r| attrs!(r, DbSubnetGroup).name = "old-subnets".into(),
            "name",
            json!("old-subnets"),
        ),
        (
            "backend.rds",
            |r| attrs!(r, DbInstance).engine = "mysql".into(),
            "engine",
            json!("mysql"),
        ),
        (
            "backend.beanstalk_app",
            |r| attrs!(r, BeanstalkApp).name = "old-app".into(),
            "name",
            json!("old-app"),
        ),
        (
            "console.beanstalk",
            |r| attrs!(r, BeanstalkEnv).cname_prefix = Some("old-prefix".into()),
            "cname_prefix",
            json!("old-prefix"),
        ),
        (
            "backend.iam_role.instance",
            |r| attrs!(r, IamRole).name = "old-role".into(),
            "name",
            json!("old-role"),
        ),
        (
            "backend.instance_profile",
            |r| attrs!(r, InstanceProfile).name = "old-profile".into(),
            "name",
            json!("old-profile"),
        ),
    ]
}

/// The monitoring kinds: every name is immutable.
fn monitoring_immutable_drifts() -> Vec<(&'static str, Mutation, &'static str, serde_json::Value)> {
    vec![
        (
            "shared.alarm_topic",
            |r| attrs!(r, AlarmTopic).name = "old-alarms".into(),
            "name",
            json!("old-alarms"),
        ),
        (
            "shared.alarm_subscription.ops-staging-example-com",
            |r| attrs!(r, AlarmSubscription).endpoint = "old@example.com".into(),
            "endpoint",
            json!("old@example.com"),
        ),
        (
            "backend.alarm.db-cpu",
            |r| attrs!(r, Alarm).name = "old-alarm".into(),
            "name",
            json!("old-alarm"),
        ),
        (
            "shared.dashboard",
            |r| attrs!(r, Dashboard).name = "old-dashboard".into(),
            "name",
            json!("old-dashboard"),
        ),
        (
            "shared.budget",
            |r| attrs!(r, Budget).name = "old-budget".into(),
            "name",
            json!("old-budget"),
        ),
    ]
}

/// Kinds with nothing immutable: every attribute changes in place, so only a tag or attribute
/// update can happen to them (they are never replaced).
const NEVER_REPLACED: [Kind; 3] = [Kind::ElasticIp, Kind::RestApi, Kind::ApiKey];

#[test]
fn immutable_drift_is_replace_naming_the_forcing_field_for_every_kind() {
    let mut d = desired();
    // Replacing the database is refused unless the spec allows it (tested below).
    desired_mut(&mut d, "backend.rds").lifecycle.allow_replace = true;
    let mut cases = immutable_drifts();
    cases.extend(monitoring_immutable_drifts());
    let kinds: BTreeSet<Kind> = cases
        .iter()
        .map(|(s, ..)| a(s).kind)
        .chain(NEVER_REPLACED)
        .collect();
    assert_eq!(kinds.len(), Kind::ALL.len(), "every kind has a case");
    for (address, mutate, field, before) in cases {
        let mut live = converged(&d);
        mutate(live_mut(&mut live, address));
        let want = flatten_resource(
            &d.resources[&a(address)].attrs,
            &d.resources[&a(address)].tags,
        );
        let p = match diff(&d, &live, &recorded(&d)) {
            Ok(p) => p,
            // AWS cannot delete a group in use: replacing a group (directly, or because its VPC
            // is replaced) while the database uses it is refused, naming the user.
            Err(err) => {
                assert!(
                    matches!(a(address).kind, Kind::SecurityGroup | Kind::Vpc),
                    "{address}: {err}"
                );
                // A replaced VPC forces the groups out through their `vpc` field.
                let forcing = if a(address).kind == Kind::Vpc {
                    "vpc"
                } else {
                    field
                };
                assert!(
                    err.0.iter().all(
                        |e| matches!(e, PlanError::ReplaceInUse { fields, users, .. }
                        if fields == &[forcing.to_owned()] && users.contains(&a("backend.rds")))
                    ),
                    "{err}"
                );
                continue;
            }
        };
        let c = change(&p, address);
        assert_eq!(c.action, Action::Replace, "{address}");
        assert_eq!(
            c.fields,
            vec![FieldChange {
                field: field.into(),
                before,
                after: want[field].clone(),
                forces_replacement: true,
            }],
            "{address}"
        );
        assert_eq!(c.id, Some(id_of(&a(address))), "{address}");
        let text =
            crate::plan::render::render_text(&p, "us-east-2", crate::plan::render::Style::plain());
        assert!(
            text.contains(&format!(
                "{address} ({}): replace, forced by {field}",
                id_of(&a(address))
            )),
            "{text}"
        );
    }
}

#[test]
fn kinds_without_immutable_fields_update_whatever_changes() {
    let d = desired();
    for kind in NEVER_REPLACED {
        assert!(kind.describe().immutable.is_empty(), "{kind}");
    }
    let mut live = converged(&d);
    let api = attrs!(live_mut(&mut live, "shared.api"), RestApi);
    api.name = "renamed".into();
    api.endpoint_type = EndpointType::Edge;
    api.api_key_required = false;
    let key = attrs!(live_mut(&mut live, "shared.api_key"), ApiKey);
    key.name = "renamed".into();
    key.enabled = false;
    live_mut(&mut live, "shared.eip.nat-public-a")
        .tags
        .insert("Extra".into(), "1".into());
    let p = plan(&d, &live);
    assert_only_changes(
        &p,
        &["shared.api", "shared.api_key", "shared.eip.nat-public-a"],
    );
    for address in ["shared.api", "shared.api_key", "shared.eip.nat-public-a"] {
        let c = change(&p, address);
        assert_eq!(c.action, Action::Update, "{address}");
        assert!(c.fields.iter().all(|f| !f.forces_replacement), "{address}");
    }
    assert_eq!(change(&p, "shared.api").fields.len(), 3);
    assert_eq!(change(&p, "shared.api_key").fields.len(), 2);
}

#[test]
fn a_replaced_subnet_cascades_to_its_nat_gateway_and_route_table() {
    let d = desired();
    let mut live = converged(&d);
    attrs!(live_mut(&mut live, "shared.subnet.public-a"), Subnet).cidr =
        "10.2.3.0/24".parse().unwrap();
    let p = plan(&d, &live);
    assert_only_changes(
        &p,
        &[
            "shared.subnet.public-a",
            "shared.nat_gateway.public-a",
            "shared.route_table.public",
            "shared.route_table.private",
            "console.beanstalk",
            // Both watch the NAT gateway by its id: they follow the new one.
            "shared.alarm.nat-port-allocation",
            "shared.dashboard",
        ],
    );
    for watcher in ["shared.alarm.nat-port-allocation", "shared.dashboard"] {
        assert_eq!(change(&p, watcher).action, Action::Update, "{watcher}");
    }

    let subnet = change(&p, "shared.subnet.public-a");
    assert_eq!(subnet.action, Action::Replace);
    assert_eq!(subnet.fields.len(), 1);
    assert_eq!(subnet.fields[0].field, "cidr");

    // The NAT gateway lives in the subnet: it cannot move, so it is replaced too.
    let nat = change(&p, "shared.nat_gateway.public-a");
    assert_eq!(nat.action, Action::Replace);
    assert_eq!(
        nat.reason.as_ref().map(ToString::to_string).as_deref(),
        Some("shared.subnet.public-a is replaced")
    );
    assert_eq!(
        nat.fields,
        vec![FieldChange {
            field: "subnet".into(),
            before: json!("shared.subnet.public-a"),
            after: json!("(new id of shared.subnet.public-a)"),
            forces_replacement: true,
        }]
    );

    // The public route table stays and is re-associated with the new subnet.
    let public = change(&p, "shared.route_table.public");
    assert_eq!(public.action, Action::Update);
    assert_eq!(
        public.fields,
        vec![FieldChange {
            field: "subnets".into(),
            before: json!(["shared.subnet.public-a", "shared.subnet.public-b"]),
            after: json!([
                "(new id of shared.subnet.public-a)",
                "shared.subnet.public-b"
            ]),
            forces_replacement: false,
        }]
    );

    // The private route table's default route points at the new NAT gateway.
    let private = change(&p, "shared.route_table.private");
    assert_eq!(private.action, Action::Update);
    assert_eq!(
        private.reason.as_ref().map(ToString::to_string).as_deref(),
        Some("shared.nat_gateway.public-a is replaced")
    );
    assert_eq!(private.fields.len(), 1);
    assert_eq!(private.fields[0].field, "routes");
    assert_eq!(
        private.fields[0].after,
        json!([{"destination": "0.0.0.0/0", "target": "(new id of shared.nat_gateway.public-a)"}])
    );

    // The console's load balancer sits in the public subnets.
    let console = change(&p, "console.beanstalk");
    assert_eq!(console.action, Action::Update);
    assert_eq!(console.fields.len(), 1);
    assert_eq!(console.fields[0].field, "settings.aws:ec2:vpc.ELBSubnets");
}

#[test]
fn a_replaced_vpc_replaces_what_cannot_move() {
    let mut d = desired();
    let mut live = converged(&d);
    attrs!(live_mut(&mut live, "shared.vpc"), Vpc).cidr = "10.9.0.0/16".parse().unwrap();
    // The database would keep using the old groups, which AWS then cannot delete: refused.
    let err = diff(&d, &live, &recorded(&d)).unwrap_err();
    assert!(
        err.0.iter().any(|e| matches!(e, PlanError::ReplaceInUse { users, .. } if users.contains(&a("backend.rds")))),
        "{err}"
    );
    // Without the database, everything that cannot move is replaced.
    d.resources.remove(&a("backend.rds"));
    live.resources.remove(&a("backend.rds"));
    let p = plan(&d, &live);
    for address in [
        "shared.vpc",
        "shared.subnet.public-a",
        "shared.subnet.private-b",
        "shared.internet_gateway",
        "shared.nat_gateway.public-a",
        "shared.route_table.public",
        "shared.security_group.rds",
        "backend.db_subnet_group",
        "backend.beanstalk",
        "console.beanstalk",
    ] {
        assert_eq!(change(&p, address).action, Action::Replace, "{address}");
    }
    assert_eq!(change(&p, "shared.eip.nat-public-a").action, Action::NoOp);
    assert_eq!(change(&p, "shared.api").action, Action::NoOp);
}

// ---- delete -----------------------------------------------------------------------------------

#[test]
fn gone_from_the_spec_is_delete_for_every_kind() {
    let full = desired();
    for (address, _) in ONE_OF_EACH {
        let mut d = full.clone();
        d.resources.remove(&a(address));
        let live = converged(&full);
        let p = plan(&d, &live);
        let c = change(&p, address);
        assert_eq!(c.action, Action::Delete, "{address}");
        assert_eq!(c.id, Some(id_of(&a(address))), "{address}");
        match &live.resources[&a(address)].attrs {
            // Without a snapshot nothing says which settings were provision's: none are shown.
            Attrs::BeanstalkEnv(e) => {
                let Some(Attrs::BeanstalkEnv(shown)) = &c.before else {
                    panic!("{address}")
                };
                assert!(shown.settings.is_empty(), "{address}");
                assert_eq!(shown.name, e.name);
            }
            live_attrs => assert_eq!(c.before.as_ref(), Some(live_attrs)),
        }
        assert_eq!(c.after, None, "{address}");
        assert_eq!(c.tags, None, "{address}");
        let reason = c
            .reason
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        if address == "backend.rds" {
            // Staging's database is not protected: the plan says its data goes with it.
            assert_eq!(
                reason,
                "no longer in the spec; deletion protection is off: the data goes with it, no final snapshot"
            );
        } else {
            assert_eq!(reason, "no longer in the spec", "{address}");
        }
        // What still refers to it must go (or change) first.
        let referrers: BTreeSet<Address> = full
            .resources
            .iter()
            .filter(|(other, r)| {
                r.attrs.refs().contains(&&Ref::Managed(a(address))) && other.to_string() != address
            })
            .map(|(other, _)| other.clone())
            .collect();
        assert_eq!(c.depends_on, referrers, "{address}");
        assert_eq!(p.summary().delete, 1, "{address}");
    }
}

#[test]
fn deletes_wait_for_their_dependents() {
    let full = desired();
    let d = DesiredState {
        resources: BTreeMap::new(),
        ..full.clone()
    };
    let p = diff(&d, &converged(&full), &recorded(&full)).unwrap();
    assert_eq!(p.summary().delete, full.resources.len());
    let level = |s: &Address| change(&p, &s.to_string()).level;
    for c in &p.changes {
        assert_eq!(c.action, Action::Delete);
        for dependent in &c.depends_on {
            assert!(
                level(dependent) > c.level,
                "{dependent} must be deleted before {} (deletes run by descending level)",
                c.address
            );
        }
    }
    let vpc = change(&p, "shared.vpc");
    assert_eq!(vpc.level, 0);
    for address in [
        "shared.subnet.public-a",
        "shared.subnet.private-b",
        "shared.internet_gateway",
        "shared.route_table.public",
        "shared.security_group.rds",
        "backend.db_subnet_group",
        "backend.beanstalk",
        "console.beanstalk",
    ] {
        assert!(vpc.depends_on.contains(&a(address)), "{address}");
    }
    let subnet = change(&p, "shared.subnet.public-a");
    assert_eq!(
        subnet.depends_on,
        [
            a("shared.nat_gateway.public-a"),
            a("shared.route_table.public"),
            a("console.beanstalk"),
        ]
        .into()
    );
    // The internet gateway can only be detached once the NAT gateway (which holds a public
    // address in the VPC) is gone: an ordering edge that no attribute carries.
    let igw = change(&p, "shared.internet_gateway");
    assert!(
        igw.depends_on.contains(&a("shared.nat_gateway.public-a")),
        "{:?}",
        igw.depends_on
    );
    assert!(change(&p, "shared.nat_gateway.public-a").level > igw.level);
    // Child-first: the database goes before its subnet group, which goes before the subnets.
    assert!(level(&a("backend.rds")) > level(&a("backend.db_subnet_group")));
    assert!(level(&a("backend.db_subnet_group")) > level(&a("shared.subnet.private-a")));
}

#[test]
fn unmanaged_resource_in_aws_is_deleted() {
    let d = desired();
    let mut live = converged(&d);
    let mut legacy = live.resources[&a("shared.security_group.rds")].clone();
    legacy.id = "sg-legacy".into();
    attrs!(legacy, SecurityGroup).name = "legacy".into();
    live.resources
        .insert(a("shared.security_group.legacy"), legacy.clone());
    let p = plan(&d, &live);
    assert_only_changes(&p, &["shared.security_group.legacy"]);
    let c = change(&p, "shared.security_group.legacy");
    assert_eq!(c.action, Action::Delete);
    assert_eq!(c.id.as_deref(), Some("sg-legacy"));
    assert_eq!(c.before.as_ref(), Some(&legacy.attrs));
}

#[test]
fn recorded_but_gone_everywhere_is_dropped_from_state() {
    let d = desired();
    let mut rec = recorded(&d);
    let mut old = rec.resources[&a("shared.security_group.rds")].clone();
    old.id = "sg-gone".into();
    rec.resources
        .insert(a("shared.security_group.old"), old.clone());
    let p = diff(&d, &converged(&d), &rec).unwrap();
    assert_only_changes(&p, &["shared.security_group.old"]);
    let c = change(&p, "shared.security_group.old");
    // Forgotten, not deleted: whatever holds its id now is not touched.
    assert_eq!(c.action, Action::Forget);
    assert_eq!(c.id.as_deref(), Some("sg-gone"));
    assert_eq!(c.before.as_ref(), Some(&old.attrs));
    assert_eq!(
        c.reason.as_ref().map(ToString::to_string).as_deref(),
        Some("no longer in the spec and already gone from AWS; only dropped from state")
    );
}

// ---- RDS --------------------------------------------------------------------------------------

#[test]
fn rds_engine_change_is_refused_unless_replacement_is_allowed() {
    let d = desired();
    let mut live = converged(&d);
    attrs!(live_mut(&mut live, "backend.rds"), DbInstance).engine = "mysql".into();
    let err = diff(&d, &live, &RecordedState::default()).unwrap_err();
    assert_eq!(
        err.0,
        vec![PlanError::DestructiveReplace {
            address: a("backend.rds"),
            fields: vec!["engine".into()],
        }]
    );
    let msg = err.to_string();
    assert!(msg.contains("allow_replace = true"), "{msg}");
    assert!(
        msg.starts_with("backend.rds: changing engine forces replacement"),
        "{msg}"
    );

    let mut allowed = d.clone();
    desired_mut(&mut allowed, "backend.rds")
        .lifecycle
        .allow_replace = true;
    let p = plan(&allowed, &live);
    assert_eq!(change(&p, "backend.rds").action, Action::Replace);
}

#[test]
fn rds_identifier_change_is_refused_too() {
    let d = desired();
    let mut live = converged(&d);
    attrs!(live_mut(&mut live, "backend.rds"), DbInstance).identifier = "old".into();
    let err = diff(&d, &live, &RecordedState::default()).unwrap_err();
    assert!(matches!(
        &err.0[..],
        [PlanError::DestructiveReplace { fields, .. }] if fields == &["identifier".to_owned()]
    ));
}

#[test]
fn rds_storage_cannot_shrink() {
    let d = desired();
    let mut live = converged(&d);
    attrs!(live_mut(&mut live, "backend.rds"), DbInstance).allocated_storage_gb = 20;
    let err = diff(&d, &live, &RecordedState::default()).unwrap_err();
    assert_eq!(
        err.0,
        vec![PlanError::StorageShrink {
            address: a("backend.rds"),
            from: 20,
            to: 10,
        }]
    );
    assert!(err.to_string().contains("20 GiB -> 10 GiB"));

    // Growing is an ordinary update.
    attrs!(live_mut(&mut live, "backend.rds"), DbInstance).allocated_storage_gb = 5;
    let p = plan(&d, &live);
    let c = change(&p, "backend.rds");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.fields[0].field, "allocated_storage_gb");
    assert_eq!(
        (&c.fields[0].before, &c.fields[0].after),
        (&json!(5), &json!(10))
    );
}

#[test]
fn rds_storage_pending_growth_counts_for_the_shrink_check() {
    let d = desired();
    let mut live = converged(&d);
    live_mut(&mut live, "backend.rds")
        .pending
        .insert("allocated_storage_gb".into(), json!(30));
    let err = diff(&d, &live, &RecordedState::default()).unwrap_err();
    assert!(matches!(
        &err.0[..],
        [PlanError::StorageShrink {
            from: 30,
            to: 10,
            ..
        }]
    ));
}

#[test]
fn rds_errors_are_reported_together() {
    let d = desired();
    let mut live = converged(&d);
    let db = attrs!(live_mut(&mut live, "backend.rds"), DbInstance);
    db.engine = "mysql".into();
    db.allocated_storage_gb = 100;
    let err = diff(&d, &live, &RecordedState::default()).unwrap_err();
    assert_eq!(err.0.len(), 2, "{err}");
    assert_eq!(err.to_string().lines().count(), 2);
}

#[test]
fn rds_pending_values_count_as_reached() {
    let d = desired();
    let mut live = converged(&d);
    let r = live_mut(&mut live, "backend.rds");
    let db = attrs!(r, DbInstance);
    db.backup_retention_days = 1;
    db.instance_class = "db.t3.small".into();
    r.pending.insert("backup_retention_days".into(), json!(3));
    r.pending
        .insert("instance_class".into(), json!("db.t3.micro"));
    let p = plan(&d, &live);
    assert_eq!(change(&p, "backend.rds").action, Action::NoOp);

    // A pending value that is not the spec's is the value to change from.
    live_mut(&mut live, "backend.rds")
        .pending
        .insert("backup_retention_days".into(), json!(7));
    let p = plan(&d, &live);
    let c = change(&p, "backend.rds");
    assert_eq!(c.action, Action::Update);
    assert_eq!(
        c.fields,
        vec![FieldChange {
            field: "backup_retention_days".into(),
            before: json!(7),
            after: json!(3),
            forces_replacement: false,
        }]
    );
}

// ---- Beanstalk --------------------------------------------------------------------------------

fn set_option(r: &mut LiveResource, ns: &str, opt: &str, value: &str) {
    attrs!(r, BeanstalkEnv)
        .settings
        .entry(ns.into())
        .or_default()
        .insert(opt.into(), SettingValue::Text(value.into()));
}

#[test]
fn beanstalk_settings_the_spec_does_not_declare_are_ignored() {
    let d = desired();
    let mut live = converged(&d);
    let r = live_mut(&mut live, "backend.beanstalk");
    set_option(
        r,
        "aws:autoscaling:trigger",
        "MeasureName",
        "CPUUtilization",
    );
    set_option(
        r,
        "aws:elasticbeanstalk:environment:process:default",
        "Port",
        "80",
    );
    let p = diff(&d, &live, &recorded(&d)).unwrap();
    assert_eq!(change(&p, "backend.beanstalk").action, Action::NoOp);
}

#[test]
fn a_generated_cname_prefix_is_ignored_but_a_declared_one_is_compared() {
    let d = desired();
    let mut live = converged(&d);
    // The backend declares no prefix: whatever AWS generated is fine.
    let Attrs::BeanstalkEnv(backend) = &mut live_mut(&mut live, "backend.beanstalk").attrs else {
        panic!()
    };
    backend.cname_prefix = Some("agentpass-backend-staging-x7".into());
    // The console declares one: a different live prefix forces replacement.
    let Attrs::BeanstalkEnv(console) = &mut live_mut(&mut live, "console.beanstalk").attrs else {
        panic!()
    };
    console.cname_prefix = Some("somebody-else".into());
    let p = diff(&d, &live, &recorded(&d)).unwrap();
    assert_eq!(change(&p, "backend.beanstalk").action, Action::NoOp);
    assert_eq!(change(&p, "console.beanstalk").action, Action::Replace);
}

#[test]
fn beanstalk_settings_removed_from_the_spec_change_to_null() {
    let mut d = desired();
    // Last apply declared DEBUG=1; the spec no longer does; AWS still has it.
    let mut old = d.clone();
    set_option_desired(&mut old, "backend.beanstalk", "DEBUG", "1");
    let rec = recorded(&old);
    let mut live = converged(&old);
    let p = diff(&d, &live, &rec).unwrap();
    assert_only_changes(&p, &["backend.beanstalk"]);
    let c = change(&p, "backend.beanstalk");
    assert_eq!(c.action, Action::Update);
    assert_eq!(
        c.fields,
        vec![FieldChange {
            field: "settings.aws:elasticbeanstalk:application:environment.DEBUG".into(),
            before: json!("1"),
            after: Value::Null,
            forces_replacement: false,
        }]
    );

    // Once AWS has removed it there is nothing left to do.
    attrs!(live_mut(&mut live, "backend.beanstalk"), BeanstalkEnv)
        .settings
        .get_mut("aws:elasticbeanstalk:application:environment")
        .unwrap()
        .remove("DEBUG");
    let p = diff(&d, &live, &rec).unwrap();
    assert_eq!(change(&p, "backend.beanstalk").action, Action::NoOp);

    // Without the snapshot the planner cannot tell it from a default, and leaves it.
    let live = converged(&old);
    let p = diff(&d, &live, &RecordedState::default()).unwrap();
    assert_eq!(change(&p, "backend.beanstalk").action, Action::NoOp);

    // A declared setting missing from AWS is added.
    set_option_desired(&mut d, "backend.beanstalk", "LOG_LEVEL", "info");
    let p = diff(&d, &converged(&old), &rec).unwrap();
    let c = change(&p, "backend.beanstalk");
    let fields: Vec<(String, &Value, &Value)> = c
        .fields
        .iter()
        .map(|f| (f.field.to_string(), &f.before, &f.after))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "settings.aws:elasticbeanstalk:application:environment.DEBUG",
                &json!("1"),
                &Value::Null
            ),
            (
                "settings.aws:elasticbeanstalk:application:environment.LOG_LEVEL",
                &Value::Null,
                &json!("info")
            ),
        ]
        .map(|(f, b, a)| (f.to_owned(), b, a))
    );
}

fn set_option_desired(d: &mut DesiredState, address: &str, opt: &str, value: &str) {
    attrs!(desired_mut(d, address), BeanstalkEnv)
        .settings
        .entry("aws:elasticbeanstalk:application:environment".into())
        .or_default()
        .insert(opt.into(), SettingValue::Text(value.into()));
}

// ---- determinism ------------------------------------------------------------------------------

fn busy_scenario() -> (DesiredState, LiveState, RecordedState) {
    let d = desired();
    let rec = recorded(&d);
    let mut live = converged(&d);
    live.resources.remove(&a("backend.rds"));
    attrs!(live_mut(&mut live, "shared.subnet.public-a"), Subnet).cidr =
        "10.2.3.0/24".parse().unwrap();
    live_mut(&mut live, "shared.vpc")
        .tags
        .insert("Project".into(), "old".into());
    let mut legacy = live.resources[&a("shared.security_group.rds")].clone();
    legacy.id = "sg-legacy".into();
    live.resources
        .insert(a("shared.security_group.legacy"), legacy);
    (d, live, rec)
}

#[test]
fn same_input_gives_identical_output() {
    let (d1, l1, r1) = busy_scenario();
    let (d2, l2, r2) = busy_scenario();
    let p1 = diff(&d1, &l1, &r1).unwrap();
    let p2 = diff(&d2, &l2, &r2).unwrap();
    let s = p1.summary();
    assert_eq!((s.create, s.replace, s.delete), (1, 2, 1));
    assert!(s.update >= 3);
    let j1 = crate::plan::render_json(&p1, "us-east-2");
    assert_eq!(j1, crate::plan::render_json(&p2, "us-east-2"));
    // And again from the same values, to rule out state kept between calls.
    assert_eq!(
        j1,
        crate::plan::render_json(&diff(&d1, &l1, &r1).unwrap(), "us-east-2")
    );
    let style = crate::plan::render::Style::plain();
    assert_eq!(
        crate::plan::render::render_text(&p1, "us-east-2", style),
        crate::plan::render::render_text(&p2, "us-east-2", style)
    );
    // Changes come sorted by address.
    let addresses: Vec<&Address> = p1.changes.iter().map(|c| &c.address).collect();
    let mut sorted = addresses.clone();
    sorted.sort();
    assert_eq!(addresses, sorted);
}

#[test]
fn a_pending_entry_that_is_no_attribute_is_not_a_change() {
    let d = desired();
    let mut live = converged(&d);
    live_mut(&mut live, "backend.beanstalk")
        .pending
        .insert("status".into(), json!("Updating"));
    let p = diff(&d, &live, &recorded(&d)).unwrap();
    assert_eq!(change(&p, "backend.beanstalk").action, Action::NoOp);
}

#[test]
fn a_replaced_backend_environment_redeploys_the_stage() {
    let mut d = desired();
    let live = converged(&d);
    let Attrs::BeanstalkEnv(env) = &mut desired_mut(&mut d, "backend.beanstalk").attrs else {
        panic!()
    };
    env.name = "agentpass-backend-staging-2".into();
    let p = diff(&d, &live, &recorded(&d)).unwrap();
    assert_eq!(change(&p, "backend.beanstalk").action, Action::Replace);
    assert_eq!(change(&p, "backend.api_integration").action, Action::Update);
    let stage = change(&p, "backend.api_stage");
    assert_eq!(stage.action, Action::Update);
    assert!(
        stage.fields.iter().any(|f| f.field == "deployment"),
        "{stage:#?}"
    );
    // Nothing about the integration changes: the stage stays as it is.
    let p = diff(&desired(), &live, &recorded(&desired())).unwrap();
    assert_eq!(change(&p, "backend.api_stage").action, Action::NoOp);
}

#[test]
fn hand_set_beanstalk_settings_never_appear_in_a_plan() {
    let d = desired();
    let mut live = converged(&d);
    for address in ["backend.beanstalk", "console.beanstalk"] {
        set_option(
            live_mut(&mut live, address),
            "aws:elasticbeanstalk:application:environment",
            "DB_PASSWORD",
            "hunter2secret",
        );
    }
    // Converged, and the console environment removed from the spec: neither shows the value.
    let mut gone = d.clone();
    gone.resources.remove(&a("console.beanstalk"));
    let p = diff(&gone, &live, &recorded(&d)).unwrap();
    assert_eq!(change(&p, "backend.beanstalk").action, Action::NoOp);
    assert_eq!(change(&p, "console.beanstalk").action, Action::Delete);
    let json = serde_json::to_string(&p).unwrap();
    assert!(
        !json.contains("hunter2secret"),
        "a hand-set secret reached the plan"
    );
    assert!(
        json.contains("NODE_ENV"),
        "declared settings are still shown"
    );
}

#[test]
fn two_resources_under_one_address_stop_the_plan() {
    let d = desired();
    let mut live = converged(&d);
    live.duplicates.push(Duplicate {
        address: a("shared.vpc"),
        id: "vpc-copy".into(),
    });
    let err = diff(&d, &live, &recorded(&d)).unwrap_err();
    assert!(
        matches!(&err.0[..], [PlanError::Duplicate { address, id, .. }] if *address == a("shared.vpc") && id == "vpc-copy"),
        "{err}"
    );
}

/// The kind descriptions name real fields: each immutable path and each name attribute is a
/// field (or holds fields) of that kind in the staging spec, given the one optional field it
/// leaves out.
#[test]
fn kind_descriptions_name_fields_the_kinds_have() {
    let d = desired();
    for kind in Kind::ALL {
        let r = d
            .resources
            .iter()
            .find(|(a, _)| a.kind == kind)
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("staging has no {kind}"));
        let mut attrs = r.attrs.clone();
        if let Attrs::BeanstalkEnv(e) = &mut attrs {
            e.cname_prefix.get_or_insert_with(|| "prefix".into());
        }
        let fields = crate::model::field::flatten(&attrs, &r.tags);
        let described = kind.describe();
        let paths = described
            .immutable
            .iter()
            .chain(described.names.iter().map(|(_, f)| f));
        for path in paths {
            assert!(
                fields.keys().any(|f| f.is_under(path)),
                "{kind}: `{path}` is not one of its fields: {:?}",
                fields.keys().map(ToString::to_string).collect::<Vec<_>>()
            );
        }
    }
}

/// AWS refuses to change an environment's load balancer type ("LoadBalancer type option cannot
/// be changed."): a changed type is a replace, not an update that fails at apply.
#[test]
fn beanstalk_load_balancer_type_change_is_replace() {
    let d = desired();
    let mut live = converged(&d);
    attrs!(live_mut(&mut live, "console.beanstalk"), BeanstalkEnv)
        .settings
        .get_mut("aws:elasticbeanstalk:environment")
        .unwrap()
        .insert(
            "LoadBalancerType".into(),
            SettingValue::Text("network".into()),
        );
    let p = diff(&d, &live, &recorded(&d)).unwrap();
    let c = change(&p, "console.beanstalk");
    assert_eq!(c.action, Action::Replace);
    assert_eq!(
        c.fields,
        vec![FieldChange {
            field: "settings.aws:elasticbeanstalk:environment.LoadBalancerType".into(),
            before: json!("network"),
            after: json!("application"),
            forces_replacement: true,
        }]
    );
}

// ---- replacement order (issue 24) ---------------------------------------------------------------

#[test]
fn a_vpc_link_is_replaced_new_one_first() {
    let d = desired();
    let mut live = converged(&d);
    attrs!(live_mut(&mut live, "backend.vpc_link"), VpcLink).subnets =
        vec![Ref::External("subnet-old".into())];
    let p = plan(&d, &live);
    let link = change(&p, "backend.vpc_link");
    assert_eq!(link.action, Action::Replace);
    assert!(link.lifecycle.create_before_destroy, "{link:?}");
    // Nothing else is replaced, so nothing else is made first.
    for c in p
        .changes
        .iter()
        .filter(|c| c.address != a("backend.vpc_link"))
    {
        assert!(!c.lifecycle.create_before_destroy, "{}", c.address);
    }
    let text =
        crate::plan::render::render_text(&p, "us-east-2", crate::plan::render::Style::plain());
    assert!(
        text.contains("+/- backend.vpc_link") && text.contains("made before the old one"),
        "{text}"
    );
}

#[test]
fn a_replacement_whose_parent_goes_old_first_goes_old_first_too() {
    let d = desired();
    let live = converged(&d);
    let mut changes = plan(&d, &live).changes;
    for c in &mut changes {
        if ["shared.security_group.api-link", "backend.vpc_link"]
            .contains(&c.address.to_string().as_str())
        {
            c.action = Action::Replace;
        }
    }
    order_replacements(&mut changes);
    let link = changes
        .iter()
        .find(|c| c.address == a("backend.vpc_link"))
        .unwrap();
    // A group cannot be made beside its namesake in the VPC: it goes first, and the link
    // that needs the new group cannot be made before it.
    assert!(!link.lifecycle.create_before_destroy);
    assert!(changes.iter().all(|c| !c.lifecycle.create_before_destroy));
}
