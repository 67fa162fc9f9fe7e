//! Fixed-size secret bytes that are wiped on drop and never printed.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// `N` secret bytes: zeroed when dropped, redacted in `Debug`, compared only in constant time.
pub(crate) struct Secret<const N: usize>([u8; N]);

impl<const N: usize> Secret<N> {
    pub(crate) fn new(bytes: [u8; N]) -> Self {
        Secret(bytes)
    }

    pub(crate) fn expose(&self) -> &[u8; N] {
        &self.0
    }

    pub(crate) fn expose_mut(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> Clone for Secret<N> {
    fn clone(&self) -> Self {
        Secret(self.0)
    }
}

impl<const N: usize> PartialEq for Secret<N> {
    fn eq(&self, other: &Self) -> bool {
        self.0[..].ct_eq(&other.0[..]).into()
    }
}

impl<const N: usize> Eq for Secret<N> {}

impl<const N: usize> Secret<N> {
    /// Overwrites the bytes with zeros (what `Drop` does).
    fn wipe(&mut self) {
        self.0.zeroize();
    }
}

impl<const N: usize> Drop for Secret<N> {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl<const N: usize> fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret<{N}>(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_zeroes_and_debug_redacts() {
        let mut secret = Secret::new([0xa5; 32]);
        assert!(!format!("{secret:?}").contains("165"));
        assert_eq!(format!("{secret:?}"), "Secret<32>(<redacted>)");
        secret.wipe();
        assert_eq!(secret.expose(), &[0; 32]);
    }
}
