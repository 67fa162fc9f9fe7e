//! Each bad part has its own error, and no error repeats the address's data.

use super::{KEY, SEED};
use crate::multiserver::{AddressError, MultiserverAddress, Role};

fn error(text: &str) -> AddressError {
    match text.parse::<MultiserverAddress>() {
        Ok(a) => panic!("{text:?} parsed as {a:?}"),
        Err(e) => e,
    }
}

/// Whether an error is the one expected.
type Check = fn(&AddressError) -> bool;

#[test]
fn each_part_that_is_wrong_is_named() {
    use AddressError::*;
    let cases: Vec<(String, Check)> = vec![
        ("".into(), |e| matches!(e, Syntax { at: 0, .. })),
        (format!("net:h:1~shs:{KEY};net:h:2~shs:{KEY}"), |e| {
            matches!(e, Syntax { .. })
        }),
        (
            format!("tcp:h:1~shs:{KEY}"),
            |e| matches!(e, Unsupported { name, role: Role::Transport } if name == "tcp"),
        ),
        (
            format!("net:h:1~shse:{KEY}"),
            |e| matches!(e, Unsupported { name, role: Role::Transform } if name == "shse"),
        ),
        (
            format!("net:h:1~shs:{KEY}~gzip"),
            |e| matches!(e, Unsupported { name, role: Role::Transform } if name == "gzip"),
        ),
        (
            format!("net:h:1~shs:{KEY}~shs:{KEY}"),
            |e| matches!(e, ExtraTransform { name } if name == "shs"),
        ),
        ("net:h:1".into(), |e| {
            matches!(
                e,
                Transform {
                    expected: "shs",
                    found: None
                }
            )
        }),
        (format!("net~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("net:h~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("net::1~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("net:h:99999~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("net:h:0~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("net:h:+1~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("net:a/b:1~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("net:1::x:1~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "net", .. })
        }),
        (format!("onion:h~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "onion", .. })
        }),
        (format!("ws://~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://h:~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://h:70000~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://user@h~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://h/a#frag~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://[::1~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://[::1]x~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://[h]:1~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("ws://::1:80~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "ws", .. })
        }),
        (format!("wss~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "wss", .. })
        }),
        (format!("unix~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "unix", .. })
        }),
        (format!("unix:~shs:{KEY}"), |e| {
            matches!(e, Transport { name: "unix", .. })
        }),
        ("net:h:1~shs".into(), |e| matches!(e, Key(_))),
        ("net:h:1~shs:nope".into(), |e| matches!(e, Key(_))),
        (format!("net:h:1~shs:{}", &KEY[..40]), |e| {
            matches!(e, Key(_))
        }),
        (format!("net:h:1~shs:{KEY}:short"), |e| matches!(e, Seed(_))),
        (format!("net:h:1~shs:{KEY}:"), |e| matches!(e, Seed(_))),
        (format!("net:h:1~shs:{KEY}:{SEED}:x"), |e| {
            matches!(e, Seed(_))
        }),
        (
            "net:h:1~noauth".into(),
            |e| matches!(e, Transform { expected: "shs", found: Some(f) } if f == "noauth"),
        ),
    ];
    for (text, expected) in cases {
        let e = error(&text);
        assert!(expected(&e), "{text:?}: {e:?}");
        assert!(
            e.to_string().starts_with("invalid multiserver address: "),
            "{e}"
        );
    }
}

#[test]
fn no_error_repeats_any_of_a_seed() {
    // Bad seeds, seeds next to bad parts, a pasted legacy invite (`HOST:PORT:@KEY~SEED`).
    let legacy = format!("pub.example.org:8008:@{KEY}.ed25519~{SEED}");
    let texts = [
        format!("net:h:1~shs:{KEY}:{}", &SEED[..30]),
        format!("net:h:1~shs:{KEY}:{SEED}x"),
        format!("net:h:1~shs:{KEY}:{SEED}:{SEED}"),
        format!("net:h:1~shs:{KEY}:{SEED}~x"),
        format!("net:h:1~shs:{KEY}:{SEED}~gzip"),
        format!("net:h:99999~shs:{KEY}:{SEED}"),
        format!("net:h:1~shs:{KEY}:{SEED} trailing words"),
        format!("net:h:1~shs:{KEY}:{SEED};"),
        format!("tcp:h:1~shs:{KEY}:{SEED}"),
        format!("net:{SEED}:1~shs:{KEY}"),
        format!("net:h:{SEED}~shs:{KEY}"),
        format!("ws://h/{SEED}#~shs:{KEY}"),
        legacy,
    ];
    for text in &texts {
        let shown = match text.parse::<MultiserverAddress>() {
            Ok(a) => panic!("{a:?} parsed"),
            Err(e) => format!("{e} {e:?}"),
        };
        // No run of 4 seed characters: not even a prefix of it.
        for window in SEED.as_bytes().windows(4) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!shown.contains(window), "{text:?} -> {shown}");
        }
    }
    for entry in MultiserverAddress::parse_list(&texts.join(";")) {
        if let Err(e) = entry {
            assert!(!format!("{e} {e:?}").contains(&SEED[..8]));
        }
    }
}
