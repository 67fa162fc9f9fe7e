//! `Listener::with_websocket`: many clients at once, each handshake in its own task, a bound on
//! clients in flight that replaces the oldest rather than refusing the newest, and failures
//! reported per client without ending the listener.

use crate::common;

use std::time::{Duration, Instant};

use secret_handshake::websocket::{self, Config, DialOptions};
use secret_handshake::{
    AcceptError, AllowAll, AllowList, Client, ClientError, Keypair, Limits, Listener, PeerAddr,
    Server,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::net;

fn upgrade_within(seconds: u64) -> Config {
    Config::default().with_upgrade_timeout(Some(Duration::from_secs(seconds)))
}

/// Dials `port` as a new client and says hello through the box-stream.
async fn hello(port: u16, key: secret_handshake::PublicKey) -> Result<(), websocket::Error> {
    let client = Client::new(Keypair::generate(), net());
    let ws = websocket::open(&format!("ws://127.0.0.1:{port}/"), &DialOptions::default()).await?;
    let mut stream = client.connect(ws, &key).await?;
    stream.write_all(b"hello").await.expect("write");
    stream.flush().await.expect("flush");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_are_served_while_a_slow_one_waits_for_its_timeout() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let key = *server.identity();
    // The slow client's 3 s are ample for 20 handshakes on a loaded machine.
    let mut listener = Listener::bind("127.0.0.1:0", server)
        .await
        .unwrap()
        .with_websocket(upgrade_within(3));
    let port = listener.local_addr().unwrap().port();
    // The slow client comes first and never finishes its request.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    slow.write_all(b"GET / HT").await.unwrap();
    let started = Instant::now();
    let clients: Vec<_> = (0..20).map(|_| tokio::spawn(hello(port, key))).collect();
    let mut greeted = 0;
    let mut slow_failed = None;
    while greeted < 20 || slow_failed.is_none() {
        match tokio::time::timeout(Duration::from_secs(10), listener.accept()).await {
            Ok(Ok((mut stream, _))) => {
                let mut got = [0; 5];
                stream.read_exact(&mut got).await.expect("hello");
                assert_eq!(&got, b"hello");
                greeted += 1;
                if greeted == 20 {
                    assert!(slow_failed.is_none(), "the slow client was done first");
                    assert!(
                        started.elapsed() < Duration::from_secs(1),
                        "{:?}",
                        started.elapsed()
                    );
                }
            }
            Ok(Err(AcceptError::Client { error, .. })) => {
                assert!(
                    error.to_string().contains("took longer than 3 s"),
                    "{error}"
                );
                slow_failed = Some(started.elapsed());
            }
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("stalled: {greeted} greeted, slow: {slow_failed:?}"),
        }
    }
    for client in clients {
        client.await.unwrap().expect("client");
    }
}

#[tokio::test]
async fn a_failed_client_is_reported_and_the_next_one_served() {
    let allowed = Keypair::generate();
    let server = Server::new(
        Keypair::generate(),
        net(),
        AllowList::new([*allowed.public()]),
    );
    let key = *server.identity();
    let mut listener = Listener::bind("127.0.0.1:0", server)
        .await
        .unwrap()
        .with_websocket(Config::default());
    let port = listener.local_addr().unwrap().port();
    // A stranger is refused...
    let stranger = tokio::spawn(hello(port, key));
    match listener.accept().await {
        Err(AcceptError::Client {
            error,
            peer: PeerAddr::Tcp(addr),
        }) => {
            assert_eq!(addr.ip().to_string(), "127.0.0.1");
            assert!(
                matches!(&error, ClientError::Handshake(e) if e.phase().is_some()),
                "{error}"
            );
        }
        other => panic!("{:?}", other.map(|(_, a)| a)),
    }
    assert!(stranger.await.unwrap().is_err());
    // ...and the listener serves the next client.
    let client = Client::new(allowed, net());
    let dial = async {
        let ws =
            websocket::open(&format!("ws://127.0.0.1:{port}/"), &DialOptions::default()).await?;
        client
            .connect(ws, &key)
            .await
            .map_err(websocket::Error::from)
    };
    let (ours, theirs) = tokio::join!(dial, listener.accept());
    ours.expect("client");
    let (stream, _) = theirs.expect("served");
    assert_eq!(stream.peer_key(), client.identity());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_all_places_are_taken_a_newcomer_replaces_the_oldest_pending_client() {
    let server = Server::new(Keypair::generate(), net(), AllowAll)
        .with_limits(Limits::default().with_max_handshakes(2));
    let key = *server.identity();
    let mut listener = Listener::bind("127.0.0.1:0", server)
        .await
        .unwrap()
        .with_websocket(upgrade_within(10));
    let port = listener.local_addr().unwrap().port();
    // Two silent clients take both places: the kernel queues connections in the order they
    // complete, so the listener takes them before the good client.
    let mut oldest = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let _younger = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let started = Instant::now();
    let good = tokio::spawn(async move {
        let client = Client::new(Keypair::generate(), net());
        let ws =
            websocket::open(&format!("ws://127.0.0.1:{port}/"), &DialOptions::default()).await?;
        client
            .connect(ws, &key)
            .await
            .map_err(websocket::Error::from)
    });
    let (served, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("stalled")
        .expect("served");
    assert!(listener.in_flight() <= 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    good.await.unwrap().expect("good client");
    drop(served);
    // The oldest was dropped to make room: it reads the end of its connection.
    let mut byte = [0];
    let end = tokio::time::timeout(Duration::from_secs(5), oldest.read(&mut byte))
        .await
        .expect("the oldest client is still held");
    assert!(matches!(end, Ok(0) | Err(_)), "{end:?}");
}
