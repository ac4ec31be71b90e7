//! Reading what the binary printed: the `--stats` report and JSON plans.

use std::collections::BTreeMap;
use std::process::Output;

use super::{assert_ok, text};

/// The `AWS calls: N (M mutating), A attempts, R retries` header of a `--stats` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub calls: u64,
    pub mutating: u64,
    pub attempts: u64,
    pub retries: u64,
}

#[track_caller]
pub fn totals(out: &Output) -> Totals {
    let t = text(out);
    let line = t
        .lines()
        .find(|l| l.starts_with("AWS calls:"))
        .unwrap_or_else(|| panic!("no --stats report in:\n{t}"));
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    Totals {
        calls: n[0],
        mutating: n[1],
        attempts: n[2],
        retries: n[3],
    }
}

/// How many calls of `operation` of `service` ("RDS", "Elastic Beanstalk", "API Gateway", "EC2")
/// the `--stats` table lists.
pub fn calls(out: &Output, service: &str, operation: &str) -> u64 {
    calls_where(out, service, |op| op == operation)
}

/// The calls of `service` the `--stats` table lists, of the operations `which` keeps.
pub fn calls_where(out: &Output, service: &str, which: impl Fn(&str) -> bool) -> u64 {
    // A misspelt service would count nothing and make every `== 0` pass: only the names the
    // SDK's metadata gives (as `--stats` prints them) are accepted.
    const SERVICES: [&str; 8] = [
        "API Gateway",
        "Cost Explorer",
        "EC2",
        "Elastic Beanstalk",
        "IAM",
        "RDS",
        "S3",
        "SNS",
    ];
    assert!(
        SERVICES.contains(&service),
        "{service:?} is not a service name --stats prints ({SERVICES:?})"
    );
    text(out)
        .lines()
        .filter_map(|l| l.trim().strip_prefix(service))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            let op = words.next()?;
            let n: u64 = words.next()?.parse().ok()?;
            which(op).then_some(n)
        })
        .sum()
}

/// `address -> (action, [fields])` of a JSON plan's changes that are not no-ops.
pub fn changes(plan: &serde_json::Value) -> BTreeMap<String, (String, Vec<String>)> {
    let mut changes = all_changes(plan);
    changes.retain(|_, (action, _)| action != "no_op");
    changes
}

/// `address -> (action, [fields])` of every change of a JSON plan, no-ops included.
pub fn all_changes(plan: &serde_json::Value) -> BTreeMap<String, (String, Vec<String>)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let fields = c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["field"].as_str().unwrap().to_owned())
                .collect();
            (
                c["address"].as_str().unwrap().to_owned(),
                (c["action"].as_str().unwrap().to_owned(), fields),
            )
        })
        .collect()
}

/// Address -> physical id, from the output of `state show --format json` (every stack).
#[track_caller]
pub fn state_ids(out: &Output) -> BTreeMap<String, String> {
    assert_ok(out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("state show --format json: {e}\n{}", text(out)));
    let mut ids = BTreeMap::new();
    for snapshot in doc.as_object().unwrap().values() {
        if let Some(resources) = snapshot["resources"].as_object() {
            for (address, r) in resources {
                ids.insert(address.clone(), r["id"].as_str().unwrap().to_owned());
            }
        }
    }
    ids
}
