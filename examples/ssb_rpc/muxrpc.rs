//! muxrpc's `async` calls over packet-stream over a box-stream: calling one, answering one,
//! and the clean end of both layers.

use std::fmt;
use std::io;
use std::time::Duration;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use secret_handshake::BoxStream;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::Framed;

use super::codec::{BodyType, Frame, Packet, PacketCodec};

/// A muxrpc connection: packets over an authenticated, encrypted box-stream.
pub type Rpc<IO> = Framed<BoxStream<IO>, PacketCodec>;

/// How long [`read_to_end`] waits for the peer's goodbyes.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// An error answer: the JSON `{name, message, stack}` of a JS `Error`.
#[derive(Debug)]
pub struct RemoteError {
    pub name: String,
    pub message: String,
}

impl RemoteError {
    pub fn new(message: impl Into<String>) -> RemoteError {
        RemoteError {
            name: "Error".into(),
            message: message.into(),
        }
    }

    fn from_body(body: Value) -> RemoteError {
        let text = |key| body.get(key).and_then(Value::as_str).map(str::to_owned);
        match (text("name"), text("message")) {
            (name, Some(message)) => RemoteError {
                name: name.unwrap_or("Error".into()),
                message,
            },
            _ => RemoteError::new(body.to_string()),
        }
    }

    fn to_body(&self) -> Value {
        json!({"name": self.name, "message": self.message, "stack": ""})
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// A body as JSON: JSON as it is, a string as a JSON string, binary as a base64 string.
pub fn body_value(packet: &Packet) -> io::Result<Value> {
    match packet.body_type {
        BodyType::Json => serde_json::from_slice(&packet.body)
            .map_err(|e| invalid(format!("packet {}: body is not JSON: {e}", packet.req))),
        BodyType::Utf8 => String::from_utf8(packet.body.to_vec())
            .map(Value::String)
            .map_err(|_| invalid(format!("packet {}: string body is not UTF-8", packet.req))),
        BodyType::Binary => Ok(base64::engine::general_purpose::STANDARD
            .encode(&packet.body)
            .into()),
    }
}

/// Our one request's number; its answer comes back as `-REQ`.
const REQ: i32 = 1;

/// Calls the `async` method `name` (`["greet", "hello"]`) with `args` (a JSON array). The
/// outer error is the connection's; the inner one the peer's error answer.
pub async fn call<IO>(
    rpc: &mut Rpc<IO>,
    name: &[&str],
    args: Value,
) -> io::Result<Result<Value, RemoteError>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let request = json!({"name": name, "args": args, "type": "async"});
    rpc.send(Frame::Packet(Packet::json(REQ, false, &request)))
        .await?; // sends: it flushes
    while let Some(frame) = rpc.next().await {
        match frame? {
            Frame::Packet(answer) if answer.req == -REQ && !answer.stream => {
                let value = body_value(&answer)?;
                return Ok(if answer.end {
                    Err(RemoteError::from_body(value))
                } else {
                    Ok(value)
                });
            }
            Frame::Packet(request) if request.req > 0 && !request.end => {
                let refusal = RemoteError::new("this client answers no calls");
                reply(rpc, &request, Err(refusal)).await?;
            }
            Frame::Packet(_) => {} // not ours, or the end of a stream
            Frame::Goodbye => break,
        }
    }
    Err(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the peer hung up before answering",
    ))
}

/// Answers `request`.
pub async fn reply<IO>(
    rpc: &mut Rpc<IO>,
    request: &Packet,
    answer: Result<Value, RemoteError>,
) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut packet = match answer {
        Ok(value) => Packet::json(-request.req, false, &value),
        Err(error) => Packet::json(-request.req, true, &error.to_body()),
    };
    // A stream request (`source`, `sink`, `duplex`) is answered by ending the stream.
    packet.stream = request.stream;
    packet.end |= request.stream;
    rpc.send(Frame::Packet(packet)).await
}

/// Our goodbyes, one per layer: packet-stream's, then box-stream's (its `shutdown`, which
/// `close` calls). Reading goes on: the peer's goodbyes are still to come.
pub async fn say_goodbye<IO>(rpc: &mut Rpc<IO>) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    rpc.send(Frame::Goodbye).await?;
    rpc.close().await
}

/// Reads up to the end of the box-stream (the peer's goodbye), skipping what comes before,
/// for [`CLOSE_TIMEOUT`] at most.
pub async fn read_to_end<IO>(rpc: &mut Rpc<IO>) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let drain = async {
        while let Some(frame) = rpc.next().await {
            frame?;
        }
        Ok(())
    };
    tokio::time::timeout(CLOSE_TIMEOUT, drain)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the peer did not say goodbye"))?
}
