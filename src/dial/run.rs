//! The dial loop: each target in turn, within the attempt and total timeouts, recording every
//! failure.

use std::future::Future;
use std::sync::Arc;

use super::deadline::{after, passed, until};
use super::error::{Attempt, DialError, Failure};
use super::open::Progress;
use super::Dialer;
use crate::io::timer::no_time_driver;
use crate::multiserver::Endpoint;
use crate::trace;
use crate::HandshakeError;
use tokio::time::Instant;

impl Dialer {
    /// Tries each target in order, each within the attempt timeout and all within the total.
    pub(super) async fn run<A, T, F, Fut>(
        &self,
        targets: impl Iterator<Item = Result<Target<A>, (String, Failure)>>,
        skipped: usize,
        attempt: F,
    ) -> Result<T, DialError>
    where
        F: Fn(Target<A>, Arc<Progress>) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let total = after(self.total_timeout);
        let mut attempts = Vec::new();
        let mut total_timeout = None;
        let progress = Arc::new(Progress::default());
        for target in targets {
            let target = match target {
                Ok(target) => target,
                Err((address, failure)) => {
                    attempts.push(Attempt {
                        address,
                        socket_address: None,
                        failure,
                    });
                    continue;
                }
            };
            if passed(total) {
                total_timeout = Some(self.total_timeout);
                break;
            }
            let (address, socket_address) =
                (target.label.clone(), target.endpoint.socket_address());
            // One deadline per attempt: its own, or the total's if that comes first.
            let deadline = earliest(after(self.attempt_timeout), total);
            let failure = match until(deadline, attempt(target, Arc::clone(&progress))).await {
                Ok(Ok(done)) => return Ok(done),
                Ok(Err(failure)) => failure,
                Err(_) if no_time_driver() => HandshakeError::NoTimeDriver.into(),
                Err(_) if passed(total) => {
                    total_timeout = Some(self.total_timeout);
                    Failure::TotalTimeout {
                        step: progress.get(),
                    }
                }
                Err(_) => Failure::TimedOut {
                    step: progress.get(),
                    after: self.attempt_timeout,
                },
            };
            // The peer's answer ends the dial, as does the end of the time for it.
            let done = failure.is_answer() || total_timeout.is_some();
            trace::attempt_failed(&address, &failure);
            attempts.push(Attempt {
                address,
                socket_address: Some(socket_address),
                failure,
            });
            if done {
                break;
            }
        }
        Err(DialError {
            attempts,
            total_timeout,
            skipped,
        })
    }
}

/// The earlier of two deadlines (`None`: never).
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One address to try: how it is shown in errors, where it leads, and the address itself.
pub(super) struct Target<A> {
    pub(super) label: String,
    pub(super) endpoint: Endpoint,
    pub(super) address: A,
}
