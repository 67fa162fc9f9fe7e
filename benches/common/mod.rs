//! Support shared by the benches: a short criterion configuration, a summary that reads back
//! the estimates criterion wrote during this run to print each figure beside its limit, and a
//! loopback TCP pair.
//!
//! Used as `mod common;` from every bench.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use tokio::net::{TcpListener, TcpStream};

/// Short runs, so that the whole suite takes a few minutes on a 2-core machine.
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

static STARTED: OnceLock<SystemTime> = OnceLock::new();

/// Call first in `main`: estimates older than this are from an earlier run and are not used.
pub fn start() {
    STARTED.get_or_init(SystemTime::now);
}

/// Whether this is a real `cargo bench` run (not `cargo test --benches`, `--list`, ...).
pub fn is_bench_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a == "--profile-time")
}

/// The cargo target directory, found the way criterion finds it.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // This binary is target/<profile>/deps/<name>-<hash>.
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn criterion_dir() -> PathBuf {
    match std::env::var_os("CRITERION_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => target_dir().join("criterion"),
    }
}

/// The median time per iteration, in nanoseconds, that criterion measured in this run for
/// `group/id` (`id` as criterion names the directory, e.g. `boxstream/4096`). `None` if that
/// benchmark did not run in this process (filtered out).
pub fn median_ns(group: &str, id: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(id)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < *STARTED.get()? {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// The figures `benches/js/bench.js` wrote to `target/js-bench.json`, if it has been run.
pub fn js_reference() -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(target_dir().join("js-bench.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The 1-minute load average, from /proc/loadavg.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// MiB/s for `bytes` processed in `ns` nanoseconds.
pub fn mib_per_s(bytes: f64, ns: f64) -> f64 {
    bytes / (ns * 1e-9) / (1024.0 * 1024.0)
}

/// `met` or `MISSED`.
pub fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// Prints a summary heading with the load it was taken under.
pub fn heading(title: &str) {
    println!();
    println!("==== {title} (load average 1 min: {}) ====", load_average());
}

/// Median figures of an interleaved A/B measurement.
pub struct Interleaved {
    /// Median time of one `a`, in nanoseconds.
    pub a_ns: f64,
    /// Median time of one `b`, in nanoseconds.
    pub b_ns: f64,
    /// Median over rounds of time(a) / time(b).
    pub ratio: f64,
    /// Rounds measured.
    pub rounds: usize,
}

/// Times `a` and `b` alternately, `n` calls each per round (which goes first swaps every round),
/// and takes medians over `rounds`. Both sides see the same machine at nearly the same moment, so
/// the ratio holds up under the load of other processes far better than two separate criterion
/// benchmarks taken a minute apart.
pub fn interleaved(rounds: usize, n: u32, mut a: impl FnMut(), mut b: impl FnMut()) -> Interleaved {
    fn time(n: u32, f: &mut impl FnMut()) -> f64 {
        let start = std::time::Instant::now();
        for _ in 0..n {
            f();
        }
        start.elapsed().as_nanos() as f64 / f64::from(n)
    }
    // Warm up both.
    time(n, &mut a);
    time(n, &mut b);
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = time(n, &mut a);
            (x, time(n, &mut b))
        } else {
            let y = time(n, &mut b);
            (time(n, &mut a), y)
        };
        ta.push(x);
        tb.push(y);
        ratios.push(x / y);
    }
    Interleaved {
        a_ns: median(&mut ta),
        b_ns: median(&mut tb),
        ratio: median(&mut ratios),
        rounds,
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

/// A connected loopback TCP pair through `listener`, with Nagle off on both ends.
pub async fn tcp_pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
    let addr = listener.local_addr().expect("addr");
    let (a, b) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let (a, b) = (a.expect("connect"), b.expect("accept").0);
    a.set_nodelay(true).expect("nodelay");
    b.set_nodelay(true).expect("nodelay");
    (a, b)
}

/// `iters` times: `writer` writes `data` (one `write_all`, then `flush`) while `reader` reads
/// it, both on one thread.
pub async fn transfer<W, R>(
    writer: &mut W,
    reader: &mut R,
    data: &[u8],
    sink: &mut [u8],
    iters: u64,
) where
    W: tokio::io::AsyncWrite + Unpin,
    R: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..iters {
        let (w, r) = tokio::join!(
            async {
                writer.write_all(data).await?;
                writer.flush().await
            },
            reader.read_exact(sink)
        );
        w.expect("write");
        r.expect("read");
    }
}
