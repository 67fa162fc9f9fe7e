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
        let progress = Arc::new(Progress::default());
        // The attempt under way, should the total timeout end it.
        let mut current: Option<(String, String)> = None;
        let dial = async {
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
                    return Outcome::OutOfTime;
                }
                let (address, socket_address) =
                    (target.label.clone(), target.endpoint.socket_address());
                current = Some((address.clone(), socket_address.clone()));
                let attempt = attempt(target, Arc::clone(&progress));
                let outcome = until(after(self.attempt_timeout), attempt).await;
                current = None;
                let failure = match outcome {
                    Ok(Ok(done)) => return Outcome::Connected(done),
                    Ok(Err(failure)) => failure,
                    Err(_) if no_time_driver() => HandshakeError::NoTimeDriver.into(),
                    Err(_) => Failure::TimedOut {
                        step: progress.get(),
                        after: self.attempt_timeout,
                    },
                };
                let answered = failure.is_answer();
                trace::attempt_failed(&address, &failure);
                attempts.push(Attempt {
                    address,
                    socket_address: Some(socket_address),
                    failure,
                });
                if answered {
                    break;
                }
            }
            Outcome::Failed
        };
        let total_timeout = match until(total, dial).await {
            Ok(Outcome::Connected(done)) => return Ok(done),
            Ok(Outcome::Failed) => None,
            Ok(Outcome::OutOfTime) | Err(_) => Some(self.total_timeout),
        };
        if let (Some((address, socket_address)), Some(_)) = (current, total_timeout) {
            attempts.push(Attempt {
                address,
                socket_address: Some(socket_address),
                failure: Failure::TotalTimeout {
                    step: progress.get(),
                },
            });
        }
        Err(DialError {
            attempts,
            total_timeout,
            skipped,
        })
    }
}

/// How the loop over the targets ended.
enum Outcome<T> {
    Connected(T),
    /// Every target failed, or one answered.
    Failed,
    /// The total timeout passed between attempts.
    OutOfTime,
}

/// One address to try: how it is shown in errors, where it leads, and the address itself.
pub(super) struct Target<A> {
    pub(super) label: String,
    pub(super) endpoint: Endpoint,
    pub(super) address: A,
}
