//! Staging before production against LocalStack: each apply records the spec it applied;
//! production refuses a base.toml change staging has not applied, and takes it once staging has.

use crate::support::{self, Account, assert_ok, text};

#[tokio::test(flavor = "multi_thread")]
async fn production_refuses_a_base_change_until_staging_has_applied_it() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let run = |env: &str, verb: &[&str], extra: &[&str]| {
        let scope = ["--env", env, "--state", "local", "--stack", "shared"];
        account.provision(d, &[verb, &scope[..], extra].concat())
    };
    assert_ok(&run("staging", &["apply", "--auto-approve"], &[]));
    let snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("state/shared/staging/state.json")).unwrap())
            .unwrap();
    assert_eq!(snap["applied"]["base"]["file"], "base.toml");
    assert_eq!(snap["applied"]["env"]["file"], "staging.toml");
    assert!(
        snap["applied"]["base"]["keys"]["console.beanstalk.instance_type"].is_string(),
        "{snap}"
    );
    // Only shared was applied in staging: the other stacks record nothing, so production waits.
    let out = run(
        "production",
        &["apply", "--auto-approve", "--confirm", "production"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("base.toml has changed since staging last applied it"),
        "{}",
        text(&out)
    );
    // Staging's other stacks are applied: production goes ahead (shared only, to be quick).
    for stack in ["backend", "console"] {
        let scope = [
            "--env",
            "staging",
            "--state",
            "local",
            "--stack",
            stack,
            "--auto-approve",
        ];
        assert_ok(&account.provision(d, &[&["apply"][..], &scope[..]].concat()));
    }
    let out = run("production", &["plan"], &[]);
    assert!(
        !text(&out).contains("has changed since staging"),
        "{}",
        text(&out)
    );
    assert_ok(&run(
        "production",
        &["apply", "--auto-approve", "--confirm", "production"],
        &[],
    ));

    // A base change: production's plan names it and its apply refuses it.
    support::edit(
        d,
        "base.toml",
        "instance_type = \"t3.micro\"",
        "instance_type = \"t3.small\"",
    );
    let out = run("production", &["plan"], &[]);
    assert!(
        text(&out).contains("warning: base.toml has changed since staging last applied it (")
            && text(&out).contains("console.beanstalk.instance_type"),
        "{}",
        text(&out)
    );
    let out = run(
        "production",
        &["apply", "--auto-approve", "--confirm", "production"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("or pass --skip-promotion-check; nothing was changed"),
        "{}",
        text(&out)
    );
    // --skip-promotion-check lets it through, as the operator's decision, with a warning.
    let out = run(
        "production",
        &["apply", "--auto-approve", "--confirm", "production"],
        &["--skip-promotion-check"],
    );
    assert_ok(&out);
    assert!(
        text(&out).contains("(--skip-promotion-check)"),
        "{}",
        text(&out)
    );
    let out = run("production", &["plan"], &[]);
    assert!(
        text(&out).contains("has changed since staging"),
        "{}",
        text(&out)
    );
    // Staging applies it (the environments' files override that value, so nothing changes in
    // AWS: the snapshots are marked all the same), then production has nothing to refuse.
    for stack in ["shared", "backend", "console"] {
        let scope = [
            "--env",
            "staging",
            "--state",
            "local",
            "--stack",
            stack,
            "--auto-approve",
        ];
        assert_ok(&account.provision(d, &[&["apply"][..], &scope[..]].concat()));
    }
    let out = run(
        "production",
        &["apply", "--auto-approve", "--confirm", "production"],
        &[],
    );
    assert_ok(&out);
    assert!(
        !text(&out).contains("has changed since staging"),
        "{}",
        text(&out)
    );

    // envdiff shows each environment's last applied base: the same digest now.
    let out = account.provision(
        d,
        &["envdiff", "staging", "production", "--applied", "local"],
    );
    assert_ok(&out);
    let t = String::from_utf8_lossy(&out.stdout).into_owned();
    let row = t
        .lines()
        .find(|l| l.starts_with("Base last applied (digest, when)"))
        .unwrap_or_else(|| panic!("{t}"));
    let cells: Vec<&str> = row.split("base.toml ").skip(1).map(|c| &c[..12]).collect();
    assert_eq!(cells.len(), 2, "{row}");
    assert_eq!(cells[0], cells[1], "{row}");
    assert!(row.contains(" at 20"), "{row}");
}
