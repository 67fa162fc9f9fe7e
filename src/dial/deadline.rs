//! Deadlines for dial attempts, through `crate::io::within` (Tokio's clock, checked before each
//! poll, so a busy future cannot outrun them).

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
pub(crate) async fn until<F: Future>(
    deadline: Option<Instant>,
    future: F,
) -> Result<F::Output, Elapsed> {
    crate::io::timer::until(deadline, future)
        .await
        .ok_or(Elapsed)
}
