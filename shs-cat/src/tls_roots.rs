//! `connect --tls-root FILE`: the certificates trusted for `wss://` instead of the webpki roots.

use std::io::Read;
use std::path::{Path, PathBuf};

use secret_handshake::websocket::rustls::pki_types::pem::PemObject;
use secret_handshake::websocket::rustls::pki_types::CertificateDer;
use secret_handshake::websocket::rustls::RootCertStore;

/// The most a root file may hold: Mozilla's whole bundle is about 250 KB, and a bound keeps
/// `--tls-root /dev/zero` from filling memory.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The certificates in `paths` (PEM, any number per file), or `None` without paths. Each file
/// must hold at least one certificate; errors name the file.
pub fn load(paths: &[PathBuf]) -> Result<Option<RootCertStore>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut store = RootCertStore::empty();
    for path in paths {
        let named = |e: &dyn std::fmt::Display| format!("TLS root file {}: {e}", path.display());
        let pem = read(path).map_err(|e| named(&e))?;
        let certificates = parse(&pem).map_err(|e| named(&e))?;
        for (index, certificate) in certificates.into_iter().enumerate() {
            store.add(certificate).map_err(|e| {
                named(&format_args!(
                    "certificate {}: not a usable root: {e}",
                    index + 1
                ))
            })?;
        }
    }
    Ok(Some(store))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut pem = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(|e| e.to_string())?;
    if pem.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    Ok(pem)
}

/// The `CERTIFICATE` sections of a PEM text (other sections, such as keys, are skipped).
fn parse(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM: {e}"))?;
    if certificates.is_empty() {
        return Err("no certificates: expected PEM `-----BEGIN CERTIFICATE-----` sections".into());
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_an_error() {
        for text in [
            "",
            "just text\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let e = parse(text.as_bytes()).expect_err(text);
            assert!(e.starts_with("no certificates"), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_broken_section_is_an_error() {
        let e = parse(b"-----BEGIN CERTIFICATE-----\nAAAA\n").expect_err("no end");
        assert!(e.starts_with("not PEM"), "{e}");
    }

    #[test]
    fn a_section_that_is_no_certificate_is_not_a_root() {
        let dir = std::env::temp_dir().join(format!("shs-cat-tls-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("junk.pem");
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let e = load(std::slice::from_ref(&path)).expect_err("junk");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            e.contains("junk.pem: certificate 1: not a usable root"),
            "{e}"
        );
    }

    #[test]
    fn no_files_keep_the_default_roots() {
        assert!(load(&[]).expect("nothing to read").is_none());
    }
}
