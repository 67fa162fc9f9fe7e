//! One accepted connection's way to authentication, in a task of its own: the sniffing of its
//! first bytes, the WebSocket upgrade and the secret handshake, under one deadline.

use std::time::Duration;

#[cfg(feature = "websocket")]
use std::sync::Arc;

use tokio::net::{TcpStream, UnixStream};
use tokio::time::Instant;

use super::connection::{Connection, Kind};
use super::{ClientError, PeerAddr};
use crate::io::timer::{no_time_driver, until};
use crate::HandshakeError;
use crate::{Authorize, BoxStream, Server};

#[cfg(feature = "websocket")]
use super::connection::Replay;
#[cfg(feature = "websocket")]
use crate::websocket::{self, Config, WsTransport};

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
            Socket::Unix(unix) => Kind::Unix(unix),
            Socket::Tcp(tcp) => {
                // Handshake messages are small and answered at once; see `Client::connect`.
                let _ = tcp.set_nodelay(true);
                over_tcp(tcp, speaks).await?
            }
        };
        let transport = connection.name();
        server
            .accept(Connection(connection))
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
async fn over_tcp(tcp: TcpStream, speaks: Speaks) -> Result<Kind, ClientError> {
    match speaks {
        Speaks::SecretHandshake => Ok(Kind::Tcp(tcp)),
        #[cfg(feature = "websocket")]
        // Boxed: the upgrade's state is large, and only WebSocket clients need it.
        Speaks::WebSocket(config) => Box::pin(upgrade(tcp, &[], &config)).await,
        #[cfg(feature = "websocket")]
        Speaks::Either(config) => {
            let (tcp, head, len) = sniff(tcp).await?;
            if &head[..len] == websocket::GET {
                Box::pin(upgrade(tcp, &head, &config)).await
            } else {
                Ok(Kind::Sniffed(Replay::new(head, len, tcp)))
            }
        }
    }
}

#[cfg(feature = "websocket")]
async fn upgrade(tcp: TcpStream, head: &[u8], config: &Config) -> Result<Kind, ClientError> {
    match WsTransport::accept_after(tcp, head, config).await {
        Ok(ws) => Ok(Kind::WebSocket(Box::new(ws))),
        Err(websocket::Error::Upgrade(e)) => Err(ClientError::Upgrade(e)),
        Err(e) => Err(ClientError::Upgrade(e.into())),
    }
}

/// Reads the client's first bytes while they may still be `GET ` (four at most; fewer if the
/// client hangs up or sends something else).
#[cfg(feature = "websocket")]
async fn sniff(mut tcp: TcpStream) -> Result<(TcpStream, [u8; 4], usize), ClientError> {
    use tokio::io::AsyncReadExt;
    let mut head = [0; 4];
    let mut len = 0;
    while len < head.len() && head[..len] == websocket::GET[..len] {
        match tcp
            .read(&mut head[len..])
            .await
            .map_err(ClientError::Sniff)?
        {
            0 => break,
            n => len += n,
        }
    }
    Ok((tcp, head, len))
}
