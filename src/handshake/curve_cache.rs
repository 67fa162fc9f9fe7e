//! A bounded cache of peers' long-term keys converted from Ed25519 to Curve25519.
//!
//! The conversion (`crypto::ed25519_pk_to_x25519`, which also checks that the key lies in the
//! prime-order subgroup) costs about as much as a scalar multiplication, once per handshake on
//! each side. Its input and output are public, so one cache can serve every handshake of a
//! client or server. Only keys that passed the check are stored, so a cached key needs no second
//! check, and every key that is not cached is converted (and checked) afresh. A server stores a
//! client's key only once the client's signature has verified: keys that anyone can claim
//! never displace proven ones.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use super::messages as m;
use crate::keys::PublicKey;

/// Peers' long-term keys in Curve25519 form, shared by the handshakes of one client or server.
///
/// Holds at most [`capacity`](Self::capacity) keys in two generations: new keys enter the
/// current one; when it is full it becomes the previous one and the old previous one is
/// dropped; a key found in the previous generation moves back into the current one. Lookups and
/// inserts are O(1) under a [`Mutex`] held only for the map operation, never for the conversion.
///
/// Only keys that convert are stored, so a hit can never change a handshake's verdict, and keys
/// that fail (a rare, hostile or misconfigured peer, which has already cost its handshake more
/// than the conversion) never displace good ones.
///
/// ```
/// use std::sync::Arc;
/// use secret_handshake::handshake::{ClientHandshake, CurveCache};
/// use secret_handshake::{Keypair, NetworkKey};
///
/// let cache = Arc::new(CurveCache::new());
/// let (me, server) = (Keypair::generate(), Keypair::generate());
/// let network = NetworkKey::ssb_main_net();
/// let handshake = ClientHandshake::new_cached(&me, &network, server.public(), &cache);
/// # drop(handshake);
/// ```
pub struct CurveCache {
    generation_len: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    current: HashMap<PublicKey, [u8; 32]>,
    previous: HashMap<PublicKey, [u8; 32]>,
}

impl CurveCache {
    /// The capacity of [`CurveCache::new`]: 1024 keys, about 130 KiB of heap, allocated at the
    /// first key.
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// An empty cache of [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) keys.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty cache holding at most `capacity` keys (rounded down to an even number; below 2
    /// it stores nothing and every lookup converts afresh).
    pub fn with_capacity(capacity: usize) -> Self {
        CurveCache {
            generation_len: capacity / 2,
            generations: Mutex::new(Generations::default()),
        }
    }

    /// The most keys this cache holds.
    pub fn capacity(&self) -> usize {
        self.generation_len * 2
    }

    /// The number of keys held now.
    pub fn len(&self) -> usize {
        let generations = self.lock();
        generations.current.len() + generations.previous.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every key (the memory is kept for reuse).
    pub fn clear(&self) {
        let mut generations = self.lock();
        generations.current.clear();
        generations.previous.clear();
    }

    /// The Curve25519 form of `key`, from the cache or converted (and then cached). `None` if
    /// the key does not convert, exactly as [`m::long_term_x25519`].
    pub(crate) fn convert(&self, key: &PublicKey) -> Option<[u8; 32]> {
        if let Some(curve) = self.lookup(key) {
            return Some(curve);
        }
        let curve = m::long_term_x25519(key)?;
        self.insert(*key, curve);
        Some(curve)
    }

    /// As [`convert`](Self::convert), without caching a key converted afresh: for a key that
    /// is only claimed so far (a client's, before its signature is checked). Cache it with
    /// [`remember`](Self::remember) once it is proven.
    pub(crate) fn convert_uncached(&self, key: &PublicKey) -> Option<[u8; 32]> {
        self.lookup(key).or_else(|| m::long_term_x25519(key))
    }

    /// Caches `curve`, the Curve25519 form of `key` that
    /// [`convert_uncached`](Self::convert_uncached)
    /// returned, once the key is proven.
    pub(crate) fn remember(&self, key: PublicKey, curve: [u8; 32]) {
        self.insert(key, curve);
    }

    fn lookup(&self, key: &PublicKey) -> Option<[u8; 32]> {
        let mut generations = self.lock();
        if let Some(curve) = generations.current.get(key) {
            return Some(*curve);
        }
        let curve = generations.previous.remove(key)?;
        self.insert_locked(&mut generations, *key, curve);
        Some(curve)
    }

    fn insert(&self, key: PublicKey, curve: [u8; 32]) {
        let mut generations = self.lock();
        self.insert_locked(&mut generations, key, curve);
    }

    fn insert_locked(&self, generations: &mut Generations, key: PublicKey, curve: [u8; 32]) {
        if self.generation_len == 0 {
            return;
        }
        if generations.current.capacity() == 0 {
            // Both generations at full size from the first key on: the cache's memory stays
            // the same from then on, whatever keys come and go.
            generations.current.reserve(self.generation_len);
            generations.previous.reserve(self.generation_len);
        }
        let full = generations.current.len() >= self.generation_len;
        if full && !generations.current.contains_key(&key) {
            // Rotate, reusing the old previous generation's allocation for the new current one.
            let Generations { current, previous } = generations;
            std::mem::swap(current, previous);
            current.clear();
        }
        generations.current.insert(key, curve);
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        // The maps hold public data and every operation on them is a single insert or remove,
        // so a panic elsewhere while the lock was held cannot leave them inconsistent.
        self.generations.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Curve25519 form of a peer's `key`, through `cache` when there is one.
pub(crate) fn peer_x25519(cache: Option<&CurveCache>, key: &PublicKey) -> Option<[u8; 32]> {
    match cache {
        Some(cache) => cache.convert(key),
        None => m::long_term_x25519(key),
    }
}

impl Default for CurveCache {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CurveCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod handshake_tests;
#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keypair;

    fn keys(n: usize) -> Vec<PublicKey> {
        (0..n).map(|_| *Keypair::generate().public()).collect()
    }

    #[test]
    fn hits_return_what_a_fresh_conversion_returns() {
        let cache = CurveCache::new();
        for key in keys(8) {
            let fresh = m::long_term_x25519(&key).expect("a generated key converts");
            assert_eq!(cache.convert(&key), Some(fresh), "miss");
            assert_eq!(cache.convert(&key), Some(fresh), "hit");
        }
        assert_eq!(cache.len(), 8);
    }

    #[test]
    fn size_stays_bounded_and_recent_keys_survive() {
        let cache = CurveCache::with_capacity(16);
        let all = keys(100);
        for (i, key) in all.iter().enumerate() {
            cache.convert(key);
            assert!(
                cache.len() <= 16,
                "{} keys after {} inserts",
                cache.len(),
                i + 1
            );
        }
        assert!(cache.len() > 8, "a full previous generation is kept");
        // The 8 most recent keys are all still held (a lookup never converts).
        for key in &all[92..] {
            assert!(cache.lookup(key).is_some());
        }
        assert!(
            cache.lookup(&all[0]).is_none(),
            "the oldest key was evicted"
        );
    }

    #[test]
    fn a_key_used_again_moves_into_the_current_generation() {
        let cache = CurveCache::with_capacity(4);
        let all = keys(5);
        cache.convert(&all[0]);
        cache.convert(&all[1]);
        cache.convert(&all[2]); // rotates: 0 and 1 are now the previous generation
        cache.convert(&all[0]); // promoted
        cache.convert(&all[3]); // rotates: previous = {2, 0}
        cache.convert(&all[4]);
        assert!(cache.lookup(&all[0]).is_some(), "promoted key kept");
        assert!(cache.lookup(&all[1]).is_none(), "unused key dropped");
    }

    #[test]
    fn keys_that_do_not_convert_are_not_cached() {
        let cache = CurveCache::new();
        // The identity point has small order: libsodium refuses to convert it.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let bad = PublicKey::from_bytes(identity);
        assert_eq!(cache.convert(&bad), None);
        assert_eq!(cache.convert(&bad), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn tiny_capacities_store_nothing_but_still_convert() {
        for capacity in [0, 1] {
            let cache = CurveCache::with_capacity(capacity);
            let key = keys(1)[0];
            assert_eq!(cache.convert(&key), m::long_term_x25519(&key));
            assert!(cache.is_empty());
            assert_eq!(cache.capacity(), 0);
        }
    }

    #[test]
    fn clear_forgets_everything() {
        let cache = CurveCache::new();
        for key in keys(3) {
            cache.convert(&key);
        }
        cache.clear();
        assert!(cache.is_empty());
    }
}
