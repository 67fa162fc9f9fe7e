//! One timer thread for the whole process: wakes a task's waker at an instant on the wall
//! clock. It needs no runtime's timer, so deadlines hold on a Tokio runtime built without
//! timers, under async-std or smol (through `tokio_util::compat`), and however busy the task
//! is (nothing here is subject to a runtime's cooperative budget).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

/// A waker to wake at an instant; dropping it cancels the wake-up. Holds one map entry, so
/// memory is bounded by the handshakes in progress.
pub(crate) struct Alarm {
    key: (Instant, u64),
    /// The waker registered, to skip the lock when the task polls again with the same one.
    waker: Waker,
}

impl Alarm {
    /// Wakes `waker` at `at` (at once if `at` has passed). `None` if the timer thread cannot
    /// be started (the system is out of threads).
    pub(crate) fn set(at: Instant, waker: &Waker) -> Option<Alarm> {
        let alarms = alarms()?;
        let mut queue = alarms.lock();
        queue.next_id += 1;
        let key = (at, queue.next_id);
        let first = queue
            .wakers
            .keys()
            .next()
            .is_none_or(|&earliest| key < earliest);
        queue.wakers.insert(key, waker.clone());
        drop(queue);
        if first {
            alarms.changed.notify_one();
        }
        Some(Alarm {
            key,
            waker: waker.clone(),
        })
    }

    /// When this alarm goes off.
    pub(crate) fn at(&self) -> Instant {
        self.key.0
    }

    /// Wakes `waker` instead of the one given before (the task moved, say).
    pub(crate) fn update(&mut self, waker: &Waker) {
        if self.waker.will_wake(waker) {
            return;
        }
        match ALARMS.lock().wakers.get_mut(&self.key) {
            Some(registered) => registered.clone_from(waker),
            // It went off just now, waking the old waker: wake the new one too.
            None => waker.wake_by_ref(),
        }
        self.waker.clone_from(waker);
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        ALARMS.lock().wakers.remove(&self.key);
    }
}

impl std::fmt::Debug for Alarm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alarm").field("at", &self.key.0).finish()
    }
}

struct Alarms {
    queue: Mutex<Queue>,
    /// Signalled when an alarm earlier than all others is set.
    changed: Condvar,
}

struct Queue {
    wakers: BTreeMap<(Instant, u64), Waker>,
    next_id: u64,
}

impl Alarms {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock; if something did, the map is still whole.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The timer thread: wakes what is due, sleeps until the next alarm or a new earlier one.
    fn run(&self) {
        let mut queue = self.lock();
        loop {
            let now = Instant::now();
            let later = queue.wakers.split_off(&(now, u64::MAX));
            let due = std::mem::replace(&mut queue.wakers, later);
            if !due.is_empty() {
                drop(queue);
                for waker in due.into_values() {
                    // A waker that panics must not take every other deadline down with it.
                    let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
                }
                queue = self.lock();
                continue;
            }
            queue = match queue.wakers.keys().next() {
                Some(&(at, _)) => {
                    let wait = self.changed.wait_timeout(queue, at - now);
                    wait.unwrap_or_else(|poisoned| poisoned.into_inner()).0
                }
                None => self
                    .changed
                    .wait(queue)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            };
        }
    }
}

/// The process's timer thread, started on first use; `None` if it could not be started (tried
/// again next time).
fn alarms() -> Option<&'static Alarms> {
    if STARTED.load(Ordering::Acquire) {
        return Some(&ALARMS);
    }
    let _starting = START
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !STARTED.load(Ordering::Acquire) {
        std::thread::Builder::new()
            .name("secret-handshake-timer".into())
            .spawn(|| ALARMS.run())
            .ok()?;
        STARTED.store(true, Ordering::Release);
    }
    Some(&ALARMS)
}

static ALARMS: Alarms = Alarms {
    queue: Mutex::new(Queue {
        wakers: BTreeMap::new(),
        next_id: 0,
    }),
    changed: Condvar::new(),
};
static STARTED: AtomicBool = AtomicBool::new(false);
static START: Mutex<()> = Mutex::new(());
