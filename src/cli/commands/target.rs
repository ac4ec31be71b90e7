//! `--target` and `--exclude` on plan, apply and destroy: the plan narrowed by `plan::target`,
//! with the warning Terraform gives.

use super::super::CliError;
use super::Run;
use crate::engine::Observed;
use crate::plan::Plan;
use crate::plan::target::{self, Direction, Selection};

impl Run {
    /// `plan` narrowed to the targets and their closure, less the exclusions and theirs; the
    /// whole plan when there are none.
    pub(super) fn targeted(
        &self,
        mut plan: Plan,
        selection: &Selection,
        observed: &Observed,
        direction: Direction,
    ) -> Result<Plan, CliError> {
        if selection.is_empty() {
            return Ok(plan);
        }
        let edges = target::edges(&self.desired, &observed.full_live, &observed.recorded);
        target::select(&mut plan, selection, &edges, direction)
            .map_err(|e| CliError::Refused(e.to_string()))?;
        Ok(plan)
    }

    /// Said once per targeted command, before its plan.
    pub(super) fn warn_targeted(&self, selection: &Selection) {
        if !selection.is_empty() {
            self.out.warn(target::WARNING);
        }
    }
}
