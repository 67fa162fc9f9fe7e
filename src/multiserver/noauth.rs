//! [`NoauthAddress`]: `…~noauth`, a plain stream.

use std::fmt;
use std::str::FromStr;

use super::address::split_address;
use super::error::AddressError;
use super::grammar::{split_list, Address};
use super::transport::{write_transport, Endpoint, TransportKind};

/// An address whose transform is `noauth`: the plain transport, **unauthenticated and
/// unencrypted**. Scuttlebutt servers offer it on `unix:` sockets for local tools, where the
/// file's permissions are the access control. Only
/// [`dial::connect_noauth`](crate::dial::connect_noauth) dials it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoauthAddress {
    /// How it is reached.
    pub transport: TransportKind,
    /// Host name or IP address; empty for `unix`.
    pub host: String,
    /// TCP port (0 for `unix`).
    pub port: u16,
    /// As [`MultiserverAddress::path`](super::MultiserverAddress::path).
    pub path: String,
}

impl NoauthAddress {
    /// `unix:PATH~noauth`.
    pub fn unix(path: impl Into<String>) -> Self {
        NoauthAddress {
            transport: TransportKind::Unix,
            host: String::new(),
            port: 0,
            path: path.into(),
        }
    }

    /// As [`MultiserverAddress::socket_address`](super::MultiserverAddress::socket_address).
    pub fn socket_address(&self) -> String {
        self.endpoint().socket_address()
    }

    /// Every entry of a `;`-separated list, in order (see
    /// [`MultiserverAddress::parse_list`](super::MultiserverAddress::parse_list)).
    pub fn parse_list(list: &str) -> impl Iterator<Item = Result<Self, AddressError>> + '_ {
        split_list(list).map(str::parse)
    }

    pub(crate) fn endpoint(&self) -> Endpoint {
        Endpoint {
            transport: self.transport,
            host: self.host.clone(),
            port: self.port,
            path: self.path.clone(),
        }
    }
}

impl TryFrom<&Address> for NoauthAddress {
    type Error = AddressError;

    fn try_from(address: &Address) -> Result<Self, AddressError> {
        let (endpoint, noauth) = split_address(address, "noauth")?;
        if !noauth.data.is_empty() {
            return Err(AddressError::Transform {
                expected: "noauth",
                found: Some("noauth:…".into()),
            });
        }
        let Endpoint {
            transport,
            host,
            port,
            path,
        } = endpoint;
        Ok(NoauthAddress {
            transport,
            host,
            port,
            path,
        })
    }
}

impl FromStr for NoauthAddress {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Self, AddressError> {
        Self::try_from(&text.parse::<Address>()?)
    }
}

impl fmt::Display for NoauthAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_transport(f, self.transport, &self.host, self.port, &self.path)?;
        f.write_str("~noauth")
    }
}
