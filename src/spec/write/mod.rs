//! Writing values back into the spec files (`import --from-terraform --write-spec`, `drift
//! --accept`): each value set in place with `toml_edit`, so comments, order and layout stay as
//! the operator wrote them, and shown as a unified diff. Pure: the caller reads and writes the
//! files. Where a resource's field lives in the spec is [`places`].

pub mod places;

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

/// One value to write: the dotted path of its key (`security_groups.rds.name`) and the value.
#[derive(Debug, Clone)]
pub struct Edit {
    pub path: Vec<String>,
    pub value: Value,
}

impl Edit {
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// Which file an edit goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The environment's own file: an identity of this environment's resources, which the
    /// other environments do not share (import).
    EnvFile,
    /// The file that sets the key now, the environment's before the base; the environment's
    /// when neither does (drift accepted).
    Defining,
}

/// One spec file's text before and after the edits.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEdit {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
}

impl FileEdit {
    pub fn diff(&self) -> String {
        let name = self.path.display().to_string();
        diff(&name, &self.before, &self.after)
    }
}

/// A live value as TOML: strings, booleans, numbers and lists of them; `None` for what the
/// spec cannot hold as one value (tables, nulls).
pub fn toml_value(v: &Json) -> Option<Value> {
    Some(match v {
        Json::String(s) => Value::from(s.as_str()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64()?),
        },
        Json::Array(items) => {
            let mut out = toml_edit::Array::new();
            for item in items {
                out.push(toml_value(item)?);
            }
            Value::Array(out)
        }
        Json::Null | Json::Object(_) => return None,
    })
}

/// The item at `path` in a parsed file, if the file sets it (dotted keys and inline tables
/// included).
fn get<'a>(doc: &'a DocumentMut, path: &[String]) -> Option<&'a Item> {
    let mut item = doc.as_item();
    for seg in path {
        item = item.as_table_like()?.get(seg)?;
    }
    Some(item)
}

/// The value the file sets at `path`, as written.
pub fn value_at(text: &str, path: &[String]) -> Option<Value> {
    let doc: DocumentMut = text.parse().ok()?;
    get(&doc, path).and_then(Item::as_value).cloned()
}

/// Sets every edit in `text`, keeping everything else byte for byte: a key already there keeps
/// its place and its comments; a new key goes last in its table; a missing table is added at
/// the end of the file.
pub fn apply(text: &str, edits: &[&Edit]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not TOML: {e}"))?;
    for edit in edits {
        set(&mut doc, edit).map_err(|why| format!("cannot set {}: {why}", edit.dotted()))?;
    }
    Ok(doc.to_string())
}

fn set(doc: &mut DocumentMut, edit: &Edit) -> Result<(), String> {
    let Some((key, tables)) = edit.path.split_last() else {
        return Err("empty path".into());
    };
    let mut table: &mut dyn TableLike = doc.as_table_mut();
    for (i, seg) in tables.iter().enumerate() {
        if table.get(seg).is_none() {
            let mut new = Table::new();
            // Only the innermost table gets a header of its own (`[security_groups.rds]`).
            new.set_implicit(i + 1 < tables.len());
            table.insert(seg, Item::Table(new));
        }
        table = table
            .get_mut(seg)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| format!("`{seg}` is not a table"))?;
    }
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            // The comment after the old value stays after the new one.
            let decor = old.decor().clone();
            *old = edit.value.clone();
            *old.decor_mut() = decor;
        }
        Some(_) => return Err(format!("`{key}` is a table, not a value")),
        None => {
            table.insert(key, Item::Value(edit.value.clone()));
        }
    }
    Ok(())
}

/// Which file holds `path`: see [`Placement`].
pub fn target<'a>(
    placement: Placement,
    base: (&'a Path, &str),
    env: (&'a Path, &str),
    path: &[String],
) -> &'a Path {
    let sets = |text: &str| value_at(text, path).is_some();
    match placement {
        Placement::Defining if !sets(env.1) && sets(base.1) => base.0,
        Placement::EnvFile | Placement::Defining => env.0,
    }
}

/// A unified diff of two texts (three lines of context), `a/NAME` to `b/NAME`; empty when they
/// are the same.
pub fn diff(name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = line_ops(&a, &b);
    if ops.iter().all(|op| matches!(op, Op::Same(..))) {
        return String::new();
    }
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    for hunk in hunks(&ops, 3) {
        out.push_str(&render_hunk(&ops[hunk], &a, &b));
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Op {
    /// Line `i` of the old text is line `j` of the new.
    Same(usize, usize),
    Del(usize),
    Add(usize),
}

/// The longest common subsequence of lines, as a list of operations.
fn line_ops(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same(i, j));
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || lcs[i][j + 1] > lcs[i + 1][j]) {
            ops.push(Op::Add(j));
            j += 1;
        } else {
            ops.push(Op::Del(i));
            i += 1;
        }
    }
    ops
}

/// Ranges of `ops` to show: each change with `context` unchanged lines around it, merged when
/// they touch.
fn hunks(ops: &[Op], context: usize) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (k, op) in ops.iter().enumerate() {
        if matches!(op, Op::Same(..)) {
            continue;
        }
        let range = k.saturating_sub(context)..(k + context + 1).min(ops.len());
        match out.last_mut() {
            Some(last) if range.start <= last.end => last.end = range.end,
            _ => out.push(range),
        }
    }
    out
}

fn render_hunk(ops: &[Op], a: &[&str], b: &[&str]) -> String {
    let first_old = ops.iter().find_map(|op| match op {
        Op::Same(i, _) | Op::Del(i) => Some(*i),
        Op::Add(_) => None,
    });
    let first_new = ops.iter().find_map(|op| match op {
        Op::Same(_, j) | Op::Add(j) => Some(*j),
        Op::Del(_) => None,
    });
    let old_len = ops.iter().filter(|op| !matches!(op, Op::Add(_))).count();
    let new_len = ops.iter().filter(|op| !matches!(op, Op::Del(_))).count();
    // An empty side starts at the line before it (diff's convention).
    let start = |first: Option<usize>, len: usize| first.map_or(0, |f| f + usize::from(len > 0));
    let mut out = format!(
        "@@ -{},{} +{},{} @@\n",
        start(first_old, old_len),
        old_len,
        start(first_new, new_len),
        new_len
    );
    for op in ops {
        match op {
            Op::Same(i, _) => out.push_str(&format!(" {}\n", a[*i])),
            Op::Del(i) => out.push_str(&format!("-{}\n", a[*i])),
            Op::Add(j) => out.push_str(&format!("+{}\n", b[*j])),
        }
    }
    out
}

#[cfg(test)]
mod tests;
