//! Hostile peers: truncation, bit flips, slow and garbage-spewing peers, bad frame lengths,
//! and resource use across many connections (the latter in `tests/leaks.rs`).
//!
//! The hostile peer is always scripted by hand from the sans-IO state machines
//! (`common::peer`), and the side under test is always the real async `Client` or `Server`, so
//! these tests exercise exactly what an application gets.

#[path = "../common/mod.rs"]
mod common;

mod bit_flips;
mod frame_lengths;
mod garbage;
mod slowloris;
mod truncation;

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::timeout;

/// Generous bound on any single step: with paused time a hang turns into this at once.
const NO_HANG: Duration = Duration::from_secs(60);

/// Sizes of the handshake messages, in order on the wire.
const MSG1: usize = 64;
const MSG2: usize = 64;
const MSG3: usize = 112;
const MSG4: usize = 80;
/// What each side sends during the handshake.
const CLIENT_HANDSHAKE: usize = MSG1 + MSG3;
const SERVER_HANDSHAKE: usize = MSG2 + MSG4;
/// A box-stream frame header (and a goodbye).
const HEADER: usize = 34;

/// Reads until the end or an error; returns the plaintext and how it ended.
async fn read_until_end<R: AsyncRead + Unpin>(stream: &mut R) -> (Vec<u8>, io::Result<()>) {
    let mut got = Vec::new();
    let mut buf = [0; 1000];
    loop {
        match timeout(NO_HANG, stream.read(&mut buf)).await {
            Err(_) => panic!("read hung after {} bytes", got.len()),
            Ok(Ok(0)) => return (got, Ok(())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return (got, Err(e)),
        }
    }
}
