//! The HTTP client the Azure SDK sends token requests with: reqwest on
//! rustls with ring and the system's certificate authorities
//! (`SSL_CERT_FILE` / `SSL_CERT_DIR` override them), so no second crypto
//! provider (aws-lc-rs) joins kube's.

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::http::{ClientOptions, Transport};

use super::error::EntraError;

/// SDK client options: kspark's transport and the authority host.
pub fn client_options(authority_host: &str) -> Result<ClientOptions, EntraError> {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority_host.trim_end_matches('/').to_string();
    Ok(ClientOptions {
        transport: Some(Transport::new(Arc::new(reqwest_client()?))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        ..Default::default()
    })
}

fn reqwest_client() -> Result<reqwest::Client, EntraError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EntraError::Http(e.to_string()))?
        .with_root_certificates(root_store()?)
        .with_no_client_auth();
    reqwest::Client::builder().tls_backend_preconfigured(tls).build().map_err(|e| EntraError::Http(e.to_string()))
}

fn root_store() -> Result<rustls::RootCertStore, EntraError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found.errors.first().map(|e| format!(": {e}")).unwrap_or_default();
        return Err(EntraError::Http(format!(
            "no certificate authority found on this system (set SSL_CERT_FILE){why}"
        )));
    }
    Ok(roots)
}
