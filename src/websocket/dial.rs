//! Opening WebSockets and running the secret handshake over them.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::server::NoCallback;
use tokio_tungstenite::{accept_hdr_async_with_config, client_async_with_config};

use super::transport::{to_io, WsTransport};
use super::{config, Error};
use crate::multiserver::{MultiserverAddress, TransportKind};
use crate::{Authorize, BoxStream, Client, Server};

impl<S: AsyncRead + AsyncWrite + Unpin> WsTransport<S> {
    /// Opens a WebSocket as a client over `io`, a connection to `addr` you have opened: requests
    /// path `/` with no subprotocol, no `Origin` and no extensions, as multiserver does.
    ///
    /// For `wss://` addresses `io` must be your TLS stream (this crate has no TLS; untested).
    pub async fn connect(io: S, addr: &MultiserverAddress) -> Result<Self, Error> {
        let scheme = match addr.transport {
            TransportKind::Wss => "wss",
            _ => "ws",
        };
        let url = format!("{scheme}://{}/", addr.socket_address());
        let (ws, _response) = client_async_with_config(url, io, Some(config()))
            .await
            .map_err(|e| Error::Upgrade(to_io(e)))?;
        Ok(WsTransport::new(ws))
    }

    /// Answers a client's WebSocket opening handshake on `io`: any path, no subprotocol, and
    /// no extensions (permessage-deflate is declined).
    pub async fn accept(io: S) -> Result<Self, Error> {
        let ws = accept_hdr_async_with_config(io, NoCallback, Some(config()))
            .await
            .map_err(|e| Error::Upgrade(to_io(e)))?;
        Ok(WsTransport::new(ws))
    }
}

/// Dials a `ws://HOST[:PORT]~shs:KEY` address: TCP, the WebSocket upgrade, then the secret
/// handshake as `client` (or as the invite's seed identity, if the address has one).
///
/// Only the secret handshake is timed (by the client's timeout); bound the whole call with
/// `tokio::time::timeout` if the TCP connect or the upgrade may hang.
pub async fn connect(
    client: &Client,
    addr: &MultiserverAddress,
) -> Result<BoxStream<WsTransport<TcpStream>>, Error> {
    match addr.transport {
        TransportKind::Ws => {}
        TransportKind::Wss => {
            return Err(Error::Unsupported(
                "wss:// dialling is not implemented (no TLS): open the TLS stream yourself and \
                 use WsTransport::connect",
            ))
        }
        _ => {
            return Err(Error::Unsupported(
                "not a WebSocket address: dial net: addresses over TCP",
            ))
        }
    }
    // An unusable server key is refused before anything is dialled.
    client.check_server_key(&addr.key)?;
    let tcp = TcpStream::connect(addr.socket_address())
        .await
        .map_err(Error::Connect)?;
    // Box-stream flushes whole frames; don't let Nagle hold them back (ws does the same).
    let _ = tcp.set_nodelay(true);
    let ws = WsTransport::connect(tcp, addr).await?;
    let stream = match &addr.seed {
        Some(seed) => client
            .clone()
            .with_seed_identity(seed)
            .connect(ws, &addr.key),
        None => client.connect(ws, &addr.key),
    };
    Ok(stream.await?)
}

/// Accepts a WebSocket client on `io` (an accepted `TcpStream`, say) and runs the server side
/// of the secret handshake over it. Set `TCP_NODELAY` on the socket first, as [`connect`] does.
///
/// Only the secret handshake is timed (by the server's timeout): run this outside the accept
/// loop and bound it with `tokio::time::timeout`, or a client that never sends its HTTP
/// request holds the connection open.
pub async fn accept<A, S>(
    server: &Server<A>,
    io: S,
) -> Result<BoxStream<WsTransport<S>, A::Auth>, Error>
where
    A: Authorize,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let ws = WsTransport::accept(io).await?;
    Ok(server.accept(ws).await?)
}
