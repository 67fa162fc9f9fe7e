//! [`WsTransport`]: a byte stream over binary WebSocket messages, without half-close.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::config::Config;
use super::tap::Tap;
use super::MAX_WRITE_MESSAGE;

/// Messages without data (Pings, Pongs, empty messages) taken in one `poll_read`.
const YIELD_AFTER: usize = 32;

/// An `AsyncRead + AsyncWrite` over a WebSocket connection, as multiserver's `ws` plugin uses
/// it: the bytes travel in binary messages of any size.
///
/// * Reads take the peer's messages in any chunking (empty, one byte, many frames each). A text
///   message is an `InvalidData` error. The peer's Close (or the TCP connection ending) is EOF.
/// * Each write sends its bytes (up to 16 KiB) as one binary message; `flush` pushes them out.
///   Pings are answered with pongs while reading. A peer that keeps sending Pings while it
///   reads none of our Pongs fails the connection (`InvalidData`) once the Pongs it is owed
///   pass the [write-buffer limit](Config::with_write_buffer_limit).
/// * It holds a bounded number of bytes whatever the peer sends (see the [module docs](super)).
/// * An error ends the WebSocket (tokio-tungstenite ends its stream on any error): every later
///   read repeats it.
/// * **No half-close:** `poll_shutdown` only flushes. It never sends a WebSocket Close, because
///   the peer drops everything sent after its Close arrives. Call [`close`](Self::close) once
///   both sides are done (see the [module docs](super)).
pub struct WsTransport<S> {
    ws: WebSocketStream<Tap<S>>,
    /// The rest of the message being read.
    reading: Bytes,
    /// The peer's Close, or the end of the connection, has arrived: reads return EOF.
    read_closed: bool,
    /// The peer's Close frame has arrived.
    peer_closed: bool,
    /// The first read error; every later read repeats it.
    read_failed: Option<(io::ErrorKind, String)>,
    /// [`close`](Self::close) has finished.
    closed: bool,
    /// Bytes of Pongs owed to a peer that is not reading them.
    pongs_owed: usize,
    write_buffer_limit: usize,
}

impl<S> WsTransport<S> {
    pub(super) fn new(mut ws: WebSocketStream<Tap<S>>, config: &Config) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        ws.get_mut().upgraded();
        WsTransport {
            ws,
            pongs_owed: 0,
            write_buffer_limit: config.write_buffer_limit(),
            reading: Bytes::new(),
            read_closed: false,
            peer_closed: false,
            read_failed: None,
            closed: false,
        }
    }

    /// Whether the peer has sent its WebSocket Close (after which we can send nothing more).
    pub fn is_closed_by_peer(&self) -> bool {
        self.peer_closed
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsTransport<S> {
    /// The underlying connection (for its addresses or socket options).
    pub fn get_ref(&self) -> &S {
        self.ws.get_ref().get_ref()
    }

    /// The underlying connection, mutably. Reading or writing it corrupts the WebSocket.
    pub fn get_mut(&mut self) -> &mut S {
        self.ws.get_mut().get_mut()
    }

    /// Ends the WebSocket: sends everything buffered and our Close (or the reply to the
    /// peer's), waits for the peer's Close unless it came first, discarding any messages
    /// before it, then shuts down the connection's writing side. Call it after our box-stream
    /// goodbye is flushed and the peer's has been read; calling it again does nothing.
    ///
    /// It waits for the peer for ever: bound it with `tokio::time::timeout` if the peer may
    /// not answer (dropping the transport closes the connection anyway). Dropped midway, it
    /// can be called again and carries on.
    pub async fn close(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        // Done once the peer's Close is in, or the connection is over.
        let mut done = self.peer_closed;
        match self.ws.send(Message::Close(None)).await {
            Ok(()) => {}
            Err(e) if is_gone(&e) => done = true,
            Err(e) => return Err(to_io(e)),
        }
        let mut result = Ok(());
        while !done {
            match self.ws.next().await {
                Some(Ok(Message::Close(_))) => (self.peer_closed, done) = (true, true),
                Some(Ok(_)) => {}
                Some(Err(e)) if is_gone(&e) => done = true,
                None => done = true,
                Some(Err(e)) => {
                    result = Err(to_io(e));
                    break;
                }
            }
        }
        self.read_closed = true;
        self.closed = true;
        // The WebSocket is done; the server should end TCP first, and a client need not wait.
        match self.ws.get_mut().shutdown().await {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => result.and(Err(e)),
            _ => result,
        }
    }
}

/// Whether a tungstenite error means only that the connection is already over.
fn is_gone(e: &WsError) -> bool {
    matches!(
        e,
        WsError::ConnectionClosed
            | WsError::AlreadyClosed
            | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
    )
}

/// A tungstenite error as an `io::Error` (its types stay out of our API).
pub(crate) fn to_io(e: WsError) -> io::Error {
    match e {
        WsError::Io(e) => e,
        WsError::ConnectionClosed | WsError::AlreadyClosed => io::Error::new(
            io::ErrorKind::BrokenPipe,
            "WebSocket: the connection is closed",
        ),
        WsError::Protocol(ProtocolError::SendAfterClosing) => io::Error::new(
            io::ErrorKind::BrokenPipe,
            "WebSocket: the peer has closed the WebSocket; nothing more can be sent",
        ),
        other => io::Error::new(io::ErrorKind::InvalidData, format!("WebSocket: {other}")),
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsTransport<S> {
    fn fail_read(&mut self, error: io::Error) -> io::Error {
        self.read_failed = Some((error.kind(), error.to_string()));
        error
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsTransport<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some((kind, message)) = &this.read_failed {
            return Poll::Ready(Err(io::Error::new(*kind, message.clone())));
        }
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        // Skip empty messages: only the end of the WebSocket is EOF.
        let mut without_data = 0;
        while this.reading.is_empty() && !this.read_closed {
            // A peer sending only Pings or empty messages gets no more than this per poll:
            // then we yield (woken at once), so the caller's timers get their turn before the
            // task's budget is spent on the flood.
            if without_data == YIELD_AFTER {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            without_data += 1;
            match ready!(Pin::new(&mut this.ws).poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => this.reading = data,
                Some(Ok(Message::Text(_))) => {
                    let e = io::Error::new(
                        io::ErrorKind::InvalidData,
                        "WebSocket: the peer sent a text message; secret-handshake uses binary \
                         messages only",
                    );
                    return Poll::Ready(Err(this.fail_read(e)));
                }
                Some(Ok(Message::Close(_))) => {
                    this.peer_closed = true;
                    this.read_closed = true;
                    // Send tungstenite's reply now if the socket takes it (it also goes out
                    // with the next flush or close).
                    let _ = Pin::new(&mut this.ws).poll_flush(cx);
                }
                // tungstenite answers Pings; we count what a peer that does not read is owed.
                Some(Ok(Message::Ping(data))) => {
                    if !this.ws.get_ref().write_blocked() {
                        this.pongs_owed = 0;
                    } else {
                        this.pongs_owed = this.pongs_owed.saturating_add(2 + data.len());
                        if this.pongs_owed > this.write_buffer_limit {
                            let e = io::Error::new(
                                io::ErrorKind::InvalidData,
                                "WebSocket: the peer keeps sending Pings but reads none of our \
                                 Pongs (write-buffer limit reached)",
                            );
                            return Poll::Ready(Err(this.fail_read(e)));
                        }
                    }
                }
                // Pongs and raw frames carry no data.
                Some(Ok(_)) => {}
                Some(Err(e)) if is_gone(&e) => this.read_closed = true,
                Some(Err(e)) => return Poll::Ready(Err(this.fail_read(to_io(e)))),
                None => this.read_closed = true,
            }
        }
        // At most one message per read: reading on could take in the peer's Close right after
        // its goodbye, and after that tungstenite sends nothing more.
        let n = this.reading.len().min(buf.remaining());
        buf.put_slice(&this.reading[..n]);
        this.reading.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsTransport<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut ws = Pin::new(&mut self.get_mut().ws);
        ready!(ws.as_mut().poll_ready(cx)).map_err(to_io)?;
        let n = buf.len().min(MAX_WRITE_MESSAGE);
        let message = Message::Binary(Bytes::copy_from_slice(&buf[..n]));
        match ws.as_mut().start_send(message) {
            // Pongs to a slow reader fill the buffer: send them first, then our message.
            Err(WsError::WriteBufferFull(message)) => {
                ready!(ws.as_mut().poll_flush(cx)).map_err(to_io)?;
                ws.start_send(*message).map_err(to_io)?;
            }
            result => result.map_err(to_io)?,
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().ws)
            .poll_flush(cx)
            .map_err(to_io)
    }

    /// Flushes, and nothing more: a WebSocket has no half-close (see the type's docs).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<S> std::fmt::Debug for WsTransport<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsTransport")
            .field("buffered", &self.reading.len())
            .field("peer_closed", &self.peer_closed)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}
