//! Golden-file tests of rendered plans (text, JSON and markdown) for the staging spec.
//!
//! Each scenario's output is compared byte for byte with `tests/golden/<name>.txt|json|md`.
//! After an intended change to the planner or the rendering, regenerate the files with
//!
//!     UPDATE_GOLDEN=1 cargo test --test it golden::
//!
//! and review the diff of `tests/golden/` like any other change before committing it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use provision::model::*;
use provision::plan::render::{Style, render_text};
use provision::plan::{self, Plan};

fn desired() -> DesiredState {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let loaded = provision::spec::load_one(&specs, "staging").expect("staging validates");
    let mut desired = provision::spec::desired::build(&loaded.spec);
    provision::cost::fill_budget_limits(&mut desired);
    // The platform branch resolves as against AWS's list, to its newest version.
    let available = ["64bit Amazon Linux 2023 v6.11.5 running Node.js 24".to_owned()];
    plan::platforms::resolve(
        &mut desired,
        &provision::spec::platform_branches(&loaded.spec),
        &LiveState::default(),
        &available,
        false,
    )
    .expect("the branch resolves");
    desired
}

fn a(s: &str) -> Address {
    s.parse().expect("valid address")
}

/// Physical ids that look like AWS's, so the output reads as it will for real.
fn fake_id(address: &Address) -> String {
    let prefix = match address.kind {
        Kind::Vpc => "vpc-",
        Kind::Subnet => "subnet-",
        Kind::InternetGateway => "igw-",
        Kind::ElasticIp => "eipalloc-",
        Kind::NatGateway => "nat-",
        Kind::RouteTable => "rtb-",
        Kind::SecurityGroup => "sg-",
        Kind::RestApi | Kind::ApiKey | Kind::UsagePlan | Kind::VpcLink => "",
        Kind::ApiIntegration => "integ-",
        Kind::ApiStage | Kind::DbInstance | Kind::DbSubnetGroup | Kind::BeanstalkApp => "",
        Kind::BeanstalkEnv => "e-",
        Kind::IamRole | Kind::InstanceProfile => "",
        Kind::AlarmTopic | Kind::AlarmSubscription | Kind::Alarm | Kind::Dashboard => "",
        Kind::Budget => "",
    };
    // Stable, distinct and short: a hash of the address.
    let mut h: u32 = 2_166_136_261;
    for b in address.to_string().bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(16_777_619);
    }
    match address.kind {
        Kind::ApiStage => "staging".into(),
        Kind::DbInstance => "agentpass-staging".into(),
        Kind::DbSubnetGroup => "agentpass-staging-subnets".into(),
        Kind::BeanstalkApp => format!("agentpass-{}-staging", address.stack),
        // IAM ids are the names base.toml gives.
        Kind::IamRole => match address.name.as_deref() {
            Some("service") => format!("agentpass-staging-{}-eb-service", address.stack),
            _ => format!("agentpass-staging-{}-ec2", address.stack),
        },
        Kind::InstanceProfile => format!("agentpass-staging-{}-ec2-profile", address.stack),
        // Topic and subscription ids are ARNs; alarm and dashboard ids the names base.toml gives.
        Kind::AlarmTopic => "arn:aws:sns:us-east-2:000000000000:agentpass-staging-alarms".into(),
        Kind::AlarmSubscription => {
            format!("arn:aws:sns:us-east-2:000000000000:agentpass-staging-alarms:{h:08x}")
        }
        Kind::Alarm => format!(
            "agentpass-staging-{}",
            address.name.as_deref().unwrap_or_default()
        ),
        Kind::Dashboard => "agentpass-staging".into(),
        Kind::Budget => "arn:aws:budgets::000000000000:budget/agentpass-staging-monthly".into(),
        _ => format!("{prefix}{h:08x}"),
    }
}

fn converged(d: &DesiredState) -> LiveState {
    LiveState {
        resources: d
            .resources
            .iter()
            .map(|(address, r)| {
                let live = LiveResource {
                    id: fake_id(address),
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

fn golden_path(name: &str, ext: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.{ext}"))
}

fn check(name: &str, ext: &str, actual: &str) {
    let path = golden_path(name, ext);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `UPDATE_GOLDEN=1 cargo test --test it golden::` to create it",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the rendered plan, first at line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             --- actual output ---\n{actual}\n\
             If the change is intended: UPDATE_GOLDEN=1 cargo test --test it golden::",
            path.display(),
            first + 1,
            expected.lines().nth(first).unwrap_or("<end of file>"),
            actual.lines().nth(first).unwrap_or("<end of output>"),
        );
    }
}

fn check_plan(name: &str, plan: &Plan) {
    check(name, "txt", &render_text(plan, "us-east-2", Style::plain()));
    let json = plan::render_json(plan, "us-east-2");
    // The JSON golden is also a valid plan document.
    let doc: serde_json::Value = serde_json::from_str(&json).expect("plan JSON parses");
    assert_eq!(doc["format_version"], plan::JSON_FORMAT_VERSION);
    check(name, "json", &json);
    let md = provision::markdown::plan::render(plan, "us-east-2", None);
    assert!(md.len() < provision::markdown::LIMIT);
    check(name, "md", &md);
}

fn plan_of(d: &DesiredState, live: &LiveState) -> Plan {
    plan::diff(d, live, &RecordedState::default()).expect("a plan")
}

#[test]
fn golden_create_everything() {
    let d = desired();
    let p = plan_of(&d, &LiveState::default());
    assert_eq!(p.summary().create, d.resources.len());
    check_plan("create_all", &p);
}

#[test]
fn golden_converged() {
    let d = desired();
    let p = plan_of(&d, &converged(&d));
    assert!(!p.has_changes());
    check_plan("noop", &p);
}

#[test]
fn golden_update_rule_and_tag() {
    let mut d = desired();
    // The spec opens 8443 on the public load balancer...
    let Attrs::SecurityGroup(sg) = &mut d
        .resources
        .get_mut(&a("shared.security_group.public-lb"))
        .unwrap()
        .attrs
    else {
        unreachable!()
    };
    sg.ingress.insert(Rule {
        protocol: Protocol::Tcp,
        ports: Some(PortRange {
            from: 8443,
            to: 8443,
        }),
        source: RuleSource::Cidr("0.0.0.0/0".parse().unwrap()),
        description: Some("HTTPS (alternate)".into()),
    });
    let mut live = converged(&desired());
    // ...and someone retagged the VPC by hand.
    live.resources
        .get_mut(&a("shared.vpc"))
        .unwrap()
        .tags
        .insert("Project".into(), "agentpass-old".into());
    let p = plan_of(&d, &live);
    assert_eq!(p.summary().update, 2);
    check_plan("update", &p);
}

#[test]
fn golden_replace_subnet_cidr() {
    let d = desired();
    let mut live = converged(&d);
    let Attrs::Subnet(s) = &mut live
        .resources
        .get_mut(&a("shared.subnet.public-a"))
        .unwrap()
        .attrs
    else {
        unreachable!()
    };
    s.cidr = "10.2.3.0/24".parse().unwrap();
    let p = plan_of(&d, &live);
    assert_eq!(p.summary().replace, 2);
    check_plan("replace", &p);
}

#[test]
fn golden_delete() {
    let d = desired();
    let mut live = converged(&d);
    // A group the spec no longer has, still referenced by a rule of another leftover group.
    let mut legacy = live.resources[&a("shared.security_group.rds")].clone();
    legacy.id = "sg-0legacy".into();
    if let Attrs::SecurityGroup(sg) = &mut legacy.attrs {
        sg.name = "agentpass-staging-legacy-ssh".into();
        sg.description = "SSH from the office".into();
        sg.ingress = [Rule {
            protocol: Protocol::Tcp,
            ports: Some(PortRange { from: 22, to: 22 }),
            source: RuleSource::Cidr("203.0.113.0/24".parse().unwrap()),
            description: Some("office".into()),
        }]
        .into();
    }
    legacy.tags.insert(
        TAG_ADDRESS.into(),
        "shared.security_group.legacy-ssh".into(),
    );
    live.resources
        .insert(a("shared.security_group.legacy-ssh"), legacy);
    let p = plan_of(&d, &live);
    assert_eq!(p.summary().delete, 1);
    check_plan("delete", &p);
}

/// The database replaced (its engine changed) and every other resource retagged by hand: the
/// markdown plan stays under GitHub's limit with the replacement at the top.
fn replace_db_touch_all() -> Plan {
    let mut d = desired();
    // The spec allows it (`allow_replace`), as it must for a database.
    d.resources
        .get_mut(&a("backend.rds"))
        .unwrap()
        .lifecycle
        .allow_replace = true;
    let mut live = converged(&d);
    for r in live.resources.values_mut() {
        r.tags.insert("Team".into(), "by-hand".into());
    }
    let Attrs::DbInstance(db) = &mut live.resources.get_mut(&a("backend.rds")).unwrap().attrs
    else {
        unreachable!()
    };
    db.engine = "mysql".into();
    let mut p = plan_of(&d, &live);
    let cx = plan::checks::Context {
        env: "staging",
        protected_env: false,
        confirmed: true,
        executing: false,
        now: time::OffsetDateTime::from_unix_timestamp(1796554800).unwrap(),
    };
    plan::checks::run(&mut p, &cx).expect("confirmed");
    p
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

#[test]
fn golden_markdown_replace_database_touch_everything() {
    let p = replace_db_touch_all();
    assert!(p.changes.iter().all(|c| c.action != plan::Action::NoOp));
    let md = provision::markdown::plan::render(
        &p,
        "us-east-2",
        Some("Monthly cost (estimate, prices of 2026-11-30): $127.43 -> $127.43 (0.00)\n"),
    );
    assert!(md.len() < provision::markdown::LIMIT, "{}", md.len());
    assert!(
        first_line(&md).starts_with("**Plan for `staging` (us-east-2): "),
        "{md}"
    );
    let replace = md
        .find("> - **replace** `backend.rds`")
        .expect("the replace is called out");
    assert!(replace < md.find("<details>").unwrap(), "{md}");
    assert!(
        md[replace..].lines().next().unwrap().contains(
            "**data at risk**: a final snapshot `agentpass-staging-final-staging-20261206110000`"
        ),
        "{md}"
    );
    assert!(md.contains("💰 Monthly cost (estimate"), "{md}");
    check("replace_db_touch_all", "md", &md);
}

#[test]
fn a_huge_plan_is_cut_under_the_limit_keeping_every_destructive_line() {
    let mut p = replace_db_touch_all();
    // Thousands of updated alarms (synthetic): far over the limit in detail.
    let alarm = p
        .changes
        .iter()
        .find(|c| c.address.kind == Kind::Alarm)
        .unwrap()
        .clone();
    for i in 0..3000 {
        let mut c = alarm.clone();
        c.address = a(&format!("backend.alarm.synthetic-{i:04}"));
        p.changes.push(c);
    }
    let deletes = p
        .changes
        .iter()
        .filter(|c| matches!(c.action, plan::Action::Replace | plan::Action::Delete))
        .count();
    let md = provision::markdown::plan::render(&p, "us-east-2", None);
    assert!(md.len() < provision::markdown::LIMIT, "{}", md.len());
    assert!(first_line(&md).contains("to update"), "{md}");
    assert!(md.find("> - **replace** `backend.rds`").unwrap() < md.find("<details>").unwrap());
    assert_eq!(
        md.matches("> - **replace** ").count() + md.matches("> - **delete** ").count(),
        deletes
    );
    let note = md.lines().last().unwrap();
    assert!(note.starts_with('_') && note.contains(" lines left out to stay under GitHub's 65,536-character comment limit; the whole result: `provision plan --env staging`"), "{note}");
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn golden_markdown_drift() {
    let d = desired();
    let mut live = converged(&d);
    let recorded = RecordedState {
        resources: live
            .resources
            .iter()
            .map(|(addr, r)| {
                let rec = RecordedResource {
                    id: r.id.clone(),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    depends_on: Default::default(),
                };
                (addr.clone(), rec)
            })
            .collect(),
    };
    live.resources.remove(&a("shared.security_group.rds"));
    live.resources
        .get_mut(&a("shared.vpc"))
        .unwrap()
        .tags
        .insert("Project".into(), "agentpass-old".into());
    let report = provision::drift::drift(&d, &live, &recorded);
    let md = provision::markdown::drift::render(&report, "us-east-2");
    assert!(
        first_line(&md).starts_with("**Drift for `staging` (us-east-2): 1 changed, 1 missing"),
        "{md}"
    );
    assert!(
        md.find("shared.security_group.rds").unwrap() < md.find("<details>").unwrap(),
        "{md}"
    );
    check("drift", "md", &md);
}
