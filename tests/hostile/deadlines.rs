//! Deadlines fire on time whatever the peer sends: a transport that keeps the task busy, a
//! steady trickle, an authorizer that never answers. Real time throughout (Tokio's clock,
//! not paused); `clocks.rs` has the paused clock, `fork()` and runtimes without timers.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use secret_handshake::handshake::{ClientHandshake, Handshake, Next};
use secret_handshake::{AllowAll, Client, HandshakeError, Keypair, Phase, PublicKey, Server};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::common::net;

/// Generous slack for a loaded 2-core machine: a deadline of `d` must fire before `d + SLACK`.
const SLACK: Duration = Duration::from_millis(1500);

fn assert_fired_on_time(started: Instant, deadline: Duration) {
    let took = started.elapsed();
    assert!(
        took >= deadline && took < deadline + SLACK,
        "fired after {took:?}, deadline {deadline:?}"
    );
}

/// A peer that never sends and takes whatever is written. It keeps no waker, so only the
/// handshake's timer can wake a task waiting on it. It is kept busy by its peer, as a WebSocket layer is by a flood of
/// Pings it answers itself: each read spends the task's whole cooperative budget and returns
/// `Pending` with the task woken again at once, never yielding a byte. A timer polled inside
/// the budget never fires there: the per-poll check of the clock does.
struct Busy;

impl AsyncRead for Busy {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut spend = std::pin::pin!(tokio::task::consume_budget());
            if spend.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl AsyncWrite for Busy {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_timeout_fires_on_time_while_the_transport_keeps_the_task_busy() {
    let timeout = Duration::from_secs(2);
    let server = Server::new(Keypair::generate(), net(), AllowAll)
        .with_limits(secret_handshake::Limits::default().with_handshake_timeout(Some(timeout)));
    let started = Instant::now();
    let error = server.accept(Busy).await.expect_err("must time out");
    assert!(
        matches!(error, HandshakeError::Timeout(Phase::ClientHello)),
        "{error:?}"
    );
    assert_fired_on_time(started, timeout);
}

#[tokio::test]
async fn a_steady_trickle_ends_at_the_server_deadline_not_after_minutes() {
    // A byte every 200 ms never trips the 5 s timeout on silence; the deadline ends it.
    let deadline = Duration::from_secs(2);
    let server = Server::new(Keypair::generate(), net(), AllowAll)
        .with_limits(secret_handshake::Limits::default().with_handshake_deadline(Some(deadline)));
    let (mut c, s) = tokio::io::duplex(1024);
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let Next::Send(msg1) = machine.next() else {
        panic!("a client starts by sending")
    };
    let msg1 = msg1.to_vec();
    let trickle = tokio::spawn(async move {
        crate::common::peer::dribble(&mut c, &msg1, Duration::from_millis(200)).await;
        c
    });
    let started = Instant::now();
    let error = server.accept(s).await.expect_err("the deadline ends it");
    assert!(
        matches!(error, HandshakeError::DeadlineExceeded(Phase::ClientHello)),
        "{error:?}"
    );
    assert_fired_on_time(started, deadline);
    assert!(error.to_string().contains("deadline"), "{error}");
    trickle.abort();
}

#[tokio::test]
async fn a_slow_authorizer_is_told_apart_from_a_slow_peer() {
    let limit = Duration::from_millis(500);
    let never = |_: PublicKey| futures::future::pending::<Result<Option<()>, io::Error>>();
    let server = Server::new(Keypair::generate(), net(), never)
        .with_limits(secret_handshake::Limits::default().with_authorize_timeout(Some(limit)));
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(4096);
    let (_, accepted) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    let slow_authorizer = accepted.expect_err("the authorizer never answers");
    assert!(
        matches!(slow_authorizer, HandshakeError::AuthorizerTimeout),
        "{slow_authorizer:?}"
    );

    // A client that stalls before message 3: the peer's timeout, worded differently.
    let server = Server::new(Keypair::generate(), net(), AllowAll)
        .with_limits(secret_handshake::Limits::default().with_handshake_timeout(Some(limit)));
    let (mut c, s) = tokio::io::duplex(4096);
    let machine = ClientHandshake::new(&Keypair::generate(), &net(), server.identity());
    let Next::Send(msg1) = machine.next() else {
        panic!("a client starts by sending")
    };
    c.write_all(msg1).await.unwrap();
    let slow_peer = server.accept(s).await.expect_err("the client stalls");
    assert!(
        matches!(slow_peer, HandshakeError::Timeout(Phase::ClientAuth)),
        "{slow_peer:?}"
    );

    assert_eq!(slow_authorizer.phase(), slow_peer.phase());
    assert!(
        slow_authorizer.to_string().contains("authorizer"),
        "{slow_authorizer}"
    );
    assert!(!slow_peer.to_string().contains("authorizer"), "{slow_peer}");
    drop(c);
}

/// A transport that fails every read with `Interrupted` for a while: the handshake retries,
/// as std's `read_exact` does, and still completes.
#[tokio::test]
async fn the_handshake_retries_interrupted_reads() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(4096);
    let flaky = crate::transient::Flaky::new(s, 0.5, 7);
    let (connected, accepted) =
        tokio::join!(client.connect(c, server.identity()), server.accept(flaky));
    connected.expect("client");
    let stream = accepted.expect("the server retried");
    assert!(stream.get_ref().injected() > 0, "the transport did fail");
}
