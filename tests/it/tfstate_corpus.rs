//! `import --from-terraform --dry-run` over a corpus of real Terraform states (tests/tfstate:
//! 40 states from public repositories, Terraform 0.11 to 1.15, with their secrets replaced by
//! `CORPUS-SECRET-…` markers; MANIFEST.md says where each came from). Offline: the endpoint
//! answers nothing, and a dry run makes no AWS call.
//!
//! None of these states is this project's, so nothing may map: a mapping would be a guess
//! (issue 21: an internet gateway of another VPC, the Lambda integration of another API). Every
//! instance is listed with a reason, every v4 state parses, the two v3 states are refused by
//! name, and no secret reaches stdout or stderr, in text or JSON, with debug logs on.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn states() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/tfstate/states"))
        .expect("the corpus")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tfstate"))
        .collect();
    files.sort();
    files
}

/// (exit code, stdout, stderr) of a dry run over one state.
fn dry_run(state: &Path, json: bool) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provision"));
    cmd.current_dir(root())
        .args(["import", "--env", "staging", "--from-terraform"])
        .arg(state)
        .arg("--dry-run")
        .env_remove("AWS_PROFILE")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "corpus")
        .env("AWS_SECRET_ACCESS_KEY", "corpus")
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1");
    if json {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.output().expect("run provision");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The number of resource instances a v4 state holds, counted independently of provision.
fn instances_in(state: &Path) -> usize {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    doc["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["instances"].as_array().map_or(0, Vec::len))
        .sum()
}

#[test]
fn real_states_map_nothing_by_guess_and_show_no_secret() {
    let files = states();
    assert!(files.len() >= 40, "the corpus is in tests/tfstate/states");
    let (mut v4, mut v3, mut listed) = (0, 0, 0);
    for state in &files {
        let name = state.file_name().unwrap().to_string_lossy().into_owned();
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
        let (code, text, text_err) = dry_run(state, false);
        let (json_code, json, json_err) = dry_run(state, true);
        for (stream, what) in [
            (&text, "stdout"),
            (&text_err, "stderr"),
            (&json, "JSON stdout"),
            (&json_err, "JSON stderr"),
        ] {
            assert!(
                !stream.contains("CORPUS-SECRET"),
                "{name}: a secret reached {what}:\n{stream}"
            );
        }
        if doc["version"] == 3 {
            v3 += 1;
            assert_eq!((code, json_code), (Some(1), Some(1)), "{name}: {text_err}");
            assert!(text_err.contains("version: is 3"), "{name}: {text_err}");
            continue;
        }
        v4 += 1;
        assert_eq!(code, Some(0), "{name}: {text_err}");
        assert_eq!(json_code, Some(0), "{name}: {json_err}");
        assert!(text.contains("Dry run: nothing was changed."), "{name}");
        let view: serde_json::Value = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{name}: JSON output: {e}\n{json}"));
        let mapped = view["mapped"].as_array().unwrap();
        assert!(
            mapped.is_empty(),
            "{name}: mapped by guess onto agentpass's staging: {mapped:#?}"
        );
        let unmapped = view["unmapped"].as_array().unwrap();
        let leftovers = view["leftovers"].as_array().unwrap();
        assert_eq!(
            unmapped.len() + leftovers.len(),
            instances_in(state),
            "{name}: every instance listed"
        );
        for u in unmapped.iter().chain(leftovers) {
            let reason = u["reason"].as_str().unwrap_or_default();
            assert!(!reason.is_empty(), "{name}: {u}");
        }
        // Each leftover comes with the commands that retire it from Terraform or delete it.
        for l in leftovers {
            let tf = l["tf_address"].as_str().unwrap();
            assert!(
                text.contains(&format!("terraform state rm '{tf}'"))
                    && text.contains(&format!("terraform destroy -target='{tf}'")),
                "{name}: {tf}"
            );
        }
        listed += unmapped.len() + leftovers.len();
    }
    assert_eq!((v4, v3), (38, 2));
    assert!(listed > 1000, "the corpus lists {listed} instances");
}
