//! Drivers for the sans-IO handshake machines without an async runtime: a client and a server
//! against each other in memory, or one machine over blocking `std::io`. The one copy of this
//! loop for benchmarks, fuzz targets, tests and interop tools; async code uses
//! [`Client`](crate::Client) and [`Server`](crate::Server).

use std::io::{self, Read, Write};

use crate::error::{HandshakeError, Phase};
use crate::handshake::{ClientHandshake, Handshake, Next, ServerHandshake, Session};

/// The longest handshake message (message 3).
const LONGEST_MESSAGE: usize = 112;

/// Moves the message `from` wants to send to `to`, letting `tamper` change it on the way.
///
/// Fails with [`HandshakeError::Misuse`] if `from` has nothing to send, or with `to`'s error if
/// it refuses the message (`from` has sent it by then).
pub fn relay_with(
    from: &mut impl Handshake,
    to: &mut impl Handshake,
    tamper: impl FnOnce(&mut [u8]),
) -> Result<(), HandshakeError> {
    let mut buf = [0; LONGEST_MESSAGE];
    let len = match from.next() {
        Next::Send(msg) if msg.len() <= LONGEST_MESSAGE => {
            buf[..msg.len()].copy_from_slice(msg);
            msg.len()
        }
        _ => return Err(HandshakeError::Misuse("relay: nothing to send")),
    };
    from.sent()?;
    let msg = &mut buf[..len];
    tamper(msg);
    to.received(msg)
}

/// Moves the message `from` wants to send to `to`, unchanged. See [`relay_with`].
pub fn relay(from: &mut impl Handshake, to: &mut impl Handshake) -> Result<(), HandshakeError> {
    relay_with(from, to, |_| {})
}

/// Runs a whole handshake between `client` and `server` in memory, the server letting the
/// client in. Returns the client's session, then the server's.
pub fn in_memory(
    mut client: ClientHandshake,
    mut server: ServerHandshake,
) -> Result<(Session, Session), HandshakeError> {
    relay(&mut client, &mut server)?; // 1: client hello
    relay(&mut server, &mut client)?; // 2: server hello
    relay(&mut client, &mut server)?; // 3: client authentication
    server.accept()?;
    relay(&mut server, &mut client)?; // 4: server acceptance
    Ok((client.finish()?, server.finish()?))
}

/// Runs `machine` to completion over blocking `input` and `output`: writes and flushes each
/// message, reads each expected one with `read_exact`, and calls `authorize` when a server must
/// decide about the client (it should call [`ServerHandshake::accept`] or
/// [`ServerHandshake::reject`]).
///
/// Errors are reported as the async adapter reports them: a transport that ends or resets while
/// we wait for a message is [`HandshakeError::PeerClosed`] naming the message the peer turned
/// down, one that resets while we write is `PeerClosed` in the current phase, and any other
/// I/O error is [`HandshakeError::Io`].
pub fn blocking<H: Handshake>(
    mut machine: H,
    mut authorize: impl FnMut(&mut H) -> Result<(), HandshakeError>,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<Session, HandshakeError> {
    let mut buf = [0; LONGEST_MESSAGE];
    loop {
        let phase = machine.phase();
        match machine.next() {
            Next::Send(msg) => {
                output
                    .write_all(msg)
                    .and_then(|()| output.flush())
                    .map_err(|e| io_error(e, phase, HandshakeError::PeerClosed(phase)))?;
                machine.sent()?;
            }
            Next::Receive(len) => {
                let msg = buf
                    .get_mut(..len)
                    .ok_or(HandshakeError::Misuse("message too long"))?;
                input.read_exact(msg).map_err(|e| {
                    io_error(e, phase, HandshakeError::PeerClosed(phase.rejected()))
                })?;
                machine.received(msg)?;
            }
            Next::Authorize(_) => authorize(&mut machine)?,
            Next::Done => return machine.finish(),
            Next::Failed => return Err(HandshakeError::Misuse("handshake already failed")),
        }
    }
}

/// `closed` where `e` means the peer hung up, [`HandshakeError::Io`] otherwise.
fn io_error(e: io::Error, phase: Phase, closed: HandshakeError) -> HandshakeError {
    use io::ErrorKind::*;
    match e.kind() {
        UnexpectedEof | BrokenPipe | ConnectionReset | ConnectionAborted => closed,
        _ => HandshakeError::Io(phase, e),
    }
}
