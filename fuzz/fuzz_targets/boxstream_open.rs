//! The box-stream opener fed hostile input.
//!
//! The first input byte picks a mode:
//! 0. arbitrary bytes, delivered in fuzzer-chosen chunks: nothing may ever open (only the key
//!    holder can make a frame), and the failure must be the right one;
//! 1. a real sealed stream (fuzzer-chosen nonce, often one whose low 64 bits wrap mid-stream so
//!    the cached XSalsa20 subkey changes; write sizes 0..=10000, with or without goodbye,
//!    trailing bytes), then fuzzer-chosen byte edits and truncation, delivered in fuzzer-chosen
//!    chunks. The opened events must equal a model of the stream exactly: every frame before the
//!    first damage opens to its original plaintext, then the precise error (never wrong
//!    plaintext, never a panic).

#![no_main]

mod common;

use bytes::BytesMut;
use common::Cursor;
use libfuzzer_sys::fuzz_target;
use secret_handshake::boxstream::{BoxOpener, Frame, HEADER_LEN, MAX_BODY_LEN};
use secret_handshake::hazmat;
use secret_handshake::BoxStreamError;

const KEY: [u8; 32] = [0x6b; 32];

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    match input.byte() % 2 {
        0 => arbitrary_bytes(&mut input),
        _ => damaged_stream(&mut input),
    }
});

#[derive(Debug, PartialEq, Eq)]
enum Event {
    Message(Vec<u8>),
    Goodbye,
    Error(BoxStreamError),
}

/// Chunk sizes drawn from the input (0 to ~16 KiB, small ones most likely); once the input runs
/// out, everything left is delivered at once.
fn chunk_size(input: &mut Cursor<'_>, remaining: usize) -> usize {
    if input.is_empty() {
        return remaining;
    }
    let b = input.byte() as usize;
    (b * b / 4).min(remaining)
}

/// Feeds `wire` to `opener` in chunks, opening after each, then signals EOF. Returns every event
/// up to and including the terminal one, and checks what must hold after it.
fn open_all(opener: &mut BoxOpener, wire: &[u8], input: &mut Cursor<'_>) -> Vec<Event> {
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut fed = 0;
    let mut terminal = false;
    'feed: while fed < wire.len() {
        let n = chunk_size(input, wire.len() - fed);
        buf.extend_from_slice(&wire[fed..fed + n]);
        fed += n;
        loop {
            match opener.open(&mut buf) {
                Ok(None) => break,
                Ok(Some(Frame::Message(body))) => {
                    assert!((1..=MAX_BODY_LEN).contains(&body.len()), "{}", body.len());
                    events.push(Event::Message(body.to_vec()));
                }
                Ok(Some(Frame::Goodbye)) => {
                    events.push(Event::Goodbye);
                    terminal = true;
                    break 'feed;
                }
                Err(err) => {
                    events.push(Event::Error(err));
                    terminal = true;
                    break 'feed;
                }
            }
        }
    }
    if !terminal {
        loop {
            match opener.open_eof(&mut buf) {
                Ok(Some(Frame::Message(body))) => events.push(Event::Message(body.to_vec())),
                Ok(Some(Frame::Goodbye)) => {
                    events.push(Event::Goodbye);
                    break;
                }
                Ok(None) => panic!("open_eof returned Ok(None)"),
                Err(err) => {
                    events.push(Event::Error(err));
                    break;
                }
            }
        }
    }
    match events.last() {
        Some(Event::Goodbye) => {
            assert!(opener.is_ended());
            // Bytes after a goodbye stay in the buffer, unread.
            let left = buf.clone();
            assert_eq!(opener.open(&mut buf), Ok(Some(Frame::Goodbye)));
            assert_eq!(opener.open_eof(&mut buf), Ok(Some(Frame::Goodbye)));
            assert_eq!(buf, left);
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

fn arbitrary_bytes(input: &mut Cursor<'_>) {
    let nonce: [u8; 24] = input.array();
    let len = input.u16() as usize;
    let wire = input.take(len).to_vec();
    let mut opener = hazmat::opener_from_raw_parts(KEY, nonce);
    let events = open_all(&mut opener, &wire, input);
    let expected = if wire.len() >= HEADER_LEN {
        BoxStreamError::InvalidHeader
    } else {
        BoxStreamError::Truncated { bytes: wire.len() }
    };
    assert_eq!(events, [Event::Error(expected)]);
}

/// One frame of the sealed stream: where it lies on the wire and what it carries.
struct Span {
    start: usize,
    body_len: usize,
    /// `None` for the goodbye.
    plaintext: Option<Vec<u8>>,
}

/// Deterministic plaintext for write `w`.
fn plaintext(w: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ w.wrapping_mul(97)) as u8)
        .collect()
}

fn damaged_stream(input: &mut Cursor<'_>) {
    let mut nonce: [u8; 24] = input.array();
    let flags = input.byte();
    if flags & 4 != 0 {
        // Low 64 bits within 32 increments of wrapping: the nonce's first 16 bytes, and with
        // them the cached XSalsa20 subkey, change mid-stream.
        nonce[16..23].fill(0xff);
        nonce[23] |= 0xe0;
    }
    let writes = usize::from(input.byte() % 6);
    let mut sealer = hazmat::sealer_from_raw_parts(KEY, nonce);
    let mut wire = BytesMut::new();
    let mut spans = Vec::new();
    for w in 0..writes {
        let data = plaintext(w, usize::from(input.u16()) % 10_001);
        let before = wire.len();
        sealer.seal(&data, &mut wire);
        let mut at = before;
        for chunk in data.chunks(MAX_BODY_LEN) {
            spans.push(Span {
                start: at,
                body_len: chunk.len(),
                plaintext: Some(chunk.to_vec()),
            });
            at += HEADER_LEN + chunk.len();
        }
        assert_eq!(at, wire.len(), "sealed length");
    }
    if flags & 1 == 0 {
        spans.push(Span {
            start: wire.len(),
            body_len: 0,
            plaintext: None,
        });
        sealer.seal_goodbye(&mut wire);
    }
    let sealed_len = wire.len();
    let trailing = usize::from(input.byte());
    wire.extend_from_slice(&vec![0x5a; trailing]);
    let original = wire.to_vec();

    let edits = input.byte() % 4;
    for _ in 0..edits {
        let at = usize::from(input.u16());
        let mask = input.byte();
        if let Some(byte) = wire.get_mut(at % (original.len() + 1)) {
            *byte ^= mask;
        }
    }
    let avail = if flags & 2 != 0 {
        usize::from(input.u16()) % (wire.len() + 1)
    } else {
        wire.len()
    };
    let wire = &wire[..avail];
    let damaged = |from: usize, to: usize| (from..to).any(|i| wire[i] != original[i]);

    // The model: frames open in order until the first damaged or missing one.
    let mut expected = Vec::new();
    let mut pos = 0;
    let mut terminal = None;
    for span in &spans {
        debug_assert_eq!(span.start, pos);
        let header_end = pos + HEADER_LEN;
        if header_end > avail {
            terminal = Some(Event::Error(BoxStreamError::Truncated {
                bytes: avail - pos,
            }));
            break;
        }
        if damaged(pos, header_end) {
            terminal = Some(Event::Error(BoxStreamError::InvalidHeader));
            break;
        }
        let Some(plain) = &span.plaintext else {
            terminal = Some(Event::Goodbye);
            break;
        };
        let end = header_end + span.body_len;
        if end > avail {
            terminal = Some(Event::Error(BoxStreamError::Truncated {
                bytes: avail - pos,
            }));
            break;
        }
        if damaged(header_end, end) {
            terminal = Some(Event::Error(BoxStreamError::InvalidBody));
            break;
        }
        expected.push(Event::Message(plain.clone()));
        pos = end;
    }
    // No goodbye was sealed: whatever follows the last frame is garbage.
    let terminal = terminal.unwrap_or_else(|| {
        assert!(pos >= sealed_len.min(avail));
        if avail - pos >= HEADER_LEN {
            Event::Error(BoxStreamError::InvalidHeader)
        } else {
            Event::Error(BoxStreamError::Truncated { bytes: avail - pos })
        }
    });
    expected.push(terminal);

    let mut opener = hazmat::opener_from_raw_parts(KEY, nonce);
    let events = open_all(&mut opener, wire, input);
    assert_eq!(events, expected);
}
