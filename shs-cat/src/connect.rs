//! `shs-cat connect`: dial a server, handshake, pipe.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use secret_handshake::{BoxStream, Client};

use crate::args::{Connect, Transport};
use crate::stdio::{Input, Output};
use crate::{identity, pipe, sniff, ws};

/// Added to a failed handshake whose server answered in HTTP, as a WebSocket listener does.
const HTTP_SERVER_HINT: &str = "the server answered in HTTP: is it a ws:// listener?";

pub async fn run(opts: Connect) -> Result<(), String> {
    let (keypair, announce) = identity::resolve(&opts.identity)?;
    announce.print(&keypair);
    let client = Client::new(keypair, opts.network);
    // An unusable server key is refused before anything is dialled.
    handshake(client.check_server_key(&opts.server))?;
    let output = Output::stdout();
    match &opts.transport {
        Transport::Tcp(addr) => {
            let (tcp, http) = sniff::wrap(dial_tcp(addr).await?, b"HTTP/", HTTP_SERVER_HINT);
            let connected = client.connect(tcp, &opts.server).await;
            let mut stream = handshake(connected).map_err(|e| http.hint(e))?;
            session(&mut stream, &output, opts.verbose).await
        }
        Transport::Ws(ms) => {
            let addr = ms.socket_address();
            let tcp = dial_tcp(&addr).await?;
            let transport = ws::dial(tcp, ms)
                .await
                .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
            // An invite's seed is already the client's identity (`identity::resolve`).
            let mut stream = handshake(client.connect(transport, &opts.server).await)?;
            session(&mut stream, &output, opts.verbose).await?;
            ws::close(stream.get_mut()).await;
            Ok(())
        }
    }
}

async fn dial_tcp(addr: &str) -> Result<TcpStream, String> {
    let cannot = |e| format!("cannot connect to {addr}: {e}");
    let tcp = TcpStream::connect(addr).await.map_err(cannot)?;
    // Flushes mark where data must go out now; Nagle would only hold typed lines back.
    tcp.set_nodelay(true).map_err(cannot)?;
    Ok(tcp)
}

fn handshake<T, E: ToString>(result: Result<T, E>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

/// Pipes until both goodbyes, leaving the stream to the caller for closing its transport.
async fn session<IO>(
    stream: &mut BoxStream<IO>,
    output: &Output,
    verbose: bool,
) -> Result<(), String>
where
    BoxStream<IO>: AsyncRead + AsyncWrite + Unpin,
{
    eprintln!("connected: {}", stream.peer_key());
    pipe::run(stream, Some(Input::stdin()), output, verbose).await
}
