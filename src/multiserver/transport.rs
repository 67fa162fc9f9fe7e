//! The transport part of an address (`net:`, `ws://`, `wss://`, `unix:`, `onion:`): reading it
//! from the grammar's [`Protocol`] and writing it back.

use std::fmt;
use std::net::Ipv6Addr;

use super::error::{AddressError, Role};
use super::grammar::{write_escaped, Protocol};

/// How an address is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// `net:HOST:PORT`: plain TCP.
    Net,
    /// `ws://HOST[:PORT][/PATH]`: WebSocket, port 80 unless given.
    Ws,
    /// `wss://HOST[:PORT][/PATH]`: WebSocket over TLS, port 443 unless given.
    Wss,
    /// `unix:PATH`: a Unix domain socket on this machine.
    Unix,
    /// `onion:HOST:PORT`: a Tor onion service (parsed and printed; dialling needs a Tor proxy).
    Onion,
}

impl TransportKind {
    /// The port an address of this kind may leave out (`None`: it must give one, or, for
    /// `unix`, has none).
    pub fn default_port(self) -> Option<u16> {
        match self {
            TransportKind::Ws => Some(80),
            TransportKind::Wss => Some(443),
            TransportKind::Net | TransportKind::Unix | TransportKind::Onion => None,
        }
    }

    /// The protocol name in addresses: `net`, `ws`, `wss`, `unix` or `onion`.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Net => "net",
            TransportKind::Ws => "ws",
            TransportKind::Wss => "wss",
            TransportKind::Unix => "unix",
            TransportKind::Onion => "onion",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "net" => TransportKind::Net,
            "ws" => TransportKind::Ws,
            "wss" => TransportKind::Wss,
            "unix" => TransportKind::Unix,
            "onion" => TransportKind::Onion,
            _ => return None,
        })
    }
}

/// Where an address leads, whatever its transform.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Endpoint {
    pub(crate) transport: TransportKind,
    /// Empty for `unix`; IPv6 without brackets.
    pub(crate) host: String,
    /// 0 for `unix`.
    pub(crate) port: u16,
    /// `ws`/`wss`: the request path (and query), `/` if none; `unix`: the socket's path.
    pub(crate) path: String,
}

impl Endpoint {
    pub(crate) fn parse(protocol: &Protocol) -> Result<Self, AddressError> {
        let Some(transport) = TransportKind::from_name(&protocol.name) else {
            return Err(AddressError::Unsupported {
                name: protocol.name.clone(),
                role: Role::Transport,
            });
        };
        let bad = |problem| AddressError::Transport {
            name: transport.name(),
            problem,
        };
        if protocol.data.is_empty() {
            return Err(bad(match transport {
                TransportKind::Unix => "expected unix:PATH",
                TransportKind::Ws | TransportKind::Wss => "expected //HOST[:PORT][/PATH]",
                _ => "expected HOST:PORT",
            }));
        }
        let data = protocol.joined_data();
        let (host, port, path) = match transport {
            TransportKind::Unix if data.is_empty() => return Err(bad("the socket path is empty")),
            TransportKind::Unix => (String::new(), 0, data),
            TransportKind::Net | TransportKind::Onion => {
                let Some((host, port)) = data.rsplit_once(':') else {
                    return Err(bad("expected HOST:PORT"));
                };
                // go-ssb writes IPv6 hosts in brackets, the JS side without.
                let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
                    Some(v6) if v6.contains(':') => v6,
                    _ => host,
                };
                (
                    checked_host(host).map_err(bad)?,
                    parse_port(port).map_err(bad)?,
                    String::new(),
                )
            }
            TransportKind::Ws | TransportKind::Wss => {
                let (host, port, path) = parse_url(&data, transport).map_err(bad)?;
                (host, port, path)
            }
        };
        Ok(Endpoint {
            transport,
            host,
            port,
            path,
        })
    }

    /// `HOST:PORT` with IPv6 hosts bracketed, or the socket path for `unix`.
    pub(crate) fn socket_address(&self) -> String {
        match self.transport {
            TransportKind::Unix => self.path.clone(),
            _ => format!("{}:{}", bracketed(&self.host), self.port),
        }
    }
}

/// Writes the transport part as multiserver does: `net:HOST:PORT` (IPv6 unbracketed, as the
/// JS side writes it), `ws://HOST[:PORT][/PATH]` (port left out when it is the default, path
/// when it is `/`), `unix:PATH`, `onion:HOST:PORT`.
pub(crate) fn write_transport(
    f: &mut fmt::Formatter<'_>,
    transport: TransportKind,
    host: &str,
    port: u16,
    path: &str,
) -> fmt::Result {
    f.write_str(transport.name())?;
    f.write_str(":")?;
    let data = match transport {
        TransportKind::Net | TransportKind::Onion => format!("{host}:{port}"),
        TransportKind::Unix => path.to_owned(),
        TransportKind::Ws | TransportKind::Wss => {
            let mut url = format!("//{}", bracketed(host));
            if transport.default_port() != Some(port) {
                url.push_str(&format!(":{port}"));
            }
            if path != "/" {
                url.push_str(path);
            }
            url
        }
    };
    // `:` separates data fields, which the transports read joined again by `:`; the other
    // special characters are escaped.
    for (i, field) in data.split(':').enumerate() {
        if i > 0 {
            f.write_str(":")?;
        }
        write_escaped(f, field)?;
    }
    Ok(())
}

pub(crate) fn bracketed(host: &str) -> std::borrow::Cow<'_, str> {
    if host.contains(':') {
        format!("[{host}]").into()
    } else {
        host.into()
    }
}

fn parse_port(text: &str) -> Result<u16, &'static str> {
    match text.parse::<u16>() {
        Ok(0) => Err("port 0 cannot be dialled"),
        Ok(port) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        _ => Err("the port is not a number in 1..=65535"),
    }
}

/// A host name, an IPv4 address, or an IPv6 address (without brackets).
fn checked_host(host: &str) -> Result<String, &'static str> {
    if host.is_empty() {
        return Err("the host is empty");
    }
    if host.contains(':') {
        return match host.parse::<Ipv6Addr>() {
            Ok(_) => Ok(host.to_owned()),
            Err(_) => Err("the host has a `:` but is not an IPv6 address"),
        };
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if host.chars().all(name_char) {
        Ok(host.to_owned())
    } else {
        Err("the host is not a host name or IP address")
    }
}

/// `//HOST[:PORT][/PATH]` (or the same without `//`, seen in the wild) as (host, port, path).
fn parse_url(data: &str, kind: TransportKind) -> Result<(String, u16, String), &'static str> {
    let rest = data.strip_prefix("//").unwrap_or(data);
    if rest.contains('#') {
        return Err("a WebSocket URL has no fragment (`#`)");
    }
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    };
    if authority.contains('@') {
        return Err("user names in WebSocket URLs are not supported");
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err("expected `:PORT` after the bracketed IPv6 host"),
            },
            None => return Err("the IPv6 host has no closing `]`"),
        },
        None => match authority.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err("IPv6 hosts in WebSocket URLs go in brackets: [::1]")
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if authority.starts_with('[') && !host.contains(':') {
        return Err("only IPv6 hosts go in brackets");
    }
    let port = match port {
        Some(port) => parse_port(port)?,
        None => kind.default_port().unwrap_or(0),
    };
    Ok((checked_host(host)?, port, path))
}
