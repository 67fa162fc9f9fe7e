//! Connected `BoxStream` pairs over in-memory pipes and loopback TCP.

use secret_handshake::{AllowAll, BoxStream, Client, Keypair, Server};
use tokio::io::DuplexStream;
use tokio::net::{TcpListener, TcpStream};

use super::net;

/// A connected pair (client, server) over an in-memory pipe with `capacity`-byte buffers.
pub async fn duplex_pair(capacity: usize) -> (BoxStream<DuplexStream>, BoxStream<DuplexStream>) {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(capacity);
    let (c, s) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    (c.expect("client"), s.expect("server"))
}

/// A connected pair (client, server) over loopback TCP.
pub async fn tcp_pair() -> (BoxStream<TcpStream>, BoxStream<TcpStream>) {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accept = async {
        let (tcp, _) = listener.accept().await.unwrap();
        server.accept(tcp).await
    };
    let connect = async {
        let tcp = TcpStream::connect(address).await.unwrap();
        client.connect(tcp, server.identity()).await
    };
    let (c, s) = tokio::join!(connect, accept);
    (c.expect("client"), s.expect("server"))
}
