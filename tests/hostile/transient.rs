//! A transport that fails now and then and works when asked again: every error reaches the
//! caller once, nothing buffered is lost, and a retry continues where it was.

use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll};

use secret_handshake::{AllowAll, BoxStream, Client, Keypair, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{net, payload};

/// The transient errors a transport may return and then recover from.
const TRANSIENT: [ErrorKind; 3] = [
    ErrorKind::Interrupted,
    ErrorKind::WouldBlock,
    ErrorKind::TimedOut,
];

/// Fails a share of reads and writes with a transient error instead of passing them on.
pub struct Flaky<T> {
    inner: T,
    /// Out of 2^32.
    threshold: u64,
    rng: u64,
    kinds: &'static [ErrorKind],
    armed: bool,
    injected: usize,
}

impl<T> Flaky<T> {
    /// Fails `share` of the calls (0 to 1), with `Interrupted` only until [`Self::all_kinds`].
    pub fn new(inner: T, share: f64, seed: u64) -> Self {
        Flaky {
            inner,
            threshold: (share * f64::from(u32::MAX)) as u64,
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            kinds: &TRANSIENT[..1],
            armed: true,
            injected: 0,
        }
    }

    /// A transport that works until [`Self::arm`].
    pub fn disarmed(inner: T, share: f64, seed: u64) -> Self {
        Flaky {
            armed: false,
            ..Flaky::new(inner, share, seed)
        }
    }

    pub fn arm(&mut self) {
        self.armed = true;
        self.kinds = &TRANSIENT;
    }

    pub fn disarm(&mut self) {
        self.armed = false;
    }

    /// Errors returned instead of passing a call on.
    pub fn injected(&self) -> usize {
        self.injected
    }

    fn roll(&mut self) -> Option<io::Error> {
        if !self.armed {
            return None;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        if (self.rng >> 32) >= self.threshold {
            return None;
        }
        self.injected += 1;
        let kind = self.kinds[(self.rng % self.kinds.len() as u64) as usize];
        Some(io::Error::new(kind, "flaky transport"))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Flaky<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(error) = self.roll() {
            return Poll::Ready(Err(error));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Flaky<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(error) = self.roll() {
            return Poll::Ready(Err(error));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn transient(error: &io::Error) -> bool {
    TRANSIENT.contains(&error.kind())
}

/// Reads to the goodbye, retrying transient errors, with buffers of varying size (the small
/// and the direct read paths). Returns the bytes and the errors seen.
async fn read_retrying<R: AsyncRead + Unpin>(reader: &mut R) -> (Vec<u8>, usize) {
    let (mut got, mut errors, mut round) = (Vec::new(), 0, 0usize);
    let mut buf = vec![0; 64 * 1024];
    loop {
        round += 1;
        let len = [1, 100, 4095, 5000, 64 * 1024][round % 5];
        match reader.read(&mut buf[..len]).await {
            Ok(0) => return (got, errors),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if transient(&e) => errors += 1,
            Err(e) => panic!("after {} bytes: {e}", got.len()),
        }
    }
}

/// Writes `data` in pieces of varying size, flushes and shuts down, retrying transient errors.
/// Returns the errors seen.
async fn write_retrying<W: AsyncWrite + Unpin>(writer: &mut W, data: &[u8]) -> usize {
    let (mut at, mut errors, mut round) = (0, 0, 0usize);
    while at < data.len() {
        round += 1;
        let len = [7, 1000, 4096, 10_000, 50_000][round % 5].min(data.len() - at);
        match writer.write(&data[at..at + len]).await {
            Ok(n) => at += n,
            Err(e) if transient(&e) => errors += 1,
            Err(e) => panic!("after {at} bytes: {e}"),
        }
    }
    loop {
        match writer.shutdown().await {
            Ok(()) => return errors,
            Err(e) if transient(&e) => errors += 1,
            Err(e) => panic!("shutting down: {e}"),
        }
    }
}

/// One side: send `ours`, read the peer's, with both directions at once; the errors seen.
async fn exchange(
    stream: BoxStream<Flaky<TcpStream>>,
    ours: &[u8],
    theirs: &[u8],
) -> (usize, usize) {
    let (mut reader, mut writer) = stream.into_split();
    let ((got, read_errors), write_errors) = tokio::join!(
        read_retrying(&mut reader),
        write_retrying(&mut writer, ours)
    );
    assert!(
        got == theirs,
        "{} bytes arrived of {}",
        got.len(),
        theirs.len()
    );
    let stream = reader.reunite(writer).expect("the halves of one stream");
    assert_eq!(
        read_errors + write_errors,
        stream.get_ref().injected(),
        "every transport error reaches the caller exactly once"
    );
    (read_errors, write_errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transport_failing_a_fifth_of_its_calls_carries_150_kb_each_way_byte_exact() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (up, down) = (payload(150_000, 1), payload(150_000, 2));
    let (tcp_c, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let (c, s) = tokio::join!(
        client.connect(Flaky::disarmed(tcp_c.unwrap(), 0.2, 11), server.identity()),
        server.accept(Flaky::disarmed(accepted.unwrap().0, 0.2, 12)),
    );
    let (mut c, mut s) = (c.unwrap(), s.unwrap());
    for stream in [&mut c, &mut s] {
        // A frame per transport write, so that writes meet errors as often as reads.
        stream.set_write_buffer_limit(1);
        stream.get_mut().arm();
    }
    let (client_side, server_side) = tokio::join!(exchange(c, &up, &down), exchange(s, &down, &up));
    // Reads take many frames per transport call, so they meet fewer errors than writes.
    let reads = client_side.0 + server_side.0;
    let writes = client_side.1 + server_side.1;
    assert!(
        reads > 0 && writes > 10,
        "{reads} read and {writes} write errors"
    );
}

#[tokio::test]
async fn a_failing_transport_leaves_the_stream_intact_for_when_it_recovers() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::join!(
        client.connect(a, server.identity()),
        server.accept(Flaky::disarmed(b, 1.0, 3)),
    );
    let (mut c, mut s) = (c.unwrap(), s.unwrap());
    let data = payload(20_000, 5);
    c.write_all(&data).await.unwrap();
    c.shutdown().await.unwrap();

    // Every transport read fails from now on: the first read gets the error, and so does the
    // second: neither is a protocol failure, and nothing has been lost.
    s.get_mut().arm();
    let mut buf = [0; 100];
    for _ in 0..2 {
        let e = s.read(&mut buf).await.expect_err("the transport fails");
        assert!(transient(&e), "{e}");
    }
    // The transport recovers: all the data, then the goodbye.
    s.get_mut().disarm();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.expect("no error is repeated");
    assert!(got == data, "{} of {} bytes", got.len(), data.len());
}
