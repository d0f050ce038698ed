//! `kubelogin --login spn --client-certificate`: the client assertion a
//! certificate-holding service principal presents to Entra ID — a JWT
//! (RS256, `x5t` = the certificate's SHA-1 thumbprint) signed with its RSA
//! key. The SDK's own certificate credential needs OpenSSL; ring signs here.

use azure_core::http::ClientMethodOptions;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use super::error::EntraError;

/// How long one assertion is valid; Entra accepts up to ten minutes.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// A certificate and its key, read from kubelogin's `--client-certificate`.
pub struct CertificateAssertion {
    client_id: String,
    audience: String,
    thumbprint: String,
    key: RsaKeyPair,
}

impl std::fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAssertion").field("thumbprint", &self.thumbprint).finish_non_exhaustive()
    }
}

impl CertificateAssertion {
    /// Reads a PEM file holding the certificate and its unencrypted key.
    /// `token_url` is the audience: the tenant's token endpoint.
    pub fn from_file(path: &str, has_password: bool, client_id: &str, token_url: &str) -> Result<Self, EntraError> {
        let bad = |reason: String| EntraError::Certificate { path: path.to_string(), reason };
        if has_password || path.to_ascii_lowercase().ends_with(".pfx") || path.to_ascii_lowercase().ends_with(".p12") {
            return Err(bad("PFX files and password-protected keys are not read by kspark".into()));
        }
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let blocks = pem::parse_many(&bytes).map_err(|e| bad(format!("not PEM: {e}")))?;
        let cert =
            blocks.iter().find(|b| b.tag() == "CERTIFICATE").ok_or_else(|| bad("no CERTIFICATE block in it".into()))?;
        let key = blocks
            .iter()
            .find_map(|b| match b.tag() {
                "PRIVATE KEY" => Some(RsaKeyPair::from_pkcs8(b.contents())),
                "RSA PRIVATE KEY" => Some(RsaKeyPair::from_der(b.contents())),
                _ => None,
            })
            .ok_or_else(|| bad("no unencrypted PRIVATE KEY or RSA PRIVATE KEY block in it".into()))?
            .map_err(|e| bad(format!("the key is not a usable RSA key: {e}")))?;
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.contents());
        Ok(CertificateAssertion {
            client_id: client_id.to_string(),
            audience: token_url.to_string(),
            thumbprint: URL_SAFE_NO_PAD.encode(sha1.as_ref()),
            key,
        })
    }

    /// A fresh signed assertion.
    pub fn sign(&self, now: i64) -> Result<String, EntraError> {
        let rng = SystemRandom::new();
        let mut id = [0u8; 16];
        rng.fill(&mut id).map_err(|_| self.failed("no randomness"))?;
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint});
        let claims = serde_json::json!({
            "aud": self.audience,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": id.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut signature)
            .map_err(|_| self.failed("RSA signing failed"))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    fn failed(&self, reason: &str) -> EntraError {
        EntraError::Certificate { path: format!("(thumbprint {})", self.thumbprint), reason: reason.into() }
    }
}

#[async_trait::async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(&self, _options: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        self.sign(jiff::Timestamp::now().as_second())
            .map_err(|e| azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string()))
    }
}
