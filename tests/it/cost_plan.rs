//! `plan`'s monthly cost change against LocalStack: what exists (live, in scope) against what
//! the spec wants, priced with the built-in table. The specs are a copy outside the repository
//! (a temporary folder with no `prices/` in it), as on an operator's machine.

use crate::support::{Account, assert_ok, text};

#[tokio::test(flavor = "multi_thread")]
async fn plan_prices_what_exists_against_what_the_spec_wants() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert!(!d.join("prices").exists());

    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out)
            .contains("Monthly cost (estimate, prices of 2026-11-30): $0.00 -> $127.43 (+$127.43)"),
        "{}",
        text(&out)
    );

    // The shared stack alone: the NAT gateway (730 h × $0.045 + 10 GB × $0.045), its Elastic
    // IP (730 h × $0.005) and the REST API (1 million requests × $3.50) = $40.45.
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
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
    assert_ok(&acct.apply(d, "staging", &[]));
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(": $127.43 -> $127.43 ($0.00)"),
        "{}",
        text(&out)
    );
    assert_ok(&acct.destroy(d, "staging", &[]));
}

#[test]
fn a_plan_whose_prices_cannot_be_read_says_so_and_still_plans() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let out = acct.plan(d, "staging", &["--prices", "no-such-prices.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("Monthly cost"), "{stdout}");
    assert!(stdout.contains("to create"), "{stdout}");
    assert!(
        stderr.contains(
            "warning: no monthly cost estimate: no-such-prices.toml: cannot read the price table given with --prices or PROVISION_PRICES: No such file or directory"
        ),
        "{stderr}"
    );
}
