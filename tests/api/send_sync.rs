//! Which futures, streams and values can be spawned and shared: `Send` everywhere, `Sync`
//! except where a future holds the authorizer's (only `Send`) future. Compiling is the test.

use secret_handshake::{
    AcceptSession, AllowAll, BoxFramed, Client, ConnectSession, DynAuthorize, FallibleAuthenticate,
    Keypair, NetworkKey, Server,
};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}
fn send_value<T: Send>(_: &T) {}

/// An application's value for an authenticated peer.
struct Ticket;

#[test]
fn handshakes_and_streams() {
    send_sync::<Client>();
    send_sync::<Server<AllowAll>>();
    send_sync::<secret_handshake::Connect<TcpStream>>();
    send_sync::<ConnectSession<TcpStream>>();
    send_sync::<secret_handshake::Authenticate<TcpStream>>();
    send_sync::<FallibleAuthenticate<TcpStream>>();
    send_sync::<secret_handshake::Authenticated<TcpStream>>();
    // Only `Send`: they hold the authorizer's future, which is only `Send`.
    send::<secret_handshake::Accept<TcpStream>>();
    send::<AcceptSession<TcpStream, Ticket>>();
    send_sync::<DynAuthorize<Ticket>>();
    send_sync::<secret_handshake::BoxStream<TcpStream>>();
    send_sync::<secret_handshake::BoxReader<OwnedReadHalf>>();
    send_sync::<secret_handshake::BoxWriter<OwnedWriteHalf>>();
    send_sync::<BoxFramed<TcpStream>>();
    send::<secret_handshake::DynBoxStream>();
}

#[test]
fn dials() {
    use secret_handshake::dial;
    let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
    send_value(&dial::connect(&client, ""));
    send_value(&dial::connect_noauth(""));
    send_sync::<dial::DialError>();
    send_sync::<secret_handshake::Connection>();
    send_sync::<secret_handshake::Listener<AllowAll>>();
    send_sync::<secret_handshake::BoxStream<secret_handshake::Connection>>();
}

#[cfg(feature = "websocket")]
#[test]
fn websockets() {
    use secret_handshake::dial::Dialer;
    use secret_handshake::multiserver::MultiserverAddress;
    use secret_handshake::websocket::{self, WsTransport};
    send_sync::<WsTransport<TcpStream>>();
    send_sync::<secret_handshake::BoxStream<WsTransport<TcpStream>>>();
    let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
    let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
    let address = MultiserverAddress::ws("127.0.0.1", 1, *Keypair::generate().public());
    send_value(&Dialer::new().connect_to(&client, &[address]));
    send_value(&websocket::accept(&server, tokio::io::duplex(1).0));
}
