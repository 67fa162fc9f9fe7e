//! A crowd of slow unauthenticated peers from 127.0.0.1, and an honest client from 127.0.0.2:
//! the listener's lockout tests, in the library and in shs-cat.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Notify;

/// Whether the crowd speaks raw secret-handshake or WebSocket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Tcp,
    Ws,
}

/// A WebSocket upgrade request.
pub const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n\
Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
/// The head of a masked binary frame of 64 bytes; its payload (zeros) follows byte by byte.
pub const FRAME_HEAD: [u8; 6] = [0x82, 0xc0, 0, 0, 0, 0];

/// Sends the upgrade request and reads the answer up to its blank line into `buf`.
pub async fn upgrade_by_hand(tcp: &mut TcpStream, buf: &mut [u8]) -> io::Result<()> {
    tcp.write_all(UPGRADE).await?;
    let mut len = 0;
    while !buf[..len].ends_with(b"\r\n\r\n") {
        match tcp.read(&mut buf[len..]).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => len += n,
        }
        if len == buf.len() {
            return Err(io::ErrorKind::InvalidData.into());
        }
    }
    if !buf.starts_with(b"HTTP/1.1 101") {
        return Err(io::ErrorKind::InvalidData.into());
    }
    Ok(())
}

/// What the crowd has done.
#[derive(Default)]
pub struct Crowd {
    /// Connections ready to trickle (over WebSocket: upgraded).
    pub connected: AtomicUsize,
    /// Connections the server cut (over WebSocket: also during the upgrade).
    pub cut: AtomicUsize,
    /// Tricklers that have connected at least once.
    pub first_time: AtomicUsize,
    /// Connection attempts that failed (listen queue full, ports exhausted, ...).
    pub failed: AtomicUsize,
    pub changed: Notify,
}

/// A slow peer from 127.0.0.1: connects (and upgrades), then sends a byte every `every`,
/// and `every` after the server cuts it off, comes back.
///
/// Coming back at once instead makes a flood, not a crowd of tricklers: a thousand such peers
/// push each other out faster than a WebSocket upgrade completes (570,387 cuts in 30 s, 31
/// upgrades), so none ever trickles, and what the test measures depends on the scheduler.
pub async fn trickle(port: u16, kind: Kind, every: Duration, crowd: Arc<Crowd>) {
    let (mut first, mut again) = (true, false);
    let mut buf = [0; 1024];
    loop {
        if std::mem::replace(&mut again, true) {
            tokio::time::sleep(every).await;
        }
        let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", port)).await else {
            crowd.failed.fetch_add(1, Relaxed); // the listen queue overflowed
            continue;
        };
        if std::mem::take(&mut first) {
            crowd.first_time.fetch_add(1, Relaxed);
            crowd.changed.notify_one();
        }
        if kind == Kind::Ws && upgrade_by_hand(&mut tcp, &mut buf).await.is_err() {
            crowd.cut.fetch_add(1, Relaxed);
            crowd.changed.notify_one();
            continue;
        }
        crowd.connected.fetch_add(1, Relaxed);
        crowd.changed.notify_one();
        let mut interval = tokio::time::interval(every);
        let mut sent = 0;
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    let byte = match kind {
                        Kind::Ws => FRAME_HEAD.get(sent).copied().unwrap_or(0),
                        Kind::Tcp => 0x5a,
                    };
                    sent += 1;
                    if tcp.write_all(&[byte]).await.is_err() {
                        break;
                    }
                }
                // The server never answers a partial hello: anything here is the end.
                _ = tcp.read(&mut buf) => break,
            }
        }
        crowd.cut.fetch_add(1, Relaxed);
        crowd.changed.notify_one();
    }
}

impl Crowd {
    /// Waits until the crowd presses on the server: every one of `size` tricklers has been in
    /// once, `share` of them got as far as trickling (over WebSocket: upgraded), and the server
    /// has cut at least `size` connections (more came than it has places for).
    pub async fn pressing(&self, size: usize, share: usize) {
        while self.first_time.load(Relaxed) < size
            || self.connected.load(Relaxed) < share
            || self.cut.load(Relaxed) < size
        {
            self.changed.notified().await;
        }
    }

    /// What the crowd has done, for a failure message.
    pub fn summary(&self) -> String {
        format!(
            "{} in once, {} ready to trickle, {} cut, {} failed connects",
            self.first_time.load(Relaxed),
            self.connected.load(Relaxed),
            self.cut.load(Relaxed),
            self.failed.load(Relaxed),
        )
    }
}

/// A TCP connection to `port` on 127.0.0.1 from 127.0.0.2 (another source than the crowd's).
pub async fn from_another_address(port: u16) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind("127.0.0.2:0".parse().expect("an address"))?;
    let tcp = socket.connect(([127, 0, 0, 1], port).into()).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// A crowd of `size` tricklers on a thread and runtime of their own (as if on another host:
/// they compete with the server for the CPU only as another process would). Dropped: stopped.
pub struct Running {
    pub crowd: Arc<Crowd>,
    stop: Arc<Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn start(size: usize, port: u16, kind: Kind, every: Duration) -> Running {
        let crowd = Arc::new(Crowd::default());
        let stop = Arc::new(Notify::new());
        let (their_crowd, their_stop) = (Arc::clone(&crowd), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the crowd's runtime");
            runtime.block_on(async move {
                for _ in 0..size {
                    tokio::spawn(trickle(port, kind, every, Arc::clone(&their_crowd)));
                }
                their_stop.notified().await;
            });
        });
        Running {
            crowd,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Raises this process's open-file limit to the hard limit; `false` (saying so) if that is
/// still under `needed`, for a test to skip.
pub fn raise_fd_limit(needed: u64) -> bool {
    let soft = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    if soft < needed {
        eprintln!("skipped: {needed} file descriptors needed, the hard limit allows {soft}");
        return false;
    }
    true
}
