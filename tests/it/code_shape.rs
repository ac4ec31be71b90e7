//! The shape of the code, checked: no function in `src/` is much longer than a screen (issue 9).
//! Long functions hid per-kind knowledge that belongs in one place; this keeps them from growing
//! back. Offline: it reads the source tree only.

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
