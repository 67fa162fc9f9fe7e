//! Who a client is, and why [`Listener::accept`](super::Listener::accept) returned without one.

use std::net::SocketAddr;
use std::time::Duration;
use std::{fmt, io};

use crate::HandshakeError;

/// Where an accepted client comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PeerAddr {
    /// A TCP (or WebSocket) client's address.
    Tcp(SocketAddr),
    /// A unix socket client, with its uid if the kernel told it.
    Unix {
        /// The peer process's user id.
        uid: Option<u32>,
    },
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerAddr::Tcp(addr) => addr.fmt(f),
            PeerAddr::Unix { uid: Some(uid) } => write!(f, "unix socket peer (uid {uid})"),
            PeerAddr::Unix { uid: None } => f.write_str("unix socket peer"),
        }
    }
}

/// Why one client was not authenticated.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// It was not authenticated within the listener's deadline, counted from its connection
    /// (the server's [`Limits::with_handshake_deadline`](crate::Limits::with_handshake_deadline)).
    Deadline(Duration),
    /// Reading its first bytes (to tell WebSocket from secret-handshake) failed.
    Sniff(io::Error),
    /// Its WebSocket upgrade failed (or it sent no HTTP request to a WebSocket listener).
    Upgrade(io::Error),
    /// The secret handshake failed; it names the phase.
    Handshake(HandshakeError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Deadline(d) => write!(
                f,
                "not authenticated within the deadline ({} s from connecting)",
                d.as_secs_f64()
            ),
            ClientError::Sniff(_) => f.write_str("reading the client's first bytes failed"),
            ClientError::Upgrade(e) => write!(f, "WebSocket upgrade failed: {e}"),
            ClientError::Handshake(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Deadline(_) => None,
            ClientError::Sniff(e) => Some(e),
            // Printed in the message already.
            ClientError::Upgrade(e) => e.source(),
            ClientError::Handshake(e) => e.source(),
        }
    }
}

impl From<ClientError> for io::Error {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Handshake(e) => e.into(),
            ClientError::Deadline(_) => io::Error::new(io::ErrorKind::TimedOut, error),
            ClientError::Sniff(ref e) | ClientError::Upgrade(ref e) => {
                io::Error::new(e.kind(), error)
            }
        }
    }
}

/// Why [`Listener::accept`](super::Listener::accept) returned without a client. Neither ends
/// the listener.
#[derive(Debug)]
#[non_exhaustive]
pub enum AcceptError {
    /// One client failed before it was authenticated.
    Client {
        /// Where it came from.
        peer: PeerAddr,
        /// What went wrong.
        error: ClientError,
    },
    /// Accepting a connection failed (often: out of file descriptors). Wait a little before
    /// the next [`accept`](super::Listener::accept), or it may fail again at once.
    Listen(io::Error),
}

impl fmt::Display for AcceptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcceptError::Client { peer, error } => write!(f, "client {peer}: {error}"),
            AcceptError::Listen(_) => f.write_str("accepting a connection failed"),
        }
    }
}

impl std::error::Error for AcceptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AcceptError::Client { error, .. } => error.source(),
            AcceptError::Listen(e) => Some(e),
        }
    }
}
