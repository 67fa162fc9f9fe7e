//! One close for every transport (`BoxStream::close`, `BoxFramed::close_within`): both
//! goodbyes, then the transport's own end, within a timeout, over TCP and WebSocket, through
//! `into_dyn`, split halves and `Framed`; a peer that never answers cannot hold it.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt, TryStreamExt};
use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::websocket::{self, Config, WsTransport};
use secret_handshake::{AllowAll, BoxFramed, BoxStream, Client, Keypair, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use crate::common::pairs::{duplex_pair, tcp_pair};
use crate::common::{net, payload};

type Ws<S> = WsTransport<S>;

/// Two WebSocket transports over an in-memory pipe (client, server).
async fn ws_transports<S>(wrap: impl Fn(DuplexStream) -> S) -> (Ws<S>, Ws<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (c, s) = tokio::io::duplex(64 * 1024);
    let config = Config::default();
    let (c, s) = tokio::join!(
        WsTransport::connect_with(wrap(c), "ws://peer/", &config),
        WsTransport::accept(wrap(s)),
    );
    (c.expect("client upgrade"), s.expect("server upgrade"))
}

/// A box-stream pair over `ws_transports`.
async fn ws_pair<S>(wrap: impl Fn(DuplexStream) -> S) -> (BoxStream<Ws<S>>, BoxStream<Ws<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (c, s) = ws_transports(wrap).await;
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    (c.expect("client"), s.expect("server"))
}

/// Writes `data` and closes; what a peer that sends a reply and leaves does.
async fn send_and_close<IO: AsyncRead + AsyncWrite + ?Sized>(
    stream: &mut BoxStream<IO>,
    data: &[u8],
) -> io::Result<()> {
    stream.write_all(data).await?;
    stream.close().await
}

/// Reads to the peer's goodbye, then closes: the application that keeps the peer's last data.
async fn read_and_close<IO: AsyncRead + AsyncWrite + ?Sized>(
    stream: &mut BoxStream<IO>,
) -> io::Result<Vec<u8>> {
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await?;
    stream.close().await?;
    Ok(got)
}

#[tokio::test]
async fn over_tcp_both_sides_end_cleanly_and_data_read_before_closing_is_kept() {
    let (mut a, mut b) = tcp_pair().await;
    let data = payload(300_000, 1);
    let (sent, got) = tokio::join!(send_and_close(&mut a, &data), read_and_close(&mut b));
    sent.expect("sender's close");
    assert_eq!(got.expect("reader's close"), data);
    assert!(a.is_ended() && b.is_ended());
    a.close().await.expect("close again");
    a.close_within(Duration::MAX).await.expect("no limit");
    // The TCP connection is over: its write side is shut.
    let e = a
        .get_mut()
        .write(b"x")
        .await
        .expect_err("write after close");
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{e}");
}

#[tokio::test]
async fn over_websocket_through_into_dyn_the_close_handshake_completes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let addr = MultiserverAddress::ws("127.0.0.1", port, *server.identity());
    let (a, b) = tokio::join!(crate::common::ws::connect(&client, &addr), async {
        websocket::accept(&server, listener.accept().await.unwrap().0).await
    });
    // Code written for any transport: a `DynBoxStream`.
    let mut a = a.expect("dial").into_dyn();
    let mut b: BoxStream<WsTransport<TcpStream>> = b.expect("accept");
    let data = payload(200_000, 2);
    let (got, sent) = tokio::join!(read_and_close(&mut a), send_and_close(&mut b, &data));
    assert_eq!(got.expect("dyn side's close"), data);
    sent.expect("typed side's close");
    assert!(
        b.get_ref().is_closed_by_peer(),
        "the WebSocket Close came back"
    );
}

/// Counts a transport's traffic, and the bytes read by the time of each shutdown.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<LogInner>>);

#[derive(Default)]
struct LogInner {
    read: usize,
    written: usize,
    shutdowns: Vec<usize>,
}

struct Spy<T> {
    inner: T,
    log: Log,
}

impl<T: AsyncRead + Unpin> AsyncRead for Spy<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.log.0.lock().unwrap().read += buf.filled().len() - before;
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Spy<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            self.log.0.lock().unwrap().written += n;
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        if poll.is_ready() {
            let mut log = self.log.0.lock().unwrap();
            let read = log.read;
            log.shutdowns.push(read);
        }
        poll
    }
}

#[tokio::test]
async fn the_websocket_close_waits_for_the_peers_goodbye() {
    // Each side's box-stream over a spy over its WebSocket.
    let (ca, sb) = ws_transports(|io| io).await;
    let (log_a, log_b) = (Log::default(), Log::default());
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (a, b) = tokio::join!(
        client.connect(
            Spy {
                inner: ca,
                log: log_a.clone()
            },
            server.identity()
        ),
        server.accept(Spy {
            inner: sb,
            log: log_b.clone()
        }),
    );
    let (mut a, mut b) = (a.unwrap(), b.unwrap());
    // A closes at once, with nothing to send; B keeps sending 1 MiB first.
    let data = payload(1 << 20, 3);
    let (closed, sent) = tokio::join!(a.close(), send_and_close(&mut b, &data));
    closed.expect("A's close");
    sent.expect("B's close: every write went through");
    let (a_log, b_log) = (log_a.0.lock().unwrap(), log_b.0.lock().unwrap());
    // A's second shutdown (the WebSocket Close) came once all of B's box-stream bytes, its
    // goodbye last, had been read.
    assert_eq!(a_log.shutdowns.len(), 2, "{:?}", a_log.shutdowns);
    assert_eq!(
        a_log.shutdowns[1], b_log.written,
        "Close sent before B's goodbye"
    );
    assert!(a.get_ref().inner.is_closed_by_peer());
}

#[tokio::test]
async fn split_halves_close_once_reunited() {
    let (a, mut b) = ws_pair(|io| io).await;
    let (mut reader, mut writer) = a.into_split();
    let data = payload(100_000, 4);
    let halves = async {
        let write = tokio::spawn(async move {
            writer.write_all(b"from a half").await.unwrap();
            writer.flush().await.unwrap();
            writer
        });
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        let writer = write.await.unwrap();
        let mut a = reader.reunite(writer).expect("a pair");
        (got, a.close().await)
    };
    let peer = async {
        let mut hello = [0; 11];
        b.read_exact(&mut hello).await.unwrap();
        send_and_close(&mut b, &data).await.map(|()| hello)
    };
    let ((got, closed), sent) = tokio::join!(halves, peer);
    assert_eq!(got, data);
    closed.expect("reunited close");
    assert_eq!(&sent.expect("peer's close"), b"from a half");
}

#[tokio::test]
async fn split_with_tcp_halves_close_once_reunited() {
    let (a, mut b) = tcp_pair().await;
    let (mut reader, mut writer) = a.split_with(TcpStream::into_split);
    writer.write_all(b"ping").await.unwrap();
    writer.shutdown().await.unwrap(); // our goodbye from the write half
    let peer = async {
        let got = read_and_close(&mut b).await;
        got.map(|got| assert_eq!(got, b"ping"))
    };
    let ours = async {
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        let mut a = reader
            .reunite_with(writer, |r, w| r.reunite(w).map_err(|e| (e.0, e.1)))
            .expect("a pair");
        a.close().await
    };
    let (theirs, ours) = tokio::join!(peer, ours);
    theirs.expect("peer's close");
    ours.expect("reunited close");
}

#[tokio::test]
async fn through_framed_over_a_websocket() {
    let (ca, sb) = ws_transports(|io| io).await;
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (a, b) = tokio::join!(
        client.connect(ca, server.identity()),
        server.accept(sb).into_session(),
    );
    // A: a plain `Framed` over a box-stream; B: a `BoxFramed` straight on the WebSocket.
    let mut a = Framed::new(a.unwrap(), LengthDelimitedCodec::new());
    let (io, session, ()) = b.unwrap();
    let mut b = BoxFramed::new(io, session);
    let ours = async {
        for i in 0..100u8 {
            a.send(Bytes::from(vec![i; 1000])).await?;
        }
        SinkExt::<Bytes>::close(&mut a).await?; // the goodbye and the half-close
        a.get_mut().close().await // the rest: B's goodbye, the WebSocket Close
    };
    let theirs = async {
        let got: Vec<_> = (&mut b).try_collect().await?;
        // Sent after A began to close without reading on: A drops it (documented).
        b.send(Bytes::from_static(b"bye")).await?;
        b.close_within(Duration::from_secs(5)).await?;
        io::Result::Ok(got)
    };
    let (ours, theirs) = tokio::join!(ours, theirs);
    ours.expect("Framed<BoxStream> close");
    let got = theirs.expect("BoxFramed close");
    // One frame per item sent (each flushed by `send`): 4 bytes of length, then the item.
    assert_eq!(got.len(), 100);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, m)| m.len() == 1004 && m[4] == i as u8));
    assert!(b.get_ref().is_closed_by_peer());
    assert_eq!(a.next().await.transpose().unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_never_says_goodbye_cannot_hold_the_close() {
    for transport in ["duplex", "websocket"] {
        let started = tokio::time::Instant::now();
        let e = match transport {
            "duplex" => {
                let (mut a, _silent) = duplex_pair(4096).await;
                a.close_within(Duration::from_secs(2)).await
            }
            _ => {
                let (mut a, _silent) = ws_pair(|io| io).await;
                a.close_within(Duration::from_secs(2)).await
            }
        }
        .expect_err("no goodbye ever");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{transport}: {e}");
        assert!(e.to_string().contains("no goodbye from the peer"), "{e}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_millis(2500),
            "{took:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_websocket_peer_that_never_sends_its_close_cannot_hold_the_close() {
    let (mut a, mut b) = ws_pair(|io| io).await;
    // B says goodbye and reads ours, then neither reads nor closes the WebSocket.
    b.shutdown().await.unwrap();
    let started = tokio::time::Instant::now();
    let (closed, read) = tokio::join!(a.close_within(Duration::from_secs(3)), async {
        b.read_to_end(&mut Vec::new()).await
    });
    read.expect("B got our goodbye");
    let e = closed.expect_err("no Close ever");
    assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
    assert!(e.to_string().contains("the transport did not end"), "{e}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_millis(3500),
        "{took:?}"
    );
}

#[tokio::test]
async fn shutdown_over_tcp_stays_a_half_close_that_never_waits() {
    let (mut a, mut b) = tcp_pair().await;
    a.shutdown()
        .await
        .expect("goodbye, without waiting for the peer");
    b.write_all(b"still open").await.unwrap();
    b.flush().await.unwrap();
    let mut got = [0; 10];
    a.read_exact(&mut got).await.expect("reading keeps working");
    assert_eq!(&got, b"still open");
    let (x, y) = tokio::join!(a.close(), b.close());
    x.expect("a");
    y.expect("b");
}
