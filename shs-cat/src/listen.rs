//! `shs-cat listen`: accept one client (or, with `--keep-open`, one after another) over TCP or,
//! with `--ws`, WebSocket, and pipe.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use secret_handshake::{AllowAll, AllowList, Authorize, BoxStream, PublicKey, Server};

use crate::args::Listen;
use crate::stdio::{Input, Output};
use crate::{allow_file, identity, pipe, ws};

pub async fn run(opts: Listen) -> Result<(), String> {
    let (keypair, announce) = identity::resolve(&opts.identity)?;
    let allow = allowed(&opts)?;
    let listener = TcpListener::bind(&opts.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.addr))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", opts.addr))?;
    // Always the first line: scripts read the port from it.
    eprintln!("listening on {local} as {}", keypair.public());
    announce.print(&keypair);
    let network = opts.network.clone();
    match allow {
        None => serve(&listener, &Server::new(keypair, network, AllowAll), &opts).await,
        Some(ids) => {
            let server = Server::new(keypair, network, AllowList::new(ids));
            serve(&listener, &server, &opts).await
        }
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
    listener: &TcpListener,
    server: &Server<A>,
    opts: &Listen,
) -> Result<(), String> {
    let output = Output::stdout();
    // Only the first connection that completes the handshake gets stdin.
    let mut input = Some(Input::stdin());
    loop {
        let (tcp, _) = listener
            .accept()
            .await
            .map_err(|e| format!("accepting a connection: {e}"))?;
        let result = session(server, tcp, &mut input, &output, opts).await;
        if !opts.keep_open {
            return result;
        }
        if let Err(e) = result {
            eprintln!("shs-cat: {e}");
        }
    }
}

async fn session<A: Authorize<Auth = ()>>(
    server: &Server<A>,
    tcp: TcpStream,
    input: &mut Option<Input>,
    output: &Output,
    opts: &Listen,
) -> Result<(), String> {
    // See `connect::dial_tcp`.
    tcp.set_nodelay(true)
        .map_err(|e| format!("accepting a connection: {e}"))?;
    if !opts.ws {
        let mut stream = server.accept(tcp).await.map_err(|e| e.to_string())?;
        return pipe_session(&mut stream, input, output, opts.verbose).await;
    }
    let transport = ws::accept(tcp).await?;
    let mut stream = server.accept(transport).await.map_err(|e| e.to_string())?;
    pipe_session(&mut stream, input, output, opts.verbose).await?;
    ws::close(stream.get_mut()).await;
    Ok(())
}

/// Pipes until both goodbyes, leaving the stream to the caller for closing its transport.
async fn pipe_session<IO>(
    stream: &mut BoxStream<IO>,
    input: &mut Option<Input>,
    output: &Output,
    verbose: bool,
) -> Result<(), String>
where
    BoxStream<IO>: AsyncRead + AsyncWrite + Unpin,
{
    eprintln!("connected: {}", stream.peer_key());
    pipe::run(stream, input.take(), output, verbose).await
}
