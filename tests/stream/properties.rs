//! Property tests on the sans-IO core: box-stream chunking, corruption and truncation, header
//! length limits, box-stream frames against libsodium's own secretbox, and tampering with each
//! handshake message.
//!
//! Every property compares what the opener or the state machines do against a small model of the
//! protocol, so a wrong plaintext, a late or early error, or a wrong error kind all fail. Cases
//! per property are modest so the file runs in a few seconds in debug; set `PROPTEST_CASES` to
//! run more.

use crate::common;

use bytes::BytesMut;
use common::payload;
use proptest::prelude::*;
use proptest::sample::Index;
use secret_handshake::boxstream::{BoxOpener, Frame, HEADER_LEN, MAX_BODY_LEN};
use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake};
use secret_handshake::hazmat::drive::relay_with;
use secret_handshake::hazmat::{self, raw_session_keys};
use secret_handshake::{BoxStreamError, HandshakeError, Keypair, NetworkKey, Phase};

/// `cases` unless `PROPTEST_CASES` asks for another number.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // Integration tests have no lib.rs beside them for proptest to anchor its regression
        // files to; failures print the minimal case instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Box-stream: a sealed stream and a model of what opening it (damaged or not) must give.

/// What the opener reports, in order.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    Message(Vec<u8>),
    Goodbye,
    Error(BoxStreamError),
}

/// Where one frame lies on the wire and what it carries (`None` for the goodbye).
#[derive(Debug)]
struct Span {
    start: usize,
    body_len: usize,
    plaintext: Option<Vec<u8>>,
}

/// A sealed stream: its wire bytes and frame layout.
#[derive(Debug)]
struct Sealed {
    wire: Vec<u8>,
    spans: Vec<Span>,
}

/// Seals `writes` with one sealer (each write split into frames of at most 4096 bytes), then
/// optionally the goodbye, then `trailing` bytes that follow the stream on the wire.
fn seal_stream(
    key: [u8; 32],
    nonce: [u8; 24],
    writes: &[Vec<u8>],
    goodbye: bool,
    trailing: &[u8],
) -> Sealed {
    let mut sealer = hazmat::sealer_from_raw_parts(key, nonce);
    let mut wire = BytesMut::new();
    let mut spans = Vec::new();
    for data in writes {
        let mut at = wire.len();
        sealer.seal(data, &mut wire);
        for chunk in data.chunks(MAX_BODY_LEN) {
            spans.push(Span {
                start: at,
                body_len: chunk.len(),
                plaintext: Some(chunk.to_vec()),
            });
            at += HEADER_LEN + chunk.len();
        }
        assert_eq!(at, wire.len(), "a write of {} bytes", data.len());
    }
    if goodbye {
        spans.push(Span {
            start: wire.len(),
            body_len: 0,
            plaintext: None,
        });
        sealer.seal_goodbye(&mut wire);
    }
    wire.extend_from_slice(trailing);
    Sealed {
        wire: wire.to_vec(),
        spans,
    }
}

impl Sealed {
    /// The model: given the first `received.len()` bytes of a possibly damaged copy of the wire,
    /// frames open in order to their original plaintext until the first frame that is damaged
    /// (`InvalidHeader` / `InvalidBody`), cut short (`Truncated`), or the goodbye. Bytes after
    /// the last sealed frame of a stream without goodbye are an invalid header (or truncated).
    fn expected(&self, received: &[u8]) -> Vec<Event> {
        let avail = received.len();
        let damaged = |from: usize, to: usize| (from..to).any(|i| received[i] != self.wire[i]);
        let truncated = |pos: usize| Event::Error(BoxStreamError::Truncated { bytes: avail - pos });
        let mut events = Vec::new();
        let mut pos = 0;
        for span in &self.spans {
            assert_eq!(span.start, pos);
            let header_end = pos + HEADER_LEN;
            if header_end > avail {
                events.push(truncated(pos));
                return events;
            }
            if damaged(pos, header_end) {
                events.push(Event::Error(BoxStreamError::InvalidHeader));
                return events;
            }
            let Some(plaintext) = &span.plaintext else {
                events.push(Event::Goodbye);
                return events;
            };
            let end = header_end + span.body_len;
            if end > avail {
                events.push(truncated(pos));
                return events;
            }
            if damaged(header_end, end) {
                events.push(Event::Error(BoxStreamError::InvalidBody));
                return events;
            }
            events.push(Event::Message(plaintext.clone()));
            pos = end;
        }
        events.push(if avail - pos >= HEADER_LEN {
            Event::Error(BoxStreamError::InvalidHeader)
        } else {
            truncated(pos)
        });
        events
    }
}

/// Feeds `wire` to `opener` in chunks of the given sizes (cycled; all zero means one chunk),
/// opening after each, then signals EOF. Returns the events up to the terminal one, and checks
/// what must hold after it: a goodbye repeats and leaves later bytes unread, an error is final.
fn open_chunked(opener: &mut BoxOpener, wire: &[u8], chunks: &[usize]) -> Vec<Event> {
    let mut sizes = chunks.iter().copied().cycle();
    let all_zero = chunks.iter().all(|&n| n == 0);
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut fed = 0;
    let mut rounds = 0;
    'feed: while fed < wire.len() || rounds == 0 {
        rounds += 1;
        let size = if all_zero {
            wire.len()
        } else {
            sizes.next().unwrap_or(wire.len())
        };
        let n = size.min(wire.len() - fed);
        buf.extend_from_slice(&wire[fed..fed + n]);
        fed += n;
        loop {
            match opener.open(&mut buf) {
                Ok(None) => break,
                Ok(Some(Frame::Message(body))) => {
                    assert!((1..=MAX_BODY_LEN).contains(&body.len()));
                    events.push(Event::Message(body.to_vec()));
                }
                Ok(Some(Frame::Goodbye)) => {
                    events.push(Event::Goodbye);
                    break 'feed;
                }
                Err(e) => {
                    events.push(Event::Error(e));
                    break 'feed;
                }
            }
        }
    }
    match events.last() {
        Some(Event::Goodbye | Event::Error(_)) => {}
        _ => events.push(match opener.open_eof(&mut buf) {
            Ok(Some(Frame::Goodbye)) => Event::Goodbye,
            Ok(other) => panic!("open_eof after all complete frames were read: {other:?}"),
            Err(e) => Event::Error(e),
        }),
    }
    match events.last() {
        Some(Event::Goodbye) => {
            assert!(opener.is_ended());
            assert_eq!(&buf[..], &wire[fed - buf.len()..fed], "bytes after goodbye");
            let before = buf.clone();
            assert_eq!(opener.open(&mut buf), Ok(Some(Frame::Goodbye)));
            assert_eq!(opener.open_eof(&mut buf), Ok(Some(Frame::Goodbye)));
            assert_eq!(buf, before, "a goodbye must leave later bytes unread");
        }
        Some(Event::Error(_)) => {
            assert!(!opener.is_ended());
            assert_eq!(opener.open(&mut buf), Err(BoxStreamError::Failed));
            assert_eq!(opener.open_eof(&mut buf), Err(BoxStreamError::Failed));
        }
        other => panic!("no terminal event: {other:?}"),
    }
    events
}

/// Write sizes with the interesting edges (0, 1, 4095..4097, 8192, 10000) well represented.
fn write_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => 0..=10_000usize,
        1 => prop::sample::select(vec![0, 1, 2, 4095, 4096, 4097, 8191, 8192, 8193, 10_000]),
    ]
}

/// Up to six writes of 0..=10000 bytes.
fn writes() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (prop::collection::vec(write_size(), 0..6), any::<u64>()).prop_map(|(sizes, seed)| {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| payload(n, seed.wrapping_add(i as u64)))
            .collect()
    })
}

/// Any nonce, with the all-ones (wraps on the first increment) and near-wrap ones likely.
fn nonce() -> impl Strategy<Value = [u8; 24]> {
    prop_oneof![
        3 => any::<[u8; 24]>(),
        1 => (0u8..4).prop_map(|k| {
            let mut n = [0xff; 24];
            n[23] = 0xff - k;
            n
        }),
        1 => Just([0; 24]),
    ]
}

/// Read sizes: tiny, around a header, and large.
fn chunks() -> impl Strategy<Value = Vec<usize>> {
    let size = prop_oneof![0..=3usize, 30..=40usize, 0..=10_000usize];
    prop::collection::vec(size, 1..8)
}

proptest! {
    #![proptest_config(config(128))]

    /// Any chunking of a sealed stream opens to exactly the bytes written, frame by frame, and
    /// ends in Goodbye.
    #[test]
    fn any_chunking_opens_to_the_same_bytes(
        key in any::<[u8; 32]>(),
        nonce in nonce(),
        writes in writes(),
        chunks in chunks(),
    ) {
        let sealed = seal_stream(key, nonce, &writes, true, &[]);
        let total: usize = writes.iter().map(Vec::len).sum();
        let frames = writes.iter().map(|w| w.len().div_ceil(MAX_BODY_LEN)).sum::<usize>();
        prop_assert_eq!(sealed.wire.len(), total + (frames + 1) * HEADER_LEN);

        let events = open_chunked(&mut hazmat::opener_from_raw_parts(key, nonce), &sealed.wire, &chunks);
        prop_assert_eq!(events.last(), Some(&Event::Goodbye));
        let opened: Vec<u8> = events
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m.as_slice()),
                _ => None,
            })
            .flatten()
            .copied()
            .collect();
        prop_assert_eq!(opened, writes.concat());
        prop_assert_eq!(events, sealed.expected(&sealed.wire));
    }

    /// Flipping one bit anywhere (including in bytes after the goodbye, and in streams without
    /// a goodbye): the frames before the damaged one open to their plaintext, then exactly the
    /// right error; a flip after the goodbye changes nothing.
    #[test]
    fn a_flipped_bit_fails_at_its_frame(
        key in any::<[u8; 32]>(),
        nonce in nonce(),
        writes in writes(),
        goodbye in prop::bool::weighted(0.8),
        trailing in prop::collection::vec(any::<u8>(), 0..50),
        bit in any::<Index>(),
        chunks in chunks(),
    ) {
        let sealed = seal_stream(key, nonce, &writes, goodbye, &trailing);
        prop_assume!(!sealed.wire.is_empty());
        let mut damaged = sealed.wire.clone();
        let bit = bit.index(damaged.len() * 8);
        damaged[bit / 8] ^= 1 << (bit % 8);

        let expected = sealed.expected(&damaged);
        let events = open_chunked(&mut hazmat::opener_from_raw_parts(key, nonce), &damaged, &chunks);
        prop_assert_eq!(&events, &expected);
        if goodbye && bit / 8 >= sealed.wire.len() - trailing.len() {
            prop_assert_eq!(events, sealed.expected(&sealed.wire));
        }
    }

    /// Cutting a stream at any offset: the frames that arrived whole, then `Truncated` with the
    /// number of bytes of the unfinished frame (or Goodbye if nothing was cut).
    #[test]
    fn truncation_gives_truncated(
        key in any::<[u8; 32]>(),
        nonce in nonce(),
        writes in writes(),
        cut in any::<Index>(),
        chunks in chunks(),
    ) {
        let sealed = seal_stream(key, nonce, &writes, true, &[]);
        let cut = cut.index(sealed.wire.len() + 1);
        let received = &sealed.wire[..cut];
        let events = open_chunked(&mut hazmat::opener_from_raw_parts(key, nonce), received, &chunks);
        let expected = sealed.expected(received);
        match expected.last() {
            Some(Event::Goodbye) => prop_assert_eq!(cut, sealed.wire.len()),
            Some(Event::Error(BoxStreamError::Truncated { bytes })) => {
                prop_assert!(cut < sealed.wire.len());
                let frame_start = cut - bytes;
                prop_assert!(sealed.spans.iter().any(|s| s.start == frame_start));
            }
            other => prop_assert!(false, "model gave {:?}", other),
        }
        prop_assert_eq!(events, expected);
    }
}

/// Every single-bit flip of a small stream (two messages, goodbye, trailing bytes), exhaustively.
#[test]
fn every_bit_flip_of_a_small_stream() {
    let key = [7; 32];
    let nonce = [0xff; 24];
    let writes = [b"abc".to_vec(), b"hello".to_vec()];
    let sealed = seal_stream(key, nonce, &writes, true, b"tail");
    for bit in 0..sealed.wire.len() * 8 {
        let mut damaged = sealed.wire.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        let events = open_chunked(
            &mut hazmat::opener_from_raw_parts(key, nonce),
            &damaged,
            &[1],
        );
        assert_eq!(events, sealed.expected(&damaged), "bit {bit}");
        let n = events.len();
        let byte = bit / 8;
        let expected_last = match byte {
            0..=33 => Event::Error(BoxStreamError::InvalidHeader),
            34..=36 => Event::Error(BoxStreamError::InvalidBody),
            37..=70 => Event::Error(BoxStreamError::InvalidHeader),
            71..=75 => Event::Error(BoxStreamError::InvalidBody),
            76..=109 => Event::Error(BoxStreamError::InvalidHeader),
            _ => Event::Goodbye,
        };
        assert_eq!(events[n - 1], expected_last, "bit {bit}");
    }
}

// ---------------------------------------------------------------------------------------------
// Header length limits. The public API cannot seal a header with a body length of 0 or more than
// 4096, so the test builds one from two things it can seal: XSalsa20-Poly1305 is a stream cipher
// whose first message bytes use the same keystream at any message length, so
//   * sealing an arbitrary body `m` with a sealer started one nonce early gives `box(m, n)`,
//     except that its tag travels inside that frame's encrypted header, and
//   * a goodbye sealed at the same early nonce is 18 zero bytes under the same keystream,
// so XOR-ing the two headers' ciphertexts recovers the body's tag: a full `secretbox(m, n)`.

/// `n - 1` as a 192-bit big-endian counter (wrapping).
fn nonce_sub_one(nonce: [u8; 24]) -> [u8; 24] {
    let mut n = nonce;
    for byte in n.iter_mut().rev() {
        let (next, borrow) = byte.overflowing_sub(1);
        *byte = next;
        if !borrow {
            break;
        }
    }
    n
}

/// `n + k` as a 192-bit big-endian counter (wrapping).
fn nonce_add(nonce: [u8; 24], k: u64) -> [u8; 24] {
    let mut n = nonce;
    let mut carry = u128::from(k);
    for byte in n.iter_mut().rev() {
        let sum = u128::from(*byte) + (carry & 0xff);
        *byte = sum as u8;
        carry = (carry >> 8) + (sum >> 8);
    }
    n
}

/// `crypto_secretbox_easy(plain, nonce, key)` = tag ‖ ciphertext, for 1..=4096 plaintext bytes,
/// built from the crate's own sealer (see above).
fn secretbox(key: [u8; 32], nonce: [u8; 24], plain: &[u8]) -> Vec<u8> {
    assert!((1..=MAX_BODY_LEN).contains(&plain.len()));
    let early = nonce_sub_one(nonce);
    let mut frame = BytesMut::new();
    hazmat::sealer_from_raw_parts(key, early).seal(plain, &mut frame);
    let mut bye = BytesMut::new();
    hazmat::sealer_from_raw_parts(key, early).seal_goodbye(&mut bye);
    let keystream = &bye[16..HEADER_LEN];
    let header_plain: Vec<u8> = frame[16..HEADER_LEN]
        .iter()
        .zip(keystream)
        .map(|(c, k)| c ^ k)
        .collect();
    assert_eq!(header_plain[..2], (plain.len() as u16).to_be_bytes());
    let mut boxed = header_plain[2..].to_vec();
    boxed.extend_from_slice(&frame[HEADER_LEN..]);
    boxed
}

/// A 34-byte header at `nonce` announcing `len` body bytes whose MAC is `body_tag`.
fn crafted_header(key: [u8; 32], nonce: [u8; 24], len: u16, body_tag: &[u8]) -> Vec<u8> {
    let mut plain = len.to_be_bytes().to_vec();
    plain.extend_from_slice(body_tag);
    let header = secretbox(key, nonce, &plain);
    assert_eq!(header.len(), HEADER_LEN);
    header
}

/// A real stream of `writes` (no goodbye), then a crafted frame of `body` announcing `len`.
fn stream_with_crafted_frame(
    key: [u8; 32],
    nonce: [u8; 24],
    writes: &[Vec<u8>],
    len: u16,
    body: &[u8],
) -> (Sealed, Vec<u8>) {
    let sealed = seal_stream(key, nonce, writes, false, &[]);
    let frames = sealed.spans.len() as u64;
    let header_nonce = nonce_add(nonce, 2 * frames);
    let boxed_body = secretbox(key, nonce_add(header_nonce, 1), body);
    let mut wire = sealed.wire.clone();
    wire.extend(crafted_header(key, header_nonce, len, &boxed_body[..16]));
    wire.extend_from_slice(&boxed_body[16..]);
    (sealed, wire)
}

/// The crafting works: a hand-built frame with an honest length opens like a sealed one (and
/// matches the sealer byte for byte), so the rejections below are about the length alone.
#[test]
fn crafted_frames_with_valid_lengths_open() {
    let key = [3; 32];
    for nonce in [[0; 24], [0xff; 24], nonce_add([0xff; 24], u64::MAX - 2)] {
        for len in [1usize, 2, 17, 4095, 4096] {
            let body = payload(len, len as u64);
            let writes = [b"first".to_vec()];
            let (sealed, wire) = stream_with_crafted_frame(key, nonce, &writes, len as u16, &body);
            let mut reference = BytesMut::new();
            let mut sealer = hazmat::sealer_from_raw_parts(key, nonce);
            sealer.seal(&writes[0], &mut reference);
            sealer.seal(&body, &mut reference);
            assert_eq!(wire, reference.to_vec(), "len {len}");
            let events = open_chunked(&mut hazmat::opener_from_raw_parts(key, nonce), &wire, &[7]);
            assert_eq!(events.len(), 3);
            assert_eq!(events[0], sealed.expected(&sealed.wire)[0]);
            assert_eq!(events[1], Event::Message(body));
            assert_eq!(
                events[2],
                Event::Error(BoxStreamError::Truncated { bytes: 0 })
            );
        }
    }
}

fn bad_length() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(4097u16),
        Just(5000u16),
        Just(u16::MAX),
        4097..=u16::MAX,
    ]
}

proptest! {
    #![proptest_config(config(64))]

    /// A header announcing more than 4096 body bytes is `InvalidBodyLength`, after the
    /// frames before it opened correctly, and before any of its body is awaited.
    #[test]
    fn bad_body_lengths_are_rejected(
        key in any::<[u8; 32]>(),
        nonce in nonce(),
        writes in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..3),
        len in bad_length(),
        body_tag in any::<[u8; 16]>(),
        body_bytes in 0..6000usize,
        chunks in chunks(),
    ) {
        let sealed = seal_stream(key, nonce, &writes, false, &[]);
        let header_nonce = nonce_add(nonce, 2 * sealed.spans.len() as u64);
        let mut wire = sealed.wire.clone();
        wire.extend(crafted_header(key, header_nonce, len, &body_tag));
        wire.extend(payload(body_bytes, 7)); // what follows does not matter

        let events = open_chunked(&mut hazmat::opener_from_raw_parts(key, nonce), &wire, &chunks);
        let mut expected = sealed.expected(&sealed.wire);
        expected.pop(); // the model's `Truncated { bytes: 0 }` at the end of the real frames
        expected.push(Event::Error(BoxStreamError::InvalidBodyLength(len)));
        prop_assert_eq!(events, expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Box-stream against libsodium: the crate seals and opens boxes with a cached XSalsa20 subkey
// (src/crypto.rs); a model built from `crypto_secretbox_detached` itself must agree byte for byte.

/// `crypto_secretbox_detached(buf, nonce, key)` in place; returns the tag.
fn libsodium_box(buf: &mut [u8], nonce: [u8; 24], key: [u8; 32]) -> [u8; 16] {
    use sodiumoxide::crypto::secretbox;
    secretbox::seal_detached(buf, &secretbox::Nonce(nonce), &secretbox::Key(key)).0
}

/// The box-stream of `writes` (and the goodbye) sealed frame by frame with libsodium.
fn libsodium_stream(key: [u8; 32], nonce: [u8; 24], writes: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut n = nonce;
    for body in writes.iter().flat_map(|w| w.chunks(MAX_BODY_LEN)) {
        let mut body = body.to_vec();
        let body_tag = libsodium_box(&mut body, nonce_add(n, 1), key);
        let mut header = (body.len() as u16).to_be_bytes().to_vec();
        header.extend_from_slice(&body_tag);
        let header_tag = libsodium_box(&mut header, n, key);
        wire.extend_from_slice(&header_tag);
        wire.extend_from_slice(&header);
        wire.extend_from_slice(&body);
        n = nonce_add(n, 2);
    }
    let mut goodbye = [0; 18];
    let tag = libsodium_box(&mut goodbye, n, key);
    wire.extend_from_slice(&tag);
    wire.extend_from_slice(&goodbye);
    wire
}

/// Any nonce, half of the time with its low 64 bits a few increments short of wrapping, so the
/// first 16 bytes (and the cached subkey) change within the stream.
fn prefix_changing_nonce() -> impl Strategy<Value = [u8; 24]> {
    (any::<[u8; 24]>(), prop::option::of(0u64..40)).prop_map(|(mut n, back)| {
        if let Some(back) = back {
            n[16..].copy_from_slice(&(u64::MAX - back).to_be_bytes());
        }
        n
    })
}

proptest! {
    #![proptest_config(config(128))]

    /// The crate's sealer writes exactly libsodium's frames, and its opener opens libsodium's
    /// frames to the written bytes, for any key, nonce and writes.
    #[test]
    fn frames_equal_libsodiums_secretbox(
        key in any::<[u8; 32]>(),
        nonce in prefix_changing_nonce(),
        writes in writes(),
        chunks in chunks(),
    ) {
        let reference = libsodium_stream(key, nonce, &writes);
        let sealed = seal_stream(key, nonce, &writes, true, &[]);
        prop_assert!(sealed.wire == reference, "sealed stream differs from libsodium's");
        let events = open_chunked(&mut hazmat::opener_from_raw_parts(key, nonce), &reference, &chunks);
        prop_assert_eq!(events, sealed.expected(&reference));
    }
}

// ---------------------------------------------------------------------------------------------
// Handshake: flipping one bit of any of the four messages.

/// What became of a handshake driven in memory.
#[derive(Debug)]
enum Run {
    /// Both sides finished.
    Done,
    /// Message `n` (1..=4) was refused by its receiver with this error.
    Refused(usize, HandshakeError),
}

/// Network key, client and server identity seeds, client and server ephemeral secrets.
type Seeds = [[u8; 32]; 5];

/// Drives a client and a server in memory, flipping `flip = (message, bit)` on the way, and
/// checks at every step what each side must want next.
fn handshake(seeds: Seeds, flip: Option<(usize, usize)>) -> Run {
    let [network, client_seed, server_seed, client_eph, server_eph] = seeds;
    let network = NetworkKey::from_bytes(network);
    let client_id = Keypair::from_seed(&client_seed);
    let server_id = Keypair::from_seed(&server_seed);
    let mut client = ClientHandshake::with_fixed_ephemeral_key_for_testing_only(
        &client_id,
        &network,
        server_id.public(),
        client_eph,
    );
    let mut server = ServerHandshake::with_fixed_ephemeral_key_for_testing_only(
        &server_id, &network, server_eph,
    );

    /// What happens to message `n` on the way: its length is checked and the flip applied if
    /// it is the flipped message.
    fn damage(n: usize, len: usize, flip: Option<(usize, usize)>) -> impl FnOnce(&mut [u8]) {
        move |msg| {
            assert_eq!(msg.len(), len, "message {n}");
            if let Some((m, bit)) = flip {
                if m == n {
                    msg[bit / 8] ^= 1 << (bit % 8);
                }
            }
        }
    }

    /// The receiver of message `n` refused it: it is dead in that phase, with no session.
    fn refused<H: Handshake>(mut to: H, n: usize, err: HandshakeError) -> Run {
        assert_eq!(to.next(), Next::Failed);
        assert_eq!(Some(to.phase()), err.phase());
        assert!(to.received(&[0; 80]).is_err());
        assert_eq!(to.next(), Next::Failed);
        assert!(to.finish().is_err());
        Run::Refused(n, err)
    }

    assert_eq!(server.next(), Next::Receive(64));
    if let Err(e) = relay_with(&mut client, &mut server, damage(1, 64, flip)) {
        assert_eq!(client.next(), Next::Receive(64));
        return refused(server, 1, e);
    }
    assert_eq!(client.next(), Next::Receive(64));
    if let Err(e) = relay_with(&mut server, &mut client, damage(2, 64, flip)) {
        return refused(client, 2, e);
    }
    assert_eq!(server.next(), Next::Receive(112));
    if let Err(e) = relay_with(&mut client, &mut server, damage(3, 112, flip)) {
        assert!(server.client_key().is_none());
        assert_eq!(client.next(), Next::Receive(80));
        return refused(server, 3, e);
    }
    assert_eq!(server.next(), Next::Authorize(client_id.public()));
    server.accept().expect("accept");
    assert_eq!(client.next(), Next::Receive(80));
    let received = relay_with(&mut server, &mut client, damage(4, 80, flip));
    assert_eq!(server.next(), Next::Done);
    if let Err(e) = received {
        // The server cannot know: it finished when it sent message 4.
        return refused(client, 4, e);
    }
    assert_eq!(client.next(), Next::Done);
    let c = client.finish().expect("client session");
    let s = server.finish().expect("server session");
    assert_eq!(&c.peer, server_id.public());
    assert_eq!(&s.peer, client_id.public());
    let (c, s) = (raw_session_keys(&c.keys), raw_session_keys(&s.keys));
    assert_eq!(c.encrypt_key, s.decrypt_key);
    assert_eq!(c.encrypt_nonce, s.decrypt_nonce);
    assert_eq!(c.decrypt_key, s.encrypt_key);
    assert_eq!(c.decrypt_nonce, s.encrypt_nonce);
    Run::Done
}

/// The error the receiver of a damaged message `n` must give.
fn check_refusal(run: Run, n: usize) -> Result<(), TestCaseError> {
    let Run::Refused(at, err) = run else {
        return Err(TestCaseError::fail(format!(
            "message {n} damaged, yet the handshake succeeded"
        )));
    };
    prop_assert_eq!(at, n, "failed at the wrong message: {}", err);
    let (ok, phase) = match n {
        1 => (
            matches!(err, HandshakeError::InvalidHello(Phase::ClientHello)),
            Phase::ClientHello,
        ),
        2 => (
            matches!(err, HandshakeError::InvalidHello(Phase::ServerHello)),
            Phase::ServerHello,
        ),
        3 => (
            matches!(err, HandshakeError::InvalidClientAuth),
            Phase::ClientAuth,
        ),
        _ => (
            matches!(err, HandshakeError::InvalidServerAccept),
            Phase::ServerAccept,
        ),
    };
    prop_assert!(ok, "message {}: wrong error {:?}", n, err);
    prop_assert_eq!(err.phase(), Some(phase));
    prop_assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::InvalidData
    );
    Ok(())
}

const MESSAGE_LEN: [usize; 4] = [64, 64, 112, 80];

proptest! {
    #![proptest_config(config(128))]

    /// Any single-bit flip in any message makes exactly its receiver fail, with the error of that
    /// phase; nobody panics and the receiver gets no session. Unflipped, the handshake succeeds.
    #[test]
    fn a_flipped_bit_fails_the_handshake_at_that_message(
        seeds in any::<Seeds>(),
        message in 1..=4usize,
        bit in any::<Index>(),
    ) {
        let bit = bit.index(MESSAGE_LEN[message - 1] * 8);
        check_refusal(handshake(seeds, Some((message, bit))), message)?;
    }
}

/// Every bit of every message of one handshake, exhaustively (2560 handshakes).
#[test]
fn every_bit_flip_of_one_handshake() {
    let seeds = [[1; 32], [2; 32], [3; 32], [4; 32], [5; 32]];
    assert!(matches!(handshake(seeds, None), Run::Done));
    for (i, len) in MESSAGE_LEN.iter().enumerate() {
        for bit in 0..len * 8 {
            check_refusal(handshake(seeds, Some((i + 1, bit))), i + 1)
                .unwrap_or_else(|e| panic!("message {} bit {bit}: {e}", i + 1));
        }
    }
}
