//! Faults: provision against LocalStack through a fault-injecting proxy (tests/support/faultproxy.rs):
//! throttling in each service's own shape, 500/503 answers, connections dropped before and after
//! the work is done, added latency, outages longer than the retry budget, rejected credentials and
//! an endpoint nothing listens on. Each test runs in its own LocalStack account.

#[path = "support/faultproxy.rs"]
mod faultproxy;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use faultproxy::{Config, Fault, FaultProxy, Outage};
use provision::model::{TAG_ADDRESS, TAG_ENV};
use support::{Account, assert_ok, text};

/// Runs provision as `acct` through `proxy` (both `AWS_ENDPOINT_URL` and `--endpoint-url`).
fn through(acct: &Account, proxy: &str, dir: &Path, args: &[&str]) -> (Output, Duration) {
    let mut all = vec!["--endpoint-url", proxy];
    all.extend_from_slice(args);
    let mut cmd = acct.command(dir, &all);
    cmd.env("AWS_ENDPOINT_URL", proxy).env_remove("RUST_LOG");
    let start = Instant::now();
    let out = cmd.output().expect("run provision");
    (out, start.elapsed())
}

/// Runs provision as `acct` straight against LocalStack.
fn direct(acct: &Account, dir: &Path, args: &[&str]) -> Output {
    acct.command(dir, args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run provision")
}

/// `--stats`' total line: (calls, mutating, attempts, retries).
fn stats(out: &Output) -> (u64, u64, u64, u64) {
    let t = text(out);
    let line = t
        .lines()
        .find(|l| l.starts_with("AWS calls:"))
        .unwrap_or_else(|| panic!("no --stats line in:\n{t}"));
    // "AWS calls: 132 (85 mutating), 140 attempts, 8 retries"
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    (n[0], n[1], n[2], n[3])
}

/// Every resource in the account that carries `env`'s ownership tags, read with the SDK
/// straight from LocalStack (not through provision's reader, which keys by address and would
/// hide a duplicate): address tag -> physical ids.
async fn tagged(acct: &Account, env: &str) -> BTreeMap<String, Vec<String>> {
    use aws_sdk_ec2::types::Filter;
    let aws = acct.aws().await;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut put = |tags: BTreeMap<String, String>, id: &str| {
        if tags.get(TAG_ENV).map(String::as_str) == Some(env) {
            let address = tags.get(TAG_ADDRESS).cloned().unwrap_or_default();
            out.entry(address).or_default().push(id.to_owned());
        }
    };
    let ec2tags = |t: &[aws_sdk_ec2::types::Tag]| -> BTreeMap<String, String> {
        t.iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let f = || {
        Filter::builder()
            .name(format!("tag:{TAG_ENV}"))
            .values(env)
            .build()
    };
    let ec2 = &aws.ec2;
    for v in ec2
        .describe_vpcs()
        .filters(f())
        .send()
        .await
        .unwrap()
        .vpcs()
    {
        put(ec2tags(v.tags()), v.vpc_id().unwrap());
    }
    for s in ec2
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .unwrap()
        .subnets()
    {
        put(ec2tags(s.tags()), s.subnet_id().unwrap());
    }
    let igws = ec2
        .describe_internet_gateways()
        .filters(f())
        .send()
        .await
        .unwrap();
    for g in igws.internet_gateways() {
        put(ec2tags(g.tags()), g.internet_gateway_id().unwrap());
    }
    let eips = ec2.describe_addresses().filters(f()).send().await.unwrap();
    for a in eips.addresses() {
        put(ec2tags(a.tags()), a.allocation_id().unwrap());
    }
    let nats = ec2
        .describe_nat_gateways()
        .filter(f())
        .send()
        .await
        .unwrap();
    for n in nats.nat_gateways() {
        let state = n.state().map(|s| s.as_str()).unwrap_or_default();
        if !matches!(state, "deleted" | "deleting" | "failed") {
            put(ec2tags(n.tags()), n.nat_gateway_id().unwrap());
        }
    }
    let tables = ec2
        .describe_route_tables()
        .filters(f())
        .send()
        .await
        .unwrap();
    for t in tables.route_tables() {
        put(ec2tags(t.tags()), t.route_table_id().unwrap());
    }
    let groups = ec2
        .describe_security_groups()
        .filters(f())
        .send()
        .await
        .unwrap();
    for g in groups.security_groups() {
        put(ec2tags(g.tags()), g.group_id().unwrap());
    }

    let rds = &aws.rds;
    let rdstags = |t: &[aws_sdk_rds::types::Tag]| -> BTreeMap<String, String> {
        t.iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    for i in rds
        .describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
    {
        put(rdstags(i.tag_list()), i.db_instance_identifier().unwrap());
    }
    let sgroups = rds.describe_db_subnet_groups().send().await.unwrap();
    for g in sgroups.db_subnet_groups() {
        let t = rds
            .list_tags_for_resource()
            .resource_name(g.db_subnet_group_arn().unwrap())
            .send()
            .await
            .unwrap();
        put(rdstags(t.tag_list()), g.db_subnet_group_name().unwrap());
    }

    let eb = &aws.beanstalk;
    let ebtags = |arn: String| async move {
        let t = eb
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap();
        t.resource_tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect::<BTreeMap<String, String>>()
    };
    let apps = eb.describe_applications().send().await.unwrap();
    for a in apps.applications() {
        let t = ebtags(a.application_arn().unwrap().to_owned()).await;
        put(t, a.application_name().unwrap());
    }
    let envs = eb
        .describe_environments()
        .include_deleted(false)
        .send()
        .await
        .unwrap();
    for e in envs.environments() {
        let status = e.status().map(|s| s.as_str()).unwrap_or_default();
        if !matches!(status, "Terminated" | "Terminating") {
            let t = ebtags(e.environment_arn().unwrap().to_owned()).await;
            put(t, e.environment_id().unwrap());
        }
    }

    let api = &aws.apigateway;
    let owned = |t: Option<&std::collections::HashMap<String, String>>| {
        t.map(|t| t.clone().into_iter().collect())
            .unwrap_or_default()
    };
    for a in api.get_rest_apis().limit(500).send().await.unwrap().items() {
        let id = a.id().unwrap();
        put(owned(a.tags()), id);
        let stages = api.get_stages().rest_api_id(id).send().await.unwrap();
        for s in stages.item() {
            put(
                owned(s.tags()),
                &format!("{id}/{}", s.stage_name().unwrap()),
            );
        }
    }
    for k in api.get_api_keys().limit(500).send().await.unwrap().items() {
        put(owned(k.tags()), k.id().unwrap());
    }
    for p in api
        .get_usage_plans()
        .limit(500)
        .send()
        .await
        .unwrap()
        .items()
    {
        put(owned(p.tags()), p.id().unwrap());
    }
    out
}

/// `state show --format json`, read straight from LocalStack: address -> physical id.
fn state_ids(acct: &Account, dir: &Path, env: &str) -> BTreeMap<String, String> {
    let out = direct(
        acct,
        dir,
        &["state", "show", "--env", env, "--format", "json"],
    );
    assert_ok(&out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("state show json: {e}\n{}", text(&out)));
    let mut ids = BTreeMap::new();
    for stack in doc.as_object().unwrap().values() {
        if let Some(resources) = stack["resources"].as_object() {
            for (address, r) in resources {
                ids.insert(address.clone(), r["id"].as_str().unwrap().to_owned());
            }
        }
    }
    ids
}

/// Nothing tagged for `env` twice, and state names exactly what exists: every resource found by
/// the SDK is the one state records, and state and provision's own read agree on every address
/// (stages and integrations included, whose tags the plain listing does not show).
async fn assert_state_matches_aws(acct: &Account, dir: &Path, env: &str) {
    let found = tagged(acct, env).await;
    let dupes: Vec<_> = found.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(dupes.is_empty(), "duplicated resources: {dupes:#?}");
    let state = state_ids(acct, dir, env);
    for (address, ids) in &found {
        assert_eq!(
            state.get(address),
            Some(&ids[0]),
            "{address}: AWS has {ids:?}, state {:?}",
            state.get(address)
        );
    }
    let live: BTreeMap<String, String> = acct
        .aws()
        .await
        .read(&support::owner(env))
        .await
        .unwrap()
        .resources
        .into_iter()
        .map(|(a, r)| (a.to_string(), r.id))
        .collect();
    assert_eq!(state, live, "state (left) and AWS (right) differ");
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_converges_through_twenty_percent_faults() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let proxy = FaultProxy::localstack(Config::mixed(0.2, 20));
    let url = proxy.url();

    let (out, took) = through(
        &acct,
        &url,
        d,
        &["apply", "--env", "staging", "--auto-approve", "--stats"],
    );
    let counts = proxy.counts();
    assert_ok(&out);
    assert!(
        text(&out).contains("Apply complete: 26 created"),
        "{}",
        text(&out)
    );
    eprintln!(
        "apply through faults: {took:?}; proxy: {}",
        counts.summary()
    );
    // Every kind of fault happened, and the retries show in the call accounting.
    for f in Fault::ALL {
        assert!(counts.of(f) > 0, "no {f:?} injected: {}", counts.summary());
    }
    let (calls, _, attempts, retries) = stats(&out);
    assert!(retries > 0, "{}", text(&out));
    assert_eq!(attempts, calls + retries);
    // Every attempt reached the proxy (the HTTP client may also resend a request on a pooled
    // connection the proxy closed, unseen by the SDK).
    assert!(counts.requests >= attempts, "{}", counts.summary());

    // Converged, nothing duplicated: a plan straight against LocalStack has nothing to do, and
    // every resource tagged for staging exists once and is the one state records.
    let plan = direct(&acct, d, &["plan", "--env", "staging"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(text(&plan).contains("No changes"), "{}", text(&plan));
    assert_state_matches_aws(&acct, d, "staging").await;

    // Drift through the same faults finds nothing, and is still read-only.
    let before = proxy.counts();
    let (drift, _) = through(&acct, &url, d, &["drift", "--env", "staging", "--stats"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));
    let (_, mutating, _, _) = stats(&drift);
    assert_eq!(mutating, 0, "{}", text(&drift));
    assert!(
        proxy.counts().faults() > before.faults(),
        "drift met no faults"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_longer_than_the_retries_fails_cleanly_and_loses_nothing() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    // After 75 requests (two read passes, the state bucket, the first network creates) every service
    // but S3 answers 503 for good: longer than any retry budget.
    let proxy = FaultProxy::localstack(Config {
        outage_after: Some(75),
        outage: Outage::Unavailable,
        outage_services: vec!["ec2", "rds", "elasticbeanstalk", "apigateway"],
        ..Config::default()
    });
    let (out, took) = through(
        &acct,
        &proxy.url(),
        d,
        &["apply", "--env", "staging", "--auto-approve", "--stats"],
    );
    let t = text(&out);
    eprintln!(
        "apply into an outage: {took:?}; proxy: {}\n{t}",
        proxy.counts().summary()
    );
    assert_eq!(out.status.code(), Some(1), "{t}");
    // The report says what failed and why, and what was not attempted.
    assert!(t.contains("apply did not complete"), "{t}");
    assert!(t.contains("  failed  shared."), "{t}");
    assert!(t.contains("Unavailable") || t.contains("503"), "{t}");
    assert!(t.contains("  skipped "), "{t}");
    assert!(proxy.counts().outage > 0);
    drop(proxy);

    // Read straight from LocalStack: state records exactly what was created, nothing twice.
    let done = state_ids(&acct, d, "staging");
    assert!(!done.is_empty(), "nothing was created before the outage");
    assert!(done.len() < 26, "the outage came too late: {done:?}");
    assert_state_matches_aws(&acct, d, "staging").await;

    // The lock was released: the next apply runs, finishes the job, and converges.
    let again = direct(&acct, d, &["apply", "--env", "staging", "--auto-approve"]);
    assert_ok(&again);
    assert!(
        text(&again).contains(&format!("Apply complete: {} created", 26 - done.len())),
        "{}",
        text(&again)
    );
    let plan = direct(&acct, d, &["plan", "--env", "staging"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert_state_matches_aws(&acct, d, "staging").await;
}

/// The lines of stderr that are not log lines.
fn message(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("20"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_credentials_and_an_unreachable_endpoint_fail_fast_with_one_line() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();

    // Every service answers with its own invalid-credentials error.
    let proxy = FaultProxy::localstack(Config {
        reject_credentials: true,
        ..Config::default()
    });
    let (out, took) = through(&acct, &proxy.url(), d, &["plan", "--env", "staging"]);
    let lines = message(&out);
    eprintln!("rejected credentials: {took:?}: {lines:?}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(lines.len(), 1, "{}", text(&out));
    assert!(lines[0].starts_with("error:"), "{lines:?}");
    assert!(
        [
            "AuthFailure",
            "InvalidClientTokenId",
            "InvalidAccessKeyId",
            "UnrecognizedClient"
        ]
        .iter()
        .any(|c| lines[0].contains(c)),
        "{lines:?}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(proxy.counts().forwarded, 0);
    drop(proxy);

    // Nothing listens on the endpoint (a port just closed).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (out, took) = through(&acct, &closed, d, &["plan", "--env", "staging"]);
    let lines = message(&out);
    eprintln!("unreachable endpoint: {took:?}: {lines:?}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(lines.len(), 1, "{}", text(&out));
    assert!(lines[0].starts_with("error:"), "{lines:?}");
    assert!(lines[0].contains("could not reach AWS"), "{lines:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

/// The figures in docs/performance.md, "Under faults": apply of full staging from empty through
/// the proxy at 0%, 10% and 20% (the mixed faults above), three runs each in fresh accounts,
/// seeds 1-3. Not part of the suite (about four minutes):
/// `cargo test --test faults -- --ignored --nocapture fault_figures`.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn fault_figures() {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "| fault rate | wall (median) | wall (min-max) | calls | attempts | retries | faults injected |"
    );
    println!("|---|---|---|---|---|---|---|");
    for rate in [0.0, 0.1, 0.2] {
        let mut rows: Vec<[f64; 5]> = Vec::new();
        for seed in 1..=3 {
            let acct = Account::new();
            let dir = acct.workdir();
            let proxy = FaultProxy::localstack(Config::mixed(rate, seed));
            let (out, took) = through(
                &acct,
                &proxy.url(),
                dir.path(),
                &["apply", "--env", "staging", "--auto-approve", "--stats"],
            );
            assert_ok(&out);
            let (calls, _, attempts, retries) = stats(&out);
            let faults = proxy.counts().faults();
            rows.push([
                took.as_secs_f64(),
                calls as f64,
                attempts as f64,
                retries as f64,
                faults as f64,
            ]);
        }
        let col = |i: usize| median(rows.iter().map(|r| r[i]).collect());
        let walls: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let (lo, hi) = (
            walls.iter().copied().fold(f64::MAX, f64::min),
            walls.iter().copied().fold(0.0, f64::max),
        );
        println!(
            "| {:.0}% | {:.1} s | {lo:.1}-{hi:.1} s | {} | {} | {} | {} |",
            rate * 100.0,
            col(0),
            col(1),
            col(2),
            col(3),
            col(4)
        );
    }
}
