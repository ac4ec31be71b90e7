//! Staging before production, as the CLI says it: `plan --env production` warns of what of its
//! base staging has not applied; `apply --env production` refuses it unless
//! `--skip-promotion-check`. Where staging has no state at all in the store, there is nothing
//! to compare with: a warning, not a refusal. The reading and comparing is the engine's
//! (`engine::promotion`).

use super::super::{CliError, Global, StateBackend};
use super::Run;
use crate::engine::promotion::{FROM, Promotion};
use crate::state::applied::{Applied, FileDigest};

impl Run {
    /// The base file as this run would apply it.
    pub(super) fn applied_now(&self) -> Applied {
        Applied {
            base: FileDigest::of(&self.spec_files.0, &self.spec_files.1),
            env: FileDigest::of(&self.spec_files.2, &self.spec_files.3),
            at: String::new(),
        }
    }

    /// Whether this apply must record its spec files in snapshots that record others (or
    /// none), though nothing else changes.
    pub(super) fn applied_stale(&self, observed: &crate::engine::Observed) -> bool {
        let now = self.applied_now();
        self.record_applied
            && observed.stored.values().any(|st| {
                st.snapshot.applied.as_ref().is_none_or(|a| {
                    a.base.sha256 != now.base.sha256 || a.env.sha256 != now.env.sha256
                })
            })
    }

    /// For production only: the sentence naming what of its base staging has not applied.
    pub(super) async fn unpromoted(&self, g: &Global) -> Result<Option<String>, CliError> {
        if self.env != "production" {
            return Ok(None);
        }
        let staging = super::super::load(g, FROM)?;
        Ok(
            match self.promotion(&staging.spec, &self.applied_now()).await? {
                Promotion::Promoted => None,
                Promotion::Unpromoted(sentence) => Some(sentence),
                Promotion::NoStaging => {
                    self.out.warn(format_args!(
                    "staging has no state in this state store: production's {} is not compared with it",
                    self.spec_files.0
                ));
                    None
                }
            },
        )
    }
}

/// `envdiff --applied s3|local`: the engine's row, reached as every command reaches AWS.
pub async fn applied_row(
    g: &Global,
    backend: StateBackend,
    specs: &[&crate::spec::EnvSpec],
) -> Result<crate::envdiff::Row, CliError> {
    let connect = crate::engine::Connect {
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
    };
    crate::engine::promotion::applied_row(&connect, backend, specs).await
}
