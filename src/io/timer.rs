//! The handshake's inactivity timer: fires after a stretch with no progress.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Counts silence, not total time: [`restart`](Self::restart) after each step of progress.
///
/// The `Sleep` is made on first use and only inside a Tokio runtime (elsewhere, as under
/// async-std through `tokio_util::compat`, nothing times out). A timeout too large to add to
/// the clock (`Duration::MAX`) never fires.
pub(crate) struct Inactivity {
    timeout: Option<Duration>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Inactivity {
    pub(crate) fn new(timeout: Option<Duration>) -> Self {
        Inactivity {
            timeout,
            sleep: None,
        }
    }

    /// Switches to another timeout (for example the authorizer's), counted from now.
    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
        self.sleep = None;
    }

    /// Progress was made: the silence counted so far no longer matters.
    pub(crate) fn restart(&mut self) {
        if let Some(sleep) = &mut self.sleep {
            match self.timeout.and_then(deadline) {
                Some(at) => sleep.as_mut().reset(at),
                None => self.sleep = None,
            }
        }
    }

    /// Whether the timeout has passed; otherwise `cx` is woken when it does.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.sleep.is_none() {
            let Some(at) = self.timeout.and_then(deadline) else {
                return false;
            };
            if tokio::runtime::Handle::try_current().is_err() {
                return false;
            }
            self.sleep = Some(Box::pin(tokio::time::sleep_until(at)));
        }
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().poll(cx).is_ready(),
            None => false,
        }
    }
}

/// `timeout` from now, or `None` if that is past the end of the clock (never).
fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}
