//! The one place this module uses a timer.

use std::future::Future;
use std::time::Duration;

/// Runs `future` for at most `limit` (`None`, or a limit past the end of the clock: no bound);
/// `Err(())` if the time ran out first. The timer is polled even when `future` has used up
/// the task's cooperative budget (as `tokio::time::timeout` does), so a flood cannot hold the
/// deadline off. Outside a Tokio runtime nothing is timed.
///
/// TODO(timer): on a runtime built without timers `tokio::time::timeout` panics; switch to the
/// timer-safe helper of `crate::io::timer` once it lands (a one-line change here).
pub(super) async fn within<F: Future>(limit: Option<Duration>, future: F) -> Result<F::Output, ()> {
    let limit = limit.filter(|&d| tokio::time::Instant::now().checked_add(d).is_some());
    match limit {
        Some(limit) if tokio::runtime::Handle::try_current().is_ok() => {
            tokio::time::timeout(limit, future).await.map_err(|_| ())
        }
        _ => Ok(future.await),
    }
}
