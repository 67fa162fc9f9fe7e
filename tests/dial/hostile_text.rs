//! Address text from peers is bounded: the heap a dial takes, the connections one list opens,
//! the size of the error, and local targets refused when asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use secret_handshake::dial::{self, Dialer, Failure, MAX_ADDRESS_TEXT, MAX_LIST_ENTRIES};
use secret_handshake::multiserver::parse_multiaddress;
use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::Keypair;
use tokio::net::TcpListener;

use super::common::dial::TempDir;
use super::common::heap;
use super::{client, net_addr};

/// The most heap a dial or a parse of hostile text may take on top of the text itself.
const HEAP_BOUND: isize = 8 << 20;

fn pathological_inputs() -> Vec<(&'static str, String)> {
    let key = Keypair::generate().public().to_base64();
    vec![
        ("1 MiB of ';'", ";".repeat(1 << 20)),
        ("8 KiB of ';'", ";".repeat(MAX_ADDRESS_TEXT)),
        ("8 KiB of '!;'", "!;".repeat(MAX_ADDRESS_TEXT / 2)),
        ("8 KiB of '~'", "~".repeat(MAX_ADDRESS_TEXT)),
        ("8 KiB of ':'", ":".repeat(MAX_ADDRESS_TEXT)),
        ("1 MiB of 'a'", "a".repeat(1 << 20)),
        (
            "1 MiB of transforms",
            format!("net:h:1{}", format!("~shs:{key}").repeat((1 << 20) / 50)),
        ),
        (
            "1 MiB of entries",
            format!("net:h:1~shs:{key};").repeat((1 << 20) / 60),
        ),
    ]
}

#[test]
fn hostile_text_peaks_under_8_mib_of_heap() {
    // On this thread only, so that the other tests of the binary do not count.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = client();
    for (what, text) in pathological_inputs() {
        let dialled = heap::thread_peak_of(|| {
            let error = runtime
                .block_on(dial::connect(&client, &text))
                .expect_err("nothing to reach");
            assert!(error.to_string().len() < 8 * 1024, "{what}: {error}");
        });
        assert!(
            dialled < HEAP_BOUND,
            "{what}: dial peaked at {dialled} bytes"
        );
        let parsed = heap::thread_peak_of(|| {
            assert!(MultiserverAddress::parse_list(&text).count() > 0);
            assert!(parse_multiaddress(&text).count() > 0);
        });
        assert!(
            parsed < HEAP_BOUND,
            "{what}: parse peaked at {parsed} bytes"
        );
    }
}

#[test]
fn text_over_the_cap_is_refused_whole() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let text = ";".repeat(MAX_ADDRESS_TEXT + 1);
    let error = runtime
        .block_on(dial::connect(&client(), &text))
        .expect_err("too long");
    assert!(
        matches!(
            error.attempts(),
            [one] if matches!(one.failure(), Failure::TooLong { bytes } if *bytes == text.len())
        ),
        "{error}"
    );
    assert_eq!(
        std::io::Error::from(error).kind(),
        std::io::ErrorKind::InvalidInput
    );
}

/// A listener that counts the connections it accepts and drops each at once (a hello that
/// goes unanswered: the dial moves on to the next entry).
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(tcp);
        }
    });
    (port, accepted)
}

/// Each attempt ends after the server dropped its connection, so by the time the dial returns
/// every connection it opened has been counted.
#[tokio::test]
async fn one_list_opens_at_most_16_connections_and_a_small_error() {
    let (port, accepted) = counting_listener().await;
    let key = *Keypair::generate().public();

    // As text: as many entries as fit in the cap.
    let entry = net_addr(port, &key);
    let fit = MAX_ADDRESS_TEXT / (entry.len() + 1);
    assert!(fit > MAX_LIST_ENTRIES, "{fit}");
    let text = vec![entry; fit].join(";");
    let error = dial::connect(&client(), &text).await.expect_err("hung up");
    assert_eq!(accepted.swap(0, Ordering::SeqCst), MAX_LIST_ENTRIES);
    assert_eq!(error.attempts().len(), MAX_LIST_ENTRIES);
    assert_eq!(error.skipped(), fit - MAX_LIST_ENTRIES);

    // Parsed already: 1,000 of them.
    let addresses: Vec<MultiserverAddress> = (0..1000)
        .map(|_| MultiserverAddress::net("127.0.0.1", port, key))
        .collect();
    let error = Dialer::new()
        .connect_to(&client(), &addresses)
        .await
        .expect_err("hung up");
    assert_eq!(accepted.load(Ordering::SeqCst), MAX_LIST_ENTRIES);
    assert_eq!(error.skipped(), 1000 - MAX_LIST_ENTRIES);
    let shown = error.to_string();
    assert!(shown.len() < 4096, "{} bytes: {shown}", shown.len());
    assert!(shown.contains("984 more entries not tried"), "{shown}");
    assert!(format!("{error:?}").len() < 4096);
}

#[tokio::test]
async fn refused_local_targets_open_no_connection() {
    let (port, accepted) = counting_listener().await;
    let key = *Keypair::generate().public();
    let dir = TempDir::new("refuse-local");
    let socket = dir.file("socket");
    let unix = tokio::net::UnixListener::bind(&socket).unwrap();
    let k = key.to_base64();
    let list = [
        net_addr(port, &key),
        format!("net:localhost:{port}~shs:{k}"),
        format!("net:[::1]:{port}~shs:{k}"),
        format!("net:0.0.0.0:{port}~shs:{k}"),
        format!("net:[::ffff:127.0.0.1]:{port}~shs:{k}"),
        format!("net:169.254.1.1:{port}~shs:{k}"),
        format!("ws://127.0.0.1:{port}~shs:{k}"),
        format!("unix:{socket}~shs:{k}"),
    ]
    .join(";");
    let dialer = Dialer::new().allow_local(false);
    let error = dialer.connect(&client(), &list).await.expect_err("local");
    assert_eq!(error.attempts().len(), 8, "{error}");
    for attempt in error.attempts() {
        assert!(
            matches!(attempt.failure(), Failure::Local),
            "{}",
            attempt.address()
        );
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
    // A connection made would be waiting already: one poll finds it.
    let nothing = tokio::time::timeout(std::time::Duration::ZERO, unix.accept()).await;
    assert!(nothing.is_err(), "the unix socket was dialled");

    // The default dials them.
    let error = Dialer::new()
        .connect(&client(), &net_addr(port, &key))
        .await
        .expect_err("hung up");
    assert!(!matches!(error.attempts()[0].failure(), Failure::Local));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
