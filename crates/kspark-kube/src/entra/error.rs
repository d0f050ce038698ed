//! What can go wrong getting an Entra ID token; messages name the missing
//! setting and how to give it, and never carry a secret.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EntraError {
    #[error("cannot read the kubelogin arguments in the kubeconfig: {0}")]
    BadArgs(String),
    #[error("kubelogin --login {login} needs {what}: {how}")]
    Missing { login: String, what: &'static str, how: &'static str },
    #[error("kubelogin --login {login}: {reason}")]
    Setting { login: String, reason: String },
    #[error("the client certificate {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("Entra ID refused the token request ({via}): {reason}")]
    Token { via: String, reason: String },
    #[error("cannot set up the HTTP client for Entra ID: {0}")]
    Http(String),
}

impl EntraError {
    pub fn hint(&self) -> Option<String> {
        match self {
            EntraError::Token { via, .. } if via.contains("Azure CLI") => {
                Some("run `az login` (and `az account set`), then retry".into())
            }
            EntraError::Token { .. } => Some(
                "check the tenant, client id and secret or certificate; the AADSTS code explains the refusal (https://login.microsoftonline.com/error)".into(),
            ),
            EntraError::Certificate { .. } => {
                Some("give a PEM file holding the certificate and its unencrypted RSA private key".into())
            }
            _ => None,
        }
    }
}
