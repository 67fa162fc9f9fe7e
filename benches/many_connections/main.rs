//! Many concurrent established box-streams over loopback TCP in one process.
//!
//! `cargo bench --bench many_connections` (a plain program, not criterion): raises the open-file
//! limit to its hard limit, then, on a 2-worker tokio runtime, opens `--pairs` client/server
//! pairs (default 9,000: both ends live here, two descriptors a pair) with `--in-flight`
//! handshakes at a time (default 512) and prints
//! * the set-up rate (handshakes/s), next to one core's in-memory (sans-IO) handshake rate:
//!   target set-up / (2 cores × in-memory rate) >= 0.8;
//! * live heap per pair (a counting global allocator, plus the two `BoxStream` structs) right
//!   after the handshake, and once every pair has sent one 4-byte ping each way and gone quiet;
//! * p50/p99 of one ping round trip, all pairs at once and one pair at a time;
//! * where set-up time goes: CPU time per pair (user and system) against the in-memory
//!   handshake, allocations per pair, the same set-up with timers off, the adapter over an
//!   in-memory duplex, and plain TCP with no handshake.
//!
//! `-- --quick` uses 2,000 pairs; `cargo test --benches` runs a 16-pair smoke pass. For a
//! profile of the set-up alone: `perf record -e cpu-clock -g <bench binary> --bench
//! --setup-only --pairs 3000` (build with `CARGO_PROFILE_BENCH_DEBUG=true` for symbols).

#[path = "../common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../../tests/common/heap.rs"]
mod heap;
mod meter;
mod one_core;
mod tcp;

use std::sync::Arc;
use std::time::Duration;

use secret_handshake::BoxStream;
use tokio::net::TcpStream;

use meter::live;
use one_core::{duplex_rate, in_memory_rate, Rate};
use tcp::{
    cpu_us, ping_all_at_once, ping_one_at_a_time, runtime, set_up_box_streams, set_up_plain_tcp,
    Pair, Peers, SetUp,
};

/// The tests' counting allocator: `meter` reads it.
#[global_allocator]
static GLOBAL: heap::Counting = heap::Counting;

/// The two worker threads every TCP figure runs on.
const WORKERS: usize = 2;

struct Config {
    pairs: usize,
    in_flight: usize,
    /// A real benchmark run (all variants), not the `cargo test --benches` smoke pass.
    full: bool,
}

impl Config {
    fn from_args() -> Config {
        let args: Vec<String> = std::env::args().collect();
        let value = |name: &str| {
            let at = args.iter().position(|a| a == name)?;
            args.get(at + 1)?.parse().ok()
        };
        let full = common::is_bench_run();
        let quick = args.iter().any(|a| a == "--quick");
        let default_pairs = match (full, quick) {
            (false, _) => 16,
            (true, true) => 2_000,
            (true, false) => 9_000,
        };
        Config {
            pairs: value("--pairs").unwrap_or(default_pairs),
            in_flight: value("--in-flight").unwrap_or(512),
            full,
        }
    }
}

/// Raises the soft open-file limit to the hard one; fewer pairs (said loudly) if even that is
/// too low for two descriptors a pair plus a margin.
fn fit_to_file_limit(pairs: usize) -> usize {
    let soft = rlimit::increase_nofile_limit(u64::MAX).expect("raise RLIMIT_NOFILE");
    let fit = usize::try_from(soft.saturating_sub(256) / 2).unwrap_or(usize::MAX);
    if fit < pairs {
        println!("open-file limit {soft}: {fit} pairs instead of {pairs}");
        return fit;
    }
    println!("open-file limit {soft} (raised to the hard limit): {pairs} pairs in one process");
    pairs
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

fn print_rtts(what: &str, mut rtts: Vec<Duration>) {
    rtts.sort();
    println!(
        "ping round trip, {what:<20} p50 {:>8.1} µs  p99 {:>8.1} µs  max {:>8.1} µs",
        percentile(&rtts, 0.5).as_secs_f64() * 1e6,
        percentile(&rtts, 0.99).as_secs_f64() * 1e6,
        percentile(&rtts, 1.0).as_secs_f64() * 1e6,
    );
}

/// One row of the set-up table.
fn print_row(what: &str, rate: f64, cpu_us: f64, setup: Option<&SetUp>, n: usize, base: Rate) {
    let detail = match setup {
        Some(setup) => format!(
            "{:>6.0} {:>6.0} {:>5.0} % {:>7.1}",
            setup.user.as_secs_f64() * 1e6 / n as f64,
            setup.system.as_secs_f64() * 1e6 / n as f64,
            100.0 * (setup.user + setup.system).as_secs_f64()
                / (WORKERS as f64 * setup.elapsed.as_secs_f64()),
            setup.allocations as f64 / n as f64,
        ),
        None => format!("{:>6} {:>6} {:>7} {:>7}", "", "", "1 core", ""),
    };
    println!(
        "{what:<30} {rate:>8.0} {cpu_us:>8.0} {detail} {:>+9.0}",
        cpu_us - base.cpu_us
    );
}

fn main() {
    common::start();
    let mut config = Config::from_args();
    config.pairs = fit_to_file_limit(config.pairs);
    let n = config.pairs;
    let timers = Some(Duration::from_secs(5));
    if std::env::args().any(|a| a == "--setup-only") {
        // For a profiler: nothing but one set-up.
        let rt = runtime();
        let mut pairs = Vec::with_capacity(n);
        let setup = set_up_box_streams(&rt, &config, Arc::new(Peers::new(timers)), &mut pairs);
        println!("{n} pairs in {:.2} s", setup.elapsed.as_secs_f64());
        return;
    }
    common::heading(&format!(
        "{n} concurrent box-stream pairs over loopback TCP, {WORKERS} workers, {} handshakes \
         in flight",
        config.in_flight
    ));

    if !config.full {
        println!("(smoke pass: too few pairs for the figures to mean anything)");
    }
    let batch = if config.full { 200 } else { 4 };
    let in_memory = in_memory_rate(false, batch);
    let warm = in_memory_rate(true, batch);
    println!(
        "in-memory sans-IO handshake on one core: {:.0}/s ({:.0} µs CPU); with warm key caches \
         {:.0}/s ({:.0} µs CPU)",
        in_memory.per_s, in_memory.cpu_us, warm.per_s, warm.cpu_us
    );

    // Heap per stream and the headline set-up rate, with the default 5 s handshake timers.
    let rt = runtime();
    let mut pairs: Vec<Pair<TcpStream>> = Vec::with_capacity(n);
    let before = live();
    let setup = set_up_box_streams(&rt, &config, Arc::new(Peers::new(timers)), &mut pairs);
    let after_handshake = live();
    let (wall, rtts) = ping_all_at_once(&rt, &mut pairs);
    // The round-trip times are the bench's, not the streams'.
    let quiet = live() - (rtts.capacity() * std::mem::size_of::<Duration>()) as i64;
    let buffered: usize = pairs
        .iter()
        .map(|(c, s)| c.buffered_capacity() + s.buffered_capacity())
        .sum();
    let sequential = ping_one_at_a_time(&rt, &mut pairs);
    assert_eq!(pairs.len(), n);
    drop(pairs);
    drop(rt);

    let rate = setup.rate(n);
    let ratio = rate / (WORKERS as f64 * in_memory.per_s);
    println!(
        "set-up: {rate:.0} handshakes/s = {ratio:.2} × {WORKERS} cores' in-memory rate (target \
         >= 0.8: {}); {:.2} × with warm caches",
        common::verdict(ratio >= 0.8),
        rate / (WORKERS as f64 * warm.per_s)
    );
    println!(
        "  by CPU time (robust to other load): in-memory CPU / set-up CPU per pair = {:.2}",
        in_memory.cpu_us / cpu_us(&setup, n)
    );
    // The structs sit in the pre-reserved Vec; an application holds them in its tasks, so they
    // are added back for the per-pair figures.
    let structs = 2 * std::mem::size_of::<BoxStream<TcpStream>>();
    let per_pair = |bytes: i64| bytes as f64 / n as f64 + structs as f64;
    let grown = (quiet - after_handshake) as f64 / (2 * n) as f64;
    println!(
        "heap per pair (two streams, their {structs} B of structs included): {:.0} B right after \
         the handshake, {:.0} B quiet after one 4-byte ping each way; +{grown:.0} B per stream \
         (target <= +512 B: {})",
        per_pair(after_handshake - before),
        per_pair(quiet - before),
        common::verdict(grown <= 512.0),
    );
    println!(
        "  of which the streams' own buffers (BoxStream::buffered_capacity): {:.0} B per stream",
        buffered as f64 / (2 * n) as f64
    );
    println!(
        "all {n} pairs pinged at once: {:.1} ms for the round ({:.0} round trips/s)",
        wall.as_secs_f64() * 1e3,
        n as f64 / wall.as_secs_f64()
    );
    print_rtts("all at once", rtts);
    print_rtts("one at a time", sequential);
    if !config.full {
        return;
    }

    // Where the set-up time goes: each variant on a fresh runtime (a fresh IO driver and timer
    // wheel), all pairs closed in between.
    let variant = |timeout| {
        let rt = runtime();
        let mut pairs = Vec::with_capacity(n);
        let setup = set_up_box_streams(&rt, &config, Arc::new(Peers::new(timeout)), &mut pairs);
        drop(pairs);
        setup
    };
    let untimed = variant(None);
    let timed = variant(timers);
    let (plain, plain_heap) = set_up_plain_tcp(&runtime(), &config);
    let duplex_timed = duplex_rate(timers, batch);
    let duplex_untimed = duplex_rate(None, batch);
    println!();
    println!("where set-up time goes ({n} pairs a row; CPU over in-memory = the adapter's share):");
    println!(
        "{:<30} {:>8} {:>8} {:>6} {:>6} {:>7} {:>7} {:>9}",
        "", "per s", "CPU µs", "user", "system", "busy", "allocs", "CPU over"
    );
    print_row(
        "in-memory sans-IO",
        in_memory.per_s,
        in_memory.cpu_us,
        None,
        n,
        in_memory,
    );
    print_row(
        "duplex, default timers",
        duplex_timed.per_s,
        duplex_timed.cpu_us,
        None,
        n,
        in_memory,
    );
    print_row(
        "duplex, no timers",
        duplex_untimed.per_s,
        duplex_untimed.cpu_us,
        None,
        n,
        in_memory,
    );
    for (what, setup) in [
        ("TCP, default timers (1st run)", &setup),
        ("TCP, default timers (2nd run)", &timed),
        ("TCP, no timers", &untimed),
    ] {
        print_row(
            what,
            setup.rate(n),
            cpu_us(setup, n),
            Some(setup),
            n,
            in_memory,
        );
    }
    let zero = Rate {
        per_s: 0.0,
        cpu_us: 0.0,
    };
    print_row(
        "plain TCP, no handshake",
        plain.rate(n),
        cpu_us(&plain, n),
        Some(&plain),
        n,
        zero,
    );
    println!("plain TCP heap per pair (tokio's registration of two sockets): {plain_heap:.0} B");
}
