//! Hostile peers: truncation, bit flips, slow and garbage-spewing peers, bad frame lengths,
//! and resource use across many connections (the latter in `tests/leaks.rs`).
//!
//! The hostile peer is always scripted by hand from the sans-IO state machines, and the side
//! under test is always the real async [`Client`] or [`Server`], so these tests exercise exactly
//! what an application gets.

use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use secret_handshake::boxstream::Frame;
use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake, Session};
use secret_handshake::hazmat;
use secret_handshake::{
    AllowAll, BoxStream, Client, HandshakeError, Keypair, NetworkKey, Phase, PublicKey, Server,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::time::{timeout, Instant};

fn net() -> NetworkKey {
    NetworkKey::ssb_main_net()
}

/// Generous bound on any single step: with paused time a hang turns into this at once.
const NO_HANG: Duration = Duration::from_secs(60);

/// Sizes of the handshake messages, in order on the wire.
const MSG1: usize = 64;
const MSG2: usize = 64;
const MSG3: usize = 112;
const MSG4: usize = 80;
/// What each side sends during the handshake.
const CLIENT_HANDSHAKE: usize = MSG1 + MSG3;
const SERVER_HANDSHAKE: usize = MSG2 + MSG4;
const HEADER: usize = 34;

#[test]
fn headers_claiming_a_body_of_0_or_over_4096_bytes_are_rejected() {
    use secret_handshake::BoxStreamError;
    for (claimed, body) in [
        (0u16, &b"x"[..]),
        (4097, &[0u8; 4097][..]),
        (65535, &b"y"[..]),
    ] {
        let mut sealer = hazmat::sealer_from_raw_parts([5; 32], [0xff; 24]);
        let mut wire = BytesMut::new();
        sealer.seal(b"fine", &mut wire);
        hazmat::seal_frame_claiming_length(&mut sealer, claimed, body, &mut wire);
        let mut opener = hazmat::opener_from_raw_parts([5; 32], [0xff; 24]);
        assert_eq!(
            opener.open(&mut wire),
            Ok(Some(Frame::Message(BytesMut::from(&b"fine"[..]))))
        );
        assert_eq!(
            opener.open(&mut wire),
            Err(BoxStreamError::InvalidBodyLength(claimed))
        );
        assert_eq!(opener.open(&mut wire), Err(BoxStreamError::Failed));
    }
}

// ---------------------------------------------------------------------------------------------
// Scripted peers
// ---------------------------------------------------------------------------------------------

/// A hand-driven handshake: the client or server state machine.
trait Scripted: Handshake {
    /// Server: let the client in at `Next::Authorize`.
    fn let_in(&mut self);
}

impl Scripted for ServerHandshake {
    fn let_in(&mut self) {
        self.accept().expect("accept at Next::Authorize");
    }
}

impl Scripted for ClientHandshake {
    fn let_in(&mut self) {
        unreachable!("clients do not authorize")
    }
}

/// Writes at most `budget` more bytes in total; false once the budget (or the transport) ran out.
async fn write_within(io: &mut DuplexStream, budget: &mut usize, data: &[u8]) -> bool {
    let n = data.len().min(*budget);
    if io.write_all(&data[..n]).await.is_err() {
        *budget = 0;
        return false;
    }
    *budget -= n;
    n == data.len()
}

/// Writes `data` one byte every `interval`.
async fn dribble<W: AsyncWrite + Unpin>(io: &mut W, data: &[u8], interval: Duration) {
    for &byte in data {
        tokio::time::sleep(interval).await;
        if io.write_all(&[byte]).await.is_err() {
            return;
        }
    }
}

/// Runs `machine` honestly over `io`, except that only the first `budget` bytes of what it
/// sends go out: after that it half-closes (an EOF for the peer) and drains whatever the peer
/// still sends until the peer hangs up, so the peer only ever sees the truncation.
/// With the handshake done, it sends `frames` and the goodbye (within the same budget).
async fn truncated_peer<H: Scripted>(
    mut io: DuplexStream,
    mut machine: H,
    mut budget: usize,
    frames: Vec<Vec<u8>>,
) {
    let session = loop {
        match machine.next() {
            Next::Receive(n) => {
                let mut msg = vec![0; n];
                if io.read_exact(&mut msg).await.is_err() {
                    return;
                }
                machine.received(&msg).expect("the real peer is honest");
            }
            Next::Send(msg) => {
                let msg = msg.to_vec();
                if !write_within(&mut io, &mut budget, &msg).await {
                    break None;
                }
                machine.sent().unwrap();
            }
            Next::Authorize(_) => machine.let_in(),
            Next::Done => break Some(machine.finish().unwrap()),
            other => panic!("unexpected {other:?}"),
        }
    };
    if let Some(session) = session {
        let (mut sealer, _) = session.keys.into_sealer_and_opener();
        let mut wire = BytesMut::new();
        for frame in &frames {
            sealer.seal(frame, &mut wire);
        }
        sealer.seal_goodbye(&mut wire);
        write_within(&mut io, &mut budget, &wire).await;
    }
    let _ = io.shutdown().await;
    let _ = io.read_to_end(&mut Vec::new()).await;
}

/// Reads until the end or an error; returns the plaintext and how it ended.
async fn read_until_end<R: AsyncRead + Unpin>(stream: &mut R) -> (Vec<u8>, io::Result<()>) {
    let mut got = Vec::new();
    let mut buf = [0; 1000];
    loop {
        match timeout(NO_HANG, stream.read(&mut buf)).await {
            Err(_) => panic!("read hung after {} bytes", got.len()),
            Ok(Ok(0)) => return (got, Ok(())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return (got, Err(e)),
        }
    }
}

/// Frames of the recorded session: one byte, a small one, one with a two-byte length (> 255),
/// and a full one.
fn session_frames() -> Vec<Vec<u8>> {
    [1usize, 23, 300, 4096]
        .iter()
        .enumerate()
        .map(|(f, &len)| (0..len).map(|i| (i * 7 + f * 13 + 1) as u8).collect())
        .collect()
}

/// The plaintext a reader must get when the sender's bytes stop at `cut` (counted from the
/// first frame): the frames that fully arrived, and whether the goodbye did too.
fn expected_after_cut(frames: &[Vec<u8>], cut: usize) -> (Vec<u8>, bool) {
    let mut end = 0;
    let mut plain = Vec::new();
    for frame in frames {
        end += HEADER + frame.len();
        if end > cut {
            return (plain, false);
        }
        plain.extend_from_slice(frame);
    }
    (plain, cut >= end + HEADER)
}

fn wire_len(frames: &[Vec<u8>]) -> usize {
    frames.iter().map(|f| HEADER + f.len()).sum::<usize>() + HEADER
}

/// Checks what the real side got from a sender whose data stopped `cut` bytes after the
/// handshake.
async fn check_truncated_stream<IO: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BoxStream<IO>,
    frames: &[Vec<u8>],
    cut: usize,
    who: &str,
) {
    let (expected, clean) = expected_after_cut(frames, cut);
    let (got, end) = read_until_end(stream).await;
    assert!(
        got == expected,
        "{who}, cut {cut}: got {} bytes of plaintext, wanted the {} of the complete frames",
        got.len(),
        expected.len()
    );
    if clean {
        end.unwrap_or_else(|e| panic!("{who}, cut {cut}: goodbye arrived, got {e}"));
        assert!(stream.is_ended());
        assert_eq!(
            stream.read(&mut [0; 8]).await.unwrap(),
            0,
            "{who}: still ended"
        );
    } else {
        let e = end.expect_err("truncated without goodbye must fail");
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{who}, cut {cut}: {e}");
        let again = stream.read(&mut [0; 8]).await.expect_err("fails again");
        assert_eq!(again.kind(), ErrorKind::UnexpectedEof, "{who}, cut {cut}");
        assert!(!stream.is_ended());
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Truncation at every byte offset
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn client_survives_the_server_side_of_a_session_cut_at_every_byte() {
    let frames = session_frames();
    let total = SERVER_HANDSHAKE + wire_len(&frames);
    let client = Client::new(Keypair::generate(), net());
    let server_keys = Keypair::generate();
    let server_key = *server_keys.public();
    for cut in 0..=total {
        let (c, s) = tokio::io::duplex(1 << 16);
        let machine = ServerHandshake::new(&server_keys, &net());
        let peer = tokio::spawn(truncated_peer(s, machine, cut, frames.clone()));
        let result = timeout(NO_HANG, client.connect(c, &server_key))
            .await
            .unwrap_or_else(|_| panic!("cut {cut}: handshake hung"));
        match result {
            Err(HandshakeError::PeerClosed(Phase::ClientHello)) if cut < MSG2 => {}
            Err(HandshakeError::PeerClosed(Phase::ClientAuth))
                if (MSG2..SERVER_HANDSHAKE).contains(&cut) => {}
            Ok(mut stream) if cut >= SERVER_HANDSHAKE => {
                check_truncated_stream(&mut stream, &frames, cut - SERVER_HANDSHAKE, "client")
                    .await;
            }
            other => panic!("cut {cut}: unexpected {other:?}"),
        }
        timeout(NO_HANG, peer).await.expect("peer hung").unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn server_survives_the_client_side_of_a_session_cut_at_every_byte() {
    let frames = session_frames();
    let total = CLIENT_HANDSHAKE + wire_len(&frames);
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client_keys = Keypair::generate();
    for cut in 0..=total {
        let (c, s) = tokio::io::duplex(1 << 16);
        let machine = ClientHandshake::new(&client_keys, &net(), server.identity());
        let peer = tokio::spawn(truncated_peer(c, machine, cut, frames.clone()));
        let result = timeout(NO_HANG, server.accept(s))
            .await
            .unwrap_or_else(|_| panic!("cut {cut}: handshake hung"));
        match result {
            Err(HandshakeError::PeerClosed(Phase::ClientHello)) if cut < MSG1 => {}
            Err(HandshakeError::PeerClosed(Phase::ServerHello))
                if (MSG1..CLIENT_HANDSHAKE).contains(&cut) => {}
            Ok(mut stream) if cut >= CLIENT_HANDSHAKE => {
                assert_eq!(stream.peer_key(), client_keys.public());
                check_truncated_stream(&mut stream, &frames, cut - CLIENT_HANDSHAKE, "server")
                    .await;
            }
            other => panic!("cut {cut}: unexpected {other:?}"),
        }
        timeout(NO_HANG, peer).await.expect("peer hung").unwrap();
    }
}

/// The same cuts with an abrupt close (both directions at once, as a crashed peer or a reset),
/// and without reading our next message first: the real side sees either the EOF or its own
/// write fail, and reports both as `PeerClosed` in the same phase.
#[tokio::test(start_paused = true)]
async fn an_abrupt_hang_up_during_the_handshake_fails_in_the_right_phase() {
    let client = Client::new(Keypair::generate(), net());
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    // Client side: the peer writes `cut` bytes and drops the pipe, reading nothing after that.
    for cut in 0..SERVER_HANDSHAKE {
        let (c, mut s) = tokio::io::duplex(1 << 16);
        let keys = Keypair::generate();
        let key = *keys.public();
        let mut machine = ServerHandshake::new(&keys, &net());
        let peer = tokio::spawn(async move {
            let mut sent = 0;
            loop {
                match machine.next() {
                    // Out of budget: hang up at once, without reading what comes next.
                    Next::Receive(_) if sent == cut => return,
                    Next::Receive(n) => {
                        let mut msg = vec![0; n];
                        s.read_exact(&mut msg).await.unwrap();
                        machine.received(&msg).unwrap();
                    }
                    Next::Send(msg) => {
                        let n = msg.len().min(cut - sent);
                        s.write_all(&msg[..n]).await.unwrap();
                        sent += n;
                        if n < msg.len() {
                            return; // drops `s`
                        }
                        machine.sent().unwrap();
                    }
                    Next::Authorize(_) => machine.accept().unwrap(),
                    other => panic!("{other:?}"),
                }
            }
        });
        let e = timeout(NO_HANG, client.connect(c, &key))
            .await
            .expect("hung")
            .expect_err("must fail");
        let want = if cut < MSG2 {
            Phase::ClientHello
        } else {
            Phase::ClientAuth
        };
        assert!(
            matches!(e, HandshakeError::PeerClosed(p) if p == want),
            "cut {cut}: {e:?}"
        );
        peer.await.unwrap();
    }
    // Server side.
    for cut in 0..CLIENT_HANDSHAKE {
        let (mut c, s) = tokio::io::duplex(1 << 16);
        let mut machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
        let peer = tokio::spawn(async move {
            let mut sent = 0;
            loop {
                match machine.next() {
                    // Out of budget: hang up at once, without reading what comes next.
                    Next::Receive(_) if sent == cut => return,
                    Next::Receive(n) => {
                        let mut msg = vec![0; n];
                        c.read_exact(&mut msg).await.unwrap();
                        machine.received(&msg).unwrap();
                    }
                    Next::Send(msg) => {
                        let n = msg.len().min(cut - sent);
                        c.write_all(&msg[..n]).await.unwrap();
                        sent += n;
                        if n < msg.len() {
                            return;
                        }
                        machine.sent().unwrap();
                    }
                    other => panic!("{other:?}"),
                }
            }
        });
        let e = timeout(NO_HANG, server.accept(s))
            .await
            .expect("hung")
            .expect_err("must fail");
        let want = if cut < MSG1 {
            Phase::ClientHello
        } else {
            Phase::ServerHello
        };
        assert!(
            matches!(e, HandshakeError::PeerClosed(p) if p == want),
            "cut {cut}: {e:?}"
        );
        peer.await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// 2. A flipped bit in every byte of messages 1 to 4
// ---------------------------------------------------------------------------------------------

/// Relays the four handshake messages between `c` and `s`, XOR-ing `mask` into byte `at` of
/// message `msg` (1 to 4), then relays the rest untouched. Hangs up both sides as soon as either
/// does.
async fn flipping_relay(mut c: DuplexStream, mut s: DuplexStream, msg: usize, at: usize, mask: u8) {
    let plan = [(true, MSG1), (false, MSG2), (true, MSG3), (false, MSG4)];
    for (i, &(upstream, len)) in plan.iter().enumerate() {
        let (from, to) = if upstream {
            (&mut c, &mut s)
        } else {
            (&mut s, &mut c)
        };
        let mut buf = vec![0; len];
        if from.read_exact(&mut buf).await.is_err() {
            return;
        }
        if i + 1 == msg {
            buf[at] ^= mask;
        }
        if to.write_all(&buf).await.is_err() {
            return;
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut c, &mut s).await;
}

#[tokio::test]
async fn a_flipped_bit_anywhere_in_the_handshake_fails_it_in_the_right_phase() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let lens = [MSG1, MSG2, MSG3, MSG4];
    let mut runs = 0;
    for msg in 1..=4 {
        for at in 0..lens[msg - 1] {
            for bit in 0..8 {
                let (c, relay_c) = tokio::io::duplex(1 << 12);
                let (relay_s, s) = tokio::io::duplex(1 << 12);
                let relay = tokio::spawn(flipping_relay(relay_c, relay_s, msg, at, 1 << bit));
                let (c, s) = timeout(NO_HANG, async {
                    tokio::join!(client.connect(c, server.identity()), server.accept(s))
                })
                .await
                .expect("hung");
                let what = format!("bit {bit} of byte {at} of message {msg}");
                use HandshakeError::*;
                match msg {
                    1 => {
                        assert!(
                            matches!(s, Err(InvalidHello(Phase::ClientHello))),
                            "{what}: {s:?}"
                        );
                        assert!(
                            matches!(c, Err(PeerClosed(Phase::ClientHello))),
                            "{what}: {c:?}"
                        );
                    }
                    2 => {
                        assert!(
                            matches!(
                                c,
                                Err(InvalidHello(Phase::ServerHello) | WeakKey(Phase::ServerHello))
                            ),
                            "{what}: {c:?}"
                        );
                        assert!(
                            matches!(s, Err(PeerClosed(Phase::ServerHello))),
                            "{what}: {s:?}"
                        );
                    }
                    3 => {
                        assert!(matches!(s, Err(InvalidClientAuth)), "{what}: {s:?}");
                        assert!(
                            matches!(c, Err(PeerClosed(Phase::ClientAuth))),
                            "{what}: {c:?}"
                        );
                    }
                    _ => {
                        assert!(matches!(c, Err(InvalidServerAccept)), "{what}: {c:?}");
                        // The server cannot know: it has a session, which then finds the client
                        // gone without a goodbye.
                        let mut s = s.unwrap_or_else(|e| panic!("{what}: server {e:?}"));
                        let e = timeout(NO_HANG, s.read(&mut [0; 8]))
                            .await
                            .expect("hung")
                            .expect_err("client is gone");
                        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{what}");
                    }
                }
                timeout(NO_HANG, relay).await.expect("relay hung").unwrap();
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 8 * (MSG1 + MSG2 + MSG3 + MSG4));

    // And the relay itself is transparent.
    let (c, relay_c) = tokio::io::duplex(1 << 12);
    let (relay_s, s) = tokio::io::duplex(1 << 12);
    let relay = tokio::spawn(flipping_relay(relay_c, relay_s, 0, 0, 0));
    let (c, s) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    let (mut c, mut s) = (c.unwrap(), s.unwrap());
    c.write_all(b"through the relay").await.unwrap();
    c.shutdown().await.unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"through the relay");
    drop((c, s));
    relay.await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// 3. Slowloris
// ---------------------------------------------------------------------------------------------

/// A server that answers honestly but sends message 2 a byte every `msg2_every` and message 4
/// a byte every `msg4_every`, then a frame and the goodbye.
async fn slow_server(
    mut s: DuplexStream,
    keys: Keypair,
    msg2_every: Duration,
    msg4_every: Duration,
) {
    let mut machine = ServerHandshake::new(&keys, &net());
    loop {
        match machine.next() {
            Next::Receive(n) => {
                let mut msg = vec![0; n];
                if s.read_exact(&mut msg).await.is_err() {
                    return;
                }
                machine.received(&msg).unwrap();
            }
            Next::Send(msg) => {
                let msg = msg.to_vec();
                let every = if msg.len() == MSG2 {
                    msg2_every
                } else {
                    msg4_every
                };
                dribble(&mut s, &msg, every).await;
                machine.sent().unwrap();
            }
            Next::Authorize(_) => machine.accept().unwrap(),
            Next::Done => break,
            other => panic!("{other:?}"),
        }
    }
    let (mut sealer, _) = machine.finish().unwrap().keys.into_sealer_and_opener();
    let mut wire = BytesMut::new();
    sealer.seal(b"made it", &mut wire);
    sealer.seal_goodbye(&mut wire);
    let _ = s.write_all(&wire).await;
    let _ = s.read_to_end(&mut Vec::new()).await;
}

/// A client that sends message 1 a byte every `msg1_every` and message 3 a byte every
/// `msg3_every`, then a frame and the goodbye.
async fn slow_client(
    mut c: DuplexStream,
    server: PublicKey,
    msg1_every: Duration,
    msg3_every: Duration,
) {
    let mut machine = ClientHandshake::new(&Keypair::generate(), &net(), &server);
    loop {
        match machine.next() {
            Next::Receive(n) => {
                let mut msg = vec![0; n];
                if c.read_exact(&mut msg).await.is_err() {
                    return;
                }
                machine.received(&msg).unwrap();
            }
            Next::Send(msg) => {
                let msg = msg.to_vec();
                let every = if msg.len() == MSG1 {
                    msg1_every
                } else {
                    msg3_every
                };
                dribble(&mut c, &msg, every).await;
                machine.sent().unwrap();
            }
            Next::Done => break,
            other => panic!("{other:?}"),
        }
    }
    let (mut sealer, _) = machine.finish().unwrap().keys.into_sealer_and_opener();
    let mut wire = BytesMut::new();
    sealer.seal(b"made it", &mut wire);
    sealer.seal_goodbye(&mut wire);
    let _ = c.write_all(&wire).await;
    let _ = c.read_to_end(&mut Vec::new()).await;
}

const FOUR_S: Duration = Duration::from_secs(4);
const SIX_S: Duration = Duration::from_secs(6);

#[tokio::test(start_paused = true)]
async fn slowloris_server_a_byte_every_4s_keeps_the_client_handshake_alive_6s_times_out() {
    let client = Client::new(Keypair::generate(), net());
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
    let server = Server::new(Keypair::generate(), net(), AllowAll);
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
        .connect(c, &PublicKey::from_bytes([1; 32]))
        .await
        .expect_err("must time out");
    assert!(
        matches!(e, HandshakeError::Timeout(Phase::ClientHello)),
        "{e:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));

    // Server: message 2 does not fit either.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
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

// ---------------------------------------------------------------------------------------------
// 4. Garbage
// ---------------------------------------------------------------------------------------------

/// A transport that counts the bytes read from it.
struct Counted<IO> {
    io: IO,
    read: Arc<AtomicUsize>,
}

impl<IO> Counted<IO> {
    fn new(io: IO) -> (Self, Arc<AtomicUsize>) {
        let read = Arc::new(AtomicUsize::new(0));
        (
            Counted {
                io,
                read: Arc::clone(&read),
            },
            read,
        )
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Counted<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.io).poll_read(cx, buf);
        self.read
            .fetch_add(buf.filled().len() - before, Ordering::SeqCst);
        result
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Counted<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Deterministic pseudo-random bytes (xorshift64*).
struct Garbage(u64);

impl Garbage {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let word = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// Writes garbage until the transport fails or `limit` bytes went out; returns how many did.
async fn spew<W: AsyncWrite + Unpin>(io: &mut W, seed: u64, limit: usize) -> usize {
    let mut garbage = Garbage(seed | 1);
    let mut chunk = vec![0; 8192];
    let mut sent = 0;
    while sent < limit {
        garbage.fill(&mut chunk);
        match io.write(&chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => sent += n,
        }
    }
    sent
}

const HUNDRED_MIB: usize = 100 << 20;

#[tokio::test]
async fn garbage_instead_of_a_hello_fails_phase_1_after_reading_exactly_64_bytes() {
    // At the server, instead of message 1.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (mut c, s) = tokio::io::duplex(1 << 16);
    let (s, read) = Counted::new(s);
    let spewer = tokio::spawn(async move { spew(&mut c, 1, HUNDRED_MIB).await });
    let e = timeout(NO_HANG, server.accept(s))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(
        matches!(e, HandshakeError::InvalidHello(Phase::ClientHello)),
        "{e:?}"
    );
    assert_eq!(read.load(Ordering::SeqCst), MSG1);
    let pushed = timeout(NO_HANG, spewer)
        .await
        .expect("spewer stopped")
        .unwrap();
    assert!(pushed < 1 << 20, "pushed {pushed} bytes");

    // At the client, instead of message 2.
    let client = Client::new(Keypair::generate(), net());
    let (c, mut s) = tokio::io::duplex(1 << 16);
    let (c, read) = Counted::new(c);
    let spewer = tokio::spawn(async move {
        let mut msg1 = [0; MSG1];
        s.read_exact(&mut msg1).await.unwrap();
        spew(&mut s, 2, HUNDRED_MIB).await
    });
    let e = timeout(NO_HANG, client.connect(c, &PublicKey::from_bytes([1; 32])))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(
        matches!(e, HandshakeError::InvalidHello(Phase::ServerHello)),
        "{e:?}"
    );
    assert_eq!(read.load(Ordering::SeqCst), MSG2);
    let pushed = timeout(NO_HANG, spewer)
        .await
        .expect("spewer stopped")
        .unwrap();
    assert!(pushed < 1 << 20, "pushed {pushed} bytes");
}

#[tokio::test]
async fn garbage_instead_of_message_3_or_4_fails_after_reading_exactly_that_message() {
    // The server reads message 1, then 112 bytes of garbage.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (mut c, s) = tokio::io::duplex(1 << 16);
    let (s, read) = Counted::new(s);
    let mut machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let spewer = tokio::spawn(async move {
        let Next::Send(msg1) = machine.next() else {
            panic!()
        };
        c.write_all(msg1).await.unwrap();
        machine.sent().unwrap();
        let mut msg2 = [0; MSG2];
        c.read_exact(&mut msg2).await.unwrap();
        machine.received(&msg2).unwrap();
        spew(&mut c, 3, HUNDRED_MIB).await
    });
    let e = timeout(NO_HANG, server.accept(s))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(matches!(e, HandshakeError::InvalidClientAuth), "{e:?}");
    assert_eq!(read.load(Ordering::SeqCst), CLIENT_HANDSHAKE);
    let pushed = timeout(NO_HANG, spewer)
        .await
        .expect("spewer stopped")
        .unwrap();
    assert!(pushed < 1 << 20, "pushed {pushed} bytes");

    // The client reads message 2, then 80 bytes of garbage.
    let client = Client::new(Keypair::generate(), net());
    let keys = Keypair::generate();
    let key = *keys.public();
    let (c, mut s) = tokio::io::duplex(1 << 16);
    let (c, read) = Counted::new(c);
    let spewer = tokio::spawn(async move {
        let mut machine = ServerHandshake::new(&keys, &net());
        let mut msg1 = [0; MSG1];
        s.read_exact(&mut msg1).await.unwrap();
        machine.received(&msg1).unwrap();
        let Next::Send(msg2) = machine.next() else {
            panic!()
        };
        s.write_all(msg2).await.unwrap();
        let mut msg3 = [0; MSG3];
        s.read_exact(&mut msg3).await.unwrap();
        spew(&mut s, 4, HUNDRED_MIB).await
    });
    let e = timeout(NO_HANG, client.connect(c, &key))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(matches!(e, HandshakeError::InvalidServerAccept), "{e:?}");
    assert_eq!(read.load(Ordering::SeqCst), SERVER_HANDSHAKE);
    let pushed = timeout(NO_HANG, spewer)
        .await
        .expect("spewer stopped")
        .unwrap();
    assert!(pushed < 1 << 20, "pushed {pushed} bytes");
}

/// Drives the server side by hand over `s`; returns its session.
async fn hand_server<IO: AsyncRead + AsyncWrite + Unpin>(s: &mut IO, keys: &Keypair) -> Session {
    let mut machine = ServerHandshake::new(keys, &net());
    loop {
        match machine.next() {
            Next::Receive(n) => {
                let mut msg = vec![0; n];
                s.read_exact(&mut msg).await.unwrap();
                machine.received(&msg).unwrap();
            }
            Next::Send(msg) => {
                s.write_all(msg).await.unwrap();
                machine.sent().unwrap();
            }
            Next::Authorize(_) => machine.accept().unwrap(),
            Next::Done => return machine.finish().unwrap(),
            other => panic!("{other:?}"),
        }
    }
}

/// Drives the client side by hand over `c`; returns its session.
async fn hand_client<IO: AsyncRead + AsyncWrite + Unpin>(
    c: &mut IO,
    server: &PublicKey,
) -> Session {
    let mut machine = ClientHandshake::new(&Keypair::generate(), &net(), server);
    loop {
        match machine.next() {
            Next::Receive(n) => {
                let mut msg = vec![0; n];
                c.read_exact(&mut msg).await.unwrap();
                machine.received(&msg).unwrap();
            }
            Next::Send(msg) => {
                c.write_all(msg).await.unwrap();
                machine.sent().unwrap();
            }
            Next::Done => return machine.finish().unwrap(),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn an_authenticated_peer_streaming_garbage_fails_fast_with_bounded_reads() {
    for valid_frames_first in [0usize, 3] {
        // Server → client.
        let client = Client::new(Keypair::generate(), net());
        let keys = Keypair::generate();
        let key = *keys.public();
        let (c, mut s) = tokio::io::duplex(1 << 16);
        let (c, read) = Counted::new(c);
        let spewer = tokio::spawn(async move {
            let session = hand_server(&mut s, &keys).await;
            let (mut sealer, _) = session.keys.into_sealer_and_opener();
            let mut wire = BytesMut::new();
            for _ in 0..valid_frames_first {
                sealer.seal(b"valid", &mut wire);
            }
            s.write_all(&wire).await.unwrap();
            spew(&mut s, 5, HUNDRED_MIB).await
        });
        let mut stream = timeout(NO_HANG, client.connect(c, &key))
            .await
            .unwrap()
            .unwrap();
        let (got, end) = read_until_end(&mut stream).await;
        assert_eq!(got, b"valid".repeat(valid_frames_first));
        let e = end.expect_err("garbage");
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
        let after = read.load(Ordering::SeqCst) - SERVER_HANDSHAKE;
        // The reader asks for a few frames' worth at a time and stops at the first bad header.
        assert!(after <= 64 << 10, "client read {after} bytes of garbage");
        let e = stream.read(&mut [0; 8]).await.expect_err("still failed");
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        drop(stream); // closes the transport: the spewer stops
        let pushed = timeout(NO_HANG, spewer)
            .await
            .expect("spewer stopped")
            .unwrap();
        assert!(pushed < 1 << 20, "server pushed {pushed} bytes");

        // Client → server.
        let server = Server::new(Keypair::generate(), net(), AllowAll);
        let server_key = *server.identity();
        let (mut c, s) = tokio::io::duplex(1 << 16);
        let (s, read) = Counted::new(s);
        let spewer = tokio::spawn(async move {
            let session = hand_client(&mut c, &server_key).await;
            let (mut sealer, _) = session.keys.into_sealer_and_opener();
            let mut wire = BytesMut::new();
            for _ in 0..valid_frames_first {
                sealer.seal(b"valid", &mut wire);
            }
            c.write_all(&wire).await.unwrap();
            spew(&mut c, 6, HUNDRED_MIB).await
        });
        let mut stream = timeout(NO_HANG, server.accept(s)).await.unwrap().unwrap();
        let (got, end) = read_until_end(&mut stream).await;
        assert_eq!(got, b"valid".repeat(valid_frames_first));
        assert_eq!(end.expect_err("garbage").kind(), ErrorKind::InvalidData);
        let after = read.load(Ordering::SeqCst) - CLIENT_HANDSHAKE;
        assert!(after <= 64 << 10, "server read {after} bytes of garbage");
        drop(stream);
        let pushed = timeout(NO_HANG, spewer)
            .await
            .expect("spewer stopped")
            .unwrap();
        assert!(pushed < 1 << 20, "client pushed {pushed} bytes");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Body length 0 or over 4096 from an authenticated peer
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_authenticated_peer_announcing_a_body_of_0_or_over_4096_bytes_gets_invalid_data() {
    for claimed in [0u16, 4097, 4098, 8192, 65535] {
        for full_body in [true, false] {
            // Server → client. The body is either all there or missing entirely (the peer then
            // waits): the length must be refused at the header, without waiting for the body.
            let client = Client::new(Keypair::generate(), net());
            let keys = Keypair::generate();
            let key = *keys.public();
            let (c, mut s) = tokio::io::duplex(1 << 16);
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
            let peer = tokio::spawn(async move {
                let session = hand_server(&mut s, &keys).await;
                let (mut sealer, _) = session.keys.into_sealer_and_opener();
                let mut wire = BytesMut::new();
                sealer.seal(b"fine", &mut wire);
                let body = vec![0x5a; usize::from(claimed).max(1)];
                hazmat::seal_frame_claiming_length(&mut sealer, claimed, &body, &mut wire);
                if !full_body {
                    wire.truncate(HEADER + 4 + HEADER);
                }
                s.write_all(&wire).await.unwrap();
                let _ = done_rx.await; // hold the connection open
            });
            let mut stream = timeout(NO_HANG, client.connect(c, &key))
                .await
                .unwrap()
                .unwrap();
            let mut buf = [0; 64];
            let n = timeout(NO_HANG, stream.read(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&buf[..n], b"fine");
            let e = timeout(Duration::from_secs(10), stream.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("claimed {claimed}: waited for the body"))
                .expect_err("bad length");
            assert_eq!(e.kind(), ErrorKind::InvalidData, "claimed {claimed}: {e}");
            assert!(e.to_string().contains(&claimed.to_string()), "{e}");
            let e = stream.read(&mut buf).await.expect_err("fails again");
            assert_eq!(e.kind(), ErrorKind::InvalidData);
            drop(done_tx);
            peer.await.unwrap();

            // Client → server.
            let server = Server::new(Keypair::generate(), net(), AllowAll);
            let server_key = *server.identity();
            let (mut c, s) = tokio::io::duplex(1 << 16);
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
            let peer = tokio::spawn(async move {
                let session = hand_client(&mut c, &server_key).await;
                let (mut sealer, _) = session.keys.into_sealer_and_opener();
                let mut wire = BytesMut::new();
                sealer.seal(b"fine", &mut wire);
                let body = vec![0xa5; usize::from(claimed).max(1)];
                hazmat::seal_frame_claiming_length(&mut sealer, claimed, &body, &mut wire);
                if !full_body {
                    wire.truncate(HEADER + 4 + HEADER);
                }
                c.write_all(&wire).await.unwrap();
                let _ = done_rx.await;
            });
            let mut stream = timeout(NO_HANG, server.accept(s)).await.unwrap().unwrap();
            let n = timeout(NO_HANG, stream.read(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&buf[..n], b"fine");
            let e = timeout(Duration::from_secs(10), stream.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("claimed {claimed}: waited for the body"))
                .expect_err("bad length");
            assert_eq!(e.kind(), ErrorKind::InvalidData, "claimed {claimed}: {e}");
            drop(done_tx);
            peer.await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_full_4096_byte_body_is_the_largest_accepted() {
    // The boundary next to the rejected lengths: exactly 4096, and 1, are fine.
    let client = Client::new(Keypair::generate(), net());
    let keys = Keypair::generate();
    let key = *keys.public();
    let (c, mut s) = tokio::io::duplex(1 << 16);
    let peer = tokio::spawn(async move {
        let session = hand_server(&mut s, &keys).await;
        let (mut sealer, _) = session.keys.into_sealer_and_opener();
        let mut wire = BytesMut::new();
        hazmat::seal_frame_claiming_length(&mut sealer, 4096, &[7; 4096], &mut wire);
        hazmat::seal_frame_claiming_length(&mut sealer, 1, &[8], &mut wire);
        sealer.seal_goodbye(&mut wire);
        assert_eq!(wire.len(), 3 * HEADER + 4097);
        s.write_all(&wire).await.unwrap();
        s
    });
    let mut stream = client.connect(c, &key).await.unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), 4097);
    assert!(got[..4096].iter().all(|&b| b == 7) && got[4096] == 8);
    peer.await.unwrap();
}
