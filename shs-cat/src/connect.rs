//! `shs-cat connect`: dial a server (any multiserver address or `;` list), handshake, pipe.

use secret_handshake::dial::{DialError, Dialer, Failure};
use secret_handshake::websocket::DialOptions;
use secret_handshake::{BoxStream, Client, Connection};

use crate::args::Connect;
use crate::stdio::{Input, Output};
use crate::{identity, pipe, tls_roots};

pub async fn run(opts: Connect) -> Result<(), String> {
    // Before anything is printed: a bad root file ends the run at once.
    let tls_roots = tls_roots::load(&opts.tls_roots)?;
    let (keypair, announce) = identity::resolve(&opts.identity)?;
    announce.print(&keypair);
    // An invite's seed is the client's identity (`identity::resolve`), taken out of the
    // addresses (`args`), so it is applied once.
    let client = Client::new(keypair, opts.network);
    let mut dialer = Dialer::new();
    if let Some(roots) = tls_roots {
        dialer = dialer.websocket_options(DialOptions::default().with_root_certificates(roots));
    }
    let mut stream = dialer
        .connect_to(&client, &opts.addresses)
        .await
        .map_err(|e| describe(&e))?;
    session(&mut stream, &Output::stdout(), opts.verbose).await?;
    // Both goodbyes are through: end the transport too (for a WebSocket, its Close, so a JS
    // peer exits at once instead of waiting 30 s). Not reported: the session is complete.
    let _ = stream.close().await;
    Ok(())
}

/// One line: as before lists existed for a single address, every attempt for a list.
fn describe(error: &DialError) -> String {
    match error.attempts() {
        [_] if error.is_total_timeout() => error.to_string(),
        [one] => match (one.failure(), one.socket_address()) {
            (Failure::Handshake(e), _) => e.to_string(),
            (failure, Some(addr)) => format!("cannot connect to {addr}: {failure}"),
            (failure, None) => failure.to_string(),
        },
        _ => error.to_string(),
    }
}

/// Pipes until both goodbyes.
async fn session(
    stream: &mut BoxStream<Connection>,
    output: &Output,
    verbose: bool,
) -> Result<(), String> {
    eprintln!("connected: {}", stream.peer_key());
    pipe::run(stream, Some(Input::stdin()), output, verbose).await
}
