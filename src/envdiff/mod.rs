//! `provision envdiff A B`: the seed's "Resource Differences" table, computed from the specs.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::field::flatten;
use crate::model::{Address, Field, Kind, Stack};
use crate::plan::render::value;
use crate::spec::EnvSpec;
use crate::spec::desired::build;
use crate::spec::types::{BeanstalkSpec, LoadBalancer, SubnetTier};

#[derive(Debug, Serialize)]
pub struct Row {
    pub aspect: String,
    /// Values in the order the environments were given.
    pub values: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct EnvDiff {
    pub format_version: u32,
    pub environments: Vec<String>,
    /// The seed's table: every aspect, equal or not.
    pub rows: Vec<Row>,
    /// Any other attribute that differs, by resource address and field.
    pub other: Vec<Row>,
}

fn instances(eb: &BeanstalkSpec) -> String {
    format!("{} ({})", eb.instance_type, count(eb))
}

fn count(eb: &BeanstalkSpec) -> String {
    if eb.min_instances == eb.max_instances {
        eb.min_instances.to_string()
    } else {
        format!("{}-{}", eb.min_instances, eb.max_instances)
    }
}

fn autoscaling(eb: &BeanstalkSpec) -> String {
    if eb.autoscaling {
        format!("Enabled ({})", count(eb))
    } else {
        format!("Disabled ({})", count(eb))
    }
}

fn subnets(s: &EnvSpec, tier: SubnetTier) -> String {
    let cidrs: Vec<String> = s
        .network
        .subnets
        .values()
        .filter(|n| n.tier == tier)
        .map(|n| n.cidr.to_string())
        .collect();
    cidrs.join(", ")
}

/// Facts about isolation hold for a pair, not for one environment: say them once per pair.
fn separate(specs: &[&EnvSpec], what: &str, key: impl Fn(&EnvSpec) -> Vec<String>) -> String {
    let mut seen = BTreeSet::new();
    let all_distinct = specs.iter().flat_map(|s| key(s)).all(|k| seen.insert(k));
    if all_distinct {
        format!("Separate{what}")
    } else {
        format!("SHARED{what} (breaks isolation)")
    }
}

pub fn envdiff(specs: &[&EnvSpec]) -> EnvDiff {
    let row = |aspect: &str, f: &dyn Fn(&EnvSpec) -> String| Row {
        aspect: aspect.to_owned(),
        values: specs.iter().map(|s| f(s)).collect(),
    };
    let api = separate(specs, "", |s| {
        vec![s.api.name.clone(), s.api.api_key_name.clone()]
    });
    let albs = specs.iter().all(|s| {
        s.backend.load_balancer == LoadBalancer::Application
            && s.console.load_balancer == LoadBalancer::Application
    });
    let lbs = separate(specs, if albs { " ALBs" } else { " load balancers" }, |s| {
        vec![s.backend.environment.clone(), s.console.environment.clone()]
    });
    let mut rows = vec![
        row("VPC CIDR", &|s| s.network.vpc_cidr.to_string()),
        row("Public Subnets", &|s| subnets(s, SubnetTier::Public)),
        row("Private Subnets", &|s| subnets(s, SubnetTier::Private)),
        row("Backend Instances", &|s| instances(&s.backend)),
        row("Frontend Instances", &|s| instances(&s.console)),
        row("RDS Storage", &|s| {
            format!("{} GB", s.database.allocated_storage_gb)
        }),
        row("RDS Storage Type", &|s| {
            s.database.storage_type.as_str().to_owned()
        }),
        row("RDS Backups", &|s| {
            format!("{} days", s.database.backup_retention_days)
        }),
    ];
    let same_scaling = specs
        .iter()
        .all(|s| autoscaling(&s.backend) == autoscaling(&s.console));
    if same_scaling {
        rows.push(row("Auto-scaling", &|s| autoscaling(&s.backend)));
    } else {
        rows.push(row("Auto-scaling (backend)", &|s| autoscaling(&s.backend)));
        rows.push(row("Auto-scaling (frontend)", &|s| autoscaling(&s.console)));
    }
    rows.push(Row {
        aspect: "API Gateway".into(),
        values: vec![api; specs.len()],
    });
    rows.push(Row {
        aspect: "Load Balancers".into(),
        values: vec![lbs; specs.len()],
    });
    rows.push(row("Region", &|s| s.region.clone()));

    EnvDiff {
        format_version: 1,
        environments: specs.iter().map(|s| s.env.clone()).collect(),
        rows,
        other: other_differences(specs),
    }
}

/// Fields the table above already shows.
fn covered(address: &Address, field: &Field) -> bool {
    match (address.stack, address.kind) {
        (Stack::Shared, Kind::Vpc | Kind::Subnet) => field == "cidr",
        (Stack::Backend | Stack::Console, Kind::BeanstalkEnv) => field.setting().is_some_and(|s| {
            [
                ("aws:ec2:instances", "InstanceTypes"),
                ("aws:autoscaling:asg", "MinSize"),
                ("aws:autoscaling:asg", "MaxSize"),
            ]
            .contains(&s)
        }),
        // Derived from the API's names, which contain the environment.
        (Stack::Backend, Kind::ApiStage) => field == "definition_hash",
        (Stack::Backend, Kind::DbInstance) => [
            "allocated_storage_gb",
            "storage_type",
            "backup_retention_days",
        ]
        .iter()
        .any(|f| field == f),
        _ => false,
    }
}

/// Every other attribute that differs, with each environment's own name and CIDR written as
/// `{env}` and `{vpc_cidr}` so that only real differences remain.
fn other_differences(specs: &[&EnvSpec]) -> Vec<Row> {
    // Per environment: (address, field) -> (neutral value, raw value).
    let flat: Vec<BTreeMap<(Address, Field), (Value, Value)>> = specs
        .iter()
        .map(|s| {
            let mut desired = build(s);
            crate::cost::fill_budget_limits(&mut desired);
            let mut out = BTreeMap::new();
            for (address, r) in &desired.resources {
                for (field, v) in flatten(&r.attrs, &r.tags) {
                    out.insert((address.clone(), field), (neutral(v.clone(), s), v));
                }
            }
            out
        })
        .collect();
    let keys: BTreeSet<&(Address, Field)> = flat.iter().flat_map(BTreeMap::keys).collect();
    keys.into_iter()
        .filter(|(address, field)| !covered(address, field))
        .filter_map(|key| {
            let pairs: Vec<(Value, Value)> = flat
                .iter()
                .map(|m| m.get(key).cloned().unwrap_or((Value::Null, Value::Null)))
                .collect();
            // A difference only when both the raw and the neutral values differ.
            let differ = pairs
                .windows(2)
                .any(|w| w[0].0 != w[1].0 && w[0].1 != w[1].1);
            differ.then(|| Row {
                aspect: format!("{}: {}", key.0, key.1),
                values: pairs.iter().map(|(_, raw)| value(raw)).collect(),
            })
        })
        .collect()
}

fn neutral(v: Value, s: &EnvSpec) -> Value {
    match v {
        Value::String(text) => Value::String(
            text.replace(&s.network.vpc_cidr.to_string(), "{vpc_cidr}")
                .replace(&s.env, "{env}"),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|i| neutral(i, s)).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, neutral(v, s))).collect())
        }
        other => other,
    }
}

pub fn render_text(d: &EnvDiff) -> String {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["Aspect".to_owned()];
    header.extend(d.environments.iter().cloned());
    lines.push(header);
    for r in &d.rows {
        let mut l = vec![r.aspect.clone()];
        l.extend(r.values.iter().cloned());
        lines.push(l);
    }
    let mut out = table(&lines);
    if !d.other.is_empty() {
        out.push_str("\nOther differences:\n");
        let mut other = vec![{
            let mut h = vec!["Resource: field".to_owned()];
            h.extend(d.environments.iter().cloned());
            h
        }];
        for r in &d.other {
            let mut l = vec![r.aspect.clone()];
            l.extend(r.values.iter().cloned());
            other.push(l);
        }
        out.push_str(&table(&other));
    }
    out
}

fn table(lines: &[Vec<String>]) -> String {
    let cols = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            lines
                .iter()
                .filter_map(|l| l.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
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
