//! The state store's behaviour, on the local store in a temporary directory.

use std::time::Duration;

use provision::aws::s3::Precondition;
use provision::model::{Address, Attrs, Kind, RecordedResource, Stack, VpcAttrs};
use provision::state::{self, LocalStore, LockInfo, Recorder, Snapshot, StateError, Store};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::Local(LocalStore::new(dir.path().join("state")));
    (dir, store)
}

fn vpc(id: &str) -> RecordedResource {
    RecordedResource {
        id: id.into(),
        attrs: Attrs::Vpc(VpcAttrs {
            cidr: "10.0.0.0/16".parse().unwrap(),
            dns_hostnames: true,
            dns_support: true,
        }),
        tags: Default::default(),
        depends_on: Default::default(),
    }
}

fn vpc_address() -> Address {
    Address::single(Stack::Shared, Kind::Vpc)
}

#[tokio::test]
async fn round_trip_and_serials() {
    let (_dir, store) = store();
    store.ensure_ready().await.unwrap();
    assert_eq!(store.read(Stack::Shared, "staging").await.unwrap(), None);

    let mut s = Snapshot::new("staging", Stack::Shared, "h1");
    s.serial = 1;
    s.resources.insert(vpc_address(), vpc("vpc-1"));
    let etag = store.write(&s, None).await.unwrap();
    let stored = store.read(Stack::Shared, "staging").await.unwrap().unwrap();
    assert_eq!(stored.snapshot, s);
    assert_eq!(stored.etag, etag);

    // The first write must create: a second "first" write loses.
    let err = store.write(&s, None).await.unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");

    s.serial = 2;
    let etag2 = store.write(&s, Some(&etag)).await.unwrap();
    assert_ne!(etag, etag2);
    // A writer still holding the first ETag lost the race and overwrites nothing.
    s.serial = 3;
    let err = store.write(&s, Some(&etag)).await.unwrap_err();
    assert!(
        matches!(&err, StateError::Conflict { key } if key == "shared/staging/state.json"),
        "{err}"
    );
    assert!(err.to_string().contains("another writer"), "{err}");
    assert_eq!(
        store
            .read(Stack::Shared, "staging")
            .await
            .unwrap()
            .unwrap()
            .snapshot
            .serial,
        2
    );

    // Other envs and stacks are separate keys.
    assert_eq!(store.read(Stack::Shared, "production").await.unwrap(), None);
    assert_eq!(store.read(Stack::Backend, "staging").await.unwrap(), None);
    assert_eq!(
        store.list("").await.unwrap(),
        vec!["shared/staging/state.json".to_owned()]
    );
}

#[tokio::test]
async fn recorder_writes_through_and_keeps_history() {
    let (_dir, store) = store();
    let stacks = [Stack::Shared, Stack::Backend];
    let mut rec = Recorder::open(store.clone(), "staging", &stacks, "spec-1")
        .await
        .unwrap();
    // Nothing is written until the first record.
    assert!(store.list("").await.unwrap().is_empty());
    let lineage = rec.snapshot(Stack::Shared).unwrap().lineage.clone();

    rec.record(&vpc_address(), vpc("vpc-1")).await.unwrap();
    let stored = store.read(Stack::Shared, "staging").await.unwrap().unwrap();
    assert_eq!(stored.snapshot.serial, 1);
    assert_eq!(stored.snapshot.resources[&vpc_address()].id, "vpc-1");
    assert_eq!(stored.snapshot.lineage, lineage);

    let igw = Address::single(Stack::Shared, Kind::InternetGateway);
    rec.record(&igw, vpc("igw-1")).await.unwrap();
    rec.forget(&igw).await.unwrap();
    rec.forget(&igw).await.unwrap(); // nothing to forget: no write
    let stored = store.read(Stack::Shared, "staging").await.unwrap().unwrap();
    assert_eq!(stored.snapshot.serial, 3);
    assert_eq!(stored.snapshot.spec_hash, "spec-1");
    assert_eq!(rec.recorded().resources.len(), 1);
    assert_eq!(store.read(Stack::Backend, "staging").await.unwrap(), None);

    assert!(
        store
            .history(Stack::Shared, "staging")
            .await
            .unwrap()
            .is_empty()
    );
    rec.finish().await.unwrap();
    rec.finish().await.unwrap(); // idempotent
    let history = store.history(Stack::Shared, "staging").await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].serial, 3);
    assert!(
        history[0]
            .key
            .starts_with("shared/staging/history/0000000003-"),
        "{history:?}"
    );
    assert_eq!(
        store.read_history(&history[0].key).await.unwrap(),
        stored.snapshot
    );
    // Backend was never written, so it has no history.
    assert!(
        store
            .history(Stack::Backend, "staging")
            .await
            .unwrap()
            .is_empty()
    );

    // A second run continues the same lineage and serials.
    let mut rec = Recorder::open(store.clone(), "staging", &stacks, "spec-2")
        .await
        .unwrap();
    rec.forget(&vpc_address()).await.unwrap();
    rec.finish().await.unwrap();
    let stored = store.read(Stack::Shared, "staging").await.unwrap().unwrap();
    assert_eq!(
        (stored.snapshot.serial, stored.snapshot.lineage.as_str()),
        (4, lineage.as_str())
    );
    assert_eq!(stored.snapshot.spec_hash, "spec-2");
    let serials: Vec<u64> = store
        .history(Stack::Shared, "staging")
        .await
        .unwrap()
        .iter()
        .map(|h| h.serial)
        .collect();
    assert_eq!(serials, [3, 4]);

    let all = state::read_all(&store, "staging", &Stack::ALL)
        .await
        .unwrap();
    assert_eq!(all.keys().copied().collect::<Vec<_>>(), [Stack::Shared]);
}

#[tokio::test]
async fn recorder_stops_on_a_concurrent_writer() {
    let (_dir, store) = store();
    let mut a = Recorder::open(store.clone(), "staging", &[Stack::Shared], "h")
        .await
        .unwrap();
    let mut b = Recorder::open(store.clone(), "staging", &[Stack::Shared], "h")
        .await
        .unwrap();
    a.record(&vpc_address(), vpc("vpc-a")).await.unwrap();
    let err = b.record(&vpc_address(), vpc("vpc-b")).await.unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
    let stored = store.read(Stack::Shared, "staging").await.unwrap().unwrap();
    assert_eq!(stored.snapshot.resources[&vpc_address()].id, "vpc-a");
}

#[tokio::test]
async fn bad_snapshots_are_refused_and_left_alone() {
    let (_dir, store) = store();
    let key = "shared/staging/state.json";
    let good = {
        let mut s = Snapshot::new("staging", Stack::Shared, "h");
        s.serial = 1;
        s.to_json()
    };
    let newer = br#"{"format_version": 99, "lineage": "x"}"#.to_vec();
    let other_env = Snapshot::new("production", Stack::Shared, "h").to_json();
    let cases: [(&str, Vec<u8>); 4] = [
        ("truncated", good[..good.len() - 20].to_vec()),
        ("not valid JSON", b"\x00garbage".to_vec()),
        ("newer provision", newer),
        ("does not belong here", other_env),
    ];
    for (what, body) in cases {
        store
            .put(key, body.clone(), Precondition::None)
            .await
            .unwrap()
            .unwrap();
        let err = store.read(Stack::Shared, "staging").await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(key) && msg.contains(what), "{what}: {msg}");

        let err = Recorder::open(store.clone(), "staging", &[Stack::Shared], "h")
            .await
            .unwrap_err();
        assert!(err.to_string().contains(key), "{err}");

        // Nothing overwrites it: a first write refuses to replace it, and so does any stale ETag.
        let fresh = Snapshot::new("staging", Stack::Shared, "h");
        assert!(matches!(
            store.write(&fresh, None).await,
            Err(StateError::Conflict { .. })
        ));
        assert!(matches!(
            store.write(&fresh, Some("not-its-etag")).await,
            Err(StateError::Conflict { .. })
        ));
        assert_eq!(store.get(key).await.unwrap().unwrap().body, body, "{what}");
    }
}

#[tokio::test]
async fn lock_is_exclusive_and_names_its_holder() {
    let (_dir, store) = store();
    let guard = state::acquire(&store, Stack::Shared, "staging", "apply --env staging")
        .await
        .unwrap();
    assert!(!guard.is_lost());

    let err = state::acquire(&store, Stack::Shared, "staging", "destroy --env staging")
        .await
        .unwrap_err();
    let StateError::Locked { key, holder, age } = &err else {
        panic!("{err}")
    };
    assert_eq!(key, "shared/staging/lock.json");
    assert_eq!(holder.as_ref(), guard.info());
    assert!(*age < Duration::from_secs(60));
    let msg = err.to_string();
    let who = format!("{}@{}", holder.owner, holder.host);
    for part in [
        who.as_str(),
        &format!("pid {}", std::process::id()),
        "apply --env staging",
        "0s",
    ] {
        assert!(msg.contains(part), "`{part}` missing from: {msg}");
    }
    assert!(
        msg.contains("provision state unlock --env staging --stack shared"),
        "{msg}"
    );

    // Other stacks and envs are separate locks.
    let other = state::acquire(&store, Stack::Backend, "staging", "apply")
        .await
        .unwrap();
    let prod = state::acquire(&store, Stack::Shared, "production", "apply")
        .await
        .unwrap();

    guard.release().await.unwrap();
    assert!(
        store
            .get("shared/staging/lock.json")
            .await
            .unwrap()
            .is_none()
    );
    let again = state::acquire(&store, Stack::Shared, "staging", "apply")
        .await
        .unwrap();
    for g in [again, other, prod] {
        g.release().await.unwrap();
    }
    assert!(store.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_acquires_have_one_winner() {
    let (_dir, store) = store();
    let tries: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                state::acquire(&store, Stack::Shared, "staging", &format!("run {i}")).await
            })
        })
        .collect();
    let mut won = Vec::new();
    for t in tries {
        match t.await.unwrap() {
            Ok(g) => won.push(g),
            Err(StateError::Locked { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won.len(), 1);
}

#[tokio::test]
async fn unlock_refuses_a_fresh_lock_without_force() {
    let (_dir, store) = store();
    assert_eq!(
        state::unlock(&store, Stack::Shared, "staging", false)
            .await
            .unwrap(),
        None
    );

    let guard = state::acquire(&store, Stack::Shared, "staging", "apply --env staging")
        .await
        .unwrap();
    let err = state::unlock(&store, Stack::Shared, "staging", false)
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::LockFresh { .. }), "{err}");
    let msg = err.to_string();
    // Seconds since the lock was taken: 0 unless the machine is slow right now.
    let renewed = msg
        .split_once("renewed ")
        .and_then(|(_, rest)| rest.split_once("s ago"))
        .and_then(|(n, _)| n.parse::<u64>().ok());
    assert!(
        msg.contains(&guard.info().who())
            && msg.contains("--force")
            && renewed.is_some_and(|n| n <= 5),
        "{msg}"
    );

    let broken = state::unlock(&store, Stack::Shared, "staging", true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&broken, guard.info());
    // The holder finds out when it releases, and deletes nobody else's lock.
    let next = state::acquire(&store, Stack::Shared, "staging", "apply again")
        .await
        .unwrap();
    let err = guard.release().await.unwrap_err();
    assert!(matches!(err, StateError::LockLost { .. }), "{err}");
    assert!(err.to_string().contains("apply again"), "{err}");
    assert_eq!(
        state::unlock(&store, Stack::Shared, "staging", true)
            .await
            .unwrap()
            .unwrap()
            .id,
        next.info().id
    );
}

#[tokio::test]
async fn a_lock_past_its_lease_unlocks_without_force() {
    let (_dir, store) = store();
    let old = LockInfo {
        id: "old".into(),
        owner: "alice".into(),
        host: "laptop".into(),
        pid: 4242,
        command: "apply --env staging".into(),
        created_at: "2020-01-01T00:00:00Z".into(),
        lease_seconds: 900,
        renewed_at: Some("2020-01-01T00:05:00Z".into()),
    };
    let body = serde_json::to_vec(&old).unwrap();
    store
        .put("shared/staging/lock.json", body, Precondition::Absent)
        .await
        .unwrap()
        .unwrap();

    // Acquire still fails at once, but says the lease ran out and no --force is needed.
    let err = state::acquire(&store, Stack::Shared, "staging", "apply")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("alice@laptop (pid 4242)") && msg.contains("lease ran out"),
        "{msg}"
    );
    assert!(
        msg.ends_with("provision state unlock --env staging --stack shared`"),
        "{msg}"
    );

    let broken = state::unlock(&store, Stack::Shared, "staging", false)
        .await
        .unwrap();
    assert_eq!(broken, Some(old));
    state::acquire(&store, Stack::Shared, "staging", "apply")
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_held_lock_is_renewed_and_stays_fresh() {
    let (_dir, store) = store();
    let guard = state::acquire_with_lease(
        &store,
        Stack::Shared,
        "staging",
        "apply",
        Duration::from_secs(3),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    // Past the original lease, yet renewed: still fresh, still ours.
    let err = state::unlock(&store, Stack::Shared, "staging", false)
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::LockFresh { .. }), "{err}");
    let body = store
        .get("shared/staging/lock.json")
        .await
        .unwrap()
        .unwrap()
        .body;
    let info: LockInfo = serde_json::from_slice(&body).unwrap();
    assert!(info.renewed_at.is_some());
    assert!(!guard.is_lost());
    guard.release().await.unwrap();

    // Dropped without release: renewing stops, and the lock goes stale after its lease.
    let guard = state::acquire_with_lease(
        &store,
        Stack::Shared,
        "staging",
        "apply",
        Duration::from_secs(1),
    )
    .await
    .unwrap();
    drop(guard);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        state::unlock(&store, Stack::Shared, "staging", false)
            .await
            .unwrap()
            .is_some()
    );
}
