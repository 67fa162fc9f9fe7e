//! `shs-cat listen`: serves through the library's `Listener` (TCP, WebSocket with `--ws`, or a
//! unix socket with `--unix`) one client, or with `--keep-open` one after another, and pipes.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::signal::unix::{signal, Signal, SignalKind};

use secret_handshake::websocket::Config;
use secret_handshake::{
    AcceptError, AllowAll, AllowList, Authorize, BoxStream, Connection, Keypair, Listener,
    PublicKey, Server,
};

use crate::args::{Endpoint, Listen};
use crate::identity::Announce;
use crate::stdio::{Input, Output};
use crate::{allow_file, exit, pipe, reach, unix_socket};

/// An authenticated client, ready for its session.
type Session = BoxStream<Connection>;

/// How long to wait before accepting again after a failed accept (such as too many open
/// files), instead of spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

pub async fn run(opts: Listen) -> Result<(), String> {
    let (keypair, announce) = crate::identity::resolve(&opts.identity)?;
    let allow = allowed(&opts)?;
    // Caught from before the socket file exists, so that a signal never leaves it behind
    // (the listener's drop removes it).
    let signals = match opts.endpoint {
        Endpoint::Unix(_) => Some(Signals::new()?),
        Endpoint::Tcp(_) => None,
    };
    let network = opts.network.clone();
    let serving = async {
        match allow {
            None => {
                let server = Server::new(keypair.clone(), network, AllowAll);
                serve(bind(&opts, server, &keypair, announce).await?, &opts).await
            }
            Some(ids) => {
                let server = Server::new(keypair.clone(), network, AllowList::new(ids));
                serve(bind(&opts, server, &keypair, announce).await?, &opts).await
            }
        }
    };
    match signals {
        Some(mut signals) => tokio::select! {
            served = serving => served,
            signal = signals.recv() => signal,
        },
        None => serving.await,
    }
}

/// Listens, and prints where: `listening on HOST:PORT as ID` first (scripts read the port from
/// it), then `address: …` with the multiserver address(es) to paste.
async fn bind<A: Authorize>(
    opts: &Listen,
    server: Server<A>,
    keypair: &Keypair,
    announce: Announce,
) -> Result<Listener<A>, String> {
    let id = keypair.public();
    let limits = server.limits().with_max_handshakes(opts.max_handshakes);
    let server = server.with_limits(limits);
    let listener = match &opts.endpoint {
        Endpoint::Tcp(addr) => {
            let cannot = |e| format!("cannot listen on {addr}: {e}");
            let listener = Listener::bind(addr, server).await.map_err(cannot)?;
            let local = listener.local_addr().map_err(cannot)?;
            eprintln!("listening on {local} as {id}");
            let (addresses, note) = reach::tcp(local, opts.ws, id);
            eprintln!("address: {addresses}");
            if let Some(note) = note {
                eprintln!("note: {note}");
            }
            if opts.ws {
                listener.with_websocket(Config::default())
            } else {
                listener
            }
        }
        Endpoint::Unix(path) => {
            let cannot =
                |e: &dyn std::fmt::Display| format!("cannot listen on {}: {e}", path.display());
            let path = std::path::absolute(path).map_err(|e| cannot(&e))?;
            unix_socket::remove_if_stale(&path)
                .await
                .map_err(|e| cannot(&e))?;
            let listener = Listener::bind_unix(&path, server).map_err(|e| cannot(&e))?;
            eprintln!("listening on {} as {id}", path.display());
            eprintln!("address: {}", reach::unix(&path, id));
            listener
        }
    };
    announce.print(keypair);
    Ok(listener)
}

/// Ctrl-C and SIGTERM, caught instead of ending the process at once.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn new() -> Result<Signals, String> {
        let catch = |kind| signal(kind).map_err(|e| format!("catching signals: {e}"));
        Ok(Signals {
            interrupt: catch(SignalKind::interrupt())?,
            terminate: catch(SignalKind::terminate())?,
        })
    }

    /// Waits for either, then asks for the shell's status for it (130 or 143).
    async fn recv(&mut self) -> Result<(), String> {
        let status = tokio::select! {
            _ = self.interrupt.recv() => exit::INTERRUPTED,
            _ = self.terminate.recv() => exit::TERMINATED,
        };
        exit::quietly(status);
        Err("stopped by a signal".into())
    }
}

/// The clients from `--allow` and `--allow-file`, or `None` (anyone) if neither is given. An
/// allow file without ids lets no one in.
fn allowed(opts: &Listen) -> Result<Option<Vec<PublicKey>>, String> {
    if opts.allow.is_empty() && opts.allow_files.is_empty() {
        return Ok(None);
    }
    let mut ids = opts.allow.clone();
    for path in &opts.allow_files {
        ids.extend(allow_file::read(path)?);
    }
    Ok(Some(ids))
}

async fn serve<A: Authorize<Auth = ()>>(
    mut listener: Listener<A>,
    opts: &Listen,
) -> Result<(), String> {
    let output = Output::stdout();
    if opts.keep_open {
        return keep_open(listener, opts, &output).await;
    }
    let session = match listener.accept().await {
        Ok((session, _)) => session,
        Err(e) => return Err(report(e)),
    };
    run_session(session, Some(Input::stdin()), &output, opts.verbose).await
}

/// `--keep-open`: sessions one after another (they share stdin and stdout), while the listener
/// goes on authenticating clients; at most `--max-handshakes` authenticated clients wait for
/// their turn, and only the first session gets stdin.
async fn keep_open<A: Authorize<Auth = ()>>(
    mut listener: Listener<A>,
    opts: &Listen,
    output: &Output,
) -> Result<(), String> {
    let mut waiting = VecDeque::new();
    let mut input = Some(Input::stdin());
    loop {
        let session = match waiting.pop_front() {
            Some(session) => session,
            None => match listener.accept().await {
                Ok((session, _)) => session,
                Err(e) => {
                    failed(e).await;
                    continue;
                }
            },
        };
        let running = run_session(session, input.take(), output, opts.verbose);
        tokio::pin!(running);
        let served = loop {
            tokio::select! {
                served = &mut running => break served,
                accepted = listener.accept(), if waiting.len() < opts.max_handshakes => {
                    match accepted {
                        Ok((session, _)) => waiting.push_back(session),
                        Err(e) => failed(e).await,
                    }
                }
            }
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

/// Reports a client that failed, or a failed accept (then pauses, instead of spinning).
async fn failed(error: AcceptError) {
    let listening = matches!(error, AcceptError::Listen(_));
    eprintln!("shs-cat: {}", report(error));
    if listening {
        tokio::time::sleep(ACCEPT_RETRY).await;
    }
}

/// A client's failure as the handshake reports it, or the failed accept.
fn report(error: AcceptError) -> String {
    match error {
        AcceptError::Client { error, .. } => error.to_string(),
        AcceptError::Listen(e) => format!("accepting a connection: {e}"),
        other => other.to_string(),
    }
}

/// Pipes until both goodbyes, then ends the transport: over WebSocket, the Close (its outcome
/// is not reported: the session is complete, and a peer that has gone lost nothing).
async fn run_session(
    mut stream: Session,
    input: Option<Input>,
    output: &Output,
    verbose: bool,
) -> Result<(), String> {
    eprintln!("connected: {}", stream.peer_key());
    pipe::run(&mut stream, input, output, verbose).await?;
    // Both goodbyes are through: end the transport too (for a WebSocket, its Close, so a JS
    // peer exits at once). Not reported: the session is already complete.
    let _ = stream.close().await;
    Ok(())
}
