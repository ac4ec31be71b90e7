//! `provision cost --env E` as a user runs it: the text table (golden), the JSON document, a
//! spec folder outside the repository (the built-in prices), and a broken or missing `--prices`.
//! No AWS call, no network.
//!
//! After an intended change to the estimate or its rendering, regenerate the golden file with
//! `UPDATE_GOLDEN=1 cargo test --test it cost::` and review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run from the repository with relative paths, so the output names `prices/us-east-2.toml`.
fn provision(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provision"))
        .current_dir(repo())
        .args(["--specs", "specs"])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("PROVISION_SPECS")
        .env_remove("PROVISION_PRICES")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run provision")
}

/// Run in `dir` with nothing of the repository around: the specs come from `PROVISION_SPECS`
/// or `--specs` only.
fn provision_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provision"))
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("PROVISION_SPECS")
        .env_remove("PROVISION_PRICES")
        .env_remove("AWS_ENDPOINT_URL")
        .envs(env.iter().copied())
        .output()
        .expect("run provision")
}

/// A copy of the project's specs in a folder of their own, with no `prices/` anywhere near.
fn specs_elsewhere() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("my-specs");
    std::fs::create_dir(&specs).unwrap();
    for entry in std::fs::read_dir(repo().join("specs")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, specs.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

fn golden(name: &str, actual: &str) {
    let path = repo().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).expect("golden file (UPDATE_GOLDEN=1)");
    assert_eq!(actual, expected, "{} differs", path.display());
}

#[test]
fn staging_text_matches_the_golden_table() {
    let o = provision(&["cost", "--env", "staging"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("\nTotal: $127.43 a month\n"), "{out}");
    golden("cost_staging.txt", &out);
}

#[test]
fn json_total_is_the_sum_of_its_rows() {
    for env in ["staging", "production"] {
        let o = provision(&["cost", "--env", env, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
        assert_eq!(doc["format_version"], 1);
        assert_eq!(doc["env"], env);
        assert_eq!(doc["region"], "us-east-2");
        assert_eq!(doc["prices_taken"], "2026-11-30");
        assert_eq!(doc["hours_per_month"], 730.0);
        let lines = doc["lines"].as_array().expect("lines");
        assert!(!lines.is_empty());
        for bound in ["min", "max"] {
            let sum: f64 = lines
                .iter()
                .map(|l| l["monthly"][bound].as_f64().expect("monthly"))
                .sum();
            let total = doc["total"][bound].as_f64().expect("total");
            assert!(
                (sum - total).abs() < 1e-9,
                "{env} {bound}: {sum} != {total}"
            );
        }
        // Every row is its unit price times its quantity.
        for l in lines {
            let unit = l["unit_price"].as_f64().unwrap();
            let q = l["quantity"]["max"].as_f64().unwrap();
            let m = l["monthly"]["max"].as_f64().unwrap();
            assert!((unit * q - m).abs() < 1e-9, "{l}");
        }
        assert!(doc["assumptions"].as_array().expect("assumptions").len() >= 5);
    }
}

#[test]
fn production_shows_the_autoscaling_range() {
    let o = provision(&["cost", "--env", "production"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Total: $136.84-$160.90 a month (minimum-maximum instance counts)"),
        "{out}"
    );
    assert!(out.contains("EC2 t3.small"), "{out}");
}

#[test]
fn a_broken_price_table_exits_1_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("prices/us-east-2.toml")).unwrap();
    let broken = text.replace("hourly = 0.045", "hourly = \"cheap\"");
    let line = broken
        .lines()
        .position(|l| l.contains("\"cheap\""))
        .unwrap()
        + 1;
    std::fs::write(dir.path().join("us-east-2.toml"), broken).unwrap();
    let prices = dir.path().to_str().unwrap();
    let o = provision(&["cost", "--env", "staging", "--prices", prices]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let expected = format!(
        "error: {}:{line}: hourly: ",
        Path::new(prices).join("us-east-2.toml").display()
    );
    assert!(err.starts_with(&expected), "{err}");
}

#[test]
fn specs_outside_the_repository_are_priced_with_the_built_in_table() {
    let dir = specs_elsewhere();
    let specs = dir.path().join("my-specs");
    let cwd = tempfile::tempdir().unwrap();
    let by_flag = provision_in(
        cwd.path(),
        &[],
        &[
            "--specs",
            specs.to_str().unwrap(),
            "cost",
            "--env",
            "staging",
        ],
    );
    let by_env = provision_in(
        cwd.path(),
        &[("PROVISION_SPECS", specs.to_str().unwrap())],
        &["cost", "--env", "staging"],
    );
    for o in [by_flag, by_env] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stderr(&o), "");
        let out = stdout(&o);
        assert!(out.contains("\nTotal: $127.43 a month\n"), "{out}");
        assert!(
            out.contains("Prices: prices/us-east-2.toml (built in) taken 2026-11-30"),
            "{out}"
        );
    }
}

#[test]
fn a_prices_file_overrides_the_built_in_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cheaper.toml");
    let text = std::fs::read_to_string(repo().join("prices/us-east-2.toml")).unwrap();
    // The NAT gateway's hour at $0.035 instead of $0.045: 730 h x $0.01 = $7.30 less.
    std::fs::write(&file, text.replace("hourly = 0.045", "hourly = 0.035")).unwrap();
    let o = provision(&[
        "cost",
        "--env",
        "staging",
        "--prices",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("\nTotal: $120.13 a month\n"), "{out}");
    assert!(
        out.contains(&format!("Prices: {} taken 2026-11-30", file.display())),
        "{out}"
    );
    let o = provision_in(
        dir.path(),
        &[("PROVISION_PRICES", file.to_str().unwrap())],
        &[
            "--specs",
            repo().join("specs").to_str().unwrap(),
            "cost",
            "--env",
            "staging",
        ],
    );
    assert!(
        stdout(&o).contains("\nTotal: $120.13 a month\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_prices_file_that_cannot_be_read_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("prices-2027.toml");
    let o = provision(&[
        "cost",
        "--env",
        "staging",
        "--prices",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}: cannot read the price table given with --prices or PROVISION_PRICES\n  caused by: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    // Through the environment variable as well: never a quiet fall back to the built-in table.
    let o = provision_in(
        dir.path(),
        &[("PROVISION_PRICES", missing.to_str().unwrap())],
        &[
            "--specs",
            repo().join("specs").to_str().unwrap(),
            "cost",
            "--env",
            "staging",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("prices-2027.toml: cannot read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_price_table_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let o = provision(&[
        "cost",
        "--env",
        "staging",
        "--prices",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("us-east-2.toml: cannot read the price table"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn envdiff_has_the_cost_row() {
    let o = provision(&["envdiff", "staging", "production"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let row = out
        .lines()
        .find(|l| l.starts_with("Monthly cost (estimate, provision cost)"))
        .unwrap_or_else(|| panic!("no cost row in:\n{out}"));
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells[1..],
        ["$127.43 a month", "$136.84-$160.90 a month"],
        "{row}"
    );
    let o = provision(&["envdiff", "staging", "production", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let row = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["aspect"] == "Monthly cost (estimate, provision cost)")
        .expect("cost row");
    assert_eq!(row["values"][0], "$127.43 a month");
}

#[test]
fn the_paused_figure_and_its_saving_add_up_to_the_total() {
    let o = provision(&["cost", "--env", "staging", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let paused = doc["paused"]["total"]["min"]
        .as_f64()
        .expect("paused total");
    let saving = doc["paused"]["saving"]["min"].as_f64().expect("saving");
    let total = doc["total"]["min"].as_f64().unwrap();
    assert!(
        (paused + saving - total).abs() < 1e-9,
        "{paused} + {saving} != {total}"
    );
    assert!(paused > 0.0 && saving > 0.0);
    // The NAT's Elastic IP stays allocated while paused: 730 h at $0.005, a line of its own.
    assert_eq!(doc["paused"]["kept_ips"]["min"].as_f64(), Some(3.65));
    assert!(
        doc["paused"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["resource"] == "shared.eip.nat-public-a"),
        "{doc}"
    );
    let text = stdout(&provision(&["cost", "--env", "staging"]));
    assert!(
        text.contains("Paused (provision pause): $61.42 a month, saving $66.00"),
        "{text}"
    );
}

#[test]
fn markdown_cost_and_envdiff_match_their_goldens() {
    let o = provision(&["cost", "--env", "staging", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "**Estimated monthly cost of `staging` (us-east-2, USD): $127.43 a month**\n"
        ),
        "{out}"
    );
    golden("cost_staging.md", &out);
    let o = provision(&["envdiff", "staging", "production", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("**Environment differences: `staging` vs `production`**: "),
        "{out}"
    );
    assert!(
        out.contains("| Aspect | staging | production |\n| --- | --- | --- |\n"),
        "{out}"
    );
    golden("envdiff.md", &out);
}
