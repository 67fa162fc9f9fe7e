//! One accepted connection's way to authentication, in a task of its own: the sniffing of its
//! first bytes, the WebSocket upgrade and the secret handshake, under one deadline.

use std::time::Duration;

#[cfg(feature = "websocket")]
use std::sync::Arc;

use tokio::net::{TcpStream, UnixStream};
use tokio::time::Instant;

use super::{ClientError, PeerAddr};
use crate::io::timer::{no_time_driver, until};
use crate::HandshakeError;
use crate::{Authorize, BoxStream, Connection, Server};

#[cfg(feature = "websocket")]
use crate::websocket::Replay;
#[cfg(feature = "websocket")]
use crate::websocket::{self, Config, WsStream, WsTransport};

/// What a TCP listener expects its clients to speak.
#[derive(Clone, Debug)]
pub(super) enum Speaks {
    SecretHandshake,
    #[cfg(feature = "websocket")]
    WebSocket(Arc<Config>),
    /// WebSocket if the first bytes are `GET `, else secret-handshake.
    #[cfg(feature = "websocket")]
    Either(Arc<Config>),
}

/// A connection just accepted.
pub(super) enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// Authenticates the client on `socket` by `deadline` (`limit` after it connected).
pub(super) async fn authenticate<A: Authorize>(
    server: Server<A>,
    socket: Socket,
    peer: PeerAddr,
    speaks: Speaks,
    deadline: Option<Instant>,
    limit: Duration,
) -> Result<BoxStream<Connection, A::Auth>, ClientError> {
    let steps = async {
        let connection = match socket {
            Socket::Unix(unix) => Connection::from_unix(unix, peer.to_string()),
            Socket::Tcp(tcp) => {
                // Handshake messages are small and answered at once; see `Client::connect`.
                let _ = tcp.set_nodelay(true);
                over_tcp(tcp, speaks, peer.to_string()).await?
            }
        };
        let transport = connection.transport().name();
        server
            .accept(connection)
            .at(transport, &peer)
            .await
            .map_err(ClientError::Handshake)
    };
    until(deadline, steps).await.unwrap_or_else(|| {
        Err(match no_time_driver() {
            true => ClientError::Handshake(HandshakeError::NoTimeDriver),
            false => ClientError::Deadline(limit),
        })
    })
}

#[cfg_attr(not(feature = "websocket"), allow(clippy::unused_async))]
async fn over_tcp(tcp: TcpStream, speaks: Speaks, peer: String) -> Result<Connection, ClientError> {
    match speaks {
        Speaks::SecretHandshake => Ok(Connection::from_tcp(tcp, peer)),
        #[cfg(feature = "websocket")]
        // Boxed: the upgrade's state is large, and only WebSocket clients need it.
        Speaks::WebSocket(config) => Box::pin(upgrade(tcp, &[], &config, peer)).await,
        #[cfg(feature = "websocket")]
        Speaks::Either(config) => {
            let mut tcp = tcp;
            let (head, len) = websocket::read_head(&mut tcp, &[])
                .await
                .map_err(ClientError::Sniff)?;
            if &head[..len] == websocket::GET {
                Box::pin(upgrade(tcp, &head, &config, peer)).await
            } else {
                Ok(Connection::from_sniffed(
                    Replay::new(tcp, &head[..len]),
                    peer,
                ))
            }
        }
    }
}

#[cfg(feature = "websocket")]
async fn upgrade(
    tcp: TcpStream,
    head: &[u8],
    config: &Config,
    peer: String,
) -> Result<Connection, ClientError> {
    match WsTransport::accept_after(WsStream::plain(tcp), head, config).await {
        Ok(ws) => Ok(Connection::from_websocket(ws, peer)),
        Err(websocket::Error::Upgrade(e)) => Err(ClientError::Upgrade(e)),
        Err(e) => Err(ClientError::Upgrade(e.into())),
    }
}
