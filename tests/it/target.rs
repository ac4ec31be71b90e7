//! `--target` against LocalStack: a subnet pulls in its VPC, and nothing else is touched.

use crate::support;

use crate::support::{Account, assert_ok, text};

#[tokio::test(flavor = "multi_thread")]
async fn a_targeted_subnet_brings_its_vpc_and_nothing_else() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let scope = [
        "--env",
        "staging",
        "--state",
        "local",
        "--target",
        "shared.subnet.public-a",
    ];
    let args = |verb: &[&'static str]| -> Vec<&'static str> { [verb, &scope[..]].concat() };

    let out = account.provision(
        d,
        &["--format", "json", "plan"]
            .iter()
            .chain(&scope)
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: resource targeting is in effect"),
        "{}",
        text(&out)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let planned: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [
            ("shared.vpc", "create"),
            ("shared.subnet.public-a", "create")
        ]
    );

    assert_ok(&account.provision(d, &args(&["apply", "--auto-approve"])));
    let aws = account.aws().await;
    let live = support::live_ids(&aws, "staging").await;
    assert_eq!(
        live.keys().map(String::as_str).collect::<Vec<_>>(),
        ["shared.subnet.public-a", "shared.vpc"]
    );
    // Targeted again: nothing to do, though the rest of the environment is missing.
    let out = account.provision(d, &args(&["plan"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // An address that names nothing is refused before anything changes.
    let out = account.plan(
        d,
        "staging",
        &["--state", "local", "--target", "shared.subnet.nope"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("--target shared.subnet.nope: no such resource"),
        "{}",
        text(&out)
    );

    // destroy --target shared.vpc takes the subnet with it.
    let out = account.destroy(
        d,
        "staging",
        &["--state", "local", "--target", "shared.vpc"],
    );
    assert_ok(&out);
    assert!(support::live_ids(&aws, "staging").await.is_empty());
}
