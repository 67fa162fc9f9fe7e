//! Long-term keys with a torsion component (CVE-2025-69277 in the bundled libsodium 1.0.18): a
//! client claiming `Q + T2` never reaches the real server's authorizer, and a client refuses
//! such a server key (or an all-zero one, or one that is no curve point) before it writes a byte.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;
use secret_handshake::{Client, HandshakeError, Keypair, Phase, PublicKey, Server};
use sodiumoxide::crypto::sign;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::common::keys::{claiming, plus_order_2_point};
use crate::common::net;

/// The keypair of seed `[i; 32]` claiming its public key plus the point of order 2.
fn order_2_client(i: u8) -> Keypair {
    let honest = Keypair::from_seed(&[i; 32]);
    let torsioned = plus_order_2_point(honest.public().as_bytes());
    Keypair::from_secret_key_bytes_unchecked_for_testing_only(&claiming(&[i; 32], &torsioned))
}

#[test]
fn the_order_2_keys_are_ones_libsodium_1_0_18_accepts() {
    for i in 0..8 {
        let honest = Keypair::from_seed(&[i; 32]);
        let claimed = order_2_client(i);
        let key = *claimed.public().as_bytes();
        // The byte trick is the group law: Q + T2.
        let q = CompressedEdwardsY(*honest.public().as_bytes())
            .decompress()
            .expect("a real key decodes");
        assert_eq!((q + EIGHT_TORSION[4]).compress().to_bytes(), key);
        // libsodium converts it, and verifies its signatures whenever the hash is even.
        assert!(sign::to_curve25519_pk(&sign::PublicKey(key)).is_ok());
        let secret = sign::SecretKey(*claimed.secret_key_bytes());
        let verified = (0..64u8)
            .filter(|m| {
                let signature = sign::sign_detached(&[*m], &secret);
                sign::verify_detached(&signature, &[*m], &sign::PublicKey(key))
            })
            .count();
        assert!((12..=52).contains(&verified), "{verified} of 64 verified");
    }
}

#[tokio::test]
async fn a_client_claiming_q_plus_t2_never_reaches_the_authorizer() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&asked);
    let server = Server::new(Keypair::generate(), net(), move |client: PublicKey| {
        recorder.lock().expect("lock").push(client);
        async { Ok::<_, io::Error>(Some(())) }
    });
    // libsodium's signature check alone would let about half of these in (the signed message
    // holds the ephemeral keys, so it differs each time); the server checks the key first, so
    // every one fails the same way.
    for i in 0..24 {
        let client = Client::new(order_2_client(i), net());
        let (c, s) = tokio::io::duplex(256);
        let (c, s) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
        let e = s.expect_err("the server must refuse a key outside the prime-order subgroup");
        assert!(matches!(e, HandshakeError::InvalidClientKey), "{i}: {e:?}");
        assert_eq!(e.phase(), Some(Phase::ClientAuth));
        assert!(e.to_string().contains("phase 3"), "{e}");
        assert_eq!(io::Error::from(e).kind(), io::ErrorKind::InvalidData);
        // As with any rejection, the client only sees the connection close after message 3.
        let e = c.expect_err("the client must fail");
        assert!(
            matches!(e, HandshakeError::PeerClosed(Phase::ClientAuth)),
            "{e:?}"
        );
    }
    assert!(asked.lock().expect("lock").is_empty(), "authorizer called");
    // The same seed with its own key gets in, through the same authorizer.
    let honest = Client::new(Keypair::from_seed(&[0; 32]), net());
    let (c, s) = tokio::io::duplex(256);
    let (c, s) = tokio::join!(honest.connect(c, server.identity()), server.accept(s));
    c.expect("honest client");
    s.expect("honest client let in");
    assert_eq!(*asked.lock().expect("lock"), vec![*honest.identity()]);
}

/// A transport that counts every read and write poll and never completes one.
#[derive(Default, Clone)]
struct Untouched(Arc<AtomicUsize>);

impl AsyncRead for Untouched {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    }
}

impl AsyncWrite for Untouched {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    }
}

#[tokio::test]
async fn unusable_server_keys_are_refused_before_a_byte_is_written() {
    let real = *Keypair::from_seed(&[7; 32]).public().as_bytes();
    let q = CompressedEdwardsY(real).decompress().expect("a real key");
    let mut not_a_point = [0; 32];
    not_a_point[0] = 2; // y = 2 is the y of no curve point
    let mut identity = [0; 32];
    identity[0] = 1;
    let bad = [
        ("Q + T2", plus_order_2_point(&real)),
        ("Q + T4", (q + EIGHT_TORSION[2]).compress().to_bytes()),
        ("Q + T8", (q + EIGHT_TORSION[1]).compress().to_bytes()),
        ("all zeros", [0; 32]),
        ("not a curve point", not_a_point),
        ("the identity", identity),
    ];
    let client = Client::new(Keypair::generate(), net());
    client
        .check_server_key(&PublicKey::from_bytes(real))
        .expect("a real key");
    for (what, key) in bad {
        let key = PublicKey::from_bytes(key);
        let e = client.check_server_key(&key).expect_err(what);
        assert!(
            matches!(e, HandshakeError::InvalidServerKey),
            "{what}: {e:?}"
        );
        for attempt in ["first", "again (the cache holds no verdict)"] {
            let transport = Untouched::default();
            let e = client
                .connect(transport.clone(), &key)
                .await
                .expect_err(what);
            assert!(
                matches!(e, HandshakeError::InvalidServerKey),
                "{what}: {e:?}"
            );
            assert_eq!(
                transport.0.load(Ordering::SeqCst),
                0,
                "{what}, {attempt}: transport used"
            );
            // The fallible future hands the transport back, untouched.
            let (e, back) = client
                .connect(transport, &key)
                .into_fallible()
                .await
                .expect_err(what);
            assert!(
                matches!(e, HandshakeError::InvalidServerKey),
                "{what}: {e:?}"
            );
            assert_eq!(back.0.load(Ordering::SeqCst), 0, "{what}: transport used");
        }
    }
    // A real key over the same kind of transport is written to at once.
    let transport = Untouched::default();
    let connect = client.connect(transport.clone(), &PublicKey::from_bytes(real));
    let polled = tokio::time::timeout(Duration::from_millis(50), connect).await;
    assert!(
        polled.is_err(),
        "a transport that never completes cannot finish a handshake"
    );
    assert!(
        transport.0.load(Ordering::SeqCst) > 0,
        "a good key's hello was not attempted"
    );
}

#[tokio::test]
async fn a_websocket_dial_to_a_q_plus_t2_key_opens_no_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let real = *Keypair::generate().public().as_bytes();
    let address = format!(
        "ws://127.0.0.1:{port}~shs:{}",
        PublicKey::from_bytes(plus_order_2_point(&real)).to_base64()
    );
    let address: secret_handshake::multiserver::MultiserverAddress =
        address.parse().expect("an address");
    let client = Client::new(Keypair::generate(), net());
    let e = secret_handshake::dial::Dialer::new()
        .connect_to(&client, &[address])
        .await
        .expect_err("refused");
    assert!(
        matches!(
            e.attempts()[0].failure(),
            secret_handshake::dial::Failure::Handshake(HandshakeError::InvalidServerKey)
        ),
        "{e:?}"
    );
    // Had it dialled, the connection would be waiting already.
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "a connection was opened: {accepted:?}");
}
