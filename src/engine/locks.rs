//! The locks of the stacks one run changes, as one guard: taken all or none, released by
//! [`Locks::release`] or, on any other way out (an error's `?`, a cancelled future), when the
//! guard is dropped. A drop cannot wait, so it starts the release on the runtime and
//! [`settle`] waits for every release started that way: the CLI calls it before it exits.
//! Only a second Ctrl-C, which quits at once, leaves locks behind (docs/operations.md).

use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use crate::model::Stack;
use crate::state::{self, LockGuard, StateError, Store};

/// Told of a lock that could not be released (the run's result stands; the lock's lease ends).
pub type OnReleaseError = Arc<dyn Fn(&StateError) + Send + Sync>;

/// Releases started by a drop, waited for by [`settle`].
static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Held locks; empty when the run holds none (or they were released).
pub struct Locks {
    guards: Vec<LockGuard>,
    on_error: OnReleaseError,
}

impl std::fmt::Debug for Locks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.guards.iter().map(LockGuard::key))
            .finish()
    }
}

impl Locks {
    /// Takes the lock of each stack in turn for `command`. When one cannot be taken, the ones
    /// taken are released first and its error is returned.
    pub async fn acquire(
        store: &Store,
        stacks: impl IntoIterator<Item = Stack>,
        env: &str,
        command: &str,
        on_error: OnReleaseError,
    ) -> Result<Locks, StateError> {
        let mut locks = Locks {
            guards: Vec::new(),
            on_error,
        };
        for stack in stacks {
            match state::acquire(store, stack, env, command).await {
                Ok(guard) => locks.guards.push(guard),
                Err(e) => {
                    locks.release().await;
                    return Err(e);
                }
            }
        }
        Ok(locks)
    }

    /// Releases every lock now, telling `on_error` of those that could not be.
    pub async fn release(mut self) {
        release_all(std::mem::take(&mut self.guards), &self.on_error).await;
    }
}

async fn release_all(guards: Vec<LockGuard>, on_error: &OnReleaseError) {
    for guard in guards {
        if let Err(e) = guard.release().await {
            on_error(&e);
        }
    }
}

impl Drop for Locks {
    fn drop(&mut self) {
        let guards = std::mem::take(&mut self.guards);
        if guards.is_empty() {
            return;
        }
        // Outside a runtime nothing can be awaited: the leases end them (as after a crash).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let on_error = self.on_error.clone();
        let task = runtime.spawn(async move { release_all(guards, &on_error).await });
        PENDING.lock().unwrap_or_else(|e| e.into_inner()).push(task);
    }
}

/// Waits for the releases that dropped guards started.
pub async fn settle() {
    loop {
        let tasks: Vec<_> = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
        if tasks.is_empty() {
            return;
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::LocalStore;

    fn store(dir: &tempfile::TempDir) -> Store {
        Store::Local(LocalStore {
            root: dir.path().to_path_buf(),
        })
    }

    fn quiet() -> OnReleaseError {
        Arc::new(|e| panic!("release failed: {e}"))
    }

    async fn held(store: &Store, stack: Stack) -> bool {
        state::lock::holder(store, stack, "staging")
            .await
            .expect("reads the lock")
            .is_some()
    }

    /// A command body that fails after taking its locks, leaving by `?`.
    async fn failing(store: &Store) -> Result<(), StateError> {
        let _locks = Locks::acquire(store, Stack::ALL, "staging", "apply", quiet()).await?;
        Err(StateError::Conflict {
            key: "shared/staging/state.json".into(),
        })
    }

    #[tokio::test]
    async fn an_error_path_releases_the_locks() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        assert!(failing(&store).await.is_err());
        settle().await;
        for stack in Stack::ALL {
            assert!(!held(&store, stack).await, "{stack} still locked");
        }
    }

    #[tokio::test]
    async fn a_dropped_guard_releases_and_release_releases() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let locks = Locks::acquire(&store, [Stack::Shared], "staging", "apply", quiet())
            .await
            .unwrap();
        assert!(held(&store, Stack::Shared).await);
        drop(locks);
        settle().await;
        assert!(!held(&store, Stack::Shared).await);
        let locks = Locks::acquire(&store, [Stack::Backend], "staging", "apply", quiet())
            .await
            .unwrap();
        locks.release().await;
        assert!(!held(&store, Stack::Backend).await);
    }

    #[tokio::test]
    async fn a_held_lock_refuses_and_releases_what_was_taken() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let other = Locks::acquire(&store, [Stack::Backend], "staging", "apply", quiet())
            .await
            .unwrap();
        let refused = Locks::acquire(&store, Stack::ALL, "staging", "refresh", quiet()).await;
        assert!(
            matches!(refused, Err(StateError::Locked { .. })),
            "{refused:?}"
        );
        // The shared stack's lock, taken before the backend's refused, was let go.
        assert!(!held(&store, Stack::Shared).await);
        assert!(held(&store, Stack::Backend).await);
        other.release().await;
    }
}
