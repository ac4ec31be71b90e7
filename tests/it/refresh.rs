//! `provision refresh`, and apply clearing a stale record: after a run killed once AWS had
//! carried out its change but before it was recorded, state holds the old values while AWS
//! matches the spec. Drift reports it; plan and apply have nothing to do to AWS; refresh (or
//! apply) records what AWS has, and drift is clean again.

use std::path::Path;

use crate::support::{Account, assert_ok, text};

/// What the killed run left: the VPC's `Environment` tag recorded with an older value.
fn make_record_stale(dir: &Path) {
    let path = dir.join("state/shared/staging/state.json");
    let mut snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let tags = &mut snap["resources"]["shared.vpc"]["tags"];
    assert!(tags["Environment"].is_string(), "{snap:#}");
    tags["Environment"] = "before-the-kill".into();
    std::fs::write(&path, serde_json::to_vec_pretty(&snap).unwrap()).unwrap();
}

/// Drift names the stale field, with the fix as it must be typed for `--state local`.
fn stale_vpc_reported(doc: &serde_json::Value) -> bool {
    doc["findings"].as_array().unwrap().iter().any(|f| {
        f["address"] == "shared.vpc"
            && f["category"] == "changed"
            && f["field"] == "tags.Environment"
            && f["resolve"]
                .as_str()
                .unwrap()
                .starts_with("`provision apply --env staging --state local` restores")
    })
}

#[test]
fn refresh_and_apply_clear_a_record_that_lags_behind_aws() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared", "--state", "local"];
    let args = |verb: &[&'static str]| -> Vec<&'static str> { [verb, &scope[..]].concat() };
    assert_ok(&account.provision(d, &args(&["apply", "--auto-approve"])));
    let (_, before) = account.json(d, &args(&["state", "list"]));

    make_record_stale(d);
    let (code, drift) = account.json(d, &args(&["drift"]));
    assert_eq!(code, Some(2), "{drift:#}");
    assert!(stale_vpc_reported(&drift), "{drift:#}");
    // AWS is as the spec asks: nothing to plan.
    let (code, plan) = account.json(d, &args(&["plan"]));
    assert_eq!(code, Some(0), "{plan:#}");

    // refresh records it, through a new snapshot and history entry.
    let (code, refreshed) = account.json(d, &args(&["refresh"]));
    assert_eq!(code, Some(0), "{refreshed:#}");
    assert_eq!(
        refreshed["changes"],
        serde_json::json!([{"action": "record", "address": "shared.vpc",
            "id": before["shared"]["resources"]["shared.vpc"]["id"], "fields": ["tags.Environment"]}])
    );
    let (code, drift) = account.json(d, &args(&["drift"]));
    assert_eq!(code, Some(0), "{drift:#}");
    let (_, after) = account.json(d, &args(&["state", "list"]));
    let serial = |doc: &serde_json::Value| doc["shared"]["serial"].as_u64().unwrap();
    assert_eq!(serial(&after), serial(&before) + 1);
    let (_, history) = account.json(d, &args(&["state", "history"]));
    let last = history["stacks"]["shared"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["serial"].as_u64(), Some(serial(&after)));

    // Nothing left: refresh writes nothing.
    let out = account.provision(d, &args(&["refresh"]));
    assert_ok(&out);
    assert!(text(&out).contains("nothing to refresh"), "{}", text(&out));
    let (_, again) = account.json(d, &args(&["state", "list"]));
    assert_eq!(serial(&again), serial(&after));

    // The same lag, cleared by an apply: it changes nothing in AWS but records.
    make_record_stale(d);
    let out = account.provision(d, &args(&["apply", "--auto-approve"]));
    assert_ok(&out);
    assert!(
        text(&out).contains("shared.vpc: recorded"),
        "{}",
        text(&out)
    );
    let (code, drift) = account.json(d, &args(&["drift"]));
    assert_eq!(code, Some(0), "{drift:#}");
    // And a converged apply writes nothing.
    let (_, settled) = account.json(d, &args(&["state", "list"]));
    assert_ok(&account.provision(d, &args(&["apply", "--auto-approve"])));
    let (_, still) = account.json(d, &args(&["state", "list"]));
    assert_eq!(serial(&still), serial(&settled));
}

/// A lock left in `state/`: the commands the errors give to break it carry `--state local`.
#[test]
fn lock_errors_name_the_unlock_command_for_local_state() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let lock = d.join("state/shared/staging/lock.json");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let info = serde_json::json!({
        "id": "someone-else", "owner": "alice", "host": "laptop", "pid": 4242,
        "command": "apply --env staging", "created_at": now, "lease_seconds": 900,
    });
    std::fs::write(&lock, info.to_string()).unwrap();
    let scope = ["--env", "staging", "--stack", "shared", "--state", "local"];
    let fix = "`provision state unlock --env staging --state local --stack shared --force`";

    let out = account.provision(d, &[&["apply", "--auto-approve"][..], &scope].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(fix), "{}", text(&out));
    let out = account.provision(d, &[&["state", "unlock"][..], &scope].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(fix), "{}", text(&out));
    assert_ok(&account.provision(d, &[&["state", "unlock", "--force"][..], &scope].concat()));
    assert!(!lock.exists());
}
