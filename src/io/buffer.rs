//! Growing a buffer without overshooting its bound.

use bytes::BytesMut;

/// Makes room for `additional` more bytes in `buf`, leaving its capacity at most
/// `buf.len() + additional` when it has to grow (`BytesMut::reserve` may double it instead,
/// which would break the per-connection bounds the docs state). Room freed at the front by
/// `advance` is reused first, without allocating.
pub(crate) fn reserve_exact(buf: &mut BytesMut, additional: usize) {
    if buf.capacity() - buf.len() >= additional || buf.try_reclaim(additional) {
        return;
    }
    let mut grown = BytesMut::with_capacity(buf.len().saturating_add(additional));
    grown.extend_from_slice(buf);
    *buf = grown;
}
