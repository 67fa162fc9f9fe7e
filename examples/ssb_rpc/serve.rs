//! The server half: answers muxrpc `async` calls (`whoami`, `greet.hello`) over TCP and,
//! optionally, WebSocket, one task per client.

use std::future::pending;
use std::io::{self, Write};

use futures::StreamExt;
use secret_handshake::websocket::Config;
use secret_handshake::{
    AcceptError, AllowAll, BoxStream, Connection, Keypair, Listener, NetworkKey, PeerAddr,
    PublicKey, Server,
};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinSet;
use tokio_util::codec::Framed;

use super::codec::{Frame, PacketCodec};
use super::muxrpc::{self, RemoteError, Rpc};

/// Listens on `net_at` (and `ws_at`, for WebSocket), prints our multiserver address on `out`,
/// then serves until killed, printing a line for each client when it is done.
pub async fn serve(
    keypair: Keypair,
    net_at: &str,
    ws_at: Option<&str>,
    mut out: impl Write,
) -> io::Result<()> {
    let server = Server::new(keypair, NetworkKey::ssb_main_net(), AllowAll);
    let me = *server.identity();
    let mut net = Listener::bind(net_at, server.clone()).await?;
    let mut address = format!("net:{}~shs:{}", net.local_addr()?, me.to_base64());
    let mut ws = None;
    if let Some(ws_at) = ws_at {
        let listener = Listener::bind(ws_at, server.clone())
            .await?
            .with_websocket(Config::default());
        address += &format!(";ws://{}~shs:{}", listener.local_addr()?, me.to_base64());
        ws = Some(listener);
    }
    writeln!(out, "{address}")?;
    out.flush()?;

    let mut clients = JoinSet::new();
    loop {
        let line = tokio::select! {
            accepted = net.accept() => match accepted {
                Ok((stream, peer)) => {
                    clients.spawn(async move { serve_tcp(stream, peer, &me).await });
                    continue;
                }
                Err(AcceptError::Listen(e)) => return Err(e),
                Err(e) => e.to_string(),
            },
            accepted = next_ws(&mut ws) => match accepted {
                Ok((stream, peer)) => {
                    clients.spawn(serve_ws(stream, peer, me));
                    continue;
                }
                Err(AcceptError::Listen(e)) => return Err(e),
                Err(e) => e.to_string(),
            },
            Some(Ok(line)) = clients.join_next() => line,
        };
        writeln!(out, "{line}")?;
        out.flush()?;
    }
}

type Stream = BoxStream<Connection>;

async fn next_ws(
    listener: &mut Option<Listener<AllowAll>>,
) -> Result<(Stream, PeerAddr), AcceptError> {
    match listener {
        Some(listener) => listener.accept().await,
        None => pending().await,
    }
}

/// Serves a TCP client; returns a line saying how it went.
async fn serve_tcp(stream: Stream, peer: PeerAddr, me: &PublicKey) -> String {
    let who = format!("{peer} {}", stream.peer_key());
    let (calls, mut rpc) = match answer_calls(stream, me).await {
        Ok(done) => done,
        Err(e) => return format!("{who}: {e}"),
    };
    let ended = async {
        muxrpc::say_goodbye(&mut rpc).await?;
        muxrpc::read_to_end(&mut rpc).await
    };
    match ended.await {
        Ok(()) => format!("{who}: {calls} answered, closed cleanly"),
        // JS muxrpc, after its packet-stream goodbye, hangs up without box-stream's.
        Err(e) if is_hang_up(&e) => format!("{who}: {calls} answered, then the peer hung up"),
        Err(e) => format!("{who}: {calls} answered, then {e}"),
    }
}

/// Serves a WebSocket client; returns a line saying how it went.
async fn serve_ws(stream: Stream, peer: PeerAddr, me: PublicKey) -> String {
    let who = format!("{peer} {}", stream.peer_key());
    let ended = async {
        let (calls, mut rpc) = answer_calls(stream, &me).await?;
        muxrpc::say_goodbye(&mut rpc).await?;
        // A JS client sends no box-stream goodbye over WebSocket and waits for us to end it:
        // the WebSocket's second shutdown (the box-stream's was the first) is its Close
        // handshake, which skips what the peer still sends.
        let mut stream = rpc.into_inner();
        tokio::time::timeout(muxrpc::CLOSE_TIMEOUT, stream.get_mut().shutdown()).await??;
        Ok::<_, io::Error>(calls)
    };
    match ended.await {
        Ok(calls) => format!("{who}: {calls} answered, closed with the WebSocket Close"),
        Err(e) => format!("{who}: {e}"),
    }
}

fn is_hang_up(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        UnexpectedEof | ConnectionReset | BrokenPipe | NotConnected
    )
}

/// Answers one client's calls until its goodbye (or the end of its box-stream). Returns the
/// number of calls answered.
async fn answer_calls<IO>(stream: BoxStream<IO>, me: &PublicKey) -> io::Result<(usize, Rpc<IO>)>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut rpc = Framed::new(stream, PacketCodec);
    let mut calls = 0;
    while let Some(frame) = rpc.next().await {
        let request = match frame? {
            Frame::Packet(packet) if packet.req > 0 && !packet.end => packet,
            Frame::Packet(_) => continue, // an answer (we call nothing), or the end of a stream
            Frame::Goodbye => break,
        };
        let answer = match request.stream {
            true => Err(RemoteError::new("only async calls here")),
            false => {
                let call = muxrpc::body_value(&request)?;
                // JS muxrpc sends no "type" on async calls: it is optional.
                match call["type"].as_str() {
                    None | Some("async") => answer(me, &call["name"], &call["args"]),
                    Some(other) => Err(RemoteError::new(format!(
                        "only async calls here, not {other}"
                    ))),
                }
            }
        };
        muxrpc::reply(&mut rpc, &request, answer).await?;
        calls += 1;
    }
    Ok((calls, rpc))
}

/// The methods: `whoami` and `greet.hello(name)`.
fn answer(me: &PublicKey, name: &Value, args: &Value) -> Result<Value, RemoteError> {
    let dotted = name.as_array().map(|parts| {
        let parts: Vec<_> = parts.iter().map(|p| p.as_str().unwrap_or("?")).collect();
        parts.join(".")
    });
    match (dotted.as_deref(), args[0].as_str()) {
        (Some("whoami"), _) => Ok(json!({"id": me.to_ssb_id()})),
        (Some("greet.hello"), Some(who)) => Ok(format!("Hello, {who}!").into()),
        (Some("greet.hello"), None) => Err(RemoteError::new("greet.hello takes a name")),
        (Some(method), _) => Err(RemoteError::new(format!("no method {method} here"))),
        (None, _) => Err(RemoteError::new(format!("not a method name: {name}"))),
    }
}
