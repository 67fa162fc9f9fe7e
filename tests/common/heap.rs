//! A counting global allocator, for tests and benches that bound memory: live bytes, the peak
//! since the last [`reset_peak`], the number of allocations and the bytes they asked for. A test
//! binary opts in with
//!
//! ```ignore
//! #[global_allocator]
//! static HEAP: common::heap::Counting = common::heap::Counting;
//! ```
//!
//! (the benches include this file with `#[path]`). The counts are process-wide: a test that reads them must not share the process with others
//! running at the same time (take [`exclusive`] for the whole measurement).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

/// Forwards to the system allocator, counting.
pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);

/// One allocation (or reallocation) of `size` bytes that grew the heap by `by`.
fn allocated(size: usize, by: isize) {
    ALLOCATIONS.fetch_add(1, Relaxed);
    ALLOCATED.fetch_add(size as u64, Relaxed);
    grew(by);
}

thread_local! {
    // Const-initialised without a destructor: safe to touch from the allocator.
    static THREAD_LIVE: Cell<isize> = const { Cell::new(0) };
    static THREAD_PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(by: isize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
    let _ = THREAD_LIVE.try_with(|live| {
        let now = live.get() + by;
        live.set(now);
        let _ = THREAD_PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are plain atomics and allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            allocated(layout.size(), layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            allocated(layout.size(), layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        let _ = THREAD_LIVE.try_with(|live| live.set(live.get() - layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            allocated(new_size, new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Bytes allocated on the heap now (0 unless the binary installed [`Counting`]).
pub fn live() -> isize {
    LIVE.load(Relaxed)
}

/// The most bytes live at once since the last [`reset_peak`].
pub fn peak() -> isize {
    PEAK.load(Relaxed)
}

/// Starts a new peak from what is live now.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

/// The most bytes this thread's allocations (less its frees) came to while `work` ran, above
/// where they stood before: a measure that other tests running at the same time do not
/// disturb (for work that stays on this thread, such as a current-thread runtime's).
pub fn thread_peak_of(work: impl FnOnce()) -> isize {
    let before = THREAD_LIVE.with(Cell::get);
    THREAD_PEAK.with(|peak| peak.set(before));
    work();
    THREAD_PEAK.with(Cell::get) - before
}

/// Allocations made so far (a reallocation counts as one).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Relaxed)
}

/// Bytes asked for by the allocations made so far (a reallocation counts its new size).
pub fn allocated_bytes() -> u64 {
    ALLOCATED.load(Relaxed)
}

/// Serialises the tests of one binary that measure the heap (poisoning is ignored: a failed
/// test must not fail the others).
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The resident set of this process, in bytes, from `/proc/self/statm` (0 elsewhere).
pub fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
