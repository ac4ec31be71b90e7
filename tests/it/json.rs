//! Every command's `--format json` is one JSON document on stdout, as docs/json.md describes:
//! parsed here for each command, against LocalStack where the command reads AWS.

use crate::support;

use crate::support::Account;

#[test]
fn invalid_specs_give_their_errors_as_json() {
    let account = Account::new();
    let dir = account.workdir();
    support::edit(
        dir.path(),
        "staging.toml",
        "backup_retention_days = 3",
        "backup_retention_days = 36",
    );
    let (code, doc) = account.json(dir.path(), &["validate", "--env", "staging"]);
    assert_eq!(code, Some(1));
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["env"], "staging");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc:#}");
    let e = &errors[0];
    assert!(e["file"].as_str().unwrap().ends_with("staging.toml"), "{e}");
    assert!(e["line"].as_u64().unwrap() > 0 && e["column"].as_u64().unwrap() > 0);
    assert!(
        e["field"].as_str().unwrap().contains("backup_retention"),
        "{e}"
    );
    assert!(!e["message"].as_str().unwrap().is_empty());
}

#[test]
fn state_outputs_apply_and_destroy_in_json() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared", "--state", "local"];
    fn with<'a>(verb: &[&'a str], scope: &[&'a str]) -> Vec<&'a str> {
        [verb, scope].concat()
    }

    // apply: the plan and the report of each step.
    let (code, doc) = account.json(d, &with(&["apply", "--auto-approve"], &scope));
    assert_eq!(code, Some(0), "{doc:#}");
    assert_eq!(doc["env"], "staging");
    assert!(
        doc["plan"]["summary"]["create"].as_u64().unwrap() > 0,
        "{doc:#}"
    );
    let results = doc["report"]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["address"].as_str().is_some()));

    // state list and show: each stack's snapshot.
    let (code, list) = account.json(d, &with(&["state", "list"], &scope));
    assert_eq!(code, Some(0));
    assert!(list["shared"]["serial"].as_u64().unwrap() >= 1, "{list:#}");
    assert!(list.get("backend").is_none(), "{list:#}");
    let (_, show) = account.json(d, &with(&["state", "show"], &scope));
    let vpc = &show["shared"]["resources"]["shared.vpc"];
    assert!(vpc["id"].as_str().unwrap().starts_with("vpc-"), "{show:#}");

    // state history: the entries by stack.
    let (code, history) = account.json(d, &with(&["state", "history"], &scope));
    assert_eq!(code, Some(0), "{history:#}");
    assert_eq!(history["format_version"], 1);
    let entries = history["stacks"]["shared"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| e["serial"].as_u64().is_some()));

    // state unlock: nothing was locked.
    let (code, unlock) = account.json(d, &with(&["state", "unlock"], &scope));
    assert_eq!(code, Some(0));
    assert_eq!(
        unlock["stacks"]["shared"],
        serde_json::json!({"locked": false, "broken": null})
    );

    // outputs --stack shared: only the API (not deployed: its stage is the backend's).
    let (code, outputs) = account.json(d, &with(&["outputs"], &scope));
    assert_eq!(code, Some(0));
    assert_eq!(
        outputs,
        serde_json::json!({"format_version": 1, "env": "staging", "api": null})
    );
    let console = [
        "outputs", "--env", "staging", "--stack", "console", "--state", "local",
    ];
    let (_, outputs) = account.json(d, &console);
    assert_eq!(
        outputs,
        serde_json::json!({"format_version": 1, "env": "staging", "frontend": null})
    );

    // drift: clean after the apply.
    let (code, drift) = account.json(d, &with(&["drift"], &scope));
    assert_eq!(
        (code, &drift["drift"]),
        (Some(0), &serde_json::json!(false))
    );

    // destroy: the plan of deletes and their report.
    let (code, doc) = account.json(d, &with(&["destroy", "--auto-approve"], &scope));
    assert_eq!(code, Some(0), "{doc:#}");
    assert_eq!(doc["plan"]["summary"]["create"], 0);
    assert!(doc["plan"]["summary"]["delete"].as_u64().unwrap() > 0);
    assert!(!doc["report"]["results"].as_array().unwrap().is_empty());
}
