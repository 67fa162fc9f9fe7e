//! Piping a stream (a box-stream over any transport): stdin to the peer, the peer to stdout,
//! both at once, in large chunks.

use std::cell::Cell;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::stdio::{Input, Next, Output};

/// Sends `input` (or nothing, if `None`) then the goodbye, while copying the peer's data to
/// `output` until its goodbye. Returns once both directions are done, or at the first failure.
/// With `verbose`, prints the bytes and speed each way on stderr first.
pub async fn run<S>(
    stream: S,
    input: Option<Input>,
    output: &Output,
    verbose: bool,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite,
{
    let (from_peer, to_peer) = tokio::io::split(stream);
    let sent = Direction::new();
    let received = Direction::new();
    let result = tokio::try_join!(
        send(to_peer, input, &sent),
        receive(from_peer, output, &received)
    )
    .map(|_| ());
    // After a failure too, what arrived before it is written before the error is told.
    let synced = output.sync().await;
    if verbose {
        sent.print("sent");
        received.print("received");
    }
    result.and(synced)
}

/// One direction's byte count and when it ended.
struct Direction {
    started: Instant,
    bytes: Cell<u64>,
    ended: Cell<Option<Instant>>,
}

impl Direction {
    fn new() -> Self {
        Direction {
            started: Instant::now(),
            bytes: Cell::new(0),
            ended: Cell::new(None),
        }
    }

    fn add(&self, n: usize) {
        self.bytes.set(self.bytes.get() + n as u64);
    }

    fn end(&self) {
        self.ended.set(Some(Instant::now()));
    }

    /// `sent 1048576 bytes in 0.012 s, 87.4 MB/s`; a direction cut short counts until now.
    fn print(&self, what: &str) {
        let ended = self.ended.get().unwrap_or_else(Instant::now);
        let seconds = ended.duration_since(self.started).as_secs_f64();
        let bytes = self.bytes.get();
        let rate = if seconds > 0.0 {
            bytes as f64 / seconds / 1e6
        } else {
            0.0
        };
        eprintln!("{what} {bytes} bytes in {seconds:.3} s, {rate:.1} MB/s");
    }
}

/// Writes stdin's chunks to the peer, flushing whenever stdin has nothing more ready (so a
/// typed line goes out at once), then sends the goodbye.
async fn send<W: AsyncWrite>(
    writer: W,
    input: Option<Input>,
    sent: &Direction,
) -> Result<(), String> {
    let sending = |e: io::Error| format!("sending to the peer: {e}");
    tokio::pin!(writer);
    if let Some(mut input) = input {
        loop {
            let next = match input.try_next() {
                Some(next) => next,
                None => {
                    writer.flush().await.map_err(sending)?;
                    input.next().await
                }
            };
            match next {
                Next::Data(chunk) => {
                    writer.write_all(chunk.data()).await.map_err(sending)?;
                    sent.add(chunk.data().len());
                    input.recycle(chunk);
                }
                Next::End => break,
                Next::Failed(e) => return Err(format!("reading stdin: {e}")),
            }
        }
    }
    writer
        .shutdown()
        .await
        .map_err(|e| format!("sending the goodbye: {e}"))?;
    sent.end();
    Ok(())
}

/// Copies the peer's data to `output` until the goodbye and waits until it is written. Each
/// chunk holds all the peer's data that was ready, so bulk data moves in large writes and a
/// lone line is written at once.
async fn receive<R: AsyncRead>(
    reader: R,
    output: &Output,
    received: &Direction,
) -> Result<(), String> {
    tokio::pin!(reader);
    let mut failure = None;
    loop {
        let mut buf = output.buffer();
        let (len, ended) = fill(reader.as_mut(), &mut buf, &mut failure)
            .await
            .map_err(|e| format!("receiving from the peer: {e}"))?;
        if len > 0 {
            received.add(len);
            output.write(buf, len).await?;
        }
        if ended {
            break;
        }
    }
    output.sync().await?;
    received.end();
    Ok(())
}

/// Reads into `buf` until it is full, the reader has nothing more ready, or the end; waits only
/// for the first bytes. Returns the length read and whether the reader has ended. An error
/// after some bytes is kept in `failure` and returned by the next call, after those bytes.
async fn fill<R: AsyncRead>(
    mut reader: Pin<&mut R>,
    buf: &mut [u8],
    failure: &mut Option<io::Error>,
) -> io::Result<(usize, bool)> {
    if let Some(e) = failure.take() {
        return Err(e);
    }
    poll_fn(|cx| {
        let mut filled = 0;
        while filled < buf.len() {
            let mut read = ReadBuf::new(&mut buf[filled..]);
            match reader.as_mut().poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    return Poll::Ready(Ok((filled, true)))
                }
                Poll::Ready(Ok(())) => filled += read.filled().len(),
                Poll::Ready(Err(e)) if filled == 0 => return Poll::Ready(Err(e)),
                Poll::Ready(Err(e)) => {
                    *failure = Some(e);
                    break;
                }
                Poll::Pending if filled == 0 => return Poll::Pending,
                Poll::Pending => break,
            }
        }
        Poll::Ready(Ok((filled, false)))
    })
    .await
}
