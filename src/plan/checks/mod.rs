//! Checks on a plan, apart from planning: validators of a finished plan that say what must not
//! happen (or not without the operator's explicit word), all of them in one place.
//!
//! - [`replace`]: what a replacement would destroy or cannot do (data, a group in use, a
//!   storage shrink); run by `diff` on every plan, reported with its other errors.
//! - [`data`]: the final snapshot a deleted database leaves, and which replacements need
//!   `--confirm ENV`.
//! - [`secrets`]: a password variable a create needs is set, before anything changes.
//! - [`settings`]: option settings whose known values AWS would refuse; run by `diff` on every
//!   plan, reported with its other errors.
//! - [`confirm`]: production and protected environments, and `--confirm ENV` itself.
//! - [`cost_tags`]: which tag keys a plan that creates or changes a budget asks Cost Explorer
//!   about, and the warning when they are not active cost allocation tags (the engine asks).
//!
//! The command line calls [`run`] on every plan it shows or applies, and [`confirm::given`] on
//! its arguments before anything is read.

pub mod confirm;
pub mod cost_tags;
pub mod data;
pub mod replace;
pub mod secrets;
pub mod settings;

pub use data::{data, final_snapshot_id};
pub use replace::replacements;

use super::types::{Plan, PlanErrors};
use crate::model::Address;

/// What the checks need to know beyond the plan.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub env: &'a str,
    /// Production, or an environment whose spec protects its database.
    pub protected_env: bool,
    /// `--confirm ENV` was given with this environment's name.
    pub confirmed: bool,
    /// The plan is about to be carried out (apply, destroy), not only shown.
    pub executing: bool,
    /// When the run happens: final snapshots are named after it.
    pub now: time::OffsetDateTime,
}

/// Why a plan (or the command's arguments) may not go ahead. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Plan(#[from] PlanErrors),
    #[error(
        "{address}: the master password variable {variable} {problem}; set it and run again. Nothing was changed"
    )]
    MissingSecret {
        address: Address,
        variable: String,
        /// "is not set" or "is empty".
        problem: &'static str,
    },
    #[error("--confirm {given} does not match the environment `{env}`; nothing was changed")]
    ConfirmMismatch { given: String, env: String },
    #[error(
        "`{env}` is protected: destroying it needs --confirm {env} (--auto-approve alone is not enough); nothing was deleted"
    )]
    ProtectedDestroy { env: String },
}

/// Every check of a finished plan, in order: the data checks (which also name final
/// snapshots in the plan), then, when the plan is to be carried out, the secrets it needs.
pub fn run(plan: &mut Plan, cx: &Context<'_>) -> Result<(), Refusal> {
    data(plan, cx)?;
    if cx.executing {
        secrets::present(plan)?;
    }
    Ok(())
}
