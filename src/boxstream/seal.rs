//! The sending half of a box-stream.

use bytes::{BufMut, BytesMut};

use super::{nonce, HEADER_LEN, HEADER_PLAIN_LEN, MAX_BODY_LEN};
use crate::crypto::{BoxKey, NONCE_LEN, TAG_LEN};
use crate::secret::Secret;

/// Encrypts plaintext into box-stream frames.
pub struct BoxSealer {
    key: BoxKey,
    nonce: [u8; NONCE_LEN],
}

impl BoxSealer {
    /// A sealer starting at `nonce`. Each key and nonce pair must seal one stream only.
    pub(crate) fn new(key: &Secret<32>, nonce: [u8; NONCE_LEN]) -> Self {
        BoxSealer {
            key: BoxKey::new(key),
            nonce,
        }
    }

    /// Appends `data` to `out` as frames of at most [`MAX_BODY_LEN`] bytes: full frames, then
    /// the rest. Empty data adds nothing (an empty frame would read as nothing on the other side
    /// anyway).
    pub fn seal(&mut self, data: &[u8], out: &mut BytesMut) {
        out.reserve(sealed_len(data.len()));
        for body in data.chunks(MAX_BODY_LEN) {
            let start = out.len();
            out.put_bytes(0, HEADER_LEN);
            out.extend_from_slice(body);
            self.seal_frame_in_place(&mut out[start..]);
        }
    }

    /// Appends the goodbye frame that ends the stream. Seal nothing after it.
    pub fn seal_goodbye(&mut self, out: &mut BytesMut) {
        let mut header = [0; HEADER_LEN];
        let tag = self.key.seal_detached(&mut header[TAG_LEN..], &self.nonce);
        header[..TAG_LEN].copy_from_slice(&tag);
        nonce::increment(&mut self.nonce);
        out.extend_from_slice(&header);
    }

    /// A frame whose header claims `claimed_len` body bytes whatever `body` holds, as a
    /// malicious or odd peer could send (the opener rejects anything over 4096 and skips an
    /// empty frame).
    #[cfg(feature = "hazmat")]
    pub(crate) fn seal_frame_claiming_length(
        &mut self,
        claimed_len: u16,
        body: &[u8],
        out: &mut BytesMut,
    ) {
        let start = out.len();
        out.put_bytes(0, HEADER_LEN);
        out.extend_from_slice(body);
        self.seal_frame_in_place(&mut out[start..]);
        // Re-seal the header with the claimed length, under the same header nonce.
        let frame = &mut out[start..];
        let header_nonce = nonce::predecessor2(&self.nonce);
        let mut plain = [0u8; HEADER_PLAIN_LEN];
        plain.copy_from_slice(&frame[TAG_LEN..HEADER_LEN]);
        let _ = self
            .key
            .open_detached(&mut plain, &tag_of(frame), &header_nonce);
        plain[..2].copy_from_slice(&claimed_len.to_be_bytes());
        let tag = self.key.seal_detached(&mut plain, &header_nonce);
        frame[..TAG_LEN].copy_from_slice(&tag);
        frame[TAG_LEN..HEADER_LEN].copy_from_slice(&plain);
    }

    /// Seals `frame` = 34 bytes of header space followed by a 0..=4096-byte body, in place.
    fn seal_frame_in_place(&mut self, frame: &mut [u8]) {
        let (header, body) = frame.split_at_mut(HEADER_LEN);
        let body_len = body.len() as u16; // at most MAX_BODY_LEN, see `seal`
        let body_tag = self.key.seal_detached(body, &nonce::successor(&self.nonce));
        let header_plain = &mut header[TAG_LEN..];
        header_plain[..2].copy_from_slice(&body_len.to_be_bytes());
        header_plain[2..HEADER_PLAIN_LEN].copy_from_slice(&body_tag);
        let header_tag = self.key.seal_detached(header_plain, &self.nonce);
        header[..TAG_LEN].copy_from_slice(&header_tag);
        nonce::increment(&mut self.nonce);
        nonce::increment(&mut self.nonce);
    }
}

#[cfg(feature = "hazmat")]
fn tag_of(frame: &[u8]) -> [u8; TAG_LEN] {
    let mut tag = [0; TAG_LEN];
    tag.copy_from_slice(&frame[..TAG_LEN]);
    tag
}

/// How many wire bytes `len` bytes of plaintext become (without the goodbye).
pub(crate) fn sealed_len(len: usize) -> usize {
    len + len.div_ceil(MAX_BODY_LEN) * HEADER_LEN
}

impl std::fmt::Debug for BoxSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxSealer(<redacted>)")
    }
}
