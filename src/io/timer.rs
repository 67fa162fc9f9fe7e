//! Deadlines on Tokio's clock: a handshake's timeout on silence, restarted by each step of
//! progress, and its deadline on the whole; and [`within`] / [`until`] for any future.
//!
//! Each bound is checked against Tokio's clock on every poll, before the transport is
//! touched, so it fires on time however much the peer sends (a timer that is only polled
//! after a busy transport could keep answering `Pending`). A waiting task is woken by a Tokio
//! [`Sleep`], so `tokio::time::pause` and `advance` move every deadline.
//!
//! A deadline needs the runtime's time driver (`enable_time`). Tokio panics when asked for a
//! timer it does not have and offers no way to ask first, so [`sleep_until`] asks once per
//! thread, catching that panic: Tokio's message goes through the panic hook that one time.
//! Without a driver a handshake with a deadline fails with `HandshakeError::NoTimeDriver`.

use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Which bound ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    /// No progress within the timeout.
    Silence,
    /// The whole handshake took too long.
    Total,
    /// A bound is set, but the runtime has no time driver to keep it.
    NoTimeDriver,
}

/// The deadlines of one handshake, started on first use.
#[derive(Debug)]
pub(crate) struct Timer {
    silence: Option<Duration>,
    total: Option<Duration>,
    started: bool,
    /// When the silence, and the whole handshake, run out (`None`: never).
    silence_ends: Option<Instant>,
    total_ends: Option<Instant>,
    /// Wakes a waiting task; made at the start when a bound is set.
    sleep: Option<Pin<Box<Sleep>>>,
    no_driver: bool,
}

impl Timer {
    pub(crate) fn new(silence: Option<Duration>, total: Option<Duration>) -> Self {
        Timer {
            silence,
            total,
            started: false,
            silence_ends: None,
            total_ends: None,
            sleep: None,
            no_driver: false,
        }
    }

    /// Switches to another timeout on silence (for example the authorizer's), counted from now.
    pub(crate) fn set_timeout(&mut self, silence: Option<Duration>) {
        self.silence = silence;
        self.restart();
    }

    /// Progress was made: the silence counted so far no longer matters.
    pub(crate) fn restart(&mut self) {
        if self.started {
            self.silence_ends = self.silence.and_then(|t| Instant::now().checked_add(t));
        }
    }

    /// Which bound has run out, if any (the clock starts at the first call).
    pub(crate) fn expired(&mut self) -> Option<Expired> {
        if !self.started {
            self.start();
        }
        if self.no_driver && (self.silence_ends.is_some() || self.total_ends.is_some()) {
            return Some(Expired::NoTimeDriver);
        }
        let now = Instant::now();
        if self.total_ends.is_some_and(|end| now >= end) {
            Some(Expired::Total)
        } else if self.silence_ends.is_some_and(|end| now >= end) {
            Some(Expired::Silence)
        } else {
            None
        }
    }

    /// Arranges for `cx` to be woken when the next bound runs out (call before `Pending`).
    pub(crate) fn arm(&mut self, cx: &mut Context<'_>) {
        let at = match (self.silence_ends, self.total_ends) {
            (Some(a), Some(b)) => a.min(b),
            (Some(at), None) | (None, Some(at)) => at,
            (None, None) => return,
        };
        let sleep = match &mut self.sleep {
            Some(sleep) => sleep,
            None => match sleep_until(at) {
                Some(sleep) => self.sleep.insert(sleep),
                // A bound set later on a runtime without timers (`set_timeout`): poll again,
                // and `expired` says so.
                None => {
                    self.no_driver = true;
                    cx.waker().wake_by_ref();
                    return;
                }
            },
        };
        if sleep.deadline() != at {
            sleep.as_mut().reset(at);
        }
        // Registers the waker; whether it fired is read off the clock in `expired`. If it is
        // due already, no waker is kept: poll again at once.
        if sleep.as_mut().poll(cx).is_ready() {
            cx.waker().wake_by_ref();
        }
    }

    fn start(&mut self) {
        self.started = true;
        if self.silence.is_none() && self.total.is_none() {
            return; // untimed: no clock and no timer are touched
        }
        let now = Instant::now();
        self.silence_ends = self.silence.and_then(|t| now.checked_add(t));
        self.total_ends = self.total.and_then(|t| now.checked_add(t));
        if let Some(at) = self.silence_ends.or(self.total_ends) {
            self.sleep = sleep_until(at);
            self.no_driver = self.sleep.is_none();
        }
    }
}

/// A Tokio `Sleep` until `at`, if this thread is in a Tokio runtime with a time driver. The
/// answer "no driver" is remembered for the thread, so Tokio's panic message is printed once
/// per thread (a thread that later runs another runtime, with timers, is still refused).
/// Built with `panic = "abort"` the panic cannot be caught: a runtime without timers then
/// aborts the process when a deadline is set (Tokio's own panic).
fn sleep_until(at: Instant) -> Option<Pin<Box<Sleep>>> {
    thread_local! {
        static NO_DRIVER: Cell<bool> = const { Cell::new(false) };
    }
    if NO_DRIVER.get() || tokio::runtime::Handle::try_current().is_err() {
        return None;
    }
    if cfg!(panic = "abort") {
        return Some(Box::pin(tokio::time::sleep_until(at)));
    }
    let sleep = catch_unwind(AssertUnwindSafe(|| Box::pin(tokio::time::sleep_until(at)))).ok();
    NO_DRIVER.set(sleep.is_none());
    sleep
}

/// `future`, or `None` if it is not done within `limit` from now (`None`: no limit; a limit
/// past the end of the clock, such as `Duration::MAX`: none either). Like
/// `tokio::time::timeout`, but the clock is checked before `future` is polled, so a future
/// kept busy by a peer cannot outrun it. Without a time driver, a limit counts as run out.
#[cfg(feature = "websocket")]
pub(crate) fn within<F: Future>(
    limit: Option<Duration>,
    future: F,
) -> impl Future<Output = Option<F::Output>> {
    let deadline = limit.and_then(|limit| Instant::now().checked_add(limit));
    until(deadline, future)
}

/// `future`, or `None` if it is not done by `deadline` on Tokio's clock (`None`: never). The
/// deadline is checked before `future` is polled, as in [`within`]. On a runtime without a
/// time driver (or outside Tokio) a deadline counts as passed at once: `None` without polling
/// `future` (fail closed).
///
/// `future` is pinned once, where it is: [`within`] is not an `async fn` around this one, as
/// each layer would hold its own copy, and the dialler's nested futures would outgrow a test
/// thread's stack in debug builds.
pub(crate) async fn until<F: Future>(deadline: Option<Instant>, future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let Some(deadline) = deadline else {
        return Some(future.await);
    };
    let mut sleep = sleep_until(deadline)?;
    std::future::poll_fn(|cx| {
        if Instant::now() >= deadline {
            return Poll::Ready(None);
        }
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}
