//! Garbage instead of a handshake message or a frame: fails fast, after reading no more
//! than it must.

use std::io::ErrorKind;

use bytes::BytesMut;
use secret_handshake::handshake::{ClientHandshake, ServerHandshake};
use secret_handshake::{AllowAll, Client, HandshakeError, Keypair, Phase, Server};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use crate::common::tally::{ReadTally, Tally};
use crate::common::{net, peer};
use crate::wire::{read_until_end, CLIENT_HANDSHAKE, MSG1, MSG2, NO_HANG, SERVER_HANDSHAKE};

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

/// Waits for the spewer to stop (we stopped reading and dropped the transport) and checks that
/// less than 1 MiB got past the transport's buffer.
async fn spewer_stops(spewer: JoinHandle<usize>, who: &str) {
    let pushed = timeout(NO_HANG, spewer)
        .await
        .expect("spewer stopped")
        .unwrap();
    assert!(pushed < 1 << 20, "{who} pushed {pushed} bytes");
}

#[tokio::test]
async fn garbage_instead_of_a_hello_fails_phase_1_after_reading_exactly_64_bytes() {
    // At the server, instead of message 1.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (mut c, s) = tokio::io::duplex(1 << 16);
    let read = Tally::new();
    let s = ReadTally::bytes(s, &read);
    let spewer = tokio::spawn(async move { spew(&mut c, 1, HUNDRED_MIB).await });
    let e = timeout(NO_HANG, server.accept(s))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(
        matches!(e, HandshakeError::InvalidHello(Phase::ClientHello)),
        "{e:?}"
    );
    assert_eq!(read.count(), MSG1);
    spewer_stops(spewer, "the spewer").await;

    // At the client, instead of message 2.
    let client = Client::new(Keypair::generate(), net());
    let (c, mut s) = tokio::io::duplex(1 << 16);
    let read = Tally::new();
    let c = ReadTally::bytes(c, &read);
    let spewer = tokio::spawn(async move {
        let mut msg1 = [0; MSG1];
        s.read_exact(&mut msg1).await.unwrap();
        spew(&mut s, 2, HUNDRED_MIB).await
    });
    let e = timeout(NO_HANG, client.connect(c, Keypair::generate().public()))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(
        matches!(e, HandshakeError::InvalidHello(Phase::ServerHello)),
        "{e:?}"
    );
    assert_eq!(read.count(), MSG2);
    spewer_stops(spewer, "the spewer").await;
}

#[tokio::test]
async fn garbage_instead_of_message_3_or_4_fails_after_reading_exactly_that_message() {
    // The server reads message 1, then 112 bytes of garbage.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (mut c, s) = tokio::io::duplex(1 << 16);
    let read = Tally::new();
    let s = ReadTally::bytes(s, &read);
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let spewer = tokio::spawn(async move {
        peer::run_up_to(machine, &mut c, 3).await;
        spew(&mut c, 3, HUNDRED_MIB).await
    });
    let e = timeout(NO_HANG, server.accept(s))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(matches!(e, HandshakeError::InvalidClientAuth), "{e:?}");
    assert_eq!(read.count(), CLIENT_HANDSHAKE);
    spewer_stops(spewer, "the spewer").await;

    // The client reads message 2, then 80 bytes of garbage.
    let client = Client::new(Keypair::generate(), net());
    let keys = Keypair::generate();
    let key = *keys.public();
    let (c, mut s) = tokio::io::duplex(1 << 16);
    let read = Tally::new();
    let c = ReadTally::bytes(c, &read);
    let spewer = tokio::spawn(async move {
        peer::run_up_to(ServerHandshake::new(&keys, &net()), &mut s, 4).await;
        spew(&mut s, 4, HUNDRED_MIB).await
    });
    let e = timeout(NO_HANG, client.connect(c, &key))
        .await
        .unwrap()
        .expect_err("garbage");
    assert!(matches!(e, HandshakeError::InvalidServerAccept), "{e:?}");
    assert_eq!(read.count(), SERVER_HANDSHAKE);
    spewer_stops(spewer, "the spewer").await;
}

#[tokio::test]
async fn an_authenticated_peer_streaming_garbage_fails_fast_with_bounded_reads() {
    for valid_frames_first in [0usize, 3] {
        // Server → client.
        let client = Client::new(Keypair::generate(), net());
        let keys = Keypair::generate();
        let key = *keys.public();
        let (c, mut s) = tokio::io::duplex(1 << 16);
        let read = Tally::new();
        let c = ReadTally::bytes(c, &read);
        let spewer = tokio::spawn(async move {
            let session = peer::handshake(ServerHandshake::new(&keys, &net()), &mut s).await;
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
        let e = stream.read(&mut [0; 8]).await.expect_err("still failed");
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        drop(stream); // closes the transport (the spewer stops) and counts what it read
        let after = read.count() - SERVER_HANDSHAKE;
        // The reader asks for a few frames' worth at a time and stops at the first bad header.
        assert!(after <= 64 << 10, "client read {after} bytes of garbage");
        spewer_stops(spewer, "server").await;

        // Client → server.
        let server = Server::new(Keypair::generate(), net(), AllowAll);
        let server_key = *server.identity();
        let (mut c, s) = tokio::io::duplex(1 << 16);
        let read = Tally::new();
        let s = ReadTally::bytes(s, &read);
        let spewer = tokio::spawn(async move {
            let machine = ClientHandshake::new(&Keypair::generate(), &net(), &server_key);
            let session = peer::handshake(machine, &mut c).await;
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
        drop(stream);
        let after = read.count() - CLIENT_HANDSHAKE;
        assert!(after <= 64 << 10, "server read {after} bytes of garbage");
        spewer_stops(spewer, "client").await;
    }
}
