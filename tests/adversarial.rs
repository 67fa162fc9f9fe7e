//! Hostile peers: truncation, bit flips, slow and garbage-spewing peers, bad frame lengths,
//! and resource use across many connections.

use bytes::BytesMut;
use secret_handshake::boxstream::{BoxOpener, BoxSealer, Frame};

#[test]
fn headers_claiming_a_body_of_0_or_over_4096_bytes_are_rejected() {
    use secret_handshake::BoxStreamError;
    for (claimed, body) in [
        (0u16, &b"x"[..]),
        (4097, &[0u8; 4097][..]),
        (65535, &b"y"[..]),
    ] {
        let mut sealer = BoxSealer::from_raw([5; 32], [0xff; 24]);
        let mut wire = BytesMut::new();
        sealer.seal(b"fine", &mut wire);
        sealer.seal_frame_claiming_length(claimed, body, &mut wire);
        let mut opener = BoxOpener::from_raw([5; 32], [0xff; 24]);
        assert_eq!(
            opener.open(&mut wire),
            Ok(Some(Frame::Message(BytesMut::from(&b"fine"[..]))))
        );
        assert_eq!(
            opener.open(&mut wire),
            Err(BoxStreamError::InvalidBodyLength(claimed))
        );
        assert_eq!(opener.open(&mut wire), Err(BoxStreamError::Failed));
    }
}
