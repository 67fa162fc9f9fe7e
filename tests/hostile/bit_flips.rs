//! A flipped bit in every byte of messages 1 to 4.

use std::io::ErrorKind;

use secret_handshake::{AllowAll, Client, HandshakeError, Keypair, Phase, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

use crate::common::net;
use crate::wire::{MSG1, MSG2, MSG3, MSG4, NO_HANG};

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
