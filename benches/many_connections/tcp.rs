//! Client/server pairs over loopback TCP on the benchmark's multi-thread runtime: set-up and
//! pings.

use std::collections::HashMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secret_handshake::{AllowAll, BoxStream, Client, Keypair, NetworkKey, PublicKey, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Semaphore;

use crate::meter::{allocations, cpu_time, live};
use crate::{Config, WORKERS};

/// The identities and endpoints of one run.
pub(crate) struct Peers {
    pub(crate) client: Client,
    pub(crate) server: Server<AllowAll>,
    pub(crate) server_key: PublicKey,
}

impl Peers {
    pub(crate) fn new(timeout: Option<Duration>) -> Peers {
        let network = NetworkKey::ssb_main_net();
        let server_id = Keypair::generate();
        Peers {
            server_key: *server_id.public(),
            client: Client::new(Keypair::generate(), network.clone())
                .with_limits(secret_handshake::Limits::default().with_handshake_timeout(timeout)),
            server: Server::new(server_id, network, AllowAll)
                .with_limits(secret_handshake::Limits::default().with_handshake_timeout(timeout)),
        }
    }
}

pub(crate) type Pair<IO> = (BoxStream<IO>, BoxStream<IO>);

/// What one set-up measured.
pub(crate) struct SetUp {
    pub(crate) elapsed: Duration,
    pub(crate) user: Duration,
    pub(crate) system: Duration,
    pub(crate) allocations: u64,
}

impl SetUp {
    pub(crate) fn rate(&self, pairs: usize) -> f64 {
        pairs as f64 / self.elapsed.as_secs_f64()
    }
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A listener with a backlog as deep as the kernel allows (somaxconn), on a fresh port so that
/// the ports of an earlier run's closed connections do not collide.
pub(crate) fn listener() -> TcpListener {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    socket.listen(4096).expect("listen")
}

/// Opens `n` TCP connections, at most `in_flight` at a time, and runs `client` and `server` on
/// each end (each in its own task, as an application would); returns both sides' results.
pub(crate) async fn open_pairs<T, C, CF, S, SF>(
    n: usize,
    in_flight: usize,
    client: C,
    server: S,
) -> (Vec<T>, Vec<T>)
where
    T: Send + 'static,
    C: Fn(TcpStream) -> CF + Clone + Send + 'static,
    CF: std::future::Future<Output = T> + Send + 'static,
    S: Fn(TcpStream) -> SF + Send + 'static,
    SF: std::future::Future<Output = T> + Send + 'static,
{
    let listener = listener();
    let addr = listener.local_addr().expect("addr");
    let acceptor = tokio::spawn(async move {
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let (tcp, _) = listener.accept().await.expect("accept");
            tcp.set_nodelay(true).expect("nodelay");
            tasks.push(tokio::spawn(server(tcp)));
        }
        tasks
    });
    let permits = Arc::new(Semaphore::new(in_flight));
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let permit = Arc::clone(&permits).acquire_owned().await.expect("permit");
        let client = client.clone();
        clients.push(tokio::spawn(async move {
            let tcp = connect(addr).await;
            let end = client(tcp).await;
            drop(permit);
            end
        }));
    }
    let mut servers = Vec::with_capacity(n);
    for task in acceptor.await.expect("acceptor") {
        servers.push(task.await.expect("server task"));
    }
    let mut ends = Vec::with_capacity(n);
    for task in clients {
        ends.push(task.await.expect("client task"));
    }
    (ends, servers)
}

/// Matches each client end with the server end of the same connection (by the client's port).
pub(crate) fn pair_up<T>(
    (clients, servers): (Vec<T>, Vec<T>),
    tcp: impl Fn(&T) -> &TcpStream,
    keep: &mut Vec<(T, T)>,
) {
    let port = |addr: std::io::Result<SocketAddr>| addr.expect("addr").port();
    let mut servers: HashMap<u16, T> = servers
        .into_iter()
        .map(|end| (port(tcp(&end).peer_addr()), end))
        .collect();
    for end in clients {
        let other = servers.remove(&port(tcp(&end).local_addr()));
        keep.push((end, other.expect("a server end for every client")));
    }
}

pub(crate) async fn connect(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    tcp
}

/// Runs on the runtime's workers (not on the thread that blocks on it).
pub(crate) fn on_workers<F, T>(rt: &tokio::runtime::Runtime, work: F) -> T
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    rt.block_on(async { tokio::spawn(work).await.expect("task") })
}

/// Measures `n` handshaken pairs coming up; `keep` receives them (reserved up front).
pub(crate) fn set_up_box_streams(
    rt: &tokio::runtime::Runtime,
    config: &Config,
    peers: Arc<Peers>,
    keep: &mut Vec<Pair<TcpStream>>,
) -> SetUp {
    let (n, in_flight) = (config.pairs, config.in_flight);
    let (user0, system0) = cpu_time();
    let allocations0 = allocations();
    let start = Instant::now();
    let ends = on_workers(rt, async move {
        let server_peers = Arc::clone(&peers);
        open_pairs(
            n,
            in_flight,
            move |tcp| {
                let peers = Arc::clone(&peers);
                async move {
                    let connect = peers.client.connect(tcp, &peers.server_key);
                    connect.await.expect("client handshake")
                }
            },
            move |tcp| {
                let peers = Arc::clone(&server_peers);
                async move { peers.server.accept(tcp).await.expect("server handshake") }
            },
        )
        .await
    });
    let elapsed = start.elapsed();
    let (user1, system1) = cpu_time();
    let allocations = allocations() - allocations0;
    pair_up(ends, BoxStream::get_ref, keep);
    SetUp {
        elapsed,
        user: user1 - user0,
        system: system1 - system0,
        allocations,
    }
}

/// The same connections with no handshake: what TCP itself costs here.
pub(crate) fn set_up_plain_tcp(rt: &tokio::runtime::Runtime, config: &Config) -> (SetUp, f64) {
    let (n, in_flight) = (config.pairs, config.in_flight);
    let (user0, system0) = cpu_time();
    let (allocations0, live0) = (allocations(), live());
    let start = Instant::now();
    let ends = on_workers(rt, async move {
        open_pairs(
            n,
            in_flight,
            |tcp| async move { tcp },
            |tcp| async move { tcp },
        )
        .await
    });
    let elapsed = start.elapsed();
    let (user1, system1) = cpu_time();
    let allocations = allocations() - allocations0;
    // The two result Vecs are counted here, so take them out.
    let held = 2 * n * std::mem::size_of::<TcpStream>();
    let heap = (live() - live0) as f64 - held as f64;
    drop(black_box(ends));
    let setup = SetUp {
        elapsed,
        user: user1 - user0,
        system: system1 - system0,
        allocations,
    };
    (setup, heap / n as f64)
}

/// One 4-byte ping each way on `pair`; its round-trip time.
pub(crate) async fn ping<IO: AsyncRead + AsyncWrite + Unpin>(pair: &mut Pair<IO>) -> Duration {
    let (client, server) = pair;
    let mut buf = [0u8; 4];
    let start = Instant::now();
    client.write_all(b"ping").await.expect("ping");
    client.flush().await.expect("flush");
    server.read_exact(&mut buf).await.expect("read ping");
    server.write_all(b"pong").await.expect("pong");
    server.flush().await.expect("flush");
    client.read_exact(&mut buf).await.expect("read pong");
    let rtt = start.elapsed();
    assert_eq!(&buf, b"pong");
    rtt
}

/// Every pair pings at once (one task each); the wall time and each pair's round-trip time.
pub(crate) fn ping_all_at_once(
    rt: &tokio::runtime::Runtime,
    pairs: &mut Vec<Pair<TcpStream>>,
) -> (Duration, Vec<Duration>) {
    let taken: Vec<_> = std::mem::take(pairs);
    let n = taken.len();
    let start = Instant::now();
    let results = on_workers(rt, async move {
        let tasks: Vec<_> = taken
            .into_iter()
            .map(|mut pair| {
                tokio::spawn(async move {
                    let rtt = ping(&mut pair).await;
                    (pair, rtt)
                })
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for task in tasks {
            out.push(task.await.expect("ping task"));
        }
        out
    });
    let wall = start.elapsed();
    let mut rtts = Vec::with_capacity(n);
    // Exactly as many as before, so the vector's own growth is not counted as the streams'.
    pairs.reserve_exact(n);
    for (pair, rtt) in results {
        pairs.push(pair);
        rtts.push(rtt);
    }
    (wall, rtts)
}

/// One pair after another, the rest idle: each round trip on its own.
pub(crate) fn ping_one_at_a_time(
    rt: &tokio::runtime::Runtime,
    pairs: &mut Vec<Pair<TcpStream>>,
) -> Vec<Duration> {
    let mut taken: Vec<_> = std::mem::take(pairs);
    let (taken, rtts) = on_workers(rt, async move {
        let mut rtts = Vec::with_capacity(taken.len());
        for pair in &mut taken {
            rtts.push(ping(pair).await);
        }
        (taken, rtts)
    });
    *pairs = taken;
    rtts
}

/// CPU time per pair of a set-up, in µs.
pub(crate) fn cpu_us(setup: &SetUp, n: usize) -> f64 {
    (setup.user + setup.system).as_secs_f64() * 1e6 / n as f64
}
