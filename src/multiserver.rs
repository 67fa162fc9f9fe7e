//! Multiserver addresses for TCP + secret-handshake: `net:HOST:PORT~shs:KEY`.
//!
//! This is how Scuttlebutt peers advertise themselves (pubs, invites, `ssb-conn`). `KEY` is the
//! server's long-term key in base64; invites append `:SEED`, the base64 seed of the identity the
//! client should use ([`Client::with_seed_identity`](crate::Client::with_seed_identity)).

use std::fmt;
use std::str::FromStr;

use crate::encoding::{from_base64, to_base64};
use crate::error::KeyError;
use crate::keys::PublicKey;

/// One `net:HOST:PORT~shs:KEY[:SEED]` address.
#[derive(Clone, PartialEq, Eq)]
pub struct MultiserverAddress {
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
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Every `net:…~shs:…` address in a `;`-separated multiserver list, skipping other
    /// transports (such as `ws:` or `onion:`).
    pub fn parse_list(list: &str) -> Vec<Self> {
        list.split(';')
            .filter_map(|a| a.trim().parse().ok())
            .collect()
    }
}

impl FromStr for MultiserverAddress {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        let invalid = || KeyError::new("multiserver address", text);
        let (transport, transform) = text.trim().split_once('~').ok_or_else(invalid)?;
        let host_port = transport.strip_prefix("net:").ok_or_else(invalid)?;
        let (host, port) = host_port.rsplit_once(':').ok_or_else(invalid)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().map_err(|_| invalid())?;
        let shs = transform.strip_prefix("shs:").ok_or_else(invalid)?;
        let (key, seed) = match shs.split_once(':') {
            Some((key, seed)) => (key, Some(from_base64::<32>(seed).ok_or_else(invalid)?)),
            None => (shs, None),
        };
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(MultiserverAddress {
            host: host.to_owned(),
            port,
            key: PublicKey::from_base64(key)?,
            seed,
        })
    }
}

impl fmt::Display for MultiserverAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "net:{}:{}~shs:{}",
            self.host,
            self.port,
            self.key.to_base64()
        )?;
        if let Some(seed) = &self.seed {
            write!(f, ":{}", to_base64(seed))?;
        }
        Ok(())
    }
}

impl fmt::Debug for MultiserverAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The seed is an identity's secret: never print it.
        write!(
            f,
            "MultiserverAddress(net:{}:{}~shs:{}",
            self.host,
            self.port,
            self.key.to_base64()
        )?;
        if self.seed.is_some() {
            f.write_str(":<seed redacted>")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=";

    #[test]
    fn parses_and_prints() {
        let text = format!("net:10.0.0.1:8008~shs:{KEY}");
        let a: MultiserverAddress = text.parse().unwrap();
        assert_eq!((a.host.as_str(), a.port), ("10.0.0.1", 8008));
        assert_eq!(a.key.to_base64(), KEY);
        assert_eq!(a.to_string(), text);
        assert_eq!(a.socket_address(), "10.0.0.1:8008");

        let v6: MultiserverAddress = format!("net:::1:8008~shs:{KEY}").parse().unwrap();
        assert_eq!(v6.host, "::1");
        assert_eq!(v6.socket_address(), "[::1]:8008");

        let invite: MultiserverAddress = format!("net:h:1~shs:{KEY}:{KEY}").parse().unwrap();
        assert!(invite.seed.is_some());
        assert!(!format!("{invite:?}").contains(&format!(":{KEY})")));
        assert_eq!(invite.to_string(), format!("net:h:1~shs:{KEY}:{KEY}"));

        let list = format!("ws://x:1~shs:{KEY};net:example.org:8008~shs:{KEY}");
        let all = MultiserverAddress::parse_list(&list);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].host, "example.org");

        for bad in [
            "",
            "net:h:1",
            "net:h~shs:x",
            "tcp:h:1~shs:x",
            "net:h:99999~shs:x",
            "net::1~noise:x",
        ] {
            assert!(bad.parse::<MultiserverAddress>().is_err(), "{bad}");
        }
    }
}
