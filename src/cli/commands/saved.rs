//! Saved plans on disk: `plan --out FILE` writes one, `apply FILE` reads it and checks every
//! plan it makes against it (`plan::saved`).

use std::path::Path;

use super::super::CliError;
use super::Run;
use crate::engine::Observed;
use crate::plan::Plan;
use crate::plan::saved::{Current, FORMAT, FORMAT_VERSION, SavedPlan, StateMark};
use crate::plan::target::Selection;

impl Run {
    fn current<'a>(
        &'a self,
        observed: &'a Observed,
        selection: &'a Selection,
        plan: &'a Plan,
    ) -> Current<'a> {
        Current {
            env: &self.env,
            stacks: &self.stacks,
            selection,
            spec_hash: &self.spec_hash,
            state: observed
                .stored
                .iter()
                .map(|(s, st)| {
                    let mark = StateMark {
                        lineage: st.snapshot.lineage.clone(),
                        serial: st.snapshot.serial,
                    };
                    (*s, mark)
                })
                .collect(),
            live: &observed.live,
            plan,
            region: &self.region,
        }
    }

    /// Writes the plan (`made`, before its checks; `shown`, after) with what it was made from.
    pub(super) fn save_plan(
        &self,
        path: &Path,
        observed: &Observed,
        selection: &Selection,
        made: &Plan,
        shown: &Plan,
    ) -> Result<(), CliError> {
        let mut saved = SavedPlan::new(&self.current(observed, selection, made), shown);
        saved.upgrade_platform = self.upgrade_platform;
        let text = serde_json::to_string_pretty(&saved).expect("serialises") + "\n";
        std::fs::write(path, text).map_err(|e| {
            CliError::Refused(format!("cannot write the plan to {}: {e}", path.display()))
        })?;
        self.out.note(&format!(
            "\nSaved the plan to {}: `provision apply --env {} {}` carries out exactly it.\n",
            path.display(),
            self.env,
            path.display()
        ));
        Ok(())
    }

    /// Refuses `made` unless it is the saved plan, made from the same state and AWS.
    pub(super) fn check_saved(
        &self,
        saved: &SavedPlan,
        observed: &Observed,
        made: &Plan,
    ) -> Result<(), CliError> {
        saved
            .check(&self.current(observed, &saved.selection(), made))
            .map_err(|e| CliError::Refused(e.to_string()))
    }
}

/// Reads a saved plan, refusing what is not one (before any AWS call).
pub(super) fn read(path: &Path) -> Result<SavedPlan, CliError> {
    let bad =
        |why: String| CliError::Refused(format!("{}: not a saved plan: {why}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    // Version 1 (no exclusions) reads as version 2 without any.
    let version = head["format_version"].as_u64();
    if head["format"] != FORMAT
        || !version.is_some_and(|v| (1..=FORMAT_VERSION.into()).contains(&v))
    {
        return Err(bad(format!(
            "expected \"format\": \"{FORMAT}\", \"format_version\": 1 to {FORMAT_VERSION} (made by `provision plan --out`)"
        )));
    }
    serde_json::from_value(head).map_err(|e| bad(e.to_string()))
}
