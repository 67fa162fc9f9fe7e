//! `shs-cat listen`: accept one client (or, with `--keep-open`, one after another) and pipe.

use tokio::io::Stdin;
use tokio::net::TcpListener;

use secret_handshake::{AllowAll, AllowList, Authorize, Server};

use crate::args::Listen;
use crate::{identity, pipe};

pub async fn run(opts: Listen) -> Result<(), String> {
    let (keypair, announce) = identity::resolve(&opts.identity)?;
    let listener = TcpListener::bind(&opts.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.addr))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", opts.addr))?;
    // Always the first line: scripts read the port from it.
    eprintln!("listening on {local} as {}", keypair.public());
    announce.print(&keypair);
    if opts.allow.is_empty() {
        let server = Server::new(keypair, opts.network, AllowAll);
        serve(&listener, &server, opts.keep_open).await
    } else {
        let server = Server::new(keypair, opts.network, AllowList::new(opts.allow));
        serve(&listener, &server, opts.keep_open).await
    }
}

async fn serve<A: Authorize<Auth = ()>>(
    listener: &TcpListener,
    server: &Server<A>,
    keep_open: bool,
) -> Result<(), String> {
    // Only the first connection that completes the handshake gets stdin.
    let mut stdin = Some(tokio::io::stdin());
    loop {
        let (tcp, _) = listener
            .accept()
            .await
            .map_err(|e| format!("accepting a connection: {e}"))?;
        let result = session(server, tcp, &mut stdin).await;
        if !keep_open {
            return result;
        }
        if let Err(e) = result {
            eprintln!("shs-cat: {e}");
        }
    }
}

async fn session<A: Authorize<Auth = ()>>(
    server: &Server<A>,
    tcp: tokio::net::TcpStream,
    stdin: &mut Option<Stdin>,
) -> Result<(), String> {
    let stream = server.accept(tcp).await.map_err(|e| e.to_string())?;
    eprintln!("connected: {}", stream.peer_key());
    pipe::run(stream, stdin.take()).await
}
