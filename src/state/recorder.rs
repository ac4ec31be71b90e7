//! Writes what an apply did into the stacks' snapshots as it happens, so that a run killed midway
//! loses nothing it completed.

use std::collections::BTreeMap;

use super::{Snapshot, StateError, Store, Stored, now_rfc3339};
use crate::model::{Address, RecordedResource, RecordedState, Stack};

/// Reads the current snapshots of `stacks`, concurrently. Stacks never written are absent.
pub async fn read_all(
    store: &Store,
    env: &str,
    stacks: &[Stack],
) -> Result<BTreeMap<Stack, Stored>, StateError> {
    let reads: Vec<_> = stacks
        .iter()
        .map(|&stack| {
            let (store, env) = (store.clone(), env.to_owned());
            (
                stack,
                tokio::spawn(async move { store.read(stack, &env).await }),
            )
        })
        .collect();
    // Every read is awaited, also after a failure: none is left running when the command ends.
    let mut out = BTreeMap::new();
    let mut failed = None;
    for (stack, read) in reads {
        match read.await.expect("state read task panicked") {
            Ok(Some(stored)) => {
                out.insert(stack, stored);
            }
            Ok(None) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    failed.map_or(Ok(out), Err)
}

/// One stack's snapshot as this run holds it.
#[derive(Debug)]
struct Tracked {
    /// Includes every change recorded this run, written or not.
    snapshot: Snapshot,
    /// ETag of the stored copy this run last read or wrote; `None` while none exists.
    etag: Option<String>,
    /// The last write whose outcome is unknown (the store failed to answer); if it did land,
    /// the next write's conflict is with ourselves.
    unconfirmed: Option<Snapshot>,
    /// The serial last copied to history.
    history_serial: Option<u64>,
    written: bool,
}

/// Records the outcome of each completed change in its stack's snapshot, writing through at once.
#[derive(Debug)]
pub struct Recorder {
    store: Store,
    env: String,
    spec_hash: String,
    /// The spec files applied, recorded with every write (`None`: left as it was).
    applied: Option<super::applied::Applied>,
    stacks: BTreeMap<Stack, Tracked>,
}

impl Recorder {
    /// Reads the snapshots of `stacks` (concurrently). A stack never written starts as a new
    /// snapshot; nothing is written until the first [`Recorder::record`] or [`Recorder::forget`].
    pub async fn open(
        store: Store,
        env: &str,
        stacks: &[Stack],
        spec_hash: &str,
    ) -> Result<Recorder, StateError> {
        let stored = read_all(&store, env, stacks).await?;
        Ok(Recorder::from_stored(store, env, stacks, spec_hash, stored))
    }

    /// Continues from snapshots already read (with their ETags): the run writes on exactly
    /// what it planned from, and any other writer since then makes its first write conflict.
    pub fn from_stored(
        store: Store,
        env: &str,
        stacks: &[Stack],
        spec_hash: &str,
        mut stored: BTreeMap<Stack, Stored>,
    ) -> Recorder {
        let mut recorder = Recorder {
            store,
            env: env.to_owned(),
            spec_hash: spec_hash.to_owned(),
            applied: None,
            stacks: BTreeMap::new(),
        };
        for &stack in stacks {
            let tracked = recorder.tracked_from(stack, stored.remove(&stack));
            recorder.stacks.insert(stack, tracked);
        }
        recorder
    }

    fn tracked_from(&self, stack: Stack, stored: Option<Stored>) -> Tracked {
        let (snapshot, etag) = match stored {
            Some(Stored { snapshot, etag }) => (snapshot, Some(etag)),
            None => (Snapshot::new(&self.env, stack, &self.spec_hash), None),
        };
        Tracked {
            snapshot,
            etag,
            unconfirmed: None,
            history_serial: None,
            written: false,
        }
    }

    pub fn env(&self) -> &str {
        &self.env
    }

    /// Records `applied` (its time set at each write) with every snapshot this run writes.
    pub fn set_applied(&mut self, applied: Option<super::applied::Applied>) {
        self.applied = applied;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Writes the spec files applied into each existing snapshot that records other ones: a
    /// converged environment's apply changes no resource, yet it has applied this spec.
    pub async fn mark_applied(&mut self) -> Result<(), StateError> {
        let Some(now) = self.applied.clone() else {
            return Ok(());
        };
        let stale: Vec<Stack> = self
            .stacks
            .iter()
            .filter(|(_, t)| t.etag.is_some())
            .filter(|(_, t)| {
                t.snapshot.applied.as_ref().is_none_or(|a| {
                    a.base.sha256 != now.base.sha256 || a.env.sha256 != now.env.sha256
                })
            })
            .map(|(s, _)| *s)
            .collect();
        for stack in stale {
            self.change(stack, |_| true).await?;
        }
        Ok(())
    }

    /// Records `r` as the state of `address` and writes its stack's snapshot.
    pub async fn record(
        &mut self,
        address: &Address,
        r: RecordedResource,
    ) -> Result<(), StateError> {
        let address = address.clone();
        self.change(address.stack, move |resources| {
            resources.insert(address, r);
            true
        })
        .await
    }

    /// Removes `address` (it was deleted) and writes its stack's snapshot. Forgetting what is not
    /// recorded writes nothing.
    pub async fn forget(&mut self, address: &Address) -> Result<(), StateError> {
        self.change(address.stack, |resources| {
            resources.remove(address).is_some()
        })
        .await
    }

    async fn change(
        &mut self,
        stack: Stack,
        edit: impl FnOnce(&mut BTreeMap<Address, RecordedResource>) -> bool,
    ) -> Result<(), StateError> {
        if !self.stacks.contains_key(&stack) {
            // Not opened (a caller's slip): read it now rather than lose the record.
            let stored = self.store.read(stack, &self.env).await?;
            let tracked = self.tracked_from(stack, stored);
            self.stacks.insert(stack, tracked);
        }
        let tracked = self.stacks.get_mut(&stack).expect("inserted above");
        if !edit(&mut tracked.snapshot.resources) {
            return Ok(());
        }
        tracked.snapshot.serial += 1;
        tracked.snapshot.updated_at = now_rfc3339();
        tracked.snapshot.spec_hash.clone_from(&self.spec_hash);
        if let Some(a) = &self.applied {
            tracked.snapshot.applied = Some(super::applied::Applied {
                at: tracked.snapshot.updated_at.clone(),
                ..a.clone()
            });
        }
        // The change stays in memory even if this write fails, so the next write carries it.
        Self::flush(&self.store, tracked).await
    }

    async fn flush(store: &Store, tracked: &mut Tracked) -> Result<(), StateError> {
        let result = store
            .write(&tracked.snapshot, tracked.etag.as_deref())
            .await;
        let result = match result {
            Err(StateError::Conflict { key }) => match tracked.unconfirmed.take() {
                // Perhaps the conflict is with our own earlier write that did land: adopt it.
                Some(ours) => match store.get(&key).await? {
                    Some(object) if object.body == ours.to_json() => {
                        tracked.etag = Some(object.etag);
                        store
                            .write(&tracked.snapshot, tracked.etag.as_deref())
                            .await
                    }
                    _ => Err(StateError::Conflict { key }),
                },
                None => Err(StateError::Conflict { key }),
            },
            other => other,
        };
        match result {
            Ok(etag) => {
                tracked.etag = Some(etag);
                tracked.unconfirmed = None;
                tracked.written = true;
                Ok(())
            }
            Err(e @ StateError::Conflict { .. }) => Err(e),
            Err(e) => {
                tracked.unconfirmed = Some(tracked.snapshot.clone());
                Err(e)
            }
        }
    }

    /// Ends the run: copies each snapshot written during it to the stack's history.
    pub async fn finish(&mut self) -> Result<(), StateError> {
        for tracked in self.stacks.values_mut() {
            if !tracked.written || tracked.history_serial == Some(tracked.snapshot.serial) {
                continue;
            }
            if tracked.unconfirmed.is_some() {
                // The last change never reached the store; history must not claim it did.
                continue;
            }
            self.store.append_history(&tracked.snapshot).await?;
            tracked.history_serial = Some(tracked.snapshot.serial);
        }
        Ok(())
    }

    /// Everything recorded, across the stacks (including changes this run has recorded).
    pub fn recorded(&self) -> RecordedState {
        RecordedState {
            resources: self
                .stacks
                .values()
                .flat_map(|t| {
                    t.snapshot
                        .resources
                        .iter()
                        .map(|(a, r)| (a.clone(), r.clone()))
                })
                .collect(),
        }
    }

    /// The snapshot of one stack as this run holds it.
    pub fn snapshot(&self, stack: Stack) -> Option<&Snapshot> {
        self.stacks.get(&stack).map(|t| &t.snapshot)
    }
}
