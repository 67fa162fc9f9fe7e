//! Shared by the `shs1_server` and `shs1_client` examples: a blocking driver for the sans-IO
//! handshake over stdin/stdout, plus the argument and exit conventions of shs1-test.
//!
//! This is a module, not an example: cargo only builds `examples/*.rs` and `examples/*/main.rs`.

use std::fmt::Display;
use std::io::{self, Read, Write};
use std::process;

use secret_handshake::boxstream::BoxStreamKeys;
use secret_handshake::handshake::{Handshake, Next, Session};
use secret_handshake::hazmat::raw_session_keys;
use secret_handshake::HandshakeError;

/// Runs `handshake` to completion: writes (and flushes) each message to `output`, reads each
/// expected message from `input` with `read_exact`, and calls `authorize` when the server
/// must decide about the client.
pub fn drive<H: Handshake>(
    mut handshake: H,
    mut authorize: impl FnMut(&mut H) -> Result<(), HandshakeError>,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<Session, HandshakeError> {
    loop {
        let phase = handshake.phase();
        match handshake.next() {
            Next::Send(bytes) => {
                // The harness only sees bytes that left our buffer: flush every message.
                output
                    .write_all(bytes)
                    .and_then(|()| output.flush())
                    .map_err(|e| HandshakeError::Io(phase, e))?;
                handshake.sent()?;
            }
            Next::Receive(len) => {
                let mut msg = vec![0; len];
                input.read_exact(&mut msg).map_err(|e| match e.kind() {
                    io::ErrorKind::UnexpectedEof => HandshakeError::PeerClosed(phase.rejected()),
                    _ => HandshakeError::Io(phase, e),
                })?;
                handshake.received(&msg)?;
            }
            Next::Authorize(_) => authorize(&mut handshake)?,
            Next::Done => return handshake.finish(),
            _ => return Err(HandshakeError::Misuse("handshake stopped without an error")),
        }
    }
}

/// Writes the shs1-test outcome `enc_key ‖ enc_nonce ‖ dec_key ‖ dec_nonce` (112 bytes).
pub fn write_outcome(keys: &BoxStreamKeys, output: &mut impl Write) -> io::Result<()> {
    let keys = raw_session_keys(keys);
    let mut outcome = Vec::with_capacity(112);
    outcome.extend_from_slice(&keys.encrypt_key);
    outcome.extend_from_slice(&keys.encrypt_nonce);
    outcome.extend_from_slice(&keys.decrypt_key);
    outcome.extend_from_slice(&keys.decrypt_nonce);
    output.write_all(&outcome)?;
    output.flush()
}

/// Decodes exactly `N` bytes of hex.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Bad arguments: print the usage and exit with code 2.
pub fn usage(program: &str, args: &str, problem: impl Display) -> ! {
    exit_with(
        2,
        &format!("{program}: {problem}\nusage: {program} {args}\n"),
    )
}

/// The handshake failed: one line on stderr, nothing more on stdout, exit code 1.
pub fn fail(program: &str, error: impl Display) -> ! {
    exit_with(1, &format!("{program}: {error}\n"))
}

/// Writes `message` to stderr in one piece (`eprintln!` may split it into several writes, which
/// the harness could interleave with other testees' output), then exits.
fn exit_with(code: i32, message: &str) -> ! {
    let _ = io::stderr().write_all(message.as_bytes());
    process::exit(code)
}
