//! Events counted across tasks, so that a test waits until something has happened on every
//! connection rather than sleeping: a [`Tally`], and [`ReadTally`], a transport that adds the
//! bytes its reader has taken in to one once that reader has handled them and waits for more.

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

/// A transport that adds to its tally the bytes its reader took in, each time that reader
/// finds nothing more to read: the tally counts only bytes that whatever reads has handled.
pub struct ReadTally<T> {
    inner: T,
    read: usize,
    counted: usize,
    tally: Arc<Tally>,
}

impl<T> ReadTally<T> {
    pub fn new(inner: T, tally: &Arc<Tally>) -> Self {
        Self {
            inner,
            read: 0,
            counted: 0,
            tally: tally.clone(),
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
            Poll::Pending if self.read > self.counted => {
                self.tally.add_n(self.read - self.counted);
                self.counted = self.read;
            }
            _ => {}
        }
        polled
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
