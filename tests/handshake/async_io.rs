//! The async handshake: authorization, wrong keys, timeouts, hang-ups, and many clients at once.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{net, peer};
use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake};
use secret_handshake::{
    AllowAll, AllowList, Client, HandshakeError, Keypair, NetworkKey, Phase, PublicKey, Server,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::{TcpListener, TcpStream};

/// Runs one handshake over an in-memory pipe; returns both outcomes.
async fn handshake<A: secret_handshake::Authorize>(
    client: &Client,
    server: &Server<A>,
    server_key: &PublicKey,
) -> (
    Result<secret_handshake::BoxStream<DuplexStream>, HandshakeError>,
    Result<secret_handshake::BoxStream<DuplexStream, A::Auth>, HandshakeError>,
) {
    let (c, s) = tokio::io::duplex(64);
    tokio::join!(client.connect(c, server_key), server.accept(s))
}

#[tokio::test]
async fn authorize_accepts_with_a_value_visible_on_the_stream() {
    let client_keys = Keypair::generate();
    let expected = *client_keys.public();
    let server = Server::new(
        Keypair::generate(),
        net(),
        move |key: PublicKey| async move {
            assert_eq!(key, expected);
            Ok::<_, std::io::Error>(Some(format!("hello {key}")))
        },
    );
    let client = Client::new(client_keys, net());
    let (c, s) = handshake(&client, &server, server.identity()).await;
    let (c, s) = (c.expect("client"), s.expect("server"));
    assert_eq!(c.peer_key(), server.identity());
    assert_eq!(s.peer_key(), client.identity());
    // Typed: asking for another type, or for a client's value, does not compile.
    let auth: &String = s.auth();
    assert_eq!(auth, &format!("hello {expected}"));
    let _: &() = c.auth(); // clients have no auth value
}

#[tokio::test]
async fn authorize_rejects_silently_and_the_client_names_phase_3() {
    let server = Server::new(Keypair::generate(), net(), AllowList::new([]));
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = handshake(&client, &server, server.identity()).await;
    assert!(matches!(s, Err(HandshakeError::Unauthorized)), "{s:?}");
    let e = c.expect_err("client must fail");
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientAuth)),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "handshake failed (phase 3): peer closed the connection: server rejected us or wrong server key"
    );
    assert_eq!(
        std::io::Error::from(e).kind(),
        std::io::ErrorKind::UnexpectedEof
    );
}

#[tokio::test]
async fn allow_list_admits_listed_keys() {
    let client_keys = Keypair::generate();
    let server = Server::new(
        Keypair::generate(),
        net(),
        AllowList::new([*client_keys.public()]),
    );
    let client = Client::new(client_keys, net());
    let (c, s) = handshake(&client, &server, server.identity()).await;
    assert!(c.is_ok() && s.is_ok());
}

#[tokio::test]
async fn authorizer_error_rejects() {
    let server = Server::new(Keypair::generate(), net(), |_key: PublicKey| async {
        Err::<Option<()>, _>(std::io::Error::other("database down"))
    });
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = handshake(&client, &server, server.identity()).await;
    let e = s.expect_err("server must fail");
    assert!(matches!(e, HandshakeError::Authorizer(_)), "{e:?}");
    assert!(e.to_string().contains("database down"), "{e}");
    assert!(matches!(
        c,
        Err(HandshakeError::PeerClosed(Phase::ClientAuth))
    ));
}

#[tokio::test]
async fn rejected_client_receives_nothing_after_message_2() {
    let server = Server::new(Keypair::generate(), net(), AllowList::new([]));
    let (mut raw, s) = tokio::io::duplex(1024);
    let server_task = tokio::spawn({
        let server = server.clone();
        async move { server.accept(s).await.map(|_| ()) }
    });
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let machine = peer::drive(machine, &mut raw, |_, _| peer::Write::All)
        .await
        .expect_err("rejected");
    assert_eq!(
        machine.next(),
        Next::Receive(80),
        "only message 2 arrives: the transport ends where message 4 would be"
    );
    let mut rest = Vec::new();
    assert_eq!(
        raw.read_to_end(&mut rest).await.unwrap(),
        0,
        "then a closed connection"
    );
    assert!(matches!(
        server_task.await.unwrap(),
        Err(HandshakeError::Unauthorized)
    ));
}

#[tokio::test]
async fn wrong_network_key_fails_in_phase_1_and_the_server_sends_nothing() {
    let other = NetworkKey::from_bytes([7; 32]);
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), other);
    let (c, s) = handshake(&client, &server, server.identity()).await;
    assert!(
        matches!(s, Err(HandshakeError::InvalidHello(Phase::ClientHello))),
        "{s:?}"
    );
    let e = c.expect_err("client must fail");
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientHello)),
        "{e:?}"
    );
    assert!(e.to_string().contains("phase 1"), "{e}");
    assert!(e.to_string().contains("wrong network key"), "{e}");
}

#[tokio::test]
async fn wrong_server_key_fails_in_phase_3() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let impostor = *Keypair::generate().public();
    let (c, s) = handshake(&client, &server, &impostor).await;
    assert!(matches!(s, Err(HandshakeError::InvalidClientAuth)), "{s:?}");
    assert!(
        matches!(c, Err(HandshakeError::PeerClosed(Phase::ClientAuth))),
        "{c:?}"
    );
}

#[tokio::test]
async fn server_key_that_is_not_a_curve_point_is_refused_in_phase_2() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    // y = 2 does not decode to a curve point.
    let mut bad = [0u8; 32];
    bad[0] = 2;
    let (c, _s) = handshake(&client, &server, &PublicKey::from_bytes(bad)).await;
    assert!(matches!(c, Err(HandshakeError::InvalidServerKey)), "{c:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stalled_server_times_out_and_the_error_names_the_phase() {
    let client = Client::new(Keypair::generate(), net());
    let (c, mut silent) = tokio::io::duplex(1024);
    let started = tokio::time::Instant::now();
    let e = client
        .connect(c, Keypair::generate().public())
        .await
        .expect_err("must time out");
    assert!(
        matches!(e, HandshakeError::Timeout(Phase::ServerHello)),
        "{e:?}"
    );
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(5),
        "the reference's default"
    );
    assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::TimedOut);
    // The transport was closed.
    let mut buf = [0; 64];
    silent
        .read_exact(&mut buf)
        .await
        .expect("message 1 arrived");
    assert_eq!(silent.read(&mut buf).await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_stalls_after_message_1_times_out_on_the_server() {
    let server = Server::new(Keypair::generate(), net(), AllowAll).with_limits(
        secret_handshake::Limits::default()
            .with_handshake_timeout(Some(Duration::from_millis(300))),
    );
    let (mut raw, s) = tokio::io::duplex(1024);
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let Next::Send(msg1) = machine.next() else {
        panic!()
    };
    raw.write_all(msg1).await.unwrap();
    let e = server.accept(s).await.expect_err("must time out");
    assert!(
        matches!(e, HandshakeError::Timeout(Phase::ClientAuth)),
        "{e:?}"
    );
}

/// A server that reads message 1, dribbles message 2 out a byte a second, then says nothing
/// more while holding the connection open.
async fn dribbling_server(mut s: tokio::io::DuplexStream, keys: Keypair) {
    let mut machine = ServerHandshake::new(&keys, &net());
    let mut msg1 = [0; 64];
    s.read_exact(&mut msg1).await.unwrap();
    machine.received(&msg1).unwrap();
    let Next::Send(msg2) = machine.next() else {
        panic!()
    };
    if peer::dribble(&mut s, msg2, Duration::from_secs(1)).await {
        std::future::pending::<()>().await;
    }
}

#[tokio::test(start_paused = true)]
async fn the_timeout_counts_silence_not_total_time() {
    // A server that dribbles message 2 out a byte every second finishes although the whole
    // exchange takes far longer than the 5 s timeout... until it stops sending (with no
    // deadline on the whole: that is the next test).
    let client = Client::new(Keypair::generate(), net())
        .with_limits(secret_handshake::Limits::default().with_handshake_deadline(None));
    let (c, s) = tokio::io::duplex(1024);
    let server_keys = Keypair::generate();
    let server_key = *server_keys.public();
    let slow = tokio::spawn(dribbling_server(s, server_keys));
    let started = tokio::time::Instant::now();
    let e = client
        .connect(c, &server_key)
        .await
        .expect_err("times out eventually");
    assert!(
        matches!(e, HandshakeError::Timeout(Phase::ServerAccept)),
        "{e:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(64 + 5));
    slow.abort();
}

#[tokio::test(start_paused = true)]
async fn the_deadline_bounds_the_whole_handshake_however_steady_the_trickle() {
    // The same server, dribbling message 2 a byte a second: the default 30 s deadline ends it.
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(1024);
    let server_keys = Keypair::generate();
    let server_key = *server_keys.public();
    let slow = tokio::spawn(dribbling_server(s, server_keys));
    let started = tokio::time::Instant::now();
    let e = client
        .connect(c, &server_key)
        .await
        .expect_err("the deadline ends it");
    assert!(
        matches!(e, HandshakeError::DeadlineExceeded(Phase::ServerHello)),
        "{e:?}"
    );
    assert_eq!(
        started.elapsed(),
        secret_handshake::DEFAULT_HANDSHAKE_DEADLINE
    );
    assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::TimedOut);
    slow.abort();
}

#[tokio::test]
async fn a_peer_that_hangs_up_mid_message_is_reported_not_awaited() {
    let client = Client::new(Keypair::generate(), net());
    let (c, mut s) = tokio::io::duplex(1024);
    let hangup = tokio::spawn(async move {
        let mut msg1 = [0; 64];
        s.read_exact(&mut msg1).await.unwrap();
        s.write_all(&[0; 10]).await.unwrap(); // a partial message 2, then EOF
    });
    let e = client
        .connect(c, Keypair::generate().public())
        .await
        .expect_err("must fail");
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientHello)),
        "{e:?}"
    );
    hangup.await.unwrap();

    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (mut c, s) = tokio::io::duplex(1024);
    c.write_all(&[1; 30]).await.unwrap();
    drop(c);
    let e = server.accept(s).await.expect_err("must fail");
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientHello)),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_handshakes_against_one_server() {
    const CLIENTS: usize = 1000;
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let server = Server::new(Keypair::generate(), net(), move |_key: PublicKey| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Some(()))
        }
    });
    let server_key = *server.identity();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let acceptor = tokio::spawn(async move {
        let mut handshakes = tokio::task::JoinSet::new();
        for _ in 0..CLIENTS {
            let (tcp, _) = listener.accept().await.unwrap();
            let server = server.clone();
            handshakes.spawn(async move {
                let mut stream = server.accept(tcp).await?;
                let mut byte = [0];
                stream.read_exact(&mut byte).await?;
                stream.write_all(&byte).await?;
                stream.shutdown().await?;
                Ok::<_, std::io::Error>(())
            });
        }
        let mut ok = 0;
        while let Some(result) = handshakes.join_next().await {
            result.unwrap().unwrap();
            ok += 1;
        }
        ok
    });
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        clients.spawn(async move {
            let client = Client::new(Keypair::generate(), net());
            let tcp = TcpStream::connect(address).await?;
            let mut stream = client.connect(tcp, &server_key).await?;
            stream.write_all(&[i as u8]).await?;
            stream.flush().await?;
            let mut byte = [0];
            stream.read_exact(&mut byte).await?;
            assert_eq!(byte[0], i as u8);
            Ok::<_, std::io::Error>(())
        });
    }
    while let Some(result) = clients.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(acceptor.await.unwrap(), CLIENTS);
    assert_eq!(accepted.load(Ordering::SeqCst), CLIENTS);
}

#[tokio::test]
async fn seed_identity_is_the_jss_seed_option() {
    let seed = [42; 32];
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net()).with_seed_identity(&seed);
    assert_eq!(client.identity(), Keypair::from_seed(&seed).public());
    let (c, s) = handshake(&client, &server, server.identity()).await;
    assert!(c.is_ok());
    assert_eq!(s.unwrap().peer_key(), Keypair::from_seed(&seed).public());
}

#[test]
fn handshakes_run_outside_a_tokio_runtime() {
    // As async-std or smol users would run it (through tokio_util::compat): no Tokio timer,
    // so no deadline (with one, the handshake fails with `NoTimeDriver`).
    let server = Server::new(Keypair::generate(), net(), AllowAll)
        .with_limits(secret_handshake::Limits::untimed());
    let client =
        Client::new(Keypair::generate(), net()).with_limits(secret_handshake::Limits::untimed());
    let (c, s) = tokio::io::duplex(1024);
    let (c, s) = futures::executor::block_on(futures::future::join(
        client.connect(c, server.identity()),
        server.accept(s),
    ));
    assert_eq!(c.expect("client").peer_key(), server.identity());
    assert_eq!(s.expect("server").peer_key(), client.identity());

    // The default limits need Tokio's timer: a typed error, not a panic or a hang.
    let (c, _s) = tokio::io::duplex(1024);
    let dial = Client::new(Keypair::generate(), net()).connect(c, server.identity());
    let error = futures::executor::block_on(dial).expect_err("no Tokio runtime");
    assert!(matches!(error, HandshakeError::NoTimeDriver), "{error:?}");
}
