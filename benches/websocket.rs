//! `BoxStream` over the WebSocket transport against `BoxStream` over TCP, both on loopback, by
//! the method of `benches/boxstream.rs` (`stream_tcp`): one `write_all` + `flush` while the
//! other side does `read_exact`, on one current-thread runtime. `plain_ws` is the WebSocket
//! transport alone, unencrypted.
//!
//! `cargo bench --bench websocket --features websocket` (the tests and benches enable the
//! feature anyway, through the crate's dev-dependency on itself).

mod common;

use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::websocket::{self, WsTransport};
use secret_handshake::Server;
use secret_handshake::{AllowAll, BoxStream, Client, Keypair, NetworkKey};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

const WRITES: [usize; 3] = [4096, 64 * 1024, 1024 * 1024];
const GROUP: &str = "websocket_vs_tcp";

type Pair<T> = (T, T);

fn peers() -> (Client, Server<AllowAll>) {
    let network = NetworkKey::ssb_main_net();
    let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
    (Client::new(Keypair::generate(), network), server)
}

async fn boxstream_tcp() -> Pair<BoxStream<TcpStream>> {
    let (client, server) = peers();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (a, b) = common::tcp_pair(&listener).await;
    let (a, b) = tokio::join!(client.connect(a, server.identity()), server.accept(b));
    (a.expect("client"), b.expect("server"))
}

async fn ws_listener() -> (TcpListener, MultiserverAddress) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = MultiserverAddress::ws(
        "127.0.0.1",
        listener.local_addr().expect("addr").port(),
        *Keypair::generate().public(),
    );
    (listener, addr)
}

async fn accepted(listener: &TcpListener) -> TcpStream {
    let tcp = listener.accept().await.expect("accept").0;
    tcp.set_nodelay(true).expect("nodelay");
    tcp
}

async fn boxstream_ws() -> Pair<BoxStream<WsTransport<TcpStream>>> {
    let (client, server) = peers();
    let (listener, mut addr) = ws_listener().await;
    addr.key = *server.identity();
    // Dialled over a TcpStream of our own, so both ends have the same type.
    let dial = async {
        let tcp = TcpStream::connect(addr.socket_address())
            .await
            .expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let ws = WsTransport::connect_with(
            tcp,
            &format!("ws://{}/", addr.socket_address()),
            &Default::default(),
        )
        .await
        .expect("upgrade");
        client.connect(ws, &addr.key).await
    };
    let (a, b) = tokio::join!(dial, async {
        websocket::accept(&server, accepted(&listener).await).await
    });
    (a.expect("client"), b.expect("server"))
}

async fn plain_ws() -> Pair<WsTransport<TcpStream>> {
    let (listener, addr) = ws_listener().await;
    let (a, b) = tokio::join!(
        async {
            let tcp = TcpStream::connect(addr.socket_address())
                .await
                .expect("dial");
            tcp.set_nodelay(true).expect("nodelay");
            WsTransport::connect_with(
                tcp,
                &format!("ws://{}/", addr.socket_address()),
                &Default::default(),
            )
            .await
        },
        async { WsTransport::accept(accepted(&listener).await).await }
    );
    (a.expect("client"), b.expect("server"))
}

fn bench<IO>(c: &mut Criterion, rt: &Runtime, name: &str, pair: impl Fn() -> Pair<IO>)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let data = vec![0x5a_u8; WRITES[WRITES.len() - 1]];
    let mut sink = vec![0u8; data.len()];
    let mut g = c.benchmark_group(GROUP);
    for len in WRITES {
        g.throughput(Throughput::Bytes(len as u64));
        let (mut a, mut b) = pair();
        g.bench_with_input(BenchmarkId::new(name, len), &len, |bch, &len| {
            bch.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    common::transfer(&mut a, &mut b, &data[..len], &mut sink[..len], iters).await;
                    start.elapsed()
                })
            })
        });
    }
    g.finish();
}

fn summary() {
    common::heading("BoxStream over WebSocket vs over TCP (loopback, one thread)");
    println!(
        "{:>8} {:>12} {:>12} {:>8} {:>14}",
        "write", "TCP MiB/s", "ws MiB/s", "ws/TCP", "plain ws MiB/s"
    );
    for len in WRITES {
        let mib = |name: &str| {
            common::median_ns(GROUP, &format!("{name}/{len}"))
                .map(|ns| common::mib_per_s(len as f64, ns))
        };
        let (tcp, ws, plain) = (mib("boxstream_tcp"), mib("boxstream_ws"), mib("plain_ws"));
        let show = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1}"));
        let ratio = match (tcp, ws) {
            (Some(t), Some(w)) => format!("{:.0}%", 100.0 * w / t),
            _ => "-".into(),
        };
        println!(
            "{len:>8} {:>12} {:>12} {ratio:>8} {:>14}",
            show(tcp),
            show(ws),
            show(plain)
        );
    }
}

fn main() {
    common::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut c = common::criterion();
    bench(&mut c, &rt, "boxstream_tcp", || {
        rt.block_on(boxstream_tcp())
    });
    bench(&mut c, &rt, "boxstream_ws", || rt.block_on(boxstream_ws()));
    bench(&mut c, &rt, "plain_ws", || rt.block_on(plain_ws()));
    c.final_summary();
    if common::is_bench_run() {
        summary();
    }
}
