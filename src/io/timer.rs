//! A handshake's deadlines: a timeout on silence, restarted by each step of progress, and a
//! deadline on the whole handshake.
//!
//! Both are checked against the clock on every poll, before the transport is touched, so they
//! fire on time however much the peer sends (a runtime's timer polled inside its cooperative
//! budget can keep answering `Pending` while the transport keeps the task busy). The wake-up
//! for a silent peer comes from the crate's timer thread ([`Alarm`]), or, when asked for, from
//! Tokio's timer, which follows `tokio::time::pause` in tests.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::alarm::Alarm;

/// Which bound ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    /// No progress within the timeout.
    Silence,
    /// The whole handshake took too long.
    Total,
}

/// Which clock wakes a waiting handshake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Clock {
    /// The wall clock and the crate's timer thread: works on any runtime.
    #[default]
    Wall,
    /// Tokio's timer where the runtime has one (else the wall clock).
    Tokio,
}

/// The deadlines of one handshake, started on first use.
#[derive(Debug)]
pub(crate) struct Timer {
    clock: Clock,
    silence: Option<Duration>,
    total: Option<Duration>,
    started: bool,
    /// When the silence, and the whole handshake, run out (`None`: never).
    silence_ends: Option<Instant>,
    total_ends: Option<Instant>,
    wake: Wake,
}

#[derive(Debug)]
enum Wake {
    Nothing,
    Alarm(Alarm),
    Sleep(Pin<Box<Sleep>>),
}

impl Timer {
    pub(crate) fn new(clock: Clock, silence: Option<Duration>, total: Option<Duration>) -> Self {
        Timer {
            clock,
            silence,
            total,
            started: false,
            silence_ends: None,
            total_ends: None,
            wake: Wake::Nothing,
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
            self.silence_ends = self.silence.and_then(|t| self.now().checked_add(t));
        }
    }

    /// Which bound has run out, if any (the clock starts at the first call).
    pub(crate) fn expired(&mut self) -> Option<Expired> {
        if !self.started {
            self.start();
        }
        let now = self.now();
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
            (None, None) => {
                if let Wake::Alarm(_) = self.wake {
                    self.wake = Wake::Nothing;
                }
                return;
            }
        };
        match &mut self.wake {
            Wake::Sleep(sleep) => {
                if sleep.deadline() != at {
                    sleep.as_mut().reset(at);
                }
                // Registers the waker; whether it fired is read off the clock in `expired`. If
                // it is due already, no waker is kept: poll again at once.
                if sleep.as_mut().poll(cx).is_ready() {
                    cx.waker().wake_by_ref();
                }
            }
            // An alarm set for earlier wakes us early, and we set it again then.
            Wake::Alarm(alarm)
                if alarm.at() > std::time::Instant::now() && alarm.at() <= at.into_std() =>
            {
                alarm.update(cx.waker());
            }
            wake => match Alarm::set(at.into_std(), cx.waker()) {
                Some(alarm) => *wake = Wake::Alarm(alarm),
                // No timer thread could be started: poll again rather than miss the deadline.
                None => cx.waker().wake_by_ref(),
            },
        }
    }

    fn start(&mut self) {
        self.started = true;
        if self.clock == Clock::Tokio {
            if let Some(sleep) = tokio_sleep() {
                self.wake = Wake::Sleep(sleep);
            }
        }
        let now = self.now();
        self.silence_ends = self.silence.and_then(|t| now.checked_add(t));
        self.total_ends = self.total.and_then(|t| now.checked_add(t));
    }

    /// Tokio's clock while we wake with Tokio's timer (it may be paused), else the wall clock.
    fn now(&self) -> Instant {
        match self.wake {
            Wake::Sleep(_) => Instant::now(),
            _ => Instant::from_std(std::time::Instant::now()),
        }
    }
}

/// A Tokio `Sleep`, if this thread is in a Tokio runtime whose timer is enabled. Tokio panics
/// when asked for a timer it does not have and offers no way to ask first, so the panic is
/// caught, once per thread: Tokio's message goes through the panic hook that one time, and
/// the thread uses the crate's timer from then on. A build with `panic = "abort"` never asks.
fn tokio_sleep() -> Option<Pin<Box<Sleep>>> {
    thread_local! {
        static NO_TOKIO_TIMER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if cfg!(panic = "abort") || NO_TOKIO_TIMER.get() {
        return None;
    }
    tokio::runtime::Handle::try_current().ok()?;
    let far = Instant::now().checked_add(Duration::from_secs(86_400))?;
    let sleep = catch_unwind(AssertUnwindSafe(|| Box::pin(tokio::time::sleep_until(far)))).ok();
    NO_TOKIO_TIMER.set(sleep.is_none());
    sleep
}

/// A client's or server's handshake time limits, from which each handshake's [`Timer`] is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) silence: Option<Duration>,
    pub(crate) total: Option<Duration>,
    pub(crate) clock: Clock,
}

impl Limits {
    pub(crate) fn timer(&self) -> Timer {
        Timer::new(self.clock, self.silence, self.total)
    }
}

/// `future`, or `None` if it is not done within `limit` (`None`: no limit). Like
/// `tokio::time::timeout`, but on the crate's timer: it needs no runtime timer, and the limit
/// is checked before `future` is polled, so a future kept busy by a peer cannot outrun it.
pub(crate) async fn within<F: Future>(limit: Option<Duration>, future: F) -> Option<F::Output> {
    let mut timer = Timer::new(Clock::Wall, None, limit);
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        if timer.expired().is_some() {
            return std::task::Poll::Ready(None);
        }
        match future.as_mut().poll(cx) {
            std::task::Poll::Ready(output) => std::task::Poll::Ready(Some(output)),
            std::task::Poll::Pending => {
                timer.arm(cx);
                std::task::Poll::Pending
            }
        }
    })
    .await
}
