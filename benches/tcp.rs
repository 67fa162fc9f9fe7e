//! BoxStream over loopback TCP as peers run it: sender and receiver on different threads of a
//! 2-worker runtime, next to the frame-crypto limits measured in the same run; the same over the
//! WebSocket transport.
//!
//! `cargo bench --bench tcp` (about a minute). Each round measures every configuration once, in
//! an order that rotates from round to round, so load from elsewhere hits them alike; the
//! summary gives medians over the rounds and each figure's ratio to the receive-only limit (raw
//! libsodium opening 4096-byte frames, header box + body box, on one core).

use std::time::{Duration, Instant};

use secret_handshake::websocket::{self, WsTransport};
use secret_handshake::Server;
use secret_handshake::{AllowAll, Client, DynBoxStream, Keypair, NetworkKey};
use sodiumoxide::crypto::secretbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FRAME: usize = 4096;

/// One configuration: a run that returns MB/s.
type Measure<'a> = Box<dyn Fn() -> f64 + 'a>;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (total, rounds) = if full { (256 << 20, 7) } else { (1 << 20, 1) };
    sodiumoxide::init().expect("sodium_init");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    let configs: Vec<(&str, Measure)> = vec![
        (
            "receive-only frame limit (raw open, 1 core)",
            Box::new(move || raw_frames(total, false)),
        ),
        (
            "send-only frame limit (raw seal, 1 core)",
            Box::new(move || raw_frames(total, true)),
        ),
        (
            "TCP, 64 KiB writes",
            tcp(&runtime, total, 64 << 10, None, false),
        ),
        (
            "TCP, 4 KiB writes",
            tcp(&runtime, total, 4 << 10, None, false),
        ),
        (
            "TCP, 64 KiB writes, 128 KiB write buffer",
            tcp(&runtime, total, 64 << 10, Some(128 << 10), false),
        ),
        (
            "TCP, 64 KiB writes, 256 KiB write buffer",
            tcp(&runtime, total, 64 << 10, Some(256 << 10), false),
        ),
        (
            "TCP, 1 MiB writes",
            tcp(&runtime, total, 1 << 20, None, false),
        ),
        (
            "WebSocket, 64 KiB writes",
            tcp(&runtime, total, 64 << 10, None, true),
        ),
        (
            "WebSocket, 4 KiB writes",
            tcp(&runtime, total, 4 << 10, None, true),
        ),
    ];
    let mut samples = vec![Vec::new(); configs.len()];
    for round in 0..rounds {
        for i in 0..configs.len() {
            let at = (i + round) % configs.len();
            samples[at].push(configs[at].1());
        }
    }
    let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
    println!(
        "\nBoxStream over loopback TCP, {} MiB per run, median of {rounds} interleaved rounds \
         (load average at the end: {})",
        total >> 20,
        load_average()
    );
    println!("{:<48} {:>9} {:>10}", "", "MB/s", "/ limit");
    for ((name, _), mbps) in configs.iter().zip(&medians) {
        println!("{name:<48} {mbps:>9.0} {:>9.2} ×", mbps / medians[0]);
    }
}

/// MB/s of sealing or opening `total` bytes as 4096-byte frames with raw libsodium calls.
fn raw_frames(total: usize, seal_only: bool) -> f64 {
    let key = secretbox::gen_key();
    let nonce = secretbox::gen_nonce();
    let mut body = vec![7u8; FRAME];
    let mut header = [0u8; 18];
    let frames = total / FRAME;
    if seal_only {
        let start = Instant::now();
        for _ in 0..frames {
            let tag = secretbox::seal_detached(&mut body, &nonce, &key);
            header[2..].copy_from_slice(&tag.0);
            let _ = secretbox::seal_detached(&mut header, &nonce, &key);
        }
        return mbps(total, start.elapsed());
    }
    let body_tag = secretbox::seal_detached(&mut body, &nonce, &key);
    header[2..].copy_from_slice(&body_tag.0);
    let header_tag = secretbox::seal_detached(&mut header, &nonce, &key);
    let mut b = vec![0u8; FRAME];
    let start = Instant::now();
    for _ in 0..frames {
        // Opening decrypts in place, so open a fresh copy each time, as a reader would.
        let mut h = header;
        b.copy_from_slice(&body);
        secretbox::open_detached(&mut h, &header_tag, &nonce, &key).expect("header");
        secretbox::open_detached(&mut b, &body_tag, &nonce, &key).expect("body");
    }
    mbps(total, start.elapsed())
}

/// A closure measuring MB/s of `total` bytes sent in `write`-byte writes over loopback TCP
/// (with the WebSocket transport on top if `ws`).
fn tcp(
    runtime: &tokio::runtime::Runtime,
    total: usize,
    write: usize,
    limit: Option<usize>,
    ws: bool,
) -> Measure<'_> {
    Box::new(move || {
        runtime.block_on(async move {
            let (mut sender, mut receiver) = pair(ws).await;
            if let Some(limit) = limit {
                sender.set_write_buffer_limit(limit);
            }
            let start = Instant::now();
            let send = tokio::spawn(async move {
                let chunk = vec![1u8; write];
                for _ in 0..total / write {
                    sender.write_all(&chunk).await.expect("write");
                }
                sender.shutdown().await.expect("shutdown");
            });
            let receive = tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                let mut got = 0;
                loop {
                    match receiver.read(&mut buf).await.expect("read") {
                        0 => break got,
                        n => got += n,
                    }
                }
            });
            send.await.expect("sender");
            assert_eq!(receive.await.expect("receiver"), total / write * write);
            mbps(total / write * write, start.elapsed())
        })
    })
}

async fn pair(ws: bool) -> (DynBoxStream, DynBoxStream) {
    let network = NetworkKey::ssb_main_net();
    let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
    let client = Client::new(Keypair::generate(), network);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let accept = async {
        let (tcp, _) = listener.accept().await.expect("accept");
        tcp.set_nodelay(true).expect("nodelay");
        if ws {
            let stream = websocket::accept(&server, tcp).await.expect("ws accept");
            return stream.into_dyn();
        }
        server
            .accept(tcp)
            .await
            .expect("server handshake")
            .into_dyn()
    };
    let connect = async {
        let tcp = TcpStream::connect(address).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        if ws {
            let url = format!("ws://{address}/");
            let ws = WsTransport::connect_with(tcp, &url, &Default::default())
                .await
                .expect("ws upgrade");
            return client
                .connect(ws, server.identity())
                .await
                .expect("ws handshake")
                .into_dyn();
        }
        client
            .connect(tcp, server.identity())
            .await
            .expect("client handshake")
            .into_dyn()
    };
    tokio::join!(connect, accept)
}

fn mbps(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / elapsed.as_secs_f64() / 1e6
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
