//! The snapshot format: what the last apply recorded for one stack of one environment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{StateError, now_rfc3339};
use crate::model::{Address, RecordedResource, Stack};

/// The newest snapshot format this build reads and the one it writes. Bump it when a change would
/// make an older build misread a snapshot; older builds then refuse instead of guessing.
pub const FORMAT_VERSION: u32 = 1;

/// One stack's recorded resources in one environment. `serial` grows by one with every write;
/// `lineage` is fixed when the stack is first recorded and never changes, so two snapshots with
/// different lineages are different histories, not versions of one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub format_version: u32,
    pub lineage: String,
    pub serial: u64,
    pub env: String,
    pub stack: String,
    /// Hash of the specs the last write was made from.
    pub spec_hash: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
    /// The spec files the last write applied (base and environment apart; `None` in snapshots
    /// written before it was recorded, which still read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<super::applied::Applied>,
    pub resources: BTreeMap<Address, RecordedResource>,
}

impl Snapshot {
    /// An empty snapshot with a fresh lineage, serial 0: nothing has been written yet.
    pub fn new(env: impl Into<String>, stack: Stack, spec_hash: impl Into<String>) -> Snapshot {
        Snapshot {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            env: env.into(),
            stack: stack.as_str().to_owned(),
            spec_hash: spec_hash.into(),
            updated_at: now_rfc3339(),
            applied: None,
            resources: BTreeMap::new(),
        }
    }

    /// Reads a snapshot stored under `key`, which must belong to `env` and `stack`. Refuses a
    /// truncated or invalid document, one written by a newer format, and one for another env or
    /// stack than its key says.
    pub fn parse(bytes: &[u8], key: &str, env: &str, stack: Stack) -> Result<Snapshot, StateError> {
        let corrupt = |detail: String| StateError::Corrupt {
            key: key.to_owned(),
            detail,
        };
        // The version first: a newer format may not deserialise into this struct at all, and
        // "upgrade provision" is the useful answer then, not a field error.
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_eof() {
                corrupt(format!("it is truncated ({e})"))
            } else {
                corrupt(format!("it is not valid JSON ({e})"))
            }
        })?;
        let found = value
            .get("format_version")
            .ok_or_else(|| corrupt("it has no format_version".into()))?
            .as_u64()
            .ok_or_else(|| corrupt("its format_version is not a number".into()))?;
        if found > u64::from(FORMAT_VERSION) {
            return Err(StateError::NewerFormat {
                key: key.to_owned(),
                found,
            });
        }
        let snapshot: Snapshot = serde_json::from_value(value)
            .map_err(|e| corrupt(format!("it does not read as a snapshot ({e})")))?;
        if snapshot.env != env || snapshot.stack != stack.as_str() {
            return Err(StateError::Mismatch {
                key: key.to_owned(),
                detail: format!(
                    "it holds env `{}` stack `{}`, but its key is for env `{env}` stack `{stack}`",
                    snapshot.env, snapshot.stack
                ),
            });
        }
        if snapshot.lineage.is_empty() {
            return Err(corrupt("it has an empty lineage".into()));
        }
        Ok(snapshot)
    }

    /// The stored form: pretty JSON (people read these when things go wrong), newline-terminated.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("a snapshot serialises");
        out.push(b'\n');
        out
    }

    /// `updated_at` as `YYYYMMDDTHHMMSSZ`, for history keys.
    pub fn updated_at_compact(&self) -> String {
        self.updated_at
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .take_while(|c| *c != '.' && *c != '+')
            .collect::<String>()
            .trim_end_matches('Z')
            .to_owned()
            + "Z"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attrs, Kind, RecordedResource, VpcAttrs};

    fn vpc() -> (Address, RecordedResource) {
        (
            Address::single(Stack::Shared, Kind::Vpc),
            RecordedResource {
                id: "vpc-0abc".into(),
                attrs: Attrs::Vpc(VpcAttrs {
                    cidr: "10.0.0.0/16".parse().unwrap(),
                    dns_hostnames: true,
                    dns_support: true,
                }),
                tags: [("Name".to_owned(), "staging-vpc".to_owned())].into(),
                depends_on: Default::default(),
            },
        )
    }

    #[test]
    fn round_trip() {
        let mut s = Snapshot::new("staging", Stack::Shared, "abc123");
        let (a, r) = vpc();
        s.resources.insert(a, r);
        let json = s.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.contains("\"shared.vpc\""), "{text}");
        let back =
            Snapshot::parse(&json, "shared/staging/state.json", "staging", Stack::Shared).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn fresh_lineages_differ() {
        let a = Snapshot::new("staging", Stack::Shared, "h");
        let b = Snapshot::new("staging", Stack::Shared, "h");
        assert_ne!(a.lineage, b.lineage);
        assert_eq!(a.serial, 0);
        assert_eq!(a.format_version, FORMAT_VERSION);
    }

    #[test]
    fn refuses_truncated_invalid_newer_and_foreign() {
        let key = "shared/staging/state.json";
        let json = Snapshot::new("staging", Stack::Shared, "h").to_json();

        let err =
            Snapshot::parse(&json[..json.len() / 2], key, "staging", Stack::Shared).unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
        assert!(
            err.to_string().contains(key) && err.to_string().contains("truncated"),
            "{err}"
        );

        let err = Snapshot::parse(b"{ nope", key, "staging", Stack::Shared).unwrap_err();
        assert!(err.to_string().contains(key), "{err}");

        let err = Snapshot::parse(br#"{"format_version": 1}"#, key, "staging", Stack::Shared)
            .unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");

        let newer = br#"{"format_version": 7, "totally": "different"}"#;
        let err = Snapshot::parse(newer, key, "staging", Stack::Shared).unwrap_err();
        assert!(
            matches!(err, StateError::NewerFormat { found: 7, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("newer provision") && err.to_string().contains(key),
            "{err}"
        );

        let err = Snapshot::parse(
            &json,
            "shared/production/state.json",
            "production",
            Stack::Shared,
        )
        .unwrap_err();
        assert!(matches!(err, StateError::Mismatch { .. }), "{err}");
        assert!(
            err.to_string().contains("shared/production/state.json"),
            "{err}"
        );
        let err = Snapshot::parse(
            &json,
            "backend/staging/state.json",
            "staging",
            Stack::Backend,
        )
        .unwrap_err();
        assert!(matches!(err, StateError::Mismatch { .. }), "{err}");
    }

    #[test]
    fn compact_time() {
        let mut s = Snapshot::new("staging", Stack::Shared, "h");
        s.updated_at = "2025-01-31T12:34:56Z".into();
        assert_eq!(s.updated_at_compact(), "20250131T123456Z");
        s.updated_at = "2025-01-31T12:34:56.123Z".into();
        assert_eq!(s.updated_at_compact(), "20250131T123456Z");
    }
}
