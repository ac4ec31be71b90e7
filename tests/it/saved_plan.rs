//! Saved plans against LocalStack: `plan --out FILE` then `apply FILE` carries out exactly that
//! plan, and refuses, changing nothing, once AWS or state moved.

use crate::support;

use std::path::Path;

use crate::support::{Account, assert_ok, text};

async fn set_vpc_tag(account: &Account, vpc: &str, value: &str) {
    let aws = account.aws().await;
    aws.ec2
        .create_tags()
        .resources(vpc)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Environment")
                .value(value)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn vpc_tag(account: &Account, vpc: &str) -> String {
    let aws = account.aws().await;
    let out = aws.ec2.describe_vpcs().vpc_ids(vpc).send().await.unwrap();
    out.vpcs()[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some("Environment"))
        .and_then(|t| t.value())
        .unwrap_or_default()
        .to_owned()
}

fn path(d: &Path, name: &str) -> String {
    d.join(name).display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_applied_as_saved_or_refused_once_aws_or_state_moved() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared", "--state", "local"];
    let run =
        |verb: &[&str], extra: &[&str]| account.provision(d, &[verb, &scope[..], extra].concat());

    // Saved, then applied as saved.
    let first = path(d, "first.plan");
    let out = run(&["plan"], &["--out", &first]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&first).unwrap()).unwrap();
    assert_eq!(saved["format"], "provision-saved-plan");
    assert_eq!(saved["state"]["shared"], serde_json::Value::Null);
    assert!(saved["plan"]["summary"]["create"].as_u64().unwrap() > 0);
    // Without a terminal and without --auto-approve, a plain apply is refused (it would ask)...
    let out = run(&["apply"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not asking for confirmation without a terminal"),
        "{}",
        text(&out)
    );
    // ...while the saved plan is its own approval (stdin is not a terminal here either).
    let out = run(&["apply"], &[&first]);
    assert_ok(&out);
    assert!(!text(&out).contains("Do you want to"), "{}", text(&out));
    let aws = account.aws().await;
    let vpc = support::live_ids(&aws, "staging").await["shared.vpc"].clone();
    // Applied once, the same file is refused: state moved.
    let out = run(&["apply"], &[&first]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(
            "state moved since the plan was saved (shared/staging: no snapshot in the plan, serial"
        ),
        "{}",
        text(&out)
    );

    // An out-of-band change after the plan: refused, naming what moved, nothing changed.
    set_vpc_tag(&account, &vpc, "by-hand").await;
    let second = path(d, "second.plan");
    assert_eq!(run(&["plan"], &["--out", &second]).status.code(), Some(2));
    set_vpc_tag(&account, &vpc, "by-hand-again").await;
    let out = run(&["apply"], &[&second]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(
            "AWS changed since the plan was saved: shared.vpc; make a new plan; nothing was changed"
        ),
        "{}",
        text(&out)
    );
    assert_eq!(vpc_tag(&account, &vpc).await, "by-hand-again");

    // Another apply in between moves the state serial: refused too.
    let third = path(d, "third.plan");
    assert_eq!(run(&["plan"], &["--out", &third]).status.code(), Some(2));
    assert_ok(&run(&["apply", "--auto-approve"], &[]));
    let out = run(&["apply", "--auto-approve"], &[&third]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("state moved since the plan was saved"),
        "{}",
        text(&out)
    );
    assert_eq!(vpc_tag(&account, &vpc).await, "staging");

    // A file that is not a saved plan is refused before any AWS call.
    std::fs::write(d.join("junk.plan"), "{}").unwrap();
    let out = run(&["apply", "--auto-approve"], &[&path(d, "junk.plan")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("not a saved plan"), "{}", text(&out));
}
