//! WebSocket sessions for the tests: an exchange over a `BoxStream<WsTransport<_>>` that ends
//! the way the module docs say.

use secret_handshake::multiserver::{MultiserverAddress, TransportKind};
use secret_handshake::websocket::{self, DialOptions, WsStream, WsTransport};
use secret_handshake::{BoxStream, Client};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub const KIB: usize = 1024;
/// The sizes sent each way at once.
pub const SIZES: [usize; 5] = [0, 1, 4097, 100 * KIB, 8 * KIB * KIB];

/// Sends `data` and our goodbye while receiving everything (with `after_peer`, sends only once
/// the peer's goodbye, and with it the JS side's WebSocket Close, has arrived), then closes the
/// WebSocket. Returns what was received, and the closed stream: holding it shows that `close`
/// alone ends the TCP connection.
pub async fn exchange<S>(
    stream: BoxStream<WsTransport<S>>,
    data: &[u8],
    after_peer: bool,
) -> (Vec<u8>, BoxStream<WsTransport<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (received, mut stream) = session(stream, data, after_peer).await;
    stream.close().await.expect("WebSocket close");
    (received, stream)
}

/// [`exchange`] up to both goodbyes, without closing the WebSocket.
pub async fn session<S>(
    stream: BoxStream<WsTransport<S>>,
    data: &[u8],
    after_peer: bool,
) -> (Vec<u8>, BoxStream<WsTransport<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let (peer_done, peer_done_rx) = tokio::sync::oneshot::channel::<()>();
    let send = async {
        if after_peer {
            let _ = peer_done_rx.await;
        }
        writer.write_all(data).await.expect("write");
        writer.flush().await.expect("flush");
        writer.shutdown().await.expect("goodbye");
    };
    let receive = async {
        let mut received = Vec::new();
        reader
            .read_to_end(&mut received)
            .await
            .expect("a clean end with the peer's goodbye");
        let _ = peer_done.send(());
        received
    };
    let ((), received) = tokio::join!(send, receive);
    let stream = reader.unsplit(writer);
    assert!(stream.is_ended());
    (received, stream)
}

/// A `ws://` or `wss://` address dialled from the building blocks ([`websocket::open`], then
/// the handshake as `client`), keeping the `WsTransport` type: what the dialler does for one
/// address, for tests of the transport itself.
pub async fn connect(
    client: &Client,
    addr: &MultiserverAddress,
) -> Result<BoxStream<WsTransport<WsStream>>, websocket::Error> {
    let scheme = match addr.transport {
        TransportKind::Wss => "wss",
        _ => "ws",
    };
    let url = format!("{scheme}://{}{}", addr.socket_address(), addr.path);
    let ws = websocket::open(&url, &DialOptions::default()).await?;
    let stream = match &addr.seed {
        Some(seed) => {
            client
                .clone()
                .with_seed_identity(seed)
                .connect(ws, &addr.key)
                .await
        }
        None => client.connect(ws, &addr.key).await,
    };
    Ok(stream?)
}
