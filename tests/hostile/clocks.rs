//! Deadlines run on Tokio's clock and nothing else: the paused clock drives them, they fire in
//! a child after `fork()` (the crate has no thread of its own to lose), and a runtime built
//! without timers gets the documented error, never a panic.

use std::io;
use std::time::Duration;

use secret_handshake::{
    AllowAll, Client, HandshakeError, Keypair, Limits, Phase, PublicKey, Server,
};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use crate::common::net;

/// A server whose authorizer never answers.
fn server_that_never_decides() -> Server<impl secret_handshake::Authorize<Auth = ()>> {
    let never = |_: PublicKey| futures::future::pending::<Result<Option<()>, io::Error>>();
    Server::new(Keypair::generate(), net(), never)
}

/// A client that waits for ever, so that only the server's bounds are tested.
fn patient_client() -> Client {
    Client::new(Keypair::generate(), net()).with_limits(Limits::untimed())
}

#[tokio::test(start_paused = true)]
async fn an_authorizer_that_never_answers_times_out_on_the_paused_clock() {
    // Default limits: the authorizer is bounded by the 5 s handshake timeout.
    let server = server_that_never_decides();
    let (c, s) = tokio::io::duplex(4096);
    let started = Instant::now();
    let (_, accepted) = tokio::join!(
        patient_client().connect(c, server.identity()),
        server.accept(s)
    );
    let error = accepted.expect_err("the authorizer never answers");
    assert!(
        matches!(error, HandshakeError::AuthorizerTimeout),
        "{error:?}"
    );
    assert_eq!(
        started.elapsed(),
        secret_handshake::DEFAULT_HANDSHAKE_TIMEOUT
    );
    assert_eq!(io::Error::from(error).kind(), io::ErrorKind::TimedOut);

    // With no timeout of its own, the 30 s deadline on the whole handshake ends it.
    let server =
        server_that_never_decides().with_limits(Limits::default().with_authorize_timeout(None));
    let (c, s) = tokio::io::duplex(4096);
    let started = Instant::now();
    let (_, accepted) = tokio::join!(
        patient_client().connect(c, server.identity()),
        server.accept(s)
    );
    let error = accepted.expect_err("the deadline ends it");
    assert!(
        matches!(error, HandshakeError::DeadlineExceeded(Phase::ClientAuth)),
        "{error:?}"
    );
    assert_eq!(
        started.elapsed(),
        secret_handshake::DEFAULT_HANDSHAKE_DEADLINE
    );
}

/// A client handshake against a peer that never answers, on a fresh runtime: `Ok` if it timed
/// out after `timeout` (within a generous slack), else what went wrong.
fn silent_peer_times_out(timeout: Duration) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = Client::new(Keypair::generate(), net())
        .with_limits(Limits::default().with_handshake_timeout(Some(timeout)));
    let started = std::time::Instant::now();
    let result = runtime.block_on(async {
        let (c, _silent) = tokio::io::duplex(1024);
        client.connect(c, Keypair::generate().public()).await
    });
    let took = started.elapsed();
    match result {
        Err(HandshakeError::Timeout(Phase::ServerHello))
            if took >= timeout && took < timeout + Duration::from_millis(1500) =>
        {
            Ok(())
        }
        other => Err(format!("{other:?} after {took:?}")),
    }
}

#[test]
fn a_handshake_timeout_fires_in_a_forked_child() {
    // The parent has run a handshake with deadlines, and keeps its runtime, as a daemon that
    // forks after its first dial would.
    let parent_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    parent_runtime.block_on(async {
        let (c, s) = tokio::io::duplex(4096);
        let (c, s) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
        c.expect("client");
        s.expect("server");
    });

    // SAFETY: the child only builds its own runtime, runs one handshake and `_exit`s; it
    // touches nothing the parent's other threads may have held locked but the allocator,
    // which glibc makes safe across `fork`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed: {}", io::Error::last_os_error());
    if pid == 0 {
        let code = match silent_peer_times_out(Duration::from_secs(1)) {
            Ok(()) => 0,
            Err(_) => 1,
        };
        // SAFETY: ends the child without running the parent's destructors or test harness.
        unsafe { libc::_exit(code) };
    }

    // Wait for the child on another thread, so that a hang is bounded here.
    let (done, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut status = 0;
        // SAFETY: waits for our own child; `status` outlives the call.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        let _ = done.send((waited, status));
    });
    match exited.recv_timeout(Duration::from_secs(20)) {
        Ok((waited, status)) => {
            assert_eq!(waited, pid, "waitpid: {}", io::Error::last_os_error());
            assert!(libc::WIFEXITED(status), "child ended by a signal: {status}");
            assert_eq!(
                libc::WEXITSTATUS(status),
                0,
                "the 1 s timeout did not fire in the child (or fired off time)"
            );
        }
        Err(_) => {
            // SAFETY: kills our own child, which hung.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the child's 1 s handshake timeout never fired (gave up after 20 s)");
        }
    }
    drop(parent_runtime);
}

#[test]
fn a_runtime_without_timers_gets_a_typed_error_and_runs_untimed_without_deadlines() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    // Twice: the second time the answer is remembered for the thread.
    for _ in 0..2 {
        let client = Client::new(Keypair::generate(), net());
        let (error, sent) = runtime.block_on(async {
            let (c, mut peer) = tokio::io::duplex(1024);
            let error = client
                .connect(c, Keypair::generate().public())
                .await
                .expect_err("no time driver");
            let mut sent = Vec::new();
            peer.read_to_end(&mut sent).await.unwrap();
            (error, sent)
        });
        assert!(matches!(error, HandshakeError::NoTimeDriver), "{error:?}");
        assert!(error.to_string().contains("enable_time"), "{error}");
        assert!(sent.is_empty(), "nothing is sent before the error");
    }

    // With every deadline off, nothing needs a timer: the handshake runs, untimed.
    let server = Server::new(Keypair::generate(), net(), AllowAll).with_limits(Limits::untimed());
    let client = patient_client();
    let (c, s) = runtime.block_on(async {
        let (c, s) = tokio::io::duplex(4096);
        tokio::join!(client.connect(c, server.identity()), server.accept(s))
    });
    assert_eq!(c.expect("client").peer_key(), server.identity());
    assert_eq!(s.expect("server").peer_key(), client.identity());
}
