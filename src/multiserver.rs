//! Multiserver addresses for secret-handshake over TCP or WebSocket:
//! `net:HOST:PORT~shs:KEY` and `ws://HOST[:PORT]~shs:KEY` (or `wss://`).
//!
//! This is how Scuttlebutt peers advertise themselves (pubs, invites, `ssb-conn`). `KEY` is the
//! server's long-term key in base64; invites append `:SEED`, the base64 seed of the identity the
//! client should use ([`Client::with_seed_identity`](crate::Client::with_seed_identity)).
//! As in the JS `multiserver`, `~` separates an address's parts, `!` escapes the next character
//! inside a part, and `;` separates alternative addresses.

use std::fmt;
use std::str::FromStr;

use crate::encoding::{from_base64, to_base64};
use crate::error::KeyError;
use crate::keys::PublicKey;

/// How a [`MultiserverAddress`] is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// `net:HOST:PORT`: plain TCP.
    Net,
    /// `ws://HOST[:PORT]`: WebSocket, port 80 unless given.
    Ws,
    /// `wss://HOST[:PORT]`: WebSocket over TLS, port 443 unless given.
    Wss,
}

impl TransportKind {
    /// The port an address of this kind may leave out (`None`: it must give one).
    pub fn default_port(self) -> Option<u16> {
        match self {
            TransportKind::Net => None,
            TransportKind::Ws => Some(80),
            TransportKind::Wss => Some(443),
        }
    }
}

/// One `net:HOST:PORT~shs:KEY[:SEED]` or `ws[s]://HOST[:PORT]~shs:KEY[:SEED]` address.
#[derive(Clone, PartialEq, Eq)]
pub struct MultiserverAddress {
    /// TCP or WebSocket.
    pub transport: TransportKind,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The server's long-term key.
    pub key: PublicKey,
    /// The invite seed, if any.
    pub seed: Option<[u8; 32]>,
}

impl MultiserverAddress {
    /// `HOST:PORT`, bracketing IPv6 hosts, ready for `TcpStream::connect`.
    pub fn socket_address(&self) -> String {
        format!("{}:{}", bracketed(&self.host), self.port)
    }

    /// Every `net:`, `ws://` and `wss://` address with `shs` in a `;`-separated multiserver
    /// list, in order, skipping the others (such as `onion:`).
    pub fn parse_list(list: &str) -> Vec<Self> {
        list.split(';')
            .filter_map(|a| a.trim().parse().ok())
            .collect()
    }

    /// Writes the address, with the seed replaced by `seed` (printed or redacted).
    fn write(&self, f: &mut fmt::Formatter<'_>, seed: Option<&str>) -> fmt::Result {
        let transport = match self.transport {
            TransportKind::Net => format!("net:{}:{}", self.host, self.port),
            ws => {
                let scheme = if ws == TransportKind::Wss {
                    "wss"
                } else {
                    "ws"
                };
                let host = bracketed(&self.host);
                match ws.default_port() {
                    Some(port) if port == self.port => format!("{scheme}://{host}"),
                    _ => format!("{scheme}://{host}:{}", self.port),
                }
            }
        };
        let mut shs = format!("shs:{}", self.key.to_base64());
        if let Some(seed) = seed {
            shs.push(':');
            shs.push_str(seed);
        }
        write!(f, "{}~{}", escape(&transport), escape(&shs))
    }
}

fn bracketed(host: &str) -> std::borrow::Cow<'_, str> {
    if host.contains(':') {
        format!("[{host}]").into()
    } else {
        host.into()
    }
}

/// Splits at unescaped `~`, removing the `!` escapes (JS `separator-escape`).
fn split_parts(text: &str) -> Vec<String> {
    let (mut parts, mut part) = (Vec::new(), String::new());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            // A trailing `!` escapes nothing and stays, as in the JS.
            '!' => part.push(chars.next().unwrap_or('!')),
            '~' => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    parts
}

fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        if c == '!' || c == '~' {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// `net:HOST:PORT`, `ws://HOST[:PORT][/]` or `wss://…` as (kind, host, port).
fn parse_transport(text: &str) -> Option<(TransportKind, &str, u16)> {
    if let Some(host_port) = text.strip_prefix("net:") {
        let (host, port) = host_port.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        return Some((TransportKind::Net, host, port.parse().ok()?));
    }
    let (kind, rest) = if let Some(rest) = text.strip_prefix("ws://") {
        (TransportKind::Ws, rest)
    } else {
        (TransportKind::Wss, text.strip_prefix("wss://")?)
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']')? {
            (host, "") => (host, None),
            (host, after) => (host, Some(after.strip_prefix(':')?)),
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => kind.default_port()?,
    };
    if host.contains(|c: char| "/?#@[] ".contains(c)) {
        return None;
    }
    Some((kind, host, port))
}

impl FromStr for MultiserverAddress {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        // The address may carry an invite seed: the error gives its length, none of its text.
        let invalid = || KeyError::new("multiserver address", text);
        let parts = split_parts(text.trim());
        let [transport, shs] = parts.as_slice() else {
            return Err(invalid());
        };
        let (transport, host, port) = parse_transport(transport).ok_or_else(invalid)?;
        let shs = shs.strip_prefix("shs:").ok_or_else(invalid)?;
        let (key, seed) = match shs.split_once(':') {
            Some((key, seed)) => (key, Some(from_base64::<32>(seed).ok_or_else(invalid)?)),
            None => (shs, None),
        };
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(MultiserverAddress {
            transport,
            host: host.to_owned(),
            port,
            // Redacted too: a seed written where the key goes must not be quoted.
            key: PublicKey::from_base64(key).map_err(|_| invalid())?,
            seed,
        })
    }
}

impl fmt::Display for MultiserverAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seed = self.seed.as_ref().map(|seed| to_base64(seed));
        self.write(f, seed.as_deref())
    }
}

impl fmt::Debug for MultiserverAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The seed is an identity's secret: never print it.
        f.write_str("MultiserverAddress(")?;
        self.write(f, self.seed.map(|_| "<seed redacted>"))?;
        f.write_str(")")
    }
}

#[cfg(test)]
#[path = "multiserver_tests.rs"]
mod tests;
