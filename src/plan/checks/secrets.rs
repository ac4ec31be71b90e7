//! A database created with a password from the environment needs that variable before anything
//! changes, not halfway through the run. The value is only checked for presence, never shown.

use super::Refusal;
use crate::model::{Attrs, MasterPassword};
use crate::plan::types::{Action, Plan};

pub fn present(plan: &Plan) -> Result<(), Refusal> {
    for c in &plan.changes {
        let creates = matches!(c.action, Action::Create | Action::Replace);
        if let (true, Some(Attrs::DbInstance(db))) = (creates, &c.after)
            && let MasterPassword::EnvVar(name) = &db.master_password
        {
            let problem = match std::env::var_os(name) {
                None => "is not set",
                Some(v) if v.is_empty() => "is empty",
                Some(_) => continue,
            };
            return Err(Refusal::MissingSecret {
                address: c.address.clone(),
                variable: name.clone(),
                problem,
            });
        }
    }
    Ok(())
}
