//! A line chat over `tokio_util::codec::Framed` on top of a box-stream.
//!
//! A server that greets every line back and a client that sends a few lines, in one process on
//! 127.0.0.1. Run with `cargo run --example framed`.

use std::error::Error;

use futures::{SinkExt, StreamExt};
use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LinesCodec};

type AnyError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let network = NetworkKey::ssb_main_net();
    let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
    let server_key = *server.identity();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;

    let chat_server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let stream = server.accept(tcp).await?;
        let who = stream.peer_key().to_string();
        let mut lines = Framed::new(stream, LinesCodec::new());
        while let Some(line) = lines.next().await {
            lines.send(format!("{who} said: {}", line?)).await?;
        }
        // The client said goodbye; say ours (flush, goodbye, half-close).
        SinkExt::<String>::close(&mut lines).await?;
        Ok::<_, AnyError>(())
    });

    let client = Client::new(Keypair::generate(), network);
    let stream = client
        .connect(TcpStream::connect(address).await?, &server_key)
        .await?;
    let mut lines = Framed::new(stream, LinesCodec::new());
    for line in ["hi", "how are you?", "bye"] {
        lines.send(line).await?; // `send` flushes
        if let Some(reply) = lines.next().await {
            println!("{}", reply?);
        }
    }
    SinkExt::<&str>::close(&mut lines).await?;
    assert!(
        lines.next().await.is_none(),
        "the server's goodbye ends the chat"
    );
    chat_server.await??;
    println!("chat closed cleanly");
    Ok(())
}
