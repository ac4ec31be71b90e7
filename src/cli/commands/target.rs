//! `--target` on plan, apply and destroy: the plan narrowed by `plan::target`, with the
//! warning Terraform gives.

use super::super::CliError;
use super::Run;
use crate::engine::Observed;
use crate::plan::Plan;
use crate::plan::target::{self, Direction};

impl Run {
    /// `plan` narrowed to `targets` and their closure; the whole plan when there are none.
    pub(super) fn targeted(
        &self,
        mut plan: Plan,
        targets: &[String],
        observed: &Observed,
        direction: Direction,
    ) -> Result<Plan, CliError> {
        if targets.is_empty() {
            return Ok(plan);
        }
        let edges = target::edges(&self.desired, &observed.full_live, &observed.recorded);
        target::restrict(&mut plan, targets, &edges, direction)
            .map_err(|e| CliError::Refused(e.to_string()))?;
        Ok(plan)
    }

    /// Said once per targeted command, before its plan.
    pub(super) fn warn_targeted(&self, targets: &[String]) {
        if !targets.is_empty() {
            self.out.warn(target::WARNING);
        }
    }
}
