//! [`Config`]: the limits and the upgrade deadline of one WebSocket connection.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::DEFAULT_HANDSHAKE_TIMEOUT;

/// The largest message (and frame) accepted from a peer by default: twice our own largest
/// message, eight times the JS side's (a box header of 34 bytes or a body of at most 4096).
pub const DEFAULT_MAX_MESSAGE: usize = 32 * 1024;
/// The default bound on what waits to be written: our largest message and its header, plus
/// room for Pongs to a peer that reads slowly.
pub const DEFAULT_WRITE_BUFFER_LIMIT: usize = 64 * 1024;
/// The largest HTTP upgrade request or response we read.
pub const MAX_UPGRADE_BYTES: usize = 16 * 1024;
/// tungstenite's read buffer: the most it reads from the connection at once.
const READ_BUFFER: usize = 16 * 1024;
/// A frame header's largest size.
const MAX_FRAME_HEADER: usize = 14;

/// What one WebSocket connection may hold and how long its HTTP upgrade may take. The
/// defaults fit what Scuttlebutt peers send and hold a connection to tens of KiB (the
/// [module docs](super) state the bound); they apply from the first byte, before the peer is
/// authenticated.
///
/// No setting panics: `usize::MAX` means no limit, `None` or `Duration::MAX` no deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    max_message: usize,
    write_buffer_limit: usize,
    upgrade_timeout: Option<Duration>,
    path: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_message: DEFAULT_MAX_MESSAGE,
            write_buffer_limit: DEFAULT_WRITE_BUFFER_LIMIT,
            upgrade_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            path: None,
        }
    }
}

impl Config {
    /// The largest message, and frame, a peer may send (default [`DEFAULT_MAX_MESSAGE`]). A
    /// larger one fails the connection as soon as its header arrives, before anything is
    /// reserved for it.
    pub fn with_max_message(mut self, bytes: usize) -> Self {
        self.max_message = bytes;
        self
    }

    /// The most bytes that may wait to be written (default [`DEFAULT_WRITE_BUFFER_LIMIT`];
    /// at least our largest message, 16 KiB and its header). A peer that keeps sending Pings
    /// while it reads none of our Pongs fails the connection once the Pongs it is owed would
    /// pass this limit.
    pub fn with_write_buffer_limit(mut self, bytes: usize) -> Self {
        self.write_buffer_limit = bytes.max(MAX_WRITE_MESSAGE + MAX_FRAME_HEADER);
        self
    }

    /// Bounds the HTTP upgrade as a whole, from the first byte to the last of the exchange
    /// (default [`DEFAULT_HANDSHAKE_TIMEOUT`], 5 s; `None`: no bound). When dialling it also
    /// bounds the TCP connection and the TLS handshake.
    pub fn with_upgrade_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.upgrade_timeout = timeout;
        self
    }

    /// Accepts only upgrades that request `path` (such as `"/ssb"`) and answers others with
    /// 404 Not Found. Default: any path. When dialling, the path comes from the URL.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The largest message a peer may send.
    pub fn max_message(&self) -> usize {
        self.max_message
    }

    /// The bound on bytes waiting to be written.
    pub fn write_buffer_limit(&self) -> usize {
        self.write_buffer_limit
    }

    /// The bound on the HTTP upgrade.
    pub fn upgrade_timeout(&self) -> Option<Duration> {
        self.upgrade_timeout
    }

    /// The only path accepted, if any.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    pub(super) fn tungstenite(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            // Each message goes to the socket at once; box-stream has already batched frames.
            .write_buffer_size(0)
            // Past the limit tungstenite keeps only the latest Pong; we fail the connection.
            .max_write_buffer_size(self.write_buffer_limit)
            .max_message_size(Some(self.max_message))
            .max_frame_size(Some(self.max_message))
    }
}

/// A timeout for people: "5 s", "1.5 s".
pub(super) fn seconds(d: std::time::Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// The most we send in one message.
pub(super) const MAX_WRITE_MESSAGE: usize = 16 * 1024;
