//! Deadlines fire on time whatever the peer sends and whatever the runtime has: a transport
//! that keeps the task busy, a steady trickle, an authorizer that never answers, a runtime
//! built without timers. Real time throughout (the crate's timer runs on the wall clock).

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
/// handshake's timer can wake a task waiting on it.
///
/// `Busy` is such a transport kept busy by its peer, as a WebSocket layer is by a flood of
/// Pings it answers itself: each read spends the task's whole cooperative budget and returns
/// `Pending` with the task woken again at once, never yielding a byte. A timer polled inside
/// the budget never fires there.
enum Stalled {
    Silent,
    Busy,
}

impl AsyncRead for Stalled {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Stalled::Busy = *self {
            loop {
                let mut spend = std::pin::pin!(tokio::task::consume_budget());
                if spend.as_mut().poll(cx).is_pending() {
                    break;
                }
            }
        }
        Poll::Pending
    }
}

impl AsyncWrite for Stalled {
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
    let server =
        Server::new(Keypair::generate(), net(), AllowAll).with_handshake_timeout(Some(timeout));
    let started = Instant::now();
    let error = server
        .accept(Stalled::Busy)
        .await
        .expect_err("must time out");
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
    let server =
        Server::new(Keypair::generate(), net(), AllowAll).with_handshake_deadline(Some(deadline));
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
    let server = Server::new(Keypair::generate(), net(), never).with_authorize_timeout(Some(limit));
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(4096);
    let (_, accepted) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    let slow_authorizer = accepted.expect_err("the authorizer never answers");
    assert!(
        matches!(slow_authorizer, HandshakeError::AuthorizerTimeout),
        "{slow_authorizer:?}"
    );

    // A client that stalls before message 3: the peer's timeout, worded differently.
    let server =
        Server::new(Keypair::generate(), net(), AllowAll).with_handshake_timeout(Some(limit));
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

/// A runtime built without timers: the handshake still times out, and nothing panics (with
/// the default clock, and with `with_tokio_timer`, which falls back to the crate's timer).
#[test]
fn a_runtime_without_timers_still_times_out_and_does_not_panic() {
    for tokio_timer in [false, true] {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let timeout = Duration::from_millis(300);
        let mut client =
            Client::new(Keypair::generate(), net()).with_handshake_timeout(Some(timeout));
        if tokio_timer {
            client = client.with_tokio_timer();
        }
        let started = Instant::now();
        let error = runtime.block_on(async {
            let (c, _silent) = tokio::io::duplex(1024);
            client
                .connect(c, Keypair::generate().public())
                .await
                .expect_err("a silent server")
        });
        assert!(
            matches!(error, HandshakeError::Timeout(Phase::ServerHello)),
            "{error:?}"
        );
        assert_fired_on_time(started, timeout);
    }
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

/// A waker that panics when woken.
struct Panicking;

impl std::task::Wake for Panicking {
    fn wake(self: std::sync::Arc<Self>) {
        panic!("a waker that panics");
    }
}

/// The crate's one timer thread outlives a waker that panics, so later deadlines still fire.
#[tokio::test]
async fn a_waker_that_panics_does_not_stop_later_deadlines() {
    let client = Client::new(Keypair::generate(), net())
        .with_handshake_timeout(Some(Duration::from_millis(100)));
    let mut connect = client.connect(Stalled::Silent, Keypair::generate().public());
    let waker = std::task::Waker::from(std::sync::Arc::new(Panicking));
    let polled = Pin::new(&mut connect).poll(&mut Context::from_waker(&waker));
    assert!(polled.is_pending());
    tokio::time::sleep(Duration::from_millis(300)).await; // the alarm went off: the waker panicked

    let timeout = Duration::from_millis(300);
    let client = Client::new(Keypair::generate(), net()).with_handshake_timeout(Some(timeout));
    let (c, _silent) = tokio::io::duplex(1024);
    let started = Instant::now();
    // Polled only when woken (the outer timeout, far later, only turns a hang into a failure).
    let error = tokio::time::timeout(
        Duration::from_secs(10),
        client.connect(c, Keypair::generate().public()),
    )
    .await
    .expect("the timer thread died")
    .expect_err("a silent server");
    assert!(
        matches!(error, HandshakeError::Timeout(Phase::ServerHello)),
        "{error:?}"
    );
    assert_fired_on_time(started, timeout);
}
