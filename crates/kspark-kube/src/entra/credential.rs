//! One Azure SDK (`azure_identity`) credential per kubelogin login method.

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredential, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use secrecy::ExposeSecret;

use super::az::PluginEnvExecutor;
use super::certificate::CertificateAssertion;
use super::error::EntraError;
use super::http::client_options;
use super::login::{EntraLogin, Login};

/// A new credential (with an empty token cache) for `login`.
pub fn build(entra: &EntraLogin) -> Result<Arc<dyn TokenCredential>, EntraError> {
    let sdk_error =
        |e: azure_core::Error| EntraError::Setting { login: entra.login.mode().into(), reason: e.to_string() };
    let client_options = client_options(&entra.authority_host)?;
    Ok(match &entra.login {
        Login::AzureCli { tenant_id, subscription } => {
            let options = AzureCliCredentialOptions {
                tenant_id: tenant_id.clone(),
                subscription: subscription.clone(),
                executor: Some(Arc::new(PluginEnvExecutor { env: entra.env.clone() })),
            };
            AzureCliCredential::new(Some(options)).map_err(sdk_error)?
        }
        Login::WorkloadIdentity { tenant_id, client_id, token_file } => {
            let options = WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions { client_options },
                client_id: Some(client_id.clone()),
                tenant_id: Some(tenant_id.clone()),
                token_file_path: Some(token_file.into()),
            };
            WorkloadIdentityCredential::new(Some(options)).map_err(sdk_error)?
        }
        Login::ClientSecret { tenant_id, client_id, secret } => {
            let secret = Secret::new(secret.expose_secret().to_string());
            let options = ClientSecretCredentialOptions { client_options };
            ClientSecretCredential::new(tenant_id, client_id.clone(), secret, Some(options)).map_err(sdk_error)?
        }
        Login::ClientCertificate { tenant_id, client_id, cert_path, has_password } => {
            let token_url = format!("{}{tenant_id}/oauth2/v2.0/token", entra.authority_host);
            let assertion = CertificateAssertion::from_file(cert_path, *has_password, client_id, &token_url)?;
            let options = ClientAssertionCredentialOptions { client_options };
            ClientAssertionCredential::new(tenant_id.clone(), client_id.clone(), assertion, Some(options))
                .map_err(sdk_error)?
        }
        Login::ManagedIdentity { client_id, resource_id } => {
            let user_assigned_id = match (client_id, resource_id) {
                (Some(id), _) => Some(UserAssignedId::ClientId(id.clone())),
                (None, Some(id)) => Some(UserAssignedId::ResourceId(id.clone())),
                (None, None) => None,
            };
            let options = ManagedIdentityCredentialOptions { user_assigned_id, client_options };
            ManagedIdentityCredential::new(Some(options)).map_err(sdk_error)?
        }
    })
}
