//! `shs-cat listen` as a server: handshakes that do not wait for each other, the address it
//! prints to paste, unix sockets, and a stdout whose reader goes away.

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::{Client, Keypair, NetworkKey, PublicKey};
use serde_json::json;
use support::common::crowd::Kind;
use support::js::{self, assert_done, assert_ws_peer_exits_promptly, main_net_hex};
use support::session::{connect, listen, listen_args, ms_addr, pasted_address};
use support::{in_runtime, pattern, shs_cat, Proc, TempDir, DEADLINE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;
const KIB_100: usize = 100 * 1024;

/// A raw TCP client that sends one byte a second, as a slow or hostile peer does: its hello
/// (64 bytes) is never complete while the test runs.
struct Trickler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<std::io::Result<TcpStream>>,
}

impl Trickler {
    fn start(port: u16) -> Trickler {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("trickler connects");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                tcp.write_all(&[0x5a])?;
                thread::sleep(Duration::from_secs(1));
            }
            Ok(tcp)
        });
        Trickler { stop, thread }
    }

    /// Waits until the server has dropped the connection (a write fails, or a read ends).
    fn dropped(self) {
        let tcp = self.thread.join().expect("trickler thread");
        assert!(tcp.is_err(), "the trickler was stopped, not dropped");
    }

    /// Stops trickling; the connection is still open (not closed or reset by the server).
    fn stop(self) -> TcpStream {
        self.stop.store(true, Ordering::Relaxed);
        let tcp = self.thread.join().expect("trickler thread");
        let tcp = tcp.unwrap_or_else(|e| panic!("the server dropped the trickler: {e}"));
        tcp.set_nonblocking(true).expect("non-blocking");
        let mut byte = [0];
        match tcp.peek(&mut byte) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => tcp,
            other => panic!("the server closed the trickler's connection: {other:?}"),
        }
    }
}

/// The id at the end of the rest of a listening line, `ADDRESS as ID`.
fn listening_id(rest: &str) -> PublicKey {
    let id = rest.rsplit_once(" as ").expect("`as ID`").1;
    id.parse().expect("an id")
}

#[test]
fn keep_open_serves_other_clients_while_one_trickles() {
    let home = TempDir::new("trickle");
    let (server, port, server_id) = listen(&home, &["--keep-open"], b"stdin".to_vec());
    // Connected first, so accepted first (the kernel queues connections in order): before,
    // its handshake held the accept loop, and every client below timed out.
    let trickler = Trickler::start(port);
    let address = ms_addr(port, &server_id);
    let first = connect(&home, &[&address], b"one ".to_vec());
    first.assert_success();
    assert_eq!(first.stdout, b"stdin");
    connect(&home, &[&address], b"two".to_vec()).assert_success();
    // Sessions run one at a time: once this one is through, "two" is on stdout.
    connect(&home, &[&address], Vec::new()).assert_success();
    let _still_open = trickler.stop();
    let server = server.kill();
    assert_eq!(server.stdout, b"one two");
    let sessions = server
        .stderr
        .iter()
        .filter(|l| l.starts_with("connected: "));
    assert_eq!(sessions.count(), 3, "{:?}", server.stderr);
}

#[test]
fn when_max_handshakes_are_pending_a_newcomer_replaces_the_oldest() {
    let home = TempDir::new("max-handshakes");
    let (server, port, server_id) =
        listen(&home, &["--keep-open", "--max-handshakes", "1"], Vec::new());
    // The one place is the trickler's (accepted first)...
    let trickler = Trickler::start(port);
    // ...and the client takes it: it is served at once, not after the trickler's deadline.
    let started = Instant::now();
    let served = connect(&home, &[&ms_addr(port, &server_id)], b"replaced".to_vec());
    served.assert_success();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    trickler.dropped();
    let server = server.kill();
    assert_eq!(server.stdout, b"replaced");
}

#[test]
fn a_trickling_client_is_cut_off_at_the_handshake_deadline() {
    let home = TempDir::new("deadline");
    let (mut server, port, _) = listen(&home, &["--keep-open"], Vec::new());
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(1)))
        .expect("read timeout");
    let start = Instant::now();
    // One byte a second: each read of the library's (5 s per read) is satisfied in time.
    let cut_off = loop {
        assert!(start.elapsed() < DEADLINE + DEADLINE, "never cut off");
        if tcp.write_all(&[0x5a]).is_err() {
            break start.elapsed();
        }
        let mut byte = [0];
        match tcp.read(&mut byte) {
            Ok(0) => break start.elapsed(),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            other => panic!("the server answered a partial hello: {other:?}"),
        }
    };
    // 30 s, and slack for a loaded machine.
    assert!(
        cut_off > Duration::from_secs(29) && cut_off < Duration::from_secs(40),
        "cut off after {cut_off:?}"
    );
    let failed = server.stderr_line_starting("shs-cat: ");
    assert_eq!(
        failed,
        "shs-cat: not authenticated within the deadline (30 s from connecting)"
    );
}

#[test]
fn listen_prints_an_address_to_paste_into_connect() {
    let home = TempDir::new("address");
    let cases: &[(&[&str], &str)] = &[
        (&["127.0.0.1:0"], "net:127.0.0.1:"),
        (&["--ws", "127.0.0.1:0"], "ws://127.0.0.1:"),
        (&["[::1]:0"], "net:::1:"),
    ];
    for (args, start) in cases {
        let (mut server, listening) = listen_args(&home, args, b"from listen".to_vec());
        let id = listening_id(&listening);
        let address = pasted_address(&mut server);
        assert!(address.starts_with(start), "{args:?}: {address}");
        assert!(
            address.ends_with(&format!("~shs:{}", id.to_base64())),
            "{address}"
        );
        let parsed: MultiserverAddress = address.parse().expect("a multiserver address");
        let port = listening
            .split(" as ")
            .next()
            .and_then(|a| a.rsplit_once(':'));
        assert_eq!(Some(parsed.port.to_string().as_str()), port.map(|p| p.1));
        let client = connect(&home, &[&address], b"from connect".to_vec());
        client.assert_success();
        assert_eq!(client.stdout, b"from listen");
        let server = server.finish();
        server.assert_success();
        assert_eq!(server.stdout, b"from connect");
    }
}

/// Reads 10 bytes of `child`'s stdout, closes it as `head -c 10` does, and checks that the
/// child then exits with 141 and says nothing on stderr.
fn assert_quiet_after_head(mut child: Child, mut stderr: impl Read + Send + 'static) {
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut head = [0; 10];
    stdout.read_exact(&mut head).expect("10 bytes");
    drop(stdout);
    // The exit closes stderr: wait for that end of file (on a thread, so that a child that
    // hangs fails the test after DEADLINE), then reap the child.
    let (said, ended) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = said.send(text);
    });
    let Ok(said) = ended.recv_timeout(DEADLINE) else {
        let _ = child.kill();
        panic!("still running after {DEADLINE:?}");
    };
    let status = child.wait().expect("waiting");
    assert_eq!(status.code(), Some(141), "{status}; stderr: {said}");
    assert!(!said.contains("shs-cat:"), "{said}");
}

#[test]
fn a_closed_stdout_ends_connect_and_listen_quietly_with_141() {
    let home = Arc::new(TempDir::new("head"));
    let (server, port, server_id) = listen(&home, &[], pattern(MIB, 21));
    let mut client = shs_cat(home.path())
        .args(["connect", &ms_addr(port, &server_id)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning connect");
    let stderr = client.stderr.take().expect("piped stderr");
    assert_quiet_after_head(client, stderr);
    drop(server);

    // listen, even with --keep-open: stdout is gone for every later client too.
    let mut server = shs_cat(home.path())
        .args(["listen", "127.0.0.1:0", "--keep-open"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning listen");
    let mut stderr = BufReader::new(server.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("listening line");
    let rest = line
        .trim_end()
        .strip_prefix("listening on ")
        .expect("listening line");
    let addr = rest.split_once(" as ").expect("ADDRESS as ID").0;
    let address = format!("net:{addr}~shs:{}", listening_id(rest).to_base64());
    let client = {
        let home = Arc::clone(&home);
        thread::spawn(move || connect(&home, &[&address], pattern(MIB, 22)))
    };
    assert_quiet_after_head(server, stderr);
    drop(client.join());
}

// ---- unix sockets ------------------------------------------------------------------------

/// A library client over a unix socket: sends `data` and the goodbye, reads to the goodbye.
fn unix_client(path: &Path, server: PublicKey, data: &'static [u8]) -> JoinHandle<Vec<u8>> {
    let path = path.to_owned();
    in_runtime(async move {
        let unix = tokio::net::UnixStream::connect(&path)
            .await
            .expect("connect");
        let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
        let mut stream = client.connect(unix, &server).await.expect("handshake");
        stream.write_all(data).await.expect("write");
        stream.shutdown().await.expect("goodbye");
        let mut received = Vec::new();
        stream
            .read_to_end(&mut received)
            .await
            .expect("the server's goodbye");
        received
    })
}

#[test]
fn listen_unix_serves_a_client_replacing_a_stale_socket_and_removes_it() {
    let dir = TempDir::new("unix");
    let path = dir.path().join("shs.sock");
    // A stale socket: its listener is gone, its file is not.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
    assert!(path.exists());
    let path_str = path.to_str().expect("UTF-8 temp dir");
    let (mut server, listening) = listen_args(&dir, &["--unix", path_str], b"to rust".to_vec());
    assert!(
        listening.starts_with(&format!("{path_str} as ")),
        "{listening}"
    );
    let id = listening_id(&listening);
    let address = pasted_address(&mut server);
    assert_eq!(address, format!("unix:{path_str}~shs:{}", id.to_base64()));
    let mode = std::fs::metadata(&path)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let received = unix_client(&path, id, b"from rust").join().expect("client");
    assert_eq!(received, b"to rust");
    let server = server.finish();
    server.assert_success();
    assert_eq!(server.stdout, b"from rust");
    assert!(!path.exists(), "the socket file is left behind");
}

#[test]
fn listen_unix_leaves_other_files_and_live_sockets_alone_and_cleans_up_on_a_signal() {
    let dir = TempDir::new("unix-files");
    let file = dir.path().join("not-a-socket");
    std::fs::write(&file, "keep me").expect("write");
    let server = Proc::spawn(
        "listen",
        shs_cat(dir.path()).args(["listen", "--unix"]).arg(&file),
        Vec::new(),
    );
    server.finish().assert_failure("not a socket");
    assert_eq!(std::fs::read(&file).expect("still there"), b"keep me");

    let path = dir.path().join("live.sock");
    let path_str = path.to_str().expect("UTF-8 temp dir");
    for (signal, status) in [("TERM", 143), ("INT", 130)] {
        let (mut live, listening) =
            listen_args(&dir, &["--unix", path_str, "--keep-open"], Vec::new());
        pasted_address(&mut live);
        let second = Proc::spawn(
            "second listen",
            shs_cat(dir.path()).args(["listen", "--unix", path_str]),
            Vec::new(),
        )
        .finish();
        second.assert_failure("another process is listening there");
        // The live one still works.
        let id = listening_id(&listening);
        assert!(unix_client(&path, id, b"")
            .join()
            .expect("client")
            .is_empty());
        live.signal(signal);
        let live = live.finish();
        assert_eq!(live.status.code(), Some(status), "{:?}", live.stderr);
        assert!(!path.exists(), "SIG{signal} left the socket file behind");
    }
}

#[test]
fn the_js_multiserver_unix_client_connects_to_listen_unix() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let dir = TempDir::new("unix-js");
    let path = dir.path().join("shs.sock");
    let path_str = path.to_str().expect("UTF-8 temp dir");
    let input = pattern(KIB_100, 23);
    let (mut server, listening) = listen_args(&dir, &["--unix", path_str], input.clone());
    let id = listening_id(&listening);
    let address = pasted_address(&mut server);
    // multiserver's own unix-socket plugin parses the address shs-cat printed.
    let mut js = js::ws_peer(
        node,
        json!({
            "role": "client",
            "transport": "unix",
            "network_key": main_net_hex(),
            "seed": "18".repeat(32),
            "address": address,
            "send_bytes": 100_000,
            "timeout_ms": DEADLINE.as_millis() as u64,
        }),
    );
    let connected = js::event(&mut js, "connected");
    assert_eq!(connected["remote"], id.to_hex());
    let done = js::event(&mut js, "done");
    let server = server.finish();
    server.assert_success();
    let js_id = Keypair::from_seed(&[0x18; 32]).public().to_ssb_id();
    assert_eq!(server.stderr_after("connected: "), Some(js_id.as_str()));
    assert_done(&done, &server.stdout, &input);
    assert_ws_peer_exits_promptly(js);
    assert!(!path.exists(), "the socket file is left behind");
}

#[test]
fn listen_unix_makes_its_socket_owner_only_from_the_start_even_under_umask_0() {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let dir = TempDir::new("unix-umask");
    let path = dir.path().join("private.sock");
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", "umask 0; exec \"$0\" listen --unix \"$1\""])
        .arg(env!("CARGO_BIN_EXE_shs-cat"))
        .arg(&path)
        .env("HOME", dir.path());
    let mut server = Proc::spawn("listen", &mut command, Vec::new());
    // Everything that appears beside the socket on the way is owner-only: the directory it is
    // bound in (0700), then the socket (0600). No sleeping: the directory is read until the
    // socket is there.
    let started = Instant::now();
    let mut entries_seen = 0;
    loop {
        assert!(
            started.elapsed() < DEADLINE,
            "no socket at {}",
            path.display()
        );
        for entry in std::fs::read_dir(dir.path()).expect("read the directory") {
            let Ok(meta) = entry.expect("an entry").metadata() else {
                continue; // gone meanwhile
            };
            let mode = meta.mode() & 0o777;
            if meta.is_dir() {
                assert_eq!(mode, 0o700, "{:?}", meta);
                entries_seen += 1;
            } else if meta.file_type().is_socket() {
                assert_eq!(mode, 0o600, "{:?}", meta);
                entries_seen += 1;
            }
        }
        if std::fs::symlink_metadata(&path).is_ok() {
            break;
        }
        thread::yield_now();
    }
    assert!(entries_seen >= 1);
    let listening = server.stderr_line_starting("listening on ");
    assert!(listening.ends_with(".ed25519"), "{listening}");
    server.kill();
}

#[test]
fn keep_open_lets_an_honest_client_in_within_2_s_despite_256_tricklers() {
    honest_client_despite_a_crowd(Kind::Tcp, 256);
}

#[test]
fn keep_open_lets_an_honest_client_in_within_2_s_despite_1000_tricklers() {
    honest_client_despite_a_crowd(Kind::Tcp, 1000);
}

#[test]
fn keep_open_ws_lets_an_honest_client_in_within_2_s_despite_256_tricklers() {
    honest_client_despite_a_crowd(Kind::Ws, 256);
}

#[test]
fn keep_open_ws_lets_an_honest_client_in_within_2_s_despite_1000_tricklers() {
    honest_client_despite_a_crowd(Kind::Ws, 1000);
}

/// `crowd` sockets from 127.0.0.1 trickle a byte every 3 s (over WebSocket, once upgraded),
/// reconnecting when cut; an honest client from 127.0.0.2 must be through its handshake
/// within 2 s, three times in a row.
fn honest_client_despite_a_crowd(kind: Kind, crowd_size: usize) {
    use secret_handshake::websocket::{Config, WsTransport};
    use support::common::crowd::{from_another_address, raise_fd_limit, Running};
    if !raise_fd_limit(2 * crowd_size as u64 + 256) {
        return;
    }
    let home = TempDir::new("crowd");
    let args: &[&str] = match kind {
        Kind::Tcp => &["--keep-open"],
        Kind::Ws => &["--keep-open", "--ws"],
    };
    let (server, port, server_id) = listen(&home, args, Vec::new());
    let running = Running::start(crowd_size, port, kind, Duration::from_secs(3));
    let crowd = Arc::clone(&running.crowd);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // A source's whole share of handshakes in flight.
    let share = secret_handshake::DEFAULT_MAX_HANDSHAKES_PER_SOURCE;
    runtime.block_on(async {
        if tokio::time::timeout(DEADLINE, crowd.pressing(crowd_size, share))
            .await
            .is_err()
        {
            panic!(
                "the crowd of {crowd_size} never pressed: {}",
                crowd.summary()
            );
        }
        for attempt in 0..3 {
            let started = Instant::now();
            let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
            let handshake = async {
                let tcp = from_another_address(port).await.expect("connect");
                match kind {
                    Kind::Tcp => drop(client.connect(tcp, &server_id).await.expect("handshake")),
                    Kind::Ws => {
                        let url = format!("ws://127.0.0.1:{port}/");
                        let ws = WsTransport::connect_with(tcp, &url, &Config::default())
                            .await
                            .expect("upgrade");
                        drop(client.connect(ws, &server_id).await.expect("handshake"));
                    }
                }
            };
            tokio::time::timeout(Duration::from_secs(10), handshake)
                .await
                .expect("locked out for 10 s");
            let took = started.elapsed();
            eprintln!("honest client {attempt}: {took:?}");
            assert!(took < Duration::from_secs(2), "attempt {attempt}: {took:?}");
        }
        eprintln!("{kind:?}, {crowd_size} tricklers: {}", crowd.summary());
    });
    drop(running);
    server.kill();
}
