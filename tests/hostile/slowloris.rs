//! Slowloris: peers that trickle their messages out, or never read ours.

use std::time::Duration;

use bytes::BytesMut;
use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake, Session};
use secret_handshake::{AllowAll, Client, HandshakeError, Keypair, Phase, PublicKey, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::{timeout, Instant};

use crate::common::net;
use crate::common::peer::{self, Write};
use crate::wire::{CLIENT_HANDSHAKE, MSG1, MSG2, SERVER_HANDSHAKE};

/// A server that answers honestly but sends message 2 a byte every `msg2_every` and message 4
/// a byte every `msg4_every`, then a frame and the goodbye.
async fn slow_server(
    mut s: DuplexStream,
    keys: Keypair,
    msg2_every: Duration,
    msg4_every: Duration,
) {
    let machine = ServerHandshake::new(&keys, &net());
    let slowly = |number, _: &[u8]| match number {
        2 => Write::Slowly(msg2_every),
        _ => Write::Slowly(msg4_every),
    };
    if let Ok(session) = peer::drive(machine, &mut s, slowly).await {
        made_it(&mut s, session).await;
    }
}

/// A client that sends message 1 a byte every `msg1_every` and message 3 a byte every
/// `msg3_every`, then a frame and the goodbye.
async fn slow_client(
    mut c: DuplexStream,
    server: PublicKey,
    msg1_every: Duration,
    msg3_every: Duration,
) {
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), &server);
    let slowly = |number, _: &[u8]| match number {
        1 => Write::Slowly(msg1_every),
        _ => Write::Slowly(msg3_every),
    };
    if let Ok(session) = peer::drive(machine, &mut c, slowly).await {
        made_it(&mut c, session).await;
    }
}

/// Sends the frame "made it" and the goodbye, then waits for the other side to hang up.
async fn made_it(io: &mut DuplexStream, session: Session) {
    let (mut sealer, _) = session.keys.into_sealer_and_opener();
    let mut wire = BytesMut::new();
    sealer.seal(b"made it", &mut wire);
    sealer.seal_goodbye(&mut wire);
    let _ = io.write_all(&wire).await;
    let _ = io.read_to_end(&mut Vec::new()).await;
}

const FOUR_S: Duration = Duration::from_secs(4);
const SIX_S: Duration = Duration::from_secs(6);

#[tokio::test(start_paused = true)]
async fn slowloris_server_a_byte_every_4s_keeps_the_client_handshake_alive_6s_times_out() {
    // Tokio's (paused) clock; no deadline on the whole, so only the silence counts here.
    let client = Client::new(Keypair::generate(), net())
        .with_limits(secret_handshake::Limits::default().with_handshake_deadline(None));
    // 4 s per byte: 144 bytes take 576 s, far over the 5 s timeout, yet the handshake succeeds.
    let keys = Keypair::generate();
    let key = *keys.public();
    let (c, s) = tokio::io::duplex(1024);
    let peer = tokio::spawn(slow_server(s, keys, FOUR_S, FOUR_S));
    let started = Instant::now();
    let mut stream = client.connect(c, &key).await.expect("slow but alive");
    assert_eq!(started.elapsed(), FOUR_S * SERVER_HANDSHAKE as u32);
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"made it");
    drop(stream);
    peer.await.unwrap();

    // 6 s for the first byte: timed out 5 s in, waiting for message 2.
    for (msg2_every, msg4_every, phase, after) in [
        (SIX_S, SIX_S, Phase::ServerHello, Duration::from_secs(5)),
        (
            FOUR_S,
            SIX_S,
            Phase::ServerAccept,
            FOUR_S * MSG2 as u32 + Duration::from_secs(5),
        ),
    ] {
        let keys = Keypair::generate();
        let key = *keys.public();
        let (c, s) = tokio::io::duplex(1024);
        let peer = tokio::spawn(slow_server(s, keys, msg2_every, msg4_every));
        let started = Instant::now();
        let e = client.connect(c, &key).await.expect_err("too slow");
        assert!(
            matches!(e, HandshakeError::Timeout(p) if p == phase),
            "{e:?}"
        );
        assert_eq!(started.elapsed(), after);
        // The transport was dropped: the slow peer gives up at its next byte.
        timeout(Duration::from_secs(60), peer)
            .await
            .expect("peer must see the close")
            .unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn slowloris_client_a_byte_every_4s_keeps_the_server_handshake_alive_6s_times_out() {
    let server = Server::new(Keypair::generate(), net(), AllowAll)
        .with_limits(secret_handshake::Limits::default().with_handshake_deadline(None));
    let (c, s) = tokio::io::duplex(1024);
    let peer = tokio::spawn(slow_client(c, *server.identity(), FOUR_S, FOUR_S));
    let started = Instant::now();
    let mut stream = server.accept(s).await.expect("slow but alive");
    assert_eq!(started.elapsed(), FOUR_S * CLIENT_HANDSHAKE as u32);
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"made it");
    drop(stream);
    peer.await.unwrap();

    for (msg1_every, msg3_every, phase, after) in [
        (SIX_S, SIX_S, Phase::ClientHello, Duration::from_secs(5)),
        (
            FOUR_S,
            SIX_S,
            Phase::ClientAuth,
            FOUR_S * MSG1 as u32 + Duration::from_secs(5),
        ),
    ] {
        let (c, s) = tokio::io::duplex(1024);
        let peer = tokio::spawn(slow_client(c, *server.identity(), msg1_every, msg3_every));
        let started = Instant::now();
        let e = server.accept(s).await.expect_err("too slow");
        assert!(
            matches!(e, HandshakeError::Timeout(p) if p == phase),
            "{e:?}"
        );
        assert_eq!(started.elapsed(), after);
        timeout(Duration::from_secs(60), peer)
            .await
            .expect("peer must see the close")
            .unwrap();
    }
}

/// The timeout also covers writes: a peer that never reads (over a pipe too small for our
/// message) cannot hold a handshake open, and one that reads a byte every 4 s can.
#[tokio::test(start_paused = true)]
async fn a_peer_that_does_not_read_times_out_the_handshake_too() {
    // Client: message 1 does not fit a 1-byte pipe nobody reads.
    let client = Client::new(Keypair::generate(), net());
    let (c, _deaf) = tokio::io::duplex(1);
    let started = Instant::now();
    let e = client
        .connect(c, Keypair::generate().public())
        .await
        .expect_err("must time out");
    assert!(
        matches!(e, HandshakeError::Timeout(Phase::ClientHello)),
        "{e:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));

    // Server: message 2 does not fit either.
    let server = Server::new(Keypair::generate(), net(), AllowAll)
        .with_limits(secret_handshake::Limits::default().with_handshake_deadline(None));
    let (mut c, s) = tokio::io::duplex(1);
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let Next::Send(msg1) = machine.next() else {
        panic!()
    };
    let msg1 = msg1.to_vec();
    let writer = tokio::spawn(async move {
        c.write_all(&msg1).await.unwrap();
        c // ... and never read
    });
    let started = Instant::now();
    let e = server.accept(s).await.expect_err("must time out");
    assert!(
        matches!(e, HandshakeError::Timeout(Phase::ServerHello)),
        "{e:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    drop(writer.await.unwrap());

    // A client reading message 2 one byte every 4 s keeps the server going.
    let (mut c, s) = tokio::io::duplex(1);
    let mut machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let slow_reader = tokio::spawn(async move {
        let Next::Send(msg1) = machine.next() else {
            panic!()
        };
        c.write_all(msg1).await.unwrap();
        machine.sent().unwrap();
        let mut msg2 = [0; MSG2];
        for byte in msg2.iter_mut() {
            tokio::time::sleep(FOUR_S).await;
            *byte = c.read_u8().await.unwrap();
        }
        machine.received(&msg2).unwrap();
        c // then stall: the server times out in phase 3
    });
    let started = Instant::now();
    let e = server.accept(s).await.expect_err("stalls after message 2");
    assert!(
        matches!(e, HandshakeError::Timeout(Phase::ClientAuth)),
        "{e:?}"
    );
    // The first byte of message 2 fit in the pipe at once, each later one when the reader took
    // the one before: the last went out at 63 * 4 s, then 5 s of silence from our side.
    assert_eq!(
        started.elapsed(),
        FOUR_S * (MSG2 as u32 - 1) + Duration::from_secs(5)
    );
    drop(slow_reader.await.unwrap());
}
