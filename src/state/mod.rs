//! The state store: one snapshot per stack and environment, its immutable history, and the lock
//! that keeps two runs from changing the same stack at once.
//!
//! Layout, the same in the S3 bucket and in the local store (the seed's `shared/`, `backend/`,
//! `console/` prefixes):
//!
//! ```text
//! {stack}/{env}/state.json                                current snapshot (serial, lineage)
//! {stack}/{env}/lock.json                                 present while a run holds the stack
//! {stack}/{env}/history/{serial:010}-{YYYYMMDDTHHMMSSZ}.json   one immutable copy per finished run
//! ```
//!
//! Every write of `state.json` is conditional: the first with `If-None-Match: *`, later ones with
//! `If-Match` on the ETag that was read, so a writer that lost a race finds out
//! ([`StateError::Conflict`]) instead of overwriting. Secrets never enter snapshots: resource
//! attributes carry none (RDS passwords are managed by AWS), and this layer adds none.

pub mod applied;
pub mod lock;
pub mod recorder;
pub mod snapshot;
pub mod store;

use std::path::PathBuf;
use std::time::Duration;

pub use lock::{
    Busy, LockGuard, LockInfo, Mark, Marks, acquire, acquire_with_lease, busy, marks, unlock,
};
pub use recorder::{Recorder, read_all};
pub use snapshot::{FORMAT_VERSION, Snapshot};
pub use store::{HistoryEntry, LocalStore, Store, Stored};

use crate::aws::AwsError;

/// What went wrong in the state store, said so that the user knows what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The bucket answered with an error; AWS's code and message are kept.
    #[error("state store: {0}")]
    Aws(#[from] AwsError),
    #[error(
        "the state bucket `{bucket}` is not this account's: S3 refuses access to it (HeadBucket \
         answers 403). Bucket names are global, so another AWS account most likely owns this \
         one: choose another name in the spec's `state.bucket` (if the bucket is yours, these \
         credentials lack s3:ListBucket on it). Nothing was changed"
    )]
    BucketTaken { bucket: String },
    #[error("local state store: {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "state {key} is unreadable: {detail}; it was left as it is: fix it, or restore an earlier \
         copy from {key}'s history (or the bucket's object versions)"
    )]
    Corrupt { key: String, detail: String },
    #[error(
        "state {key} was written by a newer provision (format version {found}, this build reads up \
         to {}); upgrade provision before using this environment",
        snapshot::FORMAT_VERSION
    )]
    NewerFormat { key: String, found: u64 },
    #[error("state {key} does not belong here: {detail}; it was left as it is")]
    Mismatch { key: String, detail: String },
    #[error("state {key} does not exist")]
    Missing { key: String },
    #[error(
        "state {key} was changed by another writer since this run read it; nothing was \
         overwritten. Run `provision plan` again to see the current state (was another apply \
         running without the lock?)"
    )]
    Conflict { key: String },
    #[error("{}", locked_message(key, holder, *age))]
    Locked {
        key: String,
        /// Boxed to keep `Result<_, StateError>` small.
        holder: Box<LockInfo>,
        age: Duration,
    },
    #[error("{}", fresh_message(key, holder, *age))]
    LockFresh {
        key: String,
        /// Boxed to keep `Result<_, StateError>` small.
        holder: Box<LockInfo>,
        age: Duration,
    },
    #[error(
        "lock {key} is no longer ours: {detail}; another run may have changed this stack, run \
         `provision plan` to see where it stands"
    )]
    LockLost { key: String, detail: String },
}

/// `--env E --stack S` for a `{stack}/{env}/…` key.
fn key_flags(key: &str) -> String {
    let mut parts = key.split('/');
    match (parts.next(), parts.next()) {
        (Some(stack), Some(env)) => format!("--env {env} --stack {stack}"),
        _ => format!("(key {key})"),
    }
}

fn locked_message(key: &str, holder: &LockInfo, age: Duration) -> String {
    let lease = Duration::from_secs(holder.lease_seconds);
    let since = holder.renewed_at.as_deref().unwrap_or(&holder.created_at);
    let state = if holder.is_stale(age) {
        format!(
            "its {} lease ran out {} ago, so that run is most likely gone",
            human(lease),
            human(age.saturating_sub(lease))
        )
    } else {
        format!("last renewed {since}, within its {} lease", human(lease))
    };
    format!(
        "{key} is locked by {} (pid {}) running `{}` for {}; {state}. If that run is no longer \
         going, break the lock with `provision state unlock {}{}`",
        holder.who(),
        holder.pid,
        holder.command,
        human(holder.held_for()),
        key_flags(key),
        if holder.is_stale(age) { "" } else { " --force" },
    )
}

fn fresh_message(key: &str, holder: &LockInfo, age: Duration) -> String {
    format!(
        "{key} is held by {} (pid {}) running `{}`, renewed {} ago, within its {} lease: that \
         run may still be going. Make sure it is not, then run `provision state unlock {} --force`",
        holder.who(),
        holder.pid,
        holder.command,
        human(age),
        human(Duration::from_secs(holder.lease_seconds)),
        key_flags(key),
    )
}

/// `45s`, `3m 12s`, `2h 5m`, `3d 4h`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// Now, as RFC 3339 UTC to the second: `2025-01-31T12:00:00Z`.
pub(crate) fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time formats as RFC 3339")
}

/// How long ago an RFC 3339 time was (zero if it is in the future or unreadable).
pub(crate) fn age_of(rfc3339: &str) -> Duration {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| time::OffsetDateTime::now_utc() - t)
        .and_then(|d| Duration::try_from(d).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(45)), "45s");
        assert_eq!(human(Duration::from_secs(192)), "3m 12s");
        assert_eq!(human(Duration::from_secs(7500)), "2h 5m");
        assert_eq!(human(Duration::from_secs(3 * 86400 + 4 * 3600)), "3d 4h");
    }

    #[test]
    fn timestamps_round_trip() {
        let now = now_rfc3339();
        assert!(now.ends_with('Z'), "{now}");
        assert!(age_of(&now) < Duration::from_secs(5));
        assert_eq!(age_of("not a time"), Duration::ZERO);
        assert!(age_of("2000-01-01T00:00:00Z") > Duration::from_secs(86400 * 365));
    }
}
