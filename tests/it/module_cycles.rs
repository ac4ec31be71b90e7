//! No cycles between modules (issue 20): the top-level modules under `src/` depend on each other
//! one way only (plan → state → aws → plan was the last loop), and neither do the sub-modules
//! that once went round in circles (`aws::errors` and `aws::service`, `cli::import` and
//! `cli::import_tf`, `model::attrs`, `model::monitoring` and `model::template`), nor anything
//! inside `cli` or `engine`. Offline: it reads the `crate::`, `super::` and `self::` paths of
//! the source tree (comments, strings and `#[cfg(test)]` modules left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Sub-modules that once went round in circles: no two of a group may be in one cycle.
const GROUPS: &[&[&str]] = &[
    &["aws::errors", "aws::service"],
    &["cli::import", "cli::import_tf"],
    &["model::attrs", "model::monitoring", "model::template"],
];

/// Modules the others build on, in no cycle at all: AWS errors and their classification, and
/// references between resources.
const LEAVES: &[&str] = &["aws::errors", "model::reference"];

/// Parents none of whose children may form a cycle.
const ACYCLIC_PARENTS: &[&str] = &["cli", "engine"];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// `a/b.rs` → `a::b`, `a/mod.rs` → `a`, `lib.rs` → `` (the crate).
fn module_of(path: &str) -> String {
    let path = path.trim_end_matches(".rs");
    let mut parts: Vec<&str> = path.split('/').collect();
    if matches!(parts.last(), Some(&"mod" | &"lib" | &"main")) {
        parts.pop();
    }
    parts.join("::")
}

/// The code without comments, string literals and `#[cfg(test)] mod … { … }` blocks.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            // Attributes between it and the module (`#[path = "diff_tests.rs"]`) go with it.
            while lines.peek().is_some_and(|l| l.trim().starts_with("#[")) {
                lines.next();
            }
            let next = lines.peek().map(|l| l.trim()).unwrap_or_default();
            if next.starts_with("mod ") || next.starts_with("pub mod ") {
                if next.ends_with('{') {
                    let mut depth = 0i32;
                    for l in lines.by_ref() {
                        depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                        if depth <= 0 {
                            break;
                        }
                    }
                } else {
                    lines.next();
                }
                continue;
            }
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    while let Some(s) = chars.next() {
                        match s {
                            '\\' => {
                                chars.next();
                            }
                            '"' => break,
                            _ => {}
                        }
                    }
                }
                '/' if chars.peek() == Some(&'/') => break,
                _ => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// Every path the code names from `crate::`, `super::` or `self::`, as absolute segments; a
/// `{a::b, c}` group after the prefix gives one path per member (its first two segments).
fn paths_in(module: &str, code: &str) -> Vec<Vec<String>> {
    let here: Vec<String> = module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let bytes = code.as_bytes();
    let word = |i: usize| bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_';
    let mut found = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(start) {
            if at > 0 && (word(at - 1) || bytes[at - 1] == b':') {
                continue;
            }
            let rest = &code[at..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let mut segments: Vec<&str> = rest[..end].split("::").collect();
            let group = segments.last() == Some(&"") && rest[end..].starts_with('{');
            segments.retain(|s| !s.is_empty());
            let mut base = match segments.first() {
                Some(&"crate") => Vec::new(),
                _ => here.clone(),
            };
            for s in segments {
                match s {
                    "crate" | "self" => {}
                    "super" => {
                        base.pop();
                    }
                    s => base.push(s.to_owned()),
                }
            }
            if !group {
                found.push(base);
                continue;
            }
            let inner = &rest[end + 1..];
            let close = inner.find('}').unwrap_or(inner.len());
            for member in inner[..close].split(',') {
                let mut path = base.clone();
                path.extend(
                    member
                        .split("::")
                        .map(|s| s.trim().trim_start_matches('{'))
                        .filter(|s| !s.is_empty())
                        .take(2)
                        .map(String::from),
                );
                found.push(path);
            }
        }
    }
    found
}

/// The module graph of `files` (path under `src/`, text): an edge for each path that names
/// another module (its longest prefix that is a module).
fn graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().map(|(p, _)| module_of(p)).collect();
    let mut g = Graph::new();
    for (path, text) in files {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let from = module_of(path);
        for p in paths_in(&from, &code_of(text)) {
            let target = (1..=p.len())
                .rev()
                .map(|k| p[..k].join("::"))
                .find(|m| modules.contains(m));
            if let Some(to) = target
                && to != from
            {
                g.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    g
}

/// The edges between the children of `parent` (`""`: the top-level modules).
fn siblings(g: &Graph, parent: &str) -> Graph {
    let child = |m: &str| -> Option<String> {
        let rest = if parent.is_empty() {
            m
        } else {
            m.strip_prefix(parent)?.strip_prefix("::")?
        };
        let first = rest.split("::").next().filter(|s| !s.is_empty())?;
        Some(if parent.is_empty() {
            first.to_owned()
        } else {
            format!("{parent}::{first}")
        })
    };
    let mut s = Graph::new();
    for (from, tos) in g {
        for to in tos {
            if let (Some(a), Some(b)) = (child(from), child(to))
                && a != b
            {
                s.entry(a).or_default().insert(b);
            }
        }
    }
    s
}

/// The modules that can reach themselves again, grouped by cycle (strongly connected parts of
/// more than one module).
fn cycles(g: &Graph) -> Vec<BTreeSet<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(m) = todo.pop() {
            for n in g.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> = g.keys().map(|m| (m, reach(m))).collect();
    let mut found: Vec<BTreeSet<String>> = Vec::new();
    for (m, r) in &reached {
        if !r.contains(*m) || found.iter().any(|c| c.contains(*m)) {
            continue;
        }
        let part = r
            .iter()
            .filter(|n| reached.get(n).is_some_and(|back| back.contains(*m)))
            .cloned()
            .collect();
        found.push(part);
    }
    found
}

fn describe(g: &Graph, cycle: &BTreeSet<String>) -> String {
    let edges: Vec<String> = cycle
        .iter()
        .flat_map(|a| {
            g[a].iter()
                .filter(|b| cycle.contains(*b))
                .map(move |b| format!("{a} → {b}"))
        })
        .collect();
    edges.join(", ")
}

/// What is wrong with `files`: each forbidden cycle, named with its edges.
fn problems(files: &[(String, String)]) -> Vec<String> {
    let g = graph(files);
    let mut found = Vec::new();
    let top = siblings(&g, "");
    for c in cycles(&top) {
        found.push(format!(
            "top-level modules in a cycle: {}",
            describe(&top, &c)
        ));
    }
    let listed = GROUPS.iter().flat_map(|g| g.iter()).chain(LEAVES);
    let parents: BTreeSet<&str> = listed
        .filter_map(|m| m.rsplit_once("::").map(|(p, _)| p))
        .chain(ACYCLIC_PARENTS.iter().copied())
        .collect();
    for parent in parents {
        let s = siblings(&g, parent);
        for c in cycles(&s) {
            let in_c = |m: &&&str| c.contains(**m);
            let forbidden = ACYCLIC_PARENTS.contains(&parent)
                || LEAVES.iter().any(|m| c.contains(*m))
                || GROUPS.iter().any(|g| g.iter().filter(in_c).count() > 1);
            if forbidden {
                found.push(format!(
                    "{parent}: modules in a cycle: {}",
                    describe(&s, &c)
                ));
            }
        }
    }
    for (path, text) in files {
        if code_of(text).contains("#[path") {
            found.push(format!(
                "src/{path}: a #[path] attribute: a module's file must be where its name says"
            ));
        }
    }
    found
}

fn source_files(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            source_files(&path, root, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy();
            let text = std::fs::read_to_string(&path).expect("source file");
            out.push((rel.replace('\\', "/"), text));
        }
    }
}

#[test]
fn no_module_cycles_in_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&root, &root, &mut files);
    assert!(files.len() > 50, "read {} files", files.len());
    let found = problems(&files);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn a_top_level_cycle_is_found_through_any_path_form() {
    let found = problems(&files(&[
        ("lib.rs", "pub mod plan;\npub mod state;\npub mod aws;"),
        ("plan/mod.rs", "pub mod saved;"),
        ("plan/saved.rs", "use crate::state::Stored;"),
        ("state/mod.rs", "fn f() { crate::aws::s3::put(); }"),
        ("aws/mod.rs", "pub mod s3;"),
        ("aws/s3.rs", "use crate::{model::Address, plan::Change};"),
        ("model/mod.rs", ""),
    ]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("plan → state"), "{found:?}");
    assert!(found[0].contains("aws → plan"), "{found:?}");
}

#[test]
fn a_listed_sub_module_cycle_is_found_and_others_are_not() {
    let found = problems(&files(&[
        ("model/mod.rs", "pub mod attrs;\npub mod template;"),
        ("model/attrs.rs", "use super::template::Template;"),
        (
            "model/template.rs",
            "use super::attrs::Ref; // crate::x\n#[cfg(test)]\nmod tests {\n use crate::y;\n}",
        ),
        ("spec/mod.rs", ""),
        ("spec/a.rs", "use super::b::X;"),
        ("spec/b.rs", "use super::a::Y;"),
    ]));
    assert_eq!(
        found,
        [
            "model: modules in a cycle: model::attrs → model::template, model::template → model::attrs"
        ]
    );
}

#[test]
fn comments_strings_and_test_modules_make_no_edge() {
    let g = graph(&files(&[
        (
            "a.rs",
            "// use crate::b;\nconst S: &str = \"crate::b\";\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\n",
        ),
        ("b.rs", "use crate::a;"),
    ]));
    assert!(!g.contains_key("a"), "{g:?}");
    assert_eq!(g["b"], BTreeSet::from(["a".to_owned()]));
}
