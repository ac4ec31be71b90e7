//! The calls a plan makes to advise rather than to read resources: what Elastic Beanstalk
//! says of platforms (`ListAvailableSolutionStacks`, `ListPlatformBranches`) and whether a
//! budget's tags are active cost allocation tags (`ListCostAllocationTags`). Each is made only
//! when the plan changes what it advises on (`plan::platforms::advised`,
//! `plan::checks::cost_tags`): a converged plan and drift make none.

use super::{Error, Observed, Session};
use crate::plan::checks::cost_tags::{self, CostTags};
use crate::plan::{Plan, platforms};

impl Session {
    /// The platform lists, into `observed`, when the plan needs them: resolution first (a
    /// branch or pin it cannot resolve from what runs), else `--upgrade-platform`, else a plan
    /// made without them that changes an environment (made again with them by `diffed`).
    pub(crate) async fn advise_on_platforms(&self, observed: &mut Observed) -> Result<(), Error> {
        let needed = platforms::needs_list(&self.desired, &self.branches, &observed.live, false);
        // Cheap and pure: a first diff says whether any environment changes.
        let first = (!needed && !self.upgrade_platform)
            .then(|| self.diffed(observed).ok())
            .flatten();
        if !platforms::advised(needed, self.upgrade_platform, first.as_ref()) {
            return Ok(());
        }
        // Both Beanstalk reads at once: the plan's platform check costs no more time.
        let (stacks, lifecycles) = tokio::join!(
            self.solution_stacks(&observed.live, true),
            self.lifecycles()
        );
        observed.solution_stacks = stacks?;
        observed.lifecycles = lifecycles?;
        Ok(())
    }

    /// Whether the budgets `plan` creates, replaces or updates count anything: a warning when
    /// their tags are not active cost allocation tags, or when Cost Explorer could not say.
    /// No call when no budget scoped by tags changes.
    pub(crate) async fn cost_allocation(&self, plan: &Plan) -> Option<CostTags> {
        let keys = cost_tags::keys_to_check(plan);
        if keys.is_empty() {
            return None;
        }
        match self.aws.inactive_cost_tags(&keys).await {
            Ok(inactive) => CostTags::of(&keys, inactive),
            Err(e) => Some(CostTags::Unchecked {
                error: e.to_string(),
            }),
        }
    }
}
