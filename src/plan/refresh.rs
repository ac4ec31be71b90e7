//! `provision refresh` (Terraform's `apply -refresh-only`): what the snapshots must record so
//! that they say what AWS has, decided from the three views and nothing else. AWS is not
//! changed; the command line records the result under the stacks' locks.
//!
//! A recorded resource whose live values differ from the record (as `drift` compares them) is
//! recorded again: in the spec's form when live matches the spec (what an apply would have
//! recorded), else as AWS has it. A recorded resource gone from AWS is forgotten. What AWS has
//! but state does not is left to `apply`, which adopts it.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{Address, DesiredState, LiveState, RecordedResource, RecordedState};

use super::diff::field_changes;

/// One change to the snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Refreshed {
    /// Record `record` for `address`: `fields` are those the old record had wrong.
    Record {
        address: Address,
        #[serde(skip)]
        record: Box<RecordedResource>,
        id: String,
        fields: Vec<String>,
    },
    /// `address` (recorded as `id`) is gone from AWS: drop it from state.
    Forget { address: Address, id: String },
}

impl Refreshed {
    pub fn address(&self) -> &Address {
        match self {
            Refreshed::Record { address, .. } | Refreshed::Forget { address, .. } => address,
        }
    }
}

/// The changes, sorted by address.
pub fn refresh(
    desired: &DesiredState,
    live: &LiveState,
    recorded: &RecordedState,
) -> Vec<Refreshed> {
    let mut out = Vec::new();
    let addresses: BTreeSet<&Address> = recorded.resources.keys().collect();
    for address in addresses {
        let r = &recorded.resources[address];
        let Some(l) = live.resources.get(address) else {
            out.push(Refreshed::Forget {
                address: address.clone(),
                id: r.id.clone(),
            });
            continue;
        };
        let d = desired.resources.get(address);
        let ignore = d.map(|d| d.lifecycle.ignore.as_slice()).unwrap_or_default();
        let (stale, _) = field_changes(address.kind, &r.attrs, &r.tags, l, Some(r), ignore);
        if stale.is_empty() && r.id == l.id {
            continue;
        }
        let mut fields: Vec<String> = stale.iter().map(|f| f.field.to_string()).collect();
        if r.id != l.id {
            fields.insert(0, "id".into());
        }
        let as_spec = d.filter(|d| {
            field_changes(address.kind, &d.attrs, &d.tags, l, Some(r), ignore)
                .0
                .is_empty()
        });
        let (attrs, tags) = match as_spec {
            Some(d) => (d.attrs.clone(), d.tags.clone()),
            None => (l.attrs.clone(), l.tags.clone()),
        };
        out.push(Refreshed::Record {
            address: address.clone(),
            record: Box::new(RecordedResource {
                id: l.id.clone(),
                attrs,
                tags,
                depends_on: r.depends_on.clone(),
            }),
            id: l.id.clone(),
            fields,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::model::LiveResource;

    fn views() -> (DesiredState, LiveState, RecordedState) {
        let loaded = crate::spec::load_one(Path::new("specs"), "staging").expect("valid");
        let d = crate::spec::desired::build(&loaded.spec);
        let id = |a: &Address| format!("id-{a}");
        let live = LiveState {
            resources: d
                .resources
                .iter()
                .map(|(a, r)| {
                    let l = LiveResource {
                        id: id(a),
                        attrs: r.attrs.clone(),
                        tags: r.tags.clone(),
                        pending: BTreeMap::new(),
                    };
                    (a.clone(), l)
                })
                .collect(),
            unmanaged: Vec::new(),
            duplicates: Vec::new(),
            exports: Default::default(),
        };
        let recorded = RecordedState {
            resources: d
                .resources
                .iter()
                .map(|(a, r)| {
                    let rec = RecordedResource {
                        id: id(a),
                        attrs: r.attrs.clone(),
                        tags: r.tags.clone(),
                        depends_on: r.depends_on(a),
                    };
                    (a.clone(), rec)
                })
                .collect(),
        };
        (d, live, recorded)
    }

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn a_converged_environment_needs_no_refresh() {
        let (d, live, recorded) = views();
        assert_eq!(refresh(&d, &live, &recorded), Vec::new());
    }

    #[test]
    fn a_stale_record_of_what_matches_the_spec_is_recorded_as_the_spec() {
        let (d, live, mut recorded) = views();
        let vpc = a("shared.vpc");
        let r = recorded.resources.get_mut(&vpc).unwrap();
        r.tags.insert("Environment".into(), "old".into());
        let before = recorded.resources[&vpc].clone();
        let out = refresh(&d, &live, &recorded);
        assert_eq!(out.len(), 1, "{out:?}");
        let Refreshed::Record {
            address,
            record,
            fields,
            ..
        } = &out[0]
        else {
            panic!("{out:?}")
        };
        assert_eq!(address, &vpc);
        assert_eq!(fields, &vec!["tags.Environment".to_owned()]);
        assert_eq!(record.tags, d.resources[&vpc].tags);
        assert_eq!(record.depends_on, before.depends_on);
    }

    #[test]
    fn what_differs_from_the_spec_is_recorded_as_aws_has_it_and_the_gone_forgotten() {
        let (d, mut live, recorded) = views();
        let vpc = a("shared.vpc");
        live.resources
            .get_mut(&vpc)
            .unwrap()
            .tags
            .insert("Team".into(), "by hand".into());
        let nat = live
            .resources
            .keys()
            .find(|a| a.kind == crate::model::Kind::NatGateway)
            .cloned()
            .unwrap();
        live.resources.remove(&nat);
        let out = refresh(&d, &live, &recorded);
        let addresses: Vec<&Address> = out.iter().map(Refreshed::address).collect();
        assert_eq!(
            addresses,
            vec![&vpc, &nat]
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        for r in &out {
            match r {
                Refreshed::Record { record, .. } => {
                    assert_eq!(record.tags.get("Team").map(String::as_str), Some("by hand"));
                }
                Refreshed::Forget { address, id } => {
                    assert_eq!((address, id.as_str()), (&nat, format!("id-{nat}").as_str()));
                }
            }
        }
    }
}
