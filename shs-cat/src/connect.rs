//! `shs-cat connect`: dial a server, handshake, pipe.

use tokio::net::TcpStream;

use secret_handshake::Client;

use crate::args::Connect;
use crate::{identity, pipe};

pub async fn run(opts: Connect) -> Result<(), String> {
    let (keypair, announce) = identity::resolve(&opts.identity)?;
    announce.print(&keypair);
    let client = Client::new(keypair, opts.network);
    let tcp = TcpStream::connect(&opts.addr)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", opts.addr))?;
    let stream = client
        .connect(tcp, &opts.server)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("connected: {}", stream.peer_key());
    pipe::run(stream, Some(tokio::io::stdin())).await
}
