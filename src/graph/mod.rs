//! `provision graph`: the environment as a picture. Resources grouped by stack, an edge for
//! each dependency (solid) and each reference between settings (dashed: a setting that reads
//! another resource's value, `${backend.rds.endpoint}`), each resource coloured by its plan
//! action, or by its drift category with `--drift`. Written as Graphviz DOT, Mermaid, or an
//! SVG laid out and drawn here (`svg.rs`), so nothing has to be installed to see it.

pub mod dot;
pub mod svg;

use std::collections::{BTreeMap, BTreeSet};

use crate::drift::{Category, Report};
use crate::model::{Address, DesiredState, LiveState, RecordedState, Stack};
use crate::plan::{Action, Plan};

/// What colours a resource: its plan action or its drift category, as a label and a colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub label: &'static str,
    pub color: &'static str,
}

const UNCHANGED: Status = Status {
    label: "no change",
    color: "#e5e7eb",
};

fn action_status(a: Action) -> Status {
    let (label, color) = match a {
        Action::Create => ("create", "#86efac"),
        Action::Update => ("update", "#fde68a"),
        Action::Replace => ("replace", "#d8b4fe"),
        Action::Delete => ("delete", "#fca5a5"),
        Action::Forget => ("forget", "#a5f3fc"),
        Action::NoOp => return UNCHANGED,
    };
    Status { label, color }
}

fn drift_status(c: Category) -> Status {
    let color = match c {
        Category::Changed => "#fde68a",
        Category::Missing => "#fca5a5",
        Category::Unmanaged => "#d8b4fe",
        Category::Pending => "#bfdbfe",
        Category::SpecAhead => "#99f6e4",
    };
    Status {
        label: c.label(),
        color,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub address: Address,
    pub status: Status,
    /// Depth in the dependency graph: 0 depends on nothing drawn.
    pub level: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// The resource that depends on `to`.
    pub from: Address,
    pub to: Address,
    /// A setting of `from` reads a value of `to` (else: an ordering dependency).
    pub reference: bool,
}

#[derive(Debug, Clone)]
pub struct Graph {
    pub env: String,
    /// Sorted by address (stack first).
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// The statuses drawn, in order, for the legend.
    pub legend: Vec<Status>,
}

/// The three views an environment's picture is drawn from.
pub struct Views<'a> {
    pub desired: &'a DesiredState,
    pub live: &'a LiveState,
    pub recorded: &'a RecordedState,
}

/// Coloured by each resource's action in `plan`.
pub fn of_plan(env: &str, v: &Views<'_>, plan: &Plan) -> Graph {
    let status: BTreeMap<Address, Status> = plan
        .changes
        .iter()
        .map(|c| (c.address.clone(), action_status(c.action)))
        .collect();
    let legend = [
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Delete,
        Action::Forget,
        Action::NoOp,
    ]
    .map(action_status)
    .to_vec();
    build(env, v, &status, legend, UNCHANGED)
}

/// Coloured by each resource's drift (its first finding's category, in category order).
pub fn of_drift(env: &str, v: &Views<'_>, report: &Report) -> Graph {
    let mut status: BTreeMap<Address, Category> = BTreeMap::new();
    for f in &report.findings {
        if let Some(a) = &f.address {
            let c = status.entry(a.clone()).or_insert(f.category);
            *c = (*c).min(f.category);
        }
    }
    let status = status
        .into_iter()
        .map(|(a, c)| (a, drift_status(c)))
        .collect();
    let mut legend: Vec<Status> = [
        Category::Changed,
        Category::Missing,
        Category::Unmanaged,
        Category::Pending,
        Category::SpecAhead,
    ]
    .map(drift_status)
    .to_vec();
    let clean = Status {
        label: "no drift",
        color: UNCHANGED.color,
    };
    legend.push(clean.clone());
    build(env, v, &status, legend, clean)
}

fn build(
    env: &str,
    v: &Views<'_>,
    status: &BTreeMap<Address, Status>,
    legend: Vec<Status>,
    otherwise: Status,
) -> Graph {
    let addresses: BTreeSet<Address> = v
        .desired
        .resources
        .keys()
        .chain(v.live.resources.keys())
        .chain(v.recorded.resources.keys())
        .cloned()
        .collect();
    let mut deps = crate::plan::target::edges(v.desired, v.live, v.recorded);
    // Settings that read another resource's value are resolved apart from the ordering edges
    // (`plan::references`): add them, marked.
    let mut reads: BTreeMap<&Address, BTreeSet<Address>> = BTreeMap::new();
    for (from, d) in &v.desired.resources {
        let read = crate::model::reads::targets(&d.attrs);
        deps.entry(from.clone())
            .or_default()
            .extend(read.iter().cloned());
        reads.insert(from, read);
    }
    let mut edges = Vec::new();
    for (from, tos) in &deps {
        for to in tos.iter().filter(|t| *t != from && addresses.contains(*t)) {
            edges.push(Edge {
                from: from.clone(),
                to: to.clone(),
                reference: reads.get(from).is_some_and(|r| r.contains(to)),
            });
        }
    }
    edges.sort();
    let levels = levels(&addresses, &edges);
    let nodes = addresses
        .into_iter()
        .map(|a| Node {
            status: status.get(&a).cloned().unwrap_or_else(|| otherwise.clone()),
            level: levels[&a],
            address: a,
        })
        .collect();
    Graph {
        env: env.to_owned(),
        nodes,
        edges,
        legend,
    }
}

/// Each address's depth: 0 when it depends on nothing, else one more than its deepest
/// dependency. A cycle (the planner refuses them) stops at the depth reached.
fn levels(addresses: &BTreeSet<Address>, edges: &[Edge]) -> BTreeMap<Address, usize> {
    let mut deps: BTreeMap<&Address, Vec<&Address>> = BTreeMap::new();
    for e in edges {
        deps.entry(&e.from).or_default().push(&e.to);
    }
    let mut level: BTreeMap<Address, usize> = addresses.iter().map(|a| (a.clone(), 0)).collect();
    // Longest path by relaxation: at most |V| rounds.
    for _ in 0..addresses.len() {
        let mut moved = false;
        for (from, tos) in &deps {
            let want = tos.iter().map(|t| level[*t] + 1).max().unwrap_or(0);
            if want > level[*from] {
                level.insert((*from).clone(), want);
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    level
}

impl Graph {
    /// The nodes of each stack, in stack order.
    pub fn by_stack(&self) -> BTreeMap<Stack, Vec<&Node>> {
        let mut out: BTreeMap<Stack, Vec<&Node>> = BTreeMap::new();
        for n in &self.nodes {
            out.entry(n.address.stack).or_default().push(n);
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::*;

    pub(crate) fn staging() -> Graph {
        let loaded = crate::spec::load_one(Path::new("specs"), "staging").expect("valid");
        let desired = crate::spec::desired::build(&loaded.spec);
        let (live, recorded) = (LiveState::default(), RecordedState::default());
        let plan = crate::plan::diff(&desired, &live, &recorded).unwrap();
        let v = Views {
            desired: &desired,
            live: &live,
            recorded: &recorded,
        };
        of_plan("staging", &v, &plan)
    }

    #[test]
    fn every_resource_is_a_node_with_references_apart_from_dependencies() {
        let g = staging();
        assert!(g.nodes.len() >= 40, "{}", g.nodes.len());
        assert!(g.nodes.iter().all(|n| n.status.label == "create"));
        let vpc = g
            .nodes
            .iter()
            .find(|n| n.address.to_string() == "shared.vpc");
        assert_eq!(vpc.unwrap().level, 0);
        // The backend reads the database's endpoint in its settings: a reference.
        let read = g.edges.iter().find(|e| {
            e.from.to_string() == "backend.beanstalk" && e.to.to_string() == "backend.rds"
        });
        assert!(read.is_some_and(|e| e.reference), "{:?}", g.edges);
        let subnet = g.edges.iter().find(|e| {
            e.from.to_string() == "shared.subnet.public-a" && e.to.to_string() == "shared.vpc"
        });
        assert!(subnet.is_some_and(|e| !e.reference));
        for e in &g.edges {
            let level = |a: &Address| g.nodes.iter().find(|n| &n.address == a).unwrap().level;
            assert!(level(&e.from) > level(&e.to), "{e:?}");
        }
    }
}
