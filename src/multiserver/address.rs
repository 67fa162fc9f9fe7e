//! [`MultiserverAddress`]: `…~shs:KEY[:SEED]`.

use std::fmt;
use std::str::FromStr;

use super::error::{AddressError, Role};
use super::grammar::{split_list, Address, Protocol};
use super::transport::{write_transport, Endpoint, TransportKind};
use crate::encoding::{from_base64, to_base64};
use crate::keys::PublicKey;

/// An address of a secret-handshake server: a transport and `~shs:KEY`, optionally with an
/// invite's `:SEED` (`net:HOST:PORT~shs:KEY`, `ws://HOST[:PORT][/PATH]~shs:KEY`,
/// `wss://…`, `unix:PATH~shs:KEY`, `onion:HOST:PORT~shs:KEY`).
///
/// `Display` prints the address the way multiserver does, ready to paste (seed included);
/// `Debug` and [`redacted`](Self::redacted) replace the seed.
#[derive(Clone, PartialEq, Eq)]
pub struct MultiserverAddress {
    /// How it is reached.
    pub transport: TransportKind,
    /// Host name or IP address (IPv6 without brackets); empty for `unix`.
    pub host: String,
    /// TCP port (0 for `unix`).
    pub port: u16,
    /// For `ws`/`wss`, the request path (and query), `/` if the address has none; for `unix`,
    /// the socket's path; empty otherwise.
    pub path: String,
    /// The server's long-term key.
    pub key: PublicKey,
    /// The invite seed, if any: the client then proves the identity made from it
    /// ([`Client::with_seed_identity`](crate::Client::with_seed_identity)).
    pub seed: Option<[u8; 32]>,
}

impl MultiserverAddress {
    /// `net:HOST:PORT~shs:KEY`.
    pub fn net(host: impl Into<String>, port: u16, key: PublicKey) -> Self {
        Self::with_endpoint(TransportKind::Net, host.into(), port, String::new(), key)
    }

    /// `ws://HOST[:PORT]~shs:KEY` (path `/`).
    pub fn ws(host: impl Into<String>, port: u16, key: PublicKey) -> Self {
        Self::with_endpoint(TransportKind::Ws, host.into(), port, "/".into(), key)
    }

    /// `wss://HOST[:PORT]~shs:KEY` (path `/`).
    pub fn wss(host: impl Into<String>, port: u16, key: PublicKey) -> Self {
        Self::with_endpoint(TransportKind::Wss, host.into(), port, "/".into(), key)
    }

    /// `unix:PATH~shs:KEY`.
    pub fn unix(path: impl Into<String>, key: PublicKey) -> Self {
        Self::with_endpoint(TransportKind::Unix, String::new(), 0, path.into(), key)
    }

    /// The same address with an invite seed.
    pub fn with_seed(mut self, seed: [u8; 32]) -> Self {
        self.seed = Some(seed);
        self
    }

    fn with_endpoint(
        transport: TransportKind,
        host: String,
        port: u16,
        path: String,
        key: PublicKey,
    ) -> Self {
        MultiserverAddress {
            transport,
            host,
            port,
            path,
            key,
            seed: None,
        }
    }

    /// `HOST:PORT`, bracketing IPv6 hosts, ready for `TcpStream::connect`; for `unix`, the
    /// socket's path.
    pub fn socket_address(&self) -> String {
        self.endpoint().socket_address()
    }

    /// Every entry of a `;`-separated list, in order: an address, or why the entry is not one
    /// (malformed, a transport or transform this crate cannot use, `noauth`, …). Each entry is
    /// parsed as the iterator reaches it, so hostile text costs no memory until collected.
    pub fn parse_list(list: &str) -> impl Iterator<Item = Result<Self, AddressError>> + '_ {
        split_list(list).map(str::parse)
    }

    /// The address with the seed, if any, replaced by `<seed redacted>`: for logs and errors.
    pub fn redacted(&self) -> impl fmt::Display + '_ {
        Redacted(self)
    }

    pub(crate) fn endpoint(&self) -> Endpoint {
        Endpoint {
            transport: self.transport,
            host: self.host.clone(),
            port: self.port,
            path: self.path.clone(),
        }
    }

    /// Reads `~shs:KEY[:SEED]` after a transport.
    pub(crate) fn from_parts(endpoint: Endpoint, shs: &Protocol) -> Result<Self, AddressError> {
        let (key, seed) = match shs.data.as_slice() {
            [] => return Err(AddressError::Key("missing: expected shs:KEY")),
            [key] => (key, None),
            [key, seed] => (key, Some(seed)),
            [_, _, ..] => return Err(AddressError::Seed("unexpected fields after the seed")),
        };
        let key = from_base64::<32>(key)
            .ok_or(AddressError::Key("not base64 of 32 bytes"))
            .map(PublicKey::from_bytes)?;
        let seed = match seed {
            Some(seed) => {
                Some(from_base64(seed).ok_or(AddressError::Seed("not base64 of 32 bytes"))?)
            }
            None => None,
        };
        let Endpoint {
            transport,
            host,
            port,
            path,
        } = endpoint;
        Ok(MultiserverAddress {
            transport,
            host,
            port,
            path,
            key,
            seed,
        })
    }

    /// Writes the address, with the seed replaced by `seed` (printed or redacted).
    fn write(&self, f: &mut fmt::Formatter<'_>, seed: Option<&str>) -> fmt::Result {
        write_transport(f, self.transport, &self.host, self.port, &self.path)?;
        write!(f, "~shs:{}", self.key.to_base64())?;
        match seed {
            Some(seed) => write!(f, ":{seed}"),
            None => Ok(()),
        }
    }
}

/// The transport and its one transform, which must be `expected`.
pub(super) fn split_address<'a>(
    address: &'a Address,
    expected: &'static str,
) -> Result<(Endpoint, &'a Protocol), AddressError> {
    let (transport, transforms) = match address.protocols.split_first() {
        Some(parts) => parts,
        None => {
            return Err(AddressError::Syntax {
                at: 0,
                expected: "a protocol name (starting with a-z)",
            })
        }
    };
    let endpoint = Endpoint::parse(transport)?;
    let Some((transform, extra)) = transforms.split_first() else {
        return Err(AddressError::Transform {
            expected,
            found: None,
        });
    };
    match transform.name.as_str() {
        name if name == expected => {}
        "shs" | "noauth" => {
            return Err(AddressError::Transform {
                expected,
                found: Some(transform.name.clone()),
            })
        }
        _ => return Err(unsupported_transform(transform)),
    }
    if let Some(next) = extra.first() {
        return Err(match next.name.as_str() {
            "shs" | "noauth" => AddressError::ExtraTransform {
                name: next.name.clone(),
            },
            _ => unsupported_transform(next),
        });
    }
    Ok((endpoint, transform))
}

fn unsupported_transform(protocol: &Protocol) -> AddressError {
    AddressError::Unsupported {
        name: protocol.name.clone(),
        role: Role::Transform,
    }
}

impl TryFrom<&Address> for MultiserverAddress {
    type Error = AddressError;

    fn try_from(address: &Address) -> Result<Self, AddressError> {
        let (endpoint, shs) = split_address(address, "shs")?;
        MultiserverAddress::from_parts(endpoint, shs)
    }
}

impl FromStr for MultiserverAddress {
    type Err = AddressError;

    /// Parses one address; surrounding whitespace is ignored. Lists: [`Self::parse_list`].
    fn from_str(text: &str) -> Result<Self, AddressError> {
        Self::try_from(&text.parse::<Address>()?)
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
        write!(f, "MultiserverAddress({})", self.redacted())
    }
}

struct Redacted<'a>(&'a MultiserverAddress);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The seed is an identity's secret: never print it.
        self.0.write(f, self.0.seed.map(|_| "<seed redacted>"))
    }
}
