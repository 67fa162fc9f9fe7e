use super::*;

const KEY: &str = "1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=";

fn parse(text: &str) -> MultiserverAddress {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
}

#[test]
fn net_addresses_parse_and_print() {
    let text = format!("net:10.0.0.1:8008~shs:{KEY}");
    let a = parse(&text);
    assert_eq!(a.transport, TransportKind::Net);
    assert_eq!((a.host.as_str(), a.port), ("10.0.0.1", 8008));
    assert_eq!(a.key.to_base64(), KEY);
    assert_eq!(a.to_string(), text);
    assert_eq!(a.socket_address(), "10.0.0.1:8008");

    let v6 = parse(&format!("net:::1:8008~shs:{KEY}"));
    assert_eq!(v6.host, "::1");
    assert_eq!(v6.socket_address(), "[::1]:8008");

    let invite = parse(&format!("net:h:1~shs:{KEY}:{KEY}"));
    assert!(invite.seed.is_some());
    assert!(!format!("{invite:?}").contains(&format!(":{KEY})")));
    assert!(format!("{invite:?}").contains("<seed redacted>"));
    assert_eq!(invite.to_string(), format!("net:h:1~shs:{KEY}:{KEY}"));
}

#[test]
fn ws_addresses_parse_and_print() {
    let text = format!("ws://127.0.0.1:8989~shs:{KEY}");
    let a = parse(&text);
    assert_eq!(a.transport, TransportKind::Ws);
    assert_eq!((a.host.as_str(), a.port), ("127.0.0.1", 8989));
    assert_eq!(a.to_string(), text);
    assert_eq!(a.socket_address(), "127.0.0.1:8989");

    // Default ports are left out when printing, as multiserver does.
    let a = parse(&format!("ws://example.org~shs:{KEY}"));
    assert_eq!(a.port, 80);
    assert_eq!(a.to_string(), format!("ws://example.org~shs:{KEY}"));
    assert_eq!(
        parse(&format!("ws://example.org:80/~shs:{KEY}")).to_string(),
        format!("ws://example.org~shs:{KEY}")
    );
    let s = parse(&format!("wss://example.org~shs:{KEY}"));
    assert_eq!((s.transport, s.port), (TransportKind::Wss, 443));
    assert_eq!(s.to_string(), format!("wss://example.org~shs:{KEY}"));
    let s = parse(&format!("wss://example.org:80~shs:{KEY}"));
    assert_eq!(s.to_string(), format!("wss://example.org:80~shs:{KEY}"));

    let v6 = parse(&format!("ws://[::1]:8989~shs:{KEY}"));
    assert_eq!((v6.host.as_str(), v6.port), ("::1", 8989));
    assert_eq!(v6.to_string(), format!("ws://[::1]:8989~shs:{KEY}"));
    assert_eq!(parse(&format!("ws://[::1]~shs:{KEY}")).port, 80);

    let invite = parse(&format!("ws://h:1~shs:{KEY}:{KEY}"));
    assert!(invite.seed.is_some());
    assert_eq!(invite.to_string(), format!("ws://h:1~shs:{KEY}:{KEY}"));
    assert!(!format!("{invite:?}").contains(&format!(":{KEY})")));
}

#[test]
fn bang_escapes_inside_a_part() {
    // `!~` is a literal `~`, `!!` a literal `!`: printing escapes both again.
    let a = parse(&format!("ws://we!~ird!!host:1~shs:{KEY}"));
    assert_eq!(a.host, "we~ird!host");
    assert_eq!(a.to_string(), format!("ws://we!~ird!!host:1~shs:{KEY}"));
    assert_eq!(parse(&a.to_string()), a);
    // Any escaped character stands for itself.
    assert_eq!(parse(&format!("net:!h:1~shs:{KEY}")).host, "h");
}

#[test]
fn lists_keep_every_address_understood() {
    let list = format!(
        "ws://x:1~shs:{KEY};net:example.org:8008~shs:{KEY};onion:abc.onion:8008~shs:{KEY};\
         wss://y~shs:{KEY};net:h:1~noauth"
    );
    let all = MultiserverAddress::parse_list(&list);
    let found: Vec<_> = all
        .iter()
        .map(|a| (a.transport, a.host.as_str(), a.port))
        .collect();
    assert_eq!(
        found,
        [
            (TransportKind::Ws, "x", 1),
            (TransportKind::Net, "example.org", 8008),
            (TransportKind::Wss, "y", 443),
        ]
    );
}

#[test]
fn malformed_addresses_are_rejected() {
    for bad in [
        "".to_string(),
        "net:h:1".into(),
        "net:h~shs:x".into(),
        "tcp:h:1~shs:x".into(),
        "net:h:99999~shs:x".into(),
        "net::1~noise:x".into(),
        format!("net:h:1~shs:{KEY}~extra"),
        format!("ws://~shs:{KEY}"),
        format!("ws://h:~shs:{KEY}"),
        format!("ws://h:70000~shs:{KEY}"),
        format!("ws://h/path~shs:{KEY}"),
        format!("ws://user@h~shs:{KEY}"),
        format!("ws://[::1~shs:{KEY}"),
        format!("ws://[::1]x~shs:{KEY}"),
        format!("ws:h:1~shs:{KEY}"),
        format!("http://h:1~shs:{KEY}"),
        format!("ws://h:1~shs:{KEY}:short"),
    ] {
        assert!(bad.parse::<MultiserverAddress>().is_err(), "{bad}");
    }
}
