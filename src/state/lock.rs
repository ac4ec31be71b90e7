//! The per-stack lock: `{stack}/{env}/lock.json`, created with `If-None-Match: *` so exactly one
//! run gets it, kept fresh while the run lasts, deleted when it ends.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::store::{lock_key, state_key};
use super::{StateError, Store, age_of, now_rfc3339};
use crate::aws::s3::{Conflict, Precondition};
use crate::model::Stack;

/// How long a lock counts as held without being renewed. A live holder renews it every third of
/// this; a lock not renewed for a whole lease belongs to a run that is most likely gone.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15 * 60);

/// Who holds a lock, as stored in `lock.json`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    /// Unique per acquisition; release deletes the lock only if it still carries ours.
    pub id: String,
    /// `$USER` of the holder.
    pub owner: String,
    pub host: String,
    pub pid: u32,
    /// What the holder is running, e.g. `apply --env staging`.
    pub command: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub lease_seconds: u64,
    /// RFC 3339 UTC; the last time the holder showed it was alive. Absent until the first renewal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_at: Option<String>,
}

impl LockInfo {
    fn new(command: &str, lease: Duration) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            owner: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            host: hostname(),
            pid: std::process::id(),
            command: command.to_owned(),
            created_at: now_rfc3339(),
            lease_seconds: lease.as_secs().max(1),
            renewed_at: None,
        }
    }

    /// `owner@host`.
    pub fn who(&self) -> String {
        format!("{}@{}", self.owner, self.host)
    }

    /// How long ago the holder last showed it was alive (created or renewed the lock).
    pub fn age(&self) -> Duration {
        age_of(self.renewed_at.as_deref().unwrap_or(&self.created_at))
    }

    /// How long the lock has been held.
    pub fn held_for(&self) -> Duration {
        age_of(&self.created_at)
    }

    /// Whether a lock of this `age` has outlived its lease.
    pub fn is_stale(&self, age: Duration) -> bool {
        age >= Duration::from_secs(self.lease_seconds)
    }

    fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("lock info serialises");
        out.push(b'\n');
        out
    }

    fn parse(body: &[u8], key: &str) -> Result<LockInfo, StateError> {
        serde_json::from_slice(body).map_err(|e| StateError::Corrupt {
            key: key.to_owned(),
            detail: format!(
                "it is not a lock ({e}); if no run is going, remove it with `provision state unlock {} --force`",
                super::key_flags(key)
            ),
        })
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// A held lock. Renews itself in the background until [`LockGuard::release`] or drop; dropping
/// without releasing leaves the lock in place until its lease runs out (as after a crash).
#[derive(Debug)]
pub struct LockGuard {
    store: Store,
    key: String,
    info: LockInfo,
    renewer: JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

impl LockGuard {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Whether renewing found the lock changed or gone: someone broke it while this run held it.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Stops renewing and deletes the lock, if it is still ours.
    pub async fn release(mut self) -> Result<(), StateError> {
        self.renewer.abort();
        // Wait for it, so no renewal is in flight from here on (a local one that is still
        // running finds the lock gone and writes nothing: it is conditional).
        let _ = (&mut self.renewer).await;
        let lost = |detail: String| StateError::LockLost {
            key: self.key.clone(),
            detail,
        };
        let Some(object) = self.store.get(&self.key).await? else {
            return Err(lost("someone removed it while this run held it".into()));
        };
        match LockInfo::parse(&object.body, &self.key) {
            Ok(current) if current.id == self.info.id => {
                // S3 has no conditional delete here: a lock taken between this read and the
                // delete would be removed. Only a lock broken by hand can get there.
                self.store.delete(&self.key).await?;
                tracing::debug!(key = %self.key, "lock released");
                Ok(())
            }
            Ok(current) => Err(lost(format!(
                "it was broken and is now held by {} (pid {}) running `{}`; it was left to them",
                current.who(),
                current.pid,
                current.command
            ))),
            Err(e) => Err(lost(format!(
                "it was replaced by something unreadable ({e})"
            ))),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

/// Takes the lock of one stack for `command` with the default 15-minute lease.
pub async fn acquire(
    store: &Store,
    stack: Stack,
    env: &str,
    command: &str,
) -> Result<LockGuard, StateError> {
    acquire_with_lease(store, stack, env, command, DEFAULT_LEASE).await
}

/// Takes the lock of one stack, or fails at once with [`StateError::Locked`] naming the holder.
pub async fn acquire_with_lease(
    store: &Store,
    stack: Stack,
    env: &str,
    command: &str,
    lease: Duration,
) -> Result<LockGuard, StateError> {
    let key = lock_key(stack, env);
    let info = LockInfo::new(command, lease);
    // A few rounds only for the race where the holder releases between our create and our read.
    for _ in 0..3 {
        match store
            .put(&key, info.to_json(), Precondition::Absent)
            .await?
        {
            Ok(etag) => {
                tracing::debug!(%key, id = %info.id, "lock acquired");
                return Ok(start(store.clone(), key, info, etag));
            }
            Err(Conflict) => {
                if let Some(object) = store.get(&key).await? {
                    let holder = LockInfo::parse(&object.body, &key)?;
                    let age = holder.age();
                    return Err(StateError::Locked {
                        key,
                        holder: Box::new(holder),
                        age,
                    });
                }
            }
        }
    }
    Err(StateError::Conflict { key })
}

fn start(store: Store, key: String, info: LockInfo, etag: String) -> LockGuard {
    let lost = Arc::new(AtomicBool::new(false));
    let renewer = tokio::spawn(renew(
        store.clone(),
        key.clone(),
        info.clone(),
        etag,
        lost.clone(),
    ));
    LockGuard {
        store,
        key,
        info,
        renewer,
        lost,
    }
}

/// Rewrites the lock with a fresh `renewed_at` every third of the lease, `If-Match` on the last
/// ETag, so a lock someone broke is noticed rather than silently taken back.
async fn renew(
    store: Store,
    key: String,
    mut info: LockInfo,
    mut etag: String,
    lost: Arc<AtomicBool>,
) {
    let every = Duration::from_secs(info.lease_seconds) / 3;
    loop {
        tokio::time::sleep(every).await;
        info.renewed_at = Some(now_rfc3339());
        match store
            .put(&key, info.to_json(), Precondition::Matches(etag.clone()))
            .await
        {
            Ok(Ok(new)) => etag = new,
            Ok(Err(Conflict)) => {
                lost.store(true, Ordering::SeqCst);
                tracing::warn!(%key, "the lock was broken by someone else while this run held it");
                return;
            }
            // Keep trying: the lease allows two more attempts before anyone may call it stale.
            Err(e) => tracing::warn!(%key, error = %e, "could not renew the lock"),
        }
    }
}

/// One stack's lock and snapshot as one listing saw them: with the snapshot ETag a reader that
/// takes no lock (drift) read, it tells whether a run held the stack, or changed it, meanwhile.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// The lock's ETag and holder, when the stack was locked.
    pub lock: Option<(String, LockInfo)>,
    /// The snapshot's ETag, when there is one.
    pub state: Option<String>,
}

impl Mark {
    /// The holder, if its lease says it is alive.
    fn live(&self) -> Option<&LockInfo> {
        self.lock
            .as_ref()
            .map(|(_, h)| h)
            .filter(|h| !h.is_stale(h.age()))
    }
}

/// Every stack's [`Mark`] from one listing, and every key it listed of the environment (the pause
/// record's among them) with its ETag.
#[derive(Debug, Clone, PartialEq)]
pub struct Marks {
    pub stacks: BTreeMap<Stack, Mark>,
    pub listed: BTreeMap<String, String>,
}

/// Every stack's [`Mark`]: one listing of the environment's keys ([`Store::env_etags`]), and a
/// read of a lock only where there is one, to name its holder (concurrently).
pub async fn marks(store: &Store, env: &str) -> Result<Marks, StateError> {
    let listed = store.env_etags(env).await?;
    let reads: Vec<_> = Stack::ALL
        .into_iter()
        .map(|stack| {
            let lock = listed.get(&lock_key(stack, env)).cloned();
            let (store, env) = (store.clone(), env.to_owned());
            let read = tokio::spawn(async move {
                match lock {
                    // Released between the listing and the read: not locked.
                    Some(etag) => Ok(holder(&store, stack, &env).await?.map(|h| (etag, h))),
                    None => Ok::<_, StateError>(None),
                }
            });
            (stack, read)
        })
        .collect();
    // Every read is awaited, also after a failure: none is left running when the command ends.
    let mut stacks = BTreeMap::new();
    let mut failed = None;
    for (stack, read) in reads {
        match read.await.expect("lock read task panicked") {
            Ok(lock) => {
                let state = listed.get(&state_key(stack, env)).cloned();
                stacks.insert(stack, Mark { lock, state });
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    failed.map_or(Ok(Marks { stacks, listed }), Err)
}

/// Why a stack's findings may be another run's work rather than drift.
#[derive(Debug, Clone, PartialEq)]
pub enum Busy {
    /// A live run held the stack's lock at the listing: it is going on.
    Held(LockInfo),
    /// The snapshot the reader read is no longer the stack's at the listing, and no live run
    /// holds it: a run ended (or came and went) meanwhile. Its holder, when the listing saw it.
    Moved(Option<LockInfo>),
}

/// Per stack, whether a run was at work while a reader read: `after` is the listing made after
/// the read, `read` the snapshot ETags the reader read before it (`None`: no snapshot), for the
/// stacks it read. No listing before the read is needed: a run records every change that reaches
/// AWS in its snapshot before it releases its lock, so a run that held the lock when the reader
/// read the snapshots and released it before the listing either wrote the snapshot meanwhile (its
/// ETag moved) or changed nothing the snapshot does not say.
pub fn busy(
    after: &BTreeMap<Stack, Mark>,
    read: &BTreeMap<Stack, Option<String>>,
) -> BTreeMap<Stack, Busy> {
    let stacks: BTreeSet<Stack> = after.keys().chain(read.keys()).copied().collect();
    let mut out = BTreeMap::new();
    for stack in stacks {
        let a = after.get(&stack);
        if let Some(h) = a.and_then(Mark::live) {
            out.insert(stack, Busy::Held(h.clone()));
            continue;
        }
        let now = a.and_then(|m| m.state.clone());
        if read.get(&stack).is_some_and(|r| *r != now) {
            let holder = a.and_then(|m| m.lock.as_ref()).map(|(_, h)| h.clone());
            out.insert(stack, Busy::Moved(holder));
        }
    }
    out
}

/// Who holds a stack's lock, if anyone: a read, for commands that take no lock (drift).
pub async fn holder(
    store: &Store,
    stack: Stack,
    env: &str,
) -> Result<Option<LockInfo>, StateError> {
    let key = lock_key(stack, env);
    match store.get(&key).await? {
        Some(object) => LockInfo::parse(&object.body, &key).map(Some),
        None => Ok(None),
    }
}

/// Breaks a stack's lock. A lock renewed within its lease is refused unless `force`, since its run
/// may still be going. Returns the lock that was broken, or `None` if there was none.
pub async fn unlock(
    store: &Store,
    stack: Stack,
    env: &str,
    force: bool,
) -> Result<Option<LockInfo>, StateError> {
    let key = lock_key(stack, env);
    let Some(object) = store.get(&key).await? else {
        return Ok(None);
    };
    let holder = match LockInfo::parse(&object.body, &key) {
        Ok(holder) => holder,
        Err(e) if !force => return Err(e),
        Err(_) => {
            store.delete(&key).await?;
            return Ok(None);
        }
    };
    let age = holder.age();
    if !holder.is_stale(age) && !force {
        return Err(StateError::LockFresh {
            key,
            holder: Box::new(holder),
            age,
        });
    }
    store.delete(&key).await?;
    tracing::info!(%key, holder = %holder.who(), pid = holder.pid, "lock broken");
    Ok(Some(holder))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(id: &str, created_at: &str) -> Mark {
        let mut info = LockInfo::new("apply --env staging", DEFAULT_LEASE);
        info.id = id.into();
        info.created_at = created_at.into();
        Mark {
            lock: Some((format!("etag-{id}"), info)),
            state: Some("s1".into()),
        }
    }

    fn free(state: &str) -> Mark {
        Mark {
            lock: None,
            state: Some(state.into()),
        }
    }

    fn one(m: Mark) -> BTreeMap<Stack, Mark> {
        BTreeMap::from([(Stack::Backend, m)])
    }

    fn read(etag: &str) -> BTreeMap<Stack, Option<String>> {
        BTreeMap::from([(Stack::Backend, Some(etag.to_owned()))])
    }

    #[test]
    fn nothing_moved_is_not_busy() {
        let b = busy(&one(free("s1")), &read("s1"));
        assert!(b.is_empty(), "{b:?}");
        // A stack drift did not read (out of its --stack) is only busy while held.
        let b = busy(&one(free("s2")), &BTreeMap::new());
        assert!(b.is_empty(), "{b:?}");
    }

    #[test]
    fn a_live_lock_at_the_listing_is_held() {
        let now = now_rfc3339();
        let b = busy(&one(held("a", &now)), &read("s1"));
        assert!(
            matches!(&b[&Stack::Backend], Busy::Held(h) if h.id == "a"),
            "{b:?}"
        );
        // Held even if the run has written the snapshot already.
        let b = busy(&one(held("a", &now)), &read("s0"));
        assert!(matches!(&b[&Stack::Backend], Busy::Held(_)), "{b:?}");
    }

    #[test]
    fn a_snapshot_moved_since_it_was_read_has_moved() {
        // Written after the reader read it, the run gone by the listing.
        let b = busy(&one(free("s2")), &read("s1"));
        assert_eq!(b[&Stack::Backend], Busy::Moved(None));
        // The first snapshot written meanwhile, or the snapshot removed.
        let none = BTreeMap::from([(Stack::Backend, None)]);
        assert_eq!(
            busy(&one(free("s1")), &none)[&Stack::Backend],
            Busy::Moved(None)
        );
        let gone = Mark {
            lock: None,
            state: None,
        };
        assert_eq!(
            busy(&one(gone), &read("s1"))[&Stack::Backend],
            Busy::Moved(None)
        );
        // A run whose lock came and went with no snapshot write changed nothing: not busy.
        let b = busy(&one(free("s1")), &read("s1"));
        assert!(b.is_empty(), "{b:?}");
    }

    #[test]
    fn a_stale_lock_explains_nothing_but_names_who_moved_a_snapshot() {
        let dead = held("dead", "2000-01-01T00:00:00Z");
        let b = busy(&one(dead.clone()), &read("s1"));
        assert!(b.is_empty(), "{b:?}");
        let b = busy(&one(dead), &read("s0"));
        assert!(
            matches!(&b[&Stack::Backend], Busy::Moved(Some(h)) if h.id == "dead"),
            "{b:?}"
        );
    }
}
