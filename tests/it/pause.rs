//! Pausing and resuming staging against LocalStack: what stops, what stays (API id and key,
//! URLs, data), that a paused environment is neither drift nor a plan change, that pause is
//! safe to run again, and that resume ends converged. Production needs --confirm before any
//! AWS call. Each test runs in its own account.

use crate::support;

use crate::support::{Account, assert_ok, text};
use provision::aws::s3::S3Objects;
use provision::model::{Attrs, Kind, SettingValue, Stack};
use provision::state::{self, Store};

fn asg(attrs: &Attrs, option: &str) -> String {
    let Attrs::BeanstalkEnv(e) = attrs else {
        panic!("not a Beanstalk environment")
    };
    match e
        .settings
        .get("aws:autoscaling:asg")
        .and_then(|o| o.get(option))
    {
        Some(SettingValue::Text(t)) => t.clone(),
        other => panic!("{option}: {other:?}"),
    }
}

/// The things that identify the environment to its users: API id, key id, stage and URLs.
async fn identity(
    acct: &Account,
    d: &std::path::Path,
) -> (Vec<(String, String)>, serde_json::Value) {
    let ids = support::live_ids(&acct.aws().await, "staging").await;
    let kept: Vec<(String, String)> = ids
        .into_iter()
        .filter(|(a, _)| {
            [
                "shared.api",
                "shared.api_key",
                "backend.api_stage",
                "backend.rds",
            ]
            .contains(&a.as_str())
                || a.contains("beanstalk")
        })
        .collect();
    let (code, outputs) = acct.json(d, &["outputs", "--env", "staging"]);
    assert_eq!(code, Some(0), "{outputs}");
    (kept, outputs)
}

async fn kinds(acct: &Account) -> Vec<Kind> {
    let live = acct
        .aws()
        .await
        .read(&support::owner("staging"))
        .await
        .unwrap();
    live.resources.keys().map(|a| a.kind).collect()
}

const EIP: &str = "shared.eip.nat-public-a";

/// The allocation id of the environment's Elastic IP, found by its ownership tags.
async fn allocation(acct: &Account) -> Option<String> {
    let live = acct
        .aws()
        .await
        .read(&support::owner("staging"))
        .await
        .unwrap();
    live.resources
        .iter()
        .find(|(a, _)| a.to_string() == EIP)
        .map(|(_, r)| r.id.clone())
}

/// The allocation the environment's NAT gateway uses, as EC2 describes the gateway.
async fn nat_allocation(acct: &Account) -> Option<String> {
    let aws = acct.aws().await;
    let out = aws
        .ec2
        .describe_nat_gateways()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:provision:env")
                .values("staging")
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.nat_gateways()
        .iter()
        .filter(|n| n.state().map(|s| s.as_str()) == Some("available"))
        .flat_map(|n| n.nat_gateway_addresses())
        .find_map(|a| a.allocation_id().map(str::to_owned))
}

async fn pause_record(acct: &Account) -> Option<serde_json::Value> {
    let aws = acct.aws().await;
    let store = Store::S3(S3Objects::new(aws.s3, acct.bucket(), support::REGION));
    let object = store.get("shared/staging/pause.json").await.unwrap()?;
    Some(serde_json::from_slice(&object.body).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_pauses_and_resumes_with_the_same_ids_and_urls() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let before = identity(&acct, d).await;
    assert!(kinds(&acct).await.contains(&Kind::NatGateway));
    let ip = allocation(&acct).await.expect("the NAT has its Elastic IP");
    assert_eq!(nat_allocation(&acct).await.as_deref(), Some(ip.as_str()));

    let (code, doc) = acct.json(d, &["pause", "--env", "staging", "--auto-approve"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["paused"], true, "{doc}");
    assert_eq!(doc["converged"], true, "{doc}");
    assert_eq!(doc["databases"][0]["change"], "done", "{doc}");
    assert!(doc["db_restarts_at"].as_str().is_some(), "{doc}");
    assert_eq!(doc["scaled_to_zero"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(doc["kept_ips"], serde_json::json!([EIP]), "{doc}");
    assert_eq!(doc["elastic_ips"][EIP], ip.as_str(), "{doc}");

    // What costs money is gone or stopped; what identifies the environment is not: the
    // outbound address stays allocated, with its ownership tags.
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let found: Vec<Kind> = live.resources.keys().map(|a| a.kind).collect();
    assert!(!found.contains(&Kind::NatGateway), "{found:?}");
    assert_eq!(allocation(&acct).await.as_deref(), Some(ip.as_str()));
    for (address, r) in &live.resources {
        if address.kind == Kind::BeanstalkEnv {
            assert_eq!(
                (asg(&r.attrs, "MinSize"), asg(&r.attrs, "MaxSize")),
                ("0".into(), "0".into()),
                "{address}"
            );
        }
        if let Attrs::RouteTable(rt) = &r.attrs {
            assert!(
                rt.routes
                    .iter()
                    .all(|route| !route.target.to_string().contains("nat")),
                "{address} keeps a route through the NAT: {:?}",
                rt.routes
            );
        }
    }
    let db = aws
        .db_status("backend.rds", "agentpass-staging")
        .await
        .unwrap();
    assert_eq!(db.as_deref(), Some("stopped"));
    assert_eq!(identity(&acct, d).await, before);
    let record = pause_record(&acct).await.expect("the pause is recorded");
    assert_eq!(record["state"], "paused", "{record}");

    // Paused is neither drift nor a plan change.
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(
        text(&plan).contains("`staging` is paused since"),
        "{}",
        text(&plan)
    );
    let apply = acct.apply(d, "staging", &[]);
    assert_ok(&apply);
    assert!(kinds(&acct).await.iter().all(|k| *k != Kind::NatGateway));

    // Again: nothing left to do, the database already stopped.
    let (code, doc) = acct.json(d, &["pause", "--env", "staging", "--auto-approve"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["databases"][0]["change"], "already", "{doc}");

    // RDS starts a stopped instance by itself after 7 days: drift says so (not as drift), and
    // pause stops it again.
    aws.rds
        .start_db_instance()
        .db_instance_identifier("agentpass-staging")
        .send()
        .await
        .unwrap();
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));
    assert!(text(&drift).contains("runs again"), "{}", text(&drift));
    let (code, doc) = acct.json(d, &["pause", "--env", "staging", "--auto-approve"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["databases"][0]["change"], "done", "{doc}");
    let db = aws
        .db_status("backend.rds", "agentpass-staging")
        .await
        .unwrap();
    assert_eq!(db.as_deref(), Some("stopped"));

    // A run that overlaps another (a lock held) fails fast with its own exit code.
    let store = Store::S3(S3Objects::new(
        aws.s3.clone(),
        acct.bucket(),
        support::REGION,
    ));
    let guard = state::acquire(&store, Stack::Backend, "staging", "apply --env staging")
        .await
        .unwrap();
    let busy = acct.provision(d, &["resume", "--env", "staging", "--auto-approve"]);
    assert_eq!(busy.status.code(), Some(3), "{}", text(&busy));
    assert!(text(&busy).contains("locked"), "{}", text(&busy));
    guard.release().await.unwrap();
    assert!(
        pause_record(&acct).await.is_some(),
        "a refused resume changed nothing"
    );

    let out = acct.provision(d, &["resume", "--env", "staging", "--auto-approve"]);
    assert_ok(&out);
    assert!(
        text(&out).contains("Converged: the plan is empty"),
        "{}",
        text(&out)
    );
    assert!(kinds(&acct).await.contains(&Kind::NatGateway));
    // The same address: resume's NAT gateway took the kept allocation.
    assert_eq!(allocation(&acct).await.as_deref(), Some(ip.as_str()));
    assert_eq!(nat_allocation(&acct).await.as_deref(), Some(ip.as_str()));
    assert!(text(&out).contains(&ip), "{}", text(&out));
    let db = aws
        .db_status("backend.rds", "agentpass-staging")
        .await
        .unwrap();
    assert_eq!(db.as_deref(), Some("available"));
    assert_eq!(identity(&acct, d).await, before);
    assert!(pause_record(&acct).await.is_none());
    let live = aws.read(&support::owner("staging")).await.unwrap();
    for (address, r) in &live.resources {
        if address.kind == Kind::BeanstalkEnv {
            assert_eq!(asg(&r.attrs, "MaxSize"), "1", "{address}");
        }
    }
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));

    // Asked to, a pause releases the address; resume allocates another.
    let out = acct.provision(
        d,
        &[
            "pause",
            "--env",
            "staging",
            "--auto-approve",
            "--release-ip",
        ],
    );
    assert_ok(&out);
    assert!(text(&out).contains(EIP), "{}", text(&out));
    assert!(!kinds(&acct).await.contains(&Kind::ElasticIp));
    let released = aws
        .ec2
        .describe_addresses()
        .allocation_ids(&ip)
        .send()
        .await;
    // AWS answers InvalidAllocationID.NotFound for a released allocation.
    assert!(
        released.as_ref().map_or(true, |o| o.addresses().is_empty()),
        "{released:?}"
    );
    assert_eq!(
        pause_record(&acct).await.unwrap()["elastic_ips"],
        "released"
    );
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    // A plain pause again keeps it released (nothing to allocate while paused).
    let (code, doc) = acct.json(d, &["pause", "--env", "staging", "--auto-approve"]);
    assert_eq!(code, Some(0), "{doc}");
    assert!(!kinds(&acct).await.contains(&Kind::ElasticIp));
    assert_ok(&acct.provision(d, &["resume", "--env", "staging", "--auto-approve"]));
    let new = allocation(&acct).await.expect("resume allocates one");
    assert_ne!(new, ip);
    assert_eq!(nat_allocation(&acct).await.as_deref(), Some(new.as_str()));

    // Destroying a paused environment deletes the stopped database (and the kept address)
    // too, and forgets the pause: the next apply builds it running.
    assert_ok(&acct.provision(d, &["pause", "--env", "staging", "--auto-approve"]));
    assert_ok(&acct.destroy(d, "staging", &[]));
    assert!(kinds(&acct).await.is_empty());
    assert!(pause_record(&acct).await.is_none());
}

/// Refused before any AWS call: the endpoint answers nothing, so a call would fail otherwise.
#[test]
fn production_is_paused_only_with_confirm_production() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
            .current_dir(dir.path())
            .args(["--specs", support::root().join("specs").to_str().unwrap()])
            .args(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "000000000000")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_MAX_ATTEMPTS", "1")
            .output()
            .unwrap()
    };
    let out = run(&["pause", "--env", "production", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("--confirm production") && t.contains("nothing was done"),
        "{t}"
    );
    assert!(
        !t.contains("127.0.0.1:9") && !t.contains("could not reach"),
        "{t}"
    );
    let wrong = run(&["pause", "--env", "production", "--confirm", "staging"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).contains("does not match"), "{}", text(&wrong));
    // With it, the run goes on to AWS (which does not answer here).
    let confirmed = run(&[
        "pause",
        "--env",
        "production",
        "--confirm",
        "production",
        "--auto-approve",
    ]);
    assert_eq!(confirmed.status.code(), Some(1));
    assert!(
        !text(&confirmed).contains("--confirm production"),
        "{}",
        text(&confirmed)
    );
}

/// A pause killed right after recording "pausing" (before any change reached AWS): the plan
/// then shows the rest of the pause, and the next pause finishes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_pause_cut_short_is_finished_by_the_next_one() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let aws = acct.aws().await;
    let store = Store::S3(S3Objects::new(
        aws.s3.clone(),
        acct.bucket(),
        support::REGION,
    ));
    let record = provision::pause::PauseRecord::pausing("staging", "2026-11-30T23:00:00Z");
    provision::pause::record::write(&store, &record, None)
        .await
        .unwrap();

    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    let t = text(&plan);
    assert!(
        t.contains("being paused") && t.contains("nat_gateway"),
        "{t}"
    );

    let (code, doc) = acct.json(d, &["pause", "--env", "staging", "--auto-approve"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["converged"], true, "{doc}");
    assert!(!kinds(&acct).await.contains(&Kind::NatGateway));
    let record = pause_record(&acct).await.unwrap();
    assert_eq!(record["state"], "paused", "{record}");
    assert_eq!(
        record["since"], "2026-11-30T23:00:00Z",
        "the first pause's time stays"
    );
}
