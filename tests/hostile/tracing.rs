//! Feature `tracing`, read as an operator reads it: a `tracing-subscriber` fmt subscriber
//! captures what a successful handshake, failed ones (another network, an unauthorized client,
//! a silent client), clients of the `Listener` (accepted, evicted, past its deadline), the
//! dialler (an invite's address refused, the next one reached) and a refused frame print. Each
//! test asserts the span's fields and the outcome's phase and duration, and that no secret key,
//! seed or network key appears, whole or in 4-character pieces.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use secret_handshake::{
    dial, AcceptError, AllowAll, AllowList, Client, ClientError, Keypair, Limits, Listener,
    NetworkKey, Server,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::common::{hex, payload};

/// What the subscriber printed.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The one line that has every piece of `parts`.
    fn line(&self, parts: &[&str]) -> String {
        let text = self.text();
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| parts.iter().all(|part| line.contains(part)))
            .collect();
        assert_eq!(lines.len(), 1, "one line with {parts:?} in:\n{text}");
        lines[0].to_owned()
    }
}

/// A fmt subscriber for this thread (the tests' runtimes are single-threaded), at every level.
fn capture() -> (Captured, impl Sized) {
    let captured = Captured::default();
    let writer = captured.clone();
    let guard = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(LevelFilter::TRACE)
        .without_time()
        .finish()
        .set_default();
    (captured, guard)
}

fn keypair(seed: u64) -> Keypair {
    let mut bytes = [0; 32];
    bytes.copy_from_slice(&payload(32, seed));
    Keypair::from_seed(&bytes)
}

fn network(seed: u64) -> NetworkKey {
    let mut bytes = [0; 32];
    bytes.copy_from_slice(&payload(32, seed));
    NetworkKey::from_bytes(bytes)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Panics if `captured` shows any secret of `keys` (seed and secret key) or any of `networks`,
/// in hex or base64, whole or in 4-character pieces. The public ids, and what varies from run
/// to run (durations, ports), are taken out first: they are public, and a piece of a secret
/// could match them by chance.
fn assert_no_secret(captured: &Captured, keys: &[&Keypair], networks: &[&NetworkKey]) {
    let mut text = captured.text();
    for line in text.lines() {
        assert!(
            line.contains(" secret_handshake: "),
            "the crate's target: {line}"
        );
    }
    for key in keys {
        text = text.replace(&key.public().to_string(), "<id>");
    }
    let text = without_numbers_after(&text, &["duration_ms=", "127.0.0.1:", " s "]);
    let mut secrets = Vec::new();
    for key in keys {
        let secret = key.secret_key_bytes();
        secrets.extend([
            hex(&secret[..32]),
            b64(&secret[..32]),
            hex(secret),
            b64(secret),
        ]);
    }
    for net in networks {
        secrets.extend([hex(net.as_bytes()), b64(net.as_bytes())]);
    }
    for secret in secrets {
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(4).map(|w| w.iter().collect::<String>()) {
            assert!(!text.contains(&piece), "{piece:?} of {secret} in:\n{text}");
        }
    }
}

/// `text` with the digits and dots that follow each of `markers` removed.
fn without_numbers_after(text: &str, markers: &[&str]) -> String {
    let mut text = text.to_owned();
    for marker in markers {
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(marker) {
            out.push_str(&rest[..at + marker.len()]);
            rest = rest[at + marker.len()..]
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        }
        out.push_str(rest);
        text = out;
    }
    text
}

#[tokio::test]
async fn a_successful_handshake_is_a_span_per_side_with_the_peer_id_and_the_duration() {
    let (captured, _guard) = capture();
    let (alice, bob, net) = (keypair(1), keypair(2), network(3));
    let client = Client::new(alice.clone(), net.clone());
    let server = Server::new(bob.clone(), net.clone(), AllowAll);
    let (a, b) = tokio::io::duplex(4096);
    let (dialled, accepted) = tokio::join!(client.connect(a, bob.public()), server.accept(b));
    let (mut dialled, mut accepted) = (dialled.unwrap(), accepted.unwrap());
    let (closed, _) = tokio::join!(dialled.close(), accepted.close());
    closed.unwrap();

    let alice_id = format!("peer_id={}", alice.public());
    let bob_id = format!("peer_id={}", bob.public());
    let client = captured.line(&["handshake{direction=client", &bob_id, "handshake succeeded"]);
    let server = captured.line(&[
        "handshake{direction=server",
        &alice_id,
        "handshake succeeded",
    ]);
    for line in [&client, &server] {
        assert!(
            line.contains(" INFO ") && line.contains("secret_handshake"),
            "{line}"
        );
        assert!(line.contains("duration_ms="), "{line}");
    }
    captured.line(&["handshake{direction=client", "closed"]);
    captured.line(&["handshake{direction=server", "closed"]);
    assert_no_secret(&captured, &[&alice, &bob], &[&net]);
}

#[tokio::test]
async fn failures_name_the_phase_and_an_unauthorized_client_its_id() {
    let (captured, _guard) = capture();
    let (alice, bob) = (keypair(1), keypair(2));
    let (net, other) = (network(3), network(4));

    // Another network: the server refuses the client's hello (phase 1), before any id.
    let client = Client::new(alice.clone(), other.clone());
    let server = Server::new(bob.clone(), net.clone(), AllowAll);
    let (a, b) = tokio::io::duplex(4096);
    let (dialled, accepted) = tokio::join!(client.connect(a, bob.public()), server.accept(b));
    assert!(dialled.is_err() && accepted.is_err());
    let refused = captured.line(&["direction=server", "handshake failed"]);
    assert!(
        refused.contains("phase=1") && refused.contains("duration_ms="),
        "{refused}"
    );
    assert!(
        refused.contains("error=") && !refused.contains("peer_id"),
        "{refused}"
    );
    let hung_up = captured.line(&["direction=client", "handshake failed"]);
    assert!(
        hung_up.contains("phase=1") && hung_up.contains("duration_ms="),
        "{hung_up}"
    );

    // Not on the allow-list: the server knows who it turned away (phase 3).
    let client = Client::new(alice.clone(), net.clone());
    let server = Server::new(bob.clone(), net.clone(), AllowList::new([]));
    let (a, b) = tokio::io::duplex(4096);
    let (dialled, accepted) = tokio::join!(client.connect(a, bob.public()), server.accept(b));
    assert!(dialled.is_err() && accepted.is_err());
    let alice_id = format!("peer_id={}", alice.public());
    let unauthorized = captured.line(&["direction=server", &alice_id, "client not authorized"]);
    assert!(unauthorized.contains("phase=3"), "{unauthorized}");
    assert_eq!(
        captured.text().matches(": handshake failed phase").count(),
        3
    );
    assert_no_secret(&captured, &[&alice, &bob], &[&net, &other]);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_says_which_one_fired() {
    let (captured, _guard) = capture();
    let (bob, net) = (keypair(2), network(3));
    let limits = Limits::default().with_handshake_timeout(Some(Duration::from_secs(5)));
    let server = Server::new(bob.clone(), net.clone(), AllowAll).with_limits(limits);
    let (_silent, b) = tokio::io::duplex(4096);
    server.accept(b).await.unwrap_err();
    let line = captured.line(&["direction=server", "handshake failed"]);
    assert!(line.contains("expired=handshake_timeout"), "{line}");
    assert!(line.contains("phase=1"), "{line}");
    assert_no_secret(&captured, &[&bob], &[&net]);
}

#[tokio::test]
async fn the_listener_names_transport_and_address_evictions_and_its_deadline() {
    let (captured, _guard) = capture();
    let (alice, bob, net) = (keypair(1), keypair(2), network(3));
    let limits = Limits::default()
        .with_max_handshakes_per_source(1)
        .with_handshake_deadline(Some(Duration::from_millis(300)));
    let server = Server::new(bob.clone(), net.clone(), AllowAll).with_limits(limits);
    let mut listener = Listener::bind("127.0.0.1:0", server).await.unwrap();
    let addr = listener.local_addr().unwrap();

    // Accepted: the span names the transport and where the client came from.
    let client = Client::new(alice.clone(), net.clone());
    let tcp = TcpStream::connect(addr).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let (accepted, dialled) = tokio::join!(listener.accept(), client.connect(tcp, bob.public()));
    let ((_stream, peer), _dialled) = (accepted.unwrap(), dialled.unwrap());
    assert_eq!(peer.to_string(), local.to_string());
    let peer_addr = format!("peer_addr={local}");
    let alice_id = format!("peer_id={}", alice.public());
    captured.line(&[
        "transport=net",
        &peer_addr,
        &alice_id,
        "handshake succeeded",
    ]);

    // Through the dialler: an invite's address that nothing answers (its seed must not show),
    // then the listener's; the client's span names the address it reached.
    let invitee = keypair(5);
    let mut seed = [0; 32];
    seed.copy_from_slice(&payload(32, 5));
    let key = bob.public().to_base64();
    let list = format!(
        "net:127.0.0.1:1~shs:{key}:{};net:{addr}~shs:{key}",
        b64(&seed)
    );
    let (accepted, dialled) = tokio::join!(listener.accept(), dial::connect(&client, &list));
    let (_stream, _dialled) = (accepted.unwrap(), dialled.unwrap());
    let refused = captured.line(&["dial attempt failed"]);
    assert!(refused.contains("<seed redacted>"), "{refused}");
    let reached = format!("handshake{{direction=client transport=net peer_addr={addr}");
    captured.line(&[
        &reached,
        &format!("peer_id={}", bob.public()),
        "handshake succeeded",
    ]);

    // Two silent clients from one address with room for one: the first is evicted (its
    // connection is closed), the second runs into the listener's deadline.
    let mut first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    let mut byte = [0; 1];
    let failed = tokio::select! {
        read = first.read(&mut byte) => {
            assert_eq!(read.unwrap(), 0, "the evicted client is hung up on");
            listener.accept().await
        }
        accepted = listener.accept() => accepted,
    };
    match failed {
        Err(AcceptError::Client {
            error: ClientError::Deadline(_),
            ..
        }) => {}
        other => panic!("the second client's deadline, not {other:?}"),
    }
    let evicted = captured.line(&["pending client evicted"]);
    let pending = captured
        .text()
        .matches(": client pending peer_addr=127.0.0.1:")
        .count();
    assert_eq!(pending, 4, "each client accepted is logged");
    assert!(evicted.contains("source=127.0.0.1"), "{evicted}");
    let deadline = captured.line(&["client not authenticated"]);
    assert!(deadline.contains("expired=listener_deadline"), "{deadline}");
    assert_no_secret(&captured, &[&alice, &bob, &invitee], &[&net]);
    drop(first.write_all(b"x").await);
}

#[tokio::test]
async fn a_refused_frame_is_reported_in_the_span_of_its_connection() {
    let (captured, _guard) = capture();
    let (alice, bob, net) = (keypair(1), keypair(2), network(3));
    let client = Client::new(alice.clone(), net.clone());
    let server = Server::new(bob.clone(), net.clone(), AllowAll);
    let (a, b) = tokio::io::duplex(4096);
    let (dialled, accepted) = tokio::join!(
        client.connect(a, bob.public()).into_session(),
        server.accept(b)
    );
    let ((mut raw, _session), mut stream) = (dialled.unwrap(), accepted.unwrap());
    raw.write_all(&[0x55; 34]).await.unwrap();
    let mut buf = [0; 64];
    let error = stream.read(&mut buf).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    // Read again: the typed error comes back, and the event is not repeated.
    stream.read(&mut buf).await.unwrap_err();
    let alice_id = format!("peer_id={}", alice.public());
    let line = captured.line(&["direction=server", &alice_id, "box-stream failed"]);
    assert!(line.contains("invalid frame header"), "{line}");
    assert_no_secret(&captured, &[&alice, &bob], &[&net]);
}
