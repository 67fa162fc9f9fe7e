//! `shs-cat` as a user runs it: against itself, against a Rust peer that misbehaves, and
//! against the JS reference (tests/interop/peer.js; these need Node.js and npm).

mod support;

use std::os::unix::fs::PermissionsExt;

use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::{AllowAll, Keypair, NetworkKey, Server};
use serde_json::json;
use support::js::{self, assert_done, main_net_hex};
use support::session::{addr, connect, connected_to, fresh_id, listen, ms_addr};
use support::{assert_bytes_eq, pattern, shs_cat, Proc, TempDir, DEADLINE};

const KIB_100: usize = 100 * 1024;

// ---- shs-cat against itself --------------------------------------------------------------

#[test]
fn listen_and_connect_pipe_both_ways() {
    let home = TempDir::new("both-ways");
    let to_client = pattern(KIB_100, 1);
    let to_server = pattern(KIB_100, 2);
    let (server, port, server_id) = listen(&home, &[], to_client.clone());
    let client = connect(
        &home,
        &[&addr(port), "--server-key", &server_id.to_ssb_id()],
        to_server.clone(),
    );
    let server = server.finish();
    client.assert_success();
    server.assert_success();
    assert_bytes_eq("client stdout", &client.stdout, &to_client);
    assert_bytes_eq("server stdout", &server.stdout, &to_server);
    assert_eq!(connected_to(&client), server_id);
    assert_eq!(connected_to(&server), fresh_id(&client));
    assert_eq!(fresh_id(&server), server_id);
}

#[test]
fn allow_list_rejects_other_clients_in_phase_3() {
    let home = TempDir::new("allow");
    let someone_else = Keypair::generate().public().to_ssb_id();
    let (server, port, server_id) = listen(&home, &["--allow", &someone_else], Vec::new());
    let client = connect(
        &home,
        &[&addr(port), "--server-key", &server_id.to_hex()],
        b"unseen".to_vec(),
    );
    client.assert_failure("phase 3");
    let server = server.finish();
    server.assert_failure("handshake failed (phase 3): client is not authorized");
    assert!(server.stdout.is_empty());
}

#[test]
fn an_unusable_server_key_is_refused_before_dialling() {
    let home = TempDir::new("bad-server-key");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("address").port();
    // All zeros decodes to a point of order 4: no usable key.
    let zeros = "A".repeat(43) + "=";
    let client = connect(&home, &[&addr(port), "--server-key", &zeros], Vec::new());
    client.assert_failure("the server key is not a valid Ed25519 public key");
    let accepted = listener.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "shs-cat dialled: {accepted:?}"
    );
}

#[test]
fn wrong_network_key_fails_in_phase_1() {
    let home = TempDir::new("network-key");
    let (server, port, server_id) = listen(&home, &[], Vec::new());
    let other_network = "ab".repeat(32);
    let client = connect(
        &home,
        &[
            &addr(port),
            "--server-key",
            &server_id.to_base64(),
            "--network-key",
            &other_network,
        ],
        Vec::new(),
    );
    client.assert_failure("handshake failed (phase 1)");
    server.finish().assert_failure("handshake failed (phase 1)");
}

#[test]
fn keygen_writes_a_private_secret_file_that_listen_and_connect_use() {
    let dir = TempDir::new("keygen");
    let server_secret = dir.path().join("server-secret");
    let client_secret = dir.path().join("client-secret");
    for path in [&server_secret, &client_secret] {
        let keygen = Proc::spawn(
            "keygen",
            shs_cat(dir.path()).arg("keygen").arg("--out").arg(path),
            Vec::new(),
        )
        .finish();
        keygen.assert_success();
        let mode = std::fs::metadata(path)
            .expect("secret file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode of {}", path.display());
    }
    let before = std::fs::read(&server_secret).expect("secret file");
    let again = Proc::spawn(
        "keygen again",
        shs_cat(dir.path())
            .arg("keygen")
            .arg("--out")
            .arg(&server_secret),
        Vec::new(),
    )
    .finish();
    again.assert_failure("already exists");
    assert_eq!(std::fs::read(&server_secret).expect("secret file"), before);

    let server_keys = Keypair::from_ssb_secret_file(&server_secret).expect("parses");
    let client_keys = Keypair::from_ssb_secret_file(&client_secret).expect("parses");
    let server_secret = server_secret.to_str().expect("UTF-8 temp dir");
    let client_secret = client_secret.to_str().expect("UTF-8 temp dir");
    let (server, port, server_id) = listen(
        &dir,
        &[
            "--secret",
            server_secret,
            "--allow",
            &client_keys.public().to_hex(),
        ],
        b"hi client".to_vec(),
    );
    assert_eq!(server_id, *server_keys.public());
    let client = connect(
        &dir,
        &[&ms_addr(port, &server_id), "--secret", client_secret],
        b"hi server".to_vec(),
    );
    let server = server.finish();
    client.assert_success();
    server.assert_success();
    assert_eq!(client.stdout, b"hi client");
    assert_eq!(server.stdout, b"hi server");
    assert_eq!(connected_to(&server), *client_keys.public());
    assert!(client.stderr_after("using a fresh identity").is_none());
}

#[test]
fn keygen_prints_to_stdout_and_home_secret_is_the_default() {
    let home = TempDir::new("home-secret");
    let keygen = Proc::spawn("keygen", shs_cat(home.path()).arg("keygen"), Vec::new()).finish();
    keygen.assert_success();
    let text = String::from_utf8(keygen.stdout).expect("UTF-8 secret file");
    let keys = Keypair::from_ssb_secret(&text).expect("a valid secret file");

    std::fs::create_dir(home.path().join(".ssb")).expect("mkdir ~/.ssb");
    std::fs::write(home.path().join(".ssb").join("secret"), &text).expect("write ~/.ssb/secret");
    let (server, port, server_id) = listen(&home, &[], Vec::new());
    assert_eq!(server_id, *keys.public());
    let client = connect(&home, &[&ms_addr(port, &server_id)], Vec::new());
    client.assert_success();
    server.finish().assert_success();
    assert_eq!(connected_to(&client), *keys.public());
}

#[test]
fn keep_open_serves_one_client_after_another_and_invites_set_the_identity() {
    let home = TempDir::new("keep-open");
    let seed = [7u8; 32];
    let invited = *Keypair::from_seed(&seed).public();
    let (mut server, port, server_id) = listen(
        &home,
        &["--keep-open", "--allow", &invited.to_ssb_id()],
        b"stdin goes to the first session".to_vec(),
    );
    // Not on the allow list: rejected, and the server carries on.
    let stranger = connect(
        &home,
        &[&addr(port), "--server-key", &server_id.to_ssb_id()],
        Vec::new(),
    );
    stranger.assert_failure("phase 3");
    let rejected = server.stderr_line_starting("shs-cat: ");
    assert!(
        rejected.starts_with("shs-cat: handshake failed (phase 3)"),
        "{rejected}"
    );

    let invite = MultiserverAddress::net("127.0.0.1", port, server_id)
        .with_seed(seed)
        .to_string();
    let first = connect(&home, &[&invite], b"one ".to_vec());
    first.assert_success();
    assert_eq!(first.stdout, b"stdin goes to the first session");
    assert_eq!(
        first.stderr_after("using the invite's identity "),
        Some(invited.to_ssb_id().as_str())
    );
    let second = connect(&home, &[&invite], b"two".to_vec());
    second.assert_success();
    assert!(second.stdout.is_empty());
    // Sessions run one at a time, so once a third one is through, the server has written
    // everything from the second to stdout and can be killed.
    connect(&home, &[&invite], Vec::new()).assert_success();

    let server = server.kill();
    assert_eq!(server.stdout, b"one two");
    let sessions = server
        .stderr
        .iter()
        .filter(|l| l.starts_with("connected: "))
        .count();
    assert_eq!(sessions, 3, "{:?}", server.stderr);
}

#[test]
fn peer_closing_without_goodbye_is_a_failure() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let home = TempDir::new("no-goodbye");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let keys = Keypair::generate();
    let server_id = keys.public().to_ssb_id();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            listener.set_nonblocking(true).expect("non-blocking");
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let (tcp, _) = listener.accept().await.expect("accept");
            let server = Server::new(keys, NetworkKey::ssb_main_net(), AllowAll);
            let mut stream = server.accept(tcp).await.expect("handshake");
            stream.write_all(b"partial").await.expect("write");
            stream.flush().await.expect("flush");
            let mut received = Vec::new();
            stream
                .read_to_end(&mut received)
                .await
                .expect("client's goodbye");
            received
            // Dropped without a goodbye.
        })
    });
    let client = connect(
        &home,
        &[&addr(port), "--server-key", &server_id],
        b"bye".to_vec(),
    );
    assert_eq!(server.join().expect("server thread"), b"bye");
    client.assert_failure("receiving from the peer: box-stream: peer closed without a goodbye");
    assert_eq!(client.stdout, b"partial");
}

// ---- shs-cat against the JS reference ----------------------------------------------------

#[test]
fn connect_to_the_js_server() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let home = TempDir::new("js-server");
    let mut js = js::peer(
        node,
        json!({
            "role": "server",
            "network_key": main_net_hex(),
            "seed": "03".repeat(32),
            "send_bytes": 100_000,
            "timeout_ms": DEADLINE.as_millis() as u64,
        }),
    );
    let listening = js::event(&mut js, "listening");
    let port = listening["port"].as_u64().expect("port");
    let server_hex = listening["public_key"].as_str().expect("public_key");
    let input = pattern(KIB_100, 3);
    let client = connect(
        &home,
        &[&format!("127.0.0.1:{port}"), "--server-key", server_hex],
        input.clone(),
    );
    client.assert_success();
    assert_eq!(connected_to(&client).to_hex(), server_hex);
    let connected = js::event(&mut js, "connected");
    assert_eq!(connected["remote"], fresh_id(&client).to_hex());
    let done = js::event(&mut js, "done");
    let sent = client.stdout.clone();
    assert_done(&done, &sent, &input);
    js.finish().assert_success();
}

#[test]
fn the_js_client_connects_to_listen() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let home = TempDir::new("js-client");
    let input = pattern(KIB_100, 4);
    let (server, port, server_id) = listen(&home, &[], input.clone());
    let mut js = js::peer(
        node,
        json!({
            "role": "client",
            "network_key": main_net_hex(),
            "seed": "04".repeat(32),
            "port": port,
            "server_pk": server_id.to_hex(),
            "send_bytes": 100_000,
            "timeout_ms": DEADLINE.as_millis() as u64,
        }),
    );
    let connected = js::event(&mut js, "connected");
    assert_eq!(connected["remote"], server_id.to_hex());
    let done = js::event(&mut js, "done");
    let server = server.finish();
    server.assert_success();
    let js_id = Keypair::from_seed(&[4; 32]).public().to_ssb_id();
    assert_eq!(server.stderr_after("connected: "), Some(js_id.as_str()));
    assert_done(&done, &server.stdout, &input);
    js.finish().assert_success();
}

#[test]
fn js_server_rejecting_us_fails_in_phase_3() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let home = TempDir::new("js-reject");
    let mut js = js::peer(
        node,
        json!({
            "role": "server",
            "network_key": main_net_hex(),
            "seed": "05".repeat(32),
            "authorize": "reject",
        }),
    );
    let listening = js::event(&mut js, "listening");
    let port = listening["port"].as_u64().expect("port");
    let server_hex = listening["public_key"].as_str().expect("public_key");
    let client = connect(
        &home,
        &[&format!("127.0.0.1:{port}"), "--server-key", server_hex],
        b"unseen".to_vec(),
    );
    client.assert_failure("handshake failed (phase 3)");
    js::event(&mut js, "handshake_failed");
    js.finish().assert_success();
}
