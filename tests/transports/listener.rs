//! `websocket::Listener`: many clients at once, each handshake in its own task, a bound on
//! handshakes in flight, and failures reported per client without ending the listener.

use crate::common;

use std::time::{Duration, Instant};

use secret_handshake::websocket::{self, AcceptError, Config, DialOptions, Listener};
use secret_handshake::{AllowAll, AllowList, Client, Keypair, Server};
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
        .with_config(upgrade_within(3));
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
    let mut listener = Listener::bind("127.0.0.1:0", server).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // A stranger is refused...
    let stranger = tokio::spawn(hello(port, key));
    match listener.accept().await {
        Err(AcceptError::Client { error, addr }) => {
            assert_eq!(addr.ip().to_string(), "127.0.0.1");
            assert!(error.phase().is_some(), "{error}");
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
async fn handshakes_in_flight_are_bounded() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let key = *server.identity();
    let mut listener = Listener::bind("127.0.0.1:0", server)
        .await
        .unwrap()
        .with_config(upgrade_within(1))
        .with_max_handshakes(2);
    let port = listener.local_addr().unwrap().port();
    // Two silent clients take both places until their upgrade timeout (1 s).
    let _silent = [
        TcpStream::connect(("127.0.0.1", port)).await.unwrap(),
        TcpStream::connect(("127.0.0.1", port)).await.unwrap(),
    ];
    let started = Instant::now();
    let good = tokio::spawn(async move {
        // Our dial bound (1 s by default here would race the silent ones): allow more.
        let options = DialOptions::default()
            .with_config(Config::default().with_upgrade_timeout(Some(Duration::from_secs(10))));
        let client = Client::new(Keypair::generate(), net());
        let ws = websocket::open(&format!("ws://127.0.0.1:{port}/"), &options).await?;
        client
            .connect(ws, &key)
            .await
            .map_err(websocket::Error::from)
    });
    let mut failures = 0;
    loop {
        assert!(listener.handshakes_in_flight() <= 2);
        match tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("stalled")
        {
            Ok(_) => break,
            Err(AcceptError::Client { .. }) => failures += 1,
            Err(e) => panic!("{e}"),
        }
    }
    let waited = started.elapsed();
    // A place had to free up first (the second silent client may time out just after).
    assert!(failures >= 1, "served before a silent client was timed out");
    assert!(
        waited >= Duration::from_millis(900),
        "served after {waited:?}: not bounded"
    );
    good.await.unwrap().expect("good client");
}
