//! Counters for the benchmark: the heap (through the tests' counting allocator) and the
//! process's CPU time.

use std::time::Duration;

/// Live heap bytes, counted by the tests' allocator (installed in `main.rs`).
pub(crate) fn live() -> i64 {
    crate::heap::live() as i64
}

pub(crate) fn allocations() -> u64 {
    crate::heap::allocations()
}

/// User and system CPU time of the whole process so far, from /proc/self/stat.
pub(crate) fn cpu_time() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let per_tick = Duration::from_secs(1) / clock_ticks_per_second();
    (per_tick * ticks(11) as u32, per_tick * ticks(12) as u32)
}

pub(crate) fn clock_ticks_per_second() -> u32 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100)
}
