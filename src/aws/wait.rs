//! Polling with backoff for long operations, with our own delays: the SDK waiters' model delays
//! (15-30 s minimum) are right for AWS but make an instant emulator wait for nothing.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{AwsError, ErrorClass};

pub enum Poll {
    Done,
    /// Still going; the status to show.
    Pending(String),
    /// The target state was seen and needs more readings in a row to count (RDS can say
    /// `available` just before `modifying`): read again after a short, fixed pause.
    Confirming(String),
}

/// The longest pause before a confirming reading: what every wait on AWS gets.
const CONFIRM_DELAY: Duration = Duration::from_secs(1);

/// The pause before a confirming reading follows how fast the service answers: twenty times the
/// last read's round trip, between 25 ms and [`CONFIRM_DELAY`]. Every AWS endpoint answers a
/// Describe in well over 50 ms, so AWS keeps its 1 s spacing (and no more calls than before); an
/// emulator answering in a few milliseconds is confirmed in tens of them instead of seconds.
fn confirm_delay(read: Duration) -> Duration {
    (read * 20).clamp(Duration::from_millis(25), CONFIRM_DELAY)
}

/// The next poll's delay: grows by 1.5x from 250 ms, but never past a tenth of the time waited
/// so far (nor 10 s), so a wait that ends is seen at most about 10 % late. Plain 1.5x growth
/// overshot by up to three quarters of the time waited (a 24 s wait seen at 28 s, an 8-minute
/// one polled every 10 s from 30 s on either way).
fn next_delay(delay: Duration, elapsed: Duration) -> Duration {
    bounded_growth(
        delay,
        elapsed,
        Duration::from_millis(250),
        Duration::from_secs(10),
    )
}

fn bounded_growth(delay: Duration, elapsed: Duration, floor: Duration, cap: Duration) -> Duration {
    delay.mul_f32(1.5).min((elapsed / 10).max(floor)).min(cap)
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
    // Quick answers are seen quickly, long waits settle at one poll per 10 s.
    let mut delay = Duration::from_millis(250);
    loop {
        let asked = Instant::now();
        let (status, pause) = match check().await? {
            Poll::Done => return Ok(()),
            Poll::Pending(status) => (status, delay),
            Poll::Confirming(status) => (status, confirm_delay(asked.elapsed())),
        };
        tracing::debug!(resource, what, status, elapsed = ?start.elapsed(), "waiting");
        if start.elapsed() + pause > timeout {
            return Err(AwsError::Timeout {
                resource: resource.to_owned(),
                what: format!("{what} (last status: {status})"),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(pause).await;
        delay = next_delay(delay, start.elapsed());
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

/// Retries a delete AWS refuses with `DependencyViolation` (`Busy`) because something still
/// holds the resource: a deleted load balancer's or database's network interfaces are released
/// minutes later. Tries until `timeout` has passed (the last try at the deadline, so "gave up
/// after waiting N s" is what happened), then hands back the last refusal; any other error is
/// returned at once.
pub async fn through_dependencies<T, F, Fut>(timeout: Duration, mut op: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let start = Instant::now();
    let deadline = start + timeout;
    let mut delay = Duration::from_secs(1);
    loop {
        match op().await {
            Err(e) if e.class() == ErrorClass::Busy && Instant::now() < deadline => {
                tracing::info!(error = %e, "still held; retrying");
                tokio::time::sleep(delay.min(deadline.saturating_duration_since(Instant::now())))
                    .await;
                // As `until`: released resources are seen at most about 10 % late.
                let (floor, cap) = (Duration::from_secs(1), Duration::from_secs(15));
                delay = bounded_growth(delay, start.elapsed(), floor, cap);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// When each poll of a wait happens, by the delays `until` sleeps (reads taking no time).
    fn polls_until(end: Duration) -> Vec<Duration> {
        let (mut at, mut delay, mut polls) = (Duration::ZERO, Duration::from_millis(250), vec![]);
        while at < end {
            at += delay;
            polls.push(at);
            delay = next_delay(delay, at);
        }
        polls
    }

    #[test]
    fn confirming_readings_are_paced_by_the_services_answers() {
        // AWS (a Describe takes 50 ms or more): the full second, as always.
        for ms in [50, 120, 400, 5000] {
            assert_eq!(confirm_delay(Duration::from_millis(ms)), CONFIRM_DELAY);
        }
        // An emulator answering in 2 ms: 40 ms; never closer than 25 ms.
        assert_eq!(
            confirm_delay(Duration::from_millis(2)),
            Duration::from_millis(40)
        );
        assert_eq!(confirm_delay(Duration::ZERO), Duration::from_millis(25));
    }

    #[test]
    fn a_finished_wait_is_seen_at_most_about_ten_percent_late() {
        for secs in [1.0, 4.5, 15.0, 24.0, 90.0, 480.0] {
            let end = Duration::from_secs_f64(secs);
            let seen = *polls_until(end).last().unwrap();
            let late = (seen - end).as_secs_f64();
            assert!(late <= secs * 0.11 + 0.25, "{secs} s seen at {seen:?}");
        }
        // Not at the cost of hammering: an 8-minute database is polled under 90 times (55 with plain growth), and
        // polls never come closer than 250 ms nor further apart than 10 s.
        let polls = polls_until(Duration::from_secs(480));
        assert!(polls.len() < 90, "{}", polls.len());
        for w in polls.windows(2) {
            let gap = w[1] - w[0];
            assert!(gap >= Duration::from_millis(250) && gap <= Duration::from_secs(10));
        }
    }
}
