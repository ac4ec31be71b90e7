//! Resolving settings that read other resources' attributes (`${backend.rds.endpoint}`).
//!
//! The plan resolves each from what AWS runs (one read pass: no call of its own). A value whose
//! resource the plan creates or replaces is not known yet: it stays a template, the plan shows
//! it as "known after apply", and apply resolves it right before the change that sends it.

use std::collections::BTreeSet;

use super::types::{Action, Plan};
use crate::model::{Address, Attrs, DesiredState, Exports, LiveState, Ref, SettingValue};

/// What settings may read, from one read pass: the attributes services read besides the
/// compared ones, every resource's id, and each API stage's invoke URL.
pub fn known(live: &LiveState, region: &str) -> Exports {
    let mut out = live.exports.clone();
    for (address, r) in &live.resources {
        let values = out.entry(address.clone()).or_default();
        values.insert("id".into(), r.id.clone());
        if let Attrs::ApiStage(stage) = &r.attrs {
            let api = match &stage.api {
                Ref::Managed(a) => live.resources.get(a).map(|l| l.id.clone()),
                Ref::External(id) => Some(id.clone()),
            };
            if let Some(api) = api {
                values.insert(
                    "invoke_url".into(),
                    invoke_url(&api, region, &stage.stage_name),
                );
            }
        }
    }
    out
}

/// A REST API stage's URL, as AWS forms it.
pub fn invoke_url(api: &str, region: &str, stage: &str) -> String {
    format!("https://{api}.execute-api.{region}.amazonaws.com/{stage}")
}

/// Resolves every template that reads only known values of resources not in `remade`, and
/// clears the rest (a value `remade` will change is known after apply).
pub fn resolve(desired: &mut DesiredState, known: &Exports, remade: &BTreeSet<Address>) {
    for r in desired.resources.values_mut() {
        let Attrs::BeanstalkEnv(env) = &mut r.attrs else {
            continue;
        };
        for value in env.settings.values_mut().flat_map(|o| o.values_mut()) {
            let SettingValue::Template(t) = value else {
                continue;
            };
            let stale = t.template.refs().any(|(target, _)| match target {
                Ref::Managed(a) => remade.contains(a),
                Ref::External(_) => false,
            });
            t.resolved = if stale {
                None
            } else {
                t.template.render(known)
            };
        }
    }
}

/// The resources templates read that `plan` creates or replaces: their values change.
pub fn remade(plan: &Plan, desired: &DesiredState) -> BTreeSet<Address> {
    let read = read_by_templates(desired);
    plan.changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .map(|c| c.address.clone())
        .filter(|a| read.contains(a))
        .collect()
}

/// Every resource some template reads.
pub fn read_by_templates(desired: &DesiredState) -> BTreeSet<Address> {
    desired
        .resources
        .values()
        .flat_map(|r| crate::model::reads::targets(&r.attrs))
        .collect()
}

/// Whether `attrs` still holds a template without its value.
pub fn unresolved(attrs: &Attrs) -> Vec<&Address> {
    let Attrs::BeanstalkEnv(env) = attrs else {
        return Vec::new();
    };
    let mut out: Vec<&Address> = env
        .settings
        .values()
        .flat_map(|o| o.values())
        .filter_map(|v| match v {
            SettingValue::Template(t) if t.resolved.is_none() => Some(t),
            _ => None,
        })
        .flat_map(|t| t.template.refs())
        .filter_map(|(r, _)| match r {
            Ref::Managed(a) => Some(a),
            Ref::External(_) => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Fills in `attrs`' templates from `known`; returns the references still without a value.
pub fn fill(attrs: &mut Attrs, known: &Exports) -> Vec<String> {
    let Attrs::BeanstalkEnv(env) = attrs else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    for value in env.settings.values_mut().flat_map(|o| o.values_mut()) {
        if let SettingValue::Template(t) = value
            && t.resolved.is_none()
        {
            t.resolved = t.template.render(known);
            if t.resolved.is_none() {
                missing.push(t.template.to_string());
            }
        }
    }
    missing
}

/// Takes out of `attrs` the settings whose unresolved references read one of `targets`;
/// returns what was taken, as (namespace, option, value).
pub fn take_unresolved(
    attrs: &mut Attrs,
    targets: &BTreeSet<Address>,
) -> Vec<(String, String, SettingValue)> {
    let Attrs::BeanstalkEnv(env) = attrs else {
        return Vec::new();
    };
    let mut taken = Vec::new();
    for (ns, options) in &mut env.settings {
        let reading: Vec<String> = options
            .iter()
            .filter(|(_, v)| match v {
                SettingValue::Template(t) => {
                    t.resolved.is_none()
                        && t.template.refs().any(|(r, _)| match r {
                            Ref::Managed(a) => targets.contains(a),
                            Ref::External(_) => false,
                        })
                }
                SettingValue::Text(_) | SettingValue::Refs(_) => false,
            })
            .map(|(k, _)| k.clone())
            .collect();
        for opt in reading {
            if let Some(v) = options.remove(&opt) {
                taken.push((ns.clone(), opt, v));
            }
        }
    }
    env.settings.retain(|_, o| !o.is_empty());
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, LiveResource, Stack};

    fn api_stage() -> Address {
        Address::single(Stack::Backend, Kind::ApiStage)
    }

    fn staging() -> DesiredState {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let loaded = crate::spec::load::load_one(&dir, "staging").expect("staging validates");
        crate::spec::desired::build(&loaded.spec)
    }

    fn setting<'a>(d: &'a DesiredState, stack: Stack, opt: &str) -> &'a SettingValue {
        let Attrs::BeanstalkEnv(env) =
            &d.resources[&Address::single(stack, Kind::BeanstalkEnv)].attrs
        else {
            panic!()
        };
        // A property, or an environment secret.
        env.settings
            .values()
            .find_map(|options| options.get(opt))
            .expect(opt)
    }

    fn live_of(d: &DesiredState) -> LiveState {
        let mut live = LiveState::default();
        for (a, r) in &d.resources {
            live.resources.insert(
                a.clone(),
                LiveResource {
                    id: format!("id-of-{a}"),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    pending: Default::default(),
                },
            );
        }
        let db = Address::single(Stack::Backend, Kind::DbInstance);
        live.exports.insert(
            db,
            [
                ("endpoint", "db.example"),
                ("port", "5432"),
                ("db_name", "agentpass"),
                ("master_secret_arn", "arn:aws:secretsmanager:x"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        );
        live
    }

    #[test]
    fn the_base_spec_wires_both_applications_and_the_plan_resolves_them() {
        let mut d = staging();
        assert!(matches!(
            setting(&d, Stack::Backend, "DB_HOST"),
            SettingValue::Template(t) if t.resolved.is_none()
                && t.template.to_string() == "${backend.rds.endpoint}"
        ));
        let known = known(&live_of(&d), "us-east-2");
        resolve(&mut d, &known, &BTreeSet::new());
        for (stack, opt, want) in [
            (Stack::Backend, "DB_HOST", "db.example"),
            (Stack::Backend, "DB_PORT", "5432"),
            (Stack::Backend, "DB_NAME", "agentpass"),
            (
                Stack::Backend,
                "DB_USER",
                "arn:aws:secretsmanager:x:username",
            ),
            (
                Stack::Backend,
                "DB_PASSWORD",
                "arn:aws:secretsmanager:x:password",
            ),
            (
                Stack::Console,
                "API_URL",
                "https://id-of-shared.api.execute-api.us-east-2.amazonaws.com/staging",
            ),
        ] {
            assert_eq!(setting(&d, stack, opt).to_string(), want, "{opt}");
        }
        // The database is replaced: what reads it is known after apply, the rest stays.
        let db = Address::single(Stack::Backend, Kind::DbInstance);
        resolve(&mut d, &known, &BTreeSet::from([db.clone()]));
        assert_eq!(
            setting(&d, Stack::Backend, "DB_HOST").to_string(),
            "${backend.rds.endpoint}"
        );
        assert!(
            setting(&d, Stack::Console, "API_URL")
                .to_string()
                .starts_with("https://")
        );
        let env = &d.resources[&Address::single(Stack::Backend, Kind::BeanstalkEnv)].attrs;
        assert_eq!(unresolved(env), [&db]);
        let mut attrs = env.clone();
        assert_eq!(fill(&mut attrs, &Exports::new()).len(), 5);
        let mut attrs = env.clone();
        assert!(fill(&mut attrs, &known).is_empty());
        assert!(unresolved(&attrs).is_empty());
        assert_eq!(read_by_templates(&d), BTreeSet::from([db, api_stage()]));
    }
}
