//! The API shapes: staged accept, fallible futures, `get_ref` mid-handshake, a
//! transport that is not `Unpin`, typed auth values, settings at their extremes, the codec's end
//! at the goodbye, and the causes errors name.

use crate::common;

use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::net;
use futures::{SinkExt, StreamExt, TryStreamExt};
use secret_handshake::boxstream::{BoxStreamCodec, Frame, Goodbye};
use secret_handshake::handshake::{ClientHandshake, ServerHandshake, Session};
use secret_handshake::hazmat::drive;
use secret_handshake::{
    AllowAll, BoxStream, Client, HandshakeError, Keypair, NetworkKey, Phase, PublicKey, Server,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio_util::codec::Framed;

fn parties() -> (Client, Server<AllowAll>) {
    (
        Client::new(Keypair::generate(), net()),
        Server::new(Keypair::generate(), net(), AllowAll),
    )
}

/// A transport that is not `Unpin`.
#[pin_project::pin_project]
struct NotUnpin {
    #[pin]
    inner: DuplexStream,
    _pinned: PhantomPinned,
}

fn not_unpin(inner: DuplexStream) -> NotUnpin {
    NotUnpin {
        inner,
        _pinned: PhantomPinned,
    }
}

impl AsyncRead for NotUnpin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().inner.poll_read(cx, buf)
    }
}

impl AsyncWrite for NotUnpin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

#[tokio::test]
async fn a_transport_that_is_not_unpin_works_end_to_end() {
    let (client, server) = parties();
    let (c, s) = tokio::io::duplex(64);
    let (c, s) = tokio::join!(client.connect(not_unpin(c), server.identity()), async {
        server.authenticate(not_unpin(s)).await?.accept().await
    });
    let (mut alice, mut bob) = (c.unwrap(), s.unwrap());
    let (mut reader, mut writer) = bob.into_split_halves();
    let send = async {
        alice.write_all(&[5; 10_000]).await.unwrap();
        alice.shutdown().await.unwrap();
    };
    let receive = async {
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        writer.shutdown().await.unwrap();
        got
    };
    let ((), got) = tokio::join!(send, receive);
    assert_eq!(got, vec![5; 10_000]);
    bob = reader.reunite(writer).unwrap();
    assert!(bob.is_ended());
}

trait SplitHalves: Sized {
    type Halves;
    fn into_split_halves(self) -> Self::Halves;
}

impl<IO: AsyncRead + AsyncWrite> SplitHalves for BoxStream<IO> {
    type Halves = (
        secret_handshake::SplitReader<IO>,
        secret_handshake::SplitWriter<IO>,
    );
    fn into_split_halves(self) -> Self::Halves {
        self.into_split()
    }
}

#[tokio::test]
async fn staged_accept_hands_over_the_key_and_the_transport() {
    let (client, server) = parties();
    let (c, s) = tokio::io::duplex(4096);
    let authenticate = server.authenticate(s);
    assert!(authenticate.get_ref().is_some());
    let connect = client.connect(c, server.identity());
    assert!(connect.get_ref().is_some());
    let (connected, authenticated) = tokio::join!(connect, async {
        let authenticated = authenticate.await.unwrap();
        assert_eq!(authenticated.peer_key(), client.identity());
        let _transport: &DuplexStream = authenticated.get_ref();
        authenticated.accept_with(String::from("welcome")).await
    });
    let stream = authenticated.unwrap();
    assert_eq!(stream.auth(), "welcome"); // typed, no downcast
    assert_eq!(connected.unwrap().peer_key(), server.identity());
}

#[tokio::test]
async fn reject_sends_no_message_4_and_returns_the_transport() {
    let (client, server) = parties();
    let (c, s) = tokio::io::duplex(4096);
    let (connected, rejected) = tokio::join!(client.connect(c, server.identity()), async {
        let mut io = server.authenticate(s).await.unwrap().reject();
        // Only message 2 went out, and it has been read by now; the transport is ours.
        io.shutdown().await.unwrap();
        io
    });
    drop(rejected);
    assert!(matches!(
        connected.unwrap_err(),
        HandshakeError::PeerClosed(Phase::ClientAuth)
    ));
}

#[tokio::test]
async fn fallible_futures_give_the_transport_back() {
    let client = Client::new(Keypair::generate(), NetworkKey::from_bytes([1; 32]));
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let (c, s) = tokio::io::duplex(4096);
    let (connected, accepted) = tokio::join!(
        client.connect(c, server.identity()).into_fallible(),
        async {
            let (error, transport) = server.accept(s).into_fallible().await.unwrap_err();
            drop(transport); // our choice: hang up, as the plain `Accept` would have
            error
        },
    );
    assert!(matches!(
        accepted,
        HandshakeError::InvalidHello(Phase::ClientHello)
    ));
    let (client_error, _transport): (HandshakeError, DuplexStream) = connected.unwrap_err();
    assert!(matches!(
        client_error,
        HandshakeError::PeerClosed(Phase::ClientHello)
    ));
}

#[tokio::test]
async fn settings_at_their_extremes_are_accepted() {
    let client = Client::new(Keypair::generate(), net()).with_limits(
        secret_handshake::Limits::default().with_handshake_timeout(Some(Duration::MAX)),
    );
    let limits = secret_handshake::Limits::default()
        .with_handshake_timeout(Some(Duration::MAX))
        .with_handshake_deadline(Some(Duration::MAX))
        .with_authorize_timeout(Some(Duration::MAX))
        .with_max_handshakes(usize::MAX);
    assert_eq!(limits.max_handshakes(), usize::MAX);
    assert_eq!(limits.authorize_timeout(), Some(Duration::MAX));
    assert_eq!(
        secret_handshake::Limits::default()
            .with_max_handshakes(0)
            .max_handshakes(),
        1
    );
    let server = Server::new(Keypair::generate(), net(), AllowAll).with_limits(limits);
    assert_eq!(server.limits(), &limits);
    let (c, s) = tokio::io::duplex(1); // every message in 1-byte steps, each one restarting the timer
    let (c, s) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    let (mut alice, mut bob) = (c.unwrap(), s.unwrap());
    for limit in [usize::MAX, 0, 1] {
        alice.set_write_buffer_limit(limit);
        let (sent, got) = tokio::join!(
            async {
                alice.write_all(b"12345").await.unwrap();
                let held = alice.buffered_capacity();
                alice.write_all(&[9; 9000]).await.unwrap();
                alice.flush().await.unwrap();
                held
            },
            async {
                let mut got = vec![0; 9005];
                bob.read_exact(&mut got).await.unwrap();
                got
            }
        );
        assert!(
            sent < 100,
            "a 5-byte write under limit {limit} holds {sent} bytes"
        );
        assert_eq!(&got[..5], b"12345");
        assert_eq!(alice.buffered_capacity(), 0);
    }
    let _ = Client::new(Keypair::generate(), net()).with_limits(
        secret_handshake::Limits::default().with_handshake_timeout(Some(Duration::ZERO)),
    );
}

/// A transport that accepts no bytes.
struct RefusesWrites;

impl AsyncRead for RefusesWrites {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

impl AsyncWrite for RefusesWrites {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn our_transport_writing_nothing_is_write_zero_not_the_peer() {
    let client = Client::new(Keypair::generate(), net());
    let error = client
        .connect(RefusesWrites, Keypair::generate().public())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, HandshakeError::Io(Phase::ClientHello, e) if e.kind() == io::ErrorKind::WriteZero),
        "{error:?}"
    );
    assert_eq!(io::Error::from(error).kind(), io::ErrorKind::WriteZero);
}

#[tokio::test(start_paused = true)]
async fn an_authorizer_that_never_answers_fails_with_its_own_timeout() {
    let never = |_: PublicKey| futures::future::pending::<Result<Option<()>, io::Error>>();
    let server = Server::new(Keypair::generate(), net(), never).with_limits(
        secret_handshake::Limits::default().with_authorize_timeout(Some(Duration::from_secs(2))),
    );
    let client = Client::new(Keypair::generate(), net())
        .with_limits(secret_handshake::Limits::default().with_handshake_timeout(None));
    let (c, s) = tokio::io::duplex(4096);
    let (connected, accepted) =
        tokio::join!(client.connect(c, server.identity()), server.accept(s));
    let error = accepted.unwrap_err();
    assert!(
        matches!(error, HandshakeError::AuthorizerTimeout),
        "{error:?}"
    );
    assert_eq!(error.phase(), Some(Phase::ClientAuth));
    assert!(error.to_string().contains("authorizer"), "{error}");
    // The transport was dropped: the client hears the hang-up instead of waiting for ever.
    assert!(matches!(
        connected.unwrap_err(),
        HandshakeError::PeerClosed(Phase::ClientAuth)
    ));
}

/// Both sessions of a handshake run in memory.
fn sessions() -> (Session, Session) {
    let server = Keypair::generate();
    let client = ClientHandshake::new(&Keypair::generate(), &net(), server.public());
    drive::in_memory(client, ServerHandshake::new(&server, &net())).unwrap()
}

#[tokio::test]
async fn the_codec_ends_at_the_goodbye_while_the_transport_stays_open() {
    let (ours, theirs) = sessions();
    let (a, b) = tokio::io::duplex(4096);
    let mut peer = Framed::new(b, BoxStreamCodec::new(theirs.keys));
    peer.send(&b"one"[..]).await.unwrap();
    peer.send(&b"two"[..]).await.unwrap();
    peer.send(Goodbye).await.unwrap(); // and the peer keeps its end of the transport open
    let mut framed = Framed::new(a, BoxStreamCodec::new(ours.keys));
    let mut got = Vec::new();
    let read = async {
        while let Some(Frame::Message(m)) = framed.try_next().await.unwrap() {
            got.push(m.to_vec());
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("ends at the goodbye");
    assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
    assert!(framed.codec().is_ended());
    // After the goodbye the stream ends (`None`) when the peer, having our goodbye, hangs up.
    framed.send(Goodbye).await.unwrap();
    drop(peer);
    assert!(framed.next().await.is_none());
}
