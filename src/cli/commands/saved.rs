//! Saved plans on disk: `plan --out FILE` writes one, `apply FILE` reads it and checks every
//! plan it makes against it (`plan::saved`).

use std::path::Path;

use super::super::CliError;
use super::Run;
use crate::engine::Observed;
use crate::plan::Plan;
use crate::plan::saved::{Current, FORMAT, FORMAT_VERSION, SavedPlan, StateMark};

impl Run {
    fn current<'a>(
        &'a self,
        observed: &'a Observed,
        targets: &'a [String],
        plan: &'a Plan,
    ) -> Current<'a> {
        Current {
            env: &self.env,
            stacks: &self.stacks,
            targets,
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
        targets: &[String],
        made: &Plan,
        shown: &Plan,
    ) -> Result<(), CliError> {
        let mut saved = SavedPlan::new(&self.current(observed, targets, made), shown);
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
            .check(&self.current(observed, &saved.targets, made))
            .map_err(|e| CliError::Refused(e.to_string()))
    }
}

/// Reads a saved plan, refusing what is not one (before any AWS call).
pub(super) fn read(path: &Path) -> Result<SavedPlan, CliError> {
    let bad =
        |why: String| CliError::Refused(format!("{}: not a saved plan: {why}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if head["format"] != FORMAT || head["format_version"] != FORMAT_VERSION {
        return Err(bad(format!(
            "expected \"format\": \"{FORMAT}\", \"format_version\": {FORMAT_VERSION} (made by `provision plan --out`)"
        )));
    }
    serde_json::from_value(head).map_err(|e| bad(e.to_string()))
}
