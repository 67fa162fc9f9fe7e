//! Deadlines for dial attempts, which must not panic where there is no timer.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// `timeout` from now; `None` (never) if that is past the end of the clock (`Duration::MAX`).
pub(crate) fn after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Whether `deadline` has passed.
pub(crate) fn passed(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|at| Instant::now() >= at)
}

/// The deadline passed first.
pub(crate) struct Elapsed;

/// Runs `future` until `deadline` (`None`: no limit).
///
/// Tokio's timer needs a Tokio runtime: outside one (async-std or smol through
/// `tokio_util::compat`) the future runs unbounded, as the handshake's own timer does.
// TIMER: one place to swap for the crate's timer-safe helper (a runtime without time enabled
// still panics in `timeout_at`, issue 13 item 7).
pub(crate) async fn until<F: Future>(
    deadline: Option<Instant>,
    future: F,
) -> Result<F::Output, Elapsed> {
    match deadline {
        Some(at) if tokio::runtime::Handle::try_current().is_ok() => {
            tokio::time::timeout_at(at, future)
                .await
                .map_err(|_| Elapsed)
        }
        _ => Ok(future.await),
    }
}
