//! The multiserver addresses a listener can be reached at, ready to paste into `shs-cat
//! connect` or a JS peer: `net:HOST:PORT~shs:KEY`, `ws://HOST:PORT~shs:KEY` or
//! `unix:PATH~shs:KEY`, `;`-joined when there are several, as multiserver prints them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use secret_handshake::PublicKey;

/// The addresses of a TCP (or, with `ws`, WebSocket) listener bound to `local`, and a note
/// for the user if the list may be incomplete.
pub fn tcp(local: SocketAddr, ws: bool, key: &PublicKey) -> (String, Option<String>) {
    let (hosts, note) = if local.ip().is_unspecified() {
        match interfaces() {
            Ok(found) => (reachable(local.ip(), &found, dual_stack()), None),
            Err(e) => (
                vec![loopback(local.ip())],
                Some(format!(
                    "cannot list this host's addresses ({e}); other hosts reach it at its own"
                )),
            ),
        }
    } else {
        (vec![local.ip()], None)
    };
    let key = key.to_base64();
    let port = local.port();
    // IP addresses hold nothing to escape; multiserver writes IPv6 unbracketed after `net:`.
    let addresses = hosts.iter().map(|ip| match (ws, ip) {
        (false, ip) => format!("net:{ip}:{port}~shs:{key}"),
        (true, IpAddr::V4(ip)) => format!("ws://{ip}:{port}~shs:{key}"),
        (true, IpAddr::V6(ip)) => format!("ws://[{ip}]:{port}~shs:{key}"),
    });
    (addresses.collect::<Vec<_>>().join(";"), note)
}

/// `unix:PATH~shs:KEY`, escaped as multiserver's parser reads it (`!` before `!`, `~` and `;`).
pub fn unix(path: &Path, key: &PublicKey) -> String {
    let mut address = String::from("unix:");
    for c in path.to_string_lossy().chars() {
        if matches!(c, '!' | '~' | ';') {
            address.push('!');
        }
        address.push(c);
    }
    format!("{address}~shs:{}", key.to_base64())
}

/// The addresses a wildcard listener (`0.0.0.0` or `::`) answers on, out of the host's
/// interface addresses: those of its family (both, for a dual-stack `::`), other hosts' first
/// (a JS client dials the first address it can parse), loopback last. Link-local IPv6
/// addresses are left out: they need a scope id, which a multiserver address cannot carry.
fn reachable(wildcard: IpAddr, interfaces: &[IpAddr], dual_stack: bool) -> Vec<IpAddr> {
    let answers = |ip: &IpAddr| match ip {
        IpAddr::V4(_) => wildcard.is_ipv4() || dual_stack,
        IpAddr::V6(v6) => wildcard.is_ipv6() && (v6.segments()[0] & 0xffc0) != 0xfe80,
    };
    let mut hosts: Vec<IpAddr> = Vec::new();
    for ip in interfaces.iter().filter(|ip| answers(ip)) {
        if !hosts.contains(ip) {
            hosts.push(*ip);
        }
    }
    // Stable: the interfaces' order within each group.
    hosts.sort_by_key(|ip| ip.is_loopback());
    if hosts.is_empty() {
        hosts.push(loopback(wildcard));
    }
    hosts
}

fn loopback(wildcard: IpAddr) -> IpAddr {
    match wildcard {
        IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
    }
}

fn interfaces() -> std::io::Result<Vec<IpAddr>> {
    Ok(if_addrs::get_if_addrs()?
        .iter()
        .map(if_addrs::Interface::ip)
        .collect())
}

/// Whether a `::` listener also answers IPv4 (Linux's default; other systems' is not to).
fn dual_stack() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only").is_ok_and(|v| v.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use secret_handshake::multiserver::MultiserverAddress;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|ip| ip.parse().expect("an IP")).collect()
    }

    const HOST: &[&str] = &[
        "127.0.0.1",
        "::1",
        "192.0.2.7",
        "2001:db8::7",
        "fe80::1",
        "192.0.2.7",
    ];

    #[test]
    fn a_wildcard_answers_on_its_familys_addresses_loopback_last() {
        let v4 = reachable("0.0.0.0".parse().expect("IP"), &ips(HOST), true);
        assert_eq!(v4, ips(&["192.0.2.7", "127.0.0.1"]));
        let v6_only = reachable("::".parse().expect("IP"), &ips(HOST), false);
        assert_eq!(v6_only, ips(&["2001:db8::7", "::1"]));
        let dual = reachable("::".parse().expect("IP"), &ips(HOST), true);
        assert_eq!(dual, ips(&["192.0.2.7", "2001:db8::7", "127.0.0.1", "::1"]));
    }

    #[test]
    fn no_interface_of_the_family_means_loopback() {
        let v6 = reachable("::".parse().expect("IP"), &ips(&["192.0.2.7"]), false);
        assert_eq!(v6, ips(&["::1"]));
    }

    #[test]
    fn addresses_are_ready_to_parse() {
        let key = *secret_handshake::Keypair::from_seed(&[1; 32]).public();
        let b64 = key.to_base64();
        let local: SocketAddr = "[::1]:8008".parse().expect("socket address");
        assert_eq!(tcp(local, false, &key).0, format!("net:::1:8008~shs:{b64}"));
        assert_eq!(
            tcp(local, true, &key).0,
            format!("ws://[::1]:8008~shs:{b64}")
        );
        let parsed: MultiserverAddress = tcp(local, true, &key).0.parse().expect("parses");
        assert_eq!((parsed.host.as_str(), parsed.port), ("::1", 8008));
        let path = Path::new("/tmp/a~b!c;d:e/socket");
        assert_eq!(
            unix(path, &key),
            format!("unix:/tmp/a!~b!!c!;d:e/socket~shs:{b64}")
        );
    }
}
