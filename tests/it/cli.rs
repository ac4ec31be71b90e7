//! The built binary, as a user runs it: exit codes, stdout/stderr, output formats.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

fn provision(specs: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provision"))
        .arg("--specs")
        .arg(specs)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("PROVISION_SPECS")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run provision")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

/// A copy of specs/ with the staging backup retention out of range.
fn broken_specs() -> (tempfile::TempDir, usize) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["base.toml", "staging.toml", "production.toml"] {
        std::fs::copy(specs().join(f), dir.path().join(f)).unwrap();
    }
    let path = dir.path().join("staging.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("backup_retention_days"))
        .unwrap()
        + 1;
    std::fs::write(
        &path,
        text.replace("backup_retention_days = 3", "backup_retention_days = 36"),
    )
    .unwrap();
    (dir, line)
}

#[test]
fn validate_the_real_environments() {
    // Staging subscribes one e-mail address to its alarm topic; production none.
    for (env, resources) in [("staging", 48), ("production", 47)] {
        let o = provision(&specs(), &["validate", "--env", env]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!("{env}: valid ({resources} resources in 3 stacks, region us-east-2)\n")
        );
        assert_eq!(stderr(&o), "");
    }
}

#[test]
fn validate_json() {
    let o = provision(
        &specs(),
        &["validate", "--env", "production", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(
        doc,
        serde_json::json!({"env": "production", "valid": true, "resources": 47, "region": "us-east-2"})
    );
}

#[test]
fn invalid_spec_exits_1_with_the_error_on_stderr() {
    let (dir, line) = broken_specs();
    let o = provision(dir.path(), &["validate", "--env", "staging"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "nothing on stdout");
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    let at = format!("{}:{line}:", dir.path().join("staging.toml").display());
    assert!(err.contains(&at), "{err}");
    assert!(
        err.contains("backend.database.backup_retention_days: 36 is outside 0..=35 days"),
        "{err}"
    );
    assert!(err.trim_end().ends_with("1 error in the specs"), "{err}");
}

#[test]
fn unknown_environment_exits_1_and_lists_the_environments() {
    let o = provision(&specs(), &["validate", "--env", "qa"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: cannot read "), "{err}");
    assert!(err.contains("environments in "), "{err}");
    assert!(err.trim_end().ends_with(": production, staging)"), "{err}");
}

#[test]
fn commands_that_need_aws_check_the_spec_first() {
    let (dir, line) = broken_specs();
    for command in ["plan", "apply", "drift", "destroy"] {
        let o = provision(dir.path(), &[command, "--env", "staging"]);
        assert_eq!(o.status.code(), Some(1), "{command}");
        assert_eq!(stdout(&o), "", "{command}");
        let err = stderr(&o);
        assert!(err.starts_with("error: "), "{command}: {err}");
        assert!(
            err.contains(&format!("staging.toml:{line}:")),
            "{command}: {err}"
        );
        // Stopped at the spec, before anything that would talk to AWS.
        assert!(!err.contains("AWS layer"), "{command}: {err}");
    }
}

/// The seed's "Resource Differences" table: aspect, production, staging.
const SEED_TABLE: [(&str, &str, &str); 8] = [
    ("VPC CIDR", "10.0.0.0/16", "10.2.0.0/16"),
    ("Backend Instances", "t3.small (1-2)", "t3.micro (1)"),
    ("Frontend Instances", "t3.micro (1-2)", "t3.micro (1)"),
    ("RDS Storage", "20 GB", "10 GB"),
    ("RDS Backups", "7 days", "3 days"),
    ("Auto-scaling", "Enabled (1-2)", "Disabled (1)"),
    ("API Gateway", "Separate", "Separate"),
    ("Load Balancers", "Separate ALBs", "Separate ALBs"),
];

/// Table cells are separated by two or more spaces; values have single spaces.
fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn table_rows(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .take_while(|l| !l.is_empty())
        .map(cells)
        .collect()
}

#[test]
fn envdiff_prints_the_seed_table() {
    let o = provision(&specs(), &["envdiff", "staging", "production"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let rows = table_rows(&out);
    assert_eq!(rows[0], ["Aspect", "staging", "production"]);
    for (aspect, production, staging) in SEED_TABLE {
        let found: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == aspect).collect();
        assert_eq!(found.len(), 1, "one `{aspect}` row in:\n{out}");
        assert_eq!(found[0][1..], [staging, production], "{aspect} in:\n{out}");
    }
}

#[test]
fn envdiff_columns_follow_the_argument_order() {
    let o = provision(&specs(), &["envdiff", "production", "staging"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let rows = table_rows(&out);
    assert_eq!(rows[0], ["Aspect", "production", "staging"]);
    for (aspect, production, staging) in SEED_TABLE {
        let row = rows.iter().find(|r| r[0] == aspect).expect(aspect);
        assert_eq!(row[1..], [production, staging], "{aspect}");
    }
}

#[test]
fn envdiff_json() {
    let o = provision(
        &specs(),
        &["envdiff", "production", "staging", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(
        doc["environments"],
        serde_json::json!(["production", "staging"])
    );
    let rows = doc["rows"].as_array().expect("rows");
    for (aspect, production, staging) in SEED_TABLE {
        let row = rows
            .iter()
            .find(|r| r["aspect"] == aspect)
            .unwrap_or_else(|| panic!("{aspect} in {doc}"));
        assert_eq!(row["values"], serde_json::json!([production, staging]));
    }
    assert!(doc["other"].is_array());
}

#[test]
fn envdiff_with_an_invalid_environment_exits_1() {
    let (dir, _) = broken_specs();
    let o = provision(dir.path(), &["envdiff", "staging", "production"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).starts_with("error: "));
}

#[test]
fn a_broken_other_environment_is_a_warning_not_an_error() {
    let (dir, _) = broken_specs();
    let o = provision(dir.path(), &["validate", "--env", "production"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("production: valid"));
    assert_eq!(
        stderr(&o),
        "warning: skipped the isolation checks against `staging`: its spec does not validate \
         (run `provision validate --env staging`)\n"
    );
}
