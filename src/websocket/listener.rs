//! [`Listener`]: serves many WebSocket clients, each handshake in its own task.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::JoinSet;

use super::server::accept_with;
use super::transport::WsTransport;
use super::{Config, Error};
use crate::io::within;
use crate::{Authorize, BoxStream, Server, DEFAULT_HANDSHAKE_DEADLINE};

/// How many clients may be in their upgrade or handshake at once, by default.
pub const DEFAULT_MAX_HANDSHAKES: usize = 256;

/// An authenticated client, with its address.
type Accepted<T> = (BoxStream<WsTransport<TcpStream>, T>, SocketAddr);
/// How one client's upgrade and handshake ended.
type Outcome<T> = Result<BoxStream<WsTransport<TcpStream>, T>, Error>;

/// A WebSocket server socket that yields authenticated clients: it accepts TCP connections,
/// runs each one's upgrade and secret handshake in a task of its own (so a slow client stalls
/// no other), holds at most [`DEFAULT_MAX_HANDSHAKES`] of them at once (further clients wait in
/// the kernel's backlog), and ends each after [`DEFAULT_HANDSHAKE_DEADLINE`] at the latest, on
/// top of the upgrade and handshake timeouts.
///
/// Call [`accept`](Self::accept) in a loop: handshakes run meanwhile, and new connections are
/// taken only while it is awaited. A client that fails is reported by `accept` as
/// [`AcceptError::Client`] and the listener carries on. Dropping the listener ends the
/// handshakes in flight.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use secret_handshake::{websocket::Listener, AllowAll, Keypair, NetworkKey, Server};
///
/// let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
/// let mut listener = Listener::bind("127.0.0.1:8989", server).await?;
/// loop {
///     match listener.accept().await {
///         Ok((stream, addr)) => {
///             tokio::spawn(async move { /* serve `stream` */ drop((stream, addr)) });
///         }
///         Err(e) => eprintln!("{e}"),
///     }
/// }
/// # }
/// ```
pub struct Listener<A: Authorize> {
    tcp: TcpListener,
    server: Server<A>,
    config: Arc<Config>,
    max_handshakes: usize,
    deadline: Option<Duration>,
    handshakes: JoinSet<(SocketAddr, Outcome<A::Auth>)>,
}

impl<A: Authorize> Listener<A> {
    /// Listens on `addr` for WebSocket clients of `server`, with the default [`Config`].
    pub async fn bind(addr: impl ToSocketAddrs, server: Server<A>) -> io::Result<Self> {
        Ok(Self::from_tcp(TcpListener::bind(addr).await?, server))
    }

    /// Serves WebSocket clients of `server` on a bound `tcp` listener.
    pub fn from_tcp(tcp: TcpListener, server: Server<A>) -> Self {
        Listener {
            tcp,
            server,
            config: Arc::new(Config::default()),
            max_handshakes: DEFAULT_MAX_HANDSHAKES,
            deadline: Some(DEFAULT_HANDSHAKE_DEADLINE),
            handshakes: JoinSet::new(),
        }
    }

    /// Each connection's limits, upgrade timeout and path.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// At most `count` clients (at least 1) in their upgrade or handshake at once.
    pub fn with_max_handshakes(mut self, count: usize) -> Self {
        self.max_handshakes = count.max(1);
        self
    }

    /// Ends a client's upgrade and secret handshake after `deadline` in all (`None`: only the
    /// per-step timeouts apply).
    pub fn with_handshake_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Clients in their upgrade or handshake now (or done, waiting for `accept`).
    pub fn handshakes_in_flight(&self) -> usize {
        self.handshakes.len()
    }

    /// The next client that has passed the secret handshake, or the next failure. Errors
    /// concern one client or one TCP accept; the listener keeps working after each. After
    /// [`AcceptError::Listen`] (often: out of file descriptors) wait a little before the next
    /// call, or it may fail again at once. Cancel-safe.
    pub async fn accept(&mut self) -> Result<Accepted<A::Auth>, AcceptError> {
        poll_fn(|cx| loop {
            match self.handshakes.poll_join_next(cx) {
                Poll::Ready(Some(Ok((addr, Ok(stream))))) => {
                    return Poll::Ready(Ok((stream, addr)))
                }
                Poll::Ready(Some(Ok((addr, Err(error))))) => {
                    return Poll::Ready(Err(AcceptError::Client { addr, error }))
                }
                Poll::Ready(Some(Err(join))) if join.is_panic() => {
                    std::panic::resume_unwind(join.into_panic())
                }
                // Cancelled: the runtime is shutting down.
                Poll::Ready(Some(Err(_))) => continue,
                Poll::Ready(None) | Poll::Pending => {}
            }
            if self.handshakes.len() >= self.max_handshakes {
                // `poll_join_next` wakes us when one is done.
                return Poll::Pending;
            }
            match self.tcp.poll_accept(cx) {
                Poll::Ready(Ok((tcp, addr))) => self.spawn(tcp, addr),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(AcceptError::Listen(e))),
                Poll::Pending => return Poll::Pending,
            }
        })
        .await
    }

    fn spawn(&mut self, tcp: TcpStream, addr: SocketAddr) {
        let server = self.server.clone();
        let config = Arc::clone(&self.config);
        let deadline = self.deadline;
        self.handshakes.spawn(async move {
            let _ = tcp.set_nodelay(true);
            let result = within(deadline, accept_with(&server, tcp, &config))
                .await
                .unwrap_or_else(|| Err(Error::Deadline(deadline.unwrap_or_default())));
            (addr, result)
        });
    }
}

impl<A: Authorize> std::fmt::Debug for Listener<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("local_addr", &self.tcp.local_addr().ok())
            .field("handshakes_in_flight", &self.handshakes.len())
            .field("max_handshakes", &self.max_handshakes)
            .finish_non_exhaustive()
    }
}

/// Why [`Listener::accept`] returned without a client. Neither ends the listener.
#[derive(Debug)]
#[non_exhaustive]
pub enum AcceptError {
    /// One client failed its upgrade or secret handshake.
    Client {
        /// The client's address.
        addr: SocketAddr,
        /// What went wrong.
        error: Error,
    },
    /// Accepting a TCP connection failed.
    Listen(io::Error),
}

impl std::fmt::Display for AcceptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AcceptError::Client { addr, error } => write!(f, "WebSocket client {addr}: {error}"),
            AcceptError::Listen(e) => write!(f, "accepting a TCP connection failed: {e}"),
        }
    }
}

impl std::error::Error for AcceptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AcceptError::Client { error, .. } => Some(error),
            AcceptError::Listen(e) => Some(e),
        }
    }
}
