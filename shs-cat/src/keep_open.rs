//! `listen --keep-open`: each client's handshake in a task of its own, so that a slow one
//! holds up no other, and the sessions one after another, since they share stdin and stdout.
//!
//! At most `--max-handshakes` clients are between accept and their session (handshaking, or
//! authenticated and waiting for their turn). While that many are, shs-cat accepts no more:
//! new connections wait in the kernel's listen queue and are taken as soon as one is done.
//! Closing them instead would tell a client that merely came in a burst "wrong network key".

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use secret_handshake::{Authorize, Server};

use crate::args::Listen;
use crate::incoming::{self, Listener, Session};
use crate::listen::run_session;
use crate::stdio::{Input, Output};

/// How long to wait before accepting again after a failed accept (such as too many open
/// files), instead of spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Serves clients until killed, or until stdout fails.
pub async fn serve<A: Authorize<Auth = ()>>(
    listener: &Listener,
    server: Server<A>,
    opts: &Listen,
    output: &Output,
) -> Result<(), String> {
    // Capacity 1: a handshake that is through waits, holding its permit, until the session
    // loop takes its stream, so the permits bound the waiting clients too.
    let (ready, mut sessions) = mpsc::channel::<(Session, OwnedSemaphorePermit)>(1);
    let accepting = accept_all(listener, server, opts, ready);
    tokio::pin!(accepting);
    // Only the first client that completes the handshake gets stdin.
    let mut input = Some(Input::stdin());
    loop {
        let (session, permit) = tokio::select! {
            next = sessions.recv() => match next {
                Some(next) => next,
                None => return Err("the accept loop stopped".into()),
            },
            never = &mut accepting => match never {},
        };
        drop(permit);
        // Accepting and handshaking go on while this session runs.
        let served = tokio::select! {
            served = run_session(session, input.take(), output, opts.verbose) => served,
            never = &mut accepting => match never {},
        };
        if let Err(e) = served {
            // Stdout is gone: so is every later session's output.
            if output.has_failed() {
                return Err(e);
            }
            eprintln!("shs-cat: {e}");
        }
    }
}

/// Accepts connections for ever, each handshaken in a task of its own once a permit is free.
async fn accept_all<A: Authorize<Auth = ()>>(
    listener: &Listener,
    server: Server<A>,
    opts: &Listen,
    ready: mpsc::Sender<(Session, OwnedSemaphorePermit)>,
) -> std::convert::Infallible {
    let permits = Arc::new(Semaphore::new(opts.max_handshakes));
    loop {
        // The semaphore is never closed.
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            continue;
        };
        let incoming = match listener.accept().await {
            Ok(incoming) => incoming,
            Err(e) => {
                eprintln!("shs-cat: accepting a connection: {e}");
                tokio::time::sleep(ACCEPT_RETRY).await;
                continue;
            }
        };
        let (server, ready, ws) = (server.clone(), ready.clone(), opts.ws);
        tokio::spawn(async move {
            match incoming::handshake(&server, incoming, ws).await {
                // The session loop only goes away when shs-cat ends.
                Ok(session) => drop(ready.send((session, permit)).await),
                Err(e) => eprintln!("shs-cat: {e}"),
            }
        });
    }
}
