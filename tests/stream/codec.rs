//! `tokio_util::codec` on both sides of the handshake: `Framed<BoxStream<_>, LinesCodec>`, and
//! the box-stream codec itself on a raw transport.

use crate::common;

use common::{net, peer};
use futures::{SinkExt, StreamExt};
use secret_handshake::boxstream::{BoxStreamCodec, Frame, Goodbye};
use secret_handshake::handshake::{ClientHandshake, Session};
use secret_handshake::{AllowAll, Client, Keypair, PublicKey, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LinesCodec};

#[tokio::test]
async fn lines_over_a_box_stream_over_tcp() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server_task = tokio::spawn({
        let server = server.clone();
        async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let stream = server.accept(tcp).await.unwrap();
            let mut lines = Framed::new(stream, LinesCodec::new());
            while let Some(line) = lines.next().await {
                let line = line.unwrap();
                lines.send(line.to_uppercase()).await.unwrap();
            }
            // The client's goodbye ended the stream cleanly; close ours.
            SinkExt::<String>::close(&mut lines).await.unwrap();
        }
    });
    let tcp = TcpStream::connect(address).await.unwrap();
    let stream = client.connect(tcp, server.identity()).await.unwrap();
    let mut lines = Framed::new(stream, LinesCodec::new());
    for word in ["one", "two", "three"] {
        lines.send(word).await.unwrap();
        assert_eq!(lines.next().await.unwrap().unwrap(), word.to_uppercase());
    }
    SinkExt::<&str>::close(&mut lines).await.unwrap(); // flush + goodbye + half-close
    assert!(
        lines.next().await.is_none(),
        "server's goodbye ends the stream"
    );
    server_task.await.unwrap();
}

#[tokio::test]
async fn box_stream_codec_on_a_raw_transport_talks_to_a_box_stream() {
    // Our BoxStream on one side; a hand-driven handshake plus Framed<_, BoxStreamCodec> on the
    // other: the pull-stream style view of the same protocol.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (mut raw, s) = tokio::io::duplex(4096);
    let server_task = tokio::spawn({
        let server = server.clone();
        async move {
            let mut stream = server.accept(s).await.unwrap();
            let mut got = Vec::new();
            stream.read_to_end(&mut got).await.unwrap();
            stream.write_all(&got).await.unwrap();
            stream.shutdown().await.unwrap();
            got
        }
    });

    let session = raw_client_handshake(&mut raw, server.identity()).await;
    let mut framed = Framed::new(raw, BoxStreamCodec::new(session.keys));
    let big = vec![7u8; 10_000];
    framed.send(&b"first"[..]).await.unwrap();
    framed.send(big.as_slice()).await.unwrap();
    framed.send(Goodbye).await.unwrap();
    assert!(framed.send(&b"after goodbye"[..]).await.is_err());

    // The echo comes back as frames: 5 bytes, then 4096 + 4096 + 1808 (and possibly coalesced
    // differently by the server, which writes it all at once); compare the concatenation. The
    // server's goodbye comes last, once.
    let mut echoed = Vec::new();
    let mut goodbyes = 0;
    while let Some(frame) = framed.next().await {
        match frame.unwrap() {
            Frame::Message(body) => {
                assert_eq!(goodbyes, 0, "a message after the goodbye");
                assert!(!body.is_empty() && body.len() <= 4096);
                echoed.extend_from_slice(&body);
            }
            Frame::Goodbye => goodbyes += 1,
        }
    }
    assert_eq!(goodbyes, 1);
    let mut expected = b"first".to_vec();
    expected.extend_from_slice(&big);
    assert!(echoed == expected);
    assert!(server_task.await.unwrap() == expected);
}

/// Runs the client handshake by hand on a raw transport.
async fn raw_client_handshake(raw: &mut DuplexStream, server: &PublicKey) -> Session {
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server);
    peer::handshake(machine, raw).await
}

#[tokio::test]
async fn codec_stream_errors_on_eof_without_goodbye() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (mut raw, s) = tokio::io::duplex(4096);
    let server_task = tokio::spawn({
        let server = server.clone();
        async move {
            let mut stream = server.accept(s).await.unwrap();
            stream.write_all(b"abc").await.unwrap();
            stream.flush().await.unwrap();
            // Dropped without shutdown: no goodbye.
        }
    });
    let session = raw_client_handshake(&mut raw, server.identity()).await;
    server_task.await.unwrap();
    let mut framed = Framed::new(raw, BoxStreamCodec::new(session.keys));
    let frame = framed.next().await.unwrap().unwrap();
    assert_eq!(frame, Frame::Message(b"abc"[..].into()));
    let e = framed.next().await.unwrap().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}");
}
