//! Handshake rates on one core: the sans-IO machines alone, and the async adapter over an
//! in-memory duplex.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secret_handshake::handshake::{ClientHandshake, CurveCache, Handshake, ServerHandshake};
use secret_handshake::hazmat::drive;
use secret_handshake::{Keypair, NetworkKey};

use crate::meter::cpu_time;
use crate::tcp::Peers;

/// A rate on one core: the median over batches of handshakes per wall-clock second, and CPU time
/// per handshake over all batches (which load from other processes barely moves).
#[derive(Clone, Copy)]
pub(crate) struct Rate {
    pub(crate) per_s: f64,
    pub(crate) cpu_us: f64,
}

/// Runs `one` in 5 batches of `batch` after a warm-up.
pub(crate) fn rate(batch: u32, mut one: impl FnMut()) -> Rate {
    for _ in 0..batch / 4 {
        one();
    }
    let cpu0 = cpu_time();
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                one();
            }
            f64::from(batch) / start.elapsed().as_secs_f64()
        })
        .collect();
    let cpu1 = cpu_time();
    rates.sort_by(f64::total_cmp);
    let cpu = (cpu1.0 + cpu1.1) - (cpu0.0 + cpu0.1);
    Rate {
        per_s: rates[2],
        cpu_us: cpu.as_secs_f64() * 1e6 / f64::from(5 * batch),
    }
}

/// Sans-IO handshakes (both sides) on this thread alone.
pub(crate) fn in_memory_rate(cached: bool, batch: u32) -> Rate {
    fn pass(from: &mut impl Handshake, to: &mut impl Handshake) {
        drive::relay(from, to).expect("relay");
    }
    let (client, server, network) = (
        Keypair::generate(),
        Keypair::generate(),
        NetworkKey::ssb_main_net(),
    );
    let caches = (Arc::new(CurveCache::new()), Arc::new(CurveCache::new()));
    let one = || {
        let (mut c, mut s) = if cached {
            (
                ClientHandshake::new_cached(&client, &network, server.public(), &caches.0),
                ServerHandshake::new_cached(&server, &network, &caches.1),
            )
        } else {
            (
                ClientHandshake::new(&client, &network, server.public()),
                ServerHandshake::new(&server, &network),
            )
        };
        pass(&mut c, &mut s);
        pass(&mut s, &mut c);
        pass(&mut c, &mut s);
        s.accept().expect("accept");
        pass(&mut s, &mut c);
        black_box((c.finish().expect("client"), s.finish().expect("server")));
    };
    rate(batch, one)
}

/// The async handshake over an in-memory duplex on a current-thread runtime, on one core: the
/// adapter (and its timers, if `timeout`) without sockets.
pub(crate) fn duplex_rate(timeout: Option<Duration>, batch: u32) -> Rate {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let peers = Peers::new(timeout);
    rate(batch, || {
        rt.block_on(async {
            let (a, b) = tokio::io::duplex(4096);
            let (c, s) = tokio::join!(
                peers.client.connect(a, &peers.server_key),
                peers.server.accept(b)
            );
            black_box((c.expect("client"), s.expect("server")));
        })
    })
}
