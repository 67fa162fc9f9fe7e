//! Scuttlebutt's **secret-handshake** (SHS1) and **box-stream**, byte-compatible with the
//! JavaScript reference (`secret-handshake` 1.1.21, `pull-box-stream` 1.0.13).
//!
//! A [`Client`] and a [`Server`] that share a [`NetworkKey`] authenticate each other's long-term
//! Ed25519 keys over any tokio `AsyncRead + AsyncWrite` and turn it into an encrypted
//! [`BoxStream`]. The client must know the server's key in advance; the server learns the
//! client's and decides with an [`Authorize`] whether to let it in.
//!
//! ```
//! use secret_handshake::{dial, AllowAll, Client, Keypair, Listener, NetworkKey, Server};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let network = NetworkKey::ssb_main_net();
//!
//! // Serve: a listener for TCP (`bind_unix` for unix sockets, `with_websocket` for `ws://`).
//! let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
//! let key = *server.identity();
//! let mut listener = Listener::bind("127.0.0.1:0", server).await?;
//! let address = format!("net:{}~shs:{}", listener.local_addr()?, key.to_base64());
//!
//! // Dial: any multiserver address or `;` list (`net:`, `ws://`, `wss://`, `unix:`).
//! let client = Client::new(Keypair::generate(), network);
//! let (dialled, accepted) = tokio::join!(dial::connect(&client, &address), listener.accept());
//! let (mut alice, (mut bob, _peer)) = (dialled?, accepted?);
//! assert_eq!(bob.peer_key(), client.identity());
//!
//! alice.write_all(b"hello bob").await?; // buffered like a BufWriter: flush or close sends it
//! let mut got = String::new();
//! let (alice_closed, bob_done) = tokio::join!(
//!     alice.close(), // our goodbye, then the peer's, then the transport's own end
//!     async {
//!         bob.read_to_string(&mut got).await?; // ends cleanly at alice's goodbye
//!         bob.close().await
//!     },
//! );
//! (alice_closed?, bob_done?);
//! assert_eq!(got, "hello bob");
//! # Ok(()) }
//! ```
//!
//! # One way to do each thing
//! * **Dial**: [`dial::connect`] (or a [`dial::Dialer`] with your timeouts, and
//!   `allow_local(false)` for addresses that come from peers), whatever the transport.
//!   [`Client::connect`] runs the handshake on a transport you opened yourself.
//! * **Serve**: a [`Listener`], for TCP, unix sockets and WebSocket: one deadline per client
//!   from accept to authenticated, and bounds that no crowd of slow peers can use to lock
//!   others out. [`Server::accept`] runs the handshake on a transport you accepted yourself.
//! * **Time out**: [`Limits`], given to the `Client` or `Server` (and so to the listener): 5 s
//!   of silence, 30 s from accept (or dial) to authenticated, on Tokio's clock.
//! * **Close**: [`BoxStream::close`], on every transport: our goodbye, the peer's, then the
//!   transport's own end (a WebSocket's Close handshake), within a timeout. It works through
//!   [`BoxStream::into_dyn`], on reunited halves, and through `framed.get_mut()`.
//!
//! # Layers
//! * [`handshake`] and [`boxstream`]: the protocol as sans-IO state machines (bytes in, bytes
//!   out, no runtime), used by everything else and usable on their own.
//! * [`Client`], [`Server`], [`BoxStream`], [`Listener`]: the tokio adapter.
//!   [`boxstream::BoxStreamCodec`] and [`BoxFramed`] serve `tokio_util::codec` users.
//! * [`multiserver`]: the addresses peers announce; [`dial`]: connect to the first that
//!   answers; `websocket` (feature `websocket`): multiserver's `ws://` transport.
//! * [`guide`]: the staged accept, longer answers with code, how the async layer behaves, and
//!   where each secret lives. `docs/api.md` in the repository lists every public item.
//!
//! # Features
//! * `ssb-secret-file` (default): `~/.ssb/secret` files, read
//!   ([`Keypair::from_default_ssb_secret_file`]) and written
//!   ([`Keypair::write_ssb_secret_file`]); JSON, so it pulls in serde.
//! * `websocket`: multiserver's `ws://` transport (tokio-tungstenite), in the dialler and the
//!   listener, with limits on by default.
//! * `wss`: `wss://` dialling over TLS (rustls with ring, webpki roots by default); implies
//!   `websocket`.
//! * `hazmat`: raw session keys, sealers from raw parts, fixed ephemeral keys, hostile frames:
//!   for tests and interop tools only (misuse reuses nonces or makes keys predictable).
//! * `tracing`: spans and events for operators through the `tracing` facade (who connected,
//!   which phase failed, how long it took, deadlines, evictions, bad frames; never a secret):
//!   see [the guide](guide#logging-and-tracing).
//!
//! # FAQ
//! **Why must I flush?** Writes are sealed into frames and buffered like a `BufWriter`, so many
//! small writes share one transport write. Call `flush` before waiting for a reply; `shutdown`
//! and `close` flush too.
//!
//! **What is the goodbye?** A box-stream ends with an authenticated header of zeros. Reads
//! return `Ok(0)` once the peer's goodbye arrives; a transport that ends without one is an
//! `UnexpectedEof` error, so truncation is never mistaken for a clean end. `shutdown` sends our
//! goodbye and half-closes (enough for TCP; a WebSocket stays open); [`BoxStream::close`] is
//! the whole end.
//!
//! **How do I set timeouts?** With [`Limits`]. They need Tokio's time driver: on a runtime
//! built without `enable_time` (or under async-std or smol) a handshake with a deadline fails at
//! once with [`HandshakeError::NoTimeDriver`], never a panic; [`Limits::untimed`] runs there.
//!
//! **How do I use my Scuttlebutt identity?** [`Keypair::from_default_ssb_secret_file`] reads
//! `~/.ssb/secret`; [`Keypair::write_default_ssb_secret_file`] creates one (mode 0600, never
//! overwriting). Ids print and parse as `@<base64>.ed25519` ([`PublicKey`]).
//!
//! **Why was I rejected without an error message?** As in the reference, a server never tells a
//! client why: it hangs up. The client's error names the phase and the likely causes.
//!
//! **I used `#[async_trait]` for [`Authorize`]: E0195?** Remove the attribute: the trait takes a
//! plain `async fn` (see [`Authorize`]).
//!
//! **How do I call a method on a Scuttlebutt node?** `examples/ssb_rpc` is a muxrpc client and
//! server over this crate's stream: `cargo run --example ssb_rpc -- ADDRESS whoami`.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod boxstream;
mod connection;
mod crypto;
pub mod dial;
mod encoding;
mod error;
pub mod handshake;
/// The details behind the crate docs: the staged accept, longer answers with code, how the
/// async layer behaves, where each secret lives.
#[allow(unused_imports)]
pub mod guide {
    #![doc = include_str!("../docs/guide.md")]
    use crate::*;
}
#[cfg(feature = "hazmat")]
pub mod hazmat;
mod io;
mod keys;
mod listener;
pub mod multiserver;
mod secret;
#[cfg(feature = "ssb-secret-file")]
mod secret_file;
mod trace;
#[cfg(feature = "websocket")]
pub mod websocket;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use connection::Connection;
#[cfg(feature = "ssb-secret-file")]
pub use error::SecretFileError;
pub use error::{BoxStreamError, HandshakeError, KeyError, Phase};
pub use io::{
    Accept, AcceptSession, AllowAll, AllowList, Authenticate, Authenticated, Authorize, BoxError,
    BoxFramed, BoxReader, BoxStream, BoxWriter, Client, Connect, ConnectSession, DynAuthorize,
    DynBoxStream, FallibleAccept, FallibleAuthenticate, FallibleConnect, Limits, ReuniteError,
    Server, SplitReader, SplitWriter, Transport, DEFAULT_CLOSE_TIMEOUT, DEFAULT_HANDSHAKE_DEADLINE,
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_HANDSHAKES_PER_SOURCE,
    DEFAULT_WRITE_BUFFER,
};
pub use keys::{Keypair, NetworkKey, PublicKey};
pub use listener::{AcceptError, Accepted, ClientError, Listener, PeerAddr};
