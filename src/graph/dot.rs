//! The graph as Graphviz DOT and as Mermaid (GitHub renders Mermaid in markdown).

use std::fmt::Write;

use super::Graph;

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn dot(g: &Graph) -> String {
    let mut out = format!(
        "digraph {} {{\n  rankdir=BT;\n  node [shape=box, style=\"rounded,filled\", fontname=monospace];\n",
        quoted(&g.env)
    );
    for (stack, nodes) in g.by_stack() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{s} {{\n    label={};",
            quoted(stack.as_str()),
            s = stack.as_str()
        );
        for n in nodes {
            let _ = writeln!(
                out,
                "    {} [fillcolor={}, tooltip={}];",
                quoted(&n.address.to_string()),
                quoted(n.status.color),
                quoted(n.status.label)
            );
        }
        out.push_str("  }\n");
    }
    for e in &g.edges {
        let _ = writeln!(
            out,
            "  {} -> {}{};",
            quoted(&e.from.to_string()),
            quoted(&e.to.to_string()),
            if e.reference { " [style=dashed]" } else { "" }
        );
    }
    out.push_str("}\n");
    out
}

pub fn mermaid(g: &Graph) -> String {
    let mut out = "flowchart BT\n".to_owned();
    let id = |a: &crate::model::Address| {
        a.to_string()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
    };
    for (stack, nodes) in g.by_stack() {
        let _ = writeln!(out, "  subgraph {s}[{s}]", s = stack.as_str());
        for n in nodes {
            let _ = writeln!(out, "    {}[\"{}\"]", id(&n.address), n.address);
        }
        out.push_str("  end\n");
    }
    for e in &g.edges {
        let arrow = if e.reference { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {} {arrow} {}", id(&e.from), id(&e.to));
    }
    for s in &g.legend {
        let class = s.label.replace(' ', "_");
        let members: Vec<String> = g
            .nodes
            .iter()
            .filter(|n| n.status.label == s.label)
            .map(|n| id(&n.address))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "  classDef {class} fill:{}", s.color);
            let _ = writeln!(out, "  class {} {class}", members.join(","));
        }
    }
    out
}
