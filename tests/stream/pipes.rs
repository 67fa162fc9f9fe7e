//! BoxStream over in-memory pipes with 1-byte buffers and over loopback TCP.

use crate::common;

use std::io::ErrorKind;

use common::net;
use common::pairs::{duplex_pair, tcp_pair};
use common::peer::{self, Write};
use secret_handshake::handshake::ServerHandshake;
use secret_handshake::{
    AllowAll, BoxStream, BoxStreamError, Client, Keypair, Server, DEFAULT_WRITE_BUFFER,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

/// Sends `len` bytes each way at once, each side ending with a goodbye; checks both arrive.
async fn round_trip<IO>(a: BoxStream<IO>, b: BoxStream<IO>, len: usize)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    async fn send_and_receive<IO: AsyncRead + AsyncWrite + Unpin>(
        mut stream: BoxStream<IO>,
        data: Vec<u8>,
    ) -> Vec<u8> {
        let (mut reader, mut writer) = tokio::io::split(&mut stream);
        let send = async {
            writer.write_all(&data).await.unwrap();
            writer.shutdown().await.unwrap();
        };
        let receive = async {
            let mut got = Vec::new();
            reader.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), got) = tokio::join!(send, receive);
        assert!(stream.is_ended());
        got
    }
    let data = payload(len);
    let reversed: Vec<u8> = data.iter().rev().copied().collect();
    let (got_b, got_a) = tokio::join!(
        send_and_receive(a, data.clone()),
        send_and_receive(b, reversed.clone())
    );
    assert!(
        got_a == data,
        "b received {} bytes, wanted {len}",
        got_a.len()
    );
    assert!(
        got_b == reversed,
        "a received {} bytes, wanted {len}",
        got_b.len()
    );
}

const SIZES: [usize; 6] = [0, 1, 4095, 4096, 4097, 1 << 20];

#[tokio::test]
async fn round_trips_over_one_byte_pipes() {
    for len in SIZES {
        let (a, b) = duplex_pair(1).await;
        round_trip(a, b, len).await;
    }
}

#[tokio::test]
async fn round_trips_over_tcp() {
    for len in SIZES {
        let (a, b) = tcp_pair().await;
        round_trip(a, b, len).await;
    }
}

#[tokio::test]
async fn half_close_from_either_side_keeps_the_other_direction_open() {
    for client_closes_first in [true, false] {
        let (c, s) = tcp_pair().await;
        let (mut first, mut second) = if client_closes_first { (c, s) } else { (s, c) };
        first.write_all(b"last words").await.unwrap();
        first.shutdown().await.unwrap();
        first.shutdown().await.unwrap(); // idempotent

        let mut got = Vec::new();
        second.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words");
        assert_eq!(
            second.read(&mut [0; 8]).await.unwrap(),
            0,
            "goodbye reads as 0 again"
        );

        // The other direction still works after the half-close.
        second.write_all(b"reply after your goodbye").await.unwrap();
        second.shutdown().await.unwrap();
        let mut reply = Vec::new();
        first.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"reply after your goodbye");
        let e = first.write_all(b"too late").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BrokenPipe);
    }
}

#[tokio::test]
async fn split_halves_work_from_separate_tasks() {
    let (c, s) = tcp_pair().await;
    let peer = *c.peer_key();
    let (mut reader, mut writer) = c.split_with(TcpStream::into_split);
    assert_eq!(reader.peer_key(), &peer);
    assert_eq!(writer.peer_key(), &peer);
    let (mut s_reader, mut s_writer) = s.into_split();
    let data = payload(300_000);
    let expected = data.clone();
    let tasks = [
        tokio::spawn(async move {
            writer.write_all(&data).await.unwrap();
            writer.shutdown().await.unwrap();
        }),
        tokio::spawn(async move {
            let mut echo = vec![0; 10_000];
            loop {
                let n = s_reader.read(&mut echo).await.unwrap();
                if n == 0 {
                    break;
                }
                s_writer.write_all(&echo[..n]).await.unwrap();
            }
            s_writer.shutdown().await.unwrap();
            let stream = s_reader.reunite(s_writer).expect("same stream");
            assert!(stream.is_ended());
        }),
        tokio::spawn(async move {
            let mut got = Vec::new();
            reader.read_to_end(&mut got).await.unwrap();
            assert!(got == expected);
        }),
    ];
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn reunite_refuses_halves_of_different_streams() {
    let (a, b) = duplex_pair(1024).await;
    let (a_reader, _a_writer) = a.into_split();
    let (_b_reader, b_writer) = b.into_split();
    assert!(a_reader.reunite(b_writer).is_err());
}

#[tokio::test]
async fn eof_without_goodbye_is_unexpected_eof_every_time() {
    let (mut c, s) = tcp_pair().await;
    let mut s = s;
    s.write_all(b"partial").await.unwrap();
    s.flush().await.unwrap();
    drop(s); // no shutdown, so no goodbye
    let mut buf = [0; 64];
    assert_eq!(c.read(&mut buf).await.unwrap(), 7);
    for _ in 0..3 {
        let e = c.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{e}");
        assert_eq!(
            box_stream_error(&e),
            Some(&BoxStreamError::Truncated { bytes: 0 }),
            "typed on every read: {e}"
        );
    }
}

/// The typed error inside an `io::Error` from a box-stream read.
fn box_stream_error(e: &std::io::Error) -> Option<&BoxStreamError> {
    e.get_ref().and_then(|inner| inner.downcast_ref())
}

#[tokio::test]
async fn a_tampered_frame_is_invalid_data_and_nothing_of_it_is_delivered() {
    // A raw transport in the middle flips one byte of the first frame's body.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (c, mut mitm_c) = tokio::io::duplex(1 << 16);
    let (mut mitm_s, s) = tokio::io::duplex(1 << 16);
    let relay = tokio::spawn(async move {
        // Relay the handshake (64 + 112 bytes one way, 64 + 80 the other) untouched.
        let mut up = [0; 64 + 112];
        let mut down = [0; 64 + 80];
        let mut msg = [0u8; 112];
        mitm_c.read_exact(&mut msg[..64]).await.unwrap();
        mitm_s.write_all(&msg[..64]).await.unwrap();
        mitm_s.read_exact(&mut down[..64]).await.unwrap();
        mitm_c.write_all(&down[..64]).await.unwrap();
        mitm_c.read_exact(&mut up[64..]).await.unwrap();
        mitm_s.write_all(&up[64..]).await.unwrap();
        mitm_s.read_exact(&mut down[64..]).await.unwrap();
        mitm_c.write_all(&down[64..]).await.unwrap();
        // The client's first frame: 34-byte header + 5-byte body. Flip a body bit.
        let mut frame = [0; 39];
        mitm_c.read_exact(&mut frame).await.unwrap();
        frame[36] ^= 0x01;
        mitm_s.write_all(&frame).await.unwrap();
        (mitm_c, mitm_s)
    });
    let (c, s) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    let (mut c, mut s) = (c.unwrap(), s.unwrap());
    c.write_all(b"hello").await.unwrap();
    c.flush().await.unwrap();
    let _keep = relay.await.unwrap();
    let mut buf = [0; 16];
    let e = s.read(&mut buf).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    assert_eq!(box_stream_error(&e), Some(&BoxStreamError::InvalidBody));
    for _ in 0..2 {
        let again = s.read(&mut buf).await.unwrap_err();
        assert_eq!(
            again.kind(),
            ErrorKind::InvalidData,
            "every later read fails too"
        );
        assert_eq!(
            box_stream_error(&again),
            Some(&BoxStreamError::InvalidBody),
            "the same typed error, not `Failed` or a string: {again}"
        );
    }
}

#[tokio::test]
async fn bytes_sent_right_behind_message_4_are_delivered() {
    // A hand-driven server writes message 4, a frame and the goodbye in one write.
    let server_keys = Keypair::generate();
    let server_key = *server_keys.public();
    let client = Client::new(Keypair::generate(), net());
    let (c, mut s) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(async move {
        let machine = ServerHandshake::new(&server_keys, &net());
        let mut burst = Vec::new();
        let hold_back_message_4 = |number, msg: &[u8]| match number {
            4 => {
                burst.extend_from_slice(msg);
                Write::Skip
            }
            _ => Write::All,
        };
        let session = peer::drive(machine, &mut s, hold_back_message_4).await;
        let (mut sealer, _) = session.unwrap().keys.into_sealer_and_opener();
        let mut frames = bytes::BytesMut::new();
        sealer.seal(b"right behind msg4", &mut frames);
        sealer.seal_goodbye(&mut frames);
        burst.extend_from_slice(&frames);
        s.write_all(&burst).await.unwrap();
        s
    });
    let mut stream = client.connect(c, &server_key).await.expect("handshake");
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.expect("clean end");
    assert_eq!(got, b"right behind msg4");
    server.await.unwrap();
}

#[tokio::test]
async fn zero_length_reads_and_writes_return_at_once() {
    let (mut c, mut s) = duplex_pair(1024).await;
    assert_eq!(c.write(&[]).await.unwrap(), 0);
    c.flush().await.unwrap();
    let mut empty = [0u8; 0];
    assert_eq!(s.read(&mut empty).await.unwrap(), 0);
    // Nothing was sent: the next real message is the first frame.
    c.write_all(b"x").await.unwrap();
    c.flush().await.unwrap();
    let mut one = [0; 1];
    s.read_exact(&mut one).await.unwrap();
    assert_eq!(&one, b"x");
}

#[tokio::test]
async fn writes_are_buffered_until_flush_and_bounded() {
    let (mut c, mut s) = duplex_pair(1 << 20).await;
    c.write_all(b"buffered").await.unwrap();
    let mut buf = [0; 8];
    let early = tokio::time::timeout(std::time::Duration::from_millis(50), s.read(&mut buf)).await;
    assert!(early.is_err(), "nothing is sent before flush");
    c.flush().await.unwrap();
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"buffered");

    // With a small pipe and nobody reading, a large write stops once the buffer is full.
    let (mut c, _s) = duplex_pair(1024).await;
    let blocked = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        c.write_all(&payload(4 * DEFAULT_WRITE_BUFFER)),
    )
    .await;
    assert!(blocked.is_err(), "write_all must wait for the reader");
}

#[tokio::test]
async fn one_read_returns_the_plaintext_of_many_frames() {
    let (mut c, mut s) = duplex_pair(1 << 20).await;
    for _ in 0..10 {
        c.write_all(b"0123456789").await.unwrap(); // ten writes, ten frames
    }
    c.flush().await.unwrap(); // all ten frames are in the pipe
    let mut buf = [0; 1000];
    assert_eq!(s.read(&mut buf).await.unwrap(), 100);
}

#[tokio::test]
async fn into_dyn_erases_the_transport() {
    let (c, s) = tcp_pair().await;
    let (d1, d2) = duplex_pair(64).await;
    let mut streams: Vec<secret_handshake::DynBoxStream> =
        vec![c.into_dyn(), s.into_dyn(), d1.into_dyn(), d2.into_dyn()];
    let (first, rest) = streams.split_at_mut(1);
    first[0].write_all(b"ping").await.unwrap();
    first[0].flush().await.unwrap();
    let mut buf = [0; 4];
    rest[0].read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
}
