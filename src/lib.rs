//! Scuttlebutt's **secret-handshake** (SHS1) and **box-stream**, byte-compatible with the
//! JavaScript reference (`secret-handshake` 1.1.21, `pull-box-stream` 1.0.13).
//!
//! A [`Client`] and a [`Server`] that share a [`NetworkKey`] authenticate each other's long-term
//! Ed25519 keys over any tokio `AsyncRead + AsyncWrite` (TCP, Unix sockets, in-memory pipes,
//! WebSocket adapters) and turn it into an encrypted [`BoxStream`]. The client must know the
//! server's key in advance; the server learns the client's and decides with an [`Authorize`]
//! whether to let it in.
//!
//! ```
//! use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let network = NetworkKey::ssb_main_net();
//! let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
//! let client = Client::new(Keypair::generate(), network);
//!
//! let (client_io, server_io) = tokio::io::duplex(4096); // or a TcpStream
//! let (client_stream, server_stream) = tokio::join!(
//!     client.connect(client_io, server.identity()),
//!     server.accept(server_io),
//! );
//! let (mut alice, mut bob) = (client_stream?, server_stream?);
//! assert_eq!(bob.peer_key(), client.identity());
//!
//! alice.write_all(b"hello bob").await?;
//! alice.shutdown().await?; // flush, goodbye, half-close
//! let mut got = String::new();
//! bob.read_to_string(&mut got).await?; // ends cleanly at alice's goodbye
//! assert_eq!(got, "hello bob");
//! # Ok(()) }
//! ```
//!
//! # Layers
//! * [`handshake`] and [`boxstream`]: the protocol as sans-IO state machines (bytes in, bytes
//!   out, no runtime), used by everything else and usable on their own.
//! * [`Client`], [`Server`], [`BoxStream`]: the tokio adapter. [`BoxStream`] can be split into
//!   halves for two tasks ([`BoxStream::into_split`], [`BoxStream::split_with`]).
//! * [`boxstream::BoxStreamCodec`]: box-stream as a `tokio_util::codec` `Decoder`/`Encoder`.
//! * `websocket` (feature `websocket`): Scuttlebutt's `ws://HOST:PORT~shs:KEY` transport
//!   (`wss://` with feature `wss`), with bounded memory per connection; it ends through
//!   [`BoxStream::close`] like any other transport (a WebSocket has no half-close).
//! * [`multiserver`]: the addresses peers announce (`net:…~shs:KEY;ws://…`), the whole grammar;
//!   [`dial`]: connect to the first of them that answers.
//!
//! # Deciding about a client with your own context
//! [`Server::accept`] asks the server's [`Authorize`] about each client's key. To decide with
//! what only you know (the peer's address, the connections already open, a database),
//! [`Server::authenticate`] stops the handshake once the client has proven its key and hands
//! you an [`Authenticated`]: [`accept`](Authenticated::accept) it (optionally with a typed
//! value the stream carries as [`BoxStream::auth`]) or [`reject`](Authenticated::reject) it,
//! getting the transport back without message 4 ever being sent. See [`Authenticated`] for an
//! example that refuses a second connection from a key already connected.
//!
//! Like tokio-rustls, [`Connect::into_fallible`] and [`Accept::into_fallible`] resolve to
//! `Err((error, transport))` instead of dropping the transport ([`Authenticate::into_fallible`]
//! for the staged accept), and `get_ref` / `get_mut` on [`Connect`], [`Accept`] and
//! [`Authenticate`] reach the transport mid-handshake (to log the peer's address on a
//! timeout, or set socket options).
//!
//! # Features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `ssb-secret-file` | yes | [`Keypair::from_ssb_secret`], [`Keypair::from_default_ssb_secret_file`] and friends: `~/.ssb/secret` files (JSON, so it pulls in serde) |
//! | `websocket` | no | `websocket`: multiserver's `ws://` transport over tokio-tungstenite: dial, accept, a listener, mounting on an HTTP server; limits on by default |
//! | `wss` | no | `wss://` dialling over TLS (rustls with ring, webpki roots by default); implies `websocket` |
//! | `hazmat` | no | `hazmat`: raw session keys, sealers and openers from raw parts, fixed ephemeral keys, hostile frames, the op-level replay functions. For tests and interop tools: misuse reuses nonces or makes keys predictable. With default features no public path leads from one handshake to two streams. |
//! | `tracing` | no | spans and events for operators through the `tracing` facade: see below |
//!
//! # Logging and tracing
//! With feature `tracing` the crate emits `tracing` spans and events, all with the target
//! `secret_handshake`; without it none of this is compiled in (the calls are empty).
//!
//! * Span `handshake` (INFO), one per handshake, kept by its stream: `direction` (`client` or
//!   `server`); `transport` (`net`, `ws`, `unix`) and `peer_addr` for a [`Listener`]'s clients
//!   and the dialler's attempts; `peer_id` (`@….ed25519`) once the peer has proven it (a server
//!   after message 3, a client at the end).
//! * In it: `handshake succeeded` (INFO, `duration_ms`); `handshake failed` with `phase` (1 to
//!   4), `duration_ms`, `error`, and `expired` (`handshake_timeout`, `handshake_deadline`,
//!   `authorize_timeout`) when a bound fired: INFO, or WARN when the fault is on our side (the
//!   authorizer failed or timed out, no time driver, misuse); `client not authorized` (INFO,
//!   `phase=3`); later the stream's `box-stream failed` (INFO, `error`: a bad frame, or an end
//!   without a goodbye), `closed` (DEBUG) or `close failed` (INFO).
//! * A [`Listener`]'s: `client pending` (DEBUG, `peer_addr`, `in_flight`: the clients pending
//!   before it); `pending client evicted to make room` (INFO, `source`, `newcomer`);
//!   `client not authenticated` (INFO, `peer_addr`, `error`; `expired=listener_deadline` for
//!   its deadline; a failed handshake is reported in its span instead). The dialler's: `dial
//!   attempt failed` (DEBUG, `address` with any seed redacted, `error`).
//!
//! Only public ids, addresses, phases, durations and errors' `Display` are recorded: never a
//! secret key, a seed, the network key or a session key (`tests/hostile/tracing.rs` checks).
//! `shs-cat -v` prints them on stderr, as a `tracing-subscriber` fmt subscriber does (two lines,
//! wrapped here):
//!
//! ```text
//! INFO handshake{direction=server transport=net peer_addr=127.0.0.1:56458
//!   peer_id=@I1xj….ed25519}: secret_handshake: handshake succeeded duration_ms=1.025
//! INFO handshake{direction=server}: secret_handshake: handshake failed phase=1
//!   duration_ms=0.041 error=handshake failed (phase 1): peer's hello is invalid: wrong
//!   network key, or not a secret-handshake peer
//! ```
//!
//! # FAQ
//! **Why must I flush?** Writes are sealed into frames and buffered like a `BufWriter`, so many
//! small writes share one transport write. Call `flush` before waiting for a reply;
//! `shutdown` flushes too.
//!
//! **What is the goodbye?** A box-stream ends with an authenticated header of zeros. `shutdown`
//! sends it (then half-closes TCP); reads return `Ok(0)` once the peer's goodbye arrives. A
//! transport that ends without one is an `UnexpectedEof` error, so truncation is never mistaken
//! for a clean end. Dropping a stream without `shutdown` is such a truncation for the peer.
//!
//! **How do I end a connection?** [`BoxStream::close`], on every transport: our goodbye, the
//! peer's (data it still sends is dropped: read to `Ok(0)` first to keep it), then the
//! transport's own end (a WebSocket's Close handshake), within [`DEFAULT_CLOSE_TIMEOUT`] or
//! [`BoxStream::close_within`]. It works through [`BoxStream::into_dyn`], on halves put back
//! together, through `framed.get_mut()`, and [`BoxFramed::close_within`] does the same.
//! `shutdown` alone is the half-close: enough for TCP, while a WebSocket stays open.
//!
//! **Timeouts?** A handshake fails after 5 s without progress on a read or write, as in the
//! reference, and after 30 s in all however steadily the peer trickles bytes; the authorizer is
//! bounded by the handshake timeout, and its timeout is its own error
//! ([`HandshakeError::AuthorizerTimeout`]), so a slow database is not mistaken for a slow peer.
//! All are set in one [`Limits`], given to [`Client::with_limits`] or [`Server::with_limits`];
//! `None` or `Duration::MAX` disables one.
//! The deadlines run on Tokio's clock (`tokio::time::pause` moves them in tests) and are
//! checked on every poll before the transport is touched, so they fire on time whatever the
//! peer sends. **They need Tokio's time driver**: on a runtime built without `enable_time`, or
//! outside Tokio (async-std, smol), a handshake with a deadline fails at once with
//! [`HandshakeError::NoTimeDriver`], never a panic; with every deadline `None` it runs untimed
//! there. No timeout applies after the handshake; wrap reads in `tokio::time::timeout` if you
//! need one.
//!
//! **What happens on a transport error?** A transport error (`Interrupted`, `WouldBlock`,
//! `TimedOut`, a reset) is returned once and leaves the stream as it was: no buffered byte is
//! lost, and a retry continues where it stopped if the transport recovers. Only what breaks
//! the box-stream itself (a bad MAC or length, EOF without a goodbye) ends it for good; every
//! later read repeats that error. During the handshake `Interrupted` is retried, as
//! `std::io::Read::read_exact` does.
//!
//! **How much memory does a connection hold?** Over TCP, a handshake in progress holds about
//! 1.2 KiB of heap (at most 4 KiB, measured by `tests/hostile/memory.rs`). An established
//! [`BoxStream`] holds nothing while quiet; under load at most its write limit
//! ([`DEFAULT_WRITE_BUFFER`], 64 KiB, see [`BoxStream::set_write_buffer_limit`]) plus 16 KiB
//! of read buffer, whatever the peer sends, including a peer that floods and never reads
//! (buffers grow exactly to these bounds, never by doubling past them).
//!
//! **How do I use my Scuttlebutt identity?** [`Keypair::from_default_ssb_secret_file`] reads
//! `$HOME/.ssb/secret` ([`SecretFileError::NoHome`] without `HOME`), and
//! [`Keypair::from_ssb_secret_file`] any other path; a [`SecretFileError`] names the file, and
//! `?` makes it an `io::Error`. Peers' ids print and parse as `@<base64>.ed25519`
//! ([`PublicKey`]), and multiserver addresses (`net:HOST:PORT~shs:KEY`, `ws://…`, `unix:…`,
//! `;` lists) as [`MultiserverAddress`]; dial them with [`dial::connect`]. No error shows a secret: a [`KeyError`] quotes only a mistyped public
//! key, never a seed, secret key, network key, secret file or address (an invite's carries a
//! seed), not even in part.
//!
//! **Which long-term keys are refused?** Keys that are not a curve point, have small order, or
//! lie outside the prime-order subgroup (`Q + T` for a point `T` of order 2, 4 or 8). The bundled
//! libsodium 1.0.18 lets `Q + T₂` through (CVE-2025-69277), which would let one secret act as
//! several ids, so the crate checks every peer key itself (with curve25519-dalek): a server
//! fails such a client with [`HandshakeError::InvalidClientKey`] (phase 3) before the authorizer
//! sees it, and [`Client::connect`] refuses such a server key with
//! [`HandshakeError::InvalidServerKey`] before sending a byte.
//!
//! **Why was I rejected without an error message?** As in the reference, a server never tells a
//! client why: it hangs up. The client's error then names the phase and the likely causes, e.g.
//! `handshake failed (phase 3): peer closed the connection: server rejected us or wrong server key`.
//!
//! **How do I implement [`Authorize`] for my type?** With a plain `async fn`; no macro (the
//! trait's method returns `impl Future + Send`). Closures `Fn(PublicKey) -> impl Future` are
//! authorizers too, and [`DynAuthorize`] boxes any of them into one type:
//!
//! ```
//! use secret_handshake::{Authorize, BoxError, DynAuthorize, Keypair, NetworkKey, PublicKey, Server};
//!
//! /// Lets in the keys of a (here: in-memory) members table, tagged with their names.
//! struct Members(Vec<(PublicKey, String)>);
//!
//! impl Authorize for Members {
//!     type Auth = String;
//!
//!     async fn authorize(&self, client: &PublicKey) -> Result<Option<String>, BoxError> {
//!         let found = self.0.iter().find(|(key, _)| key == client);
//!         Ok(found.map(|(_, name)| name.clone()))
//!     }
//! }
//!
//! let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), Members(vec![]));
//! // Or boxed, when the authorizer is chosen at run time:
//! let boxed: Server<DynAuthorize<String>> = Server::new(
//!     Keypair::generate(),
//!     NetworkKey::ssb_main_net(),
//!     DynAuthorize::new(Members(vec![])),
//! );
//! # drop((server, boxed));
//! ```
//!
//! **How do I use a codec on a raw transport?** `into_session()` on [`Connect`] or [`Accept`]
//! resolves to the transport and the [`handshake::Session`] instead of a stream. The handshake
//! reads its messages at their exact sizes, so no byte behind message 4 has been read: all of
//! it is the codec's. [`BoxFramed`] frames the transport with the session (one message per
//! frame, as the JS pull-streams); `Framed::new(io, BoxStreamCodec::new(session.keys))` works
//! too (see the next answer). A session's keys build one stream only: they are not `Clone`.
//!
//! ```
//! use bytes::Bytes;
//! use futures::{SinkExt, StreamExt};
//! use secret_handshake::{AllowAll, BoxFramed, Client, Keypair, NetworkKey, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
//! # let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
//! let (tcp_like, theirs) = tokio::io::duplex(4096); // a TcpStream works the same
//! let (dialled, accepted) = tokio::join!(
//!     client.connect(tcp_like, server.identity()).into_session(),
//!     server.accept(theirs),
//! );
//! let (transport, session) = dialled?;
//! let mut framed = BoxFramed::new(transport, session);
//! let mut peer = accepted?;
//! # use tokio::io::AsyncWriteExt;
//! peer.write_all(b"hi").await?;
//! peer.flush().await?;
//! assert_eq!(&framed.next().await.unwrap()?[..], b"hi");
//! framed.send(Bytes::from_static(b"bye")).await?;
//! framed.close().await?; // sends the goodbye
//! # Ok(()) }
//! ```
//!
//! **How do I close a `Framed` cleanly?** With [`BoxFramed`], `close()`: it seals the goodbye,
//! flushes and half-closes. A plain `Framed<_, BoxStreamCodec>` cannot do that in `close`
//! (a codec has no say in closing; and `framed.close()` does not compile there without a type,
//! since the codec encodes several): send [`boxstream::Goodbye`] first. Over a [`BoxStream`]
//! (say `Framed<BoxStream<_>, LinesCodec>`), `close` shuts the box-stream down, which sends
//! the goodbye. The whole end, the peer's goodbye and a WebSocket's Close included, is
//! [`BoxFramed::close_within`], or `framed.get_mut().close()` over a [`BoxStream`] once the
//! `Framed` is flushed.
//!
//! ```
//! use futures::SinkExt;
//! use secret_handshake::boxstream::{BoxStreamCodec, Goodbye};
//! use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
//! use tokio::io::AsyncReadExt;
//! use tokio_util::codec::Framed;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
//! # let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
//! # let (ours, theirs) = tokio::io::duplex(4096);
//! # let (dialled, accepted) = tokio::join!(
//! #     client.connect(ours, server.identity()).into_session(),
//! #     server.accept(theirs),
//! # );
//! # let (transport, session) = dialled?;
//! # let mut peer = accepted?;
//! let mut framed = Framed::new(transport, BoxStreamCodec::new(session.keys));
//! framed.send(&b"last words"[..]).await?;
//! framed.send(Goodbye).await?; // seals and flushes the goodbye: the clean end
//! SinkExt::<Goodbye>::close(&mut framed).await?; // then half-close the transport
//! let mut got = Vec::new();
//! peer.read_to_end(&mut got).await?; // Ok: ended by the goodbye, not truncated
//! # assert_eq!(got, b"last words");
//! # Ok(()) }
//! ```
//!
//! **A server for the staged accept only?** [`Server::without_authorizer`]: `accept` then does
//! not compile, since `()` is not an [`Authorize`]; [`Server::authenticate`] hands you each
//! client. [`Authenticate::into_fallible`] gives the transport back if phases 1 to 3 fail.
//!
//! **async-std or smol?** Wrap their streams with `tokio_util::compat` (`FuturesAsyncReadCompatExt`);
//! note that `poll_close` there maps to our `poll_shutdown`, which sends the goodbye.
//!
//! **Which transports?** Any `AsyncRead + AsyncWrite`: `Unpin` or not, with no `'static` or
//! `Send` bound. The transport is moved into one heap allocation (`Pin<Box<IO>>`) when the
//! handshake starts and stays there for the life of the stream, because a transport that has
//! been polled cannot move again unless it is `Unpin`. So [`BoxStream::get_mut`],
//! [`BoxStream::into_inner`], [`Authenticated::reject`] and the fallible futures, which hand
//! out the transport by value or as `&mut`, need `Unpin`; the `*_pin_mut`/`reject_pinned`
//! variants serve the others.
//!
//! ```
//! use std::{io, marker::PhantomPinned, pin::Pin, task::{Context, Poll}};
//! use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
//! use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
//!
//! /// A transport that must stay where it is once polled (it is not `Unpin`).
//! #[pin_project::pin_project]
//! struct Pinned(#[pin] DuplexStream, PhantomPinned);
//!
//! impl AsyncRead for Pinned {
//!     fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
//!         self.project().0.poll_read(cx, buf)
//!     }
//! }
//! impl AsyncWrite for Pinned {
//!     fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
//!         self.project().0.poll_write(cx, buf)
//!     }
//!     fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
//!         self.project().0.poll_flush(cx)
//!     }
//!     fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
//!         self.project().0.poll_shutdown(cx)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
//! let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
//! let (a, b) = tokio::io::duplex(4096);
//! let (alice, bob) = tokio::join!(
//!     client.connect(Pinned(a, PhantomPinned), server.identity()),
//!     server.accept(Pinned(b, PhantomPinned)),
//! );
//! alice?.shutdown().await?;
//! # drop(bob?);
//! # Ok(()) }
//! ```
//!
//! **Can I get the transport back when a handshake fails?** Yes, with `into_fallible`, as in
//! tokio-rustls (for `Unpin` transports, which can be handed back by value):
//!
//! ```
//! # use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
//! let stranger = Client::new(Keypair::generate(), NetworkKey::from_bytes([7; 32]));
//! let (a, b) = tokio::io::duplex(4096);
//! let (_, accepted) = tokio::join!(
//!     stranger.connect(a, server.identity()),
//!     async {
//!         let failed = server.accept(b).into_fallible().await;
//!         failed.map_err(|(error, transport)| (error.to_string(), drop(transport)))
//!     },
//! );
//! let (error, ()) = accepted.unwrap_err();
//! assert!(error.contains("phase 1"), "{error}");
//! # }
//! ```
//!
//! # How the async layer behaves
//! * **Shutdown**: `poll_shutdown` writes pending frames and the goodbye, flushes, then shuts
//!   down only the transport's writing side; reading keeps working. It may be called again after
//!   `Pending` or completion, treats `NotConnected` from the transport as done, and never waits
//!   for the peer's goodbye. A zero-length write on an open stream sends nothing and returns
//!   `Ok(0)`; after `shutdown` every write fails with `BrokenPipe`, an empty one too, as a TCP
//!   socket refuses any `send` after `shutdown(Write)` (`EPIPE`): a write after close is a bug
//!   the caller should hear about.
//! * **Reads** hand out as much plaintext as fits: a buffer with room for a frame (4130 bytes)
//!   receives the ciphertext straight from the transport and the frames are opened in place,
//!   many per call; smaller buffers are served from an internal one, down to a byte at a time.
//!   After the goodbye every read returns `Ok(0)`; after an error every read fails.
//! * **Writes** longer than a frame are sealed as whole 4096-byte frames
//!   ([`boxstream::MAX_BODY_LEN`]), a shorter write as one frame; the frames collect in one
//!   buffer, bounded by [`BoxStream::set_write_buffer_limit`] (default
//!   [`DEFAULT_WRITE_BUFFER`]), so one transport write carries many frames. When it is full,
//!   writes return `Pending`, never `Ok(0)`; a transport that accepts 0 bytes is `WriteZero`.
//!   Vectored writes are not implemented: the frames are already contiguous.
//! * **Memory**: buffers exist only while data is in flight. The read buffer is freed when a
//!   read finds the transport empty with nothing held, the write buffer on every completed
//!   flush, so a quiet stream holds no buffer whatever it carried before. During a transfer a
//!   stream holds at most the write limit plus 16.5 KiB for reading.
//! * **Polling**: `Pending` is returned only after the transport returned `Pending` (its waker
//!   is registered); there is no self-waking loop, and a read that already has plaintext to
//!   hand out returns it rather than wait.
//! * **Cancel safety**: reads are cancel-safe (plaintext is handed out exactly once); handshake
//!   futures are not resumable, and dropping one closes the transport; `write_all` is not
//!   cancel-safe, as for any writer.
//! * **Splitting**: the two directions share no state. [`BoxStream::split_with`] with a
//!   transport that splits itself (`TcpStream::into_split`) needs no lock;
//!   [`BoxStream::into_split`] works for any transport through `tokio::io::split`, whose halves
//!   share a lock (the transport cannot be split otherwise), and
//!   [`reunite`](BoxReader::reunite) puts them back ([`reunite_with`](BoxReader::reunite_with)
//!   for `split_with` halves). Both halves know the peer's key and the auth value (shared in an
//!   `Arc`, so it need not be `Clone`), and their wakers are independent. `BoxStream`
//!   implements `AsFd`/`AsRawFd` (`AsSocket`/`AsRawSocket` on Windows) when its transport does. Streams and handshake futures are `Send`
//!   and `Sync` when the transport is, except [`Accept`], which holds the authorizer's future
//!   and is only `Send`.
//! * **Handshake**: messages are read at their exact sizes, so nothing past message 4 is ever
//!   read by the handshake; bytes the peer sends right behind it are the box-stream's. A failed
//!   handshake drops (closes) the transport unless `into_fallible` asked for it back;
//!   [`BoxStream::into_inner`] drops buffered bytes (flush or shut down first). The session keys
//!   ([`boxstream::BoxStreamKeys`]) are not `Clone` and are consumed by the one stream built
//!   from them. The crypto library's types never appear in the API.
//!
//! # Security notes
//! MACs are checked in constant time, all-zero Diffie-Hellman results and long-term keys that do
//! not convert to Curve25519 are rejected, frames announcing more than 4096 body bytes are
//! refused (an authenticated frame of 0 carries no data and is skipped, as by the reference), and
//! a server never tells a rejected client why.
//!
//! Secrets are wiped from memory when dropped and never printed by `Debug`. Safe Rust cannot
//! read freed memory, so a test can only show the wiping routine itself (it zeroes, see the
//! crate's unit tests); here is where each secret lives:
//!
//! | secret | held in | wiped |
//! |---|---|---|
//! | long-term secret key, and its Curve25519 form | [`Keypair`] (wiping 64- and 32-byte buffers) | when the keypair drops |
//! | network key | [`NetworkKey`] (wiping buffer; `Debug` names only the public main net) | on drop |
//! | ephemeral X25519 key | the handshake state machine | when the machine drops (after the handshake) |
//! | `ab`, `aB`, `Ab`, `sha256(ab)`, key3, key4, the signed identity `H` | the machine's per-phase state | when the handshake moves past the phase that needs them, or drops |
//! | session keys | [`boxstream::BoxStreamKeys`] (not `Clone`) | moved into the sealer and opener, which keep them in libsodium's self-wiping key type |
//! | transient copies made for libsodium calls | sodiumoxide's secret newtypes (`Scalar`, `secretbox::Key`, `auth::Key`, `sign::SecretKey`) | on drop (`sodium_memzero`) |
//!
//! Not covered: copies the compiler leaves on the stack when values move, and plaintext, which
//! belongs to the application once read.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod boxstream;
mod crypto;
pub mod dial;
mod encoding;
mod error;
pub mod handshake;
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
pub use listener::{AcceptError, Accepted, ClientError, Connection, Listener, PeerAddr};
pub use multiserver::{AddressError, MultiserverAddress, NoauthAddress, TransportKind};
