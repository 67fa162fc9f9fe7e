//! A plain TCP client at a `listen --ws` listener: told apart from a WebSocket client by its
//! first bytes, answered in HTTP (so that the client can tell, too) and turned away with a hint.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use secret_handshake::DEFAULT_HANDSHAKE_TIMEOUT;

/// What every WebSocket upgrade request starts with.
const GET: &[u8] = b"GET ";
/// Longer than the 64-byte server hello, so that a secret-handshake client reads it as one.
const RESPONSE: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain\r\nConnection: close\r\nContent-Length: 71\r\n\r\n\
This is a secret-handshake WebSocket listener: dial its ws:// address.\n";
/// How long the client may take to start its request, as long as the upgrade after it.
const FIRST_BYTES: Duration = DEFAULT_HANDSHAKE_TIMEOUT;
/// How long answering and reading what the client still sends may take.
const LINGER: Duration = Duration::from_secs(1);
/// The most read and dropped while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// Checks that `tcp`'s first bytes can start a WebSocket upgrade; if they cannot, answers in
/// HTTP and fails with a hint. Waits for the first bytes only, not for a whole request.
pub async fn check(tcp: &mut TcpStream) -> Result<(), String> {
    let mut first = [0; GET.len()];
    let n = match tokio::time::timeout(FIRST_BYTES, tcp.peek(&mut first)).await {
        Ok(peeked) => peeked.map_err(|e| format!("WebSocket upgrade failed: {e}"))?,
        Err(_) => {
            return Err(format!(
                "WebSocket upgrade failed: no request within {} s",
                FIRST_BYTES.as_secs()
            ))
        }
    };
    // Nothing at all (the client hung up) is for the upgrade to report.
    if first[..n] == GET[..n] {
        return Ok(());
    }
    answer(tcp).await;
    let ws = match tcp.local_addr() {
        Ok(local) => format!("ws://{local}"),
        Err(_) => "a ws:// address".into(),
    };
    Err(format!(
        "WebSocket upgrade failed: the client does not speak WebSocket: is it dialling a \
         net: address instead of {ws}?"
    ))
}

/// Sends the 400 and ends our side; then reads until the client hangs up, so that closing
/// with its data unread does not reset the connection and destroy the answer.
async fn answer(tcp: &mut TcpStream) {
    let _ = tokio::time::timeout(LINGER, async {
        tcp.write_all(RESPONSE).await?;
        tcp.shutdown().await?;
        let mut sink = [0; 4096];
        let mut drained = 0;
        while drained < LINGER_BYTES {
            match tcp.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        std::io::Result::Ok(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_answer_is_longer_than_a_server_hello_and_its_length_is_right() {
        let response = std::str::from_utf8(super::RESPONSE).expect("ASCII");
        let (_, body) = response.split_once("\r\n\r\n").expect("head and body");
        assert!(response.len() > 64);
        assert!(response.contains(&format!("Content-Length: {}\r\n", body.len())));
    }
}
