//! Hand-driven peers: a sans-IO handshake machine run by the test over an async transport, so
//! that it can cut, slow down or hold back what it sends while the side under test is the real
//! `Client` or `Server`.

use std::time::Duration;

use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake, Session};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A client or server machine. A server lets the client in at `Next::Authorize`.
pub trait Scripted: Handshake {
    /// Server: accept the client. Clients never get here.
    fn let_in(&mut self);
}

impl Scripted for ServerHandshake {
    fn let_in(&mut self) {
        self.accept().expect("accept at Next::Authorize");
    }
}

impl Scripted for ClientHandshake {
    fn let_in(&mut self) {
        unreachable!("clients do not authorize")
    }
}

/// What a scripted peer does with a handshake message it is to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Writes all of it.
    All,
    /// Writes all of it, one byte every interval.
    Slowly(Duration),
    /// Writes its first `n` bytes (at most all of it), then stops: `Only(0)` stops before it.
    Only(usize),
    /// Writes none of it (the test sends it itself later), and goes on.
    Skip,
}

/// Runs `machine` over `io`: reads each message it expects, and writes each one it sends as
/// `write(n, message)` says, `n` being the message's number on the wire (1 to 4).
///
/// Returns the session, or the machine where it stopped: still at the `Next::Send` of an
/// [`Write::Only`], or at the `Next::Receive` during which the transport ended (or at the send
/// it failed). The scripted peer is honest: a message its machine refuses panics.
pub async fn drive<H: Scripted, IO: AsyncRead + AsyncWrite + Unpin>(
    mut machine: H,
    io: &mut IO,
    mut write: impl FnMut(usize, &[u8]) -> Write,
) -> Result<Session, H> {
    let mut number = 0;
    loop {
        match machine.next() {
            Next::Send(msg) => {
                number += 1;
                let written = match write(number, msg) {
                    Write::All => io.write_all(msg).await.is_ok(),
                    Write::Slowly(interval) => dribble(io, msg, interval).await,
                    Write::Only(n) => {
                        let _ = io.write_all(&msg[..n.min(msg.len())]).await;
                        false
                    }
                    Write::Skip => true,
                };
                if !written {
                    return Err(machine);
                }
                machine.sent().expect("sent() after Next::Send");
            }
            Next::Receive(n) => {
                number += 1;
                let mut msg = vec![0; n];
                if io.read_exact(&mut msg).await.is_err() {
                    return Err(machine);
                }
                machine.received(&msg).expect("the scripted peer is honest");
            }
            Next::Authorize(_) => machine.let_in(),
            Next::Done => return Ok(machine.finish().expect("finish() at Next::Done")),
            other => panic!("scripted handshake: {other:?}"),
        }
    }
}

/// An honest handshake as `machine` over `io`; panics if it does not complete.
pub async fn handshake<H: Scripted, IO: AsyncRead + AsyncWrite + Unpin>(
    machine: H,
    io: &mut IO,
) -> Session {
    match drive(machine, io, |_, _| Write::All).await {
        Ok(session) => session,
        Err(machine) => panic!("handshake stopped at {:?}", machine.next()),
    }
}

/// An honest handshake as `machine` over `io` up to message `n`, which it does not send;
/// returns the machine there. Panics if the handshake stopped anywhere else.
pub async fn run_up_to<H: Scripted, IO: AsyncRead + AsyncWrite + Unpin>(
    machine: H,
    io: &mut IO,
    n: usize,
) -> H {
    let stop_at_n = |number, _: &[u8]| match number == n {
        true => Write::Only(0),
        false => Write::All,
    };
    match drive(machine, io, stop_at_n).await {
        Err(machine) if matches!(machine.next(), Next::Send(_)) => machine,
        Err(machine) => panic!("stopped before message {n}, at {:?}", machine.next()),
        Ok(_) => panic!("message {n} is not ours to send"),
    }
}

/// Writes `data` one byte every `interval`; false if the transport failed.
pub async fn dribble<W: AsyncWrite + Unpin>(io: &mut W, data: &[u8], interval: Duration) -> bool {
    for &byte in data {
        tokio::time::sleep(interval).await;
        if io.write_all(&[byte]).await.is_err() {
            return false;
        }
    }
    true
}
