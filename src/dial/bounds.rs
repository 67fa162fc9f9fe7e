//! The bounds on what one dial reads and tries, whatever the address text.

/// The longest address text read, in bytes: longer text is refused whole
/// ([`Failure::TooLong`](super::Failure::TooLong)), before any of it is parsed.
pub const MAX_ADDRESS_TEXT: usize = 8 * 1024;
/// The most entries of one list (or slice of addresses) dialled; the rest are counted
/// ([`DialError::skipped`](super::DialError::skipped)) and not tried.
pub const MAX_LIST_ENTRIES: usize = 16;
