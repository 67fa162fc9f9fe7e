//! Truncation at every byte offset, of the handshake and of the session after it.

use std::io::ErrorKind;

use bytes::BytesMut;
use secret_handshake::handshake::{ClientHandshake, Next, ServerHandshake};
use secret_handshake::{AllowAll, BoxStream, Client, HandshakeError, Keypair, Phase, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

use crate::common::net;
use crate::common::peer::{self, Scripted, Write};
use crate::wire::{
    read_until_end, CLIENT_HANDSHAKE, HEADER, MSG1, MSG2, NO_HANG, SERVER_HANDSHAKE,
};

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

/// Runs `machine` honestly over `io`, except that only the first `budget` bytes of what it
/// sends go out: after that it half-closes (an EOF for the peer) and drains whatever the peer
/// still sends until the peer hangs up, so the peer only ever sees the truncation.
/// With the handshake done, it sends `frames` and the goodbye (within the same budget).
async fn truncated_peer<H: Scripted>(
    mut io: DuplexStream,
    machine: H,
    mut budget: usize,
    frames: Vec<Vec<u8>>,
) {
    let within_budget = |_, msg: &[u8]| match msg.len() <= budget {
        true => {
            budget -= msg.len();
            Write::All
        }
        false => Write::Only(std::mem::take(&mut budget)),
    };
    match peer::drive(machine, &mut io, within_budget).await {
        Ok(session) => {
            let (mut sealer, _) = session.keys.into_sealer_and_opener();
            let mut wire = BytesMut::new();
            for frame in &frames {
                sealer.seal(frame, &mut wire);
            }
            sealer.seal_goodbye(&mut wire);
            write_within(&mut io, &mut budget, &wire).await;
        }
        // The side under test hung up while we waited for its message.
        Err(machine) if matches!(machine.next(), Next::Receive(_)) => return,
        Err(_) => {}
    }
    let _ = io.shutdown().await;
    let _ = io.read_to_end(&mut Vec::new()).await;
}

/// Runs `machine` honestly over `io` until `cut` bytes went out, then drops the transport at
/// once (both directions, as a crashed peer or a reset), without reading what comes next.
async fn hang_up_after<H: Scripted>(machine: H, mut io: DuplexStream, mut cut: usize) {
    let cut_short = |_, msg: &[u8]| match msg.len() < cut {
        true => {
            cut -= msg.len();
            Write::All
        }
        false => Write::Only(std::mem::take(&mut cut)),
    };
    let stopped = peer::drive(machine, &mut io, cut_short)
        .await
        .expect_err("the cut comes before the end of the handshake");
    assert!(
        matches!(stopped.next(), Next::Send(_)),
        "the real side hung up first: {:?}",
        stopped.next()
    );
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
        let (c, s) = tokio::io::duplex(1 << 16);
        let keys = Keypair::generate();
        let key = *keys.public();
        let machine = ServerHandshake::new(&keys, &net());
        let peer = tokio::spawn(hang_up_after(machine, s, cut));
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
        let (c, s) = tokio::io::duplex(1 << 16);
        let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
        let peer = tokio::spawn(hang_up_after(machine, c, cut));
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
