//! The pause record: `shared/{env}/pause.json`, beside the shared stack's snapshot. Its
//! presence is the mode; no record is a running environment, so every snapshot written before
//! pausing existed reads as it did. Written only under the environment's locks, and
//! conditionally on the version read, like the snapshots.

use serde::{Deserialize, Serialize};

use super::ElasticIps;
use crate::aws::s3::{Conflict, Precondition};
use crate::state::{StateError, Store};

/// The record's format; a newer one is refused, as for snapshots.
pub const FORMAT_VERSION: u32 = 1;

/// RDS starts a stopped instance by itself after this long ("You can stop a DB instance for up
/// to seven days. If you don't manually start your DB instance after seven days, your DB
/// instance is automatically started", Amazon RDS User Guide, "Stopping an Amazon RDS DB
/// instance temporarily").
pub const AUTO_START: time::Duration = time::Duration::days(7);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseState {
    /// `pause` started: the paused form is being applied (a rerun completes it).
    Pausing,
    /// Everything paused, the database stopped.
    Paused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseRecord {
    pub format_version: u32,
    pub env: String,
    pub state: PauseState,
    /// When `pause` was first run (RFC 3339, UTC).
    pub since: String,
    /// When provision last stopped the database (RFC 3339, UTC): RDS starts it again
    /// [`AUTO_START`] later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_stopped_at: Option<String>,
    /// Whether the NAT gateways' Elastic IPs stay allocated while paused. A record without it
    /// was written by a build that released them, and plans as released.
    #[serde(default = "released")]
    pub elastic_ips: ElasticIps,
}

fn released() -> ElasticIps {
    ElasticIps::Released
}

impl PauseRecord {
    pub fn pausing(env: &str, now: &str) -> PauseRecord {
        PauseRecord {
            format_version: FORMAT_VERSION,
            env: env.to_owned(),
            state: PauseState::Pausing,
            since: now.to_owned(),
            db_stopped_at: None,
            elastic_ips: ElasticIps::Kept,
        }
    }

    /// When RDS will start the database again by itself, if provision stopped it.
    pub fn db_restarts_at(&self) -> Option<String> {
        restarts_at(self.db_stopped_at.as_deref()?)
    }

    /// What plan and drift say of a paused environment (on stderr): they compare its paused
    /// form.
    pub fn mode_note(&self, env: &str) -> String {
        let state = match self.state {
            PauseState::Pausing => "being paused (a pause did not finish: run it again)",
            PauseState::Paused => "paused",
        };
        let ip = match self.elastic_ips {
            ElasticIps::Kept => "its Elastic IP kept",
            ElasticIps::Released => "nor its Elastic IP",
        };
        format!(
            "note: `{env}` is {state} since {}: compared in its paused form (no NAT gateway, {ip}, Beanstalk at 0 instances); `provision resume --env {env}` brings it back\n",
            self.since
        )
    }
}

/// `stopped_at` + 7 days, RFC 3339.
pub fn restarts_at(stopped_at: &str) -> Option<String> {
    let rfc = &time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(stopped_at, rfc).ok()?;
    (t + AUTO_START).format(rfc).ok()
}

pub fn key(env: &str) -> String {
    format!("shared/{env}/pause.json")
}

/// What a pause does with the NAT's Elastic IPs: `--release-ip` releases them; otherwise a
/// rerun keeps what the record says (released once, an address cannot be kept again while
/// paused) and a first pause keeps them.
pub fn elastic_ips_for(existing: Option<&PauseRecord>, release_ip: bool) -> ElasticIps {
    match (existing, release_ip) {
        (_, true) => ElasticIps::Released,
        (Some(r), false) => r.elastic_ips,
        (None, false) => ElasticIps::Kept,
    }
}

/// The record a pause works under, from the one there is (if any), and whether it must be
/// written before anything changes: a new one says "pausing", an old one takes the address's
/// new fate.
pub fn starting(
    existing: Option<&PauseRecord>,
    ips: ElasticIps,
    env: &str,
    now: &str,
) -> (PauseRecord, bool) {
    match existing {
        Some(r) if r.elastic_ips == ips => (r.clone(), false),
        Some(r) => {
            let mut r = r.clone();
            r.elastic_ips = ips;
            (r, true)
        }
        None => {
            let mut r = PauseRecord::pausing(env, now);
            r.elastic_ips = ips;
            (r, true)
        }
    }
}

/// The record and its ETag, or `None`: the environment is not paused.
pub async fn read(store: &Store, env: &str) -> Result<Option<(PauseRecord, String)>, StateError> {
    let key = key(env);
    let Some(object) = store.get(&key).await? else {
        return Ok(None);
    };
    parse(&object.body, &key, env).map(|r| Some((r, object.etag)))
}

pub fn parse(body: &[u8], key: &str, env: &str) -> Result<PauseRecord, StateError> {
    let corrupt = |detail: String| StateError::Corrupt {
        key: key.to_owned(),
        detail,
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| corrupt(format!("it is not valid JSON ({e})")))?;
    let found = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt("it has no numeric format_version".into()))?;
    if found > u64::from(FORMAT_VERSION) {
        return Err(StateError::NewerFormat {
            key: key.to_owned(),
            found,
        });
    }
    let record: PauseRecord = serde_json::from_value(value)
        .map_err(|e| corrupt(format!("it does not read as a pause record ({e})")))?;
    if record.env != env {
        return Err(StateError::Mismatch {
            key: key.to_owned(),
            detail: format!("it is for env `{}`", record.env),
        });
    }
    Ok(record)
}

/// Writes the record: `etag` is the version read (`None`: there was none). Returns the new ETag.
pub async fn write(
    store: &Store,
    record: &PauseRecord,
    etag: Option<&str>,
) -> Result<String, StateError> {
    let key = key(&record.env);
    let mut body = serde_json::to_vec_pretty(record).expect("a pause record serialises");
    body.push(b'\n');
    let precondition = etag.map_or(Precondition::Absent, |e| {
        Precondition::Matches(e.to_owned())
    });
    match store.put(&key, body, precondition).await? {
        Ok(etag) => Ok(etag),
        Err(Conflict) => Err(StateError::Conflict { key }),
    }
}

/// Removes the record: the environment runs as its spec says.
pub async fn clear(store: &Store, env: &str) -> Result<(), StateError> {
    store.delete(&key(env)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_is_seven_days_after_the_stop() {
        assert_eq!(
            restarts_at("2026-11-30T23:10:00Z").as_deref(),
            Some("2026-12-07T23:10:00Z")
        );
        assert_eq!(restarts_at("yesterday"), None);
    }

    #[test]
    fn records_round_trip_and_foreign_or_newer_ones_are_refused() {
        let mut r = PauseRecord::pausing("staging", "2026-11-30T23:10:00Z");
        r.state = PauseState::Paused;
        r.db_stopped_at = Some("2026-11-30T23:12:00Z".into());
        let body = serde_json::to_vec(&r).unwrap();
        let key = key("staging");
        assert_eq!(key, "shared/staging/pause.json");
        assert_eq!(parse(&body, &key, "staging").unwrap(), r);
        assert_eq!(r.db_restarts_at().as_deref(), Some("2026-12-07T23:12:00Z"));
        let err = parse(&body, "shared/production/pause.json", "production").unwrap_err();
        assert!(matches!(err, StateError::Mismatch { .. }), "{err}");
        let newer = br#"{"format_version": 9}"#;
        let err = parse(newer, &key, "staging").unwrap_err();
        assert!(
            matches!(err, StateError::NewerFormat { found: 9, .. }),
            "{err}"
        );
        let err = parse(b"{", &key, "staging").unwrap_err();
        assert!(err.to_string().contains(&key), "{err}");
    }

    #[test]
    fn a_record_from_before_kept_addresses_reads_as_released() {
        let new = PauseRecord::pausing("staging", "2026-11-30T23:10:00Z");
        assert_eq!(new.elastic_ips, ElasticIps::Kept);
        let body = serde_json::to_string(&new).unwrap();
        assert!(body.contains(r#""elastic_ips":"kept""#), "{body}");
        let old = br#"{"format_version": 1, "env": "staging", "state": "paused",
            "since": "2026-11-30T23:10:00Z"}"#;
        let r = parse(old, &key("staging"), "staging").unwrap();
        assert_eq!(r.elastic_ips, ElasticIps::Released);
    }

    #[test]
    fn a_pause_keeps_the_address_unless_told_and_a_release_sticks() {
        let kept = PauseRecord::pausing("staging", "2026-12-06T10:00:00Z");
        assert_eq!(elastic_ips_for(None, false), ElasticIps::Kept);
        assert_eq!(elastic_ips_for(Some(&kept), true), ElasticIps::Released);
        let mut released = kept.clone();
        released.elastic_ips = ElasticIps::Released;
        assert_eq!(
            elastic_ips_for(Some(&released), false),
            ElasticIps::Released
        );
        // A first pause writes "pausing"; a rerun with the same choice writes nothing.
        let (first, write) = starting(None, ElasticIps::Kept, "staging", "now");
        assert!(write);
        assert_eq!(
            (first.state, first.since.as_str()),
            (PauseState::Pausing, "now")
        );
        let (again, write) = starting(Some(&kept), kept.elastic_ips, "staging", "later");
        assert!(!write);
        assert_eq!(again.since, kept.since);
        let (changed, write) = starting(Some(&kept), ElasticIps::Released, "staging", "later");
        assert!(write);
        assert_eq!(changed.elastic_ips, ElasticIps::Released);
    }
}
