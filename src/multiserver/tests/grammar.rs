//! The grammar layer: protocols, data fields, escapes, lists.

use crate::multiserver::{parse_multiaddress, Address, AddressError, Protocol};

fn protocol(name: &str, data: &[&str]) -> Protocol {
    Protocol {
        name: name.into(),
        data: data.iter().map(|d| d.to_string()).collect(),
    }
}

fn parse(text: &str) -> Address {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
}

#[test]
fn fields_split_at_colons_and_protocols_at_tildes() {
    let a = parse("net:::1:8008~shs:abc~gzip");
    assert_eq!(
        a.protocols,
        [
            protocol("net", &["", "", "1", "8008"]),
            protocol("shs", &["abc"]),
            protocol("gzip", &[]),
        ]
    );
    assert_eq!(a.to_string(), "net:::1:8008~shs:abc~gzip");
    assert_eq!(parse("shs:::").protocols, [protocol("shs", &["", "", ""])]);
    assert_eq!(parse("  ws://h:1  ").to_string(), "ws://h:1");
}

#[test]
fn bang_escapes_the_four_specials_and_printing_restores_them() {
    let a = parse("unix:/tmp/a!~b!!c!:d!;e");
    assert_eq!(a.protocols, [protocol("unix", &["/tmp/a~b!c:d;e"])]);
    assert_eq!(a.to_string(), "unix:/tmp/a!~b!!c!:d!;e");
    // Every address has one spelling: printing what was parsed gives the text back.
    for text in [
        "a1:!!",
        "ab-c:!~~de",
        "xy:!;:!:",
        "q0:\"#$%&'()*+,-./09<=>?@AZ[\\]^_`az{|}",
    ] {
        assert_eq!(parse(text).to_string(), text);
    }
}

#[test]
fn bad_grammar_is_a_syntax_error_at_its_position() {
    for (text, at) in [
        ("", 0),
        (":host.com:8008", 0),
        ("1a:host.com:8008", 0),
        ("ABC:host.com:8008", 0),
        ("a.b:host.com:8008", 1),
        ("a:b", 1),
        ("~:host.com:8008", 0),
        ("!:host.com:8008", 0),
        ("net:host.com:8008~", 18),
        ("net:host.com:8008~~gzip", 18),
        ("net:h!x", 6),
        ("net:h!", 6),
        ("net:h h", 5),
        ("net:h\u{e9}", 5),
        ("net:h;net:h", 5),
    ] {
        match text.parse::<Address>() {
            Err(AddressError::Syntax { at: got, .. }) => assert_eq!(got, at, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn lists_split_at_unescaped_semicolons_and_keep_bad_entries() {
    let all: Vec<_> = parse_multiaddress("net:h:1~shs:k; ab:x!;y ;;Bad").collect();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].as_ref().unwrap().to_string(), "net:h:1~shs:k");
    assert_eq!(
        all[1].as_ref().unwrap().protocols,
        [protocol("ab", &["x;y"])]
    );
    assert!(matches!(all[2], Err(AddressError::Syntax { at: 0, .. })));
    assert!(matches!(all[3], Err(AddressError::Syntax { at: 0, .. })));
}

mod properties {
    use proptest::prelude::*;

    use crate::multiserver::{Address, MultiserverAddress, Protocol};

    fn protocol() -> impl Strategy<Value = Protocol> {
        // Data of any printable ASCII but space, the four specials included (escaped when printed).
        let data = proptest::collection::vec("[!-~&&[^ ]]{0,12}", 0..4);
        ("[a-z][a-z0-9-]{1,6}", data).prop_map(|(name, data)| Protocol { name, data })
    }

    proptest! {
        #[test]
        fn any_text_parses_or_errs_without_panicking_and_what_parses_prints_back(text in "\\PC{0,60}") {
            if let Ok(address) = text.parse::<Address>() {
                prop_assert_eq!(address.to_string(), text.trim());
            }
            if let Ok(address) = text.parse::<MultiserverAddress>() {
                prop_assert_eq!(address.to_string().parse::<MultiserverAddress>().ok(), Some(address));
            }
        }

        #[test]
        fn every_address_prints_as_text_that_parses_back_to_it(protocols in proptest::collection::vec(protocol(), 1..4)) {
            let address = Address { protocols };
            let printed = address.to_string();
            prop_assert_eq!(printed.parse::<Address>(), Ok(address));
        }
    }
}
