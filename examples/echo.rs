//! The README demo: an echo server and a client on 127.0.0.1 in one process.
//!
//! Both get random identities on the Scuttlebutt main network. The client proves who it is,
//! the server echoes each message back, and both ends print what happened.
//!
//! Run with `cargo run --example echo`.

use std::error::Error;
use std::time::Instant;

use secret_handshake::{AllowAll, BoxStream, Client, Keypair, NetworkKey, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type AnyError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let network = NetworkKey::ssb_main_net();
    let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
    let client = Client::new(Keypair::generate(), network);
    let server_key = *server.identity();

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    println!("server {server_key} listening on {address}");

    let echo = tokio::spawn(async move {
        let (tcp, peer_address) = listener.accept().await?;
        let started = Instant::now();
        let stream = server.accept(tcp).await?;
        println!(
            "server: handshake with {peer_address} done in {:?}; client is {}",
            started.elapsed(),
            stream.peer_key()
        );
        echo_until_goodbye(stream).await
    });

    let started = Instant::now();
    let tcp = TcpStream::connect(address).await?;
    let mut stream = client.connect(tcp, &server_key).await?;
    println!(
        "client: handshake done in {:?}; server is {}",
        started.elapsed(),
        stream.peer_key()
    );

    for message in ["hello", "secret", "handshake"] {
        let sent = Instant::now();
        stream.write_all(message.as_bytes()).await?;
        stream.flush().await?; // writes are buffered until flushed
        let mut reply = vec![0; message.len()];
        stream.read_exact(&mut reply).await?;
        println!(
            "client: sent {message:?}, got {:?} back in {:?}",
            String::from_utf8_lossy(&reply),
            sent.elapsed()
        );
        assert_eq!(reply, message.as_bytes());
    }

    stream.shutdown().await?; // our goodbye
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await?; // ends cleanly at the server's goodbye
    let echoed = echo.await??;
    println!("client: clean close; the server echoed {echoed} bytes in all");
    Ok(())
}

/// Echoes everything back until the peer's goodbye, then sends ours. Returns the byte count.
async fn echo_until_goodbye(mut stream: BoxStream<TcpStream>) -> Result<usize, AnyError> {
    let mut buf = vec![0; 4096];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            stream.shutdown().await?;
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        stream.flush().await?;
        total += n;
    }
}
