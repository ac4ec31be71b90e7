//! Staging before production: what production's base has that staging has not applied
//! (`state::applied`), read from staging's snapshots, and each environment's last applied base
//! for `envdiff --applied`. The CLI decides what to say or refuse; this reads and compares.

use super::{Connect, Error, Session, StateBackend};
use crate::aws::s3::S3Objects;
use crate::model::Stack;
use crate::spec::EnvSpec;
use crate::state::applied::{self, Applied};
use crate::state::{LocalStore, Store};

/// The environment production is promoted from.
pub const FROM: &str = "staging";

/// What a comparison with staging found.
pub enum Promotion {
    /// Nothing to compare with: staging has no state in this store (another account or store,
    /// or none yet). Said, not refused; once staging has state, it is compared.
    NoStaging,
    /// Staging has applied this base (or this is not production).
    Promoted,
    /// The sentence naming what of production's base staging has not applied.
    Unpromoted(String),
}

impl Session {
    /// For production only: whether staging (whose spec is `staging`) has applied `now`'s base.
    pub async fn promotion(&self, staging: &EnvSpec, now: &Applied) -> Result<Promotion, Error> {
        if self.env != "production" {
            return Ok(Promotion::Promoted);
        }
        // Staging's state is where staging's spec keeps it (its own bucket, or `state/`).
        let store = self.store_of(&staging.state.bucket, &staging.state.region);
        let stored = crate::state::read_all(&store, FROM, &Stack::ALL).await?;
        if stored.is_empty() {
            return Ok(Promotion::NoStaging);
        }
        let marks: Vec<Option<&Applied>> = Stack::ALL
            .iter()
            .map(|s| stored.get(s).and_then(|st| st.snapshot.applied.as_ref()))
            .collect();
        Ok(applied::unpromoted(&now.base, &marks)
            .map_or(Promotion::Promoted, Promotion::Unpromoted))
    }
}

/// `envdiff --applied s3|local`: each environment's last applied base (its digest and when),
/// read from its state store; the newest of its stacks' snapshots.
pub async fn applied_row(
    connect: &Connect,
    backend: StateBackend,
    specs: &[&EnvSpec],
) -> Result<crate::envdiff::Row, Error> {
    if let Some(profile) = &connect.profile {
        crate::aws::profile::check(profile).await?;
    }
    let mut values = Vec::new();
    for s in specs {
        let store = match backend {
            StateBackend::Local => Store::Local(LocalStore {
                root: "state".into(),
            }),
            StateBackend::S3 => {
                let aws = crate::aws::Aws::connect(&crate::aws::ConnectOptions {
                    endpoint_url: connect.endpoint_url.clone(),
                    profile: connect.profile.clone(),
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
