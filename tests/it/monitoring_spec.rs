//! The `[monitoring]` spec: bad thresholds, comparisons, e-mail addresses, alarm names and names
//! without the environment are refused naming file, line and field; two environments sharing a
//! monitoring name are refused by the isolation check. No AWS call: specs only.

use std::path::Path;

use provision::spec::{self, Diagnostic, SpecError};

/// A private copy of the project's specs, with `extra` appended to each named file.
fn specs(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    for entry in std::fs::read_dir(&src).expect("specs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "toml") {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let mut text = std::fs::read_to_string(&path).unwrap();
            for (file, more) in extra {
                if *file == name {
                    text.push_str(more);
                }
            }
            std::fs::write(dir.path().join(&name), text).unwrap();
        }
    }
    dir
}

fn diags(dir: &Path, env: &str) -> Vec<Diagnostic> {
    match spec::load(dir, env) {
        Ok(_) => panic!("{env} validated but should not"),
        Err(SpecError::Invalid(d)) => d,
        Err(e) => panic!("expected diagnostics, got: {e}"),
    }
}

/// The one diagnostic about `field`: it is in `file` on the line holding `needle`.
#[track_caller]
fn assert_one(dir: &Path, d: &[Diagnostic], field: &str, file: &str, needle: &str) -> String {
    let found: Vec<&Diagnostic> = d.iter().filter(|x| x.field == field).collect();
    assert_eq!(found.len(), 1, "{field}: {d:#?}");
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let at = text
        .rfind(needle)
        .unwrap_or_else(|| panic!("{needle} in {file}"));
    let line = text[..at].matches('\n').count() + 1;
    let rendered = found[0].to_string();
    let prefix = format!("{}:{line}:", dir.join(file).display());
    assert!(
        rendered.starts_with(&prefix),
        "{rendered} (expected {prefix})"
    );
    assert!(rendered.contains(&format!(": {field}: ")), "{rendered}");
    found[0].message.clone()
}

#[test]
fn the_real_specs_have_monitoring_and_production_pages_sooner() {
    let dir = specs(&[]);
    let staging = spec::load(dir.path(), "staging").expect("valid").0.spec;
    let production = spec::load(dir.path(), "production").expect("valid").0.spec;
    assert_eq!(staging.monitoring.topic, "agentpass-staging-alarms");
    assert_eq!(production.monitoring.dashboard, "agentpass-production");
    assert_eq!(staging.monitoring.alarms.len(), 10);
    assert_eq!(staging.monitoring.alarms["api-5xx"].threshold, 10.0);
    assert_eq!(production.monitoring.alarms["api-5xx"].threshold, 5.0);
    assert_eq!(staging.monitoring.emails, ["ops+staging@example.com"]);
    assert!(production.monitoring.emails.is_empty());
}

#[test]
fn a_negative_threshold_is_refused() {
    let dir = specs(&[(
        "staging.toml",
        "\n[monitoring.alarms.db-cpu]\nthreshold = -5\n",
    )]);
    let d = diags(dir.path(), "staging");
    let m = assert_one(
        dir.path(),
        &d,
        "monitoring.alarms.db-cpu.threshold",
        "staging.toml",
        "-5",
    );
    assert!(m.contains("-5 is not a threshold"), "{m}");
}

#[test]
fn an_unknown_comparison_period_and_alarm_are_refused() {
    let dir = specs(&[(
        "staging.toml",
        "\n[monitoring.alarms.api-5xx]\ncomparison = \"=>\"\nperiod = 90\n\n[monitoring.alarms.disk-full]\nthreshold = 1\n",
    )]);
    let d = diags(dir.path(), "staging");
    let m = assert_one(
        dir.path(),
        &d,
        "monitoring.alarms.api-5xx.comparison",
        "staging.toml",
        "\"=>\"",
    );
    assert!(m.contains("`=>` is not one of: >, >=, <, <="), "{m}");
    let m = assert_one(
        dir.path(),
        &d,
        "monitoring.alarms.api-5xx.period",
        "staging.toml",
        "90",
    );
    assert!(m.contains("not a multiple of 60"), "{m}");
    let m = assert_one(
        dir.path(),
        &d,
        "monitoring.alarms.disk-full",
        "staging.toml",
        "[monitoring.alarms.disk-full]",
    );
    assert!(m.contains("unknown alarm `disk-full`"), "{m}");
}

#[test]
fn a_bad_e_mail_address_is_refused() {
    let dir = specs(&[(
        "production.toml",
        "\n[monitoring]\nemails = [\"ops at example.com\"]\n",
    )]);
    let d = diags(dir.path(), "production");
    let m = assert_one(
        dir.path(),
        &d,
        "monitoring.emails[0]",
        "production.toml",
        "\"ops at example.com\"",
    );
    assert!(m.contains("is not an e-mail address"), "{m}");
}

#[test]
fn a_name_without_the_environment_is_refused() {
    let dir = specs(&[(
        "staging.toml",
        "\n[monitoring.alarms.api-latency]\nthreshold = 1000\n",
    )]);
    // The base's topic names {env}; one written without it is refused.
    let text = std::fs::read_to_string(dir.path().join("base.toml")).unwrap();
    let text = text.replace(
        "topic = \"{project}-{env}-alarms\"",
        "topic = \"{project}-alarms\"",
    );
    std::fs::write(dir.path().join("base.toml"), text).unwrap();
    let d = diags(dir.path(), "staging");
    let m = assert_one(
        dir.path(),
        &d,
        "monitoring.topic",
        "base.toml",
        "\"{project}-alarms\"",
    );
    assert!(m.contains("must start with the project name"), "{m}");
}

#[test]
fn two_environments_sharing_a_monitoring_name_are_refused() {
    // A name carrying both environments passes each one's own check; isolation refuses it.
    let shared = "\n[monitoring]\ndashboard = \"agentpass-staging-production\"\n";
    let dir = specs(&[("production.toml", shared)]);
    // staging.toml has its [monitoring] table already.
    let path = dir.path().join("staging.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "emails = [",
        "dashboard = \"agentpass-staging-production\"\nemails = [",
    );
    std::fs::write(&path, text).unwrap();
    let d = diags(dir.path(), "staging");
    let m = assert_one(
        dir.path(),
        &d,
        "monitoring.dashboard",
        "staging.toml",
        "\"agentpass-staging-production\"",
    );
    assert!(m.contains("is also production's"), "{m}");
}
