//! How fast the [`Listener`] takes new clients, next to the accept-and-spawn loop every user
//! used to write over the same `Server`.
//!
//! `cargo bench --bench listener` (a plain program, not criterion): the server runs on a
//! 1-worker runtime, the clients on another thread's runtime (as peers run), and each round
//! times `--clients` handshakes (default 2,000, `--in-flight` 32 at a time, within one
//! source's share) through each way of
//! accepting, in alternating order, several rounds. It prints the median rate of each and
//! their ratio (target: listener / loop >= 1, within the spread). `cargo test --benches` runs a
//! 32-client smoke pass.

#[path = "common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use secret_handshake::{
    AllowAll, Client, Keypair, Limits, Listener, NetworkKey, PublicKey, Server,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

#[derive(Clone, Copy, Debug)]
enum Way {
    /// `Listener::accept` in a loop.
    Listener,
    /// `TcpListener::accept`, then `tokio::spawn(server.accept(tcp))`.
    AcceptAndSpawn,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|at| args.get(at + 1)?.parse().ok())
            .unwrap_or(default)
    };
    let full = common::is_bench_run();
    let clients = value("--clients", if full { 2_000 } else { 32 });
    let in_flight = value("--in-flight", 32);
    let rounds = value("--rounds", if full { 5 } else { 1 });
    common::heading("listener: new clients per second, Listener against accept-and-spawn");

    let mut rates = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let order = match round % 2 {
            0 => [Way::Listener, Way::AcceptAndSpawn],
            _ => [Way::AcceptAndSpawn, Way::Listener],
        };
        for way in order {
            let rate = handshakes_per_second(way, clients, in_flight);
            println!("round {round}: {way:?}: {rate:.0} handshakes/s");
            rates[way as usize].push(rate);
        }
    }
    let listener = median(&mut rates[Way::Listener as usize]);
    let plain = median(&mut rates[Way::AcceptAndSpawn as usize]);
    println!(
        "median: Listener {listener:.0}/s, accept-and-spawn {plain:.0}/s, ratio {:.3}",
        listener / plain
    );
}

/// Runs `clients` handshakes against a fresh server accepting the `way` given.
fn handshakes_per_second(way: Way, clients: usize, in_flight: usize) -> f64 {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    // Every client comes from 127.0.0.1: let one source have all the places.
    let limits = Limits::default().with_max_handshakes_per_source(usize::MAX);
    let server =
        Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll).with_limits(limits);
    let key = *server.identity();
    let (addr, served) = server_rt.block_on(async {
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = tcp.local_addr().expect("address");
        let served = tokio::spawn(serve(way, tcp, server, clients));
        (addr, served)
    });
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let started = Instant::now();
    client_rt.block_on(dial_all(addr, key, clients, in_flight));
    let count = server_rt
        .block_on(served)
        .expect("the server task ended by itself");
    assert_eq!(count, clients, "every client was served");
    clients as f64 / started.elapsed().as_secs_f64()
}

/// Accepts until `clients` handshakes are through; returns how many were.
async fn serve(way: Way, tcp: TcpListener, server: Server<AllowAll>, clients: usize) -> usize {
    let mut done = 0;
    match way {
        Way::Listener => {
            let mut listener = Listener::from_tcp(tcp, server);
            while done < clients {
                if listener.accept().await.is_ok() {
                    done += 1;
                }
            }
        }
        Way::AcceptAndSpawn => {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let accepting = tokio::spawn(async move {
                loop {
                    let Ok((io, _)) = tcp.accept().await else {
                        continue;
                    };
                    let (server, tx) = (server.clone(), tx.clone());
                    tokio::spawn(async move {
                        let _ = io.set_nodelay(true);
                        let _ = tx.send(server.accept(io).await.is_ok());
                    });
                }
            });
            while done < clients {
                if rx.recv().await == Some(true) {
                    done += 1;
                }
            }
            accepting.abort();
        }
    }
    done
}

/// `clients` handshakes, `in_flight` at a time.
async fn dial_all(addr: SocketAddr, key: PublicKey, clients: usize, in_flight: usize) {
    let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
    let permits = Arc::new(Semaphore::new(in_flight));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let permit = Arc::clone(&permits).acquire_owned().await.expect("open");
        let client = client.clone();
        tasks.spawn(async move {
            let tcp = TcpStream::connect(addr).await.expect("connect");
            let _ = tcp.set_nodelay(true);
            let stream = client.connect(tcp, &key).await.expect("handshake");
            drop((stream, permit));
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("client task");
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
