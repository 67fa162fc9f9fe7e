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
mod layout;
mod nonce;
mod open;
mod seal;

pub use codec::{BoxStreamCodec, Goodbye};
pub use keys::BoxStreamKeys;
use layout::HEADER_PLAIN_LEN;
pub use layout::{HEADER_LEN, MAX_BODY_LEN, MAX_FRAME_LEN};
pub use open::{BoxOpener, Frame, Opened};
pub(crate) use seal::sealed_len;
pub use seal::BoxSealer;
