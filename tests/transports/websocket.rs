//! The WebSocket transport's semantics, against a raw tungstenite peer and against itself:
//! the upgrade as multiserver does it, any chunking in, binary messages only, pings, no
//! half-close, and `close` ending the TCP connection.

use crate::common;

use std::io;
use std::time::Duration;

use common::payload;
use common::ws::exchange;
use futures::{SinkExt, StreamExt};
use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::websocket::{self, Error, WsTransport};
use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::client::Response as ClientResponse;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Raw = WebSocketStream<TcpStream>;

fn ws_addr(port: u16) -> MultiserverAddress {
    MultiserverAddress::ws("127.0.0.1", port, *Keypair::from_seed(&[1; 32]).public())
}

async fn listen() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Our transport as the server, and a raw tungstenite client requesting `url_path`.
async fn ours_serving(request: Request) -> (WsTransport<TcpStream>, Raw, ClientResponse) {
    let (listener, port) = listen().await;
    let mut request = request;
    *request.uri_mut() = format!("ws://127.0.0.1:{port}{}", request.uri())
        .parse()
        .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (ours, raw) = tokio::join!(
        async { WsTransport::accept(listener.accept().await.unwrap().0).await },
        tokio_tungstenite::client_async(request, tcp)
    );
    let (raw, response) = raw.expect("raw client upgrade");
    (ours.expect("our upgrade"), raw, response)
}

/// Our transport as the client, and a raw tungstenite server; returns the request it got.
async fn ours_dialling() -> (WsTransport<TcpStream>, Raw, Request) {
    let (listener, port) = listen().await;
    let (tx, rx) = std::sync::mpsc::channel();
    // tungstenite's callback type fixes its (large) error type.
    #[allow(clippy::result_large_err)]
    let callback = move |request: &Request, response: Response| {
        let _ = tx.send(request.clone());
        Ok(response)
    };
    let (ours, raw) = tokio::join!(
        async {
            let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let url = format!("ws://127.0.0.1:{port}/");
            WsTransport::connect_with(tcp, &url, &websocket::Config::default()).await
        },
        async {
            let tcp = listener.accept().await.unwrap().0;
            tokio_tungstenite::accept_hdr_async(tcp, callback).await
        }
    );
    (
        ours.expect("our upgrade"),
        raw.expect("raw upgrade"),
        rx.recv().unwrap(),
    )
}

fn plain_request() -> Request {
    Request::builder()
        .uri("/")
        .header("Host", "127.0.0.1")
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(())
        .unwrap()
}

/// The next message the raw peer gets within `ms`, skipping nothing.
async fn next_within(raw: &mut Raw, ms: u64) -> Option<Option<Message>> {
    match tokio::time::timeout(Duration::from_millis(ms), raw.next()).await {
        Ok(item) => Some(item.map(|m| m.expect("raw read"))),
        Err(_) => None,
    }
}

#[tokio::test]
async fn dialling_requests_path_slash_without_origin_protocol_or_extensions() {
    let (_ours, _raw, request) = ours_dialling().await;
    assert_eq!(request.uri().path(), "/");
    for header in [
        "Origin",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
    ] {
        assert!(request.headers().get(header).is_none(), "{header} sent");
    }
}

#[tokio::test]
async fn accepting_takes_any_path_and_declines_permessage_deflate() {
    let mut request = plain_request();
    *request.uri_mut() = "/some/where?x=1".parse().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Extensions",
        "permessage-deflate; client_max_window_bits"
            .parse()
            .unwrap(),
    );
    let (mut ours, mut raw, response) = ours_serving(request).await;
    assert!(response.headers().get("Sec-WebSocket-Extensions").is_none());
    raw.send(Message::binary(&b"hi"[..])).await.unwrap();
    let mut got = [0; 2];
    ours.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"hi");
}

#[tokio::test]
async fn reads_take_any_chunking_and_the_peers_close_is_eof() {
    let (mut ours, mut raw, _) = ours_serving(plain_request()).await;
    let data = payload(50_000, 1);
    let mut rest = &data[..];
    // Empty messages, one-byte messages, and messages of many box-stream frames.
    for size in [0, 1, 1, 0, 34, 4130, 0, 3 * 4130, 1].into_iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (message, more) = rest.split_at(size.min(rest.len()));
        raw.send(Message::binary(message.to_vec())).await.unwrap();
        rest = more;
    }
    raw.send(Message::Close(None)).await.unwrap();
    let mut got = Vec::new();
    ours.read_to_end(&mut got)
        .await
        .expect("EOF at the peer's Close");
    assert_eq!(got, data);
    assert!(ours.is_closed_by_peer());
    assert_eq!(ours.read(&mut [0; 8]).await.unwrap(), 0, "EOF stays");
    // Our reply to its Close went out while reading, and nothing can be sent after it.
    assert!(matches!(
        next_within(&mut raw, 2000).await,
        Some(Some(Message::Close(_)))
    ));
    let e = ours.write_all(b"late").await.expect_err("sent after Close");
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{e}");
    ours.shutdown()
        .await
        .expect("a first shutdown only flushes");
    ours.shutdown()
        .await
        .expect("a second ends the WebSocket, after the peer's Close");
    // The raw client sees the TCP connection end, though we still hold the transport.
    assert!(matches!(next_within(&mut raw, 2000).await, Some(None)));
}

#[tokio::test]
async fn a_text_message_is_invalid_data_for_good() {
    let (mut ours, mut raw, _) = ours_serving(plain_request()).await;
    raw.send(Message::text("hello")).await.unwrap();
    for _ in 0..2 {
        let e = ours.read(&mut [0; 8]).await.expect_err("text");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        assert!(e.to_string().contains("text message"), "{e}");
    }
}

#[tokio::test]
async fn pings_are_answered_while_reading() {
    let (mut ours, mut raw, _) = ours_dialling().await;
    raw.send(Message::Ping(b"are you there"[..].into()))
        .await
        .unwrap();
    raw.send(Message::binary(&b"x"[..])).await.unwrap();
    let mut got = [0; 1];
    ours.read_exact(&mut got).await.unwrap();
    match next_within(&mut raw, 2000).await {
        Some(Some(Message::Pong(p))) => assert_eq!(&p[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
}

#[tokio::test]
async fn a_first_shutdown_sends_no_close_and_a_second_ends_the_tcp_connection() {
    let (mut ours, mut raw, _) = ours_serving(plain_request()).await;
    assert_eq!(ours.write(&[]).await.unwrap(), 0);
    assert_eq!(
        ours.read(&mut []).await.unwrap(),
        0,
        "an empty read returns at once"
    );
    ours.write_all(&payload(100_000, 2)).await.unwrap();
    ours.shutdown().await.unwrap();
    let mut got = Vec::new();
    while got.len() < 100_000 {
        match next_within(&mut raw, 2000).await {
            Some(Some(Message::Binary(b))) => {
                assert!(!b.is_empty() && b.len() <= 16 * 1024, "{} bytes", b.len());
                got.extend_from_slice(&b);
            }
            other => panic!("expected data, got {other:?}"),
        }
    }
    assert_eq!(got, payload(100_000, 2));
    assert!(
        next_within(&mut raw, 300).await.is_none(),
        "shutdown sent more"
    );
    // The peer can still send after our shutdown.
    raw.send(Message::binary(&b"still here"[..])).await.unwrap();
    let mut late = [0; 10];
    ours.read_exact(&mut late).await.unwrap();
    assert_eq!(&late, b"still here");

    let raw_side = async {
        let first = next_within(&mut raw, 2000).await;
        let end = next_within(&mut raw, 2000).await;
        (first, end)
    };
    let (closed, (first, end)) = tokio::join!(ours.shutdown(), raw_side);
    closed.expect("the second shutdown");
    assert!(matches!(first, Some(Some(Message::Close(_)))), "{first:?}");
    assert!(matches!(end, Some(None)), "TCP still open: {end:?}");
    ours.shutdown().await.expect("and again: done");
}

#[tokio::test]
async fn dialling_refuses_what_it_cannot_reach() {
    let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
    let options = websocket::DialOptions::default();
    let e = websocket::open("net:127.0.0.1:1", &options)
        .await
        .expect_err("net");
    assert!(matches!(e, Error::Unsupported(_)), "{e}");

    let (listener, port) = listen().await;
    drop(listener);
    let e = common::ws::connect(&client, &ws_addr(port))
        .await
        .expect_err("closed");
    assert!(
        matches!(e, Error::Connect(_)) && e.phase().is_none(),
        "{e:?}"
    );

    // An HTTP server that does not upgrade.
    let (listener, port) = listen().await;
    let http = async {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut request = [0; 1024];
        let _ = tcp.read(&mut request).await;
        let _ = tcp
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await;
    };
    let addr = ws_addr(port);
    let (e, ()) = tokio::join!(common::ws::connect(&client, &addr), http);
    let e = e.expect_err("404");
    assert!(matches!(e, Error::Upgrade(_)), "{e:?}");
    assert!(
        e.to_string().starts_with("WebSocket upgrade failed: "),
        "{e}"
    );
}

#[tokio::test]
async fn our_client_and_server_end_cleanly_from_either_side() {
    let network = NetworkKey::ssb_main_net();
    let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
    let client = Client::new(Keypair::generate(), network);
    for (size, client_waits) in [(0, false), (1, true), (1 << 20, false), (300_000, true)] {
        let (listener, port) = listen().await;
        let mut addr = ws_addr(port);
        addr.key = *server.identity();
        let (a, b) = tokio::join!(common::ws::connect(&client, &addr), async {
            websocket::accept(&server, listener.accept().await.unwrap().0).await
        });
        let (a, b) = (a.expect("connect"), b.expect("accept"));
        assert_eq!(b.peer_key(), client.identity());
        let (to_server, to_client) = (payload(size, 3), payload(size + 5, 4));
        let ((at_client, _), (at_server, _)) = tokio::join!(
            exchange(a, &to_server, client_waits),
            exchange(b, &to_client, !client_waits)
        );
        assert!(
            at_client == to_client && at_server == to_server,
            "{size} bytes"
        );
    }
}
#[tokio::test]
async fn accepting_on_one_path_answers_others_with_404_and_the_dialled_path_is_requested() {
    use secret_handshake::websocket::{Config, DialOptions};
    let config = Config::default().with_path("/ssb");
    let options = DialOptions::default();
    for (path, ok) in [("/ssb", true), ("/", false), ("/ssb/x", false)] {
        let (listener, port) = listen().await;
        let url = format!("ws://127.0.0.1:{port}{path}");
        let (ours, theirs) = tokio::join!(websocket::open(&url, &options), async {
            WsTransport::accept_with(listener.accept().await.unwrap().0, &config).await
        });
        if ok {
            ours.expect("dial");
            theirs.expect("accept");
            continue;
        }
        let dial = ours.expect_err("404");
        assert!(dial.to_string().contains("404"), "{dial}");
        let accept = theirs.expect_err("other path");
        assert!(
            matches!(&accept, Error::Upgrade(e) if e.kind() == std::io::ErrorKind::NotFound),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn dialling_a_net_port_says_the_transports_may_be_mixed_up() {
    // A secret-handshake server over TCP takes the HTTP request for a bad hello and hangs up.
    let (listener, port) = listen().await;
    let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
    let serving = async {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = server.accept(tcp).await;
    };
    let url = format!("ws://127.0.0.1:{port}/");
    let options = websocket::DialOptions::default();
    let (dial, ()) = tokio::join!(websocket::open(&url, &options), serving);
    let e = dial.expect_err("not a WebSocket server");
    assert!(
        matches!(e, Error::Upgrade(_)) && e.to_string().contains("net:"),
        "{e}"
    );
}

/// Upgrades through a raw tungstenite server whose `101` is changed by `edit`: what our client
/// makes of it.
async fn dial_through_edited_101(edit: fn(&mut Response)) -> Error {
    let (listener, port) = listen().await;
    // tungstenite's callback type fixes its (large) error type.
    #[allow(clippy::result_large_err)]
    let callback = move |_: &Request, mut response: Response| {
        edit(&mut response);
        Ok(response)
    };
    let url = format!("ws://127.0.0.1:{port}/");
    let options = websocket::DialOptions::default();
    let (ours, _theirs) = tokio::join!(websocket::open(&url, &options), async {
        let tcp = listener.accept().await.unwrap().0;
        tokio_tungstenite::accept_hdr_async(tcp, callback).await
    });
    ours.expect_err("refused")
}

#[tokio::test]
async fn a_101_with_an_extension_we_never_offered_is_refused() {
    let e = dial_through_edited_101(|response| {
        let deflate = "permessage-deflate; client_max_window_bits"
            .parse()
            .unwrap();
        response
            .headers_mut()
            .insert("Sec-WebSocket-Extensions", deflate);
    })
    .await;
    assert!(matches!(&e, Error::Upgrade(_)), "{e}");
    assert!(e.to_string().contains("extension"), "{e}");
    assert!(!e.to_string().contains("net:"), "{e}");
}

#[tokio::test]
async fn a_wrong_accept_key_gets_no_net_port_hint() {
    let e = dial_through_edited_101(|response| {
        let wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse().unwrap();
        response.headers_mut().insert("Sec-WebSocket-Accept", wrong);
    })
    .await;
    assert!(matches!(&e, Error::Upgrade(_)), "{e}");
    assert!(e.to_string().contains("Accept"), "{e}");
    assert!(!e.to_string().contains("net:"), "{e}");
}

#[tokio::test]
async fn dialling_a_websocket_port_as_net_says_so() {
    let (listener, port) = listen().await;
    let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
    let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
    let serving = async {
        let (tcp, _) = listener.accept().await.unwrap();
        websocket::accept(&server, tcp).await.expect_err("not HTTP")
    };
    let dial = async {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        client.connect(tcp, server.identity()).await
    };
    let (ours, theirs) = tokio::join!(dial, serving);
    let e = ours.expect_err("a WebSocket port");
    assert!(
        matches!(e, secret_handshake::HandshakeError::HttpReply),
        "{e}"
    );
    assert!(e.to_string().contains("ws://"), "{e}");
    assert!(theirs.to_string().contains("net:"), "{theirs}");
}
