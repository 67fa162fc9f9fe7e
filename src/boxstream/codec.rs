//! A `tokio_util::codec` view of box-stream: a `Stream` of decrypted messages and a `Sink` of
//! messages to seal, the pull-stream style of the JS reference.

use std::io;

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use super::{BoxOpener, BoxSealer, Frame};
use crate::handshake::SessionKeys;

/// Box-stream as a codec, for `Framed` on a transport that has completed the handshake.
///
/// Decoding yields each decrypted frame body; the stream ends cleanly at the transport's EOF after
/// the peer's goodbye (data after a goodbye is ignored), and fails with `UnexpectedEof` if the
/// transport ends without one. Encoding seals any byte slice; send [`Goodbye`] before closing the
/// sink to end the stream cleanly.
#[derive(Debug)]
pub struct BoxStreamCodec {
    sealer: BoxSealer,
    opener: BoxOpener,
    said_goodbye: bool,
}

/// Sink item that sends the goodbye frame, the clean end of our direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goodbye;

impl BoxStreamCodec {
    /// A codec for the session these keys came from.
    pub fn new(keys: SessionKeys) -> Self {
        let (sealer, opener) = keys.into_box_stream();
        Self::from_parts(sealer, opener)
    }

    /// A codec from a sealer and an opener.
    pub fn from_parts(sealer: BoxSealer, opener: BoxOpener) -> Self {
        BoxStreamCodec {
            sealer,
            opener,
            said_goodbye: false,
        }
    }

    fn check_open(&self) -> io::Result<()> {
        if self.said_goodbye {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "box-stream: cannot send after goodbye",
            ));
        }
        Ok(())
    }
}

impl Decoder for BoxStreamCodec {
    type Item = BytesMut;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        let frame = self.opener.open(src)?;
        Ok(into_item(frame, src))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        let frame = self.opener.open_eof(src)?;
        Ok(into_item(frame, src))
    }
}

/// A message body is an item; a goodbye ends the stream (at the transport's EOF).
fn into_item(frame: Option<Frame>, src: &mut BytesMut) -> Option<BytesMut> {
    match frame? {
        Frame::Message(body) => Some(body),
        Frame::Goodbye => {
            // Nothing after a goodbye is read; drop it so the buffer does not grow.
            src.clear();
            None
        }
    }
}

impl<T: AsRef<[u8]>> Encoder<T> for BoxStreamCodec {
    type Error = io::Error;

    fn encode(&mut self, item: T, dst: &mut BytesMut) -> io::Result<()> {
        self.check_open()?;
        self.sealer.seal(item.as_ref(), dst);
        Ok(())
    }
}

impl Encoder<Goodbye> for BoxStreamCodec {
    type Error = io::Error;

    fn encode(&mut self, _: Goodbye, dst: &mut BytesMut) -> io::Result<()> {
        self.check_open()?;
        self.sealer.seal_goodbye(dst);
        self.said_goodbye = true;
        Ok(())
    }
}
