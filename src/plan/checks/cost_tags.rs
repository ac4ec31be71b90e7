//! A budget scoped by tags counts nothing until those tags are active cost allocation tags
//! (AWS Billing user guide, "Using user-defined cost allocation tags", custom-tags.html: only
//! the management account or a standalone account activates them, and a key AWS has not
//! billed yet takes up to 24 hours to appear). Cost Explorer's `ListCostAllocationTags` (Cost Explorer API reference)
//! tells a key's status, `Active` or `Inactive`: the account's billing setting, which
//! provision never changes.
//!
//! The plan asks only when it creates, replaces or updates a budget: when the budget is
//! decided on and the answer can be acted on. The status changes nothing the plan or apply
//! does to the budget, and neither can change the status (the account owner activates, at
//! any time; the same page notes an account moving to another organization loses them), so a
//! plan that leaves the budget as it is, drift and apply make no such call.
//! Pure: the engine asks (`Session::cost_allocation`).

use std::collections::BTreeSet;
use std::fmt;

use crate::model::Attrs;
use crate::plan::types::{Action, Plan};

/// The tag keys of every budget the plan creates, replaces or updates, sorted: what to ask
/// Cost Explorer about. Empty when no budget changes (or the changing ones are scoped by
/// account rather than by tags).
pub fn keys_to_check(plan: &Plan) -> Vec<String> {
    let keys: BTreeSet<&String> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace | Action::Update))
        .filter_map(|c| match &c.after {
            Some(Attrs::Budget(b)) => Some(b.scope.keys()),
            _ => None,
        })
        .flatten()
        .collect();
    keys.into_iter().cloned().collect()
}

/// What the plan warns of the budget's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostTags {
    /// `inactive` (sorted, a subset of `keys`) are not active cost allocation tags.
    Inactive {
        keys: Vec<String>,
        inactive: Vec<String>,
    },
    /// Cost Explorer could not be asked (`error` says why: credentials without
    /// `ce:ListCostAllocationTags`, an outage).
    Unchecked { error: String },
}

impl CostTags {
    /// The warning for what Cost Explorer answered of `keys`: none when every one is active.
    pub fn of(keys: &[String], inactive: Vec<String>) -> Option<CostTags> {
        (!inactive.is_empty()).then(|| CostTags::Inactive {
            keys: keys.to_vec(),
            inactive,
        })
    }
}

impl fmt::Display for CostTags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (keys, inactive) = match self {
            CostTags::Unchecked { error } => {
                return write!(
                    f,
                    "could not check whether the budget's tags are active cost allocation tags: {error}"
                );
            }
            CostTags::Inactive { keys, inactive } => (keys, inactive),
        };
        let (verb, them) = match inactive.len() {
            1 => ("is not an active cost allocation tag", "it is"),
            _ => ("are not active cost allocation tags", "they are"),
        };
        let entries: Vec<String> = inactive
            .iter()
            .map(|k| format!("TagKey={k},Status=Active"))
            .collect();
        write!(
            f,
            "the budget counts only costs tagged {}, and {} {verb}: until {them} activated \
             the budget counts nothing. Activate from the organization's management account \
             (or a standalone account): Billing and Cost Management > Cost allocation tags, \
             or `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status {}`; \
             a key AWS has not billed yet takes up to 24 hours to appear there",
            keys.join(" and "),
            inactive.join(" and "),
            entries.join(" ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, DesiredState, LiveResource, LiveState, Stack};

    fn desired() -> DesiredState {
        let loaded = crate::spec::load_one(std::path::Path::new("specs"), "staging")
            .expect("staging validates");
        crate::spec::desired::build(&loaded.spec)
    }

    fn budget() -> Address {
        Address::single(Stack::Shared, crate::model::Kind::Budget)
    }

    /// AWS as `d` says, with the budget changed by `edit` (or absent: `None`).
    fn live(d: &DesiredState, edit: Option<fn(&mut Attrs)>) -> LiveState {
        let mut live = LiveState::default();
        for (a, r) in &d.resources {
            let mut attrs = r.attrs.clone();
            if *a == budget() {
                let Some(edit) = edit else { continue };
                edit(&mut attrs);
            }
            let l = LiveResource {
                id: a.to_string(),
                attrs,
                tags: r.tags.clone(),
                pending: Default::default(),
            };
            live.resources.insert(a.clone(), l);
        }
        live
    }

    fn keys(d: &DesiredState, live: &LiveState) -> Vec<String> {
        keys_to_check(&crate::plan::diff(d, live, &Default::default()).unwrap())
    }

    #[test]
    fn only_a_created_or_changed_budget_has_its_tags_checked() {
        let d = desired();
        let scope = ["provision:env", "provision:project"];
        // Converged: no call.
        assert!(keys(&d, &live(&d, Some(|_| {}))).is_empty());
        // Created (from empty, or the budget alone missing): its scope's keys, sorted.
        assert_eq!(keys(&d, &LiveState::default()), scope);
        assert_eq!(keys(&d, &live(&d, None)), scope);
        // A limit changed outside provision: the plan updates it, and asks.
        let changed = live(
            &d,
            Some(|a| {
                if let Attrs::Budget(b) = a {
                    b.limit_usd = "999".into();
                }
            }),
        );
        let plan = crate::plan::diff(&d, &changed, &Default::default()).unwrap();
        let c = plan.changes.iter().find(|c| c.address == budget()).unwrap();
        assert_eq!(c.action, Action::Update);
        assert_eq!(keys_to_check(&plan), scope);
        // Deleted (destroy): nothing to advise on.
        let mut empty = d.clone();
        empty.resources.clear();
        assert!(keys(&empty, &live(&d, Some(|_| {}))).is_empty());
        // Scoped by account (an environment with an account of its own): no tags to check.
        let mut by_account = d.clone();
        if let Some(r) = by_account.resources.get_mut(&budget())
            && let Attrs::Budget(b) = &mut r.attrs
        {
            b.scope.clear();
        }
        assert!(keys(&by_account, &LiveState::default()).is_empty());
    }

    #[test]
    fn the_warning_names_the_inactive_keys_and_how_to_activate_them() {
        let keys = vec!["provision:env".to_owned(), "provision:project".to_owned()];
        assert_eq!(CostTags::of(&keys, vec![]), None);
        let one = CostTags::of(&keys, vec!["provision:env".into()])
            .unwrap()
            .to_string();
        assert!(
            one.contains("provision:env and provision:project, and provision:env is not an active cost allocation tag: until it is activated"),
            "{one}"
        );
        assert!(
            one.contains("--cost-allocation-tags-status TagKey=provision:env,Status=Active`;"),
            "{one}"
        );
        let both = CostTags::of(&keys, keys.clone()).unwrap().to_string();
        assert!(
            both.contains("are not active cost allocation tags"),
            "{both}"
        );
        let unchecked = CostTags::Unchecked {
            error: "AccessDeniedException".into(),
        };
        assert!(unchecked.to_string().starts_with("could not check"));
    }
}
