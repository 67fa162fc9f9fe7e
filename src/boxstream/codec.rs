//! A `tokio_util::codec` view of box-stream: a `Stream` of decrypted frames and a `Sink` of
//! messages to seal, the pull-stream style of the JS reference.

use std::io;

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use super::{BoxOpener, BoxSealer, BoxStreamKeys, Frame};

/// Box-stream as a codec, for `Framed` on a transport that has completed the handshake.
///
/// Decoding yields each decrypted message as [`Frame::Message`], then one [`Frame::Goodbye`]
/// as soon as the peer's goodbye arrives, without waiting for the transport to end (some peers
/// keep it open until they get our goodbye). After the goodbye nothing more is decoded: the
/// stream ends (`None`) at the transport's EOF. A transport that ends without a goodbye fails
/// with `UnexpectedEof`.
///
/// Encoding seals any byte slice; send [`Goodbye`] to end our direction cleanly. **`Framed`'s
/// own `close` does not send it**: a codec has no say in closing, so `SinkExt::close` only
/// flushes and shuts the transport down, and the peer sees a truncation (`UnexpectedEof`).
/// (`framed.close()` also needs the item type spelled out, `SinkExt::<Goodbye>::close`,
/// since the codec encodes several types.) `framed.send(Goodbye)` seals and flushes it;
/// [`BoxFramed`](crate::BoxFramed) wraps this codec with a `close` that does it for you.
///
/// ```no_run
/// # use secret_handshake::boxstream::BoxStreamKeys;
/// # async fn demo(tcp: tokio::net::TcpStream, keys: BoxStreamKeys) -> std::io::Result<()> {
/// use futures::{SinkExt, TryStreamExt};
/// use secret_handshake::boxstream::{BoxStreamCodec, Frame, Goodbye};
/// use tokio_util::codec::Framed;
///
/// let mut framed = Framed::new(tcp, BoxStreamCodec::new(keys));
/// while let Some(Frame::Message(message)) = framed.try_next().await? {
///     println!("{} bytes", message.len());
/// } // ends at the peer's goodbye
/// framed.send(Goodbye).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct BoxStreamCodec {
    sealer: BoxSealer,
    opener: BoxOpener,
    said_goodbye: bool,
    heard_goodbye: bool,
}

/// Sink item that sends the goodbye frame, the clean end of our direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goodbye;

impl BoxStreamCodec {
    /// A codec for the session these keys came from.
    pub fn new(keys: BoxStreamKeys) -> Self {
        let (sealer, opener) = keys.into_sealer_and_opener();
        Self::from_parts(sealer, opener)
    }

    /// A codec from a sealer and an opener.
    pub fn from_parts(sealer: BoxSealer, opener: BoxOpener) -> Self {
        BoxStreamCodec {
            sealer,
            opener,
            said_goodbye: false,
            heard_goodbye: false,
        }
    }

    /// Whether the peer's goodbye has been decoded.
    pub fn is_ended(&self) -> bool {
        self.heard_goodbye
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

    /// The goodbye is yielded once; after it, everything is discarded unread.
    fn after(&mut self, frame: Option<Frame>, src: &mut BytesMut) -> Option<Frame> {
        match frame? {
            Frame::Goodbye => {
                src.clear();
                (!std::mem::replace(&mut self.heard_goodbye, true)).then_some(Frame::Goodbye)
            }
            message => Some(message),
        }
    }
}

impl Decoder for BoxStreamCodec {
    type Item = Frame;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Frame>> {
        let frame = self.opener.open(src)?;
        Ok(self.after(frame, src))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Frame>> {
        let frame = self.opener.open_eof(src)?;
        Ok(self.after(frame, src))
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
