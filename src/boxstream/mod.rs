//! Box-stream: the encrypted framing used after the handshake, as sans-IO sealer and opener.
//!
//! Each frame is a 34-byte encrypted header (`body length ‖ body MAC`, nonce `N+2i`) followed by
//! the encrypted body (up to 4096 bytes, nonce `N+2i+1`; a frame of 0 carries no data and is
//! skipped). A header of 18 encrypted zero bytes is the goodbye that ends a stream cleanly.
//!
//! [`BoxSealer`] and [`BoxOpener`] hold the only framing code: the async stream and the
//! [`BoxStreamCodec`] are both built on them. Both come from [`BoxStreamKeys`], which a
//! handshake produces once and which every constructor consumes.

mod codec;
mod keys;
mod nonce;
mod open;
mod seal;

pub use codec::{BoxStreamCodec, Goodbye};
pub use keys::BoxStreamKeys;
pub use open::{BoxOpener, Frame, Opened};
pub(crate) use seal::sealed_len;
pub use seal::BoxSealer;

/// The largest frame body; longer writes are split into several frames.
pub const MAX_BODY_LEN: usize = 4096;
/// The size of an encrypted frame header (and of a goodbye).
pub const HEADER_LEN: usize = 34;
/// The size of the largest frame on the wire: a header and a full body.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_BODY_LEN;
/// The size of a header's plaintext: `u16` body length and the body's 16-byte MAC.
const HEADER_PLAIN_LEN: usize = 18;
