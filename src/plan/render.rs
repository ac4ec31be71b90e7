//! Human rendering of a plan, in the style `terraform plan` users know.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::diff::flatten_resource;
use super::types::*;
use crate::model::{Stack, TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK};

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

fn render_change(out: &mut String, c: &Change, style: Style) {
    let mut head = format!("  {} {}", c.action.symbol(), c.address);
    if let Some(id) = &c.id {
        let _ = write!(head, " ({id})");
    }
    let _ = write!(head, ": {}", c.action.verb());
    let forced: Vec<&str> = c
        .fields
        .iter()
        .filter(|f| f.forces_replacement)
        .map(|f| f.field.as_str())
        .collect();
    if c.action == Action::Replace && !forced.is_empty() {
        let _ = write!(head, ", forced by {}", forced.join(", "));
    }
    let _ = writeln!(out, "{}", style.action(c.action, &head));
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "      # {reason}");
    }
    match c.action {
        Action::Create => {
            let after = c.after.as_ref().expect("a create has attributes");
            let tags = c.tags.clone().unwrap_or_default();
            let mut all = flatten_resource(after, &Default::default());
            // Tags get their own line below, without the ownership tags.
            all.remove("tags");
            // Option settings are long `namespace.option` paths: list them by namespace so
            // they do not stretch the alignment of every other field.
            let mut fields: BTreeMap<&str, &Value> = BTreeMap::new();
            let mut settings: BTreeMap<&str, Vec<(&str, &Value)>> = BTreeMap::new();
            for (k, v) in &all {
                match k
                    .strip_prefix("settings.")
                    .and_then(|rest| rest.rsplit_once('.'))
                {
                    Some((ns, opt)) => settings.entry(ns).or_default().push((opt, v)),
                    None => {
                        fields.insert(k, v);
                    }
                }
            }
            let width = fields.keys().map(|k| k.len()).max().unwrap_or(0).max(4);
            for (k, v) in &fields {
                let _ = writeln!(out, "      {k:<width$} = {}", value(v));
            }
            let shown: Vec<String> = tags
                .iter()
                .filter(|(k, _)| {
                    ![TAG_PROJECT, TAG_ENV, TAG_STACK, TAG_ADDRESS].contains(&k.as_str())
                })
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let _ = writeln!(
                out,
                "      {:<width$} = {{{}}} + ownership tags",
                "tags",
                shown.join(", ")
            );
            if !settings.is_empty() {
                let _ = writeln!(out, "      settings:");
                for (ns, options) in &settings {
                    let _ = writeln!(out, "        {ns}");
                    let w = options.iter().map(|(o, _)| o.len()).max().unwrap_or(0);
                    for (opt, v) in options {
                        let _ = writeln!(out, "          {opt:<w$} = {}", value(v));
                    }
                }
            }
        }
        Action::Update | Action::Replace => {
            let width = c.fields.iter().map(|f| f.field.len()).max().unwrap_or(0);
            for f in &c.fields {
                let mark = if f.forces_replacement {
                    "  # forces replacement"
                } else {
                    ""
                };
                match (&f.before, &f.after) {
                    (Value::Array(b), Value::Array(a)) => {
                        let _ = writeln!(out, "      {:<width$}:{mark}", f.field);
                        for item in a.iter().filter(|i| !b.contains(i)) {
                            let _ = writeln!(
                                out,
                                "        {}",
                                style.action(Action::Create, &format!("+ {}", value(item)))
                            );
                        }
                        for item in b.iter().filter(|i| !a.contains(i)) {
                            let _ = writeln!(
                                out,
                                "        {}",
                                style.action(Action::Delete, &format!("- {}", value(item)))
                            );
                        }
                    }
                    (before, after) => {
                        let _ = writeln!(
                            out,
                            "      {:<width$}: {} -> {}{mark}",
                            f.field,
                            value(before),
                            value(after)
                        );
                    }
                }
            }
        }
        Action::Delete | Action::Forget | Action::NoOp => {}
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
