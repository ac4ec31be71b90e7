//! Staging before production: what production's base has that staging has not applied
//! (`state::applied`), read from staging's snapshots. `plan --env production` says it;
//! `apply --env production` refuses it unless `--skip-promotion-check`. Where staging has no
//! state at all in the store, there is nothing to compare with: a warning, not a refusal.

use super::super::{CliError, Global, StateBackend};
use super::Run;
use crate::aws::s3::S3Objects;
use crate::model::Stack;
use crate::state::applied::{self, Applied, FileDigest};
use crate::state::{LocalStore, Store};

/// The environment production is promoted from.
const FROM: &str = "staging";

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
        // Staging's state is where staging's spec keeps it (its own bucket, or `state/`).
        let staging = super::super::load(g, FROM)?;
        let store = match self.backend {
            StateBackend::S3 => Store::S3(S3Objects::new(
                self.aws.s3.clone(),
                &staging.spec.state.bucket,
                &staging.spec.state.region,
            )),
            StateBackend::Local => Store::Local(LocalStore {
                root: "state".into(),
            }),
        };
        let stored = crate::state::read_all(&store, FROM, &Stack::ALL).await?;
        if stored.is_empty() {
            // No staging here at all (another account or store, or none yet): nothing to
            // compare with. Said, not refused; once staging has state, it is compared.
            self.out.warn(format_args!(
                "staging has no state in this state store: production's {} is not compared with it",
                self.spec_files.0
            ));
            return Ok(None);
        }
        let marks: Vec<Option<&Applied>> = Stack::ALL
            .iter()
            .map(|s| stored.get(s).and_then(|st| st.snapshot.applied.as_ref()))
            .collect();
        Ok(applied::unpromoted(&self.applied_now().base, &marks))
    }
}

/// `envdiff --applied s3|local`: each environment's last applied base (its digest and when),
/// read from its state store; the newest of its stacks' snapshots.
pub async fn applied_row(
    g: &Global,
    backend: StateBackend,
    specs: &[&crate::spec::EnvSpec],
) -> Result<crate::envdiff::Row, CliError> {
    let mut values = Vec::new();
    for s in specs {
        let store = match backend {
            StateBackend::Local => Store::Local(LocalStore {
                root: "state".into(),
            }),
            StateBackend::S3 => {
                let aws = crate::aws::Aws::connect(&crate::aws::ConnectOptions {
                    endpoint_url: g.endpoint_url.clone(),
                    profile: g.profile.clone(),
                    region: s.region.clone(),
                    credentials: None,
                })
                .await;
                Store::S3(S3Objects::new(aws.s3, &s.state.bucket, &s.state.region))
            }
        };
        let stored = crate::state::read_all(&store, &s.env, &Stack::ALL).await?;
        let newest = stored
            .values()
            .filter_map(|st| st.snapshot.applied.as_ref())
            .max_by_key(|a| a.at.clone());
        values.push(match newest {
            Some(a) => format!("{} {} at {}", a.base.file, a.base.short(), a.at),
            None => "never (no applied spec in its state)".to_owned(),
        });
    }
    Ok(crate::envdiff::Row {
        aspect: "Base last applied (digest, when)".into(),
        values,
    })
}
