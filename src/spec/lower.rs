//! Validation and typing of one merged environment: the top-level tables (project, state, tags,
//! ignore) here, each topic's tables in its module under `topics/`. Every check appends a
//! diagnostic and goes on, so one run reports every problem.

use std::collections::{BTreeMap, BTreeSet};

use super::diag::Diagnostic;
use super::layer::{Layer, S};
use super::resolve::{Files, MISSING, Pair};
use super::topics::{api, beanstalk, database, iam, monitoring, network, security_groups};
use super::types::{EnvSpec, StateSpec};
use super::validate::{Cx, Refs};
use crate::model::Stack;

pub fn lower(
    env: &str,
    base: &S<Layer>,
    over: &S<Layer>,
    files: &Files,
) -> Result<EnvSpec, Vec<Diagnostic>> {
    let mut cx = Cx {
        d: Vec::new(),
        env: env.to_owned(),
        project: String::new(),
        origins: BTreeMap::new(),
    };
    let root = Pair::root(base, over, files);
    let project = lower_project(&mut cx, &root);
    let state = lower_state(&mut cx, &root, &project.region);
    let tags = lower_tags(&mut cx, &root);

    // Topics in a fixed order: diagnostics are kept in the order they are found.
    let zones: BTreeSet<String> = project.zones.iter().cloned().collect();
    let network = network::lower(
        &mut cx,
        &root.sub("network", |l| l.network.as_ref()),
        &zones,
    );
    let security_groups = security_groups::lower(
        &mut cx,
        &root.entries("security_groups", |l| &l.security_groups),
    );
    let refs = Refs {
        network: &network,
        groups: &security_groups,
    };
    let api = api::lower(&mut cx, &root.sub("api", |l| l.api.as_ref()), &refs);
    let backend_pair = root.sub("backend", |l| l.backend.as_ref());
    let console_pair = root.sub("console", |l| l.console.as_ref());
    let backend = beanstalk::lower(
        &mut cx,
        &backend_pair.sub("beanstalk", |b| b.beanstalk.as_ref()),
        &refs,
    );
    let console = beanstalk::lower(
        &mut cx,
        &console_pair.sub("beanstalk", |b| b.beanstalk.as_ref()),
        &refs,
    );
    let database = database::lower(
        &mut cx,
        &backend_pair.sub("database", |b| b.database.as_ref()),
        &refs,
    );
    let backend_iam = iam::lower(
        &mut cx,
        &backend_pair.sub("iam", |b| b.iam.as_ref()),
        Stack::Backend,
    );
    let console_iam = iam::lower(
        &mut cx,
        &console_pair.sub("iam", |b| b.iam.as_ref()),
        Stack::Console,
    );
    let monitoring = monitoring::lower(
        &mut cx,
        &root.sub("monitoring", |l| l.monitoring.as_ref()),
        &project.region,
    );
    let ignore = lower_ignore(&mut cx, &root);

    if !cx.d.is_empty() {
        return Err(without_echoes(cx.d));
    }
    Ok(EnvSpec {
        ignore,
        env: env.to_owned(),
        project: project.name,
        state,
        region: project.region,
        availability_zones: project.zones,
        tags,
        network,
        security_groups,
        api,
        backend,
        database,
        console,
        backend_iam,
        console_iam,
        monitoring,
        origins: cx.origins,
    })
}

/// A missing value was replaced by a default so that validation could go on; checks of that
/// default (`` is not an engine version) only repeat the problem, wrongly.
fn without_echoes(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let missing: BTreeSet<String> = diags
        .iter()
        .filter(|d| d.message.starts_with(MISSING))
        .map(|d| d.field.clone())
        .collect();
    diags.retain(|d| d.message.starts_with(MISSING) || !missing.contains(&d.field));
    diags
}

struct Project {
    name: String,
    region: String,
    zones: Vec<String>,
}

fn lower_project(cx: &mut Cx, root: &Pair<'_, Layer>) -> Project {
    let project = root.sub("project", |l| l.project.as_ref());
    let name = project.req(&mut cx.d, "name", |p| p.name.as_ref());
    cx.check_name(&name, 1, 32);
    cx.project = name.value.clone();
    let region = project.req(&mut cx.d, "region", |p| p.region.as_ref());
    cx.check_region(&region);
    let zones_at = project.req(&mut cx.d, "availability_zones", |p| {
        p.availability_zones.as_ref()
    });
    let zones = project.list(&zones_at);
    let mut seen_zones = BTreeSet::new();
    for z in &zones {
        if !z.value.starts_with(&region.value) || z.value.len() != region.value.len() + 1 {
            cx.d.push(z.diag(format!(
                "`{}` is not an availability zone of {} (expected e.g. {}a)",
                z.value, region.value, region.value
            )));
        }
        if !seen_zones.insert(z.value.clone()) {
            cx.d.push(z.diag(format!("`{}` is listed twice", z.value)));
        }
    }
    if seen_zones.len() < 2 {
        cx.d.push(zones_at.diag(
            "needs at least 2 availability zones (RDS subnet groups and load balancers span two)",
        ));
    }
    Project {
        name: name.value,
        region: region.value,
        zones: zones.into_iter().map(|z| z.value).collect(),
    }
}

/// The state bucket; its region defaults to the project's.
fn lower_state(cx: &mut Cx, root: &Pair<'_, Layer>, project_region: &str) -> StateSpec {
    let state = root.sub("state", |l| l.state.as_ref());
    let bucket = state.req(&mut cx.d, "bucket", |s| s.bucket.as_ref());
    cx.check_bucket(&bucket);
    let state_region = state.opt("region", |s| s.region.as_ref());
    if let Some(r) = &state_region {
        cx.check_region(r);
    }
    StateSpec {
        bucket: bucket.value,
        region: state_region.map_or_else(|| project_region.to_owned(), |r| r.value),
    }
}

fn lower_tags(cx: &mut Cx, root: &Pair<'_, Layer>) -> BTreeMap<String, String> {
    let tags = root.values("tags", |l| Some(&l.tags));
    for (k, v) in &tags {
        cx.check_tag(k, v);
    }
    tags.into_iter().map(|(k, v)| (k, v.value)).collect()
}

/// Fields another system owns, by resource address. Whether the address names a resource of
/// this environment is checked once the desired state exists (in `load`).
fn lower_ignore(cx: &mut Cx, root: &Pair<'_, Layer>) -> BTreeMap<String, Vec<String>> {
    let mut ignore = BTreeMap::new();
    for (address, at) in root.values("ignore", |l| Some(&l.ignore)) {
        if address.parse::<crate::model::Address>().is_err() {
            cx.d.push(at.diag(format!(
                "`{address}` is not a resource address (e.g. backend.beanstalk, shared.security_group.rds)"
            )));
        }
        let fields: Vec<String> = at.value.iter().map(|f| f.get_ref().clone()).collect();
        if fields
            .iter()
            .any(|f| f.is_empty() || f.starts_with("tags.provision:"))
        {
            cx.d.push(
                at.diag("field paths must be non-empty, and ownership tags cannot be ignored"),
            );
        }
        cx.remember(&at);
        ignore.insert(address, fields);
    }
    ignore
}
