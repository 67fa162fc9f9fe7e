//! No secret in any error: malformed addresses, invites, keys and secret files that contain a
//! known seed fail with errors whose `Display` and `Debug` hold no 4-character piece of the
//! seed's base64 or hex.

use std::io;

use base64::Engine;
use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::{Keypair, NetworkKey, PublicKey};

use crate::common::temp_dir::TempDir;
use crate::common::{hex, payload};

/// The identity seed every input below hides.
fn seed() -> [u8; 32] {
    let mut seed = [0; 32];
    seed.copy_from_slice(&payload(32, 0x5eed));
    seed
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every 4-character window of the seed's base64 and hex, and of the secret key's base64 (whose
/// first 40 characters are the seed's).
fn fragments() -> Vec<String> {
    let seed = seed();
    let secret = *Keypair::from_seed(&seed).secret_key_bytes();
    let mut windows = Vec::new();
    for text in [b64(&seed), hex(&seed), b64(&secret[..32])] {
        let chars: Vec<char> = text.chars().collect();
        windows.extend(chars.windows(4).map(|w| w.iter().collect::<String>()));
    }
    windows
}

/// Panics if `error` shows any piece of the seed, in `Display` or `Debug`.
fn assert_redacted(input: &str, error: &dyn std::fmt::Debug, display: &str) {
    let debug = format!("{error:?}");
    for fragment in fragments() {
        assert!(
            !display.contains(&fragment) && !debug.contains(&fragment),
            "{fragment:?} of the seed in the error for {input:?}:\n{display}\n{debug}"
        );
    }
}

/// `result` is an error that shows no piece of the seed, nor does it as an `io::Error`.
fn check<T, E>(input: &str, result: Result<T, E>)
where
    T: std::fmt::Debug,
    E: std::error::Error + Into<io::Error>,
{
    let error = result.expect_err(input);
    assert_redacted(input, &error, &error.to_string());
    let io: io::Error = error.into();
    assert_eq!(io.kind(), io::ErrorKind::InvalidData, "{input:?}");
    assert_redacted(input, &io, &io.to_string());
}

/// The seed's base64 with one character changed, cut, or extended: no longer 32 bytes.
fn mistyped_seeds() -> Vec<String> {
    let good = b64(&seed());
    let mut star = good.clone();
    star.replace_range(10..11, "*");
    vec![
        star,
        good[..43].to_owned(),
        good[..40].to_owned(),
        format!("{good}A"),
        format!("{}==", &good[..42]),
        format!("{}.ed25519", &good[..43]),
        format!("{}x", &hex(&seed())[..63]),
        hex(&seed())[..62].to_owned(),
    ]
}

#[test]
fn the_seed_is_in_the_inputs() {
    // Otherwise the tests below would prove nothing.
    let address = format!("net:h:1~shs:{}:{}", b64(&[1; 32]), b64(&seed()));
    let parsed: MultiserverAddress = address.parse().expect("a valid invite");
    assert_eq!(parsed.seed, Some(seed()));
    // Every piece of the seed's base64 is in the address.
    let in_address = fragments()
        .iter()
        .filter(|f| address.contains(f.as_str()))
        .count();
    assert!(in_address >= 41, "{in_address}");
}

#[test]
fn multiserver_addresses_and_invites() {
    let key = b64(Keypair::from_seed(&[3; 32]).public().as_bytes());
    let seed = b64(&seed());
    let mut inputs = Vec::new();
    for bad_seed in mistyped_seeds() {
        inputs.extend([
            format!("net:example.org:8008~shs:{key}:{bad_seed}"),
            format!("ws://example.org~shs:{key}:{bad_seed}"),
            format!("wss://[::1]:443~shs:{key}:{bad_seed}"),
            // The seed where the key goes (keys and seeds are both 44 characters of base64).
            format!("net:example.org:8008~shs:{bad_seed}:{key}"),
            format!("net:example.org:8008~shs:{bad_seed}"),
        ]);
    }
    inputs.extend([
        // A valid seed in a malformed address.
        format!("net:example.org~shs:{key}:{seed}"),
        format!("net:example.org:99999~shs:{key}:{seed}"),
        format!("net::8008~shs:{key}:{seed}"),
        format!("tcp:example.org:8008~shs:{key}:{seed}"),
        format!("net:example.org:8008~shs:{key}x:{seed}"),
        format!("net:example.org:8008~shs:{key}:{seed}~extra"),
        format!("net:example.org:8008~sha:{key}:{seed}"),
        format!("net:example.org:8008 shs:{key}:{seed}"),
        format!("net:example.org:8008~shs:{key}:{seed}:{seed}"),
        format!("net:example.org:8008~shs:{key}:{seed}!"),
        // A legacy invite (`host:port:@key.ed25519~seed`), pasted as an address.
        format!("example.org:8008:@{key}.ed25519~{seed}"),
        seed.clone(),
    ]);
    for input in &inputs {
        check(input, input.parse::<MultiserverAddress>());
        if input.ends_with('!') {
            continue; // it would escape the `;` below
        }
        // As part of a `;` list, a bad address is reported, still without its secret.
        let list = format!("{input};net:example.org:1~shs:{key}");
        let mut entries: Vec<_> = MultiserverAddress::parse_list(&list).collect();
        assert_eq!(entries.len(), 2, "{input}");
        assert!(entries.pop().is_some_and(|last| last.is_ok()), "{input}");
        if let Some(Err(error)) = entries.pop() {
            check(input, Err::<(), _>(error));
        }
    }
}

#[test]
fn keys_given_where_a_public_key_or_network_key_goes() {
    let seed_b64 = b64(&seed());
    let key = b64(Keypair::from_seed(&[3; 32]).public().as_bytes());
    let secret = b64(Keypair::from_seed(&seed()).secret_key_bytes());
    for input in [
        // A secret key pasted for a public key, as base64, an id and hex.
        secret.clone(),
        format!("@{secret}.ed25519"),
        format!("{secret}.ed25519"),
        hex(Keypair::from_seed(&seed()).secret_key_bytes()),
        // An `shs:` part pasted for a public key.
        format!("{key}:{seed_b64}"),
        format!("shs:{key}:{seed_b64}"),
    ] {
        check(&input, input.parse::<PublicKey>());
        check(&input, PublicKey::from_base64(&input));
        check(&input, PublicKey::from_hex(&input));
    }
    // A private network's key is as secret as a seed.
    for input in mistyped_seeds() {
        check(&input, input.parse::<NetworkKey>());
    }
    // A secret key whose halves do not match.
    let mut mismatched = *Keypair::from_seed(&seed()).secret_key_bytes();
    mismatched[63] ^= 1;
    check(
        "mismatched secret key",
        Keypair::from_secret_key_bytes(&mismatched),
    );
}

/// A secret file's JSON with `private` set to `private` (raw JSON).
fn secret_file(private: &str, public: &str) -> String {
    format!(
        "# this is your SECRET name.\n{{\n  \"curve\": \"ed25519\",\n  \"public\": \"{public}\",\n  \"private\": {private},\n  \"id\": \"@{public}\"\n}}\n"
    )
}

fn secret_files() -> Vec<String> {
    let keys = Keypair::from_seed(&seed());
    let public = format!("{}.ed25519", b64(keys.public().as_bytes()));
    let other = format!(
        "{}.ed25519",
        b64(Keypair::from_seed(&[3; 32]).public().as_bytes())
    );
    let secret = b64(keys.secret_key_bytes());
    let good = keys.to_ssb_secret();
    let mut files = vec![
        // Truncated anywhere inside or after the private key.
        good[..good.find(&secret).expect("the key is in the file") + 30].to_owned(),
        good[..good.find("\"id\"").expect("an id")].to_owned(),
        good.replace(
            "\"curve\": \"ed25519\"",
            &format!("\"curve\": \"{secret}\""),
        ),
        good.replace(
            &format!("\"public\": \"{public}\""),
            &format!("\"public\": \"{secret}\""),
        ),
        good.replace(&public, &other),
        good.replace("\"private\"", "\"privat\""),
        good.replace('{', "["),
        good.replace(&format!("\"{secret}.ed25519\""), &format!("[\"{secret}\"]")),
        good.replace(
            &format!("\"{secret}.ed25519\""),
            &format!("{{\"{secret}\": 1}}"),
        ),
        good.replace(
            &format!("\"{secret}.ed25519\""),
            &format!("\"{secret}\" \"{secret}\""),
        ),
        good.replace(&format!("\"{secret}.ed25519\""), &secret),
        secret_file(&format!("\"{}\"", hex(keys.secret_key_bytes())), &public),
        secret_file(&format!("\"{}\"", b64(&seed())), &public),
        format!("{secret}\n"),
        format!("# {secret}\n{secret}\n"),
    ];
    for bad_seed in mistyped_seeds() {
        files.push(secret_file(&format!("\"{bad_seed}\""), &public));
        files.push(secret_file(&format!("\"{bad_seed}.ed25519\""), &public));
    }
    files
}

#[test]
fn secret_files_as_text_and_on_disk() {
    let dir = TempDir::new("secrets-in-errors");
    let files = secret_files();
    for (i, text) in files.iter().enumerate() {
        check(text, Keypair::from_ssb_secret(text));
        let path = dir.path().join(format!("secret-{i}"));
        std::fs::write(&path, text).expect("writing a test file");
        let result = Keypair::from_ssb_secret_file(&path);
        let shown = result
            .as_ref()
            .map(drop)
            .expect_err("invalid file")
            .to_string();
        assert!(shown.contains(&path.display().to_string()), "{shown}");
        check(text, result);
    }
    // The real file, for contrast, loads.
    let path = dir.path().join("good");
    std::fs::write(&path, Keypair::from_seed(&seed()).to_ssb_secret()).expect("writing");
    let loaded = Keypair::from_ssb_secret_file(&path).expect("a valid file");
    assert_eq!(loaded.secret_key_bytes()[..32], seed());
}
