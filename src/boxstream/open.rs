//! The receiving half of a box-stream.

use std::ops::Range;

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
    /// The peer's goodbye: the stream ended cleanly.
    Goodbye,
}

/// What [`BoxOpener::open_in_place`] found at the front of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A whole frame of `consumed` bytes (with any empty frames before it, which carry no data
    /// and are skipped); its plaintext, decrypted in place, is `buf[body]`, never empty.
    Message {
        /// Bytes of the buffer the frame took.
        consumed: usize,
        /// Where its plaintext is.
        body: Range<usize>,
    },
    /// The goodbye (`consumed` is 34 the first time, plus any empty frames before it; 0 after).
    /// Nothing after it is read.
    Goodbye {
        /// Bytes of the buffer the goodbye took.
        consumed: usize,
    },
    /// The frame is not complete. Its first `consumed` bytes (an opened header) are used up and
    /// must not be passed again; pass the rest again with more bytes behind it.
    Incomplete {
        /// Bytes of the buffer used up.
        consumed: usize,
    },
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

    /// Whether the peer's goodbye has been received.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// How many more bytes the frame in progress needs at least (34 for a header).
    pub fn bytes_needed(&self) -> usize {
        match self.state {
            State::Body { len, .. } => len,
            State::Header => HEADER_LEN,
            State::Ended | State::Failed => 0,
        }
    }

    /// Opens the frame at the front of `buf` in place, without copying.
    ///
    /// After an error every call fails with [`BoxStreamError::Failed`].
    pub fn open_in_place(&mut self, buf: &mut [u8]) -> Result<Opened, BoxStreamError> {
        let result = self.step(buf);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// Opens the next frame from the front of `buf`, consuming its bytes.
    ///
    /// `Ok(None)` means more bytes are needed. Bytes after a goodbye are left in `buf` and never
    /// read. After an error every call fails with [`BoxStreamError::Failed`].
    pub fn open(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, BoxStreamError> {
        Ok(match self.open_in_place(buf)? {
            Opened::Message { consumed, body } => {
                let mut frame = buf.split_to(consumed);
                frame.advance(body.start);
                Some(Frame::Message(frame))
            }
            Opened::Goodbye { consumed } => {
                buf.advance(consumed);
                Some(Frame::Goodbye)
            }
            Opened::Incomplete { consumed } => {
                buf.advance(consumed);
                None
            }
        })
    }

    /// Like [`open`](Self::open), for when the transport has ended: a frame cut short, or no
    /// goodbye, is [`BoxStreamError::Truncated`].
    pub fn open_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, BoxStreamError> {
        match self.open(buf)? {
            Some(frame) => Ok(Some(frame)),
            None => Err(self.truncated(buf.len())),
        }
    }

    /// The error for a transport that ended with `pending` bytes of an unfinished frame (after
    /// any header already opened). Fails the opener.
    pub fn truncated(&mut self, pending: usize) -> BoxStreamError {
        let received = match self.state {
            State::Body { .. } => HEADER_LEN + pending,
            _ => pending,
        };
        self.state = State::Failed;
        BoxStreamError::Truncated { bytes: received }
    }

    /// Opens one frame, skipping the empty ones before it: a length-0 header whose body MAC
    /// authenticates no bytes is a frame with no data (the JS reference yields an empty buffer
    /// for it), never an end of stream. The work is bounded by `buf`'s length.
    fn step(&mut self, buf: &mut [u8]) -> Result<Opened, BoxStreamError> {
        let mut at = 0;
        loop {
            return Ok(match self.step_one(&mut buf[at..])? {
                Opened::Message { consumed, body } if body.is_empty() => {
                    at += consumed;
                    continue;
                }
                Opened::Message { consumed, body } => Opened::Message {
                    consumed: at + consumed,
                    body: at + body.start..at + body.end,
                },
                Opened::Goodbye { consumed } => Opened::Goodbye {
                    consumed: at + consumed,
                },
                Opened::Incomplete { consumed } => Opened::Incomplete {
                    consumed: at + consumed,
                },
            });
        }
    }

    fn step_one(&mut self, buf: &mut [u8]) -> Result<Opened, BoxStreamError> {
        let mut consumed = 0;
        if self.state == State::Header {
            let Some(header) = buf.get_mut(..HEADER_LEN) else {
                return Ok(Opened::Incomplete { consumed });
            };
            self.state = self.open_header(header)?;
            consumed = HEADER_LEN;
        }
        match self.state {
            State::Body { len, tag } => {
                let Some(body) = buf.get_mut(consumed..consumed + len) else {
                    return Ok(Opened::Incomplete { consumed });
                };
                let body_nonce = nonce::successor(&self.nonce);
                if !self.key.open_detached(body, &tag, &body_nonce) {
                    return Err(BoxStreamError::InvalidBody);
                }
                nonce::increment(&mut self.nonce);
                nonce::increment(&mut self.nonce);
                self.state = State::Header;
                Ok(Opened::Message {
                    consumed: consumed + len,
                    body: consumed..consumed + len,
                })
            }
            State::Ended => Ok(Opened::Goodbye { consumed }),
            State::Header | State::Failed => Err(BoxStreamError::Failed),
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
        if usize::from(len) > MAX_BODY_LEN {
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
