//! Spans and events for operators, with feature `tracing` (see the crate docs, "Logging and
//! tracing"). Without the feature every type here is zero-sized and every call is empty, so the
//! call sites cost nothing.
//!
//! Only public ids (`@….ed25519`), addresses, phases, durations and errors' `Display` (which
//! holds no secret: `tests/hostile/secrets_in_errors.rs`) are ever recorded.

#[cfg(feature = "tracing")]
pub(crate) use on::*;

#[cfg(not(feature = "tracing"))]
pub(crate) use off::*;

/// Which side of the handshake we are.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Direction {
    Client,
    Server,
}

#[cfg(feature = "tracing")]
mod on {
    use std::fmt::Display;
    use std::io;
    use std::time::Instant;

    use tracing::field::{display, Empty};
    use tracing::{event, Level, Span};

    use super::Direction;
    use crate::error::{BoxStreamError, HandshakeError};
    use crate::keys::PublicKey;
    use crate::listener::ClientError;

    /// Every span and event's target: filter with `secret_handshake=debug`, say.
    const TARGET: &str = "secret_handshake";

    /// One handshake's span (direction, transport, peer address, then the peer's id) and clock.
    #[derive(Debug)]
    pub(crate) struct Handshake {
        span: Span,
        start: Instant,
        direction: Direction,
    }

    impl Handshake {
        pub(crate) fn new(direction: Direction) -> Self {
            let name = match direction {
                Direction::Client => "client",
                Direction::Server => "server",
            };
            let span = tracing::info_span!(
                target: TARGET,
                "handshake",
                direction = display(name),
                transport = Empty,
                peer_addr = Empty,
                peer_id = Empty,
            );
            Handshake {
                span,
                start: Instant::now(),
                direction,
            }
        }

        /// Where the peer is, when the caller knows: `tcp`, `ws`, `unix`….
        pub(crate) fn at(&self, transport: &str, peer_addr: &dyn Display) {
            self.span.record("transport", display(transport));
            self.span.record("peer_addr", display(peer_addr));
        }

        /// The peer has proven `peer` (server: message 3; client: message 4).
        pub(crate) fn authenticated(&self, peer: &PublicKey) {
            self.span.record("peer_id", display(peer));
        }

        fn duration_ms(&self) -> f64 {
            // Microseconds first: three decimals are plenty, and print shorter.
            self.start.elapsed().as_micros() as f64 / 1000.0
        }

        /// The handshake is through: the stream's events go on in the same span.
        pub(crate) fn succeeded(self, peer: &PublicKey) -> Stream {
            // A server recorded the client's id at message 3 already.
            if let Direction::Client = self.direction {
                self.authenticated(peer);
            }
            let duration_ms = self.duration_ms();
            event!(target: TARGET, parent: &self.span, Level::INFO, duration_ms, "handshake succeeded");
            Stream(self.span)
        }

        /// The handshake failed with `error`.
        pub(crate) fn failed(&self, error: &HandshakeError) {
            let duration_ms = self.duration_ms();
            let phase = error.phase().map(|p| p.number());
            let expired = expired(error).map(display);
            match error {
                // Not the peer's doing: ours to fix.
                HandshakeError::Authorizer(_)
                | HandshakeError::AuthorizerTimeout
                | HandshakeError::NoTimeDriver
                | HandshakeError::Misuse(_) => event!(
                    target: TARGET,
                    parent: &self.span,
                    Level::WARN,
                    phase,
                    expired,
                    duration_ms,
                    error = %error,
                    "handshake failed"
                ),
                HandshakeError::Unauthorized => event!(
                    target: TARGET,
                    parent: &self.span,
                    Level::INFO,
                    phase,
                    duration_ms,
                    "client not authorized"
                ),
                _ => event!(
                    target: TARGET,
                    parent: &self.span,
                    Level::INFO,
                    phase,
                    expired,
                    duration_ms,
                    error = %error,
                    "handshake failed"
                ),
            }
        }
    }

    /// Which bound a timeout error comes from, if it is one.
    fn expired(error: &HandshakeError) -> Option<&'static str> {
        match error {
            HandshakeError::Timeout(_) => Some("handshake_timeout"),
            HandshakeError::DeadlineExceeded(_) => Some("handshake_deadline"),
            HandshakeError::AuthorizerTimeout => Some("authorize_timeout"),
            _ => None,
        }
    }

    /// A stream's events, in the span of the handshake that made it.
    #[derive(Debug, Clone)]
    pub(crate) struct Stream(Span);

    impl Stream {
        /// A stream from a handshake driven by hand: its events have no span of their own.
        pub(crate) fn none() -> Self {
            Stream(Span::none())
        }

        /// The peer sent a frame that is refused, or ended without a goodbye.
        pub(crate) fn bad_frame(&self, error: &BoxStreamError) {
            event!(target: TARGET, parent: &self.0, Level::INFO, error = %error, "box-stream failed");
        }

        /// `close` ended with `result`.
        pub(crate) fn closed(&self, result: &io::Result<()>) {
            match result {
                Ok(()) => event!(target: TARGET, parent: &self.0, Level::DEBUG, "closed"),
                Err(e) => {
                    event!(target: TARGET, parent: &self.0, Level::INFO, error = %e, "close failed")
                }
            }
        }
    }

    /// The listener took a client: it is pending until authenticated, with `in_flight` others.
    pub(crate) fn admitted(peer_addr: &dyn Display, in_flight: usize) {
        event!(
            target: TARGET,
            Level::DEBUG,
            peer_addr = %peer_addr,
            in_flight,
            "client pending"
        );
    }

    /// The listener dropped a pending client to make room for another.
    pub(crate) fn evicted(source: &dyn Display, newcomer: &dyn Display) {
        event!(
            target: TARGET,
            Level::INFO,
            source = %source,
            newcomer = %newcomer,
            "pending client evicted to make room"
        );
    }

    /// A client the listener accepted was not authenticated. A failed handshake was reported in
    /// its span already; its deadline and the steps before it (sniffing, the WebSocket upgrade)
    /// are reported here.
    pub(crate) fn client_failed(peer_addr: &dyn Display, error: &ClientError) {
        match error {
            ClientError::Handshake(_) => {}
            ClientError::Deadline(_) => event!(
                target: TARGET,
                Level::INFO,
                peer_addr = %peer_addr,
                expired = display("listener_deadline"),
                error = %error,
                "client not authenticated"
            ),
            _ => event!(
                target: TARGET,
                Level::INFO,
                peer_addr = %peer_addr,
                error = %error,
                "client not authenticated"
            ),
        }
    }

    /// A dial attempt failed (`error` names its step and why).
    pub(crate) fn attempt_failed(address: &str, error: &dyn Display) {
        event!(target: TARGET, Level::DEBUG, address, error = %error, "dial attempt failed");
    }
}

#[cfg(not(feature = "tracing"))]
mod off {
    use std::fmt::Display;
    use std::io;

    use super::Direction;
    use crate::error::{BoxStreamError, HandshakeError};
    use crate::keys::PublicKey;
    use crate::listener::ClientError;

    #[derive(Debug)]
    pub(crate) struct Handshake;

    impl Handshake {
        #[inline(always)]
        pub(crate) fn new(_: Direction) -> Self {
            Handshake
        }
        #[inline(always)]
        pub(crate) fn at(&self, _: &str, _: &dyn Display) {}
        #[inline(always)]
        pub(crate) fn authenticated(&self, _: &PublicKey) {}
        #[inline(always)]
        pub(crate) fn succeeded(self, _: &PublicKey) -> Stream {
            Stream
        }
        #[inline(always)]
        pub(crate) fn failed(&self, _: &HandshakeError) {}
    }

    #[derive(Debug, Clone)]
    pub(crate) struct Stream;

    impl Stream {
        #[inline(always)]
        pub(crate) fn none() -> Self {
            Stream
        }
        #[inline(always)]
        pub(crate) fn bad_frame(&self, _: &BoxStreamError) {}
        #[inline(always)]
        pub(crate) fn closed(&self, _: &io::Result<()>) {}
    }

    #[inline(always)]
    pub(crate) fn admitted(_: &dyn Display, _: usize) {}
    #[inline(always)]
    pub(crate) fn evicted(_: &dyn Display, _: &dyn Display) {}
    #[inline(always)]
    pub(crate) fn client_failed(_: &dyn Display, _: &ClientError) {}
    #[inline(always)]
    pub(crate) fn attempt_failed(_: &str, _: &dyn Display) {}
}
