//! `shs-cat connect wss://…` against a local TLS WebSocket server (tokio-rustls, the library's
//! `websocket::accept`) whose self-signed certificate is made here with rcgen: trusted with
//! `--tls-root`, refused with the default webpki roots or another root, and `--tls-root`
//! files that cannot be used.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use base64::Engine as _;
use secret_handshake::websocket::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer,
};
use secret_handshake::websocket::rustls::{self, ServerConfig};
use secret_handshake::websocket::{self, WsTransport};
use secret_handshake::{AllowAll, BoxStream, Keypair, NetworkKey, PublicKey, Server};
use support::common::ws::exchange;
use support::session::{connect, connected_to};
use support::{assert_bytes_eq, in_runtime, pattern, TempDir};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A self-signed certificate for 127.0.0.1, its key, and the certificate as PEM.
struct Certificate {
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    pem: String,
}

fn certificate() -> Certificate {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("rcgen");
    let der = made.cert.der().clone();
    let key = PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()).into();
    let pem = pem(&der);
    Certificate { der, key, pem }
}

/// `der` as a PEM `CERTIFICATE` section.
fn pem(der: &[u8]) -> String {
    let base64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("writing a PEM file");
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// What the server saw: the bytes received and whether `shs-cat` sent a WebSocket Close, or
/// the step that failed.
type Served = Result<(Vec<u8>, bool), String>;

/// A TLS WebSocket + secret-handshake server for one client, sending `data`: its port, its
/// key, and what it saw.
fn wss_server(certificate: &Certificate, data: Vec<u8>) -> (u16, PublicKey, JoinHandle<Served>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate.der.clone()], certificate.key.clone_key())
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let keys = Keypair::generate();
    let key = *keys.public();
    let served = in_runtime(async move {
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let (tcp, _) = listener.accept().await.expect("accept");
        let tls = acceptor
            .accept(tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        let server = Server::new(keys, NetworkKey::ssb_main_net(), AllowAll);
        let stream: BoxStream<WsTransport<TlsStream<_>>> = websocket::accept(&server, tls)
            .await
            .map_err(|e| format!("upgrade or handshake: {e}"))?;
        let (received, stream) = exchange(stream, &data, false).await;
        Ok((received, stream.get_ref().is_closed_by_peer()))
    });
    (port, key, served)
}

fn wss_addr(port: u16, key: &PublicKey) -> String {
    format!("wss://127.0.0.1:{port}~shs:{}", key.to_base64())
}

#[test]
fn connect_wss_with_tls_root_pipes_both_ways_and_closes_cleanly() {
    let home = TempDir::new("wss-trusted");
    let trusted = certificate();
    let other = certificate();
    let trusted_pem = write(&home, "server.pem", &trusted.pem);
    let other_pem = write(&home, "other.pem", &other.pem);
    // One file with several certificates, the server's last; and --tls-root twice.
    let both_pem = write(&home, "both.pem", &format!("{}{}", other.pem, trusted.pem));
    let root_options: [&[&str]; 2] = [
        &["--tls-root", arg(&both_pem)],
        &[
            "--tls-root",
            arg(&other_pem),
            "--tls-root",
            arg(&trusted_pem),
        ],
    ];
    for (round, roots) in root_options.into_iter().enumerate() {
        let to_client = pattern(100_000, 2 * round as u64);
        let to_server = pattern(70_000, 2 * round as u64 + 1);
        let (port, server_id, served) = wss_server(&trusted, to_client.clone());
        let mut args = vec![wss_addr(port, &server_id)];
        args.extend(roots.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let client = connect(&home, &args, to_server.clone());
        let served = served.join().expect("server thread");
        client.assert_success();
        assert_eq!(connected_to(&client), server_id, "{roots:?}");
        assert_bytes_eq("client stdout", &client.stdout, &to_client);
        let (received, closed) = served.unwrap_or_else(|e| panic!("{roots:?}: server: {e}"));
        assert_bytes_eq("server received", &received, &to_server);
        assert!(closed, "{roots:?}: shs-cat sent no WebSocket Close");
    }
}

#[test]
fn connect_wss_without_the_right_root_fails_in_tls() {
    let home = TempDir::new("wss-untrusted");
    let served_by = certificate();
    let other_pem = write(&home, "other.pem", &certificate().pem);
    // The default webpki roots (UnknownIssuer), and a root that is not the server's
    // certificate (with the same subject name: BadSignature).
    let root_options: [&[&str]; 2] = [&[], &["--tls-root", arg(&other_pem)]];
    for roots in root_options {
        let (port, server_id, served) = wss_server(&served_by, b"never sent".to_vec());
        let mut args = vec![wss_addr(port, &server_id)];
        args.extend(roots.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let client = connect(&home, &args, b"never sent either".to_vec());
        client.assert_failure(&format!(
            "cannot connect to 127.0.0.1:{port}: TLS handshake failed: invalid peer certificate"
        ));
        assert!(client.stdout.is_empty(), "{roots:?}");
        let served = served.join().expect("server thread");
        assert!(
            served.as_ref().is_err_and(|e| e.starts_with("TLS: ")),
            "{roots:?}: the server should have seen the TLS handshake fail: {served:?}"
        );
    }
}

#[test]
fn a_tls_root_file_that_cannot_be_used_is_an_error_naming_it() {
    let home = TempDir::new("wss-bad-root");
    let missing = home.path().join("missing.pem");
    let empty = write(&home, "empty.pem", "");
    let key_only = write(
        &home,
        "key.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let truncated = write(
        &home,
        "truncated.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n",
    );
    let not_a_certificate = write(
        &home,
        "junk.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let good = write(&home, "good.pem", &certificate().pem);
    // Nothing listens here: shs-cat must fail before it dials.
    let address = wss_addr(1, Keypair::generate().public());
    let cases = [
        (&missing, "No such file"),
        (&empty, "no certificates"),
        (&key_only, "no certificates"),
        (&truncated, "not PEM"),
        (&not_a_certificate, "certificate 1: not a usable root"),
    ];
    for (path, why) in cases {
        // A good file first: each file is checked.
        let args = [
            address.as_str(),
            "--tls-root",
            arg(&good),
            "--tls-root",
            arg(path),
        ];
        let client = connect(&home, &args, Vec::new());
        client.assert_failure(&format!("shs-cat: TLS root file {}: {why}", path.display()));
        assert_eq!(
            client.stderr.len(),
            1,
            "only the error, before any identity or dial: {:?}",
            client.stderr
        );
    }
}
