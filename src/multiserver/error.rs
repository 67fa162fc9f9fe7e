//! [`AddressError`]: what is wrong with a multiserver address, naming the part.

use std::fmt;

/// Why a multiserver address could not be read. The message names the part that is wrong and
/// never repeats the address's data (an invite's seed is a secret); protocol names, which the
/// grammar limits to `a-z`, `0-9` and `-`, are the only input it quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// Not the multiserver grammar: at character `at` (from 0, after trimming whitespace) the
    /// grammar expected something else.
    Syntax {
        /// Position of the offending character, or the length at an unexpected end.
        at: usize,
        /// What the grammar wanted there.
        expected: &'static str,
    },
    /// A transport or transform this crate recognises, or does not know at all, and cannot use.
    Unsupported {
        /// The protocol's name, as written.
        name: String,
        /// Whether it stood in the transport's place (first) or a transform's.
        role: Role,
    },
    /// The transport's data is malformed.
    Transport {
        /// `net`, `ws`, `wss`, `unix` or `onion`.
        name: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The transform is not the one required: `shs` for an authenticated address, `noauth` for a
    /// plain one (`found` is `None` if the address has no transform).
    Transform {
        /// The transform wanted.
        expected: &'static str,
        /// The transform found, if any.
        found: Option<String>,
    },
    /// More than one transform (`~shs:KEY~shs:KEY`).
    ExtraTransform {
        /// The name of the first transform too many.
        name: String,
    },
    /// The `shs` server key is malformed.
    Key(&'static str),
    /// The `shs` invite seed is malformed (it is never printed).
    Seed(&'static str),
}

/// Where a protocol stands in an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// First: how the bytes travel (`net`, `ws`, …).
    Transport,
    /// After a `~`: what is done to the stream (`shs`, `noauth`, …).
    Transform,
}

/// Why a protocol this crate knows of is not supported.
fn hint(name: &str) -> &'static str {
    match name {
        "shse" => ": secret-handshake with encrypted keys is a different protocol",
        "tunnel" => ": room tunnels run over an existing muxrpc connection to the room",
        "dht" => ": DHT connections need a hyperswarm stack",
        "bt" => ": Bluetooth is not supported",
        "i2p" => ": I2P needs an I2P router",
        "gzip" => ": compression is not supported",
        "onion" => ": onion addresses need a Tor proxy",
        _ => "",
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid multiserver address: ")?;
        match self {
            AddressError::Syntax { at, expected } => {
                write!(f, "at character {at}: expected {expected}")
            }
            AddressError::Unsupported { name, role } => {
                let role = match role {
                    Role::Transport => "transport",
                    Role::Transform => "transform",
                };
                write!(f, "{role} `{name}` is not supported{}", hint(name))
            }
            AddressError::Transport { name, problem } => write!(f, "`{name}`: {problem}"),
            AddressError::Transform {
                expected,
                found: None,
            } => write!(f, "no `~{expected}` transform after the transport"),
            AddressError::Transform {
                expected: "shs",
                found: Some(found),
            } if found == "noauth" => f.write_str(
                "`noauth` is unauthenticated and unencrypted: not an address for a \
                 secret-handshake connection (dial it with dial::connect_noauth if you mean it)",
            ),
            AddressError::Transform {
                expected,
                found: Some(found),
            } => write!(f, "expected the transform `{expected}`, found `{found}`"),
            AddressError::ExtraTransform { name } => {
                write!(f, "`~{name}`: only one transform is supported")
            }
            AddressError::Key(problem) => write!(f, "`shs` key: {problem}"),
            AddressError::Seed(problem) => write!(f, "`shs` invite seed: {problem}"),
        }
    }
}

impl std::error::Error for AddressError {}

/// `InvalidData`: the address was read and found malformed (as for [`KeyError`](crate::KeyError)).
impl From<AddressError> for std::io::Error {
    fn from(error: AddressError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, error)
    }
}
