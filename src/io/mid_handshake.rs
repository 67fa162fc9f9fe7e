//! Drives a sans-IO handshake over an async transport: exact-length reads, complete writes, and
//! an inactivity timeout.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::error::{HandshakeError, Phase};
use crate::handshake::{Handshake, Next};

/// The largest handshake message (message 3).
const MAX_MESSAGE_LEN: usize = 112;

/// A handshake in progress on `io`. The state machine says what to do; this moves the bytes.
pub(crate) struct MidHandshake<IO, H> {
    pub(crate) io: IO,
    pub(crate) machine: H,
    buf: [u8; MAX_MESSAGE_LEN],
    /// Bytes of the current message already written or read.
    progress: usize,
    timeout: Option<Duration>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<IO, H> MidHandshake<IO, H>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: Handshake,
{
    pub(crate) fn new(io: IO, machine: H, timeout: Option<Duration>) -> Self {
        MidHandshake {
            io,
            machine,
            buf: [0; MAX_MESSAGE_LEN],
            progress: 0,
            timeout,
            timer: None,
        }
    }

    /// Moves bytes until the machine is done, wants authorization, or fails.
    pub(crate) fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HandshakeError>> {
        if self.timer.is_none() && tokio::runtime::Handle::try_current().is_ok() {
            // Tokio's timer; outside a Tokio runtime (async-std, smol) the handshake is untimed.
            self.timer = self.timeout.map(|t| Box::pin(tokio::time::sleep(t)));
        }
        loop {
            let phase = self.machine.phase();
            let Self {
                io, machine, buf, ..
            } = self;
            let step = match machine.next() {
                Next::Send(msg) => poll_send(io, cx, msg, &mut self.progress),
                Next::Receive(len) => poll_receive(io, cx, &mut buf[..len], &mut self.progress),
                Next::Authorize(_) | Next::Done => return Poll::Ready(Ok(())),
                Next::Failed => {
                    return Poll::Ready(Err(HandshakeError::Misuse("handshake already failed")))
                }
            };
            match step {
                Poll::Pending => return self.poll_timer(cx, phase),
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error.into_handshake(phase))),
                Poll::Ready(Ok(Progress::Partial)) => self.restart_timer(),
                Poll::Ready(Ok(Progress::Complete)) => {
                    self.restart_timer();
                    let len = std::mem::take(&mut self.progress);
                    let result = match self.machine.next() {
                        Next::Send(_) => self.machine.sent(),
                        _ => self.machine.received(&self.buf[..len]),
                    };
                    if let Err(error) = result {
                        return Poll::Ready(Err(error));
                    }
                }
            }
        }
    }

    /// Restarts the inactivity timer: the timeout counts silence, not the whole handshake.
    pub(crate) fn restart_timer(&mut self) {
        if let (Some(timer), Some(timeout)) = (&mut self.timer, self.timeout) {
            timer.as_mut().reset(Instant::now() + timeout);
        }
    }

    fn poll_timer(
        &mut self,
        cx: &mut Context<'_>,
        phase: Phase,
    ) -> Poll<Result<(), HandshakeError>> {
        let expired = match &mut self.timer {
            Some(timer) => timer.as_mut().poll(cx).is_ready(),
            None => false,
        };
        if expired {
            Poll::Ready(Err(HandshakeError::Timeout(phase)))
        } else {
            Poll::Pending
        }
    }
}

enum Progress {
    Partial,
    Complete,
}

enum StepError {
    /// The peer hung up while we were reading.
    ClosedReading,
    /// The peer hung up while we were writing.
    ClosedWriting,
    Io(std::io::Error),
}

impl StepError {
    fn from_io(error: std::io::Error, closed: StepError) -> StepError {
        use std::io::ErrorKind::*;
        match error.kind() {
            BrokenPipe | ConnectionReset | ConnectionAborted => closed,
            _ => StepError::Io(error),
        }
    }

    fn into_handshake(self, phase: Phase) -> HandshakeError {
        match self {
            // Servers reject silently by hanging up, so an EOF while waiting for message N means
            // the peer turned down message N-1: name that phase.
            StepError::ClosedReading => HandshakeError::PeerClosed(phase.rejected()),
            // A hang-up noticed while sending message N: the peer turned down what came before,
            // and the message we could not deliver is the one reported (as the JS reference does).
            StepError::ClosedWriting => HandshakeError::PeerClosed(phase),
            StepError::Io(e) => HandshakeError::Io(phase, e),
        }
    }
}

fn poll_send<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    cx: &mut Context<'_>,
    msg: &[u8],
    written: &mut usize,
) -> Poll<Result<Progress, StepError>> {
    if *written < msg.len() {
        let n = match Pin::new(&mut *io).poll_write(cx, &msg[*written..]) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => {
                return Poll::Ready(Err(StepError::from_io(e, StepError::ClosedWriting)))
            }
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(StepError::ClosedWriting)),
            Poll::Ready(Ok(n)) => n,
        };
        *written += n;
        return Poll::Ready(Ok(Progress::Partial));
    }
    match Pin::new(io).poll_flush(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Err(e)) => Poll::Ready(Err(StepError::from_io(e, StepError::ClosedWriting))),
        Poll::Ready(Ok(())) => Poll::Ready(Ok(Progress::Complete)),
    }
}

fn poll_receive<IO: AsyncRead + Unpin>(
    io: &mut IO,
    cx: &mut Context<'_>,
    msg: &mut [u8],
    filled: &mut usize,
) -> Poll<Result<Progress, StepError>> {
    if *filled == msg.len() {
        return Poll::Ready(Ok(Progress::Complete));
    }
    let mut read = ReadBuf::new(&mut msg[*filled..]);
    match Pin::new(io).poll_read(cx, &mut read) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Err(e)) => Poll::Ready(Err(StepError::from_io(e, StepError::ClosedReading))),
        Poll::Ready(Ok(())) if read.filled().is_empty() => {
            Poll::Ready(Err(StepError::ClosedReading))
        }
        Poll::Ready(Ok(())) => {
            *filled += read.filled().len();
            Poll::Ready(Ok(Progress::Partial))
        }
    }
}
