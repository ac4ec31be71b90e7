//! `--target` and `--exclude` against LocalStack: a subnet pulls in its VPC, and nothing else is
//! touched; an excluded stack is left as it is.

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

#[tokio::test(flavor = "multi_thread")]
async fn an_excluded_stack_is_left_untouched_by_a_saved_plan_and_by_destroy() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--state", "local"];
    let run =
        |verb: &[&str], extra: &[&str]| account.provision(d, &[verb, &scope[..], extra].concat());
    let file = d.join("no-console.plan").display().to_string();

    // Saved with --exclude console: the file records it, and applies without the console.
    let out = run(&["plan"], &["--exclude", "console", "--out", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved["format_version"], 2);
    assert_eq!(saved["excludes"], serde_json::json!(["console"]));
    let out = run(&["apply"], &["--exclude", "console", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("carries its own targets and exclusions"),
        "{}",
        text(&out)
    );
    assert_ok(&run(&["apply"], &[&file]));
    let aws = account.aws().await;
    let live = support::live_ids(&aws, "staging").await;
    assert!(live.contains_key("backend.rds"), "{live:?}");
    assert!(live.keys().all(|a| !a.starts_with("console.")), "{live:?}");
    // The full plan still wants the console: it was left out, not forgotten.
    let out = run(&["--format", "json", "plan"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changed: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no_op")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert!(!changed.is_empty(), "{changed:?}");
    assert!(
        changed.iter().all(|a| a.starts_with("console.")),
        "{changed:?}"
    );

    // destroy --exclude backend keeps the backend and what it stands on (VPC, subnets, groups).
    let out = run(&["destroy", "--auto-approve"], &["--exclude", "backend"]);
    assert_ok(&out);
    let after = support::live_ids(&aws, "staging").await;
    assert!(after.contains_key("backend.rds"), "{after:?}");
    assert!(after.contains_key("shared.vpc"), "{after:?}");
    assert!(after.len() < live.len(), "{after:?} vs {live:?}");
    // An exclusion naming nothing is refused.
    let out = run(&["plan"], &["--exclude", "shared.nope"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("--exclude shared.nope: no such resource"),
        "{}",
        text(&out)
    );
}
