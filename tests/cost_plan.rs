//! `plan`'s monthly cost change against LocalStack: what exists (live, in scope) against what
//! the spec wants, priced with the repository's table.

mod support;

use support::{Account, assert_ok, text};

/// The working folder gets the repository's price tables beside its specs.
fn with_prices(d: &std::path::Path) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(d.join("prices")).unwrap();
    std::fs::copy(
        root.join("prices/us-east-2.toml"),
        d.join("prices/us-east-2.toml"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_prices_what_exists_against_what_the_spec_wants() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    with_prices(d);

    let out = acct.provision(d, &["plan", "--env", "staging"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out)
            .contains("Monthly cost (estimate, prices of 2026-11-30): $0.00 -> $127.43 (+$127.43)"),
        "{}",
        text(&out)
    );

    // The shared stack alone: the NAT gateway (730 h × $0.045 + 10 GB × $0.045), its Elastic
    // IP (730 h × $0.005) and the REST API (1 million requests × $3.50) = $40.45.
    assert_ok(&acct.provision(
        d,
        &[
            "apply",
            "--env",
            "staging",
            "--stack",
            "shared",
            "--auto-approve",
        ],
    ));
    let out = acct.provision(d, &["plan", "--env", "staging", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the plan is one JSON document");
    let before = doc["monthly_cost"]["before"]["min"]
        .as_f64()
        .expect("before");
    let after = doc["monthly_cost"]["after"]["max"].as_f64().expect("after");
    // Shared monitoring: three alarms, the dashboard and one address's alarm e-mails.
    let monitoring = 3.0 * 0.10 + 3.00 + 20.0 * 0.00002;
    let shared = 730.0 * 0.045 + 10.0 * 0.045 + 730.0 * 0.005 + 3.50 + monitoring;
    assert!((before - shared).abs() < 1e-9, "{before} != {shared}");
    assert!((after - 127.4269).abs() < 1e-9, "{after}");

    // Converged: no change.
    assert_ok(&acct.provision(d, &["apply", "--env", "staging", "--auto-approve"]));
    let out = acct.provision(d, &["plan", "--env", "staging"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(": $127.43 -> $127.43 ($0.00)"),
        "{}",
        text(&out)
    );
    assert_ok(&acct.provision(d, &["destroy", "--env", "staging", "--auto-approve"]));
}
