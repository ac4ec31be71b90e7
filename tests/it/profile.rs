//! `--profile` and the logs, against LocalStack. LocalStack takes a 12-digit access key id as
//! the account id, so which credentials a run used shows in which account it found things.

use std::path::Path;

use crate::support::{Account, HandVpc, text};
use provision::model::{TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK};

/// Writes a config and a credentials file with the profile `other` (the account `other`).
fn profile_files(dir: &Path, other: &Account) -> (String, String) {
    let config = dir.join("aws-config");
    let credentials = dir.join("aws-credentials");
    std::fs::write(&config, "[profile other]\nregion = us-east-2\n").unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[other]\naws_access_key_id = {}\naws_secret_access_key = test\n",
            other.id
        ),
    )
    .unwrap();
    (
        config.display().to_string(),
        credentials.display().to_string(),
    )
}

/// A VPC in `account` carrying staging's ownership tags for `shared.vpc`.
async fn tagged_vpc(account: &Account) -> String {
    let tags = [
        (TAG_PROJECT, "agentpass"),
        (TAG_ENV, "staging"),
        (TAG_STACK, "shared"),
        (TAG_ADDRESS, "shared.vpc"),
    ];
    HandVpc::make(&account.aws().await, "10.0.0.0/16", &tags, &[])
        .await
        .id
}

/// The action the plan has for `shared.vpc`, and its id.
fn vpc_action(doc: &serde_json::Value) -> (String, Option<String>) {
    let c = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "shared.vpc")
        .expect("shared.vpc in the plan");
    (
        c["action"].as_str().unwrap().to_owned(),
        c["id"].as_str().map(str::to_owned),
    )
}

#[tokio::test]
async fn an_explicit_profile_wins_over_credentials_in_the_environment() {
    let env_account = Account::new();
    let other = env_account.beside(); // the profile's account, on the same emulator
    let vpc = tagged_vpc(&other).await;
    let dir = env_account.workdir();
    let (config, credentials) = profile_files(dir.path(), &other);
    let plan = |profile: Option<&str>| {
        let mut args = vec!["--format", "json"];
        if let Some(p) = profile {
            args.extend(["--profile", p]);
        }
        args.extend(["plan", "--env", "staging", "--stack", "shared"]);
        args.extend(["--state", "local"]);
        let out = env_account
            .command(dir.path(), &args)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // The environment's credentials: an empty account, everything to create.
    assert_eq!(vpc_action(&plan(None)), ("create".to_owned(), None));
    // --profile other: the other account, where the tagged VPC is found.
    let (action, id) = vpc_action(&plan(Some("other")));
    assert_ne!(action, "create");
    assert_eq!(id.as_deref(), Some(vpc.as_str()));
}

#[test]
fn an_unknown_profile_is_an_error_naming_it_and_the_files_before_any_aws_call() {
    let account = Account::new();
    let dir = account.workdir();
    let (config, credentials) = profile_files(dir.path(), &account);
    let started = std::time::Instant::now();
    let out = account
        .command(
            dir.path(),
            &["--profile", "nope", "plan", "--env", "staging", "--stats"],
        )
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        // Were it to reach AWS, it would go nowhere fast rather than to LocalStack.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("profile `nope`"), "{err}");
    assert!(
        err.contains("no such AWS profile (defined: other)"),
        "{err}"
    );
    assert!(err.contains(&config) && err.contains(&credentials), "{err}");
    assert!(!err.contains("could not reach"), "{err}");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert!(out.stdout.is_empty());
}

#[test]
fn logs_have_no_colour_off_a_terminal_and_vv_leaves_out_the_sdk() {
    let account = Account::new();
    let dir = account.workdir();
    let run = |v: &str, no_color: bool| {
        let mut cmd = account.command(dir.path(), &[v, "state", "list", "--env", "staging"]);
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        cmd.env_remove("RUST_LOG");
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // stderr is a pipe here: no ANSI codes, with or without NO_COLOR.
    let vv = run("-vv", false);
    assert!(!vv.contains('\x1b'), "{vv}");
    assert!(vv.contains("DEBUG provision"), "{vv}");
    assert!(
        !vv.contains("aws_smithy") && !vv.contains("aws_config"),
        "{vv}"
    );
    let vvv = run("-vvv", true);
    assert!(!vvv.contains('\x1b'), "{vvv}");
    assert!(vvv.contains("aws_smithy"), "{vvv}");
    let quiet = run("-v", true);
    assert!(!quiet.contains("DEBUG"), "{quiet}");
}
