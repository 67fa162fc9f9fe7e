//! [`WsTransport`]: a byte stream over binary WebSocket messages, without half-close.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use futures::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::config::{Config, MAX_WRITE_MESSAGE};
use super::tap::Tap;

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
/// * **No half-close:** the first `shutdown` only flushes. It sends no WebSocket Close, because
///   the peer drops everything sent after its Close arrives; the peer can still send.
/// * **A later `shutdown` ends the WebSocket** (once the first has returned): our Close (or
///   the reply to the peer's), then the peer's Close, with messages before it dropped, then
///   the connection's own shutdown. It waits for the peer as long as it is polled:
///   [`BoxStream::close`](crate::BoxStream::close) takes both steps at the right moments and
///   bounds them. A `NotConnected` or a connection already over counts as done.
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
    /// How far `poll_shutdown` has gone.
    ending: Ending,
    /// An error while waiting for the peer's Close, returned once the connection is shut down.
    ending_error: Option<io::Error>,
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
            ending: Ending::Open,
            ending_error: None,
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
}

/// How far the end of the WebSocket has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Nothing asked yet.
    Open,
    /// A first shutdown has flushed: we send nothing more, the peer still may.
    Flushed,
    /// A later shutdown: our Close (or the reply to the peer's) is being queued.
    SendingClose,
    /// Our Close is queued: pushing it out.
    FlushingClose,
    /// Our Close is out: waiting for the peer's.
    AwaitingClose,
    /// The WebSocket is over: shutting the connection down.
    ShuttingDown,
    Closed,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsTransport<S> {
    /// One step of the end at a time; see [`Ending`].
    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut ws = Pin::new(&mut self.ws);
            self.ending = match self.ending {
                Ending::Open => {
                    ready!(ws.poll_flush(cx)).map_err(to_io)?;
                    self.ending = Ending::Flushed;
                    return Poll::Ready(Ok(()));
                }
                // A new call: the first one has returned.
                Ending::Flushed => Ending::SendingClose,
                Ending::SendingClose => {
                    let sent = ready!(ws.as_mut().poll_ready(cx))
                        .and_then(|()| ws.start_send(Message::Close(None)));
                    match sent {
                        Ok(()) => Ending::FlushingClose,
                        Err(e) if is_gone(&e) => Ending::ShuttingDown,
                        Err(e) => return Poll::Ready(Err(to_io(e))),
                    }
                }
                Ending::FlushingClose => match ready!(ws.poll_flush(cx)) {
                    Ok(()) => Ending::AwaitingClose,
                    Err(e) if is_gone(&e) => Ending::ShuttingDown,
                    Err(e) => return Poll::Ready(Err(to_io(e))),
                },
                Ending::AwaitingClose => {
                    ready!(self.poll_peer_close(cx));
                    self.read_closed = true;
                    Ending::ShuttingDown
                }
                Ending::ShuttingDown => {
                    // The server should end TCP first; a client need not wait for it.
                    match ready!(Pin::new(self.ws.get_mut()).poll_shutdown(cx)) {
                        Err(e) if e.kind() != io::ErrorKind::NotConnected => {
                            self.ending_error.get_or_insert(e);
                        }
                        _ => {}
                    }
                    self.ending = Ending::Closed;
                    return Poll::Ready(self.ending_error.take().map_or(Ok(()), Err));
                }
                Ending::Closed => return Poll::Ready(Ok(())),
            };
        }
    }

    /// Reads up to the peer's Close (or the end of the connection), dropping messages before
    /// it; an error is kept for after the shutdown.
    fn poll_peer_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut taken = 0;
        while !self.peer_closed {
            // A peer flooding us with messages does not keep this poll going for ever.
            if taken == YIELD_AFTER {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            taken += 1;
            match ready!(Pin::new(&mut self.ws).poll_next(cx)) {
                Some(Ok(Message::Close(_))) => self.peer_closed = true,
                Some(Ok(_)) => {}
                Some(Err(e)) if is_gone(&e) => break,
                None => break,
                Some(Err(e)) => {
                    self.ending_error = Some(to_io(e));
                    break;
                }
            }
        }
        Poll::Ready(())
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

    /// The first call flushes, and nothing more: a WebSocket has no half-close. A call after
    /// that one has returned ends the WebSocket (see the type's docs).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_end(cx)
    }
}

impl<S> std::fmt::Debug for WsTransport<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsTransport")
            .field("buffered", &self.reading.len())
            .field("peer_closed", &self.peer_closed)
            .field("ending", &self.ending)
            .finish_non_exhaustive()
    }
}
