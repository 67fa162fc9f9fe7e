//! Who may hold a pending slot: a cap per source, and eviction of the oldest connection of the
//! source that holds the most when the listener is full, so that a newcomer is never refused.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::task::{AbortHandle, Id};

/// Where a connection comes from, as far as the caps are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Source {
    /// An IPv4 address (IPv4-mapped IPv6 addresses too).
    V4([u8; 4]),
    /// The /64 prefix of an IPv6 address: one host gets a whole /64 to pick from.
    V6([u8; 8]),
    /// The peer's uid on a unix socket (`None`: the kernel did not say).
    Uid(Option<u32>),
}

impl Source {
    pub(super) fn of_ip(addr: &SocketAddr) -> Self {
        match addr.ip() {
            IpAddr::V4(ip) => Source::V4(ip.octets()),
            IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
                Some(v4) => Source::V4(v4.octets()),
                None => {
                    let mut prefix = [0; 8];
                    prefix.copy_from_slice(&ip.octets()[..8]);
                    Source::V6(prefix)
                }
            },
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::V4(ip) => Ipv4Addr::from(*ip).fmt(f),
            Source::V6(prefix) => {
                let mut ip = [0; 16];
                ip[..8].copy_from_slice(prefix);
                write!(f, "{}/64", Ipv6Addr::from(ip))
            }
            Source::Uid(Some(uid)) => write!(f, "uid {uid}"),
            Source::Uid(None) => f.write_str("unknown uid"),
        }
    }
}

/// The pending connections (accepted, not yet handed out), oldest first per source.
#[derive(Debug, Default)]
pub(super) struct Pending {
    by_source: HashMap<Source, VecDeque<(u64, AbortHandle)>>,
    sources: HashMap<Id, Source>,
    len: usize,
    /// Accept order, to find the oldest across sources.
    next: u64,
}

impl Pending {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Makes room for one more from `source`: evicts the source's oldest if it holds `per_source`
    /// already, else, if `max` are pending, the oldest of the source holding the most. Returns
    /// the source of the one evicted, if any.
    pub(super) fn make_room(
        &mut self,
        source: Source,
        per_source: usize,
        max: usize,
    ) -> Option<Source> {
        let own = self.by_source.get(&source).map_or(0, VecDeque::len);
        let victim = if own >= per_source {
            Some(source)
        } else if self.len >= max {
            self.largest()
        } else {
            None
        };
        let victim = victim?;
        let queue = self.by_source.get_mut(&victim)?;
        let (_, task) = queue.pop_front()?;
        if queue.is_empty() {
            self.by_source.remove(&victim);
        }
        self.sources.remove(&task.id());
        self.len -= 1;
        task.abort();
        Some(victim)
    }

    /// The source with the most pending connections; of those, the one with the oldest.
    fn largest(&self) -> Option<Source> {
        self.by_source
            .iter()
            .filter_map(|(source, queue)| Some((queue.len(), queue.front()?.0, *source)))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, _, source)| source)
    }

    pub(super) fn insert(&mut self, source: Source, task: AbortHandle) {
        self.sources.insert(task.id(), source);
        self.by_source
            .entry(source)
            .or_default()
            .push_back((self.next, task));
        self.next += 1;
        self.len += 1;
    }

    /// The task `id` is over (or was evicted already: then nothing happens).
    pub(super) fn remove(&mut self, id: Id) {
        let Some(source) = self.sources.remove(&id) else {
            return;
        };
        if let Some(queue) = self.by_source.get_mut(&source) {
            queue.retain(|(_, task)| task.id() != id);
            if queue.is_empty() {
                self.by_source.remove(&source);
            }
        }
        self.len -= 1;
    }
}
