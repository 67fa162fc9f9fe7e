//! The WebSocket parts of `listen --ws`: the upgrade, bounded in time, and the WebSocket Close
//! once both goodbyes are through (see the library's `websocket` docs). `connect` dials through
//! the library's dialler.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpStream;

use secret_handshake::websocket::{self, WsTransport};
use secret_handshake::DEFAULT_HANDSHAKE_TIMEOUT;

/// The WebSocket opening handshake gets as long as the secret handshake after it.
const UPGRADE_TIMEOUT: Duration = DEFAULT_HANDSHAKE_TIMEOUT;
/// How long to wait for the peer's answer to our Close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

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

/// Sends the WebSocket Close after both goodbyes and shuts the TCP connection down, so a JS
/// peer exits at once instead of waiting 30 s for us to drop it.
///
/// Its outcome is not reported: the session is already complete, and a peer that has gone
/// without answering our Close has lost nothing.
pub async fn close(ws: &mut Ws) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, ws.close()).await;
}
