//! `unix:PATH~shs:KEY`: dialled like any address; served by `Server::accept` on a `UnixStream`.

use secret_handshake::dial::{self, Failure};
use secret_handshake::multiserver::TransportKind;

use super::client;
use super::common::dial::{any_server, exchange, unix_echo_server, TempDir};

#[tokio::test]
async fn a_unix_socket_carries_a_secret_handshake_session() {
    let dir = TempDir::new("dial-unix");
    let path = dir.file("socket");
    let server = any_server();
    let key = *server.identity();
    let echoed = unix_echo_server(server, dir.path().join("socket").as_path());
    let address = format!("unix:{path}~shs:{}", key.to_base64());
    let stream = dial::connect(&client(), &address).await.expect("connect");
    assert_eq!(stream.get_ref().transport(), TransportKind::Unix);
    assert_eq!(stream.get_ref().peer_address(), path);
    assert_eq!(
        exchange(stream, b"over a unix socket").await,
        b"over a unix socket"
    );
    assert_eq!(echoed.await.unwrap(), b"over a unix socket");
}

#[tokio::test]
async fn a_missing_socket_falls_back_to_the_next_entry() {
    let dir = TempDir::new("dial-unix-missing");
    let server = any_server();
    let key = *server.identity();
    let _echo = unix_echo_server(server, dir.path().join("there").as_path());
    let list = format!(
        "unix:{}~shs:{k};unix:{}~shs:{k}",
        dir.file("not-there"),
        dir.file("there"),
        k = key.to_base64()
    );
    let stream = dial::connect(&client(), &list)
        .await
        .expect("the second socket");
    assert_eq!(exchange(stream, b"second").await, b"second");

    let lone = format!("unix:{}~shs:{}", dir.file("not-there"), key.to_base64());
    let error = dial::connect(&client(), &lone).await.unwrap_err();
    assert!(
        matches!(error.attempts()[0].failure(), Failure::Connect(e) if e.kind() == std::io::ErrorKind::NotFound),
        "{error:?}"
    );
}
