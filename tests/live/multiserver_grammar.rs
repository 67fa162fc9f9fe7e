//! The multiserver grammar against the JS `multiserver-address` package: its own test cases
//! (valid, invalid, its random.txt) and strings freshly generated from its grammar, read by
//! `tests/interop/ms_address_cases.js`. Every string the package accepts parses to the same
//! protocols and data and prints back unchanged; every string it rejects is rejected.

use crate::common;

use secret_handshake::multiserver::{parse_multiaddress, Address, Protocol};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    source: String,
    text: String,
    check: bool,
    decoded: Option<Vec<Vec<JsProtocol>>>,
}

#[derive(Deserialize, PartialEq, Debug)]
struct JsProtocol {
    name: String,
    data: Vec<String>,
}

impl From<&Protocol> for JsProtocol {
    fn from(p: &Protocol) -> Self {
        JsProtocol {
            name: p.name.clone(),
            data: p.data.clone(),
        }
    }
}

fn reference_cases(node: common::Node, generated: usize) -> Vec<Case> {
    let out = node
        .command("ms_address_cases.js")
        .arg(generated.to_string())
        .output()
        .expect("node is required for the interop tests: install Node.js 20 and npm");
    assert!(
        out.status.success(),
        "ms_address_cases.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the case list is JSON")
}

#[test]
fn the_reference_packages_cases_parse_alike_and_print_back_unchanged() {
    let Some(node) = common::node::require() else {
        return;
    };
    let cases = reference_cases(node, 400);
    let count = |source: &str| cases.iter().filter(|c| c.source == source).count();
    // The package's own lists, all of random.txt, and the generated ones.
    assert!(
        count("valid") >= 6 && count("invalid") >= 10,
        "too few reference cases"
    );
    assert_eq!(count("random.txt"), 100);
    assert_eq!(count("generated"), 400);
    let mut accepted = 0;
    for case in &cases {
        let ours: Vec<_> = parse_multiaddress(&case.text).collect();
        let why = format!("{} case {:?}: ours {ours:?}", case.source, case.text);
        assert_eq!(
            case.check,
            case.decoded.is_some(),
            "{why}: JS check and decode disagree"
        );
        let Some(decoded) = &case.decoded else {
            assert!(ours.iter().any(Result::is_err), "{why}: JS rejects it");
            continue;
        };
        accepted += 1;
        let ours: Vec<Address> = ours
            .into_iter()
            .map(|a| a.unwrap_or_else(|e| panic!("{why}: {e}")))
            .collect();
        let as_js: Vec<Vec<JsProtocol>> = ours
            .iter()
            .map(|a| a.protocols.iter().map(JsProtocol::from).collect())
            .collect();
        assert_eq!(&as_js, decoded, "{why}");
        let printed: Vec<String> = ours.iter().map(Address::to_string).collect();
        assert_eq!(printed.join(";"), case.text, "{why}");
        if let [one] = ours.as_slice() {
            assert_eq!(&case.text.parse::<Address>().expect("one address"), one);
        }
    }
    assert!(accepted >= 400, "only {accepted} accepted cases");
}
