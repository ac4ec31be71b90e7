//! The shared network end to end against LocalStack: apply, converge, change, destroy, crash,
//! and concurrent runs. Each test runs in its own LocalStack account.

use crate::support;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::{Account, assert_ok, text};
use provision::model::{Attrs, Kind, Protocol, RuleSource, TAG_ADDRESS, TAG_ENV, TAG_STACK};

const NETWORK: usize = 16; // vpc, 4 subnets, igw, eip, nat, 2 route tables, 6 security groups
// Monitoring: the alarm topic, staging's e-mail subscription, the API's two alarms, the NAT
// gateway's alarm, the dashboard and the budget.
const MONITORING: usize = 7;
const SHARED: usize = NETWORK + 2 + MONITORING; // and the REST API with its key

fn mutating(out: &std::process::Output) -> u64 {
    support::output::totals(out).mutating
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_network_applies_converges_and_destroys_without_touching_production() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();

    // Production's network in the same account must survive staging's destroy.
    assert_ok(&acct.apply_stack(d, "production", "shared"));
    let out = acct.apply_stack(d, "staging", "shared");
    assert_ok(&out);
    assert!(
        text(&out).contains(&format!("Apply complete: {SHARED} created")),
        "{}",
        text(&out)
    );

    // Exactly the spec's resources, with the right attributes and tags.
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    // A read by tags finds everything, the dashboard by the marker in its body.
    assert_eq!(
        live.resources.len(),
        SHARED,
        "{:#?}",
        live.resources.keys().collect::<Vec<_>>()
    );
    // The e-mail subscription takes no tags (it is its topic's).
    for (address, r) in live
        .resources
        .iter()
        .filter(|(a, _)| a.kind != Kind::AlarmSubscription)
    {
        assert_eq!(r.tags.get(TAG_ENV).map(String::as_str), Some("staging"));
        assert_eq!(r.tags.get(TAG_STACK).map(String::as_str), Some("shared"));
        assert_eq!(r.tags.get(TAG_ADDRESS), Some(&address.to_string()));
        // The dashboard's marker carries the ownership tags only.
        if address.kind != Kind::Dashboard {
            assert_eq!(r.tags.get("Project").map(String::as_str), Some("agentpass"));
        }
    }
    let by_kind = |k: Kind| live.resources.iter().filter(move |(a, _)| a.kind == k);
    let Attrs::Vpc(vpc) = &live.resources[&"shared.vpc".parse().unwrap()].attrs else {
        panic!()
    };
    assert_eq!(vpc.cidr.to_string(), "10.2.0.0/16");
    assert!(vpc.dns_hostnames && vpc.dns_support);
    let subnets: BTreeMap<String, String> = by_kind(Kind::Subnet)
        .map(|(a, r)| match &r.attrs {
            Attrs::Subnet(s) => (a.to_string(), format!("{} {}", s.cidr, s.availability_zone)),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(subnets["shared.subnet.public-a"], "10.2.1.0/24 us-east-2a");
    assert_eq!(
        subnets["shared.subnet.private-b"],
        "10.2.11.0/24 us-east-2b"
    );
    let Attrs::SecurityGroup(rds) =
        &live.resources[&"shared.security_group.rds".parse().unwrap()].attrs
    else {
        panic!()
    };
    let rule = rds.ingress.iter().next().unwrap();
    assert_eq!(
        (rule.protocol, rule.ports.unwrap().from),
        (Protocol::Tcp, 5432)
    );
    assert!(
        matches!(&rule.source, RuleSource::Group(g) if g.to_string() == "shared.security_group.backend-app")
    );
    assert!(
        rds.egress.is_empty(),
        "the rds group's default egress rule was revoked"
    );

    // Converged: plan shows nothing, a second apply makes no mutating call at all.
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(text(&plan).contains("No changes"));
    let again = acct.apply_stack(d, "staging", "shared");
    assert_ok(&again);
    assert_eq!(mutating(&again), 0, "{}", text(&again));

    // The snapshot records every physical id.
    let state = acct.provision(
        d,
        &["state", "show", "--env", "staging", "--stack", "shared"],
    );
    assert_ok(&state);
    for r in live.resources.values() {
        assert!(
            text(&state).contains(&r.id),
            "{} missing from state:\n{}",
            r.id,
            text(&state)
        );
    }

    // Destroy leaves nothing tagged for staging, and production untouched.
    assert_ok(&acct.destroy(d, "staging", &["--stack", "shared"]));
    assert!(
        aws.read(&support::owner("staging"))
            .await
            .unwrap()
            .resources
            .is_empty()
    );
    assert_eq!(
        aws.read(&support::owner("production"))
            .await
            .unwrap()
            .resources
            .len(),
        // Production subscribes no e-mail address.
        SHARED - 1
    );
    let state = acct.provision(
        d,
        &["state", "list", "--env", "staging", "--stack", "shared"],
    );
    assert!(text(&state).contains("0 resources"), "{}", text(&state));
}

#[tokio::test(flavor = "multi_thread")]
async fn spec_changes_update_in_place_or_replace() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));

    // An extra ingress rule and a changed tag: in-place updates.
    let base = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap();
    let spec = spec.replace(
        r#"{ protocol = "tcp", ports = 5432, group = "backend-app", description = "PostgreSQL from the backend" },"#,
        r#"{ protocol = "tcp", ports = 5432, group = "backend-app", description = "PostgreSQL from the backend" },
  { protocol = "tcp", ports = 5432, cidr = "10.2.99.0/24", description = "bastion" },"#,
    );
    let spec = spec.replace(
        r#"ManagedBy = "provision""#,
        r#"ManagedBy = "provision"
Team = "platform""#,
    );
    std::fs::write(&base, spec).unwrap();
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    let t = text(&plan);
    assert!(t.contains("~ shared.security_group.rds"), "{t}");
    assert!(t.contains("+ tcp 5432 10.2.99.0/24 (bastion)"), "{t}");
    assert!(
        t.contains(&format!(
            "0 to create, {} to update, 0 to replace, 0 to delete",
            // A new tag on all but the e-mail subscription and the dashboard (they take none).
            SHARED - 2
        )),
        "{t}"
    );
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let live = acct
        .aws()
        .await
        .read(&support::owner("staging"))
        .await
        .unwrap();
    assert!(
        live.resources
            .iter()
            .filter(|(a, _)| !matches!(a.kind, Kind::AlarmSubscription | Kind::Dashboard))
            .all(|(_, r)| r.tags.get("Team").map(String::as_str) == Some("platform"))
    );
    let Attrs::SecurityGroup(rds) =
        &live.resources[&"shared.security_group.rds".parse().unwrap()].attrs
    else {
        panic!()
    };
    assert_eq!(rds.ingress.len(), 2);
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // A changed subnet CIDR cannot change in place: replace, and what sits in it follows.
    let env = d.join("specs/staging.toml");
    let spec = std::fs::read_to_string(&env)
        .unwrap()
        .replace("10.2.1.0/24", "10.2.3.0/24");
    std::fs::write(&env, spec).unwrap();
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    let t = text(&plan);
    assert!(t.contains("-/+ shared.subnet.public-a"), "{t}");
    assert!(t.contains("forced by cidr"), "{t}");
    assert!(t.contains("-/+ shared.nat_gateway.public-a"), "{t}");
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_apply_is_finished_by_the_next_without_duplicates() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let killed = acct
        .command(
            d,
            &[
                "apply",
                "--env",
                "staging",
                "--stack",
                "shared",
                "--auto-approve",
            ],
        )
        .env("PROVISION_TEST_ABORT_AFTER_MUTATIONS", "12")
        .output()
        .unwrap();
    assert!(
        !killed.status.success(),
        "the hook should have aborted the run:\n{}",
        text(&killed)
    );

    // The dead run's lock is still there: the next run names it and stops.
    let blocked = acct.apply_stack(d, "staging", "shared");
    assert_eq!(blocked.status.code(), Some(1));
    assert!(text(&blocked).contains("locked"), "{}", text(&blocked));
    let refused = acct.provision(
        d,
        &["state", "unlock", "--env", "staging", "--stack", "shared"],
    );
    assert!(
        !refused.status.success(),
        "a fresh lock needs --force:\n{}",
        text(&refused)
    );
    assert_ok(&acct.provision(
        d,
        &[
            "state", "unlock", "--env", "staging", "--stack", "shared", "--force",
        ],
    ));

    let out = acct.apply_stack(d, "staging", "shared");
    assert_ok(&out);
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    // Everything, the dashboard by the marker in its body.
    assert_eq!(live.resources.len(), SHARED);
    // No duplicates: one VPC, four subnets in the whole account carry staging's tags.
    let vpcs = aws
        .ec2
        .describe_vpcs()
        .filters(provision::aws::ec2_read::env_filter("staging"))
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    let subnets = aws
        .ec2
        .describe_subnets()
        .filters(provision::aws::ec2_read::env_filter("staging"))
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 4);
    let state = acct.provision(
        d,
        &["state", "show", "--env", "staging", "--stack", "shared"],
    );
    for r in live.resources.values() {
        assert!(
            text(&state).contains(&r.id),
            "{} missing from state:\n{}",
            r.id,
            text(&state)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_concurrent_apply_fails_at_once_naming_the_holder() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let mut first = acct
        .command(
            d,
            &[
                "apply",
                "--env",
                "staging",
                "--stack",
                "shared",
                "--auto-approve",
            ],
        )
        .env("PROVISION_TEST_HOLD_LOCK_MS", "8000")
        .spawn()
        .unwrap();
    // Wait until the first run holds its lock (no fixed sleep: CI machines are slow at times).
    let aws = acct.aws().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while aws
        .s3
        .head_object()
        .bucket(acct.bucket())
        .key("shared/staging/lock.json")
        .send()
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never took its lock"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = acct.apply_stack(d, "staging", "shared");
    // It failed rather than waited: the first still runs, holding its lock for 8 s (no
    // wall-clock bound, which a loaded machine breaks).
    assert!(
        first.try_wait().unwrap().is_none(),
        "the second run must fail while the first holds its lock, not wait for it"
    );
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let t = text(&second);
    assert!(
        t.contains("locked") && t.contains(&format!("pid {}", first.id())),
        "{t}"
    );
    let first = first.wait_with_output().unwrap();
    assert_ok(&first);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vpc_held_by_a_hand_made_subnet_names_it_and_destroy_fails_cleanly() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared", "--auto-approve"];
    assert_ok(&acct.provision(d, &[&["apply"][..], &scope].concat()));
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let vpc = &live.resources[&"shared.vpc".parse().unwrap()].id;
    let subnet = support::hand_subnet(&aws, vpc, "10.2.200.0/24", "us-east-2a").await;

    // A short deadline: the subnet would hold the VPC for ever.
    let out = acct
        .command(d, &[&["destroy"][..], &scope].concat())
        .env("PROVISION_DEPENDENCY_TIMEOUT", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("DeleteVpc failed: DependencyViolation"), "{t}");
    assert!(
        t.contains(&format!("subnet {subnet}")),
        "the error must name the hand-made subnet:\n{t}"
    );
    // Everything else went, and state says so: only the VPC is left.
    let state = acct.provision(
        d,
        &["state", "show", "--env", "staging", "--stack", "shared"],
    );
    assert!(text(&state).contains(", 1 resources,"), "{}", text(&state));

    // Remove the hand-made subnet and the destroy finishes.
    aws.ec2
        .delete_subnet()
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap();
    assert_ok(&acct.provision(d, &[&["destroy"][..], &scope].concat()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_whose_only_change_is_its_description_is_updated_in_place() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared"];
    assert_ok(&acct.provision(d, &[&["apply"][..], &scope, &["--auto-approve"]].concat()));
    let base = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap().replace(
        "cidr = \"0.0.0.0/0\", description = \"HTTPS\"",
        "cidr = \"0.0.0.0/0\", description = \"HTTPS, TLS 1.2+\"",
    );
    std::fs::write(&base, spec).unwrap();
    let out = acct.provision(
        d,
        &[&["apply"][..], &scope, &["--auto-approve", "--stats"]].concat(),
    );
    assert_ok(&out);
    let t = text(&out);
    assert!(
        t.contains("UpdateSecurityGroupRuleDescriptionsIngress"),
        "{t}"
    );
    assert!(
        !t.contains("RevokeSecurityGroupIngress"),
        "nothing may be revoked:\n{t}"
    );

    let live = acct
        .aws()
        .await
        .read(&support::owner("staging"))
        .await
        .unwrap();
    let address = "shared.security_group.public-lb".parse().unwrap();
    let Attrs::SecurityGroup(lb) = &live.resources[&address].attrs else {
        panic!()
    };
    let rules: Vec<String> = lb.ingress.iter().map(ToString::to_string).collect();
    assert_eq!(
        rules,
        [
            "tcp 80 0.0.0.0/0 (HTTP)",
            "tcp 443 0.0.0.0/0 (HTTPS, TLS 1.2+)"
        ]
    );
    let plan = acct.provision(d, &[&["plan"][..], &scope].concat());
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_carrying_the_same_ownership_tags_stops_the_plan_and_is_drift() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared"];
    assert_ok(&acct.provision(d, &[&["apply"][..], &scope, &["--auto-approve"]].concat()));
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let original = &live.resources[&"shared.security_group.rds".parse().unwrap()];
    // A copy with the very same tags, made outside provision.
    let mut spec = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup);
    for (k, v) in &original.tags {
        spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
    }
    let Attrs::SecurityGroup(sg) = &original.attrs else {
        panic!()
    };
    let vpc = &live.resources[&"shared.vpc".parse().unwrap()].id;
    let copy = aws
        .ec2
        .create_security_group()
        .group_name(format!("{}-copy", sg.name))
        .description("copy")
        .vpc_id(vpc)
        .tag_specifications(spec.build())
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();

    let plan = acct.provision(d, &[&["plan"][..], &scope].concat());
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    let t = text(&plan);
    assert!(
        t.contains("shared.security_group.rds")
            && t.contains("also carries this address's ownership tags"),
        "{t}"
    );
    let drift = acct.provision(d, &[&["drift"][..], &scope].concat());
    assert_eq!(drift.status.code(), Some(2), "{}", text(&drift));
    assert!(
        text(&drift)
            .contains("a second resource carries shared.security_group.rds's ownership tags"),
        "{}",
        text(&drift)
    );

    aws.ec2
        .delete_security_group()
        .group_id(&copy)
        .send()
        .await
        .unwrap();
    let plan = acct.provision(d, &[&["plan"][..], &scope].concat());
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}
