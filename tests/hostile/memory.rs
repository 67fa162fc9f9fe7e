//! Heap per TCP connection under attack, before and after authentication, counted by the
//! binary's allocator: the bounds the crate docs state.

use std::time::Duration;

use secret_handshake::handshake::{ClientHandshake, Handshake, Next};
use secret_handshake::{AllowAll, Client, Keypair, Server, DEFAULT_WRITE_BUFFER};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::tally::{ReadTally, Tally};
use crate::common::{heap, net};

/// The docs' bound for a connection whose handshake is in progress.
const HANDSHAKING: isize = 4 * 1024;
/// The docs' bound for an established stream: the write buffer's limit, the 16 KiB read
/// buffer, and the stream itself.
const ESTABLISHED: isize = DEFAULT_WRITE_BUFFER as isize + 20 * 1024;
/// A bound on waiting for an event, far above its time on a loaded machine.
const NO_HANG: Duration = Duration::from_secs(60);

/// Runs `test` alone in the binary, on a runtime of its own that is gone before the next
/// measurement starts (a runtime frees its tasks when dropped).
fn alone<F: std::future::Future>(test: F) -> F::Output {
    let _exclusive = heap::exclusive();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(test)
}

#[test]
fn two_hundred_clients_stalled_mid_handshake_hold_at_most_4_kib_each() {
    alone(stalled_mid_handshake());
}

async fn stalled_mid_handshake() {
    const CLIENTS: usize = 200;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(Keypair::generate(), net(), AllowAll).with_limits(
        secret_handshake::Limits::default().with_handshake_timeout(Some(Duration::from_secs(30))),
    );
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let Next::Send(msg1) = machine.next() else {
        panic!("a client starts by sending")
    };
    let half_hello = msg1[..30].to_vec();
    // The clients first, so that their sockets are not counted as the server's.
    let mut clients = Vec::with_capacity(CLIENTS);
    let mut accepted = Vec::with_capacity(CLIENTS);
    let read = Tally::new();
    for _ in 0..CLIENTS {
        let (client, incoming) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let mut client = client.unwrap();
        client.write_all(&half_hello).await.unwrap();
        clients.push(client);
        let tcp = incoming.unwrap().0;
        accepted.push(ReadTally::once_read(tcp, half_hello.len(), &read));
    }
    let before = heap::live();
    let handshakes: Vec<_> = accepted
        .into_iter()
        .map(|tcp| tokio::spawn(server.accept(tcp)))
        .collect();
    // Every handshake has read its 30 bytes and waits for the rest.
    tokio::time::timeout(NO_HANG, read.until(CLIENTS))
        .await
        .expect("the handshakes read what the clients sent");
    let per_connection = (heap::live() - before) / CLIENTS as isize;
    eprintln!("mid-handshake: {per_connection} B per connection");
    assert!(
        per_connection <= HANDSHAKING,
        "{per_connection} B per connection"
    );
    for handshake in &handshakes {
        handshake.abort();
    }
    drop(clients);
}

#[test]
fn fifty_established_clients_that_flood_and_never_read_hold_the_stated_bound() {
    alone(flooded_and_never_read());
}

async fn flooded_and_never_read() {
    const CLIENTS: usize = 50;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    static FLOOD: [u8; 16 * 1024] = [0x5a; 16 * 1024];
    let echoes_blocked = Tally::new();
    let before = heap::live();
    heap::reset_peak();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (tcp, incoming) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let (c, s) = tokio::join!(
            client.connect(tcp.unwrap(), server.identity()),
            server.accept(incoming.unwrap().0),
        );
        let (mut attacker, mut echo) = (c.unwrap(), s.unwrap());
        // The attacker keeps at most a frame buffered of its own, and never reads.
        attacker.set_write_buffer_limit(1);
        tasks.push(tokio::spawn(async move {
            while attacker.write_all(&FLOOD).await.is_ok() {}
        }));
        // The server echoes what it reads, so its writes back fill up and wait; the first
        // write that waits (its buffer full, the socket too) is counted.
        let blocked = echoes_blocked.clone();
        tasks.push(tokio::spawn(async move {
            let mut buf = vec![0; 1024];
            let mut counted = false;
            while let Ok(n @ 1..) = echo.read(&mut buf).await {
                let mut write = std::pin::pin!(echo.write_all(&buf[..n]));
                if !counted && futures::poll!(write.as_mut()).is_pending() {
                    counted = true;
                    blocked.add();
                }
                if write.await.is_err() {
                    break;
                }
            }
        }));
    }
    // Every server's writes wait, its read buffer and its write buffer as full as they get.
    tokio::time::timeout(NO_HANG, echoes_blocked.until(CLIENTS))
        .await
        .expect("the echoes' writes fill up");
    let per_connection = (heap::peak() - before) / CLIENTS as isize;
    eprintln!("established, flooded: {per_connection} B per connection pair at peak");
    // Both ends of each connection live in this process: the server's stream, and the
    // attacker's (one frame buffered, its read buffer never used), with both sockets and tasks.
    let attacker = 16 * 1024;
    assert!(
        per_connection <= ESTABLISHED + attacker,
        "{per_connection} B per connection pair"
    );
    for task in tasks {
        task.abort();
    }
}

#[test]
fn a_slow_reader_does_not_make_the_writer_copy_its_buffer_for_every_frame() {
    alone(slow_reader());
}

/// A peer that takes 4 KiB at a time keeps the write buffer full with room only at its two
/// ends: growing it anew for each frame would allocate and copy 64 KiB per frame.
async fn slow_reader() {
    const FRAMES: usize = 512;
    let (mut writer, mut reader) = crate::common::pairs::duplex_pair(4096).await;
    let chunk = [0x33; 4096];
    let before = heap::allocations();
    let write = async {
        for _ in 0..FRAMES {
            writer.write_all(&chunk).await.unwrap();
        }
        writer.shutdown().await.unwrap();
    };
    let read = async {
        let mut buf = vec![0; 4096];
        let mut total = 0;
        loop {
            match reader.read(&mut buf).await.unwrap() {
                0 => return total,
                n => total += n,
            }
        }
    };
    let ((), total) = tokio::join!(write, read);
    assert_eq!(total, FRAMES * chunk.len());
    let allocations = heap::allocations() - before;
    eprintln!("{allocations} allocations for {FRAMES} frames");
    assert!(
        allocations < (FRAMES / 8) as u64,
        "{allocations} allocations for {FRAMES} frames"
    );
}
