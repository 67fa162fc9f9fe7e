//! The sizes of a box-stream frame on the wire.

/// The largest frame body; longer writes are split into several frames.
pub const MAX_BODY_LEN: usize = 4096;
/// The size of an encrypted frame header (and of a goodbye).
pub const HEADER_LEN: usize = 34;
/// The size of the largest frame on the wire: a header and a full body.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_BODY_LEN;
/// The size of a header's plaintext: `u16` body length and the body's 16-byte MAC.
pub(super) const HEADER_PLAIN_LEN: usize = 18;
