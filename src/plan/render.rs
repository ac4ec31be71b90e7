//! Human rendering of a plan, in the style `terraform plan` users know.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::types::*;
use crate::model::field::flatten;
use crate::model::{Field, Stack, TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK};

/// Whether to colour output: only on a terminal, and never when `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn plain() -> Self {
        Style { color: false }
    }

    pub fn detect(stream_is_tty: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: stream_is_tty && !no_color,
        }
    }

    /// Whether colour (ANSI codes) is on.
    pub fn color(self) -> bool {
        self.color
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn action(self, a: Action, text: &str) -> String {
        let code = match a {
            Action::Create => "32",
            Action::Update => "33",
            Action::Replace => "35",
            Action::Delete => "31",
            Action::Forget => "36",
            Action::NoOp => "0",
        };
        self.paint(code, text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

pub fn render_text(plan: &Plan, region: &str, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!("Plan for {} ({region})", plan.env))
    );
    let mut by_stack: BTreeMap<Stack, Vec<&Change>> = BTreeMap::new();
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        by_stack.entry(c.address.stack).or_default().push(c);
    }
    for (stack, changes) in &by_stack {
        let _ = writeln!(out, "\n{}", style.bold(stack.as_str()));
        for c in changes {
            render_change(&mut out, c, style);
        }
    }
    render_notes(&mut out, plan);
    let s = plan.summary();
    out.push('\n');
    if plan.has_changes() {
        let forget = if s.forget > 0 {
            format!(", {} to forget (state only)", s.forget)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "Plan: {} to create, {} to update, {} to replace, {} to delete{forget}. ({} unchanged)",
            s.create, s.update, s.replace, s.delete, s.no_op
        );
    } else {
        let _ = writeln!(
            out,
            "No changes. AWS matches the spec ({} resources).",
            s.no_op
        );
    }
    out
}

/// Notes of every change, unchanged ones included: what the plan leaves alone on purpose.
fn render_notes(out: &mut String, plan: &Plan) {
    let noted: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| !c.notes.is_empty())
        .collect();
    if noted.is_empty() {
        return;
    }
    out.push_str("\nNotes\n");
    for c in noted {
        for n in &c.notes {
            let _ = writeln!(out, "  {}: {n}", c.address);
        }
    }
}

pub fn render_change(out: &mut String, c: &Change, style: Style) {
    // Terraform's marks: `-/+` deletes the old one first, `+/-` creates the new one first.
    let symbol = if c.lifecycle.create_before_destroy {
        "+/-"
    } else {
        c.action.symbol()
    };
    let mut head = format!("  {symbol} {}", c.address);
    if let Some(id) = &c.id {
        let _ = write!(head, " ({id})");
    }
    let _ = write!(head, ": {}", c.action.verb());
    let forced = c.forcing_fields();
    if c.action == Action::Replace && !forced.is_empty() {
        let _ = write!(head, ", forced by {}", forced.join(", "));
    }
    if c.lifecycle.create_before_destroy {
        head.push_str("; the new one is made before the old one is deleted");
    }
    let _ = writeln!(out, "{}", style.action(c.action, &head));
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "      # {reason}");
    }
    match c.action {
        Action::Create => render_create(out, c),
        Action::Update | Action::Replace => render_fields(out, c, style),
        Action::Delete | Action::Forget | Action::NoOp => {}
    }
}

/// Every attribute of a new resource, its own tags on one line, option settings by namespace.
fn render_create(out: &mut String, c: &Change) {
    let after = c.after.as_ref().expect("a create has attributes");
    let tags = c.tags.clone().unwrap_or_default();
    let all = flatten(after, &Default::default());
    // Option settings are long `namespace.option` paths: list them by namespace so they do
    // not stretch the alignment of every other field. Tags get their own line below, without
    // the ownership tags.
    let mut fields: BTreeMap<String, &Value> = BTreeMap::new();
    let mut settings: BTreeMap<&str, Vec<(&str, &Value)>> = BTreeMap::new();
    for (k, v) in &all {
        match k {
            Field::Setting { namespace, option } => {
                settings.entry(namespace).or_default().push((option, v))
            }
            Field::Attr(name) if name == "tags" => {}
            other => {
                fields.insert(other.to_string(), v);
            }
        }
    }
    let width = fields.keys().map(|k| k.len()).max().unwrap_or(0).max(4);
    for (k, v) in &fields {
        let _ = writeln!(out, "      {k:<width$} = {}", value(v));
    }
    let shown: Vec<String> = tags
        .iter()
        .filter(|(k, _)| ![TAG_PROJECT, TAG_ENV, TAG_STACK, TAG_ADDRESS].contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    // Kinds AWS takes no tags on are given none (subscriptions) or only the ownership tags
    // (a dashboard writes them into its body).
    if tags.is_empty() {
        let _ = writeln!(
            out,
            "      {:<width$} = (none: AWS takes no tags here)",
            "tags"
        );
    } else if shown.is_empty() {
        let _ = writeln!(out, "      {:<width$} = ownership tags only", "tags");
    } else {
        let _ = writeln!(
            out,
            "      {:<width$} = {{{}}} + ownership tags",
            "tags",
            shown.join(", ")
        );
    }
    if !settings.is_empty() {
        let _ = writeln!(out, "      settings:");
        for (ns, options) in &settings {
            let _ = writeln!(out, "        {ns}");
            let w = options.iter().map(|(o, _)| o.len()).max().unwrap_or(0);
            for (opt, v) in options {
                let _ = writeln!(out, "          {opt:<w$} = {}", new_value(v));
            }
        }
    }
}

/// Each changed field: before -> after, or the members a set gains and loses.
fn render_fields(out: &mut String, c: &Change, style: Style) {
    let names: Vec<String> = c.fields.iter().map(|f| f.field.to_string()).collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    for (f, name) in c.fields.iter().zip(&names) {
        let mark = if f.forces_replacement {
            "  # forces replacement"
        } else {
            ""
        };
        match (&f.before, &f.after) {
            (Value::Array(b), Value::Array(a)) => {
                let _ = writeln!(out, "      {name:<width$}:{mark}");
                for item in a.iter().filter(|i| !b.contains(i)) {
                    let added = style.action(Action::Create, &format!("+ {}", value(item)));
                    let _ = writeln!(out, "        {added}");
                }
                for item in b.iter().filter(|i| !a.contains(i)) {
                    let removed = style.action(Action::Delete, &format!("- {}", value(item)));
                    let _ = writeln!(out, "        {removed}");
                }
            }
            (before, after) => {
                let _ = writeln!(
                    out,
                    "      {name:<width$}: {} -> {}{mark}",
                    value(before),
                    new_value(after)
                );
            }
        }
    }
}

/// A value a change sets. A reference the plan could not resolve (`${backend.rds.endpoint}`:
/// its resource is created or replaced first) is known after apply; text never holds `${`.
fn new_value(v: &Value) -> String {
    match v {
        Value::String(s) if crate::model::Template::wanted(s) => {
            format!("(known after apply: {s})")
        }
        other => value(other),
    }
}

/// A JSON value as a short readable string; security-group rules read as `tcp 443 0.0.0.0/0`.
pub fn value(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => {
            if let Ok(rule) = serde_json::from_value::<crate::model::Rule>(v.clone()) {
                return rule.to_string();
            }
            if let Ok(route) = serde_json::from_value::<crate::model::Route>(v.clone()) {
                return route.to_string();
            }
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", value(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}
