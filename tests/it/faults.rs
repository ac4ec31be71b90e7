//! Faults: provision against LocalStack through a fault-injecting proxy (tests/it/support/faultproxy.rs):
//! throttling in each service's own shape, 500/503 answers, connections dropped before and after
//! the work is done, added latency, outages longer than the retry budget, rejected credentials and
//! an endpoint nothing listens on. Each test runs in its own LocalStack account.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::support::faultproxy::{Config, Fault, FaultProxy, Outage};
use crate::support::output::{Totals, totals};
use crate::support::{Account, assert_ok, text};

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

/// `state show --format json`, read straight from LocalStack: address -> physical id.
fn state_ids(acct: &Account, dir: &Path, env: &str) -> BTreeMap<String, String> {
    support::output::state_ids(&direct(
        acct,
        dir,
        &["state", "show", "--env", env, "--format", "json"],
    ))
}

/// Nothing tagged for `env` twice, and state names exactly what exists: every resource found by
/// the SDK is the one state records, and state and provision's own read agree on every address
/// (stages and integrations included, whose tags the plain listing does not show).
async fn assert_state_matches_aws(acct: &Account, dir: &Path, env: &str) {
    let found = support::census::by_address(&acct.aws().await, env).await;
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
    // A read by tags finds everything, the dashboard by the marker in its body.
    let live = support::live_ids(&acct.aws().await, env).await;
    assert_eq!(state, live, "state (left) and AWS (right) differ");
}

/// A `{proxy+}` resource whose CreateResource answer is lost (forwarded, then the connection
/// closed) is looked for before it is made again: the API converges in one apply, with one
/// proxy resource.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_create_resource_answer_is_looked_for_not_repeated() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let proxy = FaultProxy::localstack(
        &acct,
        Config {
            rate: 1.0,
            kinds: vec![(Fault::ResetAfter, 1)],
            only: vec!["POST /restapis/*/resources/*?"],
            ..Config::default()
        },
    );
    let args = [
        "apply",
        "--env",
        "staging",
        "--target",
        "shared.api",
        "--auto-approve",
    ];
    let (out, _) = through(&acct, &proxy.url(), d, &args);
    assert_ok(&out);
    assert!(
        proxy.counts().of(Fault::ResetAfter) >= 1,
        "{}",
        proxy.counts().summary()
    );
    let api = state_ids(&acct, d, "staging")["shared.api"].clone();
    let resources = acct
        .aws()
        .await
        .apigateway
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap();
    let proxies = resources
        .items()
        .iter()
        .filter(|r| r.path() == Some("/{proxy+}"))
        .count();
    assert_eq!(proxies, 1, "{resources:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_converges_through_twenty_percent_faults() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let proxy = FaultProxy::localstack(&acct, Config::mixed(0.2, 20));
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
        text(&out).contains("Apply complete: 48 created"),
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
    let Totals {
        calls,
        attempts,
        retries,
        ..
    } = totals(&out);
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
    assert_eq!(totals(&drift).mutating, 0, "{}", text(&drift));
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
    // After 122 requests (two read passes — with IAM, the VPC link, the RDS offerings, the
    // platform branches, SNS and CloudWatch, whose dashboards are listed while none is recorded,
    // and Budgets, whose account STS tells while nothing is recorded —
    // the names the creates claim, the state bucket, the first network creates) every service but
    // S3 answers 503 for good: longer than any retry budget.
    let proxy = FaultProxy::localstack(
        &acct,
        Config {
            outage_after: Some(122),
            outage: Outage::Unavailable,
            outage_services: vec!["ec2", "rds", "elasticbeanstalk", "apigateway"],
            ..Config::default()
        },
    );
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
    assert!(done.len() < 48, "the outage came too late: {done:?}");
    assert_state_matches_aws(&acct, d, "staging").await;

    // The lock was released: the next apply runs, finishes the job, and converges.
    let again = direct(&acct, d, &["apply", "--env", "staging", "--auto-approve"]);
    assert_ok(&again);
    assert!(
        text(&again).contains(&format!("Apply complete: {} created", 48 - done.len())),
        "{}",
        text(&again)
    );
    let plan = direct(&acct, d, &["plan", "--env", "staging"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert_state_matches_aws(&acct, d, "staging").await;
}

/// A step that AWS fails is reported in JSON with the operation, AWS's error code and its class
/// (docs/json.md); the text on stderr is the one a text run prints. The outage starts right
/// after the reads: a plan's requests, twice (an apply reads before its locks and under them).
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_step_carries_the_aws_error_in_the_json_report() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared", "--state", "local"];
    let counter = FaultProxy::localstack(&acct, Config::default());
    let (out, _) = through(&acct, &counter.url(), d, &[&["plan"][..], &scope].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // An apply reads as the plan did, less the plan's own question whether the budget's tags
    // are active cost allocation tags (ListCostAllocationTags), which apply does not ask.
    let reads = counter.counts().requests - 1;
    drop(counter);
    let proxy = FaultProxy::localstack(
        &acct,
        Config {
            outage_after: Some(2 * reads),
            outage: Outage::Unavailable,
            outage_services: vec!["ec2"],
            ..Config::default()
        },
    );
    let args = [&["--format", "json", "apply", "--auto-approve"][..], &scope].concat();
    let (out, _) = through(&acct, &proxy.url(), d, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: not JSON:\n{}", text(&out)));
    let results = doc["report"]["results"].as_array().expect("results");
    let vpc = results
        .iter()
        .find(|r| r["address"] == "shared.vpc")
        .unwrap_or_else(|| panic!("no step of shared.vpc: {doc:#}"));
    assert_eq!(vpc["status"], "failed", "{vpc:#}");
    // EC2's own shape of a 503 (the proxy answers as the service would).
    assert_eq!(vpc["aws"]["code"], "Unavailable", "{vpc:#}");
    assert_eq!(vpc["aws"]["class"], "ambiguous", "{vpc:#}");
    let operation = vpc["aws"]["operation"].as_str().unwrap_or_default();
    assert!(
        operation.ends_with("Vpcs") || operation == "CreateVpc",
        "{vpc:#}"
    );
    // What AWS answered is in the message too, as text output prints it.
    let error = vpc["error"].as_str().unwrap_or_default();
    assert!(error.contains(": Unavailable: "), "{vpc:#}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("  failed  shared.vpc (Create): {error}")),
        "{stderr}"
    );
    // A step that failed without an AWS answer of its own carries no `aws`: one skipped has none.
    let skipped = results.iter().find(|r| r["status"] == "skipped");
    assert!(skipped.is_some_and(|r| r.get("aws").is_none()), "{doc:#}");
    assert!(proxy.counts().outage > 0);
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
    let proxy = FaultProxy::localstack(
        &acct,
        Config {
            reject_credentials: true,
            ..Config::default()
        },
    );
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
/// `cargo test --test it -- --ignored --nocapture fault_figures`.
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
            let proxy = FaultProxy::localstack(&acct, Config::mixed(rate, seed));
            let (out, took) = through(
                &acct,
                &proxy.url(),
                dir.path(),
                &["apply", "--env", "staging", "--auto-approve", "--stats"],
            );
            assert_ok(&out);
            let Totals {
                calls,
                attempts,
                retries,
                ..
            } = totals(&out);
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
