//! packet-stream, the framing under muxrpc, as a `tokio_util::codec` `Decoder`/`Encoder`.
//!
//! Each packet is a 9-byte header and a body: one flags byte (`0x08` stream, `0x04` end or
//! error, `0x03` the body's type: 0 binary, 1 UTF-8 string, 2 JSON), the body's length (`u32`,
//! big-endian) and the request number (`i32`, big-endian: positive for requests, its negation
//! for their answers). Nine zero bytes are the goodbye that ends the packet stream.

use std::io;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

const HEADER_LEN: usize = 9;
const STREAM: u8 = 0x08;
const END: u8 = 0x04;
/// Largest body accepted or sent: packet-stream sets none, but a peer must not make us buffer
/// without bound. Scuttlebutt's largest answers (blobs come in chunks) are far smaller.
pub const MAX_BODY: usize = 8 << 20;

/// How a packet's body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyType {
    Binary = 0,
    Utf8 = 1,
    Json = 2,
}

/// One packet-stream packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Part of a stream (`source`, `sink`, `duplex` calls) rather than one request or answer.
    pub stream: bool,
    /// The end of a stream, or (on an answer) an error.
    pub end: bool,
    pub body_type: BodyType,
    /// Positive on requests, negative on answers (the request's number negated).
    pub req: i32,
    pub body: Bytes,
}

impl Packet {
    /// A JSON packet.
    pub fn json(req: i32, end: bool, value: &serde_json::Value) -> Packet {
        Packet {
            stream: false,
            end,
            body_type: BodyType::Json,
            req,
            body: serde_json::to_vec(value)
                .expect("a Value serialises")
                .into(),
        }
    }
}

/// What travels on a packet stream: packets, then the goodbye.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Packet(Packet),
    /// Nine zero bytes: the sender sends no more packets.
    Goodbye,
}

/// The packet-stream codec. Stateless: a header is parsed again until its body has arrived.
#[derive(Clone, Copy, Debug, Default)]
pub struct PacketCodec;

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl Decoder for PacketCodec {
    type Item = Frame;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Frame>> {
        let Some(header) = src.get(..HEADER_LEN) else {
            src.reserve(HEADER_LEN - src.len());
            return Ok(None);
        };
        if header.iter().all(|&b| b == 0) {
            src.advance(HEADER_LEN);
            return Ok(Some(Frame::Goodbye));
        }
        let flags = header[0];
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        let req = i32::from_be_bytes([header[5], header[6], header[7], header[8]]);
        let body_type = match flags & 0x03 {
            0 => BodyType::Binary,
            1 => BodyType::Utf8,
            2 => BodyType::Json,
            _ => return Err(invalid(format!("packet {req}: unknown body type 3"))),
        };
        if len > MAX_BODY {
            return Err(invalid(format!(
                "packet {req}: body of {len} bytes, over {MAX_BODY}"
            )));
        }
        if src.len() < HEADER_LEN + len {
            src.reserve(HEADER_LEN + len - src.len());
            return Ok(None);
        }
        src.advance(HEADER_LEN);
        let body = src.split_to(len).freeze();
        let (stream, end) = (flags & STREAM != 0, flags & END != 0);
        Ok(Some(Frame::Packet(Packet {
            stream,
            end,
            body_type,
            req,
            body,
        })))
    }
}

impl Encoder<Frame> for PacketCodec {
    type Error = io::Error;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> io::Result<()> {
        let packet = match frame {
            Frame::Goodbye => {
                dst.put_bytes(0, HEADER_LEN);
                return Ok(());
            }
            Frame::Packet(packet) => packet,
        };
        let len = packet.body.len();
        if len > MAX_BODY {
            let req = packet.req;
            return Err(invalid(format!(
                "packet {req}: body of {len} bytes, over {MAX_BODY}"
            )));
        }
        let flags = packet.body_type as u8
            | if packet.stream { STREAM } else { 0 }
            | if packet.end { END } else { 0 };
        dst.reserve(HEADER_LEN + len);
        dst.put_u8(flags);
        dst.put_u32(len as u32); // at most MAX_BODY
        dst.put_i32(packet.req);
        dst.put_slice(&packet.body);
        Ok(())
    }
}
