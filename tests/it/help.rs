//! `--help` of every command describes every flag, `--parallelism 0` is refused, and the shell
//! completions are generated. No AWS: these run the binary only.

use std::process::{Command, Output};

fn provision(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provision"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("PROVISION_SPECS")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run provision")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8")
}

/// The subcommands a help page lists under `Commands:` (without `help` itself).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// Flags of a help page's `Options:` section that have no description: a flag line whose
/// text ends with the flag's own syntax, and whose next line is not an indented description.
fn undocumented(help: &str) -> Vec<String> {
    let lines: Vec<&str> = help.lines().collect();
    let mut bare = Vec::new();
    let mut in_options = false;
    for (i, line) in lines.iter().enumerate() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_options = *line == "Options:" || *line == "Arguments:";
            continue;
        }
        let t = line.trim_start();
        if !in_options || !(t.starts_with('-') || t.starts_with('<')) || line.len() - t.len() > 6 {
            continue;
        }
        // clap puts the description on the same line after two spaces, or (long help) on the
        // following, more indented lines.
        let same_line = t
            .split_once("  ")
            .is_some_and(|(_, d)| !d.trim().is_empty());
        let next_line = lines
            .get(i + 1)
            .is_some_and(|n| n.len() - n.trim_start().len() > 6 && !n.trim().is_empty());
        if !same_line && !next_line {
            bare.push(t.to_owned());
        }
    }
    bare
}

#[test]
fn every_flag_of_every_command_is_described() {
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = 0;
    let mut problems = Vec::new();
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let o = provision(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        let help = text(&o.stdout);
        seen += 1;
        for flag in undocumented(&help) {
            problems.push(format!("provision {}: {flag}", path.join(" ")));
        }
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    // The top level, its commands, and state's four.
    assert!(seen >= 14, "walked only {seen} help pages");
    assert!(
        problems.is_empty(),
        "flags without a description:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_flags_the_issue_names_say_what_they_do() {
    let unlock = text(&provision(&["state", "unlock", "--help"]).stdout);
    assert!(unlock.contains("--force"), "{unlock}");
    assert!(unlock.contains("fresh"), "{unlock}");
    let apply = text(&provision(&["apply", "--help"]).stdout);
    for needle in [
        "shared|backend|console",
        "--env",
        "--state",
        "protected",
        "--confirm",
    ] {
        assert!(
            apply.contains(needle),
            "apply --help lacks {needle}:\n{apply}"
        );
    }
    let destroy = text(&provision(&["destroy", "--help"]).stdout);
    assert!(destroy.contains("database is protected"), "{destroy}");
}

#[test]
fn parallelism_zero_is_refused_before_anything_runs() {
    let o = provision(&["apply", "--env", "staging", "--parallelism", "0"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("--parallelism") && err.contains("at least 1"),
        "{err}"
    );
    let o = provision(&["destroy", "--env", "staging", "--parallelism", "0"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef provision"),
        ("fish", "complete -c provision"),
    ] {
        let o = provision(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        assert!(script.contains(marker), "{shell}: no {marker}");
        // The commands and their flags are in it.
        for word in ["apply", "drift", "unlock", "parallelism", "auto-approve"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let o = provision(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(1));
}
