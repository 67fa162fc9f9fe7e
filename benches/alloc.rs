//! Heap use, counted by a global allocator: heap bytes per established `BoxStream`, and
//! allocations per frame in steady state (targets: a quiet stream holds at most 512 B more than
//! right after its handshake, whatever it carried; no allocation per frame within a burst).
//!
//! `cargo bench --bench alloc` (a plain program, not criterion). Everything runs on one thread
//! (a current-thread tokio runtime), so every counted allocation is ours or the transport's; the
//! transport's own share is measured separately (`plain` rows) and subtracted where it says so.

mod common;
#[allow(dead_code)]
#[path = "../tests/common/heap.rs"]
mod heap;

use std::hint::black_box;

use bytes::BytesMut;
use common::tcp_pair;
use secret_handshake::boxstream::Frame;
use secret_handshake::handshake::{ClientHandshake, ServerHandshake};
use secret_handshake::hazmat::{self, drive};
use secret_handshake::{AllowAll, BoxStream, Client, Keypair, NetworkKey, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::{TcpListener, TcpStream};

/// The tests' counting allocator.
#[global_allocator]
static GLOBAL: heap::Counting = heap::Counting;

#[derive(Clone, Copy)]
struct Snapshot {
    allocations: u64,
    bytes: u64,
    live: i64,
}

fn snapshot() -> Snapshot {
    Snapshot {
        allocations: heap::allocations(),
        bytes: heap::allocated_bytes(),
        live: heap::live() as i64,
    }
}

impl Snapshot {
    /// (allocations, bytes allocated, change in live bytes) since `earlier`.
    fn since(self, earlier: Snapshot) -> (u64, u64, i64) {
        (
            self.allocations - earlier.allocations,
            self.bytes - earlier.bytes,
            self.live - earlier.live,
        )
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

const KEY: [u8; 32] = [0x11; 32];
const NONCE: [u8; 24] = [0x22; 24];
const FRAME: usize = 4096;
const DUPLEX_BUF: usize = 64 * 1024;

struct Peers {
    client: Client,
    server: Server<AllowAll>,
    server_key: secret_handshake::PublicKey,
}

fn peers() -> Peers {
    let network = NetworkKey::ssb_main_net();
    let server_id = Keypair::generate();
    Peers {
        server_key: *server_id.public(),
        client: Client::new(Keypair::generate(), network.clone()),
        server: Server::new(server_id, network, AllowAll),
    }
}

impl Peers {
    async fn establish<IO>(&self, a: IO, b: IO) -> (BoxStream<IO>, BoxStream<IO>)
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let (c, s) = tokio::join!(
            self.client.connect(a, &self.server_key),
            self.server.accept(b)
        );
        (c.expect("client"), s.expect("server"))
    }
}

/// Writes `data` on `w` (write_all + flush) while `r` reads as many bytes.
async fn exchange<W, R>(w: &mut W, r: &mut R, data: &[u8], sink: &mut [u8])
where
    W: AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    let (wrote, read) = tokio::join!(
        async {
            w.write_all(data).await?;
            w.flush().await
        },
        r.read_exact(&mut sink[..data.len()])
    );
    wrote.expect("write");
    read.expect("read");
}

fn sans_io_handshake(client: &Keypair, server: &Keypair, network: &NetworkKey) {
    let c = ClientHandshake::new(client, network, server.public());
    let s = ServerHandshake::new(server, network);
    black_box(drive::in_memory(c, s).expect("handshake"));
}

fn handshakes(quick: bool) {
    let n = if quick { 20 } else { 500 };
    println!("\n-- allocations per handshake (client + server), mean of {n} --");
    let (client, server, network) = (
        Keypair::generate(),
        Keypair::generate(),
        NetworkKey::ssb_main_net(),
    );
    sans_io_handshake(&client, &server, &network);
    let before = snapshot();
    for _ in 0..n {
        sans_io_handshake(&client, &server, &network);
    }
    let (allocs, bytes, _) = snapshot().since(before);
    println!(
        "sans-IO state machines          {:>7.1} allocations  {:>8.0} bytes",
        allocs as f64 / n as f64,
        bytes as f64 / n as f64
    );

    let rt = runtime();
    let p = peers();
    rt.block_on(async {
        let (a, b) = tokio::io::duplex(DUPLEX_BUF);
        black_box(p.establish(a, b).await);
        let before = snapshot();
        for _ in 0..n {
            let (a, b) = tokio::io::duplex(DUPLEX_BUF);
            black_box(p.establish(a, b).await);
        }
        let (allocs, bytes, _) = snapshot().since(before);
        let before = snapshot();
        for _ in 0..n {
            black_box(tokio::io::duplex(DUPLEX_BUF));
        }
        let (t_allocs, t_bytes, _) = snapshot().since(before);
        println!(
            "async Client/Server over duplex {:>7.1} allocations  {:>8.0} bytes  \
             (of which the duplex pair: {:.1} allocations, {:.0} bytes)",
            allocs as f64 / n as f64,
            bytes as f64 / n as f64,
            t_allocs as f64 / n as f64,
            t_bytes as f64 / n as f64,
        );
    });
}

/// What each heap phase sends each way: (label, plaintext bytes, the same sealed into frames).
const PHASES: [(&str, usize, usize); 3] = [
    ("idle, right after the handshake", 0, 0),
    (
        "after 4 KiB each way (write, flush, read)",
        FRAME,
        FRAME + 34,
    ),
    ("after 1 MiB more each way", 1 << 20, (1 << 20) + 256 * 34),
];

/// Mean live heap bytes per stream after each of [`PHASES`], over `n` pairs from `make`: of
/// `BoxStream`s when `boxed` (with `write_limit` if given), else of the bare transport carrying
/// the same wire bytes.
async fn heap_phases<IO, F, Fut>(
    p: &Peers,
    n: usize,
    mut make: F,
    boxed: bool,
    write_limit: Option<usize>,
) -> Vec<f64>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (IO, IO)>,
{
    let data = vec![0x5a_u8; 2 << 20];
    let mut sink = vec![0u8; 2 << 20];
    let mut live = Vec::new();
    let before = snapshot();
    if boxed {
        let mut pairs = Vec::with_capacity(n);
        // The vector holding the pairs is ours, not the streams'.
        let held = n * std::mem::size_of::<(BoxStream<IO>, BoxStream<IO>)>();
        for _ in 0..n {
            let (a, b) = make().await;
            let (mut c, mut s) = p.establish(a, b).await;
            if let Some(limit) = write_limit {
                c.set_write_buffer_limit(limit);
                s.set_write_buffer_limit(limit);
            }
            pairs.push((c, s));
        }
        for (_, len, _) in PHASES {
            for (c, s) in &mut pairs {
                if len > 0 {
                    exchange(c, s, &data[..len], &mut sink).await;
                    exchange(s, c, &data[..len], &mut sink).await;
                }
            }
            live.push((snapshot().since(before).2 as f64 - held as f64) / (2 * n) as f64);
        }
    } else {
        let mut pairs = Vec::with_capacity(n);
        let held = n * std::mem::size_of::<(IO, IO)>();
        for _ in 0..n {
            pairs.push(make().await);
        }
        for (_, _, wire) in PHASES {
            for (a, b) in &mut pairs {
                if wire > 0 {
                    exchange(a, b, &data[..wire], &mut sink).await;
                    exchange(b, a, &data[..wire], &mut sink).await;
                }
            }
            live.push((snapshot().since(before).2 as f64 - held as f64) / (2 * n) as f64);
        }
    }
    live
}

fn print_heap(title: &str, boxed: &[f64], plain: &[f64]) {
    println!("{title}");
    let idle = boxed[0] - plain[0];
    for (((label, _, _), with), transport) in PHASES.iter().zip(boxed).zip(plain) {
        let own = with - transport;
        println!(
            "  {label:<42} {with:>8.0} B/stream, transport {transport:>7.0} B, own {own:>7.0} B, \
             {:+.0} B over idle (target <= +512: {})",
            own - idle,
            if own - idle <= 512.0 { "met" } else { "MISSED" }
        );
    }
}

/// Heap bytes held per established stream, idle and after traffic.
fn heap_per_stream(quick: bool) {
    let n = if quick { 10 } else { 100 };
    println!("\n-- heap per established BoxStream, mean of {n} pairs --");
    println!(
        "size_of::<BoxStream<DuplexStream>>() = {} B, size_of::<BoxStream<TcpStream>>() = {} B \
         (inline, not heap)",
        std::mem::size_of::<BoxStream<DuplexStream>>(),
        std::mem::size_of::<BoxStream<TcpStream>>()
    );
    println!(
        "(\"transport\": the bare transport after carrying the same wire bytes; \
         \"own\" = the difference)"
    );
    let rt = runtime();
    let p = peers();
    rt.block_on(async {
        // Warm up the runtime (timer wheel, I/O driver slab) so it is not charged to streams.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut warm = Vec::new();
        for _ in 0..n {
            let (a, b) = tcp_pair(&listener).await;
            warm.push(p.establish(a, b).await);
        }
        drop(warm);

        let duplex = || async { tokio::io::duplex(DUPLEX_BUF) };
        // One pass to discard: the first one sees the allocator and runtime settle.
        heap_phases(&p, n, duplex, true, None).await;
        let boxed = heap_phases(&p, n, duplex, true, None).await;
        let plain = heap_phases(&p, n, duplex, false, None).await;
        print_heap("over tokio::io::duplex (64 KiB pipes)", &boxed, &plain);
        let boxed = heap_phases(&p, n, duplex, true, Some(FRAME)).await;
        print_heap(
            "over duplex, write buffer limit 4096 (set_write_buffer_limit)",
            &boxed,
            &plain,
        );
        let tcp = || tcp_pair(&listener);
        let boxed = heap_phases(&p, n, tcp, true, None).await;
        let plain = heap_phases(&p, n, tcp, false, None).await;
        print_heap("over loopback TCP", &boxed, &plain);
    });
}

/// Allocations per 4096-byte frame once everything is warmed up. Each exchange (write_all,
/// flush, read) is one burst; the target is no allocation per frame and at most one per burst
/// in each of the two streams (the buffers are freed when a burst is over).
fn per_frame(quick: bool) {
    let (warm, frames) = if quick { (64, 256) } else { (1000, 10_000) };
    println!(
        "\n-- allocations per 4096-byte frame in steady state ({frames} frames after {warm}; \
         target: at most 1 per stream per burst, 0 per frame within a burst) --"
    );
    let data = vec![0x5a_u8; 64 * 1024];
    let mut sink = vec![0u8; 64 * 1024];
    let show = |what: &str, frames: usize, bursts: usize, delta: (u64, u64, i64)| {
        // Two streams (sender and receiver) take part in each burst; the sans-IO case has none.
        let allowed = if bursts == 0 { 0 } else { 2 * bursts as u64 };
        println!(
            "{what:<46} {:>8.4} allocations/frame {:>8.1} B/frame ({} in {frames} frames, {bursts} bursts){}",
            delta.0 as f64 / frames as f64,
            delta.1 as f64 / frames as f64,
            delta.0,
            if what.starts_with("plain") {
                ""
            } else if delta.0 <= allowed {
                "  (target: met)"
            } else {
                "  (target: MISSED)"
            }
        );
    };

    // The sans-IO core: seal into a reused buffer, open from it.
    let mut sealer = hazmat::sealer_from_raw_parts(KEY, NONCE);
    let mut opener = hazmat::opener_from_raw_parts(KEY, NONCE);
    let mut wire = BytesMut::new();
    let mut step = |wire: &mut BytesMut| {
        sealer.seal(&data[..FRAME], wire);
        match opener.open(wire) {
            Ok(Some(Frame::Message(body))) => black_box(body),
            other => panic!("{other:?}"),
        };
    };
    for _ in 0..warm {
        step(&mut wire);
    }
    let before = snapshot();
    for _ in 0..frames {
        step(&mut wire);
    }
    show(
        "sans-IO BoxSealer::seal + BoxOpener::open",
        frames,
        0,
        snapshot().since(before),
    );

    let rt = runtime();
    let p = peers();
    rt.block_on(async {
        for (write, label) in [(FRAME, "4 KiB"), (64 * 1024, "64 KiB")] {
            let per = write / FRAME;
            // BoxStream over the duplex.
            let (a, b) = tokio::io::duplex(DUPLEX_BUF);
            let (mut c, mut s) = p.establish(a, b).await;
            for _ in 0..warm / per {
                exchange(&mut c, &mut s, &data[..write], &mut sink).await;
            }
            let before = snapshot();
            for _ in 0..frames / per {
                exchange(&mut c, &mut s, &data[..write], &mut sink).await;
            }
            let delta = snapshot().since(before);
            show(
                &format!("BoxStream over duplex, {label} writes"),
                frames,
                frames / per,
                delta,
            );
            // The transport alone.
            let (mut a, mut b) = tokio::io::duplex(DUPLEX_BUF);
            for _ in 0..warm / per {
                exchange(&mut a, &mut b, &data[..write], &mut sink).await;
            }
            let before = snapshot();
            for _ in 0..frames / per {
                exchange(&mut a, &mut b, &data[..write], &mut sink).await;
            }
            let delta = snapshot().since(before);
            show(
                &format!("plain duplex, {label} writes"),
                frames,
                frames / per,
                delta,
            );
        }

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        for (write, label) in [(FRAME, "4 KiB"), (64 * 1024, "64 KiB")] {
            let per = write / FRAME;
            let (a, b) = tcp_pair(&listener).await;
            let (mut c, mut s) = p.establish(a, b).await;
            for _ in 0..warm / per {
                exchange(&mut c, &mut s, &data[..write], &mut sink).await;
            }
            let before = snapshot();
            for _ in 0..frames / per {
                exchange(&mut c, &mut s, &data[..write], &mut sink).await;
            }
            let delta = snapshot().since(before);
            show(
                &format!("BoxStream over loopback TCP, {label} writes"),
                frames,
                frames / per,
                delta,
            );
            let (mut a, mut b) = tcp_pair(&listener).await;
            for _ in 0..warm / per {
                exchange(&mut a, &mut b, &data[..write], &mut sink).await;
            }
            let before = snapshot();
            for _ in 0..frames / per {
                exchange(&mut a, &mut b, &data[..write], &mut sink).await;
            }
            let delta = snapshot().since(before);
            show(
                &format!("plain loopback TCP, {label} writes"),
                frames,
                frames / per,
                delta,
            );
        }
    });
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: do a quick pass only.
    let quick = !std::env::args().any(|a| a == "--bench");
    sodiumoxide::init().expect("sodium_init");
    println!("heap accounting by a counting global allocator (one thread)");
    handshakes(quick);
    heap_per_stream(quick);
    per_frame(quick);
}
