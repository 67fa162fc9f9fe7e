//! Events counted across tasks, so that a test waits until something has happened on every
//! connection rather than sleeping: a [`Tally`], and [`ReadTally`], a transport that counts
//! what its reader has handled once that reader waits for more.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// A count of events that tasks can wait on. Adding allocates nothing, so tests that count the
/// heap can use it.
#[derive(Default)]
pub struct Tally {
    count: AtomicUsize,
    changed: Notify,
}

impl Tally {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Counts one event.
    pub fn add(&self) {
        self.add_n(1);
    }

    /// Counts `n` events.
    pub fn add_n(&self, n: usize) {
        self.count.fetch_add(n, SeqCst);
        self.changed.notify_waiters();
    }

    pub fn count(&self) -> usize {
        self.count.load(SeqCst)
    }

    /// Returns once `n` events have been counted.
    pub async fn until(&self, n: usize) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.count() >= n {
                return;
            }
            changed.await;
        }
    }
}

/// A transport that counts what its reader has handled: each time that reader finds nothing
/// more to read, it adds to its tally either the bytes taken in since the last time
/// ([`ReadTally::bytes`]), or one, once, if it has taken in at least a given number
/// ([`ReadTally::once_read`]). Dropped, it counts what it has not counted yet (whatever read
/// it is done with it).
pub struct ReadTally<T> {
    inner: T,
    read: usize,
    count: Count,
    tally: Arc<Tally>,
}

enum Count {
    /// The bytes read, of which `counted` are in the tally.
    Bytes { counted: usize },
    /// One, once `after` bytes have been read.
    Once { after: usize },
    /// The one is in the tally.
    Done,
}

impl<T> ReadTally<T> {
    /// Adds the bytes read, once handled.
    pub fn bytes(inner: T, tally: &Arc<Tally>) -> Self {
        Self::new(inner, Count::Bytes { counted: 0 }, tally)
    }

    /// Adds one when the reader has handled at least `bytes` and waits for more.
    pub fn once_read(inner: T, bytes: usize, tally: &Arc<Tally>) -> Self {
        Self::new(inner, Count::Once { after: bytes }, tally)
    }

    fn new(inner: T, count: Count, tally: &Arc<Tally>) -> Self {
        Self {
            inner,
            read: 0,
            count,
            tally: tally.clone(),
        }
    }

    /// Counts what is due: everything, or only what the reader has handled (`waiting`).
    fn count(&mut self, waiting: bool) {
        match self.count {
            Count::Bytes { ref mut counted } if self.read > *counted => {
                self.tally.add_n(self.read - *counted);
                *counted = self.read;
            }
            Count::Once { after } if self.read >= after || !waiting => {
                self.tally.add();
                self.count = Count::Done;
            }
            _ => {}
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ReadTally<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        match polled {
            Poll::Ready(Ok(())) => self.read += buf.filled().len() - before,
            Poll::Pending => self.count(true),
            Poll::Ready(Err(_)) => {}
        }
        polled
    }
}

impl<T> Drop for ReadTally<T> {
    fn drop(&mut self) {
        self.count(false);
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ReadTally<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
