//! Multiserver addresses: how Scuttlebutt peers say where they can be reached
//! (`getAddress()`, invites, room and LAN announcements).
//!
//! ```text
//! net:example.org:8008~shs:KEY;ws://example.org~shs:KEY;unix:/run/ssb/socket~noauth
//! ```
//!
//! A list of alternatives separated by `;`; in each, a transport (`net`, `ws`, `wss`, `unix`,
//! `onion`) and, after `~`, a transform: `shs:KEY[:SEED]` (secret-handshake with the server's
//! key, and an invite's seed), or `noauth` (none: a plain, unauthenticated stream). Inside data
//! `!` escapes `!`, `:`, `;` and `~`.
//!
//! * [`Address`] and [`Protocol`] read and print the grammar itself, exactly as the JS
//!   `multiserver-address` package defines it, for any protocol names.
//! * [`MultiserverAddress`] is an address this crate can dial with secret-handshake,
//!   [`NoauthAddress`] one for a plain stream; both parse and print as multiserver does
//!   (IPv6 `net` hosts unbracketed, as the JS side writes them; go-ssb's bracketed form is read
//!   too; `ws:HOST:PORT` without `//` is read and printed as `ws://HOST:PORT`).
//! * Lists ([`MultiserverAddress::parse_list`], [`parse_multiaddress`]) report every entry,
//!   malformed or unsupported ones included, with an [`AddressError`] naming the part that is
//!   wrong. No error repeats the address's data, so an invite's seed never reaches a log.
//!
//! Dial them with [`dial`](crate::dial).

mod address;
mod error;
mod grammar;
mod noauth;
mod transport;

pub use address::MultiserverAddress;
pub use error::{AddressError, Role};
pub(crate) use grammar::split_list;
pub use grammar::{parse_multiaddress, Address, Protocol};
pub use noauth::NoauthAddress;
pub(crate) use transport::Endpoint;
pub use transport::TransportKind;

#[cfg(test)]
mod tests;
