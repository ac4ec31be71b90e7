//! Where snapshots live: an S3 bucket, or a directory on this machine with the same layout and
//! the same conditional-write semantics.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Snapshot, StateError};
use crate::aws::s3::{BucketAccess, Conflict, Object, Precondition, S3Objects};
use crate::model::Stack;

/// `{stack}/{env}/state.json`
pub fn state_key(stack: Stack, env: &str) -> String {
    format!("{stack}/{env}/state.json")
}

/// `{stack}/{env}/lock.json`
pub fn lock_key(stack: Stack, env: &str) -> String {
    format!("{stack}/{env}/lock.json")
}

/// `{stack}/{env}/history/`
pub fn history_prefix(stack: Stack, env: &str) -> String {
    format!("{stack}/{env}/history/")
}

/// `{stack}/{env}/history/{serial:010}-{YYYYMMDDTHHMMSSZ}.json`: sorts by serial.
pub fn history_key(snapshot: &Snapshot) -> String {
    format!(
        "{}/{}/history/{:010}-{}.json",
        snapshot.stack,
        snapshot.env,
        snapshot.serial,
        snapshot.updated_at_compact()
    )
}

/// A snapshot as read, with the ETag to make the next write conditional on.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub snapshot: Snapshot,
    pub etag: String,
}

/// One immutable copy of a stack's snapshot, as listed (the body is read with
/// [`Store::read_history`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    pub key: String,
    pub serial: u64,
    /// RFC 3339, UTC, to the second.
    pub updated_at: String,
}

impl HistoryEntry {
    /// Reads `{stack}/{env}/history/{serial:010}-{YYYYMMDDTHHMMSSZ}.json`.
    fn from_key(key: &str) -> Option<HistoryEntry> {
        let name = key.rsplit('/').next()?.strip_suffix(".json")?;
        let (serial, t) = name.split_once('-')?;
        let serial = serial.parse().ok()?;
        let b = t.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let updated_at = format!(
            "{}-{}-{}T{}:{}:{}Z",
            &t[0..4],
            &t[4..6],
            &t[6..8],
            &t[9..11],
            &t[11..13],
            &t[13..15]
        );
        Some(HistoryEntry {
            key: key.to_owned(),
            serial,
            updated_at,
        })
    }
}

/// The state store. Both kinds keep the same keys and honour the same preconditions.
#[derive(Debug, Clone)]
pub enum Store {
    S3(S3Objects),
    Local(LocalStore),
}

impl Store {
    /// `s3://bucket` or `local state/`.
    pub fn describe(&self) -> String {
        match self {
            Store::S3(s3) => format!("s3://{}", s3.bucket),
            Store::Local(local) => {
                let root = local.root.display().to_string();
                if root.ends_with('/') {
                    format!("local {root}")
                } else {
                    format!("local {root}/")
                }
            }
        }
    }

    /// Makes the store usable: creates the bucket (versioned) or the directory.
    pub async fn ensure_ready(&self) -> Result<(), StateError> {
        match self {
            Store::S3(s3) => match s3.ensure_bucket().await? {
                BucketAccess::Usable | BucketAccess::Missing => Ok(()),
                BucketAccess::Forbidden => Err(StateError::BucketTaken {
                    bucket: s3.bucket.clone(),
                }),
            },
            Store::Local(local) => {
                std::fs::create_dir_all(&local.root).map_err(|source| StateError::Io {
                    path: local.root.clone(),
                    source,
                })
            }
        }
    }

    /// The current snapshot of a stack, or `None` if it has never been written.
    pub async fn read(&self, stack: Stack, env: &str) -> Result<Option<Stored>, StateError> {
        let key = state_key(stack, env);
        let Some(object) = self.get(&key).await? else {
            return Ok(None);
        };
        let snapshot = Snapshot::parse(&object.body, &key, env, stack)?;
        Ok(Some(Stored {
            snapshot,
            etag: object.etag,
        }))
    }

    /// Writes a stack's current snapshot. `expected_etag` is `None` for the first write (it must
    /// not exist yet) and otherwise the ETag it was read with; if someone else wrote in between,
    /// nothing is written and the answer is [`StateError::Conflict`]. Returns the new ETag.
    pub async fn write(
        &self,
        snapshot: &Snapshot,
        expected_etag: Option<&str>,
    ) -> Result<String, StateError> {
        let key = format!("{}/{}/state.json", snapshot.stack, snapshot.env);
        let precondition = match expected_etag {
            None => Precondition::Absent,
            Some(etag) => Precondition::Matches(etag.to_owned()),
        };
        match self.put(&key, snapshot.to_json(), precondition).await? {
            Ok(etag) => Ok(etag),
            Err(Conflict) => Err(StateError::Conflict { key }),
        }
    }

    /// Keeps an immutable copy of the snapshot under its serial. Returns its key.
    pub async fn append_history(&self, snapshot: &Snapshot) -> Result<String, StateError> {
        let key = history_key(snapshot);
        let body = snapshot.to_json();
        match self.put(&key, body.clone(), Precondition::Absent).await? {
            Ok(_) => Ok(key),
            // Already there: fine if it is this very copy (a retried finish), not otherwise.
            Err(Conflict) => match self.get(&key).await? {
                Some(existing) if existing.body == body => Ok(key),
                _ => Err(StateError::Conflict { key }),
            },
        }
    }

    /// A stack's history, oldest first.
    pub async fn history(&self, stack: Stack, env: &str) -> Result<Vec<HistoryEntry>, StateError> {
        let keys = self.list(&history_prefix(stack, env)).await?;
        let mut entries: Vec<HistoryEntry> = keys
            .iter()
            .filter_map(|k| HistoryEntry::from_key(k))
            .collect();
        entries.sort_by(|a, b| (a.serial, &a.key).cmp(&(b.serial, &b.key)));
        Ok(entries)
    }

    /// One history entry's snapshot, by the key [`Store::history`] listed.
    pub async fn read_history(&self, key: &str) -> Result<Snapshot, StateError> {
        let parts: Vec<&str> = key.split('/').collect();
        let (stack, env) = match parts.as_slice() {
            [stack, env, "history", _] => (stack.parse::<Stack>(), *env),
            _ => (Err(String::new()), ""),
        };
        let stack = stack.map_err(|_| StateError::Corrupt {
            key: key.to_owned(),
            detail: "it is not a history key ({stack}/{env}/history/{serial}-{time}.json)".into(),
        })?;
        let object = self.get(key).await?.ok_or_else(|| StateError::Missing {
            key: key.to_owned(),
        })?;
        Snapshot::parse(&object.body, key, env, stack)
    }

    /// The raw object under `key`, with its ETag.
    pub async fn get(&self, key: &str) -> Result<Option<Object>, StateError> {
        match self {
            Store::S3(s3) => match s3.get(key).await {
                Ok(v) => Ok(v),
                Err(e) => Err(s3_error(s3, e).await),
            },
            Store::Local(local) => local.get(key).await,
        }
    }

    /// Writes `body` under `key` if `precondition` holds; `Ok(Err(Conflict))` if it did not.
    pub async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        precondition: Precondition,
    ) -> Result<Result<String, Conflict>, StateError> {
        match self {
            Store::S3(s3) => match s3.put(key, body, precondition).await {
                Ok(v) => Ok(v),
                Err(e) => Err(s3_error(s3, e).await),
            },
            Store::Local(local) => local.put(key, body, precondition).await,
        }
    }

    /// Removes `key`; removing what is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StateError> {
        match self {
            Store::S3(s3) => match s3.delete(key).await {
                Ok(v) => Ok(v),
                Err(e) => Err(s3_error(s3, e).await),
            },
            Store::Local(local) => local.delete(key).await,
        }
    }

    /// The objects directly in `dir` (a key prefix ending in `/`) with their ETags: one list
    /// call, no object read.
    pub async fn etags(&self, dir: &str) -> Result<BTreeMap<String, String>, StateError> {
        match self {
            Store::S3(s3) => Ok(s3.etags(dir).await?),
            Store::Local(local) => local.etags(dir).await,
        }
    }

    /// The ETags of this environment's objects directly in each stack's `{stack}/{env}/` (locks,
    /// snapshots, the pause record): what a reader compares to tell whether a run held or changed
    /// a stack while it read. An environment's keys share no prefix (`{stack}/{env}/…`), so the
    /// S3 store lists the whole bucket once rather than once per stack: every run's history rolls
    /// up into one `{stack}/{env}/history/` entry per stack and environment, which leaves a few
    /// entries per environment (seven for a paused one), a single page for up to about 140
    /// environments, where a listing per stack would cost three calls every time.
    pub async fn env_etags(&self, env: &str) -> Result<BTreeMap<String, String>, StateError> {
        if let Store::S3(s3) = self {
            let (all, rolled) = s3.grouped("", HISTORY_DELIMITER).await?;
            if let Some(keys) = env_keys(all, &rolled, env) {
                return Ok(keys);
            }
        }
        // The local store, or a store that did not group by the whole delimiter: per stack.
        let mut out = BTreeMap::new();
        for stack in Stack::ALL {
            out.extend(self.etags(&format!("{stack}/{env}/")).await?);
        }
        Ok(out)
    }

    /// Keys under `prefix`, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        match self {
            Store::S3(s3) => match s3.list(prefix).await {
                Ok(v) => Ok(v),
                Err(e) => Err(s3_error(s3, e).await),
            },
            Store::Local(local) => local.list(prefix).await,
        }
    }
}

/// What rolls a stack's history up into one entry of a bucket listing. S3 groups by the string
/// between the prefix and "the first occurrence of the delimiter" (ListObjectsV2, `Delimiter`:
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
const HISTORY_DELIMITER: &str = "/history/";

/// From a listing of the bucket grouped by [`HISTORY_DELIMITER`], the keys directly in one of
/// `env`'s stack folders with their ETags; `None` if the store grouped by anything else (each
/// common prefix must end with the delimiter), so the caller lists per stack instead.
fn env_keys(
    all: BTreeMap<String, String>,
    rolled: &[String],
    env: &str,
) -> Option<BTreeMap<String, String>> {
    if !rolled.iter().all(|p| p.ends_with(HISTORY_DELIMITER)) {
        return None;
    }
    let ours = |key: &str| {
        let mut parts = key.split('/');
        let (stack, in_env, name) = (parts.next(), parts.next(), parts.next());
        stack.is_some_and(|s| s.parse::<Stack>().is_ok())
            && in_env == Some(env)
            && name.is_some_and(|n| !n.is_empty())
            && parts.next().is_none()
    };
    Some(all.into_iter().filter(|(k, _)| ours(k)).collect())
}

/// An S3 error as the state layer reports it. S3 refusing access (403) is first asked about:
/// if `HeadBucket` is refused too, the bucket is most likely another account's, which says what
/// to do better than `AccessDenied` does.
async fn s3_error(s3: &S3Objects, e: crate::aws::AwsError) -> StateError {
    if e.code() == Some("AccessDenied") && matches!(s3.access().await, Ok(BucketAccess::Forbidden))
    {
        return StateError::BucketTaken {
            bucket: s3.bucket.clone(),
        };
    }
    e.into()
}

/// The S3 layout in a directory (default `state/` in the working directory), for offline work and
/// when no bucket is reachable.
///
/// It is for **one machine**: preconditions are checked under an exclusive file lock
/// (`.write.lock` in the object's directory) and writes land by atomic rename, which protects
/// concurrent runs on this machine, but nothing protects two machines sharing the directory over a
/// network filesystem. Use the S3 store for a team. ETags are SHA-256 hashes of the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalStore {
    pub root: PathBuf,
}

impl Default for LocalStore {
    fn default() -> Self {
        LocalStore {
            root: PathBuf::from("state"),
        }
    }
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, StateError> {
        let safe = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty() && part != "." && part != ".." && !part.starts_with('.')
            });
        if !safe {
            return Err(StateError::Io {
                path: self.root.join(key),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a state key"),
            });
        }
        Ok(key
            .split('/')
            .fold(self.root.clone(), |p, part| p.join(part)))
    }

    pub async fn get(&self, key: &str) -> Result<Option<Object>, StateError> {
        let path = self.path(key)?;
        blocking(move || match std::fs::read(&path) {
            Ok(body) => Ok(Some(Object {
                etag: etag(&body),
                body,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io { path, source }),
        })
        .await
    }

    pub async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        precondition: Precondition,
    ) -> Result<Result<String, Conflict>, StateError> {
        let path = self.path(key)?;
        blocking(move || {
            let dir = path.parent().expect("a key has a directory").to_owned();
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            let _lock = DirLock::take(&dir)?;
            let current = match std::fs::read(&path) {
                Ok(body) => Some(etag(&body)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => return Err(StateError::Io { path, source }),
            };
            let holds = match (&precondition, &current) {
                (Precondition::None, _) => true,
                (Precondition::Absent, current) => current.is_none(),
                (Precondition::Matches(want), Some(have)) => want == have,
                (Precondition::Matches(_), None) => false,
            };
            if !holds {
                return Ok(Err(Conflict));
            }
            replace(&dir, &path, &body)?;
            Ok(Ok(etag(&body)))
        })
        .await
    }

    pub async fn delete(&self, key: &str) -> Result<(), StateError> {
        let path = self.path(key)?;
        blocking(move || {
            let dir = path.parent().expect("a key has a directory").to_owned();
            if !dir.exists() {
                return Ok(());
            }
            let _lock = DirLock::take(&dir)?;
            match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(StateError::Io { path, source }),
            }
        })
        .await
    }

    pub async fn etags(&self, dir: &str) -> Result<BTreeMap<String, String>, StateError> {
        let path = self.path(dir.trim_end_matches('/'))?;
        let dir = dir.to_owned();
        blocking(move || {
            let mut out = BTreeMap::new();
            let entries = match std::fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                Err(source) => return Err(StateError::Io { path, source }),
            };
            for entry in entries {
                let entry = entry.map_err(io(&path))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || !entry.file_type().map_err(io(&path))?.is_file() {
                    continue;
                }
                // Gone since the listing (a lock released): not there.
                match std::fs::read(entry.path()) {
                    Ok(body) => out.insert(format!("{dir}{name}"), etag(&body)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(source) => {
                        return Err(StateError::Io {
                            path: entry.path(),
                            source,
                        });
                    }
                };
            }
            Ok(out)
        })
        .await
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        blocking(move || {
            let mut keys = Vec::new();
            walk(&root, "", &mut keys)?;
            keys.retain(|k| k.starts_with(&prefix));
            keys.sort();
            Ok(keys)
        })
        .await
    }
}

/// Runs file work off the async threads (the directory lock blocks).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StateError> + Send + 'static,
) -> Result<T, StateError> {
    tokio::task::spawn_blocking(f)
        .await
        .expect("local state store task panicked")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_owned(),
        source,
    }
}

fn etag(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An exclusive lock on a directory's `.write.lock`, released on drop (also when the process dies).
struct DirLock(std::fs::File);

impl DirLock {
    fn take(dir: &Path) -> Result<DirLock, StateError> {
        let path = dir.join(".write.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        file.lock().map_err(io(&path))?;
        Ok(DirLock(file))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Replaces `path` with `body` atomically: readers see the old or the new content, never a part.
fn replace(dir: &Path, path: &Path, body: &[u8]) -> Result<(), StateError> {
    let name = path
        .file_name()
        .expect("a key names a file")
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(body)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself survives a crash only once the directory is synced.
        std::fs::File::open(dir)?.sync_all()
    })();
    written.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        StateError::Io {
            path: path.to_owned(),
            source,
        }
    })
}

/// Keys of the files under `dir`, skipping dot-files (locks, half-written temporaries).
fn walk(dir: &Path, prefix: &str, keys: &mut Vec<String>) -> Result<(), StateError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StateError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let key = format!("{prefix}{name}");
        let kind = entry.file_type().map_err(io(&entry.path()))?;
        if kind.is_dir() {
            walk(&entry.path(), &format!("{key}/"), keys)?;
        } else if kind.is_file() {
            keys.push(key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keys_read_back() {
        let mut s = Snapshot::new("staging", Stack::Backend, "h");
        s.serial = 42;
        s.updated_at = "2025-01-31T12:34:56Z".into();
        let key = history_key(&s);
        assert_eq!(
            key,
            "backend/staging/history/0000000042-20250131T123456Z.json"
        );
        let entry = HistoryEntry::from_key(&key).unwrap();
        assert_eq!(entry.serial, 42);
        assert_eq!(entry.updated_at, "2025-01-31T12:34:56Z");
        assert_eq!(
            HistoryEntry::from_key("backend/staging/history/notes.txt"),
            None
        );
    }

    #[test]
    fn a_bucket_listing_keeps_the_environments_own_keys() {
        let all: BTreeMap<String, String> = [
            "backend/staging/lock.json",
            "backend/staging/state.json",
            "backend/production/state.json",
            "shared/staging/pause.json",
            "shared/staging/state.json",
            "shared/staging/notes/x.json",
            "shared/staging-eu/state.json",
            "other/staging/state.json",
            "staging",
        ]
        .into_iter()
        .map(|k| (k.to_owned(), format!("etag-{k}")))
        .collect();
        let rolled = vec!["backend/staging/history/".to_owned()];
        let keys = env_keys(all.clone(), &rolled, "staging").unwrap();
        assert_eq!(
            keys.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "backend/staging/lock.json",
                "backend/staging/state.json",
                "shared/staging/pause.json",
                "shared/staging/state.json"
            ]
        );
        assert_eq!(
            keys["shared/staging/pause.json"],
            "etag-shared/staging/pause.json"
        );
        // Grouped by something else than the whole delimiter (only its `/`): not trusted.
        assert_eq!(env_keys(all, &["backend/".to_owned()], "staging"), None);
    }

    #[test]
    fn describe() {
        assert_eq!(
            Store::Local(LocalStore::default()).describe(),
            "local state/"
        );
    }

    #[test]
    fn keys_cannot_escape_the_root() {
        let local = LocalStore::new("/tmp/x");
        assert!(local.path("../etc/passwd").is_err());
        assert!(local.path("shared//state.json").is_err());
        assert!(local.path("shared/.write.lock").is_err());
        assert_eq!(
            local.path("shared/staging/state.json").unwrap(),
            Path::new("/tmp/x/shared/staging/state.json")
        );
    }
}
