//! Frame headers announcing a body of 0 or over 4096 bytes, from the sans-IO opener and from
//! an authenticated peer.

use std::io::ErrorKind;
use std::time::Duration;

use bytes::BytesMut;
use secret_handshake::boxstream::Frame;
use secret_handshake::handshake::{ClientHandshake, ServerHandshake};
use secret_handshake::{hazmat, AllowAll, BoxStreamError, Client, Keypair, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use crate::common::{net, peer};
use crate::wire::{HEADER, NO_HANG};

#[test]
fn headers_claiming_a_body_of_0_or_over_4096_bytes_are_rejected() {
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
                let session = peer::handshake(ServerHandshake::new(&keys, &net()), &mut s).await;
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
                let machine = ClientHandshake::new(&Keypair::generate(), &net(), &server_key);
                let session = peer::handshake(machine, &mut c).await;
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
        let session = peer::handshake(ServerHandshake::new(&keys, &net()), &mut s).await;
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
