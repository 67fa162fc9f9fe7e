//! WebSocket floods against the real server path (`websocket::accept` over `Server`): Pings
//! that are never read, frames announcing 1 MiB, silent and trickling upgrades, empty
//! messages. The attacker writes hand-built frames on a raw `TcpStream` from buffers made
//! before the measurement, so the heap counted is the server's.

use std::time::{Duration, Instant};

use secret_handshake::websocket::{self, Config, WsTransport};
use secret_handshake::{AllowAll, Client, Keypair, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::tally::{ReadTally, Tally};
use crate::common::{heap, net};

const MIB: isize = 1024 * 1024;
const KIB: isize = 1024;
/// A bound on waiting for an event, far above its time on a loaded machine.
const NO_HANG: Duration = Duration::from_secs(60);

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n\
Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

/// A masked client frame (mask 0, so the payload goes as it is) with `payload`.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= 125);
    let mut f = vec![0x80 | opcode, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(payload);
    f
}

/// `frame` repeated to about `bytes`.
fn flood(opcode: u8, payload: &[u8], bytes: usize) -> Vec<u8> {
    let one = frame(opcode, payload);
    one.repeat(bytes / one.len())
}

/// The header of a binary frame announcing `len` bytes (14 bytes).
fn announcing(len: u64) -> Vec<u8> {
    let mut f = vec![0x82, 0x80 | 127];
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(&[0; 4]);
    f
}

/// Connects and upgrades by hand, reading the response head on the stack.
async fn raw_upgrade(port: u16) -> TcpStream {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(UPGRADE).await.unwrap();
    let mut head = [0; 1024];
    let mut len = 0;
    while !head[..len].ends_with(b"\r\n\r\n") {
        let n = tcp.read(&mut head[len..len + 1]).await.unwrap();
        assert!(n > 0, "the server hung up during the upgrade");
        len += n;
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "not upgraded");
    tcp
}

/// Writes `data` over and over until `until`, or until the server hangs up.
async fn keep_writing(tcp: &mut TcpStream, data: &[u8], until: Instant) {
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match tokio::time::timeout(left, tcp.write_all(data)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

/// Runs `test` on a runtime of its own with two workers, alone among the tests that measure
/// the heap.
fn measured(test: impl std::future::Future<Output = ()>) {
    let _heap = heap::exclusive();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

fn server() -> Server<AllowAll> {
    Server::new(Keypair::generate(), net(), AllowAll).with_limits(
        secret_handshake::Limits::default().with_handshake_timeout(Some(Duration::from_secs(5))),
    )
}

async fn listen() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Serves one client with `websocket::accept`; returns whether it failed, and when.
fn serve_one(
    listener: TcpListener,
) -> tokio::task::JoinHandle<(Result<(), websocket::Error>, Duration)> {
    let server = server();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let started = Instant::now();
        let result = websocket::accept(&server, tcp).await.map(drop);
        (result, started.elapsed())
    })
}

#[test]
fn a_ping_flood_before_the_handshake_is_bounded_and_ends_by_its_deadline() {
    measured(async {
        let pings = flood(0x9, &[7; 125], 64 * 1024);
        let (listener, port) = listen().await;
        let base = heap::live();
        heap::reset_peak();
        let started = Instant::now();
        let serving = serve_one(listener);
        let mut tcp = raw_upgrade(port).await;
        keep_writing(&mut tcp, &pings, started + Duration::from_secs(7)).await;
        let (result, took) = serving.await.unwrap();
        let grew = heap::peak() - base;
        eprintln!(
            "ping flood before the handshake: {result:?} after {took:?}; heap peak +{} KiB",
            grew / KIB
        );
        assert!(result.is_err(), "the flood was let in");
        assert!(took < Duration::from_secs(6), "ended after {took:?}");
        assert!(grew <= 16 * MIB, "the server's heap grew by {grew} bytes");
    });
}

#[test]
fn a_ping_flood_after_the_handshake_fails_the_connection_instead_of_growing() {
    measured(async {
        let pings = flood(0x9, &[7; 125], 64 * 1024);
        let (listener, port) = listen().await;
        let server = server();
        let client = Client::new(Keypair::generate(), net());
        let key = *server.identity();
        let serving = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut stream = websocket::accept(&server, tcp).await.expect("handshake");
            // The application waits for data, as servers do.
            let mut buf = [0; 64];
            let started = Instant::now();
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
            (
                read.map(|r| r.map_err(|e| e.to_string())),
                started.elapsed(),
            )
        });
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let url = format!("ws://127.0.0.1:{port}/");
        let ws = WsTransport::connect_with(tcp, &url, &Config::default())
            .await
            .expect("upgrade");
        let mut stream = client.connect(ws, &key).await.expect("our handshake");
        let base = heap::live();
        heap::reset_peak();
        // From here on the client only writes Pings under the WebSocket, and reads nothing.
        let tcp = stream.get_mut().get_mut();
        keep_writing(tcp, &pings, Instant::now() + Duration::from_secs(7)).await;
        let (read, took) = serving.await.unwrap();
        let grew = heap::peak() - base;
        eprintln!(
            "ping flood after the handshake: {read:?} after {took:?}; heap peak +{} KiB",
            grew / KIB
        );
        let error = read
            .expect("the read neither failed nor ended: the flood went on")
            .expect_err("data");
        assert!(error.contains("Pings"), "{error}");
        assert!(grew <= 16 * MIB, "the server's heap grew by {grew} bytes");
    });
}

/// Opens `count` connections that each upgrade and send `sent`; returns the server's heap
/// growth per connection while they are all held open.
async fn held_per_connection(count: usize, sent: &[u8]) -> isize {
    let (listener, port) = listen().await;
    // A connection is settled when its server has read what was sent and waits for more, or
    // has turned it away (dropping the transport).
    let settled = Tally::new();
    let base = heap::live();
    let tally = settled.clone();
    let read = UPGRADE.len() + sent.len();
    let serving = tokio::spawn(async move {
        let server = server();
        let mut tasks = Vec::with_capacity(count);
        for _ in 0..count {
            let (tcp, _) = listener.accept().await.unwrap();
            let tcp = ReadTally::once_read(tcp, read, &tally);
            let server = server.clone();
            tasks.push(tokio::spawn(async move {
                websocket::accept(&server, tcp).await.map(drop)
            }));
        }
        tasks
    });
    let mut clients = Vec::with_capacity(count);
    for _ in 0..count {
        let mut tcp = raw_upgrade(port).await;
        tcp.write_all(sent).await.unwrap();
        clients.push(tcp);
    }
    let tasks = serving.await.unwrap();
    tokio::time::timeout(NO_HANG, settled.until(count))
        .await
        .expect("the server reads what was sent or turns the client away");
    let held = (heap::live() - base) / count as isize;
    drop(clients);
    for task in tasks {
        let _ = task.await;
    }
    held
}

#[test]
fn connections_announcing_big_frames_hold_at_most_64_kib_each() {
    measured(async {
        let mut huge = announcing(1024 * 1024);
        huge.extend_from_slice(&[0; 137]); // 151 bytes in all
        let mut largest = announcing(websocket::DEFAULT_MAX_MESSAGE as u64);
        largest.extend_from_slice(&[0; 137]);
        let held_huge = held_per_connection(200, &huge).await;
        let held_largest = held_per_connection(200, &largest).await;
        eprintln!(
            "per connection: {} KiB after announcing 1 MiB, {} KiB after announcing {} KiB",
            held_huge / KIB,
            held_largest / KIB,
            websocket::DEFAULT_MAX_MESSAGE / 1024
        );
        assert!(held_huge <= 64 * KIB, "{held_huge} bytes per connection");
        assert!(
            held_largest <= 64 * KIB,
            "{held_largest} bytes per connection"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_trickling_upgrades_end_by_the_upgrade_timeout() {
    let (silent, silent_port) = listen().await;
    let (trickle, trickle_port) = listen().await;
    let silent = serve_one(silent);
    let trickling = serve_one(trickle);
    let _quiet = TcpStream::connect(("127.0.0.1", silent_port))
        .await
        .unwrap();
    let mut slow = TcpStream::connect(("127.0.0.1", trickle_port))
        .await
        .unwrap();
    let drip = async {
        for byte in UPGRADE {
            if slow.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let (silent, trickling, ()) = tokio::join!(silent, trickling, async {
        let _ = tokio::time::timeout(Duration::from_secs(8), drip).await;
    });
    for (what, (result, took)) in [
        ("silent", silent.unwrap()),
        ("trickling", trickling.unwrap()),
    ] {
        let error = result.expect_err(what);
        assert!(
            matches!(&error, websocket::Error::Upgrade(e) if e.kind() == std::io::ErrorKind::TimedOut),
            "{what}: {error}"
        );
        assert!(
            took < Duration::from_secs(6),
            "{what}: ended after {took:?}"
        );
    }
}

#[test]
fn a_flood_of_empty_messages_ends_by_the_handshake_timeout() {
    measured(async {
        let empties = flood(0x2, &[], 64 * 1024);
        let (listener, port) = listen().await;
        let base = heap::live();
        heap::reset_peak();
        let serving = serve_one(listener);
        let mut tcp = raw_upgrade(port).await;
        keep_writing(&mut tcp, &empties, Instant::now() + Duration::from_secs(7)).await;
        let (result, took) = serving.await.unwrap();
        let grew = heap::peak() - base;
        eprintln!(
            "empty-message flood: {result:?} after {took:?}; heap peak +{} KiB",
            grew / KIB
        );
        let error = result.expect_err("let in");
        assert!(error.to_string().contains("timed out"), "{error}");
        assert!(took < Duration::from_secs(6), "ended after {took:?}");
        assert!(grew <= 16 * MIB, "the server's heap grew by {grew} bytes");
    });
}

#[tokio::test]
async fn a_net_client_on_a_websocket_port_is_told_the_transports_are_mixed_up() {
    let (listener, port) = listen().await;
    let serving = serve_one(listener);
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // What a `net:` client sends first: its 64-byte hello, not HTTP.
    tcp.write_all(&crate::common::payload(64, 1)).await.unwrap();
    // It is answered in HTTP, so that it can tell too, and hangs up once it has read that.
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 400 "), "{answer:?}");
    drop(tcp);
    let (result, took) = serving.await.unwrap();
    let error = result.expect_err("not HTTP");
    assert!(error.to_string().contains("net:"), "{error}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[test]
fn a_ping_flood_that_reads_its_pongs_still_ends_by_the_handshake_timeout() {
    measured(async {
        let pings = flood(0x9, &[7; 125], 64 * 1024);
        let (listener, port) = listen().await;
        let base = heap::live();
        heap::reset_peak();
        let serving = serve_one(listener);
        let (mut read, mut write) = raw_upgrade(port).await.into_split();
        let drain = tokio::spawn(async move {
            let mut sink = [0; 16 * 1024];
            while matches!(read.read(&mut sink).await, Ok(n) if n > 0) {}
        });
        let until = Instant::now() + Duration::from_secs(7);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match tokio::time::timeout(left, write.write_all(&pings)).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
        let (result, took) = serving.await.unwrap();
        drain.abort();
        let grew = heap::peak() - base;
        eprintln!(
            "ping flood, Pongs read: {result:?} after {took:?}; heap peak +{} KiB",
            grew / KIB
        );
        assert!(result.is_err(), "the flood was let in");
        assert!(took < Duration::from_secs(6), "ended after {took:?}");
        assert!(grew <= 16 * MIB, "the server's heap grew by {grew} bytes");
    });
}

/// A masked client frame header with a 16-bit length (8 bytes).
fn header16(first_byte: u8, len: u16) -> Vec<u8> {
    let mut f = vec![first_byte, 0x80 | 126];
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(&[0; 4]);
    f
}

#[test]
fn after_the_handshake_a_connection_stays_within_its_stated_bound() {
    measured(async {
        const COUNT: usize = 50;
        let half = (websocket::DEFAULT_MAX_MESSAGE / 2) as u16;
        // A first fragment of half the largest message, then a continuation announcing the
        // other half and sending 137 bytes of it: both reservations at once.
        let mut attack = header16(0x02, half);
        attack.resize(attack.len() + half as usize, 0);
        attack.extend(header16(0x80, half));
        attack.extend_from_slice(&[0; 137]);
        let (listener, port) = listen().await;
        let server = server();
        let key = *server.identity();
        let client = Client::new(Keypair::generate(), net());
        let url = format!("ws://127.0.0.1:{port}/");
        let (read, waiting) = (Tally::new(), Tally::new());
        let base = heap::live();
        let tallies = (read.clone(), waiting.clone());
        let serving = tokio::spawn(async move {
            let mut readers = Vec::with_capacity(COUNT);
            for _ in 0..COUNT {
                let (tcp, _) = listener.accept().await.unwrap();
                let tcp = ReadTally::bytes(tcp, &tallies.0);
                let mut stream = websocket::accept(&server, tcp).await.expect("handshake");
                // The application waits for data, as servers do.
                let waiting = tallies.1.clone();
                readers.push(tokio::spawn(async move {
                    let mut buf = [0; 16];
                    let mut read = std::pin::pin!(stream.read(&mut buf));
                    if futures::poll!(read.as_mut()).is_pending() {
                        waiting.add();
                    }
                    read.await.map(drop)
                }));
            }
            readers
        });
        let mut clients = Vec::with_capacity(COUNT);
        for _ in 0..COUNT {
            let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let ws = WsTransport::connect_with(tcp, &url, &Config::default())
                .await
                .expect("upgrade");
            clients.push(client.connect(ws, &key).await.expect("handshake"));
        }
        let readers = serving.await.unwrap();
        tokio::time::timeout(NO_HANG, waiting.until(COUNT))
            .await
            .expect("every server waits for data");
        // Both ends of each connection: an upper bound for the server's.
        let established = (heap::live() - base) / COUNT as isize;
        let before = heap::live();
        let handshakes_read = read.count();
        for stream in &mut clients {
            stream.get_mut().get_mut().write_all(&attack).await.unwrap();
        }
        // Every server has taken in the attack and waits for the rest of it.
        tokio::time::timeout(NO_HANG, read.until(handshakes_read + COUNT * attack.len()))
            .await
            .expect("the servers read the attack");
        let attacked = (heap::live() - before) / COUNT as isize;
        eprintln!(
            "after the handshake, per connection: {} KiB for both ends, +{} KiB on the server \
             holding a half message and a half-announced fragment",
            established / KIB,
            attacked / KIB
        );
        assert!(
            readers.iter().all(|r| !r.is_finished()),
            "a connection failed"
        );
        assert!(
            established <= 96 * KIB,
            "{established} bytes per connection"
        );
        assert!(attacked <= 96 * KIB, "{attacked} bytes more per connection");
        drop(clients);
        for reader in readers {
            let _ = reader.await;
        }
    });
}

/// A runtime built without timers: a bound that cannot be kept is refused at once (fail
/// closed) with the error that names the missing time driver, and nothing panics.
#[test]
fn a_silent_upgrade_on_a_runtime_without_timers_fails_closed_and_does_not_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (listener, port) = listen().await;
        let _silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let config = Config::default().with_upgrade_timeout(Some(Duration::from_millis(300)));
        let started = Instant::now();
        let error = websocket::accept_with(&server(), tcp, &config)
            .await
            .expect_err("a silent client");
        assert!(
            matches!(
                &error,
                websocket::Error::Handshake(secret_handshake::HandshakeError::NoTimeDriver)
            ),
            "{error}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    });
}
