//! A plan as a pull-request comment: the summary, the monthly cost change, what it destroys
//! (replacements, deletions, data at risk, production's guard), then each stack's changes as
//! the text plan shows them, collapsed.

use std::collections::BTreeMap;

use super::{BUDGET, Doc, Section};
use crate::model::Stack;
use crate::plan::render::{Style, render_change};
use crate::plan::{Action, Change, Plan};

/// The plan in markdown, under [`BUDGET`]. `cost` is the text plan's cost line, if any.
pub fn render(plan: &Plan, region: &str, cost: Option<&str>) -> String {
    doc(plan, region, cost).render(BUDGET)
}

/// The document before it is cut (tests cut it to other limits).
pub fn doc(plan: &Plan, region: &str, cost: Option<&str>) -> Doc {
    let s = plan.summary();
    let summary = if plan.has_changes() {
        let forget = if s.forget > 0 {
            format!(", {} to forget (state only)", s.forget)
        } else {
            String::new()
        };
        format!(
            "**Plan for `{}` ({region}): {} to create, {} to update, {} to replace, {} to delete{forget}** ({} unchanged)",
            plan.env, s.create, s.update, s.replace, s.delete, s.no_op
        )
    } else {
        format!(
            "**Plan for `{}` ({region}): no changes.** AWS matches the spec ({} resources).",
            plan.env, s.no_op
        )
    };
    Doc {
        summary,
        extra: cost
            .map(|c| format!("💰 {}", c.trim()))
            .into_iter()
            .collect(),
        alert_title: "> [!CAUTION]\n> **Destructive changes: review these first**".into(),
        alerts: alerts(plan),
        sections: sections(plan),
        full: format!("`provision plan --env {}`", plan.env),
    }
}

fn destructive(c: &Change) -> bool {
    matches!(c.action, Action::Replace | Action::Delete)
}

/// One line per destructive change, data at risk said on it, then production's guard.
fn alerts(plan: &Plan) -> Vec<String> {
    let mut lines = Vec::new();
    let mut data = false;
    for c in plan.changes.iter().filter(|c| destructive(c)) {
        let mut line = format!("> - **{}** `{}`", c.action.verb(), c.address);
        if let Some(id) = &c.id {
            line.push_str(&format!(" (`{id}`)"));
        }
        let forced = c.forcing_fields();
        if c.action == Action::Replace && !forced.is_empty() {
            line.push_str(&format!(", forced by {}", forced.join(", ")));
        }
        if c.address.kind.describe().holds_data {
            data = true;
            match &c.final_snapshot {
                Some(snap) => line.push_str(&format!(
                    "; **data at risk**: a final snapshot `{snap}` is taken first"
                )),
                None => {
                    line.push_str("; **data at risk**: its data goes with it, no final snapshot")
                }
            }
        } else if let Some(reason) = &c.reason {
            line.push_str(&format!(" ({reason})"));
        }
        lines.push(line);
    }
    if plan.env == "production" && !lines.is_empty() {
        lines.push(format!(
            "> - **production guard**: `provision apply --env production` shows this and asks{}",
            if data {
                "; replacing or deleting the database also needs `--confirm production`"
            } else {
                ""
            }
        ));
    }
    lines
}

/// Each stack's changes as the text plan shows them; then the notes.
fn sections(plan: &Plan) -> Vec<Section> {
    let mut by_stack: BTreeMap<Stack, Vec<&Change>> = BTreeMap::new();
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        by_stack.entry(c.address.stack).or_default().push(c);
    }
    let mut out: Vec<Section> = by_stack
        .into_iter()
        .map(|(stack, changes)| {
            let mut text = String::new();
            for c in &changes {
                render_change(&mut text, c, Style::plain());
            }
            Section {
                title: format!("{}: {} changes", stack.as_str(), changes.len()),
                lines: text.lines().map(str::to_owned).collect(),
                code: true,
                ..Section::default()
            }
        })
        .collect();
    let notes: Vec<String> = plan
        .changes
        .iter()
        .flat_map(|c| c.notes.iter().map(move |n| format!("{}: {n}", c.address)))
        .collect();
    if !notes.is_empty() {
        out.push(Section {
            title: format!("Notes: {}", notes.len()),
            lines: notes,
            code: true,
            ..Section::default()
        });
    }
    out
}
