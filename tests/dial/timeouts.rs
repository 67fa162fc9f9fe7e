//! The attempt and total timeouts, against a listener that accepts and never answers.

use std::time::{Duration, Instant};

use secret_handshake::dial::{Dialer, Failure, Step};
use secret_handshake::{HandshakeError, Keypair};

use super::common::dial::{any_server, exchange, tcp_echo_server};
use super::common::net;
use super::{net_addr, refused_port};

/// A listener whose connections the kernel accepts and nobody ever reads or answers.
fn blackhole() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local address").port();
    (listener, port)
}

/// A client whose own handshake timeout is off: only the dialler's timeouts count.
fn patient_client() -> secret_handshake::Client {
    secret_handshake::Client::new(Keypair::generate(), net())
        .with_limits(secret_handshake::Limits::default().with_handshake_timeout(None))
}

#[tokio::test]
async fn a_silent_peer_times_out_per_attempt_and_the_next_is_tried() {
    let (_hole, hole_port) = blackhole();
    let server = any_server();
    let key = *server.identity();
    let (port, _task) = tcp_echo_server(server).await;
    let dialer = Dialer::new().attempt_timeout(Duration::from_millis(300));

    let started = Instant::now();
    let error = dialer
        .connect(&patient_client(), &net_addr(hole_port, &key))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(5),
        "{took:?}"
    );
    let [attempt] = error.attempts() else {
        panic!("{error}")
    };
    assert!(
        matches!(attempt.failure(), Failure::TimedOut { step: Step::Handshake, after } if *after == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(!error.is_total_timeout());
    assert_eq!(
        std::io::Error::from(error).kind(),
        std::io::ErrorKind::TimedOut
    );

    let list = format!("{};{}", net_addr(hole_port, &key), net_addr(port, &key));
    let stream = dialer
        .connect(&patient_client(), &list)
        .await
        .expect("the second entry");
    assert_eq!(
        exchange(stream, b"after the silence").await,
        b"after the silence"
    );
}

#[tokio::test]
async fn the_total_timeout_ends_the_dial_and_names_the_attempt_it_cut_short() {
    let (_one, first) = blackhole();
    let (_two, second) = blackhole();
    let key = *Keypair::generate().public();
    let list = format!(
        "{};{};{}",
        net_addr(first, &key),
        net_addr(second, &key),
        net_addr(refused_port(), &key)
    );
    let dialer = Dialer::new()
        .attempt_timeout(Duration::from_millis(400))
        .total_timeout(Duration::from_millis(600));

    let started = Instant::now();
    let error = dialer.connect(&patient_client(), &list).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert!(error.is_total_timeout(), "{error}");
    let failures: Vec<_> = error.attempts().iter().map(|a| a.failure()).collect();
    assert!(
        matches!(
            failures.as_slice(),
            [
                Failure::TimedOut { .. },
                Failure::TotalTimeout {
                    step: Step::Handshake
                }
            ]
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("total timeout"), "{error}");
    // The third entry was never reached.
    assert_eq!(error.attempts().len(), 2);
}

#[tokio::test]
async fn no_timeouts_at_all_is_a_valid_setting() {
    let key = *Keypair::generate().public();
    let dialer = Dialer::new()
        .attempt_timeout(Duration::MAX)
        .total_timeout(Duration::MAX);
    let error = dialer
        .connect(&patient_client(), &net_addr(refused_port(), &key))
        .await
        .unwrap_err();
    assert!(
        matches!(error.attempts()[0].failure(), Failure::Connect(e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
        "{error:?}"
    );

    let server = any_server();
    let key = *server.identity();
    let (port, _task) = tcp_echo_server(server).await;
    let stream = dialer
        .connect(&patient_client(), &net_addr(port, &key))
        .await
        .expect("connect");
    assert_eq!(exchange(stream, b"untimed").await, b"untimed");

    // A zero total timeout tries nothing, and says so.
    let error = Dialer::new()
        .total_timeout(Duration::ZERO)
        .connect(&patient_client(), &net_addr(port, &key))
        .await
        .unwrap_err();
    assert!(error.is_total_timeout(), "{error}");
}

/// Without a time driver no timeout can be kept: the dial says so, once, and tries no further
/// (it used to report "no address tried within the total timeout").
#[test]
fn a_runtime_without_a_time_driver_gets_no_time_driver_not_a_timeout() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let key = *Keypair::generate().public();
    let list = format!(
        "{};{}",
        net_addr(refused_port(), &key),
        net_addr(refused_port(), &key)
    );
    let error = runtime
        .block_on(Dialer::new().connect(&patient_client(), &list))
        .unwrap_err();
    assert!(!error.is_total_timeout(), "{error}");
    assert_eq!(error.attempts().len(), 1, "{error:?}");
    assert!(
        matches!(
            error.attempts()[0].failure(),
            Failure::Handshake(HandshakeError::NoTimeDriver)
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("enable_time"), "{error}");
}
