//! A drift report as a pull-request comment: the summary, what exists outside provision or is
//! gone from AWS at the top, each stack's findings collapsed.

use std::collections::BTreeMap;

use super::{BUDGET, Doc, Section};
use crate::drift::{Category, Finding, Report};
use crate::model::Stack;

pub fn render(report: &Report, region: &str) -> String {
    let s = report.summary();
    let summary = format!(
        "**Drift for `{}` ({region}): {} changed, {} missing, {} unmanaged**; {} pending, {} spec ahead",
        report.env, s.changed, s.missing, s.unmanaged, s.pending, s.spec_ahead
    );
    // Gone from AWS or made outside provision: the next apply creates or leaves them.
    let alerts = report
        .findings
        .iter()
        .filter(|f| matches!(f.category, Category::Missing | Category::Unmanaged))
        .map(|f| {
            let [what, how] = crate::drift::finding_lines(f);
            let label = f.category.label();
            let what = what.trim();
            let what = what.strip_prefix(label).unwrap_or(what).trim();
            format!("> - **{label}** {what}; {}", how.trim())
        })
        .collect();
    let mut by_stack: BTreeMap<Option<Stack>, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_stack.entry(f.stack).or_default().push(f);
    }
    let sections = by_stack
        .into_iter()
        .map(|(stack, findings)| Section {
            title: format!(
                "{}: {} findings",
                stack.map_or("other", Stack::as_str),
                findings.len()
            ),
            lines: findings
                .iter()
                .flat_map(|f| crate::drift::finding_lines(f))
                .collect(),
            code: true,
            ..Section::default()
        })
        .collect();
    let extra = if report.findings.is_empty() {
        vec!["No drift: AWS matches the last apply and the spec.".to_owned()]
    } else {
        Vec::new()
    };
    Doc {
        summary,
        extra,
        alert_title: "> [!WARNING]\n> **Missing or unmanaged resources**".into(),
        alerts,
        sections,
        full: format!("`provision drift --env {}`", report.env),
    }
    .render(BUDGET)
}
