//! Resource use across many connections: 10,000 connections over loopback TCP, including
//! rejected, timed-out, hung-up and garbage-spewing clients, leave no file descriptors, tasks or
//! memory behind.
//!
//! The measurements are process-wide, so the test runs alone in a process of its own: the
//! binary runs itself again with only this test.
#![cfg(target_os = "linux")]

use crate::common;

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::net;
use secret_handshake::handshake::{ClientHandshake, Handshake, Next};
use secret_handshake::{Client, HandshakeError, Keypair, NetworkKey, PublicKey, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};

const CONNECTIONS: usize = 10_000;
const WARM_UP: usize = 500;
const CONCURRENCY: usize = 64;
/// Short, so that the clients that stall do not dominate the run; long enough that honest
/// handshakes never hit it on a loaded machine.
const SERVER_TIMEOUT: Duration = Duration::from_secs(1);

const BANNED_SEED: [u8; 32] = [0xba; 32];

/// What client `i` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Handshake, "ping" / "pong", goodbyes both ways.
    Honest,
    /// Another network key: rejected in phase 1.
    WrongNetwork,
    /// An identity the authorizer turns down: rejected in phase 3.
    Banned,
    /// Connects and sends nothing: the server times out in phase 1.
    Silent,
    /// Sends message 1 and stalls: the server times out in phase 3.
    StallsAfterHello,
    /// Sends 30 bytes of message 1 and hangs up.
    HangsUp,
    /// Completes the handshake, then writes 64 KiB of garbage instead of frames.
    Garbage,
}

fn kind(i: usize) -> Kind {
    match (i % 10, i % 40) {
        (_, 5) => Kind::Silent,
        (_, 25) => Kind::StallsAfterHello,
        (1, _) => Kind::WrongNetwork,
        (3, _) => Kind::Banned,
        (7, _) => Kind::Garbage,
        (9, _) => Kind::HangsUp,
        _ => Kind::Honest,
    }
}

/// What the server must see from each kind of client.
fn server_outcome(kind: Kind) -> &'static str {
    match kind {
        Kind::Honest => "ok",
        Kind::WrongNetwork => "InvalidHello in phase 1",
        Kind::Banned => "Unauthorized in phase 3",
        Kind::Silent => "Timeout in phase 1",
        Kind::StallsAfterHello => "Timeout in phase 3",
        Kind::HangsUp => "PeerClosed in phase 1",
        Kind::Garbage => "read InvalidData",
    }
}

/// A failed handshake as [`server_outcome`] names it: the variant and the phase.
fn outcome_of(e: &HandshakeError) -> String {
    let variant = match e {
        HandshakeError::InvalidHello(_) => "InvalidHello",
        HandshakeError::Unauthorized => "Unauthorized",
        HandshakeError::Timeout(_) => "Timeout",
        HandshakeError::PeerClosed(_) => "PeerClosed",
        _ => return format!("unexpected {e}"),
    };
    let phase = e.phase().map_or(0, |p| p.number());
    format!("{variant} in phase {phase}")
}

/// Serves one connection; returns what happened, as in [`server_outcome`].
async fn serve<A: secret_handshake::Authorize>(server: Server<A>, tcp: TcpStream) -> String {
    let mut stream = match server.accept(tcp).await {
        Ok(stream) => stream,
        Err(e @ HandshakeError::Io(..)) => return format!("unexpected {e}"),
        Err(e) => return outcome_of(&e),
    };
    let mut ping = Vec::new();
    if let Err(e) = stream.read_to_end(&mut ping).await {
        return format!("read {:?}", e.kind());
    }
    let Some(i) = std::str::from_utf8(&ping)
        .ok()
        .and_then(|p| p.strip_prefix("ping "))
    else {
        return format!("unexpected ping {ping:?}");
    };
    let pong = format!("pong {i}");
    if let Err(e) = stream.write_all(pong.as_bytes()).await {
        return format!("write {e}");
    }
    match stream.shutdown().await {
        Ok(()) => "ok".into(),
        Err(e) => format!("shutdown {e}"),
    }
}

/// Runs client `i` against the server at `address`; panics if it sees anything unexpected.
async fn run_client(i: usize, address: SocketAddr, server_key: PublicKey) {
    let mut tcp = TcpStream::connect(address).await.expect("connect");
    let kind = kind(i);
    match kind {
        Kind::Honest | Kind::WrongNetwork | Kind::Banned | Kind::Garbage => {
            let client = match kind {
                Kind::WrongNetwork => {
                    Client::new(Keypair::generate(), NetworkKey::from_bytes([i as u8; 32]))
                }
                Kind::Banned => Client::new(Keypair::from_seed(&BANNED_SEED), net()),
                _ => Client::new(Keypair::generate(), net()),
            };
            let result = client.connect(tcp, &server_key).await;
            let mut stream = match (kind, result) {
                (Kind::WrongNetwork, Err(HandshakeError::PeerClosed(p))) if p.number() == 1 => {
                    return
                }
                (Kind::Banned, Err(HandshakeError::PeerClosed(p))) if p.number() == 3 => return,
                (Kind::Honest | Kind::Garbage, Ok(stream)) => stream,
                (kind, other) => panic!("client {i} ({kind:?}): {other:?}"),
            };
            if kind == Kind::Garbage {
                let mut garbage = vec![0u8; 64 << 10];
                for (j, b) in garbage.iter_mut().enumerate() {
                    *b = (j * 131 + i) as u8 ^ (j >> 8) as u8;
                }
                // Straight onto the transport, bypassing the box-stream. The server may hang up
                // (and reset) before taking it all.
                let _ = stream.get_mut().write_all(&garbage).await;
                let e = stream
                    .read(&mut [0; 16])
                    .await
                    .expect_err("server drops us");
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
                    ),
                    "client {i}: {e}"
                );
                return;
            }
            stream
                .write_all(format!("ping {i}").as_bytes())
                .await
                .unwrap();
            stream.shutdown().await.unwrap();
            let mut pong = Vec::new();
            stream.read_to_end(&mut pong).await.unwrap();
            assert_eq!(pong, format!("pong {i}").as_bytes());
        }
        Kind::Silent => {
            let mut rest = Vec::new();
            tcp.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty());
        }
        Kind::StallsAfterHello => {
            let machine = ClientHandshake::new(&Keypair::generate(), &net(), &server_key);
            let Next::Send(msg1) = machine.next() else {
                panic!()
            };
            tcp.write_all(msg1).await.unwrap();
            let mut rest = Vec::new();
            tcp.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest.len(), 64, "client {i}: message 2, then the close");
        }
        Kind::HangsUp => {
            tcp.write_all(&[0x42; 30]).await.unwrap();
        }
    }
}

/// Runs clients `range` with at most [`CONCURRENCY`] at a time and waits until the server
/// finished every one of them; checks the server's outcomes against the kinds of clients.
async fn run_batch(
    range: std::ops::Range<usize>,
    address: SocketAddr,
    server_key: PublicKey,
    outcomes: &mut mpsc::UnboundedReceiver<String>,
    peak_fds: &AtomicUsize,
) {
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let mut clients = tokio::task::JoinSet::new();
    let mut expected = BTreeMap::new();
    for i in range.clone() {
        *expected
            .entry(server_outcome(kind(i)).to_string())
            .or_insert(0) += 1;
        let permit = Arc::clone(&slots).acquire_owned().await.unwrap();
        if i % 256 == 0 {
            peak_fds.fetch_max(open_fds(), Ordering::Relaxed);
        }
        clients.spawn(async move {
            run_client(i, address, server_key).await;
            drop(permit);
        });
        // Surface client panics as they happen.
        while let Some(done) = clients.try_join_next() {
            done.unwrap();
        }
    }
    while let Some(done) = clients.join_next().await {
        done.unwrap();
    }
    // The server's handlers finish in any order: compare counts per outcome.
    let mut seen = BTreeMap::new();
    for _ in range {
        let outcome = tokio::time::timeout(Duration::from_secs(30), outcomes.recv())
            .await
            .expect("the server finishes every connection")
            .unwrap();
        *seen.entry(outcome).or_insert(0) += 1;
    }
    assert_eq!(seen, expected);
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[derive(Debug, Clone, Copy)]
struct Usage {
    fds: usize,
    heap: isize,
    rss_kib: usize,
    tasks: usize,
}

/// What the process holds once the runtime has released every task but `tasks_left` (a leaked
/// task fails the test's assertion after a bounded wait).
async fn usage(tasks_left: usize) -> Usage {
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let started = Instant::now();
    while alive() > tasks_left && started.elapsed() < Duration::from_secs(10) {
        tokio::task::yield_now().await;
    }
    Usage {
        fds: open_fds(),
        heap: common::heap::live(),
        rss_kib: rss_kib(),
        tasks: tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
    }
}

/// Set in the process that runs the measurement.
const ALONE: &str = "SHS_LEAKS_ALONE";

#[test]
fn ten_thousand_connections_leave_no_fds_tasks_or_memory_behind() {
    if std::env::var_os(ALONE).is_some() {
        return measure();
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "leaks::ten_thousand_connections_leave_no_fds_tasks_or_memory_behind",
        ])
        .args(["--test-threads", "1", "--nocapture"])
        .env(ALONE, "1")
        .output()
        .expect("run the test alone");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    eprintln!("{stderr}");
    assert!(output.status.success(), "{}\n{stdout}", output.status);
    assert!(
        stdout.contains("1 passed"),
        "the test did not run alone:\n{stdout}"
    );
}

fn measure() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let banned = *Keypair::from_seed(&BANNED_SEED).public();
        let server =
            Server::new(
                Keypair::generate(),
                net(),
                move |key: PublicKey| async move {
                    Ok::<_, std::io::Error>((key != banned).then_some(()))
                },
            )
            .with_limits(
                secret_handshake::Limits::default().with_handshake_timeout(Some(SERVER_TIMEOUT)),
            );
        let server_key = *server.identity();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, mut outcomes) = mpsc::unbounded_channel();
        let acceptor = tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let server = server.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let outcome = serve(server, tcp).await; // drops the connection
                    let _ = tx.send(outcome);
                });
            }
        });
        let peak_fds = AtomicUsize::new(0);

        let started = Instant::now();
        run_batch(0..WARM_UP, address, server_key, &mut outcomes, &peak_fds).await;
        let before = usage(1).await; // the acceptor
        let warm_up = started.elapsed();

        let started = Instant::now();
        run_batch(
            WARM_UP..WARM_UP + CONNECTIONS,
            address,
            server_key,
            &mut outcomes,
            &peak_fds,
        )
        .await;
        let elapsed = started.elapsed();
        let after = usage(1).await;

        eprintln!(
            "warm-up: {WARM_UP} connections in {warm_up:.2?}; then {CONNECTIONS} in {elapsed:.2?} \
             ({CONCURRENCY} at a time)\n  before: {before:?}\n  after:  {after:?}\n  \
             peak fds {}",
            peak_fds.load(Ordering::Relaxed)
        );
        assert!(
            peak_fds.load(Ordering::Relaxed) > before.fds + CONCURRENCY / 2,
            "the fd count does see connections"
        );
        assert!(
            after.fds <= before.fds + 2,
            "file descriptors leaked: {} before, {} after",
            before.fds,
            after.fds
        );
        assert_eq!(after.tasks, before.tasks, "tasks leaked");
        // Measured: exactly 0. The tolerance is under 7 bytes per connection, less than the
        // smallest allocation, so even one leaked `Box<u64>` per connection fails this.
        let heap_growth = after.heap - before.heap;
        assert!(
            heap_growth < 64 << 10,
            "heap grew by {heap_growth} bytes over {CONNECTIONS} connections"
        );
        let rss_growth = after.rss_kib.saturating_sub(before.rss_kib);
        assert!(
            rss_growth < 8 << 10,
            "resident memory grew by {rss_growth} KiB over {CONNECTIONS} connections"
        );
        acceptor.abort();
    });
}
