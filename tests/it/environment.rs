//! Whole environments against LocalStack: every resource of the three stacks, the state layout,
//! convergence, teardown, and production differing from staging exactly as the seed's table says
//! (read back from the emulator, not from the specs). Each test runs in its own account.

use crate::support;

use std::collections::BTreeMap;

use crate::support::{Account, assert_ok, text};
use provision::model::{Attrs, SettingValue, TAG_ADDRESS, TAG_ENV};

fn mutating(out: &std::process::Output) -> u64 {
    support::output::totals(out).mutating
}

fn setting<'a>(attrs: &'a Attrs, ns: &str, opt: &str) -> &'a str {
    let Attrs::BeanstalkEnv(e) = attrs else {
        panic!("not a Beanstalk environment")
    };
    match e.settings.get(ns).and_then(|o| o.get(opt)) {
        Some(SettingValue::Text(t)) => t,
        other => panic!("{ns}.{opt}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn full_staging_applies_converges_records_and_destroys() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    assert!(
        text(&out).contains("Apply complete: 48 created"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("Frontend:    http://agentpass-staging.us-east-2.elasticbeanstalk.com"),
        "{}",
        text(&out)
    );

    // Every resource of the spec exists, with its ownership tags.
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let loaded = provision::spec::load_one(&d.join("specs"), "staging").unwrap();
    let desired = provision::spec::desired::build(&loaded.spec);
    // A read by tags finds everything: the dashboard takes none, but its body carries them.
    assert_eq!(
        live.resources.keys().collect::<Vec<_>>(),
        desired.resources.keys().collect::<Vec<_>>(),
        "live and desired differ"
    );
    // The e-mail subscription takes no tags (it is its topic's).
    for (address, r) in live
        .resources
        .iter()
        .filter(|(a, _)| a.kind != provision::model::Kind::AlarmSubscription)
    {
        assert_eq!(
            r.tags.get(TAG_ENV).map(String::as_str),
            Some("staging"),
            "{address}"
        );
        assert_eq!(r.tags.get(TAG_ADDRESS), Some(&address.to_string()));
        // The dashboard's marker carries the ownership tags only.
        if address.kind != provision::model::Kind::Dashboard {
            assert_eq!(
                r.tags.get("Project").map(String::as_str),
                Some("agentpass"),
                "{address}"
            );
        }
    }

    // Snapshots under the seed's layout.
    let keys: Vec<String> = aws
        .s3
        .list_objects_v2()
        .bucket(acct.bucket())
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    for key in [
        "shared/staging/state.json",
        "backend/staging/state.json",
        "console/staging/state.json",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }

    // Converged: nothing to plan, no mutating call on a second apply, no drift.
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let again = acct.apply(d, "staging", &[]);
    assert_ok(&again);
    assert_eq!(mutating(&again), 0, "{}", text(&again));
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));

    // The shared stack cannot go while backend and console use it: refused up front.
    let refused = acct.destroy(d, "staging", &["--stack", "shared"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let t = text(&refused);
    assert!(
        t.contains("backend.beanstalk") && t.contains("destroy --stack backend and console first"),
        "{t}"
    );
    assert_eq!(
        aws.read(&support::owner("staging"))
            .await
            .unwrap()
            .resources
            .len(),
        // A read by tags: everything, the dashboard by the marker in its body.
        48,
        "nothing was deleted"
    );

    // Destroy removes everything and leaves every snapshot empty.
    assert_ok(&acct.destroy(d, "staging", &[]));
    assert!(
        aws.read(&support::owner("staging"))
            .await
            .unwrap()
            .resources
            .is_empty()
    );
    let state = acct.provision(d, &["state", "list", "--env", "staging"]);
    assert_eq!(
        text(&state).matches(", 0 resources,").count(),
        3,
        "{}",
        text(&state)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn production_differs_from_staging_as_the_seed_says() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    for env in ["staging", "production"] {
        assert_ok(&acct.apply(d, env, &[]));
    }
    let aws = acct.aws().await;
    let stg = aws
        .read(&support::owner("staging"))
        .await
        .unwrap()
        .resources;
    let prd = aws
        .read(&support::owner("production"))
        .await
        .unwrap()
        .resources;
    let at = |m: &BTreeMap<provision::model::Address, provision::model::LiveResource>, a: &str| {
        m[&a.parse().unwrap()].attrs.clone()
    };

    // VPC CIDR and subnets.
    let cidr = |a: Attrs| match a {
        Attrs::Vpc(v) => v.cidr.to_string(),
        Attrs::Subnet(s) => s.cidr.to_string(),
        _ => unreachable!(),
    };
    assert_eq!(cidr(at(&prd, "shared.vpc")), "10.0.0.0/16");
    assert_eq!(cidr(at(&stg, "shared.vpc")), "10.2.0.0/16");
    for (name, p, s) in [
        ("public-a", "10.0.1.0/24", "10.2.1.0/24"),
        ("public-b", "10.0.2.0/24", "10.2.2.0/24"),
        ("private-a", "10.0.10.0/24", "10.2.10.0/24"),
        ("private-b", "10.0.11.0/24", "10.2.11.0/24"),
    ] {
        assert_eq!(cidr(at(&prd, &format!("shared.subnet.{name}"))), p);
        assert_eq!(cidr(at(&stg, &format!("shared.subnet.{name}"))), s);
    }

    // Backend and frontend instances, auto-scaling: t3.small (1-2) / t3.micro (1); t3.micro (1-2) / (1).
    let instances = |m, a: &str| {
        let attrs = at(m, a);
        format!(
            "{} ({}-{})",
            setting(&attrs, "aws:ec2:instances", "InstanceTypes"),
            setting(&attrs, "aws:autoscaling:asg", "MinSize"),
            setting(&attrs, "aws:autoscaling:asg", "MaxSize")
        )
    };
    assert_eq!(instances(&prd, "backend.beanstalk"), "t3.small (1-2)");
    assert_eq!(instances(&stg, "backend.beanstalk"), "t3.micro (1-1)");
    assert_eq!(instances(&prd, "console.beanstalk"), "t3.micro (1-2)");
    assert_eq!(instances(&stg, "console.beanstalk"), "t3.micro (1-1)");

    // RDS storage and backups: 20 GB / 10 GB, 7 days / 3 days.
    let db = |m| match at(m, "backend.rds") {
        Attrs::DbInstance(d) => (
            d.allocated_storage_gb,
            d.backup_retention_days,
            d.storage_type.as_str(),
        ),
        _ => unreachable!(),
    };
    assert_eq!(db(&prd), (20, 7, "gp3"));
    assert_eq!(db(&stg), (10, 3, "standard"));

    // Separate API Gateways and separate ALBs.
    let id = |m: &BTreeMap<_, provision::model::LiveResource>, a: &str| {
        m[&a.parse().unwrap()].id.clone()
    };
    assert_ne!(id(&prd, "shared.api"), id(&stg, "shared.api"));
    assert_ne!(id(&prd, "shared.api_key"), id(&stg, "shared.api_key"));
    for env in ["backend.beanstalk", "console.beanstalk"] {
        assert_ne!(id(&prd, env), id(&stg, env));
        for m in [&prd, &stg] {
            let attrs = at(m, env);
            assert_eq!(
                setting(
                    &attrs,
                    "aws:elasticbeanstalk:environment",
                    "EnvironmentType"
                ),
                "LoadBalanced"
            );
            assert_eq!(
                setting(
                    &attrs,
                    "aws:elasticbeanstalk:environment",
                    "LoadBalancerType"
                ),
                "application"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_project_with_the_same_environment_name_never_touches_this_one() {
    let acct = Account::new();
    let ours = acct.workdir();
    assert_ok(&acct.apply(ours.path(), "staging", &[]));

    // A second project (another app, or a copy of the repo) in the same account, also "staging".
    let theirs = acct.workdir();
    let base = theirs.path().join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap();
    let spec = spec
        .replace("name = \"agentpass\"", "name = \"otherapp\"")
        .replace(
            &format!("bucket = \"{}\"", acct.bucket()),
            &format!("bucket = \"{}-other\"", acct.bucket()),
        );
    std::fs::write(&base, spec).unwrap();

    let plan = acct.plan(theirs.path(), "staging", &[]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    assert!(
        text(&plan).contains("Plan: 48 to create, 0 to update, 0 to replace, 0 to delete"),
        "{}",
        text(&plan)
    );
    let destroy = acct.destroy(theirs.path(), "staging", &[]);
    assert_ok(&destroy);
    assert!(text(&destroy).contains("No changes"), "{}", text(&destroy));

    let aws = acct.aws().await;
    assert_eq!(
        aws.read(&support::owner("staging"))
            .await
            .unwrap()
            .resources
            .len(),
        // Everything, the dashboard by the marker in its body.
        48
    );
    let plan = acct.plan(ours.path(), "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}
