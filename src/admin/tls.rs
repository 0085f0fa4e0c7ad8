//! TLS for the operators' port: rustls (no OpenSSL), a certificate chain
//! and a private key from PEM files. Passwords and session cookies never
//! cross a network in clear text; the box port stays plain HTTP, as boxes
//! on the cable network cannot speak modern TLS.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A server configuration from `cert` (PEM, the chain, leaf first) and
/// `key` (PEM: PKCS#8, PKCS#1 or SEC1). TLS 1.2 and 1.3, HTTP/1.1.
pub(crate) fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read the certificate {} (--admin-tls-cert)", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate (--admin-tls-cert)", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate (--admin-tls-cert)", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read a private key from {} (--admin-tls-key)", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and the key do not belong together (--admin-tls-cert, --admin-tls-key)")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
