//! The receiving half of a box-stream.

use bytes::{Buf, BytesMut};

use super::{nonce, HEADER_LEN, HEADER_PLAIN_LEN, MAX_BODY_LEN};
use crate::crypto::{BoxKey, NONCE_LEN, TAG_LEN};
use crate::error::BoxStreamError;
use crate::secret::Secret;

/// One opened frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A decrypted message body (1 to 4096 bytes).
    Message(BytesMut),
    /// The peer's goodbye: the stream ended cleanly. Returned again on every later call.
    Goodbye,
}

/// Decrypts and authenticates box-stream frames, header then body, like a length-delimited
/// decoder.
pub struct BoxOpener {
    key: BoxKey,
    nonce: [u8; NONCE_LEN],
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a 34-byte header.
    Header,
    /// Header opened; waiting for `len` body bytes authenticated by `tag`.
    Body { len: usize, tag: [u8; TAG_LEN] },
    /// Goodbye received.
    Ended,
    /// A frame failed to open; nothing more is accepted.
    Failed,
}

impl BoxOpener {
    /// An opener starting at `nonce`.
    pub(crate) fn new(key: &Secret<32>, nonce: [u8; NONCE_LEN]) -> Self {
        BoxOpener {
            key: BoxKey::new(key),
            nonce,
            state: State::Header,
        }
    }

    /// Test vectors only: an opener from a raw key and nonce.
    #[doc(hidden)]
    pub fn from_raw(key: [u8; 32], nonce: [u8; NONCE_LEN]) -> Self {
        Self::new(&Secret::new(key), nonce)
    }

    /// Whether the peer's goodbye has been received.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// Opens the next frame from the front of `buf`, consuming its bytes.
    ///
    /// `Ok(None)` means more bytes are needed. Bytes after a goodbye are left in `buf` and never
    /// read. After an error every call fails with [`BoxStreamError::Failed`].
    pub fn open(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, BoxStreamError> {
        let result = self.step(buf);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// Like [`open`](Self::open), for when the transport has ended: a frame cut short, or no
    /// goodbye, is [`BoxStreamError::Truncated`].
    pub fn open_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, BoxStreamError> {
        match self.open(buf)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                let received = match self.state {
                    State::Body { .. } => HEADER_LEN + buf.len(),
                    _ => buf.len(),
                };
                self.state = State::Failed;
                Err(BoxStreamError::Truncated { bytes: received })
            }
        }
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, BoxStreamError> {
        loop {
            match self.state {
                State::Ended => return Ok(Some(Frame::Goodbye)),
                State::Failed => return Err(BoxStreamError::Failed),
                State::Header if buf.len() < HEADER_LEN => return Ok(None),
                State::Header => {
                    self.state = self.open_header(&mut buf[..HEADER_LEN])?;
                    buf.advance(HEADER_LEN);
                }
                State::Body { len, .. } if buf.len() < len => return Ok(None),
                State::Body { len, tag } => {
                    let mut body = buf.split_to(len);
                    let body_nonce = nonce::successor(&self.nonce);
                    if !self.key.open_detached(&mut body, &tag, &body_nonce) {
                        return Err(BoxStreamError::InvalidBody);
                    }
                    nonce::increment(&mut self.nonce);
                    nonce::increment(&mut self.nonce);
                    self.state = State::Header;
                    return Ok(Some(Frame::Message(body)));
                }
            }
        }
    }

    /// Opens a header in place and says what comes next.
    fn open_header(&mut self, header: &mut [u8]) -> Result<State, BoxStreamError> {
        let (tag, plain) = header.split_at_mut(TAG_LEN);
        let mut header_tag = [0; TAG_LEN];
        header_tag.copy_from_slice(tag);
        if !self.key.open_detached(plain, &header_tag, &self.nonce) {
            return Err(BoxStreamError::InvalidHeader);
        }
        if plain.iter().all(|&b| b == 0) {
            nonce::increment(&mut self.nonce);
            return Ok(State::Ended);
        }
        let len = u16::from_be_bytes([plain[0], plain[1]]);
        if len == 0 || usize::from(len) > MAX_BODY_LEN {
            return Err(BoxStreamError::InvalidBodyLength(len));
        }
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(&plain[2..HEADER_PLAIN_LEN]);
        Ok(State::Body {
            len: usize::from(len),
            tag,
        })
    }
}

impl std::fmt::Debug for BoxOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxOpener")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
