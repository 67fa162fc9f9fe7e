//! Box-stream sessions of `vectors/boxstream.json`: sealing, opening in every chunking, and
//! the codec.

use bytes::BytesMut;
use secret_handshake::boxstream::{BoxStreamCodec, Frame, Goodbye};
use secret_handshake::hazmat;
use serde::Deserialize;
use tokio_util::codec::{Decoder, Encoder};

use crate::{load, same, Cases, Hex, HexBytes};

/// One session of `vectors/boxstream.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoxCase {
    name: String,
    key: Hex<32>,
    nonce: Hex<24>,
    /// What the sender wrote, call by call.
    writes: Vec<HexBytes>,
    /// The sealed stream as the reference emitted it, and all of it at once.
    wire_chunks: Vec<HexBytes>,
    wire: HexBytes,
    decrypted_messages: Vec<HexBytes>,
    /// The nonce of the goodbye, the last 34 bytes of `wire`.
    goodbye_nonce: Hex<24>,
}

#[test]
fn boxstream_vectors_from_pull_box_stream() {
    let file: Cases<BoxCase> = load("boxstream.json");
    let names: Vec<&str> = file.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "box-stream-c",
            "empty-session",
            "empty-write",
            "write-4096",
            "write-4097",
            "write-4100",
            "write-65536",
            "several-writes",
            "nonce-wrap"
        ]
    );
    for c in &file.cases {
        let name = &c.name;
        let (key, nonce) = (c.key.0, c.nonce.0);
        let wire = &c.wire.0;
        let chunks: Vec<u8> = c.wire_chunks.iter().flat_map(|b| b.0.clone()).collect();
        assert_eq!(
            &chunks, wire,
            "{name}: wire is the concatenation of wire_chunks"
        );
        let messages: Vec<Vec<u8>> = c.decrypted_messages.iter().map(|m| m.0.clone()).collect();

        // Sealing.
        let mut sealer = hazmat::sealer_from_raw_parts(key, nonce);
        let mut out = BytesMut::new();
        for w in &c.writes {
            sealer.seal(&w.0, &mut out);
        }
        sealer.seal_goodbye(&mut out);
        same(&format!("{name} wire"), &out, wire);

        // The goodbye is the last 34 bytes, sealed with goodbye_nonce.
        let goodbye = &wire[wire.len() - 34..];
        let mut opener = hazmat::opener_from_raw_parts(key, c.goodbye_nonce.0);
        assert_eq!(
            opener.open(&mut BytesMut::from(goodbye)),
            Ok(Some(Frame::Goodbye)),
            "{name}"
        );

        // Opening, whole and in chunks of 1, 7 and 4096 bytes.
        for chunk in [wire.len().max(1), 1, 7, 4096] {
            assert_eq!(
                open_all(key, nonce, wire, chunk),
                messages,
                "{name}, chunks of {chunk}"
            );
        }

        // The codec frames exactly the same way, and ends with one goodbye.
        let mut codec = BoxStreamCodec::from_parts(
            hazmat::sealer_from_raw_parts(key, nonce),
            hazmat::opener_from_raw_parts(key, nonce),
        );
        let mut out = BytesMut::new();
        for w in &c.writes {
            codec.encode(w.0.as_slice(), &mut out).expect("encode");
        }
        codec.encode(Goodbye, &mut out).expect("goodbye");
        same(&format!("{name} codec wire"), &out, wire);
        let mut decoded = Vec::new();
        let mut src = BytesMut::from(&wire[..]);
        while let Some(frame) = codec.decode_eof(&mut src).expect("decode") {
            decoded.push(frame);
        }
        let mut expected: Vec<Frame> = messages
            .iter()
            .map(|m| Frame::Message(m[..].into()))
            .collect();
        expected.push(Frame::Goodbye);
        assert_eq!(decoded, expected, "{name}: codec decode");
    }
}

/// Opens `wire` fed `chunk` bytes at a time; checks it ends in a goodbye.
fn open_all(key: [u8; 32], nonce: [u8; 24], wire: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let mut opener = hazmat::opener_from_raw_parts(key, nonce);
    let mut buf = BytesMut::new();
    let mut messages = Vec::new();
    for piece in wire.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(frame) = opener.open(&mut buf).expect("valid frame") {
            match frame {
                Frame::Message(m) => messages.push(m.to_vec()),
                Frame::Goodbye => {
                    assert!(opener.is_ended());
                    return messages;
                }
            }
        }
    }
    panic!("no goodbye");
}
