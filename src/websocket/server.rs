//! Serving WebSocket clients: the HTTP upgrade (bounded in time and size, one path if asked),
//! connections an HTTP server has upgraded already, and the secret handshake over them.

use std::io;

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::{accept_hdr_async_with_config, WebSocketStream};

use super::config::seconds;
use super::tap::{not_http, read_head, Tap, TLS_HANDSHAKE};
use super::transport::{to_io, WsTransport};
use super::{Config, Error};
use crate::io::timer::{no_time_driver, no_time_driver_error};
use crate::io::within;
use crate::HandshakeError;
use crate::{Authorize, BoxStream, Server};

impl<S: AsyncRead + AsyncWrite + Unpin> WsTransport<S> {
    /// Answers a client's WebSocket opening handshake on `io` with the default [`Config`]:
    /// any path, no subprotocol, and no extensions (permessage-deflate is declined).
    pub async fn accept(io: S) -> Result<Self, Error> {
        Self::accept_with(io, &Config::default()).await
    }

    /// [`accept`](Self::accept) with `config`: its limits, its upgrade timeout, and its path
    /// (other paths are answered 404). A client that sends something other than HTTP (a
    /// `net:` secret-handshake client, or TLS) is refused at once with an error that says so.
    pub async fn accept_with(io: S, config: &Config) -> Result<Self, Error> {
        Self::accept_after(io, &[], config).await
    }

    /// [`accept_with`](Self::accept_with) where the first bytes of the request (at most
    /// four) were read from `io` already.
    pub(crate) async fn accept_after(io: S, head: &[u8], config: &Config) -> Result<Self, Error> {
        within(config.upgrade_timeout(), upgrade(io, head, config))
            .await
            .ok_or_else(|| timed_out(config))?
    }

    /// Wraps a connection that an HTTP server (hyper, axum, ...) has already upgraded: the
    /// server checked the request and sent `101 Switching Protocols` with
    /// `Sec-WebSocket-Accept` set to [`accept_key`](super::accept_key) of the client's
    /// `Sec-WebSocket-Key`. `config`'s limits apply; its timeout and path do not (the HTTP
    /// server routed and answered the request).
    pub async fn from_upgraded(io: S, config: &Config) -> Self {
        let ws = WebSocketStream::from_raw_socket(
            Tap::new(io, &[]),
            Role::Server,
            Some(config.tungstenite()),
        )
        .await;
        WsTransport::new(ws, config)
    }
}

/// The `Sec-WebSocket-Accept` value that answers a client's `Sec-WebSocket-Key`, for an HTTP
/// server that upgrades the connection itself (see [`WsTransport::from_upgraded`]).
pub fn accept_key(sec_websocket_key: &[u8]) -> String {
    tokio_tungstenite::tungstenite::handshake::derive_accept_key(sec_websocket_key)
}

async fn upgrade<S>(mut io: S, peeked: &[u8], config: &Config) -> Result<WsTransport<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Peek at the first bytes: a client that speaks something else is told so at once.
    let (head, len) = read_head(&mut io, peeked).await.map_err(Error::Upgrade)?;
    if let Some(hint) = not_http(&head[..len]) {
        if len > 0 && head[0] != TLS_HANDSHAKE {
            // In HTTP, so that a secret-handshake client can tell (`HandshakeError::HttpReply`).
            refuse(&mut io).await;
        }
        return Err(Error::Upgrade(io::Error::new(
            io::ErrorKind::InvalidData,
            hint,
        )));
    }
    let path = config.path();
    // tungstenite's callback type fixes its (large) error type.
    #[allow(clippy::result_large_err)]
    let route = |request: &Request, response: Response| match path {
        Some(path) if request.uri().path() != path => {
            let mut refusal = ErrorResponse::new(Some("Not Found".into()));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            Err(refusal)
        }
        _ => Ok(response),
    };
    let ws = accept_hdr_async_with_config(
        Tap::new(io, &head[..len]),
        route,
        Some(config.tungstenite()),
    )
    .await
    .map_err(|e| match (e, path) {
        (WsError::Http(_), Some(path)) => Error::Upgrade(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the client asked for another path than {path} (answered 404)"),
        )),
        (e, _) => Error::Upgrade(to_io(e)),
    })?;
    Ok(WsTransport::new(ws, config))
}

/// Longer than the 64-byte server hello, so that a secret-handshake client reads it as one.
const REFUSAL: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain\r\nConnection: close\r\nContent-Length: 71\r\n\r\n\
This is a secret-handshake WebSocket listener: dial its ws:// address.\n";
/// How long answering a client that is not HTTP, and reading what it still sends, may take.
const LINGER: Duration = Duration::from_secs(1);
/// The most read and dropped while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// Sends the 400 and ends our side; then reads until the client hangs up, so that closing
/// with its data unread does not reset the connection and destroy the answer.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(io: &mut S) {
    let _ = tokio::time::timeout(LINGER, async {
        io.write_all(REFUSAL).await?;
        io.shutdown().await?;
        let mut sink = [0; 1024];
        let mut drained = 0;
        while drained < LINGER_BYTES {
            match io.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        io::Result::Ok(())
    })
    .await;
}

fn timed_out(config: &Config) -> Error {
    if no_time_driver() {
        return Error::Upgrade(no_time_driver_error());
    }
    let limit = seconds(config.upgrade_timeout().unwrap_or_default());
    Error::Upgrade(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the client's upgrade took longer than {limit}"),
    ))
}

/// Accepts a WebSocket client on `io` (an accepted `TcpStream`, say) with the default
/// [`Config`], and runs the server side of the secret handshake over it. Set `TCP_NODELAY` on
/// the socket first, as [`dial`](crate::dial) does.
///
/// The upgrade is bounded by the config's timeout (5 s), and the upgrade and the secret
/// handshake together by the server's handshake deadline (30 s by default), counted from the
/// call: [`Error::Deadline`] when it runs out. Run it outside the accept loop (or use a
/// [`Listener`](crate::Listener)).
pub async fn accept<A, S>(
    server: &Server<A>,
    io: S,
) -> Result<BoxStream<WsTransport<S>, A::Auth>, Error>
where
    A: Authorize,
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(server, io, &Config::default()).await
}

/// [`accept`] with `config`'s limits, upgrade timeout and path.
pub async fn accept_with<A, S>(
    server: &Server<A>,
    io: S,
    config: &Config,
) -> Result<BoxStream<WsTransport<S>, A::Auth>, Error>
where
    A: Authorize,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = server.limits().handshake_deadline();
    let steps = async {
        let ws = WsTransport::accept_with(io, config).await?;
        Ok(server.accept(ws).await?)
    };
    within(deadline, steps).await.unwrap_or_else(|| {
        Err(match no_time_driver() {
            true => Error::Handshake(HandshakeError::NoTimeDriver),
            false => Error::Deadline(deadline.unwrap_or_default()),
        })
    })
}
