//! For the dialler's tests: echo servers on loopback TCP and Unix sockets, the client side of
//! an echo session, and temporary directories for sockets.

use std::path::{Path, PathBuf};

use secret_handshake::Connection;
use secret_handshake::{AllowAll, Authorize, BoxStream, Keypair, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::task::JoinHandle;

use super::net;

/// Sends `data` and our goodbye, reads up to the peer's goodbye, then closes the connection.
pub async fn exchange(mut stream: BoxStream<Connection>, data: &[u8]) -> Vec<u8> {
    stream.write_all(data).await.expect("write");
    stream.shutdown().await.expect("goodbye");
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .await
        .expect("a clean end with the peer's goodbye");
    stream.close().await.expect("close");
    received
}

/// Reads a whole session, sends it back, and ends ours: what an echo server does.
pub async fn echo<IO: AsyncRead + AsyncWrite + Unpin>(mut io: IO) -> Vec<u8> {
    let mut received = Vec::new();
    io.read_to_end(&mut received)
        .await
        .expect("read to the end");
    io.write_all(&received).await.expect("echo");
    io.shutdown().await.expect("shutdown");
    received
}

/// A secret-handshake echo server for one connection on a loopback TCP port; the task
/// returns what it received.
pub async fn tcp_echo_server<A>(server: Server<A>) -> (u16, JoinHandle<Vec<u8>>)
where
    A: Authorize,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        echo(server.accept(tcp).await.expect("server handshake")).await
    });
    (port, task)
}

/// As [`tcp_echo_server`], on a Unix socket at `path`.
pub fn unix_echo_server<A>(server: Server<A>, path: &Path) -> JoinHandle<Vec<u8>>
where
    A: Authorize,
{
    let listener = UnixListener::bind(path).expect("bind the unix socket");
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        echo(server.accept(socket).await.expect("server handshake")).await
    })
}

/// A server that lets anyone in, with a fresh identity.
pub fn any_server() -> Server<AllowAll> {
    Server::new(Keypair::generate(), net(), AllowAll)
}

/// A directory removed again on drop (for Unix sockets: keep the path short).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("shs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `name` in the directory, as a string for an address.
    pub fn file(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("UTF-8 temp path")
            .to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
