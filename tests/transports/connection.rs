//! One `Connection` under every dialled and accepted stream: the same code (here `exchange` and
//! `echo_accepted`) serves both directions over TCP, WebSocket and a unix socket, and each end
//! says which transport it is on, where it leads and which TCP connection is beneath.

use secret_handshake::multiserver::TransportKind;
use secret_handshake::websocket::Config;
use secret_handshake::{dial, AllowAll, BoxStream, Client, Connection, Keypair, Listener, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::dial::{exchange, TempDir};
use crate::common::net;

/// What an echo server does with an accepted stream: the same type a dial returns.
async fn echo_accepted(mut stream: BoxStream<Connection>) -> Vec<u8> {
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await.expect("read");
    stream.write_all(&received).await.expect("echo");
    stream.close().await.expect("close");
    received
}

/// Dials `address` at `listener`, echoes one session, and checks what each end says of its
/// connection.
async fn dial_and_accept(mut listener: Listener<AllowAll>, address: String, kind: TransportKind) {
    let client = Client::new(Keypair::generate(), net());
    let dialled = tokio::spawn(async move {
        let stream = dial::connect(&client, &address).await.expect("dial");
        let connection = stream.get_ref();
        assert_eq!(connection.transport(), kind);
        let beneath = connection
            .tcp()
            .map(|tcp| tcp.peer_addr().expect("peer address"));
        let leads_to = connection.peer_address().to_owned();
        let echoed = exchange(stream, b"one type, both ways").await;
        (echoed, beneath, leads_to)
    });
    let (accepted, peer) = listener.accept().await.expect("a client");
    let connection = accepted.get_ref();
    assert_eq!(connection.transport(), kind);
    assert_eq!(connection.peer_address(), peer.to_string());
    let accepted_tcp = connection
        .tcp()
        .map(|tcp| tcp.local_addr().expect("local address"));
    assert_eq!(echo_accepted(accepted).await, b"one type, both ways");
    let (echoed, dialled_tcp, leads_to) = dialled.await.expect("client task");
    assert_eq!(echoed, b"one type, both ways");
    // Both ends see the same TCP connection (none under a unix socket).
    assert_eq!(dialled_tcp, accepted_tcp);
    if kind == TransportKind::Unix {
        assert!(dialled_tcp.is_none());
        assert!(listener
            .unix_path()
            .is_some_and(|path| path.to_str() == Some(&leads_to)));
    } else {
        assert_eq!(Some(leads_to), dialled_tcp.map(|addr| addr.to_string()));
    }
}

fn server() -> Server<AllowAll> {
    Server::new(Keypair::generate(), net(), AllowAll)
}

#[tokio::test]
async fn over_tcp() {
    let server = server();
    let key = server.identity().to_base64();
    let listener = Listener::bind("127.0.0.1:0", server).await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let address = format!("net:127.0.0.1:{port}~shs:{key}");
    dial_and_accept(listener, address, TransportKind::Net).await;
}

#[tokio::test]
async fn over_websocket() {
    let server = server();
    let key = server.identity().to_base64();
    let listener = Listener::bind("127.0.0.1:0", server)
        .await
        .expect("bind")
        .with_websocket(Config::default());
    let port = listener.local_addr().expect("address").port();
    let address = format!("ws://127.0.0.1:{port}~shs:{key}");
    dial_and_accept(listener, address, TransportKind::Ws).await;
}

#[tokio::test]
async fn over_a_unix_socket() {
    let dir = TempDir::new("one-connection");
    let path = dir.file("socket");
    let server = server();
    let key = server.identity().to_base64();
    let listener = Listener::bind_unix(&path, server).expect("bind");
    let address = format!("unix:{path}~shs:{key}");
    dial_and_accept(listener, address, TransportKind::Unix).await;
}
