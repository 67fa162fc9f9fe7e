//! The one clean end of a connection over any transport, within a timeout:
//! [`BoxStream::close`], and the same steps for [`BoxFramed`](crate::BoxFramed).

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::timer::{no_time_driver, no_time_driver_error, until};

use super::stream::BoxStream;

/// How long [`BoxStream::close`] waits, in all, for the peer's goodbye and the transport's
/// end (a WebSocket peer's Close).
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Plaintext read (and dropped) at a time while waiting for the peer's goodbye.
const DISCARD: usize = 1024;

/// Reads of [`DISCARD`] bytes taken in one poll before the task yields, so a peer that keeps
/// sending cannot keep one poll going for ever.
const DISCARDS_PER_POLL: usize = 16;

/// The steps of a clean end, as a stream type takes them.
pub(super) trait Ending {
    /// Our goodbye after everything buffered, flushed, then the transport's first shutdown
    /// (TCP's half-close; a WebSocket's flush). Safe to call again.
    fn poll_goodbye(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Reads, and drops, what the peer sends up to its goodbye: at most `budget` reads, then
    /// `Pending` after a wake-up. `Ready(Ok)` once the goodbye is in.
    fn poll_peer_goodbye(&mut self, cx: &mut Context<'_>, budget: usize) -> Poll<io::Result<()>>;
    /// The transport's shutdown again: its own end (a WebSocket's Close handshake; nothing
    /// new for TCP, whose shutdown came with our goodbye).
    fn poll_end_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// Takes the steps of [`Ending`] within `timeout`.
pub(super) async fn close<E: Ending + ?Sized>(stream: &mut E, timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now().checked_add(timeout);
    let expired = |what: &str| match no_time_driver() {
        true => no_time_driver_error(),
        false => io::Error::new(
            io::ErrorKind::TimedOut,
            format!("close: {what} within {} s", timeout.as_secs_f64()),
        ),
    };
    match until(deadline, poll_fn(|cx| stream.poll_goodbye(cx))).await {
        Some(sent) => sent?,
        None => return Err(expired("our goodbye could not be sent")),
    }
    let peer = until(
        deadline,
        poll_fn(|cx| stream.poll_peer_goodbye(cx, DISCARDS_PER_POLL)),
    )
    .await;
    let error = match peer {
        Some(Ok(())) => None,
        Some(Err(e)) => Some(e),
        None => Some(expired("no goodbye from the peer")),
    };
    if let Some(error) = error {
        // The peer will not say goodbye: end the transport as far as it goes at once (a
        // WebSocket's Close goes out), without waiting for the peer.
        let _ = poll_fn(|cx| stream.poll_end_transport(cx)).now_or_never();
        return Err(error);
    }
    match until(deadline, poll_fn(|cx| stream.poll_end_transport(cx))).await {
        Some(Err(e)) if e.kind() != io::ErrorKind::NotConnected => Err(e),
        Some(_) => Ok(()),
        None => Err(expired(
            "the transport did not end (a WebSocket peer sent no Close)",
        )),
    }
}

impl<IO: AsyncRead + AsyncWrite + ?Sized, A> BoxStream<IO, A> {
    /// Ends the connection cleanly, whatever the transport, within
    /// [`DEFAULT_CLOSE_TIMEOUT`] (see [`close_within`](Self::close_within)).
    pub async fn close(&mut self) -> io::Result<()> {
        self.close_within(DEFAULT_CLOSE_TIMEOUT).await
    }

    /// Ends the connection cleanly, whatever the transport: code written for `net:` closes
    /// `ws://` the same way.
    ///
    /// 1. Sends what is buffered and our goodbye, and shuts the transport's writing side
    ///    down (as `shutdown` does: a TCP half-close; a WebSocket has none and only flushes).
    /// 2. Waits for the peer's goodbye. What the peer still sends before it is read and
    ///    **dropped** (a few KiB at a time, through the stream's bounded read buffer): read to
    ///    the end first (`read_to_end`, until `Ok(0)`) to keep it.
    /// 3. Ends the transport with a second shutdown: for a WebSocket the Close handshake (our
    ///    Close, then the peer's), then the connection's shutdown. Never before the peer's
    ///    goodbye, so its last data cannot be lost.
    ///
    /// `Ok` once both goodbyes are through and the transport has ended (a peer already gone
    /// counts). An `UnexpectedEof` error if the peer ended without a goodbye; `TimedOut`,
    /// naming the step, if `timeout` (for all three steps) runs out: then, if the peer's
    /// goodbye never came, the transport is ended without waiting for the peer (a WebSocket's
    /// Close goes out). Safe to call again; dropping the stream afterwards closes the
    /// connection anyway. `Duration::MAX` waits for ever.
    ///
    /// The timeout is on Tokio's clock (`pause` and `advance` move it). On a runtime without
    /// a time driver a timed close fails at once with `TimedOut`; `Duration::MAX` runs untimed.
    ///
    /// Split halves close by being put back together first
    /// ([`reunite`](crate::BoxReader::reunite), [`reunite_with`](crate::BoxReader::reunite_with));
    /// through a `tokio_util` `Framed`, flush it and call `framed.get_mut().close()`
    /// (`SinkExt::close` is the half-close of step 1 alone).
    pub async fn close_within(&mut self, timeout: Duration) -> io::Result<()> {
        let result = close(self, timeout).await;
        self.read.trace.closed(&result);
        result
    }
}

impl<IO: AsyncRead + AsyncWrite + ?Sized, A> Ending for BoxStream<IO, A> {
    fn poll_goodbye(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.write.poll_shutdown(self.io.as_mut(), cx)
    }

    fn poll_peer_goodbye(&mut self, cx: &mut Context<'_>, budget: usize) -> Poll<io::Result<()>> {
        let mut dropped = [0; DISCARD];
        for _ in 0..budget {
            if self.read.is_ended() {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut dropped);
            std::task::ready!(self.read.poll_read(self.io.as_mut(), cx, &mut buf))?;
            if buf.filled().is_empty() {
                return Poll::Ready(Ok(())); // the goodbye
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn poll_end_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_shutdown(cx)
    }
}
