//! `cost` and `envdiff` as pull-request comments: markdown tables under a summary line.

use super::{BUDGET, Doc, Section, cell};
use crate::cost::{self, Estimate};
use crate::envdiff::{EnvDiff, Row};

fn row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    format!("| {} |", cells.join(" | "))
}

fn header(cells: &[String]) -> Vec<String> {
    vec![row(cells), row(&vec!["---".to_owned(); cells.len()])]
}

/// `cost`: the total first, then each priced line and the assumptions, collapsed. `paused` is
/// the text form's line about the paused environment.
pub fn cost(e: &Estimate, paused: Option<&str>) -> String {
    let mut summary = format!(
        "**Estimated monthly cost of `{}` ({}, {}): {} a month**",
        e.env,
        e.region,
        e.currency,
        cost::money_span(e.total)
    );
    if e.total.min != e.total.max {
        summary.push_str(" (minimum-maximum instance counts)");
    }
    let lines = e
        .lines
        .iter()
        .map(|l| {
            row(&[
                l.resource.clone(),
                l.item.clone(),
                format!("{}/{}", cost::unit_price(l.unit_price), l.unit),
                cost::quantity(l.quantity),
                cost::money_span(l.monthly),
            ])
        })
        .collect();
    let head = header(&[
        "Resource".into(),
        "Item".into(),
        "Unit price".into(),
        "Quantity".into(),
        "Monthly".into(),
    ]);
    let mut extra = vec![format!(
        "Prices: {} taken {}",
        e.prices_file, e.prices_taken
    )];
    extra.extend(paused.map(|p| p.trim().to_owned()));
    Doc {
        summary,
        extra,
        sections: vec![
            Section {
                title: format!("Priced lines: {}", e.lines.len()),
                head,
                lines,
                code: false,
            },
            Section {
                title: format!("Assumptions: {}", e.assumptions.len()),
                lines: e.assumptions.iter().map(|a| format!("- {a}")).collect(),
                ..Section::default()
            },
        ],
        full: format!("`provision cost --env {}`", e.env),
        ..Doc::default()
    }
    .render(BUDGET)
}

fn table(title: &str, first: &str, envs: &[String], rows: &[Row]) -> Section {
    let mut names = vec![first.to_owned()];
    names.extend(envs.iter().cloned());
    Section {
        title: title.to_owned(),
        head: header(&names),
        lines: rows
            .iter()
            .map(|r| {
                let mut cells = vec![r.aspect.clone()];
                cells.extend(r.values.iter().cloned());
                row(&cells)
            })
            .collect(),
        code: false,
    }
}

/// `envdiff`: how many aspects differ first, then the seed's table and the other differences.
pub fn envdiff(d: &EnvDiff) -> String {
    let differ = |r: &&Row| r.values.windows(2).any(|w| w[0] != w[1]);
    let summary = format!(
        "**Environment differences: {}**: {} of {} aspects differ, {} other differences",
        d.environments
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(" vs "),
        d.rows.iter().filter(differ).count(),
        d.rows.len(),
        d.other.len()
    );
    let mut sections = vec![table(
        &format!("Resource differences: {} aspects", d.rows.len()),
        "Aspect",
        &d.environments,
        &d.rows,
    )];
    if !d.other.is_empty() {
        sections.push(table(
            &format!("Other differences: {}", d.other.len()),
            "Resource: field",
            &d.environments,
            &d.other,
        ));
    }
    Doc {
        summary,
        sections,
        full: format!("`provision envdiff {}`", d.environments.join(" ")),
        ..Doc::default()
    }
    .render(BUDGET)
}
