//! `noauth`: a plain stream, only through `connect_noauth`, only on this machine.

use secret_handshake::dial::{self, Failure};
use secret_handshake::multiserver::AddressError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};

use super::client;
use super::common::dial::{echo, TempDir};

#[tokio::test]
async fn connect_never_dials_noauth_and_connect_noauth_dials_only_noauth() {
    let dir = TempDir::new("dial-noauth");
    let path = dir.file("socket");
    let listener = UnixListener::bind(&path).unwrap();
    let noauth = format!("unix:{path}~noauth");

    let error = dial::connect(&client(), &noauth).await.unwrap_err();
    assert!(
        matches!(
            error.attempts()[0].failure(),
            Failure::Address(AddressError::Transform {
                expected: "shs",
                ..
            })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("unauthenticated"), "{error}");

    let served = tokio::spawn(async move { echo(listener.accept().await.unwrap().0).await });
    let key = secret_handshake::Keypair::generate().public().to_base64();
    // An shs entry is not for connect_noauth, and is skipped.
    let list = format!("unix:{path}~shs:{key};{noauth}");
    let mut plain = dial::connect_noauth(&list).await.expect("noauth");
    assert_eq!(plain.peer_address(), path);
    plain.write_all(b"plain bytes").await.unwrap();
    plain.shutdown().await.unwrap();
    let mut back = Vec::new();
    plain.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, b"plain bytes");
    assert_eq!(served.await.unwrap(), b"plain bytes");
}

#[tokio::test]
async fn noauth_goes_to_loopback_only() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = tokio::spawn(async move { echo(listener.accept().await.unwrap().0).await });
    // 192.0.2.1 is TEST-NET-1: never dialled, refused before any packet.
    let list = format!(
        "net:192.0.2.1:{port}~noauth;net:pub.example.org:{port}~noauth;net:127.0.0.1:{port}~noauth"
    );
    let mut plain = dial::connect_noauth(&list).await.expect("loopback");
    plain.write_all(b"local").await.unwrap();
    plain.shutdown().await.unwrap();
    let mut back = Vec::new();
    plain.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, b"local");
    served.await.unwrap();

    let error = dial::connect_noauth(&format!("net:192.0.2.1:{port}~noauth"))
        .await
        .unwrap_err();
    assert!(
        matches!(error.attempts()[0].failure(), Failure::NotLocal),
        "{error:?}"
    );
    assert!(error.to_string().contains("unauthenticated"), "{error}");
}
