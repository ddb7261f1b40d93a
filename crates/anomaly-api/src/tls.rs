//! HTTPS with rustls (`--tls-cert`, `--tls-key`): the certificate chain and key are read from
//! PEM files once, at start-up; TLS 1.2 and 1.3 with rustls' safe defaults (ring's primitives).

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is unreadable or holds no PEM certificate.
    #[error("--tls-cert {path}: {source}")]
    Certificate {
        /// The file.
        path: String,
        /// What the PEM reader found.
        source: rustls::pki_types::pem::Error,
    },
    /// The key file is unreadable or holds no PEM private key.
    #[error("--tls-key {path}: {source}")]
    Key {
        /// The file.
        path: String,
        /// What the PEM reader found.
        source: rustls::pki_types::pem::Error,
    },
    /// rustls refused the pair (e.g. the key does not match the certificate).
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server configuration serving the chain in `cert` with the key in `key`.
pub fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .and_then(|certs| {
            if certs.is_empty() {
                Err(rustls::pki_types::pem::Error::NoItemsFound)
            } else {
                Ok(certs)
            }
        })
        .map_err(|source| TlsError::Certificate {
            path: cert.display().to_string(),
            source,
        })?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Key {
        path: key.display().to_string(),
        source,
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    // HTTP/1.1 only: the service's streaming answers are Server-Sent Events over HTTP/1.1.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
