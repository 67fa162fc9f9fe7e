//! Errors said once: no message repeats its source's text, and `Debug` (what `?` from `main`
//! prints) says what `Display` says.

use std::error::Error;
use std::{fmt, io};

use secret_handshake::dial::{self, Failure};
use secret_handshake::{HandshakeError, Keypair, Phase, PublicKey};

use super::{client, refused_port};

/// A cause with a cause of its own, as rustls' errors have.
#[derive(Debug)]
struct Outer(io::Error);

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("certificate not trusted")
    }
}

impl Error for Outer {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

fn nested() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        Outer(io::Error::other("unknown issuer")),
    )
}

fn representative() -> Vec<Box<dyn Error>> {
    let reset = || io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let key = Keypair::generate().public().to_base64();
    let list = format!("net:127.0.0.1:{}~shs:{key};garbage", refused_port());
    let dialled = runtime
        .block_on(dial::connect(&client(), &list))
        .expect_err("refused");
    vec![
        Box::new(HandshakeError::Io(Phase::ServerHello, reset())),
        Box::new(HandshakeError::Io(Phase::ServerHello, nested())),
        Box::new(HandshakeError::Authorizer(Box::new(nested()))),
        Box::new(io::Error::from(HandshakeError::Io(
            Phase::ClientAuth,
            reset(),
        ))),
        Box::new(Failure::Connect(reset())),
        Box::new(Failure::Resolve(nested())),
        Box::new(Failure::Tls(nested())),
        Box::new(Failure::Upgrade(nested())),
        Box::new(Failure::Handshake(HandshakeError::Io(
            Phase::ClientHello,
            nested(),
        ))),
        Box::new(io::Error::from(Failure::Tls(nested()))),
        Box::new(dialled),
        Box::new("not a key".parse::<PublicKey>().expect_err("bad key")),
        #[cfg(feature = "ssb-secret-file")]
        Box::new(
            Keypair::from_ssb_secret_file(std::path::Path::new("/nonexistent/secret"))
                .expect_err("missing"),
        ),
    ]
}

#[test]
fn no_message_repeats_its_sources_text() {
    for error in representative() {
        let mut links = vec![error.to_string()];
        let mut source = error.source();
        while let Some(cause) = source {
            links.push(cause.to_string());
            source = cause.source();
        }
        for pair in links.windows(2) {
            assert!(
                !pair[0].contains(&pair[1]),
                "{:?} repeats its source {:?}",
                pair[0],
                pair[1]
            );
        }
    }
}

#[test]
fn debug_says_what_display_says() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let key = Keypair::generate().public().to_base64();
    let dialled = runtime
        .block_on(dial::connect(
            &client(),
            &format!("net:127.0.0.1:{}~shs:{key}", refused_port()),
        ))
        .expect_err("refused");
    let shown = dialled.to_string();
    assert!(format!("{dialled:?}").starts_with(&shown), "{dialled:?}");
    assert!(!format!("{dialled:?}").contains("attempts: ["));
    let failure = Failure::Tls(nested());
    assert_eq!(
        format!("{failure:?}"),
        "TLS handshake failed: certificate not trusted\n  caused by: unknown issuer"
    );
    let handshake = HandshakeError::PeerClosed(Phase::ClientAuth);
    assert_eq!(format!("{handshake:?}"), handshake.to_string());
}

/// The key is refused before anything is dialled: no phase of a handshake is named.
#[test]
fn an_invalid_server_key_names_no_phase() {
    let e = HandshakeError::InvalidServerKey;
    assert_eq!(e.phase(), None);
    assert!(!e.to_string().contains("phase"), "{e}");
}
