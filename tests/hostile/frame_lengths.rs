//! Frame headers announcing a body over 4096 bytes, or none at all (a frame with no data, which
//! the JS reference accepts), from the sans-IO opener and from an authenticated peer.

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
fn headers_claiming_a_body_over_4096_bytes_are_rejected() {
    for (claimed, body) in [(4097u16, &[0u8; 4097][..]), (65535, &b"y"[..])] {
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
async fn an_authenticated_peer_announcing_a_body_over_4096_bytes_gets_invalid_data() {
    for claimed in [4097u16, 4098, 8192, 65535] {
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
                let body = vec![0x5a; usize::from(claimed)];
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
                let body = vec![0xa5; usize::from(claimed)];
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

/// `writes` sealed as frames (an empty one as a frame with no data) and the goodbye.
fn sealed_with_empty_frames(writes: &[&[u8]]) -> BytesMut {
    let mut sealer = hazmat::sealer_from_raw_parts([5; 32], [0xff; 24]);
    let mut wire = BytesMut::new();
    for write in writes {
        let len = u16::try_from(write.len()).unwrap();
        hazmat::seal_frame_claiming_length(&mut sealer, len, write, &mut wire);
    }
    sealer.seal_goodbye(&mut wire);
    wire
}

#[test]
fn an_empty_frame_is_a_frame_with_no_data_and_a_header_claiming_0_over_a_body_is_not() {
    let mut wire = sealed_with_empty_frames(&[b"", b"one", b"", b"", b"two", b""]);
    assert_eq!(
        wire.len(),
        7 * HEADER + 6,
        "an empty frame is a header alone"
    );
    let mut opener = hazmat::opener_from_raw_parts([5; 32], [0xff; 24]);
    let mut opened = Vec::new();
    while let Some(frame) = opener.open(&mut wire).unwrap() {
        let end = frame == Frame::Goodbye;
        opened.push(frame);
        if end {
            break;
        }
    }
    let message = |m: &[u8]| Frame::Message(BytesMut::from(m));
    assert_eq!(opened, [message(b"one"), message(b"two"), Frame::Goodbye]);
    assert!(wire.is_empty() && opener.is_ended());

    // Split anywhere, the same frames come out: an empty frame is never taken for more bytes.
    let whole = sealed_with_empty_frames(&[b"", b"ab", b""]);
    for cut in 0..whole.len() {
        let mut opener = hazmat::opener_from_raw_parts([5; 32], [0xff; 24]);
        let mut buf = BytesMut::from(&whole[..cut]);
        let mut got = Vec::new();
        while let Some(frame) = opener.open(&mut buf).unwrap() {
            got.push(frame);
        }
        buf.extend_from_slice(&whole[cut..]);
        while let Some(frame) = opener.open(&mut buf).unwrap() {
            let end = frame == Frame::Goodbye;
            got.push(frame);
            if end {
                break;
            }
        }
        assert_eq!(got, [message(b"ab"), Frame::Goodbye], "cut at {cut}");
    }

    // A header claiming 0 over the MAC of a body that is there is a forgery of the empty frame.
    let mut sealer = hazmat::sealer_from_raw_parts([5; 32], [0xff; 24]);
    let mut wire = BytesMut::new();
    hazmat::seal_frame_claiming_length(&mut sealer, 0, b"x", &mut wire);
    let mut opener = hazmat::opener_from_raw_parts([5; 32], [0xff; 24]);
    assert_eq!(opener.open(&mut wire), Err(BoxStreamError::InvalidBody));
}

#[tokio::test]
async fn empty_frames_never_read_as_the_end_of_the_stream() {
    use futures::TryStreamExt;
    use secret_handshake::boxstream::BoxStreamCodec;

    // Through the async stream: a read never returns 0 before the goodbye.
    let client = Client::new(Keypair::generate(), net());
    let keys = Keypair::generate();
    let key = *keys.public();
    let (c, mut s) = tokio::io::duplex(1 << 16);
    let (more_tx, more_rx) = tokio::sync::oneshot::channel::<()>();
    let peer = tokio::spawn(async move {
        let session = peer::handshake(ServerHandshake::new(&keys, &net()), &mut s).await;
        let (mut sealer, _) = session.keys.into_sealer_and_opener();
        let mut wire = BytesMut::new();
        for _ in 0..100 {
            hazmat::seal_frame_claiming_length(&mut sealer, 0, b"", &mut wire);
        }
        s.write_all(&wire).await.unwrap();
        // Only empty frames so far: the reader must still be waiting, not at EOF.
        more_rx.await.unwrap();
        let mut wire = BytesMut::new();
        hazmat::seal_frame_claiming_length(&mut sealer, 0, b"", &mut wire);
        sealer.seal(b"data", &mut wire);
        hazmat::seal_frame_claiming_length(&mut sealer, 0, b"", &mut wire);
        sealer.seal_goodbye(&mut wire);
        s.write_all(&wire).await.unwrap();
        s
    });
    let mut stream = timeout(NO_HANG, client.connect(c, &key))
        .await
        .unwrap()
        .unwrap();
    let mut buf = [0; 64];
    let mut read = std::pin::pin!(stream.read(&mut buf));
    assert!(
        futures::poll!(read.as_mut()).is_pending(),
        "a read returned on empty frames alone"
    );
    more_tx.send(()).unwrap();
    let n = timeout(NO_HANG, read).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"data");
    assert_eq!(stream.read(&mut buf).await.unwrap(), 0, "the goodbye");
    peer.await.unwrap();

    // Through the codec: only the messages and the goodbye come out.
    let wire = sealed_with_empty_frames(&[b"", b"one", b"", b""]);
    let (mut w, r) = tokio::io::duplex(1 << 16);
    w.write_all(&wire).await.unwrap();
    drop(w);
    let codec = BoxStreamCodec::from_parts(
        hazmat::sealer_from_raw_parts([6; 32], [0; 24]),
        hazmat::opener_from_raw_parts([5; 32], [0xff; 24]),
    );
    let frames: Vec<Frame> = tokio_util::codec::FramedRead::new(r, codec)
        .try_collect()
        .await
        .unwrap();
    let message = |m: &[u8]| Frame::Message(BytesMut::from(m));
    assert_eq!(frames, [message(b"one"), Frame::Goodbye]);
}

/// A transport that is always ready with another empty frame, and counts its reads.
struct EndlessEmptyFrames {
    sealer: secret_handshake::boxstream::BoxSealer,
    pending: BytesMut,
    reads: usize,
}

impl tokio::io::AsyncRead for EndlessEmptyFrames {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        this.reads += 1;
        assert!(
            this.reads < 1_000_000,
            "a read never returned to its caller"
        );
        if this.pending.is_empty() {
            hazmat::seal_frame_claiming_length(&mut this.sealer, 0, b"", &mut this.pending);
        }
        let n = this.pending.len().min(buf.remaining());
        buf.put_slice(&this.pending.split_to(n));
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for EndlessEmptyFrames {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn an_endless_flood_of_empty_frames_does_not_hold_a_read_for_ever() {
    let server_id = Keypair::generate();
    let (ours, theirs) = hazmat::drive::in_memory(
        ClientHandshake::new(&Keypair::generate(), &net(), server_id.public()),
        ServerHandshake::new(&server_id, &net()),
    )
    .unwrap();
    let (sealer, _) = theirs.keys.into_sealer_and_opener();
    let transport = EndlessEmptyFrames {
        sealer,
        pending: BytesMut::new(),
        reads: 0,
    };
    let mut stream = secret_handshake::BoxStream::new(transport, ours);
    for _ in 0..3 {
        let mut buf = [0; 64];
        assert!(futures::poll!(std::pin::pin!(stream.read(&mut buf))).is_pending());
    }
    let reads = stream.get_ref().reads;
    assert!(reads <= 3 * 200, "{reads} transport reads in three polls");
}
