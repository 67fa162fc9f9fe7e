//! Box-stream throughput against raw `crypto_secretbox`, and `BoxStream` over an in-memory tokio
//! duplex and loopback TCP with 4 KiB, 64 KiB and 1 MiB writes.
//!
//! `cargo bench --bench boxstream`. The summary at the end prints every figure beside its limit
//! (target: box-stream seal + open of a 4096-byte frame at >= 0.97x one raw secretbox seal + open
//! of 4096 bytes) and, if
//! `node benches/js/bench.js` has been run, beside the JS reference.

mod common;

use std::hint::black_box;
use std::time::Instant;

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput};
use secret_handshake::boxstream::{BoxOpener, BoxSealer, Opened};
use secret_handshake::hazmat;
use secret_handshake::{AllowAll, BoxStream, Client, Keypair, NetworkKey, Server};
use sodiumoxide::crypto::secretbox;
use sodiumoxide::crypto::stream::{salsa20, xsalsa20};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

const MSG: usize = 4096;
const KEY: [u8; 32] = [0x11; 32];
const NONCE: [u8; 24] = [0x22; 24];
/// Write sizes for the stream benches.
const WRITES: [usize; 3] = [4096, 64 * 1024, 1024 * 1024];
/// The in-memory duplex's buffer, the same as the write buffer's default limit.
const DUPLEX_BUF: usize = 64 * 1024;
/// The alternative write buffer limit measured beside the default 64 KiB.
const SMALL_WRITE_BUFFER: usize = 8 * 1024;
/// What `BoxStream` asks its transport for per read (src/io/read.rs `READ_CHUNK`: four frames).
const READ_CHUNK: usize = 4 * (34 + 4096);

fn core(c: &mut Criterion) {
    sodiumoxide::init().expect("sodium_init");
    let data = vec![0x5a_u8; MSG];
    let key = secretbox::Key(KEY);
    let n1 = secretbox::Nonce(NONCE);
    let n2 = secretbox::Nonce([0x23; 24]);
    let mut g = c.benchmark_group("boxstream_4096");
    g.throughput(Throughput::Bytes(MSG as u64));

    // The physical limit: one secretbox seal and one open of 4096 bytes.
    g.bench_function("raw_secretbox_seal_open", |b| {
        let mut buf = data.clone();
        b.iter(|| {
            let tag = secretbox::seal_detached(&mut buf, &n1, &key);
            secretbox::open_detached(black_box(&mut buf), &tag, &n1, &key).unwrap();
        })
    });
    // What a frame needs at the least: the body box plus the 18-byte header box, both ways.
    g.bench_function("raw_frame_seal_open", |b| {
        let mut buf = data.clone();
        let mut header = [0u8; 18];
        b.iter(|| {
            let body_tag = secretbox::seal_detached(&mut buf, &n2, &key);
            header[2..].copy_from_slice(&body_tag.0);
            let header_tag = secretbox::seal_detached(&mut header, &n1, &key);
            secretbox::open_detached(black_box(&mut header), &header_tag, &n1, &key).unwrap();
            secretbox::open_detached(black_box(&mut buf), &body_tag, &n2, &key).unwrap();
        })
    });
    // The header box alone: its fixed cost is what keeps a frame below the 4096-byte limit.
    g.throughput(Throughput::Bytes(18));
    g.bench_function("raw_secretbox_seal_open_18", |b| {
        let mut header = [0u8; 18];
        b.iter(|| {
            let tag = secretbox::seal_detached(&mut header, &n1, &key);
            secretbox::open_detached(black_box(&mut header), &tag, &n1, &key).unwrap();
        })
    });
    // XSalsa20 = HSalsa20 (subkey from key and nonce[..16]) + Salsa20; the difference on one
    // block is the HSalsa20 that every secretbox call repeats. Box-stream caches the subkey, as
    // its nonces only change their first 16 bytes when the low 64 bits wrap.
    g.throughput(Throughput::Bytes(64));
    g.bench_function("xsalsa20_64", |b| {
        let (k, n) = (xsalsa20::Key(KEY), xsalsa20::Nonce(NONCE));
        let mut block = [0u8; 64];
        b.iter(|| xsalsa20::stream_xor_inplace(black_box(&mut block), &n, &k))
    });
    g.bench_function("salsa20_64", |b| {
        let (k, n) = (salsa20::Key(KEY), salsa20::Nonce([0x22; 8]));
        let mut block = [0u8; 64];
        b.iter(|| salsa20::stream_xor_inplace(black_box(&mut block), &n, &k))
    });
    g.throughput(Throughput::Bytes(MSG as u64));
    g.bench_function("boxstream_seal_open", |b| {
        let mut sealer = hazmat::sealer_from_raw_parts(KEY, NONCE);
        let mut opener = hazmat::opener_from_raw_parts(KEY, NONCE);
        let mut wire = BytesMut::with_capacity(2 * MSG);
        b.iter(|| seal_open(&mut sealer, &mut opener, &data, &mut wire))
    });
    g.bench_function("raw_secretbox_seal", |b| {
        let mut buf = data.clone();
        b.iter(|| secretbox::seal_detached(black_box(&mut buf), &n1, &key))
    });
    g.bench_function("boxstream_seal", |b| {
        let mut sealer = hazmat::sealer_from_raw_parts(KEY, NONCE);
        let mut wire = BytesMut::with_capacity(2 * MSG);
        b.iter(|| {
            wire.clear();
            sealer.seal(black_box(&data), &mut wire);
        })
    });
    g.finish();
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Client and server streams after a handshake over `(a, b)`.
async fn establish<IO>(a: IO, b: IO) -> (BoxStream<IO>, BoxStream<IO>)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let network = NetworkKey::ssb_main_net();
    let server_id = Keypair::generate();
    let server_key = *server_id.public();
    let client = Client::new(Keypair::generate(), network.clone());
    let server = Server::new(server_id, network, AllowAll);
    let (c, s) = tokio::join!(client.connect(a, &server_key), server.accept(b));
    (c.expect("client"), s.expect("server"))
}

/// Like [`transfer`], but the reader asks for at most `chunk` bytes per read, as `BoxStream`
/// asks its transport for about four frames (16 KiB) at a time.
async fn transfer_chunked<W, R>(
    writer: &mut W,
    reader: &mut R,
    data: &[u8],
    sink: &mut [u8],
    chunk: usize,
    iters: u64,
) where
    W: AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    for _ in 0..iters {
        let (w, r) = tokio::join!(
            async {
                writer.write_all(data).await?;
                writer.flush().await
            },
            async {
                let mut got = 0;
                while got < sink.len() {
                    let end = sink.len().min(got + chunk);
                    match reader.read(&mut sink[got..end]).await? {
                        0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                        n => got += n,
                    }
                }
                Ok::<_, std::io::Error>(())
            }
        );
        w.expect("write");
        r.expect("read");
    }
}

/// One group per transport: `boxstream/<write size>`, `boxstream_wbuf8k/<write size>` (write
/// buffer limit 8 KiB instead of 64 KiB) and, as the transport's own cost, `plain/<write size>`
/// (the same bytes unencrypted); with `chunked`, also `plain_r16k/<write size>`: unencrypted,
/// read 16 KiB at a time like `BoxStream` reads its transport.
fn streams<IO>(
    c: &mut Criterion,
    group: &str,
    rt: &Runtime,
    chunked: bool,
    pair: impl Fn() -> (IO, IO),
) where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let data = vec![0x5a_u8; *WRITES.iter().max().unwrap_or(&MSG)];
    let mut sink = vec![0u8; data.len()];
    let mut g = c.benchmark_group(group);
    for len in WRITES {
        g.throughput(Throughput::Bytes(len as u64));
        let (a, b) = pair();
        let (mut client, mut server) = rt.block_on(establish(a, b));
        g.bench_with_input(BenchmarkId::new("boxstream", len), &len, |bch, &len| {
            bch.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    common::transfer(
                        &mut client,
                        &mut server,
                        &data[..len],
                        &mut sink[..len],
                        iters,
                    )
                    .await;
                    start.elapsed()
                })
            })
        });
        // With a small write buffer (about two frames), the cost of the smaller heap.
        let (a, b) = pair();
        let (mut client, mut server) = rt.block_on(establish(a, b));
        client.set_write_buffer_limit(SMALL_WRITE_BUFFER);
        g.bench_with_input(
            BenchmarkId::new("boxstream_wbuf8k", len),
            &len,
            |bch, &len| {
                bch.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        common::transfer(
                            &mut client,
                            &mut server,
                            &data[..len],
                            &mut sink[..len],
                            iters,
                        )
                        .await;
                        start.elapsed()
                    })
                })
            },
        );
        let (mut a, mut b) = pair();
        g.bench_with_input(BenchmarkId::new("plain", len), &len, |bch, &len| {
            bch.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    common::transfer(&mut a, &mut b, &data[..len], &mut sink[..len], iters).await;
                    start.elapsed()
                })
            })
        });
        if chunked {
            let (mut a, mut b) = pair();
            g.bench_with_input(BenchmarkId::new("plain_r16k", len), &len, |bch, &len| {
                bch.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        let (data, sink) = (&data[..len], &mut sink[..len]);
                        transfer_chunked(&mut a, &mut b, data, sink, READ_CHUNK, iters).await;
                        start.elapsed()
                    })
                })
            });
        }
    }
    g.finish();
}

fn stream_duplex(c: &mut Criterion) {
    let rt = runtime();
    streams::<DuplexStream>(c, "stream_duplex", &rt, false, || {
        tokio::io::duplex(DUPLEX_BUF)
    });
}

fn stream_tcp(c: &mut Criterion) {
    let rt = runtime();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let tcp_pair = || rt.block_on(common::tcp_pair(&listener));
    streams::<TcpStream>(c, "stream_tcp", &rt, true, tcp_pair);
}

/// The core ratios again, measured interleaved so that load from other processes hits both
/// sides alike.
fn interleaved_core() {
    let data = vec![0x5a_u8; MSG];
    let key = secretbox::Key(KEY);
    let (n1, n2) = (secretbox::Nonce(NONCE), secretbox::Nonce([0x23; 24]));
    let mut raw_buf = data.clone();
    let mut raw = || {
        let tag = secretbox::seal_detached(&mut raw_buf, &n1, &key);
        secretbox::open_detached(black_box(&mut raw_buf), &tag, &n1, &key).unwrap();
    };
    let mut frame_buf = data.clone();
    let mut header = [0u8; 18];
    let mut frame = || {
        let body_tag = secretbox::seal_detached(&mut frame_buf, &n2, &key);
        header[2..].copy_from_slice(&body_tag.0);
        let header_tag = secretbox::seal_detached(&mut header, &n1, &key);
        secretbox::open_detached(black_box(&mut header), &header_tag, &n1, &key).unwrap();
        secretbox::open_detached(black_box(&mut frame_buf), &body_tag, &n2, &key).unwrap();
    };
    let mut sealer = hazmat::sealer_from_raw_parts(KEY, NONCE);
    let mut opener = hazmat::opener_from_raw_parts(KEY, NONCE);
    let mut wire = BytesMut::with_capacity(2 * MSG);
    let mut boxstream = || seal_open(&mut sealer, &mut opener, &data, &mut wire);
    let vs_raw = common::interleaved(101, 200, &mut boxstream, &mut raw);
    let vs_frame = common::interleaved(101, 200, &mut boxstream, &mut frame);
    println!(
        "interleaved, medians of {} rounds; box-stream seal + open of a 4096-byte frame {:.0} ns:",
        vs_raw.rounds, vs_raw.a_ns
    );
    println!(
        "  vs one raw crypto_secretbox seal + open of 4096 bytes ({:.0} ns): {:.3}x \
         (target >= 0.97x: {})",
        vs_raw.b_ns,
        1.0 / vs_raw.ratio,
        common::verdict(1.0 / vs_raw.ratio >= 0.97)
    );
    println!(
        "  vs the raw two-box libsodium frame, body + 18-byte header ({:.0} ns): {:.3}x",
        vs_frame.b_ns,
        1.0 / vs_frame.ratio
    );
}

fn summary() {
    common::heading("box-stream throughput vs raw secretbox (4096-byte messages)");
    let g = "boxstream_4096";
    let m = |id: &str| common::median_ns(g, id);
    let mib = |ns: f64| common::mib_per_s(MSG as f64, ns);
    let (Some(raw), Some(frame), Some(bs)) = (
        m("raw_secretbox_seal_open"),
        m("raw_frame_seal_open"),
        m("boxstream_seal_open"),
    ) else {
        println!("(core benches not run in this process: no ratios)");
        return;
    };
    println!(
        "raw secretbox seal+open 4096 B   {raw:>8.0} ns  {:>7.1} MiB/s   (the limit)",
        mib(raw)
    );
    println!(
        "raw frame (body + 18 B header)   {frame:>8.0} ns  {:>7.1} MiB/s   = {:.1}% of the limit",
        mib(frame),
        100.0 * raw / frame
    );
    if let Some(h) = m("raw_secretbox_seal_open_18") {
        println!(
            "raw secretbox seal+open 18 B     {h:>8.0} ns  (the header box: {:.1}% of the limit)",
            100.0 * h / raw
        );
    }
    if let (Some(x), Some(s)) = (m("xsalsa20_64"), m("salsa20_64")) {
        let h = x - s;
        println!(
            "HSalsa20 (xsalsa20 - salsa20, 64 B) {h:>5.0} ns per box: {:.1}% of the limit, which \
             pays 2; box-stream caches the subkey and pays none per frame",
            200.0 * h / raw
        );
    }
    let ratio = raw / bs;
    println!(
        "box-stream seal+open             {bs:>8.0} ns  {:>7.1} MiB/s   = {:.1}% of the limit \
         (target >= 97%: {}), {:.1}% of raw frame",
        mib(bs),
        100.0 * ratio,
        common::verdict(ratio >= 0.97),
        100.0 * frame / bs
    );
    if let (Some(rs), Some(bss)) = (m("raw_secretbox_seal"), m("boxstream_seal")) {
        println!(
            "seal only: raw {rs:.0} ns, box-stream {bss:.0} ns = {:.1}% of raw",
            100.0 * rs / bss
        );
    }
    interleaved_core();
    let js = common::js_reference();
    if let Some(js) = &js {
        if let Some(js_mib) = js["box_unbox_4096_mib_s"].as_f64() {
            println!(
                "JS reference box+unbox           {:>8.0} ns  {js_mib:>7.1} MiB/s   Rust box-stream \
                 is {:.2}x faster (JS raw secretbox: {:.1} MiB/s)",
                js["box_unbox_4096_us_per_chunk"].as_f64().unwrap_or(0.0) * 1e3,
                mib(bs) / js_mib,
                js["raw_secretbox_4096_mib_s"].as_f64().unwrap_or(0.0)
            );
        }
    } else {
        println!("JS reference: run `node benches/js/bench.js` for the comparison");
    }

    common::heading("BoxStream over transports (one thread: seal, transport, open)");
    println!(
        "{:<10} {:>8} {:>10} {:>11} {:>12} {:>11} {:>11} {:>8}",
        "transport",
        "write",
        "box MiB/s",
        "% of limit",
        "wbuf8k MiB/s",
        "plain MiB/s",
        "plain r16k",
        "vs JS"
    );
    for group in ["stream_duplex", "stream_tcp"] {
        for len in WRITES {
            let id = format!("boxstream/{len}");
            let Some(ns) = common::median_ns(group, &id) else {
                continue;
            };
            let box_mib = common::mib_per_s(len as f64, ns);
            let other = |id: String| {
                common::median_ns(group, &id)
                    .map(|p| format!("{:.1}", common::mib_per_s(len as f64, p)))
                    .unwrap_or_else(|| "-".into())
            };
            let plain = other(format!("plain/{len}"));
            let small = other(format!("boxstream_wbuf8k/{len}"));
            let r16k = other(format!("plain_r16k/{len}"));
            let vs_js = js
                .as_ref()
                .and_then(|j| j["box_unbox_4096_mib_s"].as_f64())
                .map(|j| format!("{:.2}x", box_mib / j))
                .unwrap_or_else(|| "-".into());
            println!(
                "{:<10} {:>8} {box_mib:>10.1} {:>10.1}% {small:>12} {plain:>11} {r16k:>11} {vs_js:>8}",
                group.trim_start_matches("stream_"),
                len,
                100.0 * box_mib / mib(raw)
            );
        }
    }
}

fn main() {
    common::start();
    let mut c = common::criterion();
    core(&mut c);
    stream_duplex(&mut c);
    stream_tcp(&mut c);
    c.final_summary();
    if common::is_bench_run() {
        summary();
    }
}

/// One frame through the sans-IO core as `BoxStream` uses it: sealed into the write buffer,
/// opened in place where it lies (as a read into a large buffer does).
fn seal_open(sealer: &mut BoxSealer, opener: &mut BoxOpener, data: &[u8], wire: &mut BytesMut) {
    wire.clear();
    sealer.seal(black_box(data), wire);
    match opener.open_in_place(wire) {
        Ok(Opened::Message { body, .. }) => drop(black_box(&wire[body])),
        other => panic!("{other:?}"),
    }
}
