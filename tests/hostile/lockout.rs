//! Crowds of slow unauthenticated peers against the [`Listener`]: honest clients from another
//! address still get in within 2 s, memory per pending client stays within the docs' bound,
//! and no client is held past its deadline whatever it sends.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secret_handshake::handshake::{ClientHandshake, Handshake, Next};
use secret_handshake::websocket::{Config, WsTransport};
use secret_handshake::{AllowAll, Client, Keypair, Limits, Listener, PublicKey, Server};
use std::io::Write as _;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::crowd::{
    from_another_address, raise_fd_limit, upgrade_by_hand, Kind, Running, FRAME_HEAD, UPGRADE,
};
use crate::common::{heap, net};

/// The docs' bounds on the heap of one pending client.
const PENDING_TCP: isize = 8 * 1024;
const PENDING_WS: isize = 64 * 1024;

/// How long an honest client may take under attack.
const HONEST: Duration = Duration::from_secs(2);

async fn listening(kind: Kind, limits: Limits) -> (Listener<AllowAll>, PublicKey, u16) {
    let server = Server::new(Keypair::generate(), net(), AllowAll).with_limits(limits);
    let key = *server.identity();
    let listener = Listener::bind("127.0.0.1:0", server).await.unwrap();
    let listener = match kind {
        Kind::Tcp => listener,
        Kind::Ws => listener.with_websocket(Config::default()),
    };
    let port = listener.local_addr().unwrap().port();
    (listener, key, port)
}

/// An honest client from 127.0.0.2; how long it took to be through the handshake.
async fn honest(port: u16, kind: Kind, key: PublicKey) -> Duration {
    let started = Instant::now();
    let client = Client::new(Keypair::generate(), net());
    let attempt = async {
        let tcp = from_another_address(port).await?;
        match kind {
            Kind::Tcp => drop(client.connect(tcp, &key).await?),
            Kind::Ws => {
                let url = format!("ws://127.0.0.1:{port}/");
                let ws = WsTransport::connect_with(tcp, &url, &Config::default()).await?;
                drop(client.connect(ws, &key).await?);
            }
        }
        io::Result::Ok(())
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(())) => started.elapsed(),
        Ok(Err(e)) => panic!(
            "the honest client failed after {:?}: {e}",
            started.elapsed()
        ),
        Err(_) => panic!("the honest client was locked out for 10 s"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn honest_clients_get_in_despite(crowd_size: usize, kind: Kind) {
    if !raise_fd_limit(2 * crowd_size as u64 + 256) {
        return;
    }
    // Alone: the heap figures of other tests stay clean, and the timing is this crowd's.
    let _exclusive = heap::exclusive();
    runtime().block_on(async {
        let (mut listener, key, port) = listening(kind, Limits::default()).await;
        let served = tokio::spawn(async move {
            loop {
                // Failures are the crowd's deadlines; authenticated clients are the honest ones.
                drop(listener.accept().await);
            }
        });
        let running = Running::start(crowd_size, port, kind, Duration::from_secs(3));
        let crowd = Arc::clone(&running.crowd);
        // Every trickler has been in once, a source's whole share (32) got as far as trickling,
        // and more came than there are places.
        let share = secret_handshake::DEFAULT_MAX_HANDSHAKES_PER_SOURCE;
        if tokio::time::timeout(Duration::from_secs(30), crowd.pressing(crowd_size, share))
            .await
            .is_err()
        {
            panic!(
                "the crowd of {crowd_size} never pressed: {}",
                crowd.summary()
            );
        }
        for attempt in 0..5 {
            let took = honest(port, kind, key).await;
            eprintln!("{kind:?}, {crowd_size} tricklers: honest client {attempt} in {took:?}");
            assert!(took < HONEST, "attempt {attempt}: {took:?}");
        }
        eprintln!("{kind:?}, {crowd_size} tricklers: {}", crowd.summary());
        drop(running);
        served.abort();
    });
}

#[test]
fn honest_tcp_clients_get_in_despite_256_tricklers() {
    honest_clients_get_in_despite(256, Kind::Tcp);
}

#[test]
fn honest_tcp_clients_get_in_despite_1000_tricklers() {
    honest_clients_get_in_despite(1000, Kind::Tcp);
}

#[test]
fn honest_websocket_clients_get_in_despite_256_tricklers() {
    honest_clients_get_in_despite(256, Kind::Ws);
}

#[test]
fn honest_websocket_clients_get_in_despite_1000_tricklers() {
    honest_clients_get_in_despite(1000, Kind::Ws);
}

/// Heap per pending client, with `count` clients waiting mid-handshake (over TCP: the server's
/// hello read by the client; over WebSocket: upgraded, the hello not yet sent). The clients
/// are std sockets, which allocate nothing, so only the server's side is counted.
fn heap_per_pending(kind: Kind, count: usize) -> isize {
    const BATCH: usize = 64; // well within any listen queue
    let _exclusive = heap::exclusive();
    runtime().block_on(async {
        let limits = Limits::default()
            .with_max_handshakes_per_source(count)
            .with_max_handshakes(count);
        let (mut listener, key, port) = listening(kind, limits).await;
        let machine = ClientHandshake::new(&Keypair::generate(), &net(), &key);
        let Next::Send(hello) = machine.next() else {
            panic!("a client starts by sending")
        };
        let first = match kind {
            Kind::Tcp => hello.to_vec(),
            Kind::Ws => UPGRADE.to_vec(),
        };
        let mut clients = Vec::with_capacity(count);
        let mut answers = vec![[0u8; 512]; count];
        let before = heap::live();
        while clients.len() < count {
            for _ in 0..BATCH.min(count - clients.len()) {
                let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
                tcp.write_all(&first).unwrap();
                tcp.set_nonblocking(true).unwrap();
                clients.push(tcp);
            }
            while listener.in_flight() < clients.len() {
                tokio::select! {
                    biased;
                    _ = listener.accept() => panic!("a client got through"),
                    () = tokio::task::yield_now() => {}
                }
            }
        }
        // Each server task has answered: it holds its state mid-handshake.
        let wanted = |buf: &[u8]| match kind {
            Kind::Tcp => buf.len() == 64,
            Kind::Ws => buf.ends_with(b"\r\n\r\n"),
        };
        for (tcp, buf) in clients.iter_mut().zip(&mut answers) {
            let mut len = 0;
            while !wanted(&buf[..len]) {
                match std::io::Read::read(tcp, &mut buf[len..64.max(len + 1)]) {
                    Ok(0) => panic!("a pending client was dropped"),
                    Ok(n) => len += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        tokio::task::yield_now().await
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
        assert_eq!(listener.in_flight(), count);
        let per_client = (heap::live() - before) / count as isize;
        eprintln!("{kind:?}: {per_client} B per pending client");
        drop(listener);
        drop(clients);
        per_client
    })
}

#[test]
fn memory_per_pending_client_stays_within_the_stated_bound() {
    let tcp = heap_per_pending(Kind::Tcp, 256);
    assert!(tcp <= PENDING_TCP, "TCP: {tcp} B per pending client");
    let ws = heap_per_pending(Kind::Ws, 256);
    assert!(ws <= PENDING_WS, "WebSocket: {ws} B per pending client");
}

/// What a slow client sends before it trickles, to be caught in each step.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Still telling WebSocket from secret-handshake: `G`, then silence (any byte decides).
    Sniff,
    /// In the HTTP upgrade: a request line, then header bytes.
    Upgrade,
    /// In the secret handshake over TCP: hello bytes.
    Handshake,
    /// In the secret handshake over WebSocket: upgraded, then a frame byte by byte.
    WsHandshake,
}

/// Connects, sends what `step` needs, then a byte every 200 ms (nothing more in `Sniff`);
/// returns how long the server held the connection.
async fn held_for(port: u16, step: Step) -> Duration {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut buf = [0; 1024];
    let (first, then): (&[u8], &[u8]) = match step {
        Step::Sniff => (b"G", b""),
        Step::Upgrade => (b"GET / HTTP/1.1\r\n", b"X"),
        Step::Handshake => (b"\x01", b"\x5a"),
        Step::WsHandshake => {
            upgrade_by_hand(&mut tcp, &mut buf).await.unwrap();
            (&FRAME_HEAD, b"\0")
        }
    };
    tcp.write_all(first).await.unwrap();
    let mut interval = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = interval.tick() => {
                if tcp.write_all(then).await.is_err() {
                    return started.elapsed();
                }
            }
            _ = tcp.read(&mut buf) => return started.elapsed(),
        }
    }
}

#[test]
fn no_client_is_held_past_its_deadline_whatever_it_sends() {
    const DEADLINE: Duration = Duration::from_secs(2);
    runtime().block_on(async {
        let server = Server::new(Keypair::generate(), net(), AllowAll)
            .with_limits(Limits::default().with_handshake_deadline(Some(DEADLINE)));
        let mut listener = Listener::bind("127.0.0.1:0", server)
            .await
            .unwrap()
            .with_websocket_or_shs(Config::default());
        let port = listener.local_addr().unwrap().port();
        let served = tokio::spawn(async move {
            let mut failures = Vec::new();
            while failures.len() < 4 {
                match listener.accept().await {
                    Err(e) => failures.push(e.to_string()),
                    Ok(_) => panic!("a trickler got through"),
                }
            }
            failures
        });
        let steps = [
            Step::Sniff,
            Step::Upgrade,
            Step::Handshake,
            Step::WsHandshake,
        ];
        let held = futures::future::join_all(steps.map(|step| held_for(port, step))).await;
        for (step, held) in steps.iter().zip(held) {
            eprintln!("{step:?}: held {held:?}");
            assert!(
                held >= DEADLINE - Duration::from_millis(100),
                "{step:?}: {held:?}"
            );
            assert!(
                held <= DEADLINE + Duration::from_secs(1),
                "{step:?}: {held:?}"
            );
        }
        for failure in served.await.unwrap() {
            assert!(
                failure.contains("not authenticated within the deadline"),
                "{failure}"
            );
        }
    });
}

#[test]
fn websocket_accept_has_one_deadline_across_the_upgrade_and_the_handshake() {
    use secret_handshake::websocket::{self, Error};
    const DEADLINE: Duration = Duration::from_secs(2);
    runtime().block_on(async {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        let server = Server::new(Keypair::generate(), net(), AllowAll)
            .with_limits(Limits::default().with_handshake_deadline(Some(DEADLINE)));
        let accepting = tokio::spawn(async move {
            let (io, _) = tcp.accept().await.unwrap();
            websocket::accept(&server, io).await.map(drop)
        });
        let started = Instant::now();
        let mut client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        // Most of the deadline in the upgrade (within its own 5 s timeout)...
        let (early, late) = UPGRADE.split_at(20);
        client.write_all(early).await.unwrap();
        let mut pace = tokio::time::interval(Duration::from_millis(1500));
        pace.tick().await;
        pace.tick().await;
        client.write_all(late).await.unwrap();
        let mut buf = [0; 1024];
        let mut len = 0;
        while !buf[..len].ends_with(b"\r\n\r\n") {
            len += client.read(&mut buf[len..]).await.unwrap();
        }
        // ...then the handshake, trickled: it gets what is left of the deadline, not its own.
        let mut pace = tokio::time::interval(Duration::from_millis(200));
        let mut sent = 0;
        let held = loop {
            tokio::select! {
                _ = pace.tick() => {
                    let byte = FRAME_HEAD.get(sent).copied().unwrap_or(0);
                    sent += 1;
                    if client.write_all(&[byte]).await.is_err() {
                        break started.elapsed();
                    }
                }
                _ = client.read(&mut buf) => break started.elapsed(),
            }
        };
        let error = accepting.await.unwrap().unwrap_err();
        assert!(matches!(error, Error::Deadline(_)), "{error}");
        assert!(
            held < DEADLINE + Duration::from_millis(900),
            "held {held:?}"
        );
    });
}

#[test]
fn a_unix_listener_is_owner_only_replaces_nothing_and_holds_its_deadline() {
    use std::os::unix::fs::PermissionsExt;
    const DEADLINE: Duration = Duration::from_secs(1);
    let dir = crate::common::temp_dir::TempDir::new("unix-listener");
    let path = dir.path().join("shs.sock");
    runtime().block_on(async {
        let server = || {
            Server::new(Keypair::generate(), net(), AllowAll)
                .with_limits(Limits::default().with_handshake_deadline(Some(DEADLINE)))
        };
        let mut listener = Listener::bind_unix(&path, server()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(listener.unix_path(), Some(path.as_path()));
        // Nothing at the path is replaced, not even our own socket.
        let again = Listener::bind_unix(&path, server()).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists, "{again}");
        // Nothing else is left beside it (the private directory is gone).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A silent client is cut at the deadline.
        let started = Instant::now();
        let mut silent = tokio::net::UnixStream::connect(&path).await.unwrap();
        let mut byte = [0; 1];
        let (failed, end) = tokio::join!(listener.accept(), silent.read(&mut byte));
        let held = started.elapsed();
        let failed = failed.map(drop).unwrap_err().to_string();
        assert!(
            failed.contains("not authenticated within the deadline"),
            "{failed}"
        );
        assert!(matches!(end, Ok(0) | Err(_)), "{end:?}");
        assert!(held <= DEADLINE + Duration::from_secs(1), "held {held:?}");
        drop(listener);
        assert!(!path.exists(), "the socket file is left behind");
    });
}
