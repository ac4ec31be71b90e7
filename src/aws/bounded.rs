//! Per-resource reads (one `ListTagsForResource` per Beanstalk application or environment, or per
//! RDS subnet group) run concurrently but at most [`PER_RESOURCE_READS`] at a time: a busy account
//! with hundreds of them would otherwise send every call at once, and Beanstalk and RDS throttle
//! per account (the SDK's retries then give up on a burst it could have spread out).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many per-resource reads of one kind are in flight at once.
pub const PER_RESOURCE_READS: usize = 8;

/// A shared limit: each task holds a permit while its call runs.
#[derive(Debug, Clone)]
pub struct Limit(Arc<Semaphore>);

impl Limit {
    pub fn new(n: usize) -> Self {
        Limit(Arc::new(Semaphore::new(n.max(1))))
    }

    pub fn per_resource_reads() -> Self {
        Limit::new(PER_RESOURCE_READS)
    }

    /// Waits for a free slot; the slot is free again when the permit is dropped.
    pub async fn permit(&self) -> OwnedSemaphorePermit {
        Arc::clone(&self.0)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }
}

/// Runs `f` on every item, at most `limit` at a time; the results in the items' order.
pub async fn map<T, R, F, Fut>(limit: &Limit, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let (limit, call) = (limit.clone(), f(item));
        tasks.spawn(async move {
            let _slot = limit.permit().await;
            (i, call.await)
        });
    }
    let mut out: Vec<(usize, R)> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        out.push(done.expect("a read task does not panic"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn no_more_than_the_limit_run_at_once() {
        let limit = Limit::new(3);
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (limit, now, most) = (limit.clone(), now.clone(), most.clone());
            tasks.spawn(async move {
                let _slot = limit.permit().await;
                let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                now.fetch_sub(1, Ordering::SeqCst);
            });
        }
        while tasks.join_next().await.is_some() {}
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn map_keeps_the_order_and_the_limit() {
        let limit = Limit::new(2);
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let out = map(&limit, (0..10u64).collect(), |i| {
            let (now, most) = (now.clone(), most.clone());
            async move {
                let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(running, Ordering::SeqCst);
                // Later items finish first: the order must come from the items, not the clock.
                tokio::time::sleep(Duration::from_millis(10 - i)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert_eq!(out, (0..10u64).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
