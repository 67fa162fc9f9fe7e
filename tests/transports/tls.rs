//! `wss://` end to end: a local TLS WebSocket server (tokio-rustls, a self-signed certificate
//! made here with rcgen) behind our `websocket::accept`, dialled with `websocket::open`.

use crate::common;

use std::sync::Arc;

use secret_handshake::websocket::rustls::{self, pki_types, RootCertStore, ServerConfig};
use secret_handshake::websocket::{self, DialOptions, Error};
use secret_handshake::{AllowAll, Client, Keypair, Server};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use common::{net, payload, ws::exchange};

/// A certificate for `localhost`, its key, and a root store that trusts it.
fn certificate() -> (
    pki_types::CertificateDer<'static>,
    pki_types::PrivateKeyDer<'static>,
    RootCertStore,
) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    let cert = made.cert.der().clone();
    let key = pki_types::PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()).into();
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).expect("root");
    (cert, key, roots)
}

/// A TLS WebSocket server for one client; returns its port and what it received.
async fn tls_server(
    server: Server<AllowAll>,
    data: Vec<u8>,
) -> (
    u16,
    tokio::task::JoinHandle<Result<Vec<u8>, Error>>,
    RootCertStore,
) {
    let (cert, key, roots) = certificate();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.map_err(Error::Tls)?;
        let stream = websocket::accept(&server, tls).await?;
        Ok(exchange(stream, &data, false).await.0)
    });
    (port, task, roots)
}

#[tokio::test]
async fn wss_carries_a_secret_handshake_and_data_both_ways() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let key = *server.identity();
    let (to_client, to_server) = (payload(100_000, 1), payload(70_000, 2));
    let (port, serving, roots) = tls_server(server, to_client.clone()).await;
    let options = DialOptions::default().with_root_certificates(roots);
    let ws = websocket::open(&format!("wss://localhost:{port}/ssb"), &options)
        .await
        .expect("wss open");
    assert!(ws.get_ref().is_tls());
    let stream = client.connect(ws, &key).await.expect("handshake over wss");
    let (received, _) = exchange(stream, &to_server, false).await;
    assert!(
        received == to_client,
        "client received {} bytes",
        received.len()
    );
    let got = serving.await.unwrap().expect("server side");
    assert!(got == to_server, "server received {} bytes", got.len());
}

#[tokio::test]
async fn a_certificate_that_does_not_verify_is_a_tls_error() {
    for (what, options) in [
        // A root store that trusts another certificate.
        (
            "another root",
            DialOptions::default().with_root_certificates(certificate().2),
        ),
        // The default webpki roots do not trust a self-signed certificate.
        ("webpki roots", DialOptions::default()),
    ] {
        let server = Server::new(Keypair::generate(), net(), AllowAll);
        let (port, serving, _) = tls_server(server, Vec::new()).await;
        let e = websocket::open(&format!("wss://localhost:{port}/"), &options)
            .await
            .expect_err(what);
        let Error::Tls(io) = &e else {
            panic!("{what}: not a TLS error: {e:?}")
        };
        let rustls_error = io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        assert!(
            matches!(rustls_error, Some(rustls::Error::InvalidCertificate(_))),
            "{what}: {e:?}"
        );
        assert!(e.to_string().starts_with("TLS handshake failed"), "{e}");
        // The server saw the handshake fail too.
        assert!(serving.await.unwrap().is_err(), "{what}");
    }
}

#[tokio::test]
async fn dialling_wss_with_a_multiserver_address_uses_tls() {
    // `connect` dials wss:// over TLS with the webpki roots: a self-signed server fails in
    // TLS, not as unsupported.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let key = *server.identity();
    let (port, _serving, _) = tls_server(server, Vec::new()).await;
    let addr = format!("wss://localhost:{port}~shs:{}", key.to_base64());
    let addr: secret_handshake::multiserver::MultiserverAddress = addr.parse().expect("address");
    let client = Client::new(Keypair::generate(), net());
    let e = common::ws::connect(&client, &addr)
        .await
        .expect_err("untrusted");
    assert!(matches!(e, Error::Tls(_)), "{e:?}");
}
