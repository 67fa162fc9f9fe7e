//! The multiserver address grammar, as the JS `multiserver-address` package defines it:
//!
//! ```text
//! multiaddress = address (";" address)*
//! address      = protocol ("~" protocol)*
//! protocol     = name (":" data)*
//! name         = [a-z] [a-z0-9-]+
//! data         = (["-9] | [<-}] | "!" [!:;~])*
//! ```
//!
//! Data is printable ASCII without space; `!`, `:`, `;` and `~` appear in it only escaped by a
//! `!`. So every address has exactly one spelling, and [`Address`] prints what it parsed.

use std::fmt;
use std::str::FromStr;

use super::error::AddressError;

/// One protocol of an address: a name and its data fields, unescaped
/// (`net:::1:8008` is `net` with the fields `""`, `""`, `"1"`, `"8008"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Protocol {
    /// `[a-z][a-z0-9-]+`.
    pub name: String,
    /// The fields after the name, each after a `:`, with the `!` escapes removed.
    pub data: Vec<String>,
}

impl Protocol {
    /// The data fields joined by `:`, as the JS plugins read them (`net`'s `HOST:PORT`).
    pub fn joined_data(&self) -> String {
        self.data.join(":")
    }
}

/// One address: a transport protocol followed by transforms, separated by `~`
/// (`net:host:8008~shs:KEY`). [`FromStr`] takes exactly one address; lists separated by `;`
/// are read by [`parse_multiaddress`].
///
/// `Debug` and `Display` print the data as it is, invite seeds included: use
/// [`MultiserverAddress`](super::MultiserverAddress) for addresses that may carry one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    /// At least one protocol.
    pub protocols: Vec<Protocol>,
}

/// Splits a `;`-separated list into its addresses and parses each as the iterator reaches it;
/// an entry that does not parse is reported in its place.
pub fn parse_multiaddress(text: &str) -> impl Iterator<Item = Result<Address, AddressError>> + '_ {
    split_list(text).map(str::parse)
}

/// The entries of a `;`-separated list (an escaped `!;` does not separate), each trimmed.
pub(crate) fn split_list(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text.trim());
    std::iter::from_fn(move || {
        let text = rest?;
        let mut escaped = false;
        for (i, c) in text.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '!' => escaped = true,
                ';' => {
                    rest = Some(&text[i + 1..]);
                    return Some(text[..i].trim());
                }
                _ => {}
            }
        }
        rest = None;
        Some(text.trim())
    })
}

/// Whether `c` may stand unescaped in data.
fn is_data_char(c: char) -> bool {
    matches!(c, '"'..='9' | '<'..='}')
}

fn is_special(c: char) -> bool {
    matches!(c, '!' | ':' | ';' | '~')
}

/// What the parser is reading.
enum State {
    /// The first character of a name.
    NameStart,
    /// The rest of a name; `len` characters so far.
    Name(usize),
    /// A data field.
    Data,
    /// The character after a `!`.
    Escaped,
}

impl FromStr for Address {
    type Err = AddressError;

    /// Parses one address. Surrounding whitespace is ignored; a `;` is an error (see
    /// [`parse_multiaddress`]).
    fn from_str(text: &str) -> Result<Self, AddressError> {
        let syntax = |at, expected| Err(AddressError::Syntax { at, expected });
        let mut protocols = Vec::new();
        let (mut name, mut field) = (String::new(), String::new());
        let mut data: Vec<String> = Vec::new();
        let mut state = State::NameStart;
        let mut at = 0;
        for c in text.trim().chars() {
            state = match state {
                State::NameStart if c.is_ascii_lowercase() => {
                    name.push(c);
                    State::Name(1)
                }
                State::NameStart => {
                    return syntax(at, "a protocol name (starting with a-z)");
                }
                State::Name(len) if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' => {
                    name.push(c);
                    State::Name(len + 1)
                }
                State::Name(1) => {
                    return syntax(
                        at,
                        "a protocol name of at least two characters: a-z, 0-9, -",
                    );
                }
                State::Name(_) | State::Data if c == ':' => {
                    if matches!(state, State::Data) {
                        data.push(std::mem::take(&mut field));
                    }
                    State::Data
                }
                State::Name(_) | State::Data if c == '~' => {
                    if matches!(state, State::Data) {
                        data.push(std::mem::take(&mut field));
                    }
                    let protocol = Protocol {
                        name: std::mem::take(&mut name),
                        data: std::mem::take(&mut data),
                    };
                    protocols.push(protocol);
                    State::NameStart
                }
                State::Name(_) | State::Data if c == ';' => {
                    return syntax(
                        at,
                        "no `;` (it separates addresses in a list; escape it as `!;` in data)",
                    );
                }
                State::Name(_) => {
                    return syntax(at, "a-z, 0-9 or - in a protocol name, or `:`, `~`");
                }
                State::Data if c == '!' => State::Escaped,
                State::Data if is_data_char(c) => {
                    field.push(c);
                    State::Data
                }
                State::Data => {
                    return syntax(
                        at,
                        "printable ASCII without space in data (`!`, `:`, `;`, `~` escaped by `!`)",
                    );
                }
                State::Escaped if is_special(c) => {
                    field.push(c);
                    State::Data
                }
                State::Escaped => {
                    return syntax(at, "one of `!`, `:`, `;`, `~` after the escape `!`");
                }
            };
            at += 1;
        }
        match state {
            State::NameStart => return syntax(at, "a protocol name (starting with a-z)"),
            State::Name(1) => {
                return syntax(
                    at,
                    "a protocol name of at least two characters: a-z, 0-9, -",
                )
            }
            State::Escaped => return syntax(at, "one of `!`, `:`, `;`, `~` after the escape `!`"),
            State::Name(_) => {}
            State::Data => data.push(field),
        }
        protocols.push(Protocol { name, data });
        Ok(Address { protocols })
    }
}

/// Writes `field` with `!`, `:`, `;` and `~` escaped.
pub(crate) fn write_escaped(f: &mut fmt::Formatter<'_>, field: &str) -> fmt::Result {
    for c in field.chars() {
        if is_special(c) {
            f.write_str("!")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for field in &self.data {
            f.write_str(":")?;
            write_escaped(f, field)?;
        }
        Ok(())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, protocol) in self.protocols.iter().enumerate() {
            if i > 0 {
                f.write_str("~")?;
            }
            protocol.fmt(f)?;
        }
        Ok(())
    }
}
