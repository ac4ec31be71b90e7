//! What each command shows: one value per result, with its text and JSON forms ([`Render`]).
//! The forms are the documented ones (plan-json.md, drift-json.md); they must not change here.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;
use serde_json::json;

use super::output::{Render, pretty};
use crate::aws::outputs::Outputs;
use crate::envdiff::EnvDiff;
use crate::model::Stack;
use crate::plan::Plan;
use crate::plan::render::Style;
use crate::state::{HistoryEntry, LockInfo, Snapshot, Stored};

/// `validate`. Its JSON has always been one compact line with the keys in this order.
#[derive(Serialize)]
pub struct Validated<'a> {
    pub env: &'a str,
    pub region: &'a str,
    pub resources: usize,
    pub valid: bool,
}

impl Render for Validated<'_> {
    fn text(&self, _: Style) -> String {
        format!(
            "{}: valid ({} resources in {} stacks, region {})\n",
            self.env,
            self.resources,
            Stack::ALL.len(),
            self.region
        )
    }

    fn json(&self) -> Option<String> {
        Some(serde_json::to_string(self).expect("serialises") + "\n")
    }
}

/// `validate` of specs that are not valid, in JSON (json.md): every error with its file, line,
/// column and field. The text form is the error on stderr.
pub struct Invalid<'a> {
    pub env: &'a str,
    pub error: &'a crate::spec::SpecError,
}

impl Render for Invalid<'_> {
    fn text(&self, _: Style) -> String {
        String::new()
    }

    fn json(&self) -> Option<String> {
        use crate::spec::SpecError;
        let place = |o: &crate::spec::diag::Origin| {
            let (line, column) = o.file.line_col(o.span.start);
            json!({ "file": o.path().display().to_string(), "line": line, "column": column })
        };
        let errors: Vec<serde_json::Value> = match self.error {
            SpecError::Io { path, message } => vec![json!({
                "file": path.display().to_string(), "line": null, "column": null,
                "field": null, "message": message, "related": [],
            })],
            SpecError::Invalid(diags) => {
                let mut sorted: Vec<_> = diags.iter().collect();
                sorted.sort_by_key(|d| (d.origin.file.path.clone(), d.origin.span.start));
                sorted
                    .into_iter()
                    .map(|d| {
                        let mut e = place(&d.origin);
                        e["field"] = json!((!d.field.is_empty()).then_some(&d.field));
                        e["message"] = json!(d.message);
                        e["related"] = d
                            .related
                            .iter()
                            .map(|(o, note)| {
                                let mut r = place(o);
                                r["note"] = json!(note);
                                r
                            })
                            .collect();
                        e
                    })
                    .collect()
            }
        };
        pretty(&json!({ "env": self.env, "valid": false, "errors": errors }))
    }
}

/// `envdiff`.
impl Render for EnvDiff {
    fn text(&self, _: Style) -> String {
        crate::envdiff::render_text(self)
    }

    fn json(&self) -> Option<String> {
        pretty(self)
    }

    fn markdown(&self) -> Option<String> {
        Some(crate::markdown::tables::envdiff(self))
    }
}

/// `outputs`, for the stacks in scope (json.md).
pub struct OutputsView<'a> {
    pub outputs: &'a Outputs,
    pub env: &'a str,
    pub stacks: &'a [Stack],
}

impl Render for OutputsView<'_> {
    fn text(&self, _: Style) -> String {
        self.outputs.render(self.stacks)
    }

    fn json(&self) -> Option<String> {
        pretty(&self.outputs.to_json(self.env, self.stacks))
    }
}

/// `plan`, and apply's or destroy's plan (plan-json.md).
pub struct PlanView<'a> {
    pub plan: &'a Plan,
    pub region: &'a str,
    /// The monthly cost change (docs/cost.md); `None` where it could not be estimated.
    pub cost: Option<super::cost::CostChange>,
}

impl Render for PlanView<'_> {
    fn text(&self, style: Style) -> String {
        let mut out = crate::plan::render::render_text(self.plan, self.region, style);
        if let Some(c) = &self.cost {
            out.push_str(&c.line());
        }
        out
    }

    fn json(&self) -> Option<String> {
        let doc = crate::plan::render_json(self.plan, self.region);
        Some(super::cost::with_cost(doc, self.cost.as_ref()))
    }

    fn markdown(&self) -> Option<String> {
        let cost = self.cost.as_ref().map(|c| c.line());
        Some(crate::markdown::plan::render(
            self.plan,
            self.region,
            cost.as_deref(),
        ))
    }
}

/// `drift` (drift-json.md).
pub struct DriftView<'a> {
    pub report: &'a crate::drift::Report,
    pub env: &'a str,
    pub region: &'a str,
    pub aws_calls: serde_json::Value,
}

impl Render for DriftView<'_> {
    fn text(&self, _: Style) -> String {
        crate::drift::render_text(self.report, self.region)
    }

    fn json(&self) -> Option<String> {
        pretty(&json!({
            "format_version": 1,
            "env": self.env,
            "region": self.region,
            "drift": self.report.has_drift(),
            "summary": self.report.summary(),
            "findings": self.report.findings,
            "aws_calls": self.aws_calls,
        }))
    }

    fn markdown(&self) -> Option<String> {
        Some(crate::markdown::drift::render(self.report, self.region))
    }
}

/// The end of an apply or destroy that ran changes. Its text was shown as the run went (the
/// plan before the question, progress and the closing line on stderr), so the text form is
/// empty; the JSON form is the one document of the run: the plan and what became of each step.
pub struct ApplyView<'a> {
    pub env: &'a str,
    pub plan: PlanView<'a>,
    pub report: &'a crate::apply::Report,
    pub aws_calls: serde_json::Value,
}

impl Render for ApplyView<'_> {
    fn text(&self, _: Style) -> String {
        String::new()
    }

    fn json(&self) -> Option<String> {
        let plan = self.plan.json().expect("a plan has a JSON form");
        pretty(&json!({
            "format_version": crate::plan::JSON_FORMAT_VERSION,
            "env": self.env,
            "plan": serde_json::from_str::<serde_json::Value>(&plan)
                .expect("the plan renders as JSON"),
            "report": self.report,
            "aws_calls": self.aws_calls,
        }))
    }
}

/// `state list` and `state show`: each stack's snapshot, and with `resources` what it records.
pub struct Snapshots<'a> {
    pub env: &'a str,
    pub stacks: &'a [Stack],
    pub stored: &'a BTreeMap<Stack, Stored>,
    /// Where snapshots are looked for, to say where one is missing.
    pub store: String,
    pub resources: bool,
}

impl Render for Snapshots<'_> {
    fn text(&self, _: Style) -> String {
        let mut out = String::new();
        for stack in self.stacks {
            let key = format!("{stack}/{}/state.json", self.env);
            let Some(st) = self.stored.get(stack) else {
                let _ = writeln!(out, "{key}: no snapshot ({})", self.store);
                continue;
            };
            let snap = &st.snapshot;
            let _ = writeln!(
                out,
                "{key}: serial {}, {} resources, updated {}, lineage {}",
                snap.serial,
                snap.resources.len(),
                snap.updated_at,
                snap.lineage
            );
            if self.resources {
                for (a, r) in &snap.resources {
                    let _ = writeln!(out, "  {a:<40} {}", r.id);
                }
            }
        }
        out
    }

    fn json(&self) -> Option<String> {
        let docs: BTreeMap<&str, &Snapshot> = self
            .stored
            .iter()
            .map(|(k, v)| (k.as_str(), &v.snapshot))
            .collect();
        pretty(&docs)
    }
}

/// `state history`: the entries of each stack, oldest first (json.md). The text form lists
/// the entries only.
pub struct History<'a> {
    pub env: &'a str,
    pub stacks: BTreeMap<Stack, Vec<HistoryEntry>>,
}

impl Render for History<'_> {
    fn text(&self, _: Style) -> String {
        self.stacks
            .values()
            .flatten()
            .map(|h| format!("{}  serial {}  {}\n", h.key, h.serial, h.updated_at))
            .collect()
    }

    fn json(&self) -> Option<String> {
        let stacks: BTreeMap<&str, &Vec<HistoryEntry>> =
            self.stacks.iter().map(|(s, h)| (s.as_str(), h)).collect();
        pretty(&json!({ "format_version": 1, "env": self.env, "stacks": stacks }))
    }
}

/// `state unlock`: for each stack, the lock broken, if there was one (json.md).
pub struct Unlocked<'a> {
    pub env: &'a str,
    pub stacks: BTreeMap<Stack, Option<LockInfo>>,
}

impl Render for Unlocked<'_> {
    fn text(&self, _: Style) -> String {
        let env = self.env;
        let mut out = String::new();
        for (stack, broken) in &self.stacks {
            let _ = match broken {
                Some(info) => writeln!(
                    out,
                    "{stack}/{env}: broke the lock held by {}@{} (pid {})",
                    info.owner, info.host, info.pid
                ),
                None => writeln!(out, "{stack}/{env}: not locked"),
            };
        }
        out
    }

    fn json(&self) -> Option<String> {
        let stacks: BTreeMap<&str, _> = self
            .stacks
            .iter()
            .map(|(s, b)| (s.as_str(), json!({ "locked": b.is_some(), "broken": b })))
            .collect();
        pretty(&json!({ "format_version": 1, "env": self.env, "stacks": stacks }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_json_is_the_one_compact_line_it_always_was() {
        let v = Validated {
            env: "production",
            region: "us-east-2",
            resources: 26,
            valid: true,
        };
        let before = serde_json::json!({"env": "production", "valid": true, "resources": 26, "region": "us-east-2"});
        assert_eq!(v.json().unwrap(), format!("{before}\n"));
        assert_eq!(
            v.text(Style::plain()),
            "production: valid (26 resources in 3 stacks, region us-east-2)\n"
        );
    }

    #[test]
    fn unlock_and_history_have_a_json_form() {
        let unlocked = Unlocked {
            env: "staging",
            stacks: BTreeMap::from([(Stack::Shared, None)]),
        };
        let doc: serde_json::Value = serde_json::from_str(&unlocked.json().unwrap()).unwrap();
        assert_eq!(
            doc,
            json!({"format_version": 1, "env": "staging",
                   "stacks": {"shared": {"locked": false, "broken": null}}})
        );
        assert_eq!(
            unlocked.text(Style::plain()),
            "shared/staging: not locked\n"
        );
        let history = History {
            env: "staging",
            stacks: BTreeMap::from([(Stack::Backend, Vec::new())]),
        };
        let doc: serde_json::Value = serde_json::from_str(&history.json().unwrap()).unwrap();
        assert_eq!(doc["stacks"], json!({"backend": []}));
    }

    #[test]
    fn a_stack_without_a_snapshot_is_named_with_the_store() {
        let stored = BTreeMap::new();
        let view = Snapshots {
            env: "staging",
            stacks: &[Stack::Shared, Stack::Backend],
            stored: &stored,
            store: "s3://bucket".into(),
            resources: true,
        };
        assert_eq!(
            view.text(Style::plain()),
            "shared/staging/state.json: no snapshot (s3://bucket)\n\
             backend/staging/state.json: no snapshot (s3://bucket)\n"
        );
        assert_eq!(view.json().unwrap(), "{}\n");
    }
}
