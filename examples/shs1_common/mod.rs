//! Shared by the `shs1_server` and `shs1_client` examples: the outcome they print and the
//! argument and exit conventions of shs1-test. The handshake itself runs over stdin/stdout
//! with `secret_handshake::hazmat::drive::blocking`.
//!
//! This is a module, not an example: cargo only builds `examples/*.rs` and `examples/*/main.rs`.

use std::fmt::Display;
use std::io::{self, Write};
use std::process;

use secret_handshake::boxstream::BoxStreamKeys;
use secret_handshake::hazmat::raw_session_keys;

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
