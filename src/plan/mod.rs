//! Plans: the diff of desired against live and recorded state, and its renderings.

pub mod checks;
pub mod diff;
pub mod names;
pub mod offerings;
pub mod platforms;
pub mod references;
pub mod refresh;
pub mod render;
pub mod saved;
pub mod target;
pub mod types;

pub use diff::diff;
pub use types::*;

/// Version of the JSON plan schema (docs/plan-json.md). Bump on any incompatible change.
pub const JSON_FORMAT_VERSION: u32 = 2;

#[derive(serde::Serialize)]
struct JsonPlan<'a> {
    format_version: u32,
    env: &'a str,
    region: &'a str,
    summary: Summary,
    changes: &'a [Change],
}

pub fn render_json(plan: &Plan, region: &str) -> String {
    let doc = JsonPlan {
        format_version: JSON_FORMAT_VERSION,
        env: &plan.env,
        region,
        summary: plan.summary(),
        changes: &plan.changes,
    };
    serde_json::to_string_pretty(&doc).expect("plan serialises") + "\n"
}
