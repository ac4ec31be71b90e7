//! The graph drawn as SVG by provision itself (no Graphviz): a layered layout. Each stack is a
//! column block; inside it, resources sit in rows by dependency level (level 0, what depends on
//! nothing, at the top), at most [`PER_ROW`] to a row. Edges run from a resource up to what it
//! depends on: solid for dependencies, dashed for references between settings.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Graph;
use crate::model::Address;

const NODE_W: usize = 300;
const NODE_H: usize = 28;
const GAP_X: usize = 16;
const GAP_Y: usize = 36;
const PAD: usize = 24;
const PER_ROW: usize = 4;
const TITLE_H: usize = 40;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Top-left corner of each node, and each stack's box (x, y, w, h).
struct Layout {
    at: BTreeMap<Address, (usize, usize)>,
    boxes: Vec<(String, usize, usize, usize, usize)>,
    width: usize,
    height: usize,
}

fn layout(g: &Graph) -> Layout {
    let mut at = BTreeMap::new();
    let mut boxes = Vec::new();
    let mut x = PAD;
    let mut height = 0;
    for (stack, nodes) in g.by_stack() {
        let mut by_level: BTreeMap<usize, Vec<&Address>> = BTreeMap::new();
        for n in nodes {
            by_level.entry(n.level).or_default().push(&n.address);
        }
        let cols = by_level
            .values()
            .map(|v| v.len().min(PER_ROW))
            .max()
            .unwrap_or(1);
        let mut y = PAD + TITLE_H + 28;
        for members in by_level.values() {
            for row in members.chunks(PER_ROW) {
                for (i, a) in row.iter().enumerate() {
                    at.insert((*a).clone(), (x + PAD / 2 + i * (NODE_W + GAP_X), y));
                }
                y += NODE_H + GAP_Y;
            }
        }
        let w = cols * (NODE_W + GAP_X) - GAP_X + PAD;
        boxes.push((
            stack.as_str().to_owned(),
            x,
            PAD + TITLE_H,
            w,
            y - PAD - TITLE_H,
        ));
        height = height.max(y);
        x += w + PAD;
    }
    Layout {
        at,
        boxes,
        width: x,
        height: height + 3 * PAD,
    }
}

/// The picture; `title` goes at its top.
pub fn svg(g: &Graph, title: &str) -> String {
    let l = layout(g);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"monospace\" font-size=\"12\">\n",
        w = l.width,
        h = l.height
    );
    out.push_str("  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#6b7280\"/></marker></defs>\n");
    out.push_str("  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    let _ = writeln!(
        out,
        "  <text x=\"{PAD}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\">{}</text>",
        PAD + 8,
        escape(title)
    );
    legend(&mut out, g, PAD + 8);
    for (name, x, y, w, h) in &l.boxes {
        let _ = writeln!(
            out,
            "  <g class=\"stack\"><rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"8\" fill=\"#f9fafb\" stroke=\"#9ca3af\"/><text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text></g>",
            x + 10,
            y + 18,
            escape(name)
        );
    }
    for e in &g.edges {
        let (Some(&(fx, fy)), Some(&(tx, ty))) = (l.at.get(&e.from), l.at.get(&e.to)) else {
            continue;
        };
        let dash = if e.reference {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  <line class=\"edge\" x1=\"{}\" y1=\"{fy}\" x2=\"{}\" y2=\"{}\" stroke=\"#6b7280\" stroke-opacity=\"0.6\"{dash} marker-end=\"url(#arrow)\"><title>{} -&gt; {}</title></line>",
            fx + NODE_W / 2,
            tx + NODE_W / 2,
            ty + NODE_H,
            escape(&e.from.to_string()),
            escape(&e.to.to_string())
        );
    }
    for n in &g.nodes {
        let (x, y) = l.at[&n.address];
        let a = n.address.to_string();
        let _ = writeln!(
            out,
            "  <g class=\"node\" data-address=\"{}\"><title>{}: {}</title><rect x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"5\" fill=\"{}\" stroke=\"#374151\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            escape(&a),
            escape(&a),
            n.status.label,
            n.status.color,
            x + 8,
            y + 18,
            escape(&short(&a))
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A label that fits the box (about 6.6 pixels a character at 12px monospace).
fn short(a: &str) -> String {
    let max = (NODE_W - 16) * 10 / 72;
    if a.chars().count() <= max {
        a.to_owned()
    } else {
        let head: String = a.chars().take(max - 1).collect();
        format!("{head}…")
    }
}

fn legend(out: &mut String, g: &Graph, y: usize) {
    let mut x = PAD + 420;
    for s in &g.legend {
        let _ = writeln!(
            out,
            "  <g class=\"legend\"><rect x=\"{x}\" y=\"{}\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"#374151\"/><text x=\"{}\" y=\"{y}\">{}</text></g>",
            y - 11,
            s.color,
            x + 18,
            escape(s.label)
        );
        x += 30 + 8 * s.label.len();
    }
    let _ = writeln!(
        out,
        "  <text x=\"{x}\" y=\"{y}\" fill=\"#6b7280\">solid: depends on; dashed: a setting reads it</text>"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_is_drawn_once_inside_the_picture() {
        let g = super::super::tests::staging();
        let s = svg(&g, "staging");
        for n in &g.nodes {
            let needle = format!("data-address=\"{}\"", n.address);
            assert_eq!(s.matches(&needle).count(), 1, "{}", n.address);
        }
        assert_eq!(s.matches("<line class=\"edge\"").count(), g.edges.len());
        let l = layout(&g);
        for &(x, y) in l.at.values() {
            assert!(x + NODE_W <= l.width && y + NODE_H <= l.height);
        }
        // No two nodes overlap.
        let at: Vec<_> = l.at.values().collect();
        for (i, a) in at.iter().enumerate() {
            for b in &at[i + 1..] {
                assert!(a.0.abs_diff(b.0) >= NODE_W || a.1.abs_diff(b.1) >= NODE_H);
            }
        }
    }
}
