//! [`Listener`]: accepts clients over TCP, WebSocket or a unix socket and yields them once
//! authenticated, with bounds that no crowd of slow unauthenticated peers can use to lock
//! others out.

mod admission;
mod error;
mod incoming;
mod unix;

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::task::Poll;
use std::time::Duration;

#[cfg(feature = "websocket")]
use std::sync::Arc;

use tokio::net::{TcpListener, ToSocketAddrs, UnixListener};
use tokio::task::JoinSet;
use tokio::time::Instant;

use admission::{Pending, Source};
use incoming::{authenticate, Socket, Speaks};
use unix::UnixSocket;

pub use error::{AcceptError, ClientError, PeerAddr};

use crate::{trace, Authorize, BoxStream, Connection, Server};

/// A client authenticated by a [`Listener`]: its stream, and where it came from.
pub type Accepted<T> = (BoxStream<Connection, T>, PeerAddr);

/// How one client's steps before authentication ended.
type Outcome<T> = Result<BoxStream<Connection, T>, ClientError>;

/// A server socket that yields authenticated clients. It accepts connections and runs each
/// one's steps before authentication (with `with_websocket_or_shs`, feature `websocket`,
/// telling WebSocket from secret-handshake by the first bytes; with a WebSocket, the upgrade;
/// the secret handshake and the authorizer) in a Tokio task of its own, so that a slow client
/// stalls no other.
///
/// # Bounds
/// Its bounds are its [`Server`]'s [`Limits`](crate::Limits):
///
/// * **One deadline per client**: the handshake deadline
///   ([`DEFAULT_HANDSHAKE_DEADLINE`](crate::DEFAULT_HANDSHAKE_DEADLINE), 30 s) from the moment
///   it is accepted
///   until it is authenticated, covering every step; the client is then dropped, whatever it
///   sends. The [`Server`]'s own timeouts (5 s of silence) apply inside it.
/// * **At most [`DEFAULT_MAX_HANDSHAKES`](crate::DEFAULT_MAX_HANDSHAKES) (256) pending
///   clients**, of which at most
///   [`DEFAULT_MAX_HANDSHAKES_PER_SOURCE`](crate::DEFAULT_MAX_HANDSHAKES_PER_SOURCE) (32) from
///   one source: an IPv4 address, an IPv6 /64, a uid.
/// * **Full is never a refusal.** The accept loop never stops accepting while
///   [`accept`](Self::accept) is awaited. A client from a source that holds its share already
///   replaces that source's oldest pending client; when all slots are taken, a newcomer
///   replaces the oldest pending client of the source holding the most. So a crowd from one
///   address only ever competes with itself, and a crowd spread over many sources makes each
///   slow client's slot last only as long as it takes the crowd to fill the slots again, while
///   an honest handshake takes two round trips. Replaced clients are dropped without a report.
/// * **Memory per pending client**: its task and the handshake's state, at most 8 KiB over
///   TCP or a unix socket (7 KiB measured by `tests/hostile/lockout.rs`); over WebSocket, the
///   upgrade's buffers on top: at most 16 KiB of request, then tungstenite's read buffer and
///   one frame, at most 64 KiB with the default `websocket::Config` (24 KiB
///   measured once upgraded). So the default 256 pending clients hold at most 2 MiB (TCP) or
///   16 MiB (WebSocket) of heap.
///
/// Call [`accept`](Self::accept) in a loop: handshakes run meanwhile, but new connections are
/// taken only while it is awaited. Dropping the listener ends the handshakes in flight (and
/// removes a unix socket it created). The deadlines need Tokio's time driver
/// (`enable_time`).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use secret_handshake::{AllowAll, Keypair, Listener, NetworkKey, Server};
///
/// let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
/// let mut listener = Listener::bind("127.0.0.1:8008", server).await?;
/// loop {
///     match listener.accept().await {
///         Ok((stream, peer)) => {
///             tokio::spawn(async move { /* serve `stream` */ drop((stream, peer)) });
///         }
///         Err(e) => eprintln!("{e}"),
///     }
/// }
/// # }
/// ```
pub struct Listener<A: Authorize> {
    socket: Listening,
    server: Server<A>,
    speaks: Speaks,
    pending: Pending,
    tasks: JoinSet<(PeerAddr, Outcome<A::Auth>)>,
}

#[derive(Debug)]
enum Listening {
    Tcp(TcpListener),
    Unix(UnixSocket),
}

impl<A: Authorize> Listener<A> {
    /// Listens on `addr` (TCP) for secret-handshake clients of `server`.
    pub async fn bind(addr: impl ToSocketAddrs, server: Server<A>) -> io::Result<Self> {
        Ok(Self::from_tcp(TcpListener::bind(addr).await?, server))
    }

    /// Serves clients of `server` on a bound TCP listener.
    pub fn from_tcp(tcp: TcpListener, server: Server<A>) -> Self {
        Self::new(Listening::Tcp(tcp), server)
    }

    /// Listens on a unix socket created at `path` (which must not exist), which no other user
    /// can ever connect to: it is bound in a fresh directory of mode 0700, made 0600 there and
    /// only then linked at `path`. Dropping the listener removes it.
    pub fn bind_unix(path: impl AsRef<Path>, server: Server<A>) -> io::Result<Self> {
        Ok(Self::new(
            Listening::Unix(UnixSocket::bind(path.as_ref())?),
            server,
        ))
    }

    /// Serves clients of `server` on a bound unix socket listener (its permissions are yours).
    pub fn from_unix(unix: UnixListener, server: Server<A>) -> Self {
        Self::new(Listening::Unix(UnixSocket::from_listener(unix)), server)
    }

    fn new(socket: Listening, server: Server<A>) -> Self {
        Listener {
            socket,
            server,
            speaks: Speaks::SecretHandshake,
            pending: Pending::default(),
            tasks: JoinSet::new(),
        }
    }

    /// TCP clients speak WebSocket (multiserver `ws:`), upgraded with `config` (its limits,
    /// upgrade timeout and path). A client that sends no HTTP request is answered
    /// `400 Bad Request` and dropped. Unix socket clients always speak secret-handshake.
    #[cfg(feature = "websocket")]
    pub fn with_websocket(mut self, config: crate::websocket::Config) -> Self {
        self.speaks = Speaks::WebSocket(Arc::new(config));
        self
    }

    /// TCP clients speak WebSocket or secret-handshake, told apart by their first bytes: an HTTP
    /// `GET` is upgraded with `config`, anything else is a secret-handshake client (as
    /// multiserver's `net` and `ws` on one port).
    #[cfg(feature = "websocket")]
    pub fn with_websocket_or_shs(mut self, config: crate::websocket::Config) -> Self {
        self.speaks = Speaks::Either(Arc::new(config));
        self
    }

    /// The TCP address it listens on (an error on a unix socket).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.socket {
            Listening::Tcp(tcp) => tcp.local_addr(),
            Listening::Unix(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a unix socket has no TCP address",
            )),
        }
    }

    /// The path of the unix socket [`bind_unix`](Self::bind_unix) created.
    pub fn unix_path(&self) -> Option<&Path> {
        match &self.socket {
            Listening::Unix(unix) => unix.path(),
            Listening::Tcp(_) => None,
        }
    }

    /// Clients pending now: accepted, not yet handed out by [`accept`](Self::accept).
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// The next authenticated client, or the next failure. Errors concern one client or one
    /// accept; the listener keeps working after each. Cancel-safe.
    pub async fn accept(&mut self) -> Result<Accepted<A::Auth>, AcceptError> {
        poll_fn(|cx| loop {
            match self.tasks.poll_join_next_with_id(cx) {
                Poll::Ready(Some(Ok((id, (peer, outcome))))) => {
                    self.pending.remove(id);
                    return Poll::Ready(match outcome {
                        Ok(stream) => Ok((stream, peer)),
                        Err(error) => {
                            trace::client_failed(&peer, &error);
                            Err(AcceptError::Client { peer, error })
                        }
                    });
                }
                Poll::Ready(Some(Err(join))) => {
                    self.pending.remove(join.id());
                    if join.is_panic() {
                        std::panic::resume_unwind(join.into_panic());
                    }
                    // Evicted, or the runtime is shutting down.
                    continue;
                }
                Poll::Ready(None) | Poll::Pending => {}
            }
            let accepted = match &self.socket {
                Listening::Tcp(tcp) => tcp.poll_accept(cx).map_ok(|(tcp, addr)| {
                    (Socket::Tcp(tcp), PeerAddr::Tcp(addr), Source::of_ip(&addr))
                }),
                Listening::Unix(unix) => unix.listener.poll_accept(cx).map_ok(|(unix, _)| {
                    let uid = unix.peer_cred().ok().map(|cred| cred.uid());
                    (Socket::Unix(unix), PeerAddr::Unix { uid }, Source::Uid(uid))
                }),
            };
            match accepted {
                Poll::Ready(Ok((socket, peer, source))) => self.admit(socket, peer, source),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(AcceptError::Listen(e))),
                Poll::Pending => return Poll::Pending,
            }
        })
        .await
    }

    fn admit(&mut self, socket: Socket, peer: PeerAddr, source: Source) {
        let limits = self.server.limits();
        let evicted = self.pending.make_room(
            source,
            limits.max_handshakes_per_source(),
            limits.max_handshakes(),
        );
        if let Some(evicted) = evicted {
            trace::evicted(&evicted, &peer);
        }
        let limit = limits.handshake_deadline().unwrap_or(Duration::MAX);
        let deadline = limits
            .handshake_deadline()
            .and_then(|d| Instant::now().checked_add(d));
        let task = authenticate(
            self.server.clone(),
            socket,
            peer,
            self.speaks.clone(),
            deadline,
            limit,
        );
        trace::admitted(&peer, self.pending.len());
        let handle = self.tasks.spawn(async move { (peer, task.await) });
        self.pending.insert(source, handle);
    }
}

impl<A: Authorize> std::fmt::Debug for Listener<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("socket", &self.socket)
            .field("in_flight", &self.pending.len())
            .field("limits", self.server.limits())
            .finish_non_exhaustive()
    }
}
