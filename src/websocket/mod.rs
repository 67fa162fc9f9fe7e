//! Secret-handshake over WebSocket, as Scuttlebutt's multiserver `ws` plugin speaks it
//! (feature `websocket`): dial `ws://HOST[:PORT]~shs:KEY` addresses with [`connect`], serve
//! them with [`accept`]; both give a [`BoxStream`](crate::BoxStream) over a [`WsTransport`].
//!
//! The bytes travel in binary WebSocket messages of any size; a text message is an error.
//! Plain `ws://` only: dialling `wss://` needs TLS, which this crate does not bring
//! ([`connect`] refuses it; [`WsTransport::connect`] runs over a TLS stream of your own, untested).
//!
//! # No half-close: how to end a session
//! A WebSocket cannot close one direction. Once a side's Close has gone out, the JS side (`ws`)
//! drops whatever it still sends, and so does tungstenite. So a box-stream over WebSocket ends
//! in three steps, each side:
//!
//! 1. `shutdown()` the box-stream: our goodbye goes out and is flushed, and the WebSocket stays
//!    open ([`WsTransport`]'s `poll_shutdown` only flushes), so the peer can still send.
//! 2. Read until `Ok(0)`: the peer's goodbye.
//! 3. [`WsTransport::close`] through `get_mut()`: the WebSocket Close handshake, then the TCP
//!    connection is shut down (the JS client otherwise waits 30 s before it exits).
//!
//! ```no_run
//! # async fn demo(client: secret_handshake::Client, addr: secret_handshake::MultiserverAddress)
//! # -> Result<(), Box<dyn std::error::Error>> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let mut stream = secret_handshake::websocket::connect(&client, &addr).await?;
//! stream.write_all(b"hello").await?;
//! stream.shutdown().await?; // 1. our goodbye; no WebSocket Close yet
//! let mut reply = Vec::new();
//! stream.read_to_end(&mut reply).await?; // 2. up to the peer's goodbye
//! stream.get_mut().close().await?; // 3. now the WebSocket Close, and TCP is shut down
//! # Ok(()) }
//! ```
//!
//! The JS plugin sends its Close right after its goodbye. Reading stops at the goodbye, so our
//! side never takes that Close in before step 3 and keeps sending until it is done. Do not skip
//! step 3: dropping the stream with the peer's Close still unread makes the kernel reset the
//! TCP connection, and a reset can destroy our last frames before the peer has read them (the
//! live suite saw that happen, so it is not tested as a clean end).
//!
//! Each of our writes becomes one message of at most 16 KiB; incoming messages may be up to
//! 1 MiB (the JS side sends each box as two messages, of 34 bytes and the body).

mod client;
mod config;
mod deadline;
mod error;
mod listener;
mod options;
mod server;
mod stream;
mod tap;
mod transport;

pub use client::{connect, open};
pub use config::{Config, DEFAULT_MAX_MESSAGE, DEFAULT_WRITE_BUFFER_LIMIT, MAX_UPGRADE_BYTES};
pub use error::Error;
pub use listener::{AcceptError, Listener, DEFAULT_HANDSHAKE_DEADLINE, DEFAULT_MAX_HANDSHAKES};
pub use options::DialOptions;
pub use server::{accept, accept_key, accept_with};
pub use stream::WsStream;
/// The rustls crate this module's TLS uses, for [`DialOptions::with_tls_config`] and
/// [`DialOptions::with_root_certificates`].
#[cfg(feature = "wss")]
pub use tokio_rustls::rustls;
pub use transport::WsTransport;

/// The most we send in one message.
const MAX_WRITE_MESSAGE: usize = 16 * 1024;
