//! [`DialOptions`]: how [`open`](super::open) dials, and TLS for `wss://` (feature `wss`).

#[cfg(feature = "wss")]
use std::sync::{Arc, OnceLock};

use tokio::net::TcpStream;
#[cfg(feature = "wss")]
use tokio_rustls::rustls::{self, pki_types::ServerName, ClientConfig, RootCertStore};

use super::stream::WsStream;
use super::{Config, Error};

/// How [`open`](super::open) dials: the connection's [`Config`] and, for `wss://`, the TLS
/// configuration (default: rustls with the ring provider and Mozilla's root certificates, from
/// `webpki-roots`, so the host's certificate store plays no part).
#[derive(Clone, Debug, Default)]
pub struct DialOptions {
    pub(super) config: Config,
    #[cfg(feature = "wss")]
    tls: Option<Arc<ClientConfig>>,
}

impl DialOptions {
    /// The connection's limits and timeout.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Trusts `roots` instead of the webpki roots for `wss://` (a private CA, or
    /// `rustls-native-certs`' platform store).
    #[cfg(feature = "wss")]
    pub fn with_root_certificates(self, roots: RootCertStore) -> Self {
        self.with_tls_config(client_config(roots))
    }

    /// Uses `config` for `wss://`, as it is (client certificates, another crypto provider,
    /// a custom verifier).
    #[cfg(feature = "wss")]
    pub fn with_tls_config(mut self, config: Arc<ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// The connection's limits and timeout.
    pub fn config(&self) -> &Config {
        &self.config
    }

    #[cfg(feature = "wss")]
    pub(crate) async fn tls_connect(&self, tcp: TcpStream, host: &str) -> Result<WsStream, Error> {
        static WEBPKI: OnceLock<Arc<ClientConfig>> = OnceLock::new();
        let config = match &self.tls {
            Some(config) => Arc::clone(config),
            None => Arc::clone(WEBPKI.get_or_init(|| {
                client_config(RootCertStore::from_iter(
                    webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
                ))
            })),
        };
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| Error::Tls(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(Error::Tls)?;
        Ok(WsStream::tls(tls))
    }

    #[cfg(not(feature = "wss"))]
    pub(crate) async fn tls_connect(&self, _: TcpStream, _: &str) -> Result<WsStream, Error> {
        Err(Error::Unsupported(
            "wss:// needs TLS: enable the crate's `wss` feature (or open the TLS stream \
             yourself and use WsTransport::connect_with)",
        ))
    }
}

/// rustls with the ring provider, its safe default protocol versions and `roots`.
#[cfg(feature = "wss")]
fn client_config(roots: RootCertStore) -> Arc<ClientConfig> {
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            // ring supports every version rustls enables by default, so this cannot fail.
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    Arc::new(config)
}
