//! The shape of the code, checked: no function in `src/` is much longer than a screen (issue 9),
//! and no kind is named in code all over `src/` (issue 20). Long functions and scattered matches
//! hid per-kind knowledge that belongs in one place; this keeps them from growing back. Offline:
//! it reads the source tree only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A function may run to this many lines, signature and closing brace included.
const MAX_LINES: usize = 100;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The line without string and char literals or a trailing comment, so braces in them don't count.
fn code_of(line: &str) -> String {
    let mut out = String::new();
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
            // A char literal ('{', '\'' ); a lifetime ('a) has no closing quote two chars on.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    chars.nth(2);
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

/// The name of the function a line declares, if it declares one.
fn declared_fn(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.next() {
        match w {
            "fn" => {
                let name = words.next()?;
                return Some(name.split(['(', '<']).next().unwrap_or(name));
            }
            "async" | "const" | "unsafe" | "extern" | "\"C\"" => {}
            w if w == "pub" || w.starts_with("pub(") => {}
            _ => return None,
        }
    }
    None
}

/// Every function longer than `MAX_LINES`, as `path:line name (N lines)`.
fn long_functions(path: &Path, root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("source file");
    let shown = path.strip_prefix(root).unwrap_or(path).display();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = declared_fn(line) else {
            continue;
        };
        let (mut depth, mut opened) = (0i32, false);
        for (end, body) in lines.iter().enumerate().skip(start) {
            let code = code_of(body);
            if !opened && code.contains(';') && !code.contains('{') {
                break; // a declaration without a body
            }
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if opened && depth == 0 {
                let n = end - start + 1;
                if n > MAX_LINES {
                    found.push(format!("{shown}:{} {name} ({n} lines)", start + 1));
                }
                break;
            }
        }
    }
    found
}

#[test]
fn no_function_in_src_is_longer_than_a_screen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under src/",
        files.len()
    );
    let long: Vec<String> = files.iter().flat_map(|f| long_functions(f, root)).collect();
    assert!(
        long.is_empty(),
        "functions longer than {MAX_LINES} lines (split them by meaning):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_length_check_sees_a_long_function() {
    let dir = std::env::temp_dir().join(format!("code-shape-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("long.rs");
    let body = "    let x = \"}\"; // }\n".repeat(MAX_LINES);
    std::fs::write(
        &file,
        format!("pub async fn long() {{\n{body}}}\nfn short() {{}}\n"),
    )
    .unwrap();
    let found = long_functions(&file, &dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].ends_with(&format!("long ({} lines)", MAX_LINES + 2)),
        "{found:?}"
    );
}

/// The lines of a file that are code: comments and `#[cfg(test)]` items left out, with the paths
/// of test modules it declares in files of their own (`#[cfg(test)] mod tests;`).
fn code_lines(path: &Path) -> (Vec<String>, Vec<PathBuf>) {
    let text = std::fs::read_to_string(path).expect("source file");
    let dir = path.parent().expect("file in a directory");
    let lines: Vec<&str> = text.lines().collect();
    let (mut code, mut test_files) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "#[cfg(test)]" {
            code.push(code_of(lines[i]));
            i += 1;
            continue;
        }
        // Skip the attribute, further attributes, and the item they annotate.
        i += 1;
        let mut path_attr = None;
        while let Some(attr) = lines
            .get(i)
            .map(|l| l.trim())
            .filter(|l| l.starts_with("#["))
        {
            if let Some(p) = attr.strip_prefix("#[path = \"") {
                path_attr = p.strip_suffix("\"]").map(str::to_owned);
            }
            i += 1;
        }
        let item = lines.get(i).map(|l| code_of(l)).unwrap_or_default();
        if let Some(name) = item
            .trim()
            .strip_suffix(';')
            .and_then(|l| l.split_whitespace().last())
        {
            if item.trim_start().starts_with("mod ") || item.contains(" mod ") {
                match path_attr {
                    Some(p) => test_files.push(dir.join(p)),
                    None => {
                        test_files.push(dir.join(format!("{name}.rs")));
                        test_files.push(dir.join(name).join("mod.rs"));
                    }
                }
            }
            i += 1;
            continue;
        }
        let (mut depth, mut opened) = (0i32, false);
        while i < lines.len() {
            for c in code_of(lines[i]).chars() {
                match c {
                    '{' => (depth, opened) = (depth + 1, true),
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            i += 1;
            if opened && depth == 0 || !opened && code_of(lines[i - 1]).contains(';') {
                break;
            }
        }
    }
    (code, test_files)
}

/// The variants of `Kind` named in a line of code as `Kind::Variant` (not `NameKind::…`).
fn kinds_named(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("Kind::") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "Kind::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let upper = name.chars().next().is_some_and(char::is_uppercase);
        let all_caps = name.chars().all(|c| c.is_uppercase() || c == '_');
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && upper && !all_caps {
            found.push(name);
        }
        rest = after;
    }
    found
}

/// Per variant of `Kind`, the source files under `src/` that name it in code.
fn files_naming_kinds(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut parsed: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut test_files = BTreeSet::new();
    for f in &files {
        let (code, tests) = code_lines(f);
        test_files.extend(tests);
        parsed.push((f.clone(), code));
    }
    let mut by_kind: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (f, code) in parsed.iter().filter(|(f, _)| !test_files.contains(f)) {
        let shown = f.strip_prefix(root).unwrap_or(f).display().to_string();
        for name in code.iter().flat_map(|l| kinds_named(l)) {
            by_kind.entry(name).or_default().insert(shown.clone());
        }
    }
    by_kind
}

/// Kinds still named in more than `GOAL` files, at the count reached (issue 20 started at 11 to
/// 18 files per kind). A count may go down, never up: lower it when it does; a kind not listed
/// is held to `GOAL`.
const CEILING: &[(&str, usize)] = &[];

/// A kind's module, its spec topic, and at most two more (the registry, its AWS half).
const GOAL: usize = 4;

#[test]
fn no_kind_is_named_in_more_files_than_its_ceiling() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let by_kind = files_naming_kinds(root);
    assert!(
        by_kind.len() >= 20,
        "found only {} kinds named",
        by_kind.len()
    );
    let mut table = String::new();
    for (kind, files) in &by_kind {
        table.push_str(&format!("{kind:<20} {:>3}\n", files.len()));
    }
    println!("files under src/ naming each kind in code:\n{table}");
    let mut over = Vec::new();
    for (kind, files) in &by_kind {
        let ceiling = CEILING
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(GOAL, |(_, n)| *n);
        if files.len() > ceiling {
            over.push(format!(
                "Kind::{kind} in {} files (at most {ceiling}): {}",
                files.len(),
                files.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        } else if ceiling > GOAL && files.len() < ceiling {
            // A ratchet: what was won is kept.
            over.push(format!(
                "Kind::{kind} is down to {} files: lower its CEILING from {ceiling}",
                files.len()
            ));
        }
    }
    assert!(
        over.is_empty(),
        "ask the kind instead of naming it:\n{}",
        over.join("\n")
    );
}

#[test]
fn the_kind_count_sees_code_and_skips_comments_and_tests() {
    let dir = std::env::temp_dir().join(format!("code-shape-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a.rs");
    let text = "// Kind::Vpc\nfn f() -> Kind { Kind::Subnet } // Kind::Vpc\nfn g() { \"Kind::Vpc\"; NameKind::Alarm; Kind::ALL; }\n#[cfg(test)]\nmod tests {\n    fn t() { Kind::Dashboard; }\n}\n#[cfg(test)]\n#[path = \"b.rs\"]\nmod more;\n";
    std::fs::write(&file, text).unwrap();
    let (code, tests) = code_lines(&file);
    std::fs::remove_dir_all(&dir).unwrap();
    let named: Vec<String> = code.iter().flat_map(|l| kinds_named(l)).collect();
    assert_eq!(named, ["Subnet"]);
    assert_eq!(tests, [dir.join("b.rs")]);
}
