//! The bounds on connections before they are authenticated, in one place.

use std::time::Duration;

/// The JS reference's handshake timeout: 5 s without progress on a read or write.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The default bound on the time from accepting a connection (or starting to dial) to its
/// authentication, however steadily the peer trickles bytes: an honest peer needs two round
/// trips.
pub const DEFAULT_HANDSHAKE_DEADLINE: Duration = Duration::from_secs(30);

/// The default bound on handshakes in flight at once in a [`Listener`](crate::Listener).
pub const DEFAULT_MAX_HANDSHAKES: usize = 256;

/// The default bound on a [`Listener`](crate::Listener)'s handshakes in flight from one
/// source (one IPv4 address, one IPv6 /64, one uid on a unix socket).
pub const DEFAULT_MAX_HANDSHAKES_PER_SOURCE: usize = 32;

/// How long a connection may take to authenticate, and how many may try at once: given once
/// to a [`Client`](crate::Client) or [`Server`](crate::Server) with `with_limits`; a
/// [`Listener`](crate::Listener) reads its server's.
///
/// The time bounds run on Tokio's clock (`tokio::time::pause` moves them) and are checked on
/// every poll before the transport is touched, so no flood outruns them. **They need the
/// runtime's time driver**: on a runtime built without `enable_time`, or outside Tokio, a
/// handshake with any bound set fails at once with
/// [`HandshakeError::NoTimeDriver`](crate::HandshakeError::NoTimeDriver) (never a panic);
/// [`untimed`](Self::untimed) runs there. Nothing here applies after the handshake.
///
/// `None`, or a duration too long for the clock (such as `Duration::MAX`), means no bound.
///
/// ```
/// use std::time::Duration;
/// use secret_handshake::{AllowAll, Keypair, Limits, NetworkKey, Server};
///
/// let limits = Limits::default()
///     .with_handshake_deadline(Some(Duration::from_secs(10)))
///     .with_authorize_timeout(Some(Duration::from_secs(1)));
/// let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll)
///     .with_limits(limits);
/// assert_eq!(server.limits().handshake_timeout(), Some(Duration::from_secs(5)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    timeout: Option<Duration>,
    deadline: Option<Duration>,
    /// `None`: the handshake timeout.
    authorize_timeout: Option<Option<Duration>>,
    max_handshakes: usize,
    max_per_source: usize,
}

impl Default for Limits {
    /// 5 s on silence (the authorizer's too), 30 s in all, 256 handshakes in flight, 32 of
    /// them from one source.
    fn default() -> Self {
        Limits {
            timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            deadline: Some(DEFAULT_HANDSHAKE_DEADLINE),
            authorize_timeout: None,
            max_handshakes: DEFAULT_MAX_HANDSHAKES,
            max_per_source: DEFAULT_MAX_HANDSHAKES_PER_SOURCE,
        }
    }
}

impl Limits {
    /// No time bound at all (the in-flight bound is the default's): for executors other than
    /// Tokio, or runtimes without timers, where the peer is trusted or bounded otherwise.
    pub fn untimed() -> Self {
        Limits {
            timeout: None,
            deadline: None,
            authorize_timeout: Some(None),
            ..Limits::default()
        }
    }

    /// Fails a handshake after `timeout` without progress on any read or write (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`], 5 s, as in the reference): a
    /// [`Timeout`](crate::HandshakeError::Timeout). It counts silence, so a peer trickling a
    /// byte every few seconds is bounded by the deadline instead.
    pub fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Fails a handshake not done `deadline` after it started, however steadily the peer
    /// trickles bytes (default [`DEFAULT_HANDSHAKE_DEADLINE`], 30 s): a
    /// [`DeadlineExceeded`](crate::HandshakeError::DeadlineExceeded). The authorizer's time
    /// counts. A [`Listener`](crate::Listener) counts it from the moment it accepted the
    /// connection, across any sniffing and WebSocket upgrade: one deadline per connection.
    pub fn with_handshake_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Bounds how long a server waits for its authorizer (default: the handshake timeout):
    /// an [`AuthorizerTimeout`](crate::HandshakeError::AuthorizerTimeout), which names the
    /// authorizer, not the peer. The client's own timeout (5 s by default) runs meanwhile.
    pub fn with_authorize_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.authorize_timeout = Some(timeout);
        self
    }

    /// Bounds the handshakes a [`Listener`](crate::Listener) runs at once (default
    /// [`DEFAULT_MAX_HANDSHAKES`]; at least 1 is used). Only a listener reads it: `Client`
    /// and `Server` run the handshakes they are given.
    pub fn with_max_handshakes(mut self, max: usize) -> Self {
        self.max_handshakes = max;
        self
    }

    /// Bounds a [`Listener`](crate::Listener)'s handshakes in flight from one source (default
    /// [`DEFAULT_MAX_HANDSHAKES_PER_SOURCE`]; at least 1 is used).
    pub fn with_max_handshakes_per_source(mut self, max: usize) -> Self {
        self.max_per_source = max;
        self
    }

    /// The timeout on silence.
    pub fn handshake_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The deadline on the whole handshake.
    pub fn handshake_deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The authorizer's timeout (the handshake timeout unless set).
    pub fn authorize_timeout(&self) -> Option<Duration> {
        self.authorize_timeout.unwrap_or(self.timeout)
    }

    /// The bound on a listener's handshakes in flight, at least 1.
    pub fn max_handshakes(&self) -> usize {
        self.max_handshakes.max(1)
    }

    /// The bound on a listener's handshakes in flight from one source, at least 1.
    pub fn max_handshakes_per_source(&self) -> usize {
        self.max_per_source.max(1)
    }
}
