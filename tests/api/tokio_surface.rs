//! What a tokio-rustls user expects to find: fallible staged accept,
//! `get_mut` mid-handshake, reunited `split_with` halves, `into_inner` on halves, raw file
//! descriptors, splits without a `Clone` auth value, a server without an authorizer; and the
//! same answers everywhere (phase names, empty writes, polling after completion).

use crate::common;

use common::net;
use secret_handshake::{
    AllowAll, BoxStream, Client, HandshakeError, Keypair, NetworkKey, Phase, Server,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An auth value that cannot be cloned.
#[derive(Debug, PartialEq)]
struct Ticket(u32);

/// A connected TCP pair whose server side carries a `Ticket`.
async fn tcp_pair_with_ticket() -> (BoxStream<TcpStream>, BoxStream<TcpStream, Ticket>) {
    let server = Server::without_authorizer(Keypair::generate(), net());
    let client = Client::new(Keypair::generate(), net());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accept = async {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut authenticate = server.authenticate(tcp);
        authenticate.get_mut().unwrap().set_nodelay(true).unwrap(); // socket options mid-way
        authenticate.await.unwrap().accept_with(Ticket(42)).await
    };
    let connect = async {
        let tcp = TcpStream::connect(address).await.unwrap();
        let mut connect = client.connect(tcp, server.identity());
        connect.get_mut().unwrap().set_nodelay(true).unwrap();
        connect.await
    };
    let (c, s) = tokio::join!(connect, accept);
    (c.unwrap(), s.unwrap())
}

#[tokio::test]
async fn authenticate_into_fallible_gives_the_transport_back_on_failure() {
    let server = Server::without_authorizer(Keypair::generate(), net());
    let stranger = Client::new(Keypair::generate(), NetworkKey::from_bytes([3; 32]));
    let (c, s) = tokio::io::duplex(4096);
    let (_, authenticated) = tokio::join!(
        stranger.connect(c, server.identity()),
        server.authenticate(s).into_fallible(),
    );
    let (error, mut transport) = authenticated.unwrap_err();
    assert!(
        matches!(error, HandshakeError::InvalidHello(Phase::ClientHello)),
        "{error}"
    );
    // The transport is ours and still usable: the peer has hung up, so it reads EOF.
    assert_eq!(transport.read(&mut [0; 8]).await.unwrap(), 0);
}

#[tokio::test]
async fn get_mut_reaches_the_transport_mid_handshake_and_none_after() {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(4096);
    let mut connect = client.connect(c, server.identity());
    let mut accept = server.accept(s);
    assert!(connect.get_mut().is_some() && accept.get_mut().is_some());
    let (c, s) = tokio::join!(&mut connect, &mut accept);
    assert!(c.is_ok() && s.is_ok());
    assert!(connect.get_mut().is_none() && accept.get_mut().is_none());
}

#[tokio::test]
async fn split_with_halves_reunite_and_keep_working() {
    let (client, server) = tcp_pair_with_ticket().await;
    let (reader, mut writer) = server.split_with(TcpStream::into_split);
    assert_eq!(reader.auth(), &Ticket(42)); // both halves see it; `Ticket` is not `Clone`
    assert_eq!(writer.auth(), &Ticket(42));
    writer.write_all(b"before").await.unwrap();
    writer.flush().await.unwrap();
    let mut server = reader
        .reunite_with(writer, |r, w| r.reunite(w).map_err(|e| (e.0, e.1)))
        .expect("halves of one stream");
    assert_eq!(server.auth(), &Ticket(42));
    server.write_all(b" and after").await.unwrap();
    server.shutdown().await.unwrap();
    let mut client = client;
    let mut got = String::new();
    client.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "before and after");
}

#[tokio::test]
async fn halves_of_different_streams_are_handed_back_unchanged() {
    let (_c1, one) = tcp_pair_with_ticket().await;
    let (_c2, two) = tcp_pair_with_ticket().await;
    let (reader, _) = one.split_with(TcpStream::into_split);
    let (_, writer) = two.split_with(TcpStream::into_split);
    // Our own pairing check refuses them before `join` is asked.
    let (reader, writer) = reader
        .reunite_with(writer, |r, w| Err::<TcpStream, _>((r, w)))
        .unwrap_err();
    assert_eq!((reader.auth(), writer.auth()), (&Ticket(42), &Ticket(42)));

    // `into_split` halves (tokio's lock) reunite too, without a `Clone` auth value.
    let (_c3, three) = tcp_pair_with_ticket().await;
    let (r, w) = three.into_split();
    let three = r.reunite(w).expect("one stream");
    assert_eq!(three.auth(), &Ticket(42));
}

#[tokio::test]
async fn halves_give_their_transport_halves_back() {
    let (_client, server) = tcp_pair_with_ticket().await;
    let local = server.get_ref().local_addr().unwrap();
    let (reader, writer) = server.split_with(TcpStream::into_split);
    let (r, w) = (reader.into_inner(), writer.into_inner());
    assert_eq!(r.local_addr().unwrap(), local);
    assert_eq!(w.local_addr().unwrap(), local);
}

#[cfg(unix)]
#[tokio::test]
async fn a_tcp_box_stream_has_the_sockets_file_descriptor() {
    use std::os::fd::{AsFd, AsRawFd};
    let (client, _server) = tcp_pair_with_ticket().await;
    let fd = client.as_raw_fd();
    assert_eq!(fd, client.get_ref().as_raw_fd());
    assert_eq!(client.as_fd().as_raw_fd(), fd);
}

#[tokio::test]
async fn an_http_answer_to_our_hello_says_it_is_probably_a_websocket_endpoint() {
    let client = Client::new(Keypair::generate(), net());
    let (c, mut s) = tokio::io::duplex(4096);
    let http_server = async move {
        let mut hello = [0; 64];
        s.read_exact(&mut hello).await.unwrap();
        let reply = "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        s.write_all(reply.as_bytes()).await.unwrap();
        s
    };
    let server_key = *Keypair::generate().public();
    let (dialled, _s) = tokio::join!(client.connect(c, &server_key), http_server);
    let error = dialled.unwrap_err();
    assert!(matches!(error, HandshakeError::HttpReply), "{error:?}");
    assert_eq!(error.phase(), Some(Phase::ServerHello));
    let text = error.to_string();
    assert!(text.contains("phase 2") && text.contains("ws://"), "{text}");
    assert_eq!(
        std::io::Error::from(error).kind(),
        std::io::ErrorKind::InvalidData
    );
}

#[test]
fn a_phase_prints_its_number_and_on_request_its_name() {
    assert_eq!(Phase::ClientAuth.to_string(), "phase 3"); // as the JS reference numbers them
    assert_eq!(format!("{:#}", Phase::ClientAuth), "phase 3, client auth");
    assert_eq!(format!("{:?}", Phase::ClientAuth), "ClientAuth");
    assert_eq!(Phase::ServerAccept.name(), "server accept");
}

#[tokio::test]
async fn an_empty_write_is_ok_while_open_and_broken_pipe_after_shutdown() {
    let (mut client, _server) = tcp_pair_with_ticket().await;
    assert_eq!(client.write(&[]).await.unwrap(), 0);
    client.shutdown().await.unwrap();
    let error = client.write(&[]).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
}

/// A client whose server hangs up at once, polled to completion and then once more.
async fn poll_twice<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let _first = future.as_mut().await;
    future.as_mut().await
}

#[tokio::test]
async fn connect_polled_after_completion_is_a_misuse_error() {
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(4096);
    drop(s);
    let server_key = *Keypair::generate().public();
    let again = poll_twice(client.connect(c, &server_key)).await;
    assert!(matches!(again, Err(HandshakeError::Misuse(_))));
}

#[tokio::test]
#[should_panic(expected = "FallibleConnect polled after completion")]
async fn fallible_connect_polled_after_completion_panics_naming_itself() {
    let client = Client::new(Keypair::generate(), net());
    let (c, s) = tokio::io::duplex(4096);
    drop(s);
    let server_key = *Keypair::generate().public();
    let _ = poll_twice(client.connect(c, &server_key).into_fallible()).await;
}
