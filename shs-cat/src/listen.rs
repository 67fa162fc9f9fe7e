//! `shs-cat listen`: accept one client (or, with `--keep-open`, one after another) over TCP,
//! WebSocket (`--ws`) or a unix socket (`--unix`), and pipe.

use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};

use secret_handshake::{AllowAll, AllowList, Authorize, PublicKey, Server};

use crate::args::{Endpoint, Listen};
use crate::incoming::{self, Listener, Session};
use crate::stdio::{Input, Output};
use crate::unix_socket::UnixSocket;
use crate::{allow_file, exit, identity, keep_open, pipe, reach};

pub async fn run(opts: Listen) -> Result<(), String> {
    let (keypair, announce) = identity::resolve(&opts.identity)?;
    let allow = allowed(&opts)?;
    // Caught from before the socket file exists, so that a signal never leaves it behind
    // (`listener`'s drop removes it).
    let signals = match opts.endpoint {
        Endpoint::Unix(_) => Some(Signals::new()?),
        Endpoint::Tcp(_) => None,
    };
    let listener = bind(&opts, keypair.public()).await?;
    announce.print(&keypair);
    let network = opts.network.clone();
    let serving = async {
        match allow {
            None => serve(&listener, Server::new(keypair, network, AllowAll), &opts).await,
            Some(ids) => {
                let server = Server::new(keypair, network, AllowList::new(ids));
                serve(&listener, server, &opts).await
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
async fn bind(opts: &Listen, id: &PublicKey) -> Result<Listener, String> {
    match &opts.endpoint {
        Endpoint::Tcp(addr) => {
            let cannot = |e| format!("cannot listen on {addr}: {e}");
            let listener = TcpListener::bind(addr).await.map_err(cannot)?;
            let local = listener.local_addr().map_err(cannot)?;
            eprintln!("listening on {local} as {id}");
            let (addresses, note) = reach::tcp(local, opts.ws, id);
            eprintln!("address: {addresses}");
            if let Some(note) = note {
                eprintln!("note: {note}");
            }
            Ok(Listener::Tcp(listener))
        }
        Endpoint::Unix(path) => {
            let socket = UnixSocket::bind(path).await?;
            eprintln!("listening on {} as {id}", socket.path().display());
            eprintln!("address: {}", reach::unix(socket.path(), id));
            Ok(Listener::Unix(socket))
        }
    }
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
    listener: &Listener,
    server: Server<A>,
    opts: &Listen,
) -> Result<(), String> {
    let output = Output::stdout();
    if opts.keep_open {
        return keep_open::serve(listener, server, opts, &output).await;
    }
    let incoming = listener
        .accept()
        .await
        .map_err(|e| format!("accepting a connection: {e}"))?;
    let session = incoming::handshake(&server, incoming, opts.ws).await?;
    run_session(session, Some(Input::stdin()), &output, opts.verbose).await
}

/// Pipes until both goodbyes, then ends the transport.
pub async fn run_session(
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
