//! Throughput of one `BoxStream` over loopback TCP, as peers see it: the client task writes
//! `MIB` MiB in `WRITE`-byte writes and says goodbye, the server task reads with a 64 KiB buffer
//! until the goodbye, on a 2-worker runtime. Prints one line:
//! `library: BYTES bytes in SECONDS s, MB/s MB/s` (MB = 10^6 bytes), timed from the first write
//! to the server reading the goodbye (the handshake is not timed).
//!
//! Run with `cargo run --release --example tcp_throughput -- [MIB] [WRITE]` (default 256 65536).
//! `shs-cat/bench.sh` prints this figure beside shs-cat's.

use std::error::Error;
use std::time::Instant;

use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type AnyError = Box<dyn Error + Send + Sync>;

const READ: usize = 64 * 1024;

fn main() -> Result<(), AnyError> {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().map_or(Ok(256), |a| a.parse())?;
    let write: usize = args.next().map_or(Ok(64 * 1024), |a| a.parse())?;
    if write == 0 {
        return Err("WRITE must be at least 1".into());
    }
    let total = mib * 1024 * 1024;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let seconds = runtime.block_on(run(total, write))?;
    println!(
        "library: {total} bytes in {seconds:.3} s, {:.1} MB/s",
        total as f64 / seconds / 1e6
    );
    Ok(())
}

/// Moves `total` bytes client → server; returns the seconds from the first write to the goodbye.
async fn run(total: usize, write: usize) -> Result<f64, AnyError> {
    let network = NetworkKey::ssb_main_net();
    let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
    let client = Client::new(Keypair::generate(), network);
    let server_key = *server.identity();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;

    let receiver = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let mut stream = server.accept(tcp).await?;
        let mut buf = vec![0; READ];
        let mut received = 0;
        loop {
            match stream.read(&mut buf).await? {
                0 => break,
                n => received += n,
            }
        }
        let done = Instant::now();
        stream.shutdown().await?;
        Ok::<_, AnyError>((received, done))
    });

    let tcp = TcpStream::connect(address).await?;
    tcp.set_nodelay(true)?;
    let mut stream = client.connect(tcp, &server_key).await?;
    let data = vec![0x5a; write];
    let started = Instant::now();
    let sender = tokio::spawn(async move {
        let mut left = total;
        while left > 0 {
            let n = left.min(data.len());
            stream.write_all(&data[..n]).await?;
            left -= n;
        }
        stream.shutdown().await?;
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await?;
        Ok::<_, AnyError>(())
    });
    let (received, done) = receiver.await??;
    sender.await??;
    if received != total {
        return Err(format!("received {received} bytes, sent {total}").into());
    }
    Ok(done.duration_since(started).as_secs_f64())
}
