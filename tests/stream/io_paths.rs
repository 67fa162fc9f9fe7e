//! How bytes move between `BoxStream` and its transport: whole frames for large writes, many
//! frames per transport write, reads straight into large buffers, partial frames across reads,
//! cancel-safe reads, and buffers freed once a stream is quiet.

use crate::common;

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::BytesMut;
use common::pairs::tcp_pair;
use common::{net, payload};
use futures::FutureExt;
use secret_handshake::boxstream::{BoxOpener, Frame, MAX_BODY_LEN, MAX_FRAME_LEN};
use secret_handshake::handshake::{ClientHandshake, ServerHandshake, Session};
use secret_handshake::hazmat::drive;
use secret_handshake::{BoxStream, Keypair, DEFAULT_WRITE_BUFFER};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// Both sessions of a handshake run in memory.
fn sessions() -> (Session, Session) {
    let server = Keypair::generate();
    let client = ClientHandshake::new(&Keypair::generate(), &net(), server.public());
    drive::in_memory(client, ServerHandshake::new(&server, &net())).unwrap()
}

/// A transport that records every write and reads from a fixed script of chunks.
#[derive(Default, Clone)]
struct Recorder {
    writes: Arc<Mutex<Vec<Vec<u8>>>>,
    reads: Arc<Mutex<(Vec<u8>, usize)>>,
    chunk: usize,
}

impl Recorder {
    fn wire(&self) -> Vec<u8> {
        self.writes.lock().unwrap().concat()
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.writes.lock().unwrap().push(buf.to_vec());
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Recorder {
    /// Serves the script `chunk` bytes at a time, with a spurious `Pending` before each chunk.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut reads = self.reads.lock().unwrap();
        let (data, at) = &mut *reads;
        if *at % 2 == 0 && *at < data.len() * 2 {
            // Odd/even trick: every other call is a spurious wake-up.
            *at += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let offset = *at / 2;
        let n = self
            .chunk
            .min(data.len().saturating_sub(offset))
            .min(buf.remaining());
        buf.put_slice(&data[offset..offset + n]);
        *at = (offset + n) * 2;
        Poll::Ready(Ok(()))
    }
}

/// The body lengths of the frames in `wire`, opened with `opener`.
fn frame_lengths(opener: &mut BoxOpener, wire: &[u8]) -> Vec<usize> {
    let mut buf = BytesMut::from(wire);
    let mut lengths = Vec::new();
    while let Some(frame) = opener.open(&mut buf).expect("frames open") {
        match frame {
            Frame::Message(body) => lengths.push(body.len()),
            Frame::Goodbye => break,
        }
    }
    lengths
}

#[tokio::test]
async fn large_writes_become_whole_frames_and_short_writes_one_frame_each() {
    let (client, server) = sessions();
    let transport = Recorder::default();
    let mut stream = BoxStream::new(transport.clone(), client);
    let (_, mut opener) = server.keys.into_sealer_and_opener();

    stream.write_all(&payload(1 << 20, 1)).await.unwrap();
    stream.flush().await.unwrap();
    assert_eq!(
        frame_lengths(&mut opener, &transport.wire()),
        vec![MAX_BODY_LEN; 256]
    );

    transport.writes.lock().unwrap().clear();
    for _ in 0..50 {
        stream.write_all(&[7; 4000]).await.unwrap();
    }
    stream.write_all(&[1; 6000]).await.unwrap();
    stream.flush().await.unwrap();
    let mut expected = vec![4000; 50];
    expected.extend([4096, 1904]);
    assert_eq!(frame_lengths(&mut opener, &transport.wire()), expected);
}

#[tokio::test]
async fn many_frames_go_out_in_one_transport_write() {
    let (client, _) = sessions();
    let transport = Recorder::default();
    let mut stream = BoxStream::new(transport.clone(), client);
    stream.write_all(&payload(1 << 20, 1)).await.unwrap();
    stream.flush().await.unwrap();
    let writes = transport.writes.lock().unwrap();
    let sealed: usize = writes.iter().map(Vec::len).sum();
    // Each transport write carries a full buffer: the limit less at most one frame.
    let full = DEFAULT_WRITE_BUFFER - MAX_FRAME_LEN;
    assert!(
        writes.len() <= sealed / full + 1,
        "{} writes for {sealed} bytes",
        writes.len()
    );
}

/// A stream over a scripted transport serving the frames of `data` in `chunk`-byte reads.
fn scripted_reader(data: &[u8], chunk: usize) -> BoxStream<Recorder> {
    let (client, server) = sessions();
    let (mut sealer, _) = server.keys.into_sealer_and_opener();
    let mut wire = BytesMut::new();
    for piece in data.chunks(3000) {
        sealer.seal(piece, &mut wire);
    }
    sealer.seal_goodbye(&mut wire);
    let transport = Recorder {
        chunk,
        reads: Arc::new(Mutex::new((wire.to_vec(), 0))),
        ..Recorder::default()
    };
    BoxStream::new(transport, client)
}

#[tokio::test]
async fn partial_frames_across_reads_with_every_buffer_size() {
    let data = payload(50_000, 1);
    for chunk in [1, 33, 34, 35, 3033, 4130, 9000, 1 << 20] {
        for read_size in [1, 17, 4129, 4130, 4131, 65536] {
            let mut stream = scripted_reader(&data, chunk);
            let mut got = Vec::new();
            let mut buf = vec![0; read_size];
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert!(got == data, "chunk {chunk}, reads of {read_size}");
        }
    }
}

#[tokio::test]
async fn a_large_read_takes_many_frames_at_once() {
    let data = payload(64 * 1024, 1);
    let mut stream = scripted_reader(&data, usize::MAX);
    let mut buf = vec![0; 64 * 1024];
    let n = stream.read(&mut buf).await.unwrap();
    // The ciphertext of 64 KiB does not fit 64 KiB: all but the frames cut off arrive at once.
    assert!(n >= 60_000, "one read gave {n} bytes");
    assert_eq!(&buf[..n], &data[..n]);
}

#[tokio::test]
async fn reads_are_cancel_safe() {
    let data = payload(30_000, 1);
    for read_size in [10, 5000] {
        let mut stream = scripted_reader(&data, 1000);
        let mut got = Vec::new();
        let mut buf = vec![0; read_size];
        // Poll each read once and drop it if it is not ready: nothing may be lost.
        loop {
            match stream.read(&mut buf).now_or_never() {
                Some(Ok(0)) => break,
                Some(Ok(n)) => got.extend_from_slice(&buf[..n]),
                Some(Err(e)) => panic!("{e}"),
                None => {}
            }
        }
        assert!(got == data, "reads of {read_size}");
    }
}

/// Whether a read would wait (so the stream is quiet); it must not return data.
fn read_pends(stream: &mut BoxStream<tokio::net::TcpStream>) -> bool {
    let mut buf = [0; 16];
    stream.read(&mut buf).now_or_never().is_none()
}

#[tokio::test]
async fn buffers_are_freed_once_a_stream_is_quiet() {
    let (mut a, mut b) = tcp_pair().await;
    assert_eq!((a.buffered_capacity(), b.buffered_capacity()), (0, 0));

    // A burst each way, read in large and small pieces.
    let data = payload(1 << 20, 1);
    let (sent, received) = tokio::join!(
        async {
            a.write_all(&data).await.unwrap();
            a.flush().await.unwrap();
        },
        async {
            let mut got = vec![0; data.len()];
            b.read_exact(&mut got[..100]).await.unwrap();
            b.read_exact(&mut got[100..]).await.unwrap();
            got
        }
    );
    let () = sent;
    assert!(received == data);
    b.write_all(b"ping").await.unwrap();
    b.flush().await.unwrap();
    let mut ping = [0; 4];
    a.read_exact(&mut ping).await.unwrap();

    // Freed as soon as the last read finds the transport drained, without waiting for another.
    assert_eq!(a.buffered_capacity(), 0, "after reading the ping");
    assert!(read_pends(&mut a) && read_pends(&mut b));
    assert_eq!(a.buffered_capacity(), 0, "sender after the burst");
    assert_eq!(b.buffered_capacity(), 0, "receiver after the burst");
}
