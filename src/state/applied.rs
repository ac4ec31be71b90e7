//! What spec an apply applied, recorded in each snapshot it writes: the base file and the
//! environment's file apart, each as a digest and a hash per TOML key. Production's plan and
//! apply compare their base with the one staging last applied (the seed's "Simple Promotion:
//! test in staging, apply same changes to production"), naming each key that differs. Only
//! hashes are kept: specs hold no secrets, and state stays small.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// One spec file as applied.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Its file name (`base.toml`, `staging.toml`).
    pub file: String,
    /// sha256 of its text.
    pub sha256: String,
    /// A short hash of each value, by dotted TOML key (`database.engine_version`).
    pub keys: BTreeMap<String, String>,
}

/// The spec an apply applied, and when.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub base: FileDigest,
    pub env: FileDigest,
    /// RFC 3339, UTC: when the snapshot carrying it was written.
    pub at: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            let h = Sha256::digest(other.to_string().as_bytes());
            out.insert(prefix.to_owned(), hex(&h[..8]));
        }
    }
}

impl FileDigest {
    /// The digest of a spec file's text (already validated: a file that does not parse gets
    /// no keys, only its sha256).
    pub fn of(file: &str, text: &str) -> FileDigest {
        let mut keys = BTreeMap::new();
        if let Ok(table) = text.parse::<toml::Table>() {
            flatten("", &toml::Value::Table(table), &mut keys);
        }
        FileDigest {
            file: file.to_owned(),
            sha256: hex(&Sha256::digest(text.as_bytes())),
            keys,
        }
    }

    /// The keys whose value differs from `then`'s, added or removed, sorted.
    pub fn changed_since(&self, then: &FileDigest) -> Vec<String> {
        let mut out: Vec<String> = self
            .keys
            .iter()
            .filter(|(k, h)| then.keys.get(*k) != Some(*h))
            .map(|(k, _)| k.clone())
            .chain(
                then.keys
                    .keys()
                    .filter(|k| !self.keys.contains_key(*k))
                    .map(|k| format!("{k} (removed)")),
            )
            .collect();
        out.sort();
        if out.is_empty() && self.sha256 != then.sha256 {
            out.push("(formatting or comments only)".into());
        }
        out
    }

    /// The first 12 hex digits, for people.
    pub fn short(&self) -> &str {
        &self.sha256[..12.min(self.sha256.len())]
    }
}

/// What a production run says of its base against staging's snapshots: `None` when staging
/// applied exactly this base in every stack, else the sentence naming what it has not applied.
pub fn unpromoted(base: &FileDigest, staging: &[Option<&Applied>]) -> Option<String> {
    if !staging.is_empty()
        && staging
            .iter()
            .all(|a| a.is_some_and(|a| a.base.sha256 == base.sha256))
    {
        return None;
    }
    // The stack that applied longest ago says what staging has not caught up with.
    let oldest = staging.iter().flatten().min_by_key(|a| a.at.clone());
    Some(match oldest {
        Some(then) => format!(
            "{} has changed since staging last applied it ({}, {}): {}",
            base.file,
            then.at,
            then.base.short(),
            base.changed_since(&then.base).join(", ")
        ),
        None => format!(
            "{} has not been applied to staging by this version of provision (no applied spec in staging's state)",
            base.file
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        "project = \"agentpass\"\n[database]\nengine = \"postgres\"\nengine_version = \"16\"\n";

    fn applied(text: &str) -> Applied {
        Applied {
            base: FileDigest::of("base.toml", text),
            env: FileDigest::of("staging.toml", ""),
            at: "2026-12-06T11:00:00Z".into(),
        }
    }

    #[test]
    fn the_keys_that_changed_are_named() {
        let now = FileDigest::of(
            "base.toml",
            "project = \"agentpass\"\n[database]\nengine = \"postgres\"\nengine_version = \"17\"\nallow_replace = true\n",
        );
        let then = applied(BASE);
        assert_eq!(
            unpromoted(&now, &[Some(&then), Some(&then), Some(&then)]).unwrap(),
            format!(
                "base.toml has changed since staging last applied it (2026-12-06T11:00:00Z, {}): database.allow_replace, database.engine_version",
                then.base.short()
            )
        );
        // The same base everywhere: nothing to say.
        let same = FileDigest::of("base.toml", BASE);
        assert_eq!(unpromoted(&same, &[Some(&then), Some(&then)]), None);
        // One stack behind, or never recorded: said.
        assert!(unpromoted(&same, &[Some(&then), None]).is_some());
        let comment = FileDigest::of("base.toml", &format!("# note\n{BASE}"));
        assert!(
            unpromoted(&comment, &[Some(&then)])
                .unwrap()
                .ends_with("(formatting or comments only)")
        );
    }
}
