//! Settings whose references the plan could not resolve (`${backend.rds.endpoint}` of a
//! database this run creates or replaces) are filled in right before their change, from the
//! resources as apply left them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::aws::Aws;
use crate::model::field::flatten;
use crate::model::properties::refusals;
use crate::model::{Address, Attrs, Exports, Field, Tags};
use crate::plan::references::{fill, take_unresolved, unresolved};
use crate::plan::{Action, Change, FieldChange};

/// `change` with every reference filled in, or `None` when it holds none to fill. Fails,
/// naming the reference, when what it reads has no id or no such value.
pub(super) async fn filled(
    aws: &Aws,
    change: &Change,
    ids: &BTreeMap<Address, String>,
) -> Result<Option<Change>, String> {
    let Some(after) = &change.after else {
        return Ok(None);
    };
    let targets = unresolved(after);
    if targets.is_empty() {
        return Ok(None);
    }
    let mut known = Exports::new();
    for target in targets {
        let id = ids.get(target).ok_or_else(|| {
            format!(
                "{}: {target} has no id, so the settings that read it have no value",
                change.address
            )
        })?;
        let values = aws
            .exports_of(target, id)
            .await
            .map_err(|e| e.to_string())?;
        known.insert(target.clone(), values);
    }
    let mut after = after.clone();
    let missing = fill(&mut after, &known);
    if !missing.is_empty() {
        return Err(format!(
            "{}: AWS gives no value for {} yet; nothing was sent for this resource",
            change.address,
            missing.join(", ")
        ));
    }
    // What the plan could not check (`plan::checks::settings`), before it reaches AWS.
    if let Attrs::BeanstalkEnv(env) = &after
        && let Some(problem) = refusals(&env.settings).first()
    {
        return Err(format!(
            "{}: Elastic Beanstalk would refuse {problem}; nothing was sent for this resource",
            change.address
        ));
    }
    // The plan's fields show the values now known.
    let values = flatten(&after, &Tags::new());
    let mut change = change.clone();
    for f in &mut change.fields {
        if let Value::String(s) = &f.after
            && crate::model::Template::wanted(s)
            && let Some(v) = values.get(&f.field)
        {
            f.after = v.clone();
        }
    }
    change.after = Some(after);
    Ok(Some(change))
}

/// A new resource whose settings read what this same run creates (`${backend.rds.endpoint}`
/// of a new database) is created without those settings, so that it need not wait for them,
/// and a second change sets them once what they read exists: the slowest creates (a database,
/// an environment) then run side by side. Returns the create and that follow-up update.
pub(super) fn split(change: &Change, applying: &BTreeSet<Address>) -> (Change, Option<Change>) {
    let Some(after) = &change.after else {
        return (change.clone(), None);
    };
    let targets: BTreeSet<Address> = unresolved(after)
        .into_iter()
        .filter(|a| applying.contains(*a))
        .cloned()
        .collect();
    if targets.is_empty() || !matches!(change.action, Action::Create | Action::Replace) {
        return (change.clone(), None);
    }
    let mut first = after.clone();
    let taken = take_unresolved(&mut first, &targets);
    let mut create = change.clone();
    create.after = Some(first.clone());
    // The plan's `depends_on` holds no read-only target (`reads::read_only`): the settings
    // update waits for its targets through its references (`tasks`), the create does not.
    let settle = Change {
        action: Action::Update,
        // The id is the create's, known when this runs (`run_one`).
        id: None,
        before: Some(first),
        fields: taken
            .into_iter()
            .map(|(namespace, option, value)| FieldChange {
                field: Field::Setting { namespace, option },
                before: Value::Null,
                after: Value::String(value.to_string()),
                forces_replacement: false,
            })
            .collect(),
        notes: Vec::new(),
        reason: None,
        final_snapshot: None,
        ..change.clone()
    };
    (create, Some(settle))
}
