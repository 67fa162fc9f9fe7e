//! [`Dialer::connect`] and friends: from address text (or parsed addresses) to the attempts
//! that [`run`](super::run) makes.

use std::borrow::Cow;
use std::net::IpAddr;

use super::bounds::{MAX_ADDRESS_TEXT, MAX_LIST_ENTRIES};
use super::dialer::Dialer;
use super::error::{Attempt, DialError, Failure, Step};
use super::open::{open, Progress};
use super::run::Target;
use crate::io::{BoxStream, Client};
use crate::multiserver::{split_list, Endpoint, MultiserverAddress, NoauthAddress, TransportKind};
use crate::Connection;

impl Dialer {
    /// [`connect`](super::connect) with these options.
    pub async fn connect(
        &self,
        client: &Client,
        addresses: &str,
    ) -> Result<BoxStream<Connection>, DialError> {
        if addresses.len() > MAX_ADDRESS_TEXT {
            return Err(too_long(addresses));
        }
        // Parsed one at a time, as each turn comes: the text is never held twice.
        let entries = split_list(addresses).enumerate().map(|(i, text)| {
            text.parse::<MultiserverAddress>()
                .map_err(|e| (format!("entry {}", i + 1), Failure::Address(e)))
        });
        let skipped = split_list(addresses)
            .count()
            .saturating_sub(MAX_LIST_ENTRIES);
        self.connect_each(client, entries.take(MAX_LIST_ENTRIES), skipped)
            .await
    }

    /// Dials addresses already parsed, in order (at most [`MAX_LIST_ENTRIES`] of them).
    pub async fn connect_to(
        &self,
        client: &Client,
        addresses: &[MultiserverAddress],
    ) -> Result<BoxStream<Connection>, DialError> {
        let skipped = addresses.len().saturating_sub(MAX_LIST_ENTRIES);
        let entries = addresses.iter().take(MAX_LIST_ENTRIES).cloned().map(Ok);
        self.connect_each(client, entries, skipped).await
    }

    async fn connect_each(
        &self,
        client: &Client,
        entries: impl Iterator<Item = Result<MultiserverAddress, (String, Failure)>>,
        skipped: usize,
    ) -> Result<BoxStream<Connection>, DialError> {
        let targets = entries.map(|entry| {
            entry.map(|address| {
                let label = address.redacted().to_string();
                Target {
                    label,
                    endpoint: address.endpoint(),
                    address,
                }
            })
        });
        self.run(targets, skipped, |target, progress| async move {
            shs_attempt(client, &target.address, self, &progress).await
        })
        .await
    }

    /// [`connect_noauth`](super::connect_noauth) with these options.
    pub async fn connect_noauth(&self, addresses: &str) -> Result<Connection, DialError> {
        if addresses.len() > MAX_ADDRESS_TEXT {
            return Err(too_long(addresses));
        }
        let targets = split_list(addresses).enumerate().map(|(i, text)| {
            let label = || format!("entry {}", i + 1);
            let address = text
                .parse::<NoauthAddress>()
                .map_err(|e| (label(), Failure::Address(e)))?;
            Ok(Target {
                label: address.to_string(),
                endpoint: address.endpoint(),
                address,
            })
        });
        let skipped = split_list(addresses)
            .count()
            .saturating_sub(MAX_LIST_ENTRIES);
        let targets = targets.take(MAX_LIST_ENTRIES);
        self.run(targets, skipped, |target, progress| async move {
            if !on_this_machine(&target.endpoint) {
                return Err(Failure::NotLocal);
            }
            open(&target.endpoint, None, &self.websocket, true, &progress).await
        })
        .await
    }
}

/// The error for address text over [`MAX_ADDRESS_TEXT`].
fn too_long(addresses: &str) -> DialError {
    DialError {
        attempts: vec![Attempt {
            address: "the address list".to_owned(),
            socket_address: None,
            failure: Failure::TooLong {
                bytes: addresses.len(),
            },
        }],
        total_timeout: None,
        skipped: 0,
    }
}

/// One secret-handshake attempt: the transport, then the handshake as `client` or as the
/// invite's identity.
async fn shs_attempt(
    client: &Client,
    address: &MultiserverAddress,
    dialer: &Dialer,
    progress: &Progress,
) -> Result<BoxStream<Connection>, Failure> {
    // An unusable server key is refused before anything is dialled.
    client.check_server_key(&address.key)?;
    let endpoint = address.endpoint();
    let connection = open(
        &endpoint,
        Some(address),
        &dialer.websocket,
        dialer.allow_local,
        progress,
    )
    .await?;
    progress.set(Step::Handshake);
    let client = match &address.seed {
        Some(seed) => Cow::Owned(client.clone().with_seed_identity(seed)),
        None => Cow::Borrowed(client),
    };
    let handshake = client.connect(connection, &address.key);
    let at = endpoint.socket_address();
    Ok(handshake.at(endpoint.transport.name(), &at).await?)
}

/// Whether `endpoint` is on this machine: a Unix socket, or a loopback address.
fn on_this_machine(endpoint: &Endpoint) -> bool {
    match endpoint.transport {
        TransportKind::Unix => true,
        TransportKind::Net | TransportKind::Ws => {
            endpoint.host == "localhost"
                || endpoint
                    .host
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}
