//! `provision drift` end to end against LocalStack: silent after a clean apply (every resource
//! kind, staging and production), read-only (no mutating call, no lock, the converged plan's
//! call count), and each category — changed, missing, unmanaged, pending, spec ahead — found
//! from changes made by hand with the SDK; `apply` restores the spec; `[ignore]` and `--stack`.
//! Each test runs in its own LocalStack account.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::support::output::{Totals, totals};
use crate::support::{Account, assert_ok, edit, text};
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, Tag as Ec2Tag, TagSpecification};
use aws_sdk_elasticbeanstalk::types::{ConfigurationOptionSetting, EnvironmentStatus};
use provision::aws::Aws;
use provision::aws::stats::is_read_only;
use provision::model::{Kind, TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK};
use serde_json::{Value, json};

/// `drift --format json --stats` (plus `extra`): exit code, the document, and the whole output.
fn drift(acct: &Account, d: &Path, env: &str, extra: &[&str]) -> (i32, Value, Output) {
    let mut args = vec!["drift", "--env", env, "--format", "json", "--stats"];
    args.extend_from_slice(extra);
    let out = acct.provision(d, &args);
    let code = out.status.code().expect("exit code");
    assert!(
        matches!(code, 0 | 2),
        "drift failed ({code}):\n{}",
        text(&out)
    );
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("drift JSON: {e}\n{}", text(&out)));
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["env"], env);
    assert_eq!(doc["region"], support::REGION);
    assert_eq!(
        doc["drift"],
        json!(code == 2),
        "exit code and `drift` agree"
    );
    (code, doc, out)
}

/// `drift` in text form.
fn drift_text(acct: &Account, d: &Path, env: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["drift", "--env", env];
    args.extend_from_slice(extra);
    let out = acct.provision(d, &args);
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().expect("findings is an array")
}

/// Findings of one category.
fn of<'a>(doc: &'a Value, category: &str) -> Vec<&'a Value> {
    findings(doc)
        .iter()
        .filter(|f| f["category"] == category)
        .collect()
}

#[track_caller]
fn assert_clean(code: i32, doc: &Value) {
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(findings(doc).len(), 0, "no findings at all: {doc:#}");
    assert_eq!(
        doc["summary"],
        json!({"changed": 0, "missing": 0, "unmanaged": 0, "pending": 0, "spec_ahead": 0})
    );
    assert_eq!(doc["drift"], false);
}

/// `{"Service": {"Operation": {"calls", "attempts"}}}` as (service, operation) -> calls.
fn calls_of(doc: &Value) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for (service, ops) in doc.as_object().expect("aws_calls is an object") {
        for (op, c) in ops.as_object().unwrap() {
            out.insert((service.clone(), op.clone()), c["calls"].as_u64().unwrap());
        }
    }
    out
}

/// Physical ids of the last snapshots, by address.
fn ids(acct: &Account, d: &Path, env: &str) -> BTreeMap<String, String> {
    let out = acct.provision(d, &["state", "show", "--env", env]);
    assert_ok(&out);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_owned(), w.next()?.to_owned()))
        })
        .collect()
}

/// Waits until the Beanstalk environment is `Ready`: the emulator's status delay is server-wide,
/// and other tests may have set it.
async fn ready(aws: &Aws, name: &str) {
    for _ in 0..240 {
        let out = aws
            .beanstalk
            .describe_environments()
            .environment_names(name)
            .send()
            .await
            .unwrap();
        if out
            .environments()
            .iter()
            .any(|e| e.status() == Some(&EnvironmentStatus::Ready))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{name} never became Ready");
}

/// Sets one Beanstalk option on the backend environment, as someone in the console would, and
/// waits for the update to finish.
async fn set_option(aws: &Aws, env: &str, namespace: &str, option: &str, value: &str) {
    let name = format!("agentpass-backend-{env}");
    ready(aws, &name).await;
    aws.beanstalk
        .update_environment()
        .environment_name(&name)
        .option_settings(
            ConfigurationOptionSetting::builder()
                .namespace(namespace)
                .option_name(option)
                .value(value)
                .build(),
        )
        .send()
        .await
        .unwrap();
    ready(aws, &name).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_apply_shows_no_drift_and_drift_only_reads() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));

    // Every kind of resource is there, and none of them shows anything.
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let kinds: BTreeSet<Kind> = live.resources.keys().map(|a| a.kind).collect();
    // A read by tags alone finds the dashboard too, by the marker in its body.
    assert_eq!(
        kinds,
        Kind::ALL.into_iter().collect(),
        "full staging applied"
    );
    let (code, doc, out) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);
    let (code, t) = drift_text(&acct, d, "staging", &[]);
    assert_eq!(code, 0);
    assert!(
        t.contains("0 changed, 0 missing, 0 unmanaged; 0 pending, 0 spec ahead"),
        "{t}"
    );
    assert!(t.contains("No drift"), "{t}");

    // Read-only: nothing but reads, and no S3 write of any kind (no lock, no state).
    let calls = calls_of(&doc["aws_calls"]);
    let writes: Vec<_> = calls.keys().filter(|(_, op)| !is_read_only(op)).collect();
    assert!(writes.is_empty(), "drift made mutating calls: {writes:?}");
    let s3: BTreeSet<&str> = calls
        .keys()
        .filter(|(s, _)| s == "S3")
        .map(|(_, op)| op.as_str())
        .collect();
    assert_eq!(
        s3,
        BTreeSet::from(["GetObject", "ListObjectsV2"]),
        "only snapshot reads and listings"
    );
    assert_eq!(
        calls[&("S3".to_owned(), "GetObject".to_owned())],
        3,
        "one snapshot read per stack; no pause record read, since none is listed"
    );
    assert_eq!(
        calls[&("S3".to_owned(), "ListObjectsV2".to_owned())],
        1,
        "every stack's lock and snapshot ETags listed once, after the read"
    );
    let Totals {
        calls: total,
        mutating,
        ..
    } = totals(&out);
    assert_eq!(mutating, 0, "{}", text(&out));
    assert_eq!(total, calls.values().sum::<u64>());

    // The converged plan's calls (one batched read per resource type), no more: the listing
    // that tells drift whether a run was at work meanwhile takes the place of the plan's read
    // of the pause record (there is none to read). Neither asks what only
    // advises on a change (the platform versions and branch lifecycle, the budget's cost
    // allocation tags): a converged plan changes no environment and no budget.
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "converged:\n{}", text(&plan));
    let t = totals(&plan);
    assert_eq!((t.calls, t.mutating), (total, 0), "{}", text(&plan));
    for (service, op) in [
        ("Elastic Beanstalk", "ListAvailableSolutionStacks"),
        ("Elastic Beanstalk", "ListPlatformBranches"),
        ("Cost Explorer", "ListCostAllocationTags"),
    ] {
        let listings = |o| support::output::calls(o, service, op);
        assert_eq!((listings(&plan), listings(&out)), (0, 0), "{op}");
    }

    // No lock: drift runs while an apply holds every stack's lock, and leaves the locks alone.
    let lock = json!({
        "id": "held-by-test",
        "owner": "someone",
        "host": "elsewhere",
        "pid": 1,
        "command": "apply --env staging",
        "created_at": "2099-01-01T00:00:00Z",
        "lease_seconds": 900,
    })
    .to_string();
    for stack in ["shared", "backend", "console"] {
        aws.s3
            .put_object()
            .bucket(acct.bucket())
            .key(format!("{stack}/staging/lock.json"))
            .body(lock.clone().into_bytes().into())
            .send()
            .await
            .unwrap();
    }
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);
    for stack in ["shared", "backend", "console"] {
        let body = aws
            .s3
            .get_object()
            .bucket(acct.bucket())
            .key(format!("{stack}/staging/lock.json"))
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert_eq!(
            String::from_utf8_lossy(&body),
            lock,
            "the lock is untouched"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn production_is_clean_after_apply_and_a_held_storage_change_is_pending_not_drift() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "production", &[]));
    let (code, doc, out) = drift(&acct, d, "production", &[]);
    assert_clean(code, &doc);
    assert_eq!(totals(&out).mutating, 0);

    // Storage 20 -> 30 without apply_immediately: RDS holds it for the maintenance window.
    edit(
        d,
        "production.toml",
        "allocated_storage_gb = 20",
        "allocated_storage_gb = 30",
    );
    assert_ok(&acct.apply(d, "production", &[]));
    let (code, doc, _) = drift(&acct, d, "production", &[]);
    assert_eq!(code, 0, "pending is not drift: {doc:#}");
    assert_eq!(
        doc["summary"],
        json!({"changed": 0, "missing": 0, "unmanaged": 0, "pending": 1, "spec_ahead": 0}),
        "{doc:#}"
    );
    let pending = of(&doc, "pending")[0];
    assert_eq!(pending["address"], "backend.rds");
    assert_eq!(pending["stack"], "backend");
    assert_eq!(pending["id"], "agentpass-production");
    assert_eq!(pending["field"], "allocated_storage_gb");
    assert_eq!(pending["expected"], 30);
    assert_eq!(pending["actual"], 20);
    let (code, t) = drift_text(&acct, d, "production", &[]);
    assert_eq!(code, 0);
    assert!(
        t.contains("pending    backend.rds: allocated_storage_gb: expected 30, found 20"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_changes_are_changed_with_field_and_values_and_apply_restores_them() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let ids = ids(&acct, d, "staging");
    let aws = acct.aws().await;

    // An ingress rule added to a security group.
    aws.ec2
        .authorize_security_group_ingress()
        .group_id(&ids["shared.security_group.internal-lb"])
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("203.0.113.0/24").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Beanstalk MaxSize changed in the console.
    set_option(&aws, "staging", "aws:autoscaling:asg", "MaxSize", "4").await;
    // RDS backup retention changed, applied at once.
    aws.rds
        .modify_db_instance()
        .db_instance_identifier("agentpass-staging")
        .backup_retention_period(9)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    // A tag removed from the VPC.
    aws.ec2
        .delete_tags()
        .resources(&ids["shared.vpc"])
        .tags(Ec2Tag::builder().key("Project").build())
        .send()
        .await
        .unwrap();

    let (code, doc, out) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(totals(&out).mutating, 0, "still read-only");
    assert_eq!(
        doc["summary"],
        json!({"changed": 4, "missing": 0, "unmanaged": 0, "pending": 0, "spec_ahead": 0}),
        "{doc:#}"
    );
    let changed: BTreeMap<(String, String), (&Value, &Value, &Value)> = of(&doc, "changed")
        .into_iter()
        .map(|f| {
            (
                (
                    f["address"].as_str().unwrap().to_owned(),
                    f["field"].as_str().unwrap().to_owned(),
                ),
                (&f["expected"], &f["actual"], f),
            )
        })
        .collect();
    let vpc_rule = json!({
        "description": "HTTP from the API's VPC link",
        "ports": {"from": 80, "to": 80},
        "protocol": "tcp",
        "source": {"group": "shared.security_group.api-link"},
    });
    let ssh_rule = json!({
        "ports": {"from": 22, "to": 22},
        "protocol": "tcp",
        "source": {"cidr": "203.0.113.0/24"},
    });
    let key = |a: &str, f: &str| (a.to_owned(), f.to_owned());
    let expect = [
        (
            key("shared.security_group.internal-lb", "ingress"),
            json!([vpc_rule]),
            json!([ssh_rule, vpc_rule]),
        ),
        (
            key("backend.beanstalk", "settings.aws:autoscaling:asg.MaxSize"),
            json!("1"),
            json!("4"),
        ),
        (
            key("backend.rds", "backup_retention_days"),
            json!(3),
            json!(9),
        ),
        (
            key("shared.vpc", "tags.Project"),
            json!("agentpass"),
            Value::Null,
        ),
    ];
    assert_eq!(
        changed.keys().collect::<BTreeSet<_>>(),
        expect.iter().map(|(k, _, _)| k).collect(),
        "{doc:#}"
    );
    for (k, expected, actual) in &expect {
        let (e, a, f) = changed[k];
        assert_eq!((e, a), (expected, actual), "{k:?}: {f:#}");
        assert_eq!(f["id"], json!(ids[&k.0]), "{f:#}");
        assert!(
            f["resolve"]
                .as_str()
                .unwrap()
                .starts_with("`provision apply --env staging` restores "),
            "{f:#}"
        );
    }

    // Text: grouped by stack (shared, then backend), one line per finding, then how to resolve.
    let (code, t) = drift_text(&acct, d, "staging", &[]);
    assert_eq!(code, 2, "{t}");
    assert!(
        t.starts_with(
            "Drift for staging (us-east-2): 4 changed, 0 missing, 0 unmanaged; 0 pending, 0 spec ahead\n"
        ),
        "{t}"
    );
    let shared = t.find("\nshared\n").expect("a shared group");
    let backend = t.find("\nbackend\n").expect("a backend group");
    assert!(shared < backend, "{t}");
    assert!(!t.contains("\nconsole\n"), "no empty groups: {t}");
    let lines: Vec<&str> = t.lines().collect();
    for needle in [
        "changed    shared.vpc: tags.Project: expected agentpass, found (none)",
        "changed    shared.security_group.internal-lb: ingress: expected [tcp 80 shared.security_group.api-link (HTTP from the API's VPC link)], found [tcp 22 203.0.113.0/24, tcp 80 shared.security_group.api-link (HTTP from the API's VPC link)]",
        "changed    backend.rds: backup_retention_days: expected 3, found 9",
        "changed    backend.beanstalk: settings.aws:autoscaling:asg.MaxSize: expected 1, found 4",
    ] {
        let i = lines
            .iter()
            .position(|l| l.trim() == needle)
            .unwrap_or_else(|| panic!("no line {needle:?} in:\n{t}"));
        assert!(
            lines[i + 1]
                .trim()
                .starts_with("-> `provision apply --env staging` restores "),
            "{t}"
        );
    }
    for (k, _, _) in &expect {
        let line = t
            .lines()
            .find(|l| l.contains(&format!("{}: {}:", k.0, k.1)));
        assert!(line.is_some(), "{k:?} in\n{t}");
        assert!(
            (t.find(&format!(" {}: ", k.0)).unwrap() < backend) == (k.0.starts_with("shared.")),
            "{k:?} in its stack's group:\n{t}"
        );
    }

    // Then what: apply puts the spec back, and drift is silent again.
    assert_ok(&acct.apply(d, "staging", &[]));
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_and_unmanaged_resources_and_stack_scope() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let ids = ids(&acct, d, "staging");
    let aws = acct.aws().await;
    let vpc = &ids["shared.vpc"];

    // Missing: the API key deleted by hand.
    aws.apigateway
        .delete_api_key()
        .api_key(&ids["shared.api_key"])
        .send()
        .await
        .unwrap();
    // Unmanaged: a security group and a subnet made by hand in the VPC, no tags ...
    let hand_sg = aws
        .ec2
        .create_security_group()
        .group_name("hand-made")
        .description("made by hand")
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();
    let hand_subnet = support::hand_subnet(&aws, vpc, "10.2.99.0/24", "us-east-2a").await;
    // ... and one carrying staging's ownership tags that is in neither spec nor state.
    let tag = |k: &str, v: &str| Ec2Tag::builder().key(k).value(v).build();
    let tagged_sg = aws
        .ec2
        .create_security_group()
        .group_name("tagged-stray")
        .description("tagged by hand")
        .vpc_id(vpc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .tags(tag(TAG_PROJECT, "agentpass"))
                .tags(tag(TAG_ENV, "staging"))
                .tags(tag(TAG_STACK, "shared"))
                .tags(tag(TAG_ADDRESS, "shared.security_group.stray"))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();

    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 2, "{doc:#}");
    let missing = of(&doc, "missing");
    assert_eq!(missing.len(), 1, "{doc:#}");
    assert_eq!(missing[0]["address"], "shared.api_key");
    assert_eq!(missing[0]["kind"], "api_key");
    assert_eq!(missing[0]["id"], json!(ids["shared.api_key"]));
    assert!(
        missing[0]["resolve"]
            .as_str()
            .unwrap()
            .contains("creates it again"),
        "{doc:#}"
    );
    let unmanaged: BTreeMap<&str, &Value> = of(&doc, "unmanaged")
        .into_iter()
        .map(|f| (f["id"].as_str().unwrap(), f))
        .collect();
    assert_eq!(
        unmanaged.keys().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([hand_sg.as_str(), hand_subnet.as_str(), tagged_sg.as_str()]),
        "{doc:#}"
    );
    assert_eq!(unmanaged[hand_sg.as_str()]["kind"], "security_group");
    assert_eq!(unmanaged[hand_subnet.as_str()]["kind"], "subnet");
    for untagged in [&hand_sg, &hand_subnet] {
        let f = unmanaged[untagged.as_str()];
        assert_eq!(f["stack"], "shared");
        assert!(f.get("address").is_none(), "no address without tags: {f:#}");
    }
    let f = unmanaged[tagged_sg.as_str()];
    assert_eq!(f["address"], "shared.security_group.stray");
    assert_eq!(f["kind"], "security_group");
    assert!(
        f["note"].as_str().unwrap().contains("ownership tags"),
        "{f:#}"
    );
    // Nothing else is drift but what follows from the key being gone (the usage plan's key).
    for f in of(&doc, "changed") {
        assert_eq!(f["address"], "backend.usage_plan", "{doc:#}");
    }
    assert!(of(&doc, "spec_ahead").is_empty() && of(&doc, "pending").is_empty());
    let (code, t) = drift_text(&acct, d, "staging", &[]);
    assert_eq!(code, 2);
    assert!(t.contains("missing    shared.api_key: recorded as"), "{t}");
    assert!(
        t.contains(&format!("unmanaged  security_group {hand_sg}: ")),
        "{t}"
    );
    assert!(
        t.contains(&format!("unmanaged  subnet {hand_subnet}: ")),
        "{t}"
    );
    assert!(
        t.contains("unmanaged  shared.security_group.stray: "),
        "{t}"
    );

    // --stack limits the report to that stack's findings.
    let (code, doc, _) = drift(&acct, d, "staging", &["--stack", "console"]);
    assert_clean(code, &doc);
    let (code, doc, _) = drift(&acct, d, "staging", &["--stack", "backend"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(!findings(&doc).is_empty());
    for f in findings(&doc) {
        assert_eq!(f["stack"], "backend", "{doc:#}");
    }
    let (code, doc, _) = drift(&acct, d, "staging", &["--stack", "shared"]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["summary"]["missing"], 1);
    assert_eq!(doc["summary"]["unmanaged"], 3);
    for f in findings(&doc) {
        assert_eq!(f["stack"], "shared", "{doc:#}");
    }

    // Then what: apply recreates the key and deletes the stray group it owns; the resources
    // without tags are never provision's to touch, so they stay until removed by hand.
    assert_ok(&acct.apply(d, "staging", &[]));
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(
        doc["summary"],
        json!({"changed": 0, "missing": 0, "unmanaged": 2, "pending": 0, "spec_ahead": 0}),
        "{doc:#}"
    );
    aws.ec2
        .delete_security_group()
        .group_id(&hand_sg)
        .send()
        .await
        .unwrap();
    aws.ec2
        .delete_subnet()
        .subnet_id(&hand_subnet)
        .send()
        .await
        .unwrap();
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spec_changed_since_apply_is_spec_ahead_kept_apart_from_drift() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let resources = ids(&acct, d, "staging").len();

    // A tag added to the spec after the apply: every resource is behind the spec, none drifted.
    edit(
        d,
        "base.toml",
        "ManagedBy = \"provision\"",
        "ManagedBy = \"provision\"\nTeam = \"platform\"",
    );
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 0, "the spec moving is not drift: {doc:#}");
    let ahead = of(&doc, "spec_ahead");
    assert_eq!(ahead.len(), findings(&doc).len(), "{doc:#}");
    // One per resource that takes tags: not the e-mail subscription nor the dashboard.
    assert_eq!(ahead.len(), resources - 2, "one per resource: {doc:#}");
    for f in &ahead {
        assert!(
            f["note"].as_str().unwrap().ends_with(": tags.Team"),
            "{f:#}"
        );
        assert!(
            f["resolve"]
                .as_str()
                .unwrap()
                .contains("`provision apply --env staging`"),
            "{f:#}"
        );
    }
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));

    // A hand change at the same time is drift, counted apart.
    let aws = acct.aws().await;
    set_option(&aws, "staging", "aws:autoscaling:asg", "MaxSize", "3").await;
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["summary"]["changed"], 1, "{doc:#}");
    assert_eq!(doc["summary"]["spec_ahead"], resources - 2, "{doc:#}");
    let (_, t) = drift_text(&acct, d, "staging", &[]);
    assert!(
        t.contains(&format!(
            "1 changed, 0 missing, 0 unmanaged; 0 pending, {} spec ahead",
            resources - 2
        )),
        "{t}"
    );
    assert!(t.contains("spec ahead shared.vpc: "), "{t}");

    // Apply takes the spec and reverts the hand change: nothing left.
    assert_ok(&acct.apply(d, "staging", &[]));
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ignored_field_is_neither_drift_nor_planned() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let path = d.join("specs/staging.toml");
    let mut spec = std::fs::read_to_string(&path).unwrap();
    spec.push_str(
        "\n# Scaling and NODE_ENV are owned by other systems.\n[ignore]\n\"backend.beanstalk\" = [\n  \"settings.aws:autoscaling:asg.MaxSize\",\n  \"settings.aws:elasticbeanstalk:application:environment.NODE_ENV\",\n]\n",
    );
    std::fs::write(&path, spec).unwrap();
    assert_ok(&acct.apply(d, "staging", &[]));
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);

    let aws = acct.aws().await;
    set_option(&aws, "staging", "aws:autoscaling:asg", "MaxSize", "4").await;
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);
    let plan = acct.provision(d, &["plan", "--env", "staging", "--format", "json"]);
    assert_eq!(plan.status.code(), Some(0), "not planned:\n{}", text(&plan));

    // The spec changing an ignored field is not planned either, so it is not "spec ahead".
    edit(
        d,
        "base.toml",
        "NODE_ENV = \"production\"",
        "NODE_ENV = \"staging\"",
    );
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_clean(code, &doc);
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "not planned:\n{}", text(&plan));

    // A field next to it is still compared.
    set_option(&aws, "staging", "aws:autoscaling:asg", "MinSize", "2").await;
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 2, "{doc:#}");
    let changed = of(&doc, "changed");
    assert_eq!(changed.len(), 1, "{doc:#}");
    assert_eq!(changed[0]["field"], "settings.aws:autoscaling:asg.MinSize");
}

/// Plants a lock on `stack` as a run of `command` would hold it, created at `created_at`.
async fn plant_lock(aws: &Aws, bucket: &str, stack: &str, command: &str, created_at: &str) {
    let lock = json!({
        "id": format!("planted-{created_at}"),
        "owner": "someone",
        "host": "elsewhere",
        "pid": 4242,
        "command": command,
        "created_at": created_at,
        "lease_seconds": 900,
    });
    aws.s3
        .put_object()
        .bucket(bucket)
        .key(format!("{stack}/staging/lock.json"))
        .body(lock.to_string().into_bytes().into())
        .send()
        .await
        .unwrap();
}

/// While a live run holds a stack's lock, what that run can explain (a recorded resource gone,
/// its user in another stack changed, an untagged resource appearing in the VPC) is pending,
/// naming the run: exit 0. A dead run's lock (its lease ran out) explains nothing: the same
/// findings are drift.
#[tokio::test(flavor = "multi_thread")]
async fn findings_a_live_run_can_explain_are_pending_naming_it() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let ids = ids(&acct, d, "staging");
    let aws = acct.aws().await;
    // The key goes, and with it the usage plan's (backend) reference to it.
    aws.apigateway
        .delete_api_key()
        .api_key(&ids["shared.api_key"])
        .send()
        .await
        .unwrap();
    aws.ec2
        .create_security_group()
        .group_name("appearing")
        .description("no tags yet")
        .vpc_id(&ids["shared.vpc"])
        .send()
        .await
        .unwrap();

    // A destroy holding shared and backend; created far in the future: as fresh as can be.
    let command = "destroy --env staging";
    for stack in ["shared", "backend"] {
        plant_lock(&aws, &acct.bucket(), stack, command, "2099-01-01T00:00:00Z").await;
    }
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 0, "{doc:#}");
    let pending = of(&doc, "pending");
    assert_eq!(pending.len(), 3, "{doc:#}");
    for f in pending {
        let note = f["note"].as_str().unwrap();
        assert!(
            note.starts_with(&format!(
                "`{command}` by someone@elsewhere (pid 4242) holds this stack's lock since 2099-01-01T00:00:00Z"
            )),
            "{note}"
        );
        let unlock = format!(
            "provision state unlock --env staging --stack {}",
            f["stack"].as_str().unwrap()
        );
        assert!(f["resolve"].as_str().unwrap().contains(&unlock), "{f}");
    }
    let api_key = of(&doc, "pending")
        .into_iter()
        .find(|f| f["address"] == "shared.api_key")
        .unwrap();
    assert!(
        api_key["note"]
            .as_str()
            .unwrap()
            .ends_with("but gone from AWS)"),
        "{api_key}"
    );

    // Locks whose lease ran out long ago: their run is gone and explains nothing.
    for stack in ["shared", "backend"] {
        plant_lock(&aws, &acct.bucket(), stack, command, "2000-01-01T00:00:00Z").await;
    }
    let (code, doc, _) = drift(&acct, d, "staging", &[]);
    assert_eq!(code, 2, "{doc:#}");
    let s = &doc["summary"];
    assert_eq!(
        (&s["missing"], &s["changed"], &s["unmanaged"], &s["pending"]),
        (&json!(1), &json!(1), &json!(1), &json!(0)),
        "{doc:#}"
    );
}
