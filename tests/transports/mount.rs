//! The WebSocket endpoint mounted on a path of a real HTTP server (hyper 1): the server routes
//! `/ssb` to an upgrade, answers 101 with `websocket::accept_key`, and hands the upgraded
//! connection to `WsTransport::from_upgraded`; other paths stay ordinary HTTP.

use crate::common;

use std::convert::Infallible;

use hyper::body::Incoming;
use hyper::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use secret_handshake::websocket::{self, Config, DialOptions, WsTransport};
use secret_handshake::{AllowAll, Client, Keypair, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use common::{net, payload, ws::exchange};

/// `/ssb` upgrades and runs the secret handshake (sending `data`); anything else is a page.
async fn route(
    mut request: Request<Incoming>,
    server: Server<AllowAll>,
    data: Vec<u8>,
    received: mpsc::UnboundedSender<Vec<u8>>,
) -> Result<Response<String>, Infallible> {
    let key = request.headers().get(SEC_WEBSOCKET_KEY).cloned();
    let (true, Some(key)) = (request.uri().path() == "/ssb", key) else {
        return Ok(Response::new("an ordinary page".to_owned()));
    };
    tokio::spawn(async move {
        let upgraded = hyper::upgrade::on(&mut request).await.expect("upgrade");
        let ws = WsTransport::from_upgraded(TokioIo::new(upgraded), &Config::default()).await;
        let stream = server.accept(ws).await.expect("secret handshake");
        let _ = received.send(exchange(stream, &data, false).await.0);
    });
    let response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_ACCEPT, websocket::accept_key(key.as_bytes()))
        .body(String::new())
        .unwrap();
    Ok(response)
}

#[tokio::test]
async fn an_http_server_hands_its_upgraded_connection_to_the_secret_handshake() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let key = *server.identity();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let to_client = payload(60_000, 1);
    let data = to_client.clone();
    let (received, mut server_received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (server, data, received) = (server.clone(), data.clone(), received.clone());
            let service =
                service_fn(move |r| route(r, server.clone(), data.clone(), received.clone()));
            tokio::spawn(
                http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .with_upgrades(),
            );
        }
    });

    // An ordinary request is still HTTP.
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).await.unwrap();
    assert!(
        page.starts_with("HTTP/1.1 200") && page.ends_with("an ordinary page"),
        "{page}"
    );

    // The mounted path carries a secret handshake.
    let client = Client::new(Keypair::generate(), net());
    let ws = websocket::open(
        &format!("ws://127.0.0.1:{port}/ssb"),
        &DialOptions::default(),
    )
    .await
    .expect("upgrade through the HTTP server");
    let stream = client.connect(ws, &key).await.expect("secret handshake");
    let to_server = payload(50_000, 2);
    let (received, _) = exchange(stream, &to_server, false).await;
    assert!(
        received == to_client,
        "client received {} bytes",
        received.len()
    );
    let got = server_received
        .recv()
        .await
        .expect("the server's session ended");
    assert!(got == to_server, "server received {} bytes", got.len());
}
