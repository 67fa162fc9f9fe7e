//! A full SHS1 handshake (client + server in memory) against the sum of the libsodium primitives
//! it is made of, each measured in the same run.
//!
//! `cargo bench --bench handshake`. The summary at the end prints the ratio (target: at most
//! 1.15) and, if `node benches/js/bench.js` has been run, the ratio to the JS reference. It also
//! times handshakes through a [`CurveCache`]: first contact (empty caches) and a repeat peer
//! (warm caches, target: the primitive bound / its time at least 1.15).

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::Criterion;
use secret_handshake::handshake::{ClientHandshake, CurveCache, ServerHandshake, Session};
use secret_handshake::hazmat::drive;
use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
use sodiumoxide::crypto::{auth, hash::sha256, scalarmult::curve25519 as x25519, secretbox, sign};

/// One complete handshake with fresh ephemeral keys: both state machines, all four messages,
/// both sessions.
fn handshake(client: &Keypair, server: &Keypair, network: &NetworkKey) -> (Session, Session) {
    let c = ClientHandshake::new(client, network, server.public());
    let s = ServerHandshake::new(server, network);
    drive::in_memory(c, s).expect("handshake")
}

/// Each side's cache of its peers' Curve25519 keys, as a `Client` and a `Server` hold them.
struct Caches {
    client: Arc<CurveCache>,
    server: Arc<CurveCache>,
}

impl Caches {
    fn new() -> Self {
        Caches {
            client: Arc::new(CurveCache::new()),
            server: Arc::new(CurveCache::new()),
        }
    }
}

/// [`handshake`] with each side converting its peer's key through its cache.
fn handshake_cached(
    client: &Keypair,
    server: &Keypair,
    network: &NetworkKey,
    caches: &Caches,
) -> (Session, Session) {
    let c = ClientHandshake::new_cached(client, network, server.public(), &caches.client);
    let s = ServerHandshake::new_cached(server, network, &caches.server);
    drive::in_memory(c, s).expect("handshake")
}

/// What one handshake (both sides) calls, as (benchmark id in group `primitives`, count).
/// See src/handshake/{client,server,messages,session}.rs:
/// * per side: ephemeral key (random 32 bytes + scalarmult_base), hello hmac, peer hello
///   hmac_verify, 3 scalar multiplications (ab, aB, Ab), one Ed25519 pk→curve (the peer's) and
///   one sk→curve (ours), sha256 of ab (32 B), key3 (96 B), key4 (128 B), sha256(key4) (32 B)
///   and the two box-stream keys (64 B each);
/// * client: sign 96 B, seal msg3 (96 B), open msg4 (64 B), verify 160 B;
/// * server: verify 96 B, open msg3 (96 B), sign 160 B, seal msg4 (64 B).
const HANDSHAKE_PRIMITIVES: &[(&str, f64)] = &[
    ("random_32", 2.0),
    ("x25519_base", 2.0),
    ("x25519", 6.0),
    ("hmac_32", 2.0),
    ("hmac_verify_32", 2.0),
    ("sha256_32", 4.0),
    ("sha256_64", 4.0),
    ("sha256_96", 2.0),
    ("sha256_128", 2.0),
    ("ed25519_pk_to_curve", 2.0),
    ("ed25519_sk_to_curve", 2.0),
    ("sign_96", 1.0),
    ("sign_160", 1.0),
    ("verify_96", 1.0),
    ("verify_160", 1.0),
    ("secretbox_seal_96", 1.0),
    ("secretbox_open_96", 1.0),
    ("secretbox_seal_64", 1.0),
    ("secretbox_open_64", 1.0),
];

/// Consumes a result so that the computation cannot be optimised away.
fn keep<T>(value: T) {
    let _ = black_box(value);
}

/// Inputs for [`Limit::run`].
struct Limit {
    ed_pk: sign::PublicKey,
    ed_sk: sign::SecretKey,
    point: x25519::GroupElement,
    hmac_key: auth::Key,
    hello: [u8; 32],
    hello_tag: auth::Tag,
    msg96: [u8; 96],
    msg160: [u8; 160],
    sig96: sign::Signature,
    sig160: sign::Signature,
    box_key: secretbox::Key,
}

impl Limit {
    fn new() -> Self {
        sodiumoxide::init().expect("sodium_init");
        let (ed_pk, ed_sk) = sign::gen_keypair();
        let hmac_key = auth::Key([9; 32]);
        let hello = [5u8; 32];
        let (msg96, msg160) = ([1u8; 96], [1u8; 160]);
        Limit {
            point: x25519::scalarmult_base(&x25519::Scalar([7; 32])),
            hello_tag: auth::authenticate(&hello, &hmac_key),
            sig96: sign::sign_detached(&msg96, &ed_sk),
            sig160: sign::sign_detached(&msg160, &ed_sk),
            ed_pk,
            ed_sk,
            hmac_key,
            hello,
            msg96,
            msg160,
            box_key: secretbox::Key([8; 32]),
        }
    }

    /// Exactly the primitive calls of one handshake (both sides, see [`HANDSHAKE_PRIMITIVES`]),
    /// back to back with raw sodiumoxide and nothing else.
    fn run(&self) {
        let nonce = secretbox::Nonce([0; 24]);
        for _ in 0..2 {
            let mut secret = [0u8; 32];
            sodiumoxide::randombytes::randombytes_into(&mut secret);
            let scalar = x25519::Scalar(secret);
            keep(x25519::scalarmult_base(&scalar));
            keep(auth::authenticate(black_box(&self.hello), &self.hmac_key));
            assert!(auth::verify(
                &self.hello_tag,
                black_box(&self.hello),
                &self.hmac_key
            ));
            for _ in 0..3 {
                keep(x25519::scalarmult(&scalar, black_box(&self.point)).unwrap());
            }
            keep(sign::to_curve25519_pk(black_box(&self.ed_pk)).unwrap());
            keep(sign::to_curve25519_sk(black_box(&self.ed_sk)).unwrap());
            for len in [32, 96, 128, 32, 64, 64] {
                let mut state = sha256::State::new();
                state.update(black_box(&self.msg160[..len]));
                keep(state.finalize());
            }
        }
        keep(sign::sign_detached(black_box(&self.msg96), &self.ed_sk));
        keep(sign::sign_detached(black_box(&self.msg160), &self.ed_sk));
        assert!(sign::verify_detached(
            &self.sig96,
            black_box(&self.msg96),
            &self.ed_pk
        ));
        assert!(sign::verify_detached(
            &self.sig160,
            black_box(&self.msg160),
            &self.ed_pk
        ));
        for len in [96, 64] {
            let mut buf = [2u8; 96];
            let tag = secretbox::seal_detached(&mut buf[..len], &nonce, &self.box_key);
            secretbox::open_detached(black_box(&mut buf[..len]), &tag, &nonce, &self.box_key)
                .unwrap();
        }
    }
}

fn primitives(c: &mut Criterion) {
    sodiumoxide::init().expect("sodium_init");
    let mut g = c.benchmark_group("primitives");
    let (ed_pk, ed_sk) = sign::gen_keypair();
    let scalar = x25519::Scalar([0x42; 32]);
    let point = x25519::scalarmult_base(&x25519::Scalar([7; 32]));
    let key = auth::Key([9; 32]);
    let msg32 = [5u8; 32];
    let tag = auth::authenticate(&msg32, &key);

    g.bench_function("random_32", |b| {
        b.iter(|| {
            let mut buf = [0u8; 32];
            sodiumoxide::randombytes::randombytes_into(&mut buf);
            buf
        })
    });
    g.bench_function("x25519_base", |b| {
        b.iter(|| x25519::scalarmult_base(black_box(&scalar)))
    });
    g.bench_function("x25519", |b| {
        b.iter(|| x25519::scalarmult(black_box(&scalar), black_box(&point)).unwrap())
    });
    g.bench_function("hmac_32", |b| {
        b.iter(|| auth::authenticate(black_box(&msg32), &key))
    });
    g.bench_function("hmac_verify_32", |b| {
        b.iter(|| assert!(auth::verify(&tag, black_box(&msg32), &key)))
    });
    for len in [32usize, 64, 96, 128] {
        let data = vec![3u8; len];
        g.bench_function(format!("sha256_{len}"), |b| {
            b.iter(|| {
                let mut state = sha256::State::new();
                state.update(black_box(&data));
                state.finalize()
            })
        });
    }
    g.bench_function("ed25519_pk_to_curve", |b| {
        b.iter(|| sign::to_curve25519_pk(black_box(&ed_pk)).unwrap())
    });
    g.bench_function("ed25519_sk_to_curve", |b| {
        b.iter(|| sign::to_curve25519_sk(black_box(&ed_sk)).unwrap())
    });
    for len in [96usize, 160] {
        let msg = vec![1u8; len];
        let signature = sign::sign_detached(&msg, &ed_sk);
        g.bench_function(format!("sign_{len}"), |b| {
            b.iter(|| sign::sign_detached(black_box(&msg), &ed_sk))
        });
        g.bench_function(format!("verify_{len}"), |b| {
            b.iter(|| assert!(sign::verify_detached(&signature, black_box(&msg), &ed_pk)))
        });
    }
    let box_key = secretbox::Key([8; 32]);
    let nonce = secretbox::Nonce([0; 24]);
    for len in [64usize, 96] {
        let mut sealed = vec![2u8; len];
        let sealed_tag = secretbox::seal_detached(&mut sealed, &nonce, &box_key);
        g.bench_function(format!("secretbox_seal_{len}"), |b| {
            b.iter(|| {
                let mut buf = [2u8; 96];
                let tag = secretbox::seal_detached(&mut buf[..len], &nonce, &box_key);
                (buf, tag)
            })
        });
        g.bench_function(format!("secretbox_open_{len}"), |b| {
            b.iter(|| {
                let mut buf = [0u8; 96];
                buf[..len].copy_from_slice(&sealed);
                secretbox::open_detached(&mut buf[..len], &sealed_tag, &nonce, &box_key).unwrap();
                buf
            })
        });
    }
    // All of the above in one go, as one handshake calls them.
    let limit = Limit::new();
    g.bench_function("handshake_sequence", |b| b.iter(|| limit.run()));
    g.finish();
}

fn full_handshake(c: &mut Criterion) {
    let client = Keypair::generate();
    let server = Keypair::generate();
    let network = NetworkKey::ssb_main_net();
    let mut g = c.benchmark_group("handshake");
    g.bench_function("sans_io", |b| {
        b.iter(|| handshake(&client, &server, black_box(&network)))
    });
    // Through a cache: empty each time (first contact), and warm (a peer seen before).
    g.bench_function("sans_io_first_contact", |b| {
        b.iter(|| handshake_cached(&client, &server, black_box(&network), &Caches::new()))
    });
    let warm = Caches::new();
    g.bench_function("sans_io_repeat_peer", |b| {
        b.iter(|| handshake_cached(&client, &server, black_box(&network), &warm))
    });

    // The same over the async API and an in-memory tokio duplex (with the default 5 s
    // handshake timers), to show what the adapter adds.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::new(client, network.clone());
    let server_key = *server.public();
    let server = Server::new(server, network, AllowAll);
    g.bench_function("async_duplex", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let (a, b) = tokio::io::duplex(4096);
                    let (c, s) = tokio::join!(client.connect(a, &server_key), server.accept(b));
                    black_box((c.expect("client"), s.expect("server")));
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

fn summary() {
    common::heading("handshake vs the sum of its primitives");
    let mut sum = 0.0;
    let mut complete = true;
    println!(
        "{:<24} {:>10} {:>6} {:>11}",
        "primitive", "ns", "count", "ns total"
    );
    for (id, count) in HANDSHAKE_PRIMITIVES {
        match common::median_ns("primitives", id) {
            Some(ns) => {
                println!("{id:<24} {ns:>10.0} {count:>6} {:>11.0}", ns * count);
                sum += ns * count;
            }
            None => {
                println!("{id:<24} {:>10}", "not run");
                complete = false;
            }
        }
    }
    println!("{:<24} {:>29.0}", "sum (the limit)", sum);
    let full = common::median_ns("handshake", "sans_io");
    let async_full = common::median_ns("handshake", "async_duplex");
    if let (Some(full), true) = (full, complete) {
        let ratio = full / sum;
        println!(
            "handshake sans-IO        {full:>10.0} ns = {ratio:.3}x the primitives  \
             (target <= 1.15: {})",
            common::verdict(ratio <= 1.15)
        );
        if let Some(a) = async_full {
            println!(
                "handshake async/duplex   {a:>10.0} ns = {:.3}x the primitives, {:.3}x sans-IO",
                a / sum,
                a / full
            );
        }
        if let Some(js) = common::js_reference() {
            if let Some(js_us) = js["handshake_us"].as_f64() {
                println!(
                    "JS reference handshake   {:>10.0} ns: Rust sans-IO is {:.2}x faster{} \
                     (js-bench.json of {})",
                    js_us * 1e3,
                    js_us * 1e3 / full,
                    async_full
                        .map(|a| format!(", async {:.2}x", js_us * 1e3 / a))
                        .unwrap_or_default(),
                    js["date"].as_str().unwrap_or("?")
                );
            }
        } else {
            println!("JS reference: run `node benches/js/bench.js` for the comparison");
        }
    } else {
        println!("(handshake or some primitives not run in this process: no ratio)");
    }
    if let Some(seq) = common::median_ns("primitives", "handshake_sequence") {
        println!("primitives back to back  {seq:>10.0} ns (one criterion bench)");
    }

    // The ratio again, measured interleaved so that load from other processes hits both sides.
    let limit = Limit::new();
    let (client, server, network) = (
        Keypair::generate(),
        Keypair::generate(),
        NetworkKey::ssb_main_net(),
    );
    let r = common::interleaved(
        101,
        10,
        || drop(black_box(handshake(&client, &server, &network))),
        || limit.run(),
    );
    println!(
        "interleaved, median of {} rounds: handshake {:.0} ns, primitives back to back {:.0} ns, \
         ratio {:.3} (target <= 1.15: {})",
        r.rounds,
        r.a_ns,
        r.b_ns,
        r.ratio,
        common::verdict(r.ratio <= 1.15)
    );
    cached_summary(&limit, &client, &server, &network);
}

/// First-contact and repeat-peer handshakes through a [`CurveCache`], each interleaved with
/// today's primitive bound (which still counts both sides' key conversions).
fn cached_summary(limit: &Limit, client: &Keypair, server: &Keypair, network: &NetworkKey) {
    let first = common::interleaved(
        101,
        10,
        || {
            drop(black_box(handshake_cached(
                client,
                server,
                network,
                &Caches::new(),
            )))
        },
        || limit.run(),
    );
    let warm = Caches::new();
    let repeat = common::interleaved(
        101,
        10,
        || drop(black_box(handshake_cached(client, server, network, &warm))),
        || limit.run(),
    );
    println!("cached conversions (interleaved with today's bound, medians of 101 rounds):");
    for (what, r) in [("first contact", &first), ("repeat peer", &repeat)] {
        println!(
            "  {what:<14} {:>8.0} ns, bound {:>8.0} ns: bound / handshake = {:.3}",
            r.a_ns,
            r.b_ns,
            1.0 / r.ratio
        );
    }
    println!(
        "  repeat-peer target bound / handshake >= 1.15: {}",
        common::verdict(1.0 / repeat.ratio >= 1.15)
    );
}

fn main() {
    common::start();
    let mut c = common::criterion();
    primitives(&mut c);
    full_handshake(&mut c);
    c.final_summary();
    if common::is_bench_run() {
        summary();
    }
}
