//! The state store against S3 (LocalStack): the bucket, conditional writes, the lock.
//! Each test is its own LocalStack account (random access key id), so they run in parallel.

use crate::support;

use aws_sdk_s3::types::BucketVersioningStatus;
use provision::aws::s3::{Precondition, S3Objects};
use provision::model::{Address, Attrs, Kind, RecordedResource, Stack, VpcAttrs};
use provision::state::{self, Recorder, Snapshot, StateError, Store};

async fn s3_store() -> (aws_sdk_s3::Client, Store) {
    let account = support::Account::new();
    let aws = account.aws().await;
    let bucket = format!("provision-state-{}", uuid::Uuid::new_v4().simple());
    let store = Store::S3(S3Objects::new(aws.s3.clone(), bucket, support::REGION));
    (aws.s3, store)
}

fn bucket(store: &Store) -> String {
    store.describe().trim_start_matches("s3://").to_owned()
}

#[tokio::test]
async fn bucket_is_created_versioned_in_its_region() {
    let (s3, store) = s3_store().await;
    store.ensure_ready().await.unwrap();
    store.ensure_ready().await.unwrap(); // again: already there is fine
    let b = bucket(&store);
    let versioning = s3.get_bucket_versioning().bucket(&b).send().await.unwrap();
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    let location = s3.get_bucket_location().bucket(&b).send().await.unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some(support::REGION)
    );
}

#[tokio::test]
async fn writes_are_conditional() {
    let (_s3, store) = s3_store().await;
    store.ensure_ready().await.unwrap();
    assert_eq!(store.read(Stack::Backend, "staging").await.unwrap(), None);

    let mut s = Snapshot::new("staging", Stack::Backend, "h");
    s.serial = 1;
    let etag = store.write(&s, None).await.unwrap();
    let stored = store
        .read(Stack::Backend, "staging")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&stored.snapshot, &stored.etag), (&s, &etag));

    // Another writer's first write loses (If-None-Match: *). The same bytes again count as our
    // own write having landed (a retried PUT whose first answer was lost).
    let mut other = s.clone();
    other.spec_hash = "another writer".into();
    let err = store.write(&other, None).await.unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
    assert_eq!(store.write(&s, None).await.unwrap(), etag);

    s.serial = 2;
    store.write(&s, Some(&etag)).await.unwrap();
    // A stale ETag loses (If-Match), and overwrites nothing.
    s.serial = 3;
    let err = store.write(&s, Some(&etag)).await.unwrap_err();
    assert!(
        matches!(&err, StateError::Conflict { key } if key == "backend/staging/state.json"),
        "{err}"
    );
    assert_eq!(
        store
            .read(Stack::Backend, "staging")
            .await
            .unwrap()
            .unwrap()
            .snapshot
            .serial,
        2
    );
}

#[tokio::test]
async fn recorder_and_history() {
    let (_s3, store) = s3_store().await;
    store.ensure_ready().await.unwrap();
    let mut rec = Recorder::open(store.clone(), "production", &Stack::ALL, "h")
        .await
        .unwrap();
    let vpc = Address::single(Stack::Shared, Kind::Vpc);
    let r = RecordedResource {
        id: "vpc-1".into(),
        attrs: Attrs::Vpc(VpcAttrs {
            cidr: "10.1.0.0/16".parse().unwrap(),
            dns_hostnames: true,
            dns_support: true,
        }),
        tags: Default::default(),
        depends_on: Default::default(),
    };
    rec.record(&vpc, r.clone()).await.unwrap();
    rec.record(&vpc, r).await.unwrap();
    rec.finish().await.unwrap();

    let all = state::read_all(&store, "production", &Stack::ALL)
        .await
        .unwrap();
    assert_eq!(all.keys().copied().collect::<Vec<_>>(), [Stack::Shared]);
    assert_eq!(all[&Stack::Shared].snapshot.serial, 2);
    let history = store.history(Stack::Shared, "production").await.unwrap();
    assert_eq!(history.iter().map(|h| h.serial).collect::<Vec<_>>(), [2]);
    assert_eq!(
        store.read_history(&history[0].key).await.unwrap(),
        all[&Stack::Shared].snapshot
    );
}

#[tokio::test]
async fn one_of_two_concurrent_acquires_wins() {
    let (_s3, store) = s3_store().await;
    store.ensure_ready().await.unwrap();
    let (a, b) = tokio::join!(
        state::acquire(&store, Stack::Shared, "staging", "apply --env staging"),
        state::acquire(&store, Stack::Shared, "staging", "destroy --env staging"),
    );
    let (guard, err) = match (a, b) {
        (Ok(g), Err(e)) | (Err(e), Ok(g)) => (g, e),
        (a, b) => panic!("expected exactly one winner, got {a:?} and {b:?}"),
    };
    let StateError::Locked { holder, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(holder.id, guard.info().id);
    let msg = err.to_string();
    assert!(msg.contains(&guard.info().who()), "{msg}");
    assert!(
        msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );
    assert!(msg.contains(&guard.info().command), "{msg}");
    assert!(
        msg.contains("provision state unlock --env staging --stack shared"),
        "{msg}"
    );

    // Fresh: not broken without --force.
    let err = state::unlock(&store, Stack::Shared, "staging", false)
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::LockFresh { .. }), "{err}");

    guard.release().await.unwrap();
    assert_eq!(
        state::unlock(&store, Stack::Shared, "staging", false)
            .await
            .unwrap(),
        None
    );
    let again = state::acquire(&store, Stack::Shared, "staging", "apply")
        .await
        .unwrap();
    let broken = state::unlock(&store, Stack::Shared, "staging", true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&broken, again.info());
    assert!(matches!(
        again.release().await,
        Err(StateError::LockLost { .. })
    ));
}

/// Drift's one listing: every stack's lock and snapshot ETag of one environment, its pause
/// record, nothing of another environment, and each stack's history rolled up into one entry of
/// one page, however many runs it holds. The local store answers the same.
#[tokio::test]
async fn one_listing_marks_every_stack_of_the_environment() {
    let (_s3, store) = s3_store().await;
    store.ensure_ready().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = Store::Local(state::LocalStore::new(dir.path()));
    let mut keys = vec![
        "shared/staging/state.json".to_owned(),
        "shared/staging/pause.json".to_owned(),
        "backend/staging/state.json".to_owned(),
        "shared/production/state.json".to_owned(),
        "console/production/lock.json".to_owned(),
        "shared/staging-eu/state.json".to_owned(),
    ];
    for serial in 0..40 {
        keys.push(format!(
            "backend/staging/history/{serial:010}-20260101T000000Z.json"
        ));
    }
    for store in [&store, &local] {
        for key in &keys {
            let body = format!("{{\"key\":\"{key}\"}}").into_bytes();
            let put = store.put(key, body, Precondition::None).await.unwrap();
            assert!(put.is_ok(), "{key}");
        }
    }
    let guard = state::acquire(&store, Stack::Backend, "staging", "apply --env staging")
        .await
        .unwrap();
    let local_guard = state::acquire(&local, Stack::Backend, "staging", "apply --env staging")
        .await
        .unwrap();

    for (store, guard) in [(&store, &guard), (&local, &local_guard)] {
        let marks = state::marks(store, "staging").await.unwrap();
        assert_eq!(
            marks.listed.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "backend/staging/lock.json",
                "backend/staging/state.json",
                "shared/staging/pause.json",
                "shared/staging/state.json"
            ],
            "{}",
            store.describe()
        );
        let backend = &marks.stacks[&Stack::Backend];
        assert_eq!(backend.lock.as_ref().map(|(_, h)| h), Some(guard.info()));
        let stored = store.get("backend/staging/state.json").await.unwrap();
        assert_eq!(backend.state, stored.map(|o| o.etag));
        assert_eq!(
            marks.stacks[&Stack::Console],
            state::Mark {
                lock: None,
                state: None
            }
        );
        assert!(marks.stacks[&Stack::Shared].state.is_some());
    }

    // S3 answers in one page: the 40 history entries are one common prefix.
    let Store::S3(s3) = &store else {
        unreachable!()
    };
    let (listed, rolled) = s3.grouped("", "/history/").await.unwrap();
    assert_eq!(rolled, ["backend/staging/history/"]);
    assert!(
        !listed.keys().any(|k| k.contains("/history/")),
        "{listed:?}"
    );
    guard.release().await.unwrap();
    local_guard.release().await.unwrap();
}
