//! The estimate as a table (resource, item, unit price, quantity, monthly), its total, the
//! price table's date and the assumptions.

use super::{Estimate, Span};

/// Dollars to the cent.
pub fn money(v: f64) -> String {
    if v < 0.0 {
        format!("-${:.2}", -v)
    } else {
        format!("${v:.2}")
    }
}

/// A span of dollars: one figure, or `low-high` where autoscaling makes it a range.
pub fn money_span(s: Span) -> String {
    if cents(s.min) == cents(s.max) {
        money(s.min)
    } else {
        format!("{}-{}", money(s.min), money(s.max))
    }
}

fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

fn number(v: f64) -> String {
    // Quantities are whole hours or GB, or small fractions (GB of backups): at most 4 places.
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A unit price: at least cents (`$0.10`), more places where the price has them (`$0.0104`).
pub fn unit_price(v: f64) -> String {
    let s = number(v);
    let places = s.split_once('.').map_or(0, |(_, f)| f.len());
    if places >= 2 {
        format!("${s}")
    } else {
        format!("${v:.2}")
    }
}

pub fn quantity(s: Span) -> String {
    if s.min == s.max {
        number(s.min)
    } else {
        format!("{}-{}", number(s.min), number(s.max))
    }
}

/// What the environment costs while paused (`provision pause`), in one line: what stays, what
/// goes, and what `pause --release-ip` saves besides.
pub fn render_paused(p: &super::PausedCost) -> String {
    format!(
        "Paused (provision pause): {} a month, saving {} (the stopped database's storage and backups, the load balancers and the API stay, and the NAT gateway's Elastic IP, kept allocated and idle: {} of it, which `pause --release-ip` saves too; no instances, NAT gateway, nor what refers to it: the NAT's alarm and the dashboard that graphs it)\n",
        money_span(p.paused),
        money_span(p.saving),
        money_span(p.kept_ips)
    )
}

pub fn render_text(e: &Estimate) -> String {
    let mut rows = vec![vec![
        "Resource".to_owned(),
        "Item".to_owned(),
        "Unit price".to_owned(),
        "Quantity".to_owned(),
        "Monthly".to_owned(),
    ]];
    for l in &e.lines {
        rows.push(vec![
            l.resource.clone(),
            l.item.clone(),
            format!("{}/{}", unit_price(l.unit_price), l.unit),
            quantity(l.quantity),
            money_span(l.monthly),
        ]);
    }
    let mut out = format!(
        "Estimated monthly cost of {} ({}, {}):\n\n",
        e.env, e.region, e.currency
    );
    out.push_str(&table(&rows));
    out.push_str(&format!("\nTotal: {} a month", money_span(e.total)));
    if e.total.min != e.total.max {
        out.push_str(" (minimum-maximum instance counts)");
    }
    out.push_str(&format!(
        "\nPrices: {} taken {}\n\nAssumptions:\n",
        e.prices_file, e.prices_taken
    ));
    for a in &e.assumptions {
        out.push_str(&format!("  - {a}\n"));
    }
    out
}

/// Left-aligned text columns, numbers right-aligned (the last three columns).
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (s, w))| {
                if c >= 2 {
                    format!("{s:>w$}")
                } else {
                    format!("{s:<w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}
