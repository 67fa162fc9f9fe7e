//! `listen --allow-file`, `-v`, and interactive use: a typed line arrives at once.

mod support;

use std::path::Path;

use secret_handshake::Keypair;
use support::session::{addr, connect, listen, listening};
use support::{pattern, shs_cat, Finished, Proc, TempDir};

/// A secret file for a new identity, in `dir`.
fn identity(dir: &TempDir, name: &str) -> (Keypair, String) {
    let keys = Keypair::generate();
    let path = dir.path().join(name);
    std::fs::write(&path, keys.to_ssb_secret()).expect("writing a secret file");
    (keys, path.to_str().expect("UTF-8 temp dir").to_owned())
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).expect("writing a file");
    path.to_str().expect("UTF-8 temp dir").to_owned()
}

#[test]
fn allow_file_lets_listed_clients_in_and_turns_others_away() {
    let dir = TempDir::new("allow-file");
    let (alice, alice_secret) = identity(&dir, "alice");
    let (bob, bob_secret) = identity(&dir, "bob");
    let carol = Keypair::generate();
    let text = format!(
        "# who may connect\n\n   {}   # alice\n\t\n# {} (bob, not any more)\n{}\n",
        alice.public().to_ssb_id(),
        bob.public().to_ssb_id(),
        carol.public().to_hex(),
    );
    let file = write(&dir.path().join("allowed"), &text);
    let (mut server, port, server_id) = listen(
        &dir,
        &["--keep-open", "--allow-file", &file],
        b"for alice".to_vec(),
    );
    let server_key = server_id.to_ssb_id();

    let rejected = connect(
        &dir,
        &[
            &addr(port),
            "--server-key",
            &server_key,
            "--secret",
            &bob_secret,
        ],
        b"unseen".to_vec(),
    );
    rejected.assert_failure("handshake failed (phase 3)");
    let line = server.stderr_line_starting("shs-cat: ");
    assert!(
        line.starts_with("shs-cat: handshake failed (phase 3): client is not authorized"),
        "{line}"
    );

    let let_in = connect(
        &dir,
        &[
            &addr(port),
            "--server-key",
            &server_key,
            "--secret",
            &alice_secret,
        ],
        b"from alice".to_vec(),
    );
    let_in.assert_success();
    assert_eq!(let_in.stdout, b"for alice");
    let server = server.kill();
    assert_eq!(server.stdout, b"from alice");
    let alice_line = format!("connected: {}", alice.public());
    assert!(server.stderr.contains(&alice_line), "{:?}", server.stderr);
}

#[test]
fn allow_file_with_a_bad_line_or_missing_fails_before_listening() {
    let dir = TempDir::new("allow-file-bad");
    let id = Keypair::generate().public().to_ssb_id();
    let bad = write(
        &dir.path().join("bad"),
        &format!("{id}\n# fine\n\nnot-a-key # oops\n"),
    );
    let missing = dir
        .path()
        .join("missing")
        .to_str()
        .expect("UTF-8")
        .to_owned();
    for (file, needle) in [
        (&bad, format!("allow file {bad}, line 4: ")),
        (&missing, format!("reading the allow file {missing}: ")),
    ] {
        let run = Proc::spawn(
            "listen",
            shs_cat(dir.path())
                .args(["listen", "127.0.0.1:0", "--allow", &id, "--allow-file"])
                .arg(file),
            Vec::new(),
        )
        .finish();
        assert_eq!(run.status.code(), Some(1), "{:?}", run.stderr);
        run.assert_failure(&needle);
        assert!(
            !run.stderr.iter().any(|l| l.starts_with("listening on")),
            "{:?}",
            run.stderr
        );
    }
}

/// The `WHAT N bytes in S s, R MB/s` line of a `-v` run, as `(N, S, R)`.
fn figures(run: &Finished, what: &str) -> (usize, f64, f64) {
    let line = run.stderr_after(&format!("{what} "));
    let parsed = line.and_then(|line| {
        let (bytes, rest) = line.split_once(" bytes in ")?;
        let (seconds, rest) = rest.split_once(" s, ")?;
        let rate = rest.strip_suffix(" MB/s")?;
        Some((
            bytes.parse().ok()?,
            seconds.parse().ok()?,
            rate.parse().ok()?,
        ))
    });
    parsed.unwrap_or_else(|| panic!("no `{what} …` figures: {:?}", run.stderr))
}

#[test]
fn verbose_prints_bytes_and_speed_each_way() {
    let home = TempDir::new("verbose");
    let to_client = pattern(300 * 1024, 5);
    let to_server = pattern(70 * 1024, 6);
    let (server, port, server_id) = listen(&home, &["-v"], to_client.clone());
    let client = connect(
        &home,
        &[
            &addr(port),
            "--server-key",
            &server_id.to_ssb_id(),
            "--verbose",
        ],
        to_server.clone(),
    );
    let server = server.finish();
    client.assert_success();
    server.assert_success();
    assert_eq!(client.stdout, to_client);
    for (run, sent, received) in [
        (&client, to_server.len(), to_client.len()),
        (&server, to_client.len(), to_server.len()),
    ] {
        for (what, want) in [("sent", sent), ("received", received)] {
            let (bytes, seconds, rate) = figures(run, what);
            assert_eq!(bytes, want, "{}: {what}: {:?}", run.name, run.stderr);
            assert!((0.0..60.0).contains(&seconds), "{:?}", run.stderr);
            // The seconds are rounded to 1 ms, the rate to 0.1 MB/s.
            let slowest = bytes as f64 / (seconds + 0.0005) / 1e6 - 0.05;
            let fastest = bytes as f64 / (seconds - 0.0005).max(1e-9) / 1e6 + 0.05;
            assert!(
                (slowest..=fastest).contains(&rate),
                "{}: {what}: {rate} MB/s for {bytes} bytes in {seconds} s",
                run.name
            );
        }
    }
    // -v logs the handshake too: the server's span names the transport and the client's
    // address and id, the client's the server's id; both give the duration.
    let logged = |run: &Finished, parts: &[&str]| {
        assert!(
            run.stderr
                .iter()
                .any(|line| parts.iter().all(|part| line.contains(part))),
            "{}: no line with {parts:?}: {:?}",
            run.name,
            run.stderr
        );
    };
    let server_peer = format!("peer_id={}", server_id.to_ssb_id());
    let client_span = ["handshake{direction=client", &server_peer];
    logged(
        &client,
        &[&client_span[..], &["handshake succeeded duration_ms="]].concat(),
    );
    let server_span = ["handshake{direction=server transport=net peer_addr=127.0.0.1:"];
    logged(
        &server,
        &[&server_span[..], &["peer_id=@", "handshake succeeded"]].concat(),
    );
    // Without -v: no figures, no log.
    let (server, port, server_id) = listen(&home, &[], Vec::new());
    let quiet = connect(
        &home,
        &[&addr(port), "--server-key", &server_id.to_hex()],
        Vec::new(),
    );
    quiet.assert_success();
    let server = server.finish();
    for run in [&quiet, &server] {
        assert!(run.stderr_after("sent ").is_none(), "{:?}", run.stderr);
        assert!(
            !run.stderr.iter().any(|line| line.contains("handshake")),
            "{:?}",
            run.stderr
        );
    }
}

#[test]
fn a_typed_line_reaches_the_other_side_before_stdin_closes() {
    let home = TempDir::new("interactive");
    let mut server = Proc::spawn_interactive(
        "listen",
        shs_cat(home.path()).args(["listen", "127.0.0.1:0"]),
    );
    let (port, server_id) = listening(&mut server);
    let mut client = Proc::spawn_interactive(
        "connect",
        shs_cat(home.path()).args(["connect", &addr(port), "--server-key", &server_id.to_hex()]),
    );
    for round in 0..3 {
        client.send(format!("line {round} from the client\n").as_bytes());
        assert_eq!(
            server.stdout_line(),
            format!("line {round} from the client")
        );
        server.send(format!("line {round} from the server\n").as_bytes());
        assert_eq!(
            client.stdout_line(),
            format!("line {round} from the server")
        );
    }
    client.close_stdin();
    server.close_stdin();
    client.finish().assert_success();
    server.finish().assert_success();
}
