//! [`Dialer`]: the dial's settings, and the bounds on what one dial tries.

use std::time::Duration;

/// How long one attempt may take, unless [`Dialer::attempt_timeout`] says otherwise.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole dial may take, unless [`Dialer::total_timeout`] says otherwise.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// Dial options: the timeouts, whether local targets may be dialled, WebSocket options.
#[derive(Clone, Debug)]
pub struct Dialer {
    pub(super) attempt_timeout: Duration,
    pub(super) total_timeout: Duration,
    pub(super) allow_local: bool,
    pub(super) websocket: WebSocketOptions,
}

/// How WebSockets are opened: limits, and for `wss://` the TLS roots (feature `websocket`).
#[cfg(feature = "websocket")]
pub(crate) type WebSocketOptions = crate::websocket::DialOptions;
#[cfg(not(feature = "websocket"))]
pub(crate) type WebSocketOptions = ();

impl Default for Dialer {
    fn default() -> Self {
        Dialer::new()
    }
}

impl Dialer {
    /// A dialler with the default timeouts that dials local targets too.
    pub fn new() -> Self {
        Dialer {
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            allow_local: true,
            websocket: WebSocketOptions::default(),
        }
    }

    /// Bounds each attempt: connecting, TLS, the WebSocket upgrade and the secret handshake
    /// together (`Duration::MAX`: no bound).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Bounds the whole dial, all attempts together (`Duration::MAX`: no bound).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// Whether targets on this machine or its link may be dialled (default: yes, so you can
    /// dial your own local server). Set `false` for addresses that come from peers: then a
    /// `unix:` socket, `localhost`, a loopback, unspecified (`0.0.0.0`, `::`) or link-local
    /// address, or a name that resolves only to those, fails with
    /// [`Failure::Local`](super::Failure::Local) before anything is sent. `noauth` dials ignore it
    /// (they only ever go to this machine).
    pub fn allow_local(mut self, allow: bool) -> Self {
        self.allow_local = allow;
        self
    }

    /// How `ws://` and `wss://` addresses are opened: WebSocket limits, and for `wss://` the
    /// TLS roots or a whole `rustls::ClientConfig` (default: the webpki roots).
    #[cfg(feature = "websocket")]
    pub fn websocket_options(mut self, options: crate::websocket::DialOptions) -> Self {
        self.websocket = options;
        self
    }
}
