//! Typed addresses: each transport read and printed as multiserver does.

use super::{KEY, SEED};
use crate::multiserver::{AddressError, MultiserverAddress, NoauthAddress, TransportKind};

fn parse(text: &str) -> MultiserverAddress {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
}

/// Parses `text`, checks it prints as `printed` and that the printed form parses back the same.
fn round_trip(text: &str, printed: &str) -> MultiserverAddress {
    let a = parse(text);
    assert_eq!(a.to_string(), printed, "{text}");
    assert_eq!(parse(printed), a, "{printed}");
    a
}

#[test]
fn net_addresses_with_ipv4_names_and_both_ipv6_spellings() {
    let a = round_trip(
        &format!("net:10.0.0.1:8008~shs:{KEY}"),
        &format!("net:10.0.0.1:8008~shs:{KEY}"),
    );
    assert_eq!(
        (a.transport, a.host.as_str(), a.port),
        (TransportKind::Net, "10.0.0.1", 8008)
    );
    assert_eq!(a.key.to_base64(), KEY);
    assert_eq!(a.socket_address(), "10.0.0.1:8008");
    assert_eq!((a.path.as_str(), a.seed), ("", None));

    // The JS side writes IPv6 without brackets, go-ssb with: both read, printed as JS does.
    let js = format!("net:fe80::1:8008~shs:{KEY}");
    for text in [js.clone(), format!("net:[fe80::1]:8008~shs:{KEY}")] {
        let v6 = round_trip(&text, &js);
        assert_eq!(v6.host, "fe80::1");
        assert_eq!(v6.socket_address(), "[fe80::1]:8008");
    }
    assert_eq!(parse(&format!("net:::1:1~shs:{KEY}")).host, "::1");
    let name = round_trip(
        &format!("net:pub.example-1.org:8008~shs:{KEY}"),
        &format!("net:pub.example-1.org:8008~shs:{KEY}"),
    );
    assert_eq!(name.host, "pub.example-1.org");
}

#[test]
fn invites_keep_their_seed_but_debug_and_redacted_hide_it() {
    let text = format!("net:h:1~shs:{KEY}:{SEED}");
    let invite = round_trip(&text, &text);
    assert!(invite.seed.is_some());
    for shown in [format!("{invite:?}"), invite.redacted().to_string()] {
        assert!(!shown.contains(SEED), "{shown}");
        assert!(shown.contains("<seed redacted>"), "{shown}");
        assert!(shown.contains(KEY), "{shown}");
    }
    let built = MultiserverAddress::net("h", 1, invite.key).with_seed(invite.seed.unwrap());
    assert_eq!(built, invite);
}

#[test]
fn ws_and_wss_urls_with_default_ports_paths_and_without_slashes() {
    let a = round_trip(
        &format!("ws://127.0.0.1:8989~shs:{KEY}"),
        &format!("ws://127.0.0.1:8989~shs:{KEY}"),
    );
    assert_eq!(
        (a.transport, a.host.as_str(), a.port, a.path.as_str()),
        (TransportKind::Ws, "127.0.0.1", 8989, "/")
    );
    assert_eq!(a.socket_address(), "127.0.0.1:8989");
    assert_eq!(a, MultiserverAddress::ws("127.0.0.1", 8989, a.key));

    // Default ports are left out when printing, as multiserver does, and so is a bare `/`.
    let plain = format!("ws://example.org~shs:{KEY}");
    assert_eq!(round_trip(&plain, &plain).port, 80);
    round_trip(&format!("ws://example.org:80/~shs:{KEY}"), &plain);
    let s = round_trip(
        &format!("wss://example.org~shs:{KEY}"),
        &format!("wss://example.org~shs:{KEY}"),
    );
    assert_eq!((s.transport, s.port), (TransportKind::Wss, 443));
    round_trip(
        &format!("wss://example.org:443~shs:{KEY}"),
        &format!("wss://example.org~shs:{KEY}"),
    );
    round_trip(
        &format!("wss://example.org:80~shs:{KEY}"),
        &format!("wss://example.org:80~shs:{KEY}"),
    );
    assert_eq!(s, MultiserverAddress::wss("example.org", 443, s.key));

    // Paths (and queries) are kept, special characters escaped.
    let room = round_trip(
        &format!("wss://room.example.org/ssb/ws?x=1~shs:{KEY}"),
        &format!("wss://room.example.org/ssb/ws?x=1~shs:{KEY}"),
    );
    assert_eq!(room.path, "/ssb/ws?x=1");
    let odd = round_trip(
        &format!("ws://h:1/a:b!~c~shs:{KEY}"),
        &format!("ws://h:1/a:b!~c~shs:{KEY}"),
    );
    assert_eq!(odd.path, "/a:b~c");
    assert_eq!(parse(&format!("ws://h?q~shs:{KEY}")).path, "/?q");

    let v6 = round_trip(
        &format!("ws://[::1]:8989~shs:{KEY}"),
        &format!("ws://[::1]:8989~shs:{KEY}"),
    );
    assert_eq!((v6.host.as_str(), v6.port), ("::1", 8989));
    assert_eq!(v6.socket_address(), "[::1]:8989");
    assert_eq!(parse(&format!("ws://[::1]~shs:{KEY}")).port, 80);

    // Seen in the wild: no `//`. Read, and printed as multiserver reads it.
    let bare = round_trip(
        &format!("ws:example.org:8989~shs:{KEY}"),
        &format!("ws://example.org:8989~shs:{KEY}"),
    );
    assert_eq!((bare.host.as_str(), bare.port), ("example.org", 8989));
    assert_eq!(parse(&format!("wss:example.org~shs:{KEY}")).port, 443);
}

#[test]
fn unix_and_onion_addresses() {
    let text = format!("unix:/run/user/1000/ssb/socket~shs:{KEY}");
    let u = round_trip(&text, &text);
    assert_eq!(
        (u.transport, u.host.as_str(), u.port),
        (TransportKind::Unix, "", 0)
    );
    assert_eq!(u.path, "/run/user/1000/ssb/socket");
    assert_eq!(u.socket_address(), u.path);
    assert_eq!(
        u,
        MultiserverAddress::unix("/run/user/1000/ssb/socket", u.key)
    );
    // `:` in a path is a field separator the JS side joins again; other specials are escaped.
    let odd = round_trip(
        &format!("unix:/tmp/a:b!~c!;d~shs:{KEY}"),
        &format!("unix:/tmp/a:b!~c!;d~shs:{KEY}"),
    );
    assert_eq!(odd.path, "/tmp/a:b~c;d");
    assert_eq!(parse(&format!("unix:/tmp/a!:b~shs:{KEY}")).path, "/tmp/a:b");

    let onion = format!("onion:abcdefghijklmnop.onion:8008~shs:{KEY}");
    let o = round_trip(&onion, &onion);
    assert_eq!(
        (o.transport, o.host.as_str(), o.port),
        (TransportKind::Onion, "abcdefghijklmnop.onion", 8008)
    );
}

#[test]
fn noauth_addresses_are_their_own_type() {
    let n: NoauthAddress = "unix:/tmp/ssb/socket~noauth".parse().unwrap();
    assert_eq!(n, NoauthAddress::unix("/tmp/ssb/socket"));
    assert_eq!(n.to_string(), "unix:/tmp/ssb/socket~noauth");
    assert_eq!(n.socket_address(), "/tmp/ssb/socket");
    let n: NoauthAddress = "net:127.0.0.1:1~noauth".parse().unwrap();
    assert_eq!((n.transport, n.port), (TransportKind::Net, 1));
    // Never mistaken for an authenticated address, and the other way round.
    let e = "unix:/tmp/s~noauth"
        .parse::<MultiserverAddress>()
        .unwrap_err();
    assert!(e.to_string().contains("unauthenticated"), "{e}");
    assert!(matches!(
        e,
        AddressError::Transform {
            expected: "shs",
            ..
        }
    ));
    let e = format!("unix:/tmp/s~shs:{KEY}")
        .parse::<NoauthAddress>()
        .unwrap_err();
    assert!(
        matches!(
            e,
            AddressError::Transform {
                expected: "noauth",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn lists_report_every_entry_in_order() {
    let list = format!(
        "ws://x:1~shs:{KEY};net:example.org:8008~shs:{KEY};onion:abc.onion:8008~shs:{KEY};\
         wss://y~shs:{KEY};net:h:1~noauth;tunnel:@a:@b~shs:{KEY};garbage;unix:/s~shs:{KEY}"
    );
    let all: Vec<_> = MultiserverAddress::parse_list(&list).collect();
    let found: Vec<_> = all
        .iter()
        .map(|a| {
            a.as_ref()
                .map(|a| (a.transport, a.host.as_str(), a.port))
                .map_err(|_| ())
        })
        .collect();
    assert_eq!(
        found,
        [
            Ok((TransportKind::Ws, "x", 1)),
            Ok((TransportKind::Net, "example.org", 8008)),
            Ok((TransportKind::Onion, "abc.onion", 8008)),
            Ok((TransportKind::Wss, "y", 443)),
            Err(()),
            Err(()),
            Err(()),
            Ok((TransportKind::Unix, "", 0)),
        ]
    );
    assert!(matches!(&all[5], Err(AddressError::Unsupported { name, .. }) if name == "tunnel"));
}
