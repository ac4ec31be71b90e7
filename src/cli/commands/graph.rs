//! `provision graph --env E [--drift]` and `plan --graph FILE.svg`: the environment drawn by
//! `crate::graph`, coloured by the plan (or the drift report).

use std::path::Path;

use clap::Args;
use serde_json::json;

use super::super::output::{Render, pretty};
use super::super::{CliError, Format, Global, Outcome, RunArgs};
use super::Run;
use crate::engine::Observed;
use crate::graph::{self, Graph, Views};
use crate::plan::Plan;
use crate::plan::render::Style;

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Colour by drift category (changed, missing, unmanaged, ...) instead of plan action.
    #[arg(long)]
    pub drift: bool,
}

/// The graph in the format asked for: DOT as its text form, nodes and edges as JSON.
struct GraphView {
    graph: Graph,
    title: String,
}

impl Render for GraphView {
    fn text(&self, _: Style) -> String {
        graph::dot::dot(&self.graph)
    }

    fn json(&self) -> Option<String> {
        let nodes: Vec<_> = self
            .graph
            .nodes
            .iter()
            .map(|n| json!({"address": n.address, "status": n.status.label, "level": n.level}))
            .collect();
        let edges: Vec<_> = self
            .graph
            .edges
            .iter()
            .map(|e| json!({"from": e.from, "to": e.to, "reference": e.reference}))
            .collect();
        pretty(&json!({"env": self.graph.env, "nodes": nodes, "edges": edges}))
    }

    fn markdown(&self) -> Option<String> {
        Some(format!(
            "```mermaid\n{}```\n",
            graph::dot::mermaid(&self.graph)
        ))
    }

    fn picture(&self, format: Format) -> Option<String> {
        match format {
            Format::Mermaid => Some(graph::dot::mermaid(&self.graph)),
            Format::Svg => Some(graph::svg::svg(&self.graph, &self.title)),
            _ => None,
        }
    }
}

impl Run {
    fn views<'a>(&'a self, observed: &'a Observed) -> Views<'a> {
        Views {
            desired: &self.desired,
            live: &observed.live,
            recorded: &observed.recorded,
        }
    }

    /// `plan --graph FILE.svg`: the picture of this plan beside it.
    pub(super) fn write_graph(
        &self,
        path: &Path,
        observed: &Observed,
        plan: &Plan,
    ) -> Result<(), CliError> {
        let g = graph::of_plan(&self.env, &self.views(observed), plan);
        let title = format!("{}: plan ({})", self.env, self.region);
        std::fs::write(path, graph::svg::svg(&g, &title)).map_err(|e| {
            CliError::Refused(format!("cannot write the graph to {}: {e}", path.display()))
        })?;
        self.out
            .note(&format!("Drew the plan's graph to {}\n", path.display()));
        Ok(())
    }
}

pub async fn graph(g: &Global, a: &GraphArgs) -> Result<Outcome, CliError> {
    let s = Run::open(g, &a.run).await?;
    let (graph, title) = if a.drift {
        let (observed, _) = s.observe_settled().await?;
        let (desired, _) = s.resolved(&observed)?;
        let report = crate::drift::drift(&desired, &observed.live, &observed.recorded);
        let g = graph::of_drift(&s.env, &s.views(&observed), &report);
        (g, format!("{}: drift ({})", s.env, s.region))
    } else {
        let observed = s.observe().await?;
        s.check_dependencies(&observed)?;
        let plan = s.diffed(&observed)?;
        let g = graph::of_plan(&s.env, &s.views(&observed), &plan);
        (g, format!("{}: plan ({})", s.env, s.region))
    };
    s.out.show(&GraphView { graph, title });
    s.print_stats(&a.run);
    Ok(Outcome::Done)
}
