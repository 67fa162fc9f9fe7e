//! The core shared by every handshake future (client, server, staged): drives a sans-IO
//! handshake over an async transport with exact-length reads, complete writes and the
//! handshake's deadlines, and hands the transport back when it fails.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::timer::{Expired, Timer};
use crate::error::{HandshakeError, Phase};
use crate::handshake::{Handshake, Next};
use crate::trace;

/// The largest handshake message (message 3).
const MAX_MESSAGE_LEN: usize = 112;

/// `Interrupted` errors in a row that are retried: a transport that is never anything else
/// fails the handshake rather than spin, even with no deadline set.
const MAX_INTERRUPTED: u32 = 1024;

/// A handshake in progress on `io`. The state machine says what to do; this moves the bytes.
///
/// The transport lives in a `Pin<Box<_>>` for the life of the connection: that lets a
/// transport that is not `Unpin` be polled here and still move into the
/// [`BoxStream`](super::BoxStream) afterwards.
pub(crate) struct MidHandshake<IO, H> {
    pub(crate) io: Pin<Box<IO>>,
    pub(crate) machine: H,
    buf: [u8; MAX_MESSAGE_LEN],
    /// Bytes of the current message already written or read.
    progress: usize,
    /// `Interrupted` errors in a row: retried, up to a point.
    interrupted: u32,
    pub(crate) timer: Timer,
    /// The handshake's span and clock (nothing without feature `tracing`).
    pub(crate) trace: trace::Handshake,
}

impl<IO, H> MidHandshake<IO, H>
where
    IO: AsyncRead + AsyncWrite,
    H: Handshake,
{
    pub(crate) fn new(io: IO, machine: H, timer: Timer, trace: trace::Handshake) -> Self {
        MidHandshake {
            io: Box::pin(io),
            machine,
            buf: [0; MAX_MESSAGE_LEN],
            progress: 0,
            interrupted: 0,
            timer,
            trace,
        }
    }

    /// Moves bytes until the machine is done, wants authorization, or fails.
    pub(crate) fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HandshakeError>> {
        loop {
            let phase = self.machine.phase();
            // Before the transport, so that a peer that keeps us busy cannot outrun the clock.
            if let Some(expired) = self.timer.expired() {
                return Poll::Ready(Err(expired.into_error(phase)));
            }
            let io = self.io.as_mut();
            let step = match self.machine.next() {
                Next::Send(msg) => poll_send(io, cx, msg, &mut self.progress),
                Next::Receive(len) => {
                    poll_receive(io, cx, &mut self.buf[..len], &mut self.progress)
                }
                Next::Authorize(_) | Next::Done => return Poll::Ready(Ok(())),
                Next::Failed => {
                    return Poll::Ready(Err(HandshakeError::Misuse("handshake already failed")))
                }
            };
            match step {
                Poll::Pending => {
                    self.timer.arm(cx);
                    return Poll::Pending;
                }
                // std's convention: try again. Yield first, so a transport that is always
                // interrupted cannot hold the thread; the deadlines still apply.
                Poll::Ready(Err(StepError::Io(e)))
                    if e.kind() == io::ErrorKind::Interrupted
                        && self.interrupted < MAX_INTERRUPTED =>
                {
                    self.interrupted += 1;
                    self.timer.arm(cx);
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                // A WebSocket (HTTP) server dialled as `net:` answers our hello with an HTTP
                // error, shorter than a hello, and hangs up (Node's http does).
                Poll::Ready(Err(StepError::ClosedReading))
                    if phase == Phase::ServerHello
                        && self.buf[..self.progress].starts_with(b"HTTP/") =>
                {
                    return Poll::Ready(Err(HandshakeError::HttpReply));
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error.into_handshake(phase))),
                Poll::Ready(Ok(Progress::Partial)) => {
                    self.interrupted = 0;
                    self.timer.restart();
                }
                Poll::Ready(Ok(Progress::Complete)) => {
                    self.interrupted = 0;
                    self.timer.restart();
                    let len = std::mem::take(&mut self.progress);
                    let result = match self.machine.next() {
                        Next::Send(_) => self.machine.sent(),
                        _ => self.machine.received(&self.buf[..len]),
                    };
                    result?;
                }
            }
        }
    }
}

impl<IO, H> MidHandshake<IO, H> {
    /// Ends the handshake with `error` (reported to the trace), keeping the transport.
    pub(crate) fn fail(self, error: HandshakeError) -> Failed<IO> {
        self.trace.failed(&error);
        Failed::with_io(error, self.io)
    }
}

/// Why a handshake future ended without a stream, with the transport when there is one.
pub(crate) struct Failed<IO> {
    pub(crate) error: HandshakeError,
    io: Option<Pin<Box<IO>>>,
}

impl<IO> Failed<IO> {
    pub(crate) fn with_io(error: HandshakeError, io: Pin<Box<IO>>) -> Self {
        Failed {
            error,
            io: Some(io),
        }
    }

    /// A future polled again after it completed: there is no transport left to give back.
    pub(crate) fn misuse(what: &'static str) -> Self {
        Failed {
            error: HandshakeError::Misuse(what),
            io: None,
        }
    }

    /// The error and the transport, for the fallible future `future`.
    ///
    /// # Panics
    /// If the future was polled after it completed: its output, `(error, transport)`, has no
    /// room for a transport that is gone (see [`FallibleConnect`](crate::FallibleConnect)).
    pub(crate) fn into_parts(self, future: &'static str) -> (HandshakeError, IO)
    where
        IO: Unpin,
    {
        match self.io {
            Some(io) => (self.error, *Pin::into_inner(io)),
            None => {
                panic!("{future} polled after completion: the transport was already handed out")
            }
        }
    }
}

impl Expired {
    /// The error for a handshake that ran out of time in `phase`.
    pub(crate) fn into_error(self, phase: Phase) -> HandshakeError {
        match self {
            Expired::Silence => HandshakeError::Timeout(phase),
            Expired::Total => HandshakeError::DeadlineExceeded(phase),
            Expired::NoTimeDriver => HandshakeError::NoTimeDriver,
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
    Io(io::Error),
}

impl StepError {
    fn from_io(error: io::Error, closed: StepError) -> StepError {
        use io::ErrorKind::*;
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

fn poll_send<IO: AsyncWrite + ?Sized>(
    mut io: Pin<&mut IO>,
    cx: &mut Context<'_>,
    msg: &[u8],
    written: &mut usize,
) -> Poll<Result<Progress, StepError>> {
    if *written < msg.len() {
        let n = match io.as_mut().poll_write(cx, &msg[*written..]) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => {
                return Poll::Ready(Err(StepError::from_io(e, StepError::ClosedWriting)))
            }
            // Our own transport refusing bytes is its fault, not the peer's.
            Poll::Ready(Ok(0)) => {
                return Poll::Ready(Err(StepError::Io(io::ErrorKind::WriteZero.into())))
            }
            Poll::Ready(Ok(n)) => n,
        };
        *written += n;
        return Poll::Ready(Ok(Progress::Partial));
    }
    match io.poll_flush(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Err(e)) => Poll::Ready(Err(StepError::from_io(e, StepError::ClosedWriting))),
        Poll::Ready(Ok(())) => Poll::Ready(Ok(Progress::Complete)),
    }
}

fn poll_receive<IO: AsyncRead + ?Sized>(
    io: Pin<&mut IO>,
    cx: &mut Context<'_>,
    msg: &mut [u8],
    filled: &mut usize,
) -> Poll<Result<Progress, StepError>> {
    if *filled == msg.len() {
        return Poll::Ready(Ok(Progress::Complete));
    }
    let mut read = ReadBuf::new(&mut msg[*filled..]);
    match io.poll_read(cx, &mut read) {
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
