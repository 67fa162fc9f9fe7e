//! Secret-handshake over WebSocket, as Scuttlebutt's multiserver `ws` plugin speaks it
//! (feature `websocket`; `wss://` with feature `wss`). Both give a
//! [`BoxStream`](crate::BoxStream) over a [`WsTransport`]:
//!
//! * Dial: through [`dial`](crate::dial), the one way from a `ws://HOST[:PORT]~shs:KEY` (or
//!   `wss://`) address to a stream. Building blocks for your own dialling: [`open`] takes a
//!   URL, `ws[s]://HOST[:PORT][/PATH]`, and returns the transport for your own handshake;
//!   [`WsTransport::connect_with`] upgrades a connection you opened.
//! * Serve: [`accept`] / [`accept_with`] on a connection you accepted, or a
//!   [`Listener`](crate::Listener) with [`with_websocket`](crate::Listener::with_websocket)
//!   that serves many clients (a task per handshake, bounds no crowd can lock out); behind an
//!   HTTP server (hyper, axum; go-ssb-room and rooms2 mount the endpoint on a path behind a
//!   reverse proxy), let it answer the upgrade with [`accept_key`] and hand the connection to
//!   [`WsTransport::from_upgraded`], or answer one path only with [`Config::with_path`].
//!
//! The bytes travel in binary WebSocket messages of any size; a text message is an error.
//!
//! # TLS (`wss://`, feature `wss`)
//! rustls, with the *ring* provider (it builds with a C compiler; aws-lc-rs needs cmake) and
//! Mozilla's roots from `webpki-roots` by default, so a dial works the same on every host
//! whatever its certificate store. [`DialOptions::with_root_certificates`] trusts your own
//! roots (a private CA, or the platform's through `rustls-native-certs`);
//! [`DialOptions::with_tls_config`] takes a whole `rustls::ClientConfig`. A certificate that
//! does not verify fails with [`Error::Tls`], whose `io::Error` holds rustls' error. Without the
//! feature, dialling `wss://` is [`Error::Unsupported`] and rustls is not built. Serving TLS is
//! left to a terminating proxy, or to a TLS stream of your own given to [`accept`].
//!
//! # Limits and deadlines: what a peer can make a connection hold
//! Every limit is on by default, applies from the first byte (before the peer is
//! authenticated) and is set with [`Config`]:
//!
//! * **Messages and frames** of at most [`DEFAULT_MAX_MESSAGE`] (32 KiB; the JS side sends at
//!   most 4,130 bytes, we at most 16 KiB). A header announcing more fails the connection
//!   before anything is reserved for it.
//! * **Write buffer** of at most [`DEFAULT_WRITE_BUFFER_LIMIT`] (64 KiB). tungstenite answers
//!   each Ping with a Pong; past the limit it keeps only the latest, and a peer that keeps
//!   sending Pings while reading none of our Pongs fails the connection once it is owed more
//!   than the limit (`InvalidData`, "reads none of our Pongs").
//! * **The HTTP upgrade** reads at most [`MAX_UPGRADE_BYTES`] (16 KiB) and must finish within
//!   the upgrade timeout (5 s, the handshake timeout's default), as a whole: a silent or
//!   trickling client is dropped then. When dialling, the same timeout bounds the TCP
//!   connection, TLS and the upgrade together. The secret handshake that follows has the
//!   [`Server`](crate::Server)'s or [`Client`](crate::Client)'s own timeout. One deadline
//!   bounds the upgrade and the handshake together: the server's handshake deadline (30 s)
//!   from the start of [`accept`], a [`Listener`](crate::Listener)'s from the connection.
//! * **Floods of messages without data** (Pings, Pongs, empty messages) are taken 32 per
//!   poll, then the task yields, so the handshake's timer fires on time however fast they come.
//!
//! Memory per connection with the defaults (bounds from tungstenite's buffering; the figures
//! measured by `tests/hostile/websocket.rs` are in `BENCHMARKS.md`):
//!
//! * before the handshake: a 16 KiB read buffer and one frame of at most 32 KiB (during the
//!   upgrade, at most 16 KiB of request); a header announcing more is refused at once;
//! * after the handshake, reading: the read buffer and a frame, a fragmented message of at
//!   most 32 KiB, and the message being handed out: at most 160 KiB;
//! * after the handshake, writing: the write buffer, at most 2 × 64 KiB with its growth.
//!
//! On top of this the [`BoxStream`](crate::BoxStream) holds its own buffers (its write limit
//! and 16.5 KiB for reading). A Ping flood before the handshake peaks at about 200 KiB of heap
//! for its connection and ends it within 0.2 s; one whose Pongs are read ends at the 5 s
//! handshake timeout.
//!
//! An error (of the peer or of the connection beneath) ends the WebSocket: tokio-tungstenite
//! ends its stream on any error, so later reads repeat it rather than resume.
//!
//! A server that gets something other than an HTTP `GET` (a `net:` client's secret-handshake
//! hello, or a TLS handshake) refuses it at once with an error that says the transports are
//! probably mixed up; a client whose server hangs up during the upgrade, or answers in
//! something other than HTTP, is told the port may be a `net:` one.
//!
//! # No half-close: how to end a session
//! A WebSocket cannot close one direction. Once a side's Close has gone out, the JS side (`ws`)
//! drops whatever it still sends, and so does tungstenite. So `shutdown()` of a box-stream over
//! WebSocket sends our goodbye and only flushes the WebSocket, which stays open for the peer;
//! [`BoxStream::close`](crate::BoxStream::close) ends it, as it ends any transport: our
//! goodbye, then the peer's, then (never before it) the WebSocket Close handshake and the TCP
//! shutdown, all within a timeout (5 s by default), so a peer that never answers cannot hold it.
//!
//! ```no_run
//! # use secret_handshake::multiserver::MultiserverAddress;
//! # async fn demo(client: secret_handshake::Client, addr: MultiserverAddress)
//! # -> Result<(), Box<dyn std::error::Error>> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let mut stream = secret_handshake::dial::Dialer::new().connect_to(&client, &[addr]).await?;
//! stream.write_all(b"hello").await?;
//! stream.shutdown().await?; // our goodbye; no WebSocket Close yet
//! let mut reply = Vec::new();
//! stream.read_to_end(&mut reply).await?; // up to the peer's goodbye
//! stream.close().await?; // now the WebSocket Close, and TCP is shut down
//! # Ok(()) }
//! ```
//!
//! The JS plugin sends its Close right after its goodbye. Reading stops at the goodbye, so our
//! side never takes that Close in before `close` and keeps sending until it is done. Do not
//! just drop the stream: with the peer's Close still unread the kernel resets the TCP
//! connection, and a reset can destroy our last frames before the peer has read them (the live
//! suite saw that happen, so it is not tested as a clean end). At the transport level the end
//! is a second `shutdown` (see [`WsTransport`]).
//!
//! Each of our writes becomes one message of at most 16 KiB; incoming messages may be up to
//! 32 KiB by default (the JS side sends each box as two messages, of 34 bytes and the body).

mod client;
mod config;
mod options;
mod replay;
mod server;
mod stream;
mod tap;
mod transport;

/// Why a WebSocket could not be opened or accepted: the dialler's
/// [`Failure`](crate::dial::Failure),
/// one type for the steps of every connection.
pub use crate::dial::Failure as Error;
pub use client::open;
pub use config::{Config, DEFAULT_MAX_MESSAGE, DEFAULT_WRITE_BUFFER_LIMIT, MAX_UPGRADE_BYTES};
pub use options::DialOptions;
pub use server::{accept, accept_key, accept_with};
pub use stream::WsStream;
/// The rustls crate this module's TLS uses, for [`DialOptions::with_tls_config`] and
/// [`DialOptions::with_root_certificates`].
#[cfg(feature = "wss")]
pub use tokio_rustls::rustls;
pub use transport::WsTransport;

pub(crate) use replay::Replay;
pub(crate) use tap::{read_head, GET};
