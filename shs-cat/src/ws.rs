//! The WebSocket part of `listen --ws`: the upgrade, bounded in time (the session ends with the
//! library's `BoxStream::close`, which sends the WebSocket Close). `connect` dials through the
//! library's dialler.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpStream;

use secret_handshake::websocket::{self, WsTransport};
use secret_handshake::DEFAULT_HANDSHAKE_TIMEOUT;

/// The WebSocket opening handshake gets as long as the secret handshake after it.
const UPGRADE_TIMEOUT: Duration = DEFAULT_HANDSHAKE_TIMEOUT;

pub type Ws = WsTransport<TcpStream>;

/// Answers a WebSocket client on `tcp`.
pub async fn accept(tcp: TcpStream) -> Result<Ws, String> {
    bounded(WsTransport::accept(tcp)).await
}

async fn bounded(
    upgrade: impl Future<Output = Result<Ws, websocket::Error>>,
) -> Result<Ws, String> {
    match tokio::time::timeout(UPGRADE_TIMEOUT, upgrade).await {
        Ok(upgraded) => upgraded.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "WebSocket upgrade failed: no answer within {} s",
            UPGRADE_TIMEOUT.as_secs()
        )),
    }
}
