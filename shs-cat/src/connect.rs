//! `shs-cat connect`: dial a server, handshake, pipe.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use secret_handshake::{BoxStream, Client};

use crate::args::{Connect, Transport};
use crate::stdio::{Input, Output};
use crate::{identity, pipe};

pub async fn run(opts: Connect) -> Result<(), String> {
    let (keypair, announce) = identity::resolve(&opts.identity)?;
    announce.print(&keypair);
    let client = Client::new(keypair, opts.network);
    let output = Output::stdout();
    let stream = match &opts.transport {
        Transport::Tcp(addr) => {
            let tcp = dial_tcp(addr).await?;
            client.connect(tcp, &opts.server).await
        }
    };
    let stream = stream.map_err(|e| e.to_string())?;
    session(stream, &output, opts.verbose).await
}

async fn dial_tcp(addr: &str) -> Result<TcpStream, String> {
    let cannot = |e| format!("cannot connect to {addr}: {e}");
    let tcp = TcpStream::connect(addr).await.map_err(cannot)?;
    // Flushes mark where data must go out now; Nagle would only hold typed lines back.
    tcp.set_nodelay(true).map_err(cannot)?;
    Ok(tcp)
}

async fn session<IO>(stream: BoxStream<IO>, output: &Output, verbose: bool) -> Result<(), String>
where
    BoxStream<IO>: AsyncRead + AsyncWrite,
{
    eprintln!("connected: {}", stream.peer_key());
    pipe::run(stream, Some(Input::stdin()), output, verbose).await
}
