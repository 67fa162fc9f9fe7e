//! What the scripted peers of the wire-level tests share: the handshake's message sizes and a
//! read to the end that never hangs. The hostile peer is scripted by hand from the sans-IO state
//! machines (`common::peer`), and the side under test is always the real async `Client` or
//! `Server`, so these tests exercise exactly what an application gets.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::timeout;

/// Generous bound on any single step: with paused time a hang turns into this at once.
pub(crate) const NO_HANG: Duration = Duration::from_secs(60);

/// Sizes of the handshake messages, in order on the wire.
pub(crate) const MSG1: usize = 64;
pub(crate) const MSG2: usize = 64;
pub(crate) const MSG3: usize = 112;
pub(crate) const MSG4: usize = 80;
/// What each side sends during the handshake.
pub(crate) const CLIENT_HANDSHAKE: usize = MSG1 + MSG3;
pub(crate) const SERVER_HANDSHAKE: usize = MSG2 + MSG4;
/// A box-stream frame header (and a goodbye).
pub(crate) const HEADER: usize = 34;

/// Reads until the end or an error; returns the plaintext and how it ended.
pub(crate) async fn read_until_end<R: AsyncRead + Unpin>(
    stream: &mut R,
) -> (Vec<u8>, io::Result<()>) {
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
