//! The handshake for codec and custom-framing users: `into_session`
//! gives the transport and the session, `BoxFramed` closes with a goodbye, and the plain
//! `Framed` trap is what its docs say.

use crate::common;

use bytes::Bytes;
use common::net;
use futures::{SinkExt, StreamExt, TryStreamExt};
use secret_handshake::boxstream::{BoxStreamCodec, Frame, Goodbye};
use secret_handshake::{AllowAll, BoxFramed, Client, Keypair, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

fn parties() -> (Client, Server<AllowAll>) {
    (
        Client::new(Keypair::generate(), net()),
        Server::new(Keypair::generate(), net(), AllowAll),
    )
}

#[tokio::test]
async fn a_codec_on_raw_tcp_after_into_session_talks_to_a_box_stream() {
    let (client, server) = parties();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let serve = async {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut stream = server.accept(tcp).await.unwrap();
        // Sent right behind message 4: the client's exact-size reads must leave it for the codec.
        stream.write_all(b"first").await.unwrap();
        stream.flush().await.unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap(); // Ok only if the goodbye came
        stream.shutdown().await.unwrap();
        got
    };
    let dial = async {
        let tcp = TcpStream::connect(address).await.unwrap();
        let (tcp, session): (TcpStream, _) = client
            .connect(tcp, server.identity())
            .into_session()
            .await
            .unwrap();
        assert_eq!(&session.peer, server.identity());
        let mut framed = Framed::new(tcp, BoxStreamCodec::new(session.keys));
        let first = framed.try_next().await.unwrap();
        assert_eq!(first, Some(Frame::Message(b"first"[..].into())));
        framed.send(&b"over a codec"[..]).await.unwrap();
        framed.send(Goodbye).await.unwrap(); // the documented clean end
        assert_eq!(framed.try_next().await.unwrap(), Some(Frame::Goodbye));
    };
    let (got, ()) = tokio::join!(serve, dial);
    assert_eq!(got, b"over a codec");
}

#[tokio::test]
async fn box_framed_close_sends_the_goodbye_and_needs_no_type_annotation() {
    let (client, server) = parties();
    // Room for everything sent, since the peer reads only after our close.
    let (a, b) = tokio::io::duplex(64 * 1024);
    let (dialled, accepted) = tokio::join!(
        client.connect(a, server.identity()).into_session(),
        server.accept(b),
    );
    let (io, session) = dialled.unwrap();
    let mut framed = BoxFramed::new(io, session);
    assert_eq!(framed.peer_key(), server.identity());
    let mut stream = accepted.unwrap();
    framed.send(Bytes::from_static(b"one")).await.unwrap();
    framed.send(Bytes::from(vec![7; 5000])).await.unwrap(); // two frames
    framed.close().await.unwrap(); // the obvious code: goodbye, then half-close
    framed.close().await.unwrap(); // and again: still fine
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .await
        .expect("a goodbye, not a truncation");
    assert_eq!(got.len(), 3 + 5000);
    assert!(stream.is_ended());
    let error = framed.send(Bytes::from_static(b"late")).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
}

#[tokio::test]
async fn box_framed_streams_messages_and_ends_at_the_peers_goodbye() {
    let (client, server) = parties();
    let (a, b) = tokio::io::duplex(4096);
    let (dialled, accepted) = tokio::join!(
        client.connect(a, server.identity()),
        server.accept(b).into_session(),
    );
    let (io, session, ()) = accepted.unwrap();
    let mut framed = BoxFramed::new(io, session);
    let mut stream = dialled.unwrap();
    stream.write_all(b"hello").await.unwrap();
    stream.flush().await.unwrap();
    assert_eq!(&framed.next().await.unwrap().unwrap()[..], b"hello");
    stream.shutdown().await.unwrap(); // goodbye; the transport stays open (we still hold it)
    assert!(framed.next().await.is_none(), "the goodbye ends the stream");
    assert!(framed.is_ended());
    assert!(framed.next().await.is_none(), "and it stays ended");
    framed.close().await.unwrap();
    assert_eq!(
        stream.read(&mut [0; 8]).await.unwrap(),
        0,
        "our goodbye arrived"
    );
}

#[tokio::test]
async fn plain_framed_close_without_a_goodbye_is_a_truncation_as_documented() {
    let (client, server) = parties();
    let (a, b) = tokio::io::duplex(4096);
    let (dialled, accepted) = tokio::join!(
        client.connect(a, server.identity()).into_session(),
        server.accept(b),
    );
    let (io, session) = dialled.unwrap();
    let mut framed = Framed::new(io, BoxStreamCodec::new(session.keys));
    framed.send(&b"data"[..]).await.unwrap();
    SinkExt::<&[u8]>::close(&mut framed).await.unwrap(); // no goodbye: the trap
    let mut stream = accepted.unwrap();
    let mut got = Vec::new();
    let error = stream.read_to_end(&mut got).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(got, b"data");
}
