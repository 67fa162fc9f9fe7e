//! The cross-language shs1-test suites (npm `shs1-test@1.1.1`) against our testees,
//! `examples/shs1_server.rs` and `examples/shs1_client.rs`.
//!
//! Each suite runs 45 handshakes with keys from a seed: 20 with a well-behaved peer and 25 with a
//! misbehaving one. The seed is random per run and printed; rerun a failure with
//! `SHS1_TEST_SEED=<seed> cargo test --test shs1`, or by hand with
//! `tests/interop/node_modules/.bin/shs1testserver target/debug/examples/shs1_server <seed>`.
//!
//! Needs Node.js and npm (`npm ci` runs in `tests/interop` if needed) and the built examples
//! (`cargo test` builds them; before `cargo test --test shs1`, run `cargo build --examples`).

use crate::common;

use std::fs::{self, File};
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The suite has no timeout of its own; a testee that hangs would hang it forever.
const SUITE_TIMEOUT: Duration = Duration::from_secs(180);

/// Handshakes per suite with a misbehaving peer: each must make our testee fail, and it reports
/// that in one stderr line starting with `<testee>: handshake failed (phase `.
const MISBEHAVING_PEERS: usize = 25;

#[test]
fn shs1_test_server_suite() {
    let Some(node) = common::node::require() else {
        return;
    };
    run_suite(node, "server");
}

#[test]
fn shs1_test_client_suite() {
    let Some(node) = common::node::require() else {
        return;
    };
    run_suite(node, "client");
}

/// Runs `command` until it exits, or kills it after `limit`; `None` if it had to be killed.
fn wait_at_most(command: Command, limit: Duration) -> std::io::Result<Option<ExitStatus>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut child = tokio::process::Command::from(command).spawn()?;
        match tokio::time::timeout(limit, child.wait()).await {
            Ok(status) => status.map(Some),
            Err(_) => child.kill().await.map(|()| None),
        }
    })
}

/// Runs `shs1test<role>` against the example `shs1_<role>` and checks that every test passed.
fn run_suite(node: common::Node, role: &str) {
    let testee = common::example_path(&format!("shs1_{role}"));
    let suite = node.bin(&format!("shs1test{role}"));
    let seed = seed();
    println!("shs1-test {role} suite, seed {seed} (rerun with SHS1_TEST_SEED={seed})");

    // stdout and stderr share one file (and one file offset), so the log keeps their order.
    let log_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("shs1-{role}-{}-{seed}.log", std::process::id()));
    let log = File::create(&log_path).expect("create the suite log");
    let mut command = Command::new(&suite);
    command
        .arg(&testee)
        .arg(&seed)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log handle"))
        .stderr(log);
    let started = Instant::now();
    let status = wait_at_most(command, SUITE_TIMEOUT)
        .unwrap_or_else(|e| panic!("could not run {}: {e}", suite.display()));
    let elapsed = started.elapsed();
    let mut output = String::new();
    File::open(&log_path)
        .and_then(|mut f| f.read_to_string(&mut output))
        .expect("read the suite log");
    let _ = fs::remove_file(&log_path);

    let context = format!("shs1test{role} with seed {seed}");
    let Some(status) = status else {
        panic!("{context} did not finish within {SUITE_TIMEOUT:?}; output so far:\n{output}");
    };
    // The suite exits with its number of failures and prints no count of tests run.
    assert!(status.success(), "{context} failed ({status}):\n{output}");
    assert!(
        output.contains(&format!("Passed the {role} test suite")),
        "{context} exited 0 but did not report a pass:\n{output}"
    );
    // That all misbehaving peers were caught shows the suite ran its tests against our testee.
    let failures = output
        .matches(&format!("shs1_{role}: handshake failed (phase "))
        .count();
    assert_eq!(
        failures, MISBEHAVING_PEERS,
        "{context}: expected our testee to reject {MISBEHAVING_PEERS} misbehaving peers:\n{output}"
    );
    println!("shs1-test {role} suite passed in {elapsed:.2?}");
}

/// `SHS1_TEST_SEED`, or a fresh random seed (from /dev/urandom, else the clock).
fn seed() -> String {
    if let Ok(seed) = std::env::var("SHS1_TEST_SEED") {
        return seed;
    }
    let mut bytes = [0u8; 8];
    let random = File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    let value = match random {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    };
    value.to_string()
}
