//! Polling with backoff for long operations, with our own delays: the SDK waiters' model delays
//! (15-30 s minimum) are right for AWS but make an instant emulator wait for nothing.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{AwsError, ErrorClass};

pub enum Poll {
    Done,
    /// Still going; the status to show.
    Pending(String),
}

pub async fn until<F, Fut>(
    resource: &str,
    what: &str,
    timeout: Duration,
    mut check: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll, AwsError>>,
{
    let start = Instant::now();
    // Gentle growth: quick answers are seen quickly, long waits settle at one poll per 10 s.
    let mut delay = Duration::from_millis(250);
    loop {
        match check().await? {
            Poll::Done => return Ok(()),
            Poll::Pending(status) => {
                tracing::debug!(resource, what, status, elapsed = ?start.elapsed(), "waiting");
                if start.elapsed() + delay > timeout {
                    return Err(AwsError::Timeout {
                        resource: resource.to_owned(),
                        what: format!("{what} (last status: {status})"),
                        seconds: timeout.as_secs(),
                    });
                }
                tokio::time::sleep(delay).await;
                delay = delay.mul_f32(1.5).min(Duration::from_secs(10));
            }
        }
    }
}

/// Retries an operation that fails as `Gone` (`*.NotFound`) because AWS has not yet caught up with a
/// create it just acknowledged (eventual consistency). Any other error is returned at once.
pub async fn through_not_found<T, F, Fut>(mut op: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut delay = Duration::from_millis(250);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match op().await {
            Err(e) if e.is_not_found() && Instant::now() + delay < deadline => {
                tracing::debug!(error = %e, "not visible yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(4));
            }
            other => return other,
        }
    }
}

/// Retries an operation AWS throttles more tightly than the SDK's retries wait for (API
/// Gateway's CreateRestApi and DeleteRestApi: a few per minute per account): keeps trying for
/// a while. Any other error is returned at once.
pub async fn through_throttling<T, F, Fut>(mut op: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut delay = Duration::from_secs(2);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        match op().await {
            Err(e) if e.class() == ErrorClass::Throttled && Instant::now() + delay < deadline => {
                tracing::debug!(error = %e, "throttled; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            other => return other,
        }
    }
}
