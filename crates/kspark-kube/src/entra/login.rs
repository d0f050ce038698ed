//! Which token request a kubelogin command line stands for, checked the
//! way kubelogin checks it, with every missing setting named.

use secrecy::SecretString;

use super::error::EntraError;
use super::options::{KubeloginOptions, PluginEnv, scope};

/// A login kspark performs itself.
#[derive(Debug, Clone)]
pub enum Login {
    AzureCli { tenant_id: Option<String>, subscription: Option<String> },
    WorkloadIdentity { tenant_id: String, client_id: String, token_file: String },
    ClientSecret { tenant_id: String, client_id: String, secret: SecretString },
    ClientCertificate { tenant_id: String, client_id: String, cert_path: String, has_password: bool },
    ManagedIdentity { client_id: Option<String>, resource_id: Option<String> },
}

impl Login {
    /// How the token is obtained, for `kspark auth` and errors.
    pub fn describe(&self) -> &'static str {
        match self {
            Login::AzureCli { .. } => "Azure CLI (az account get-access-token)",
            Login::WorkloadIdentity { .. } => "workload identity",
            Login::ClientSecret { .. } => "service principal with a client secret",
            Login::ClientCertificate { .. } => "service principal with a client certificate",
            Login::ManagedIdentity { .. } => "managed identity",
        }
    }

    /// For `kspark auth`: how, with what, for which kubelogin mode.
    pub fn via(&self) -> &'static str {
        match self {
            Login::AzureCli { .. } => "Azure CLI (azure_identity runs `az`; kubelogin --login azurecli)",
            Login::WorkloadIdentity { .. } => "workload identity (azure_identity; kubelogin --login workloadidentity)",
            Login::ClientSecret { .. } => {
                "service principal with a client secret (azure_identity; kubelogin --login spn)"
            }
            Login::ClientCertificate { .. } => {
                "service principal with a client certificate (azure_identity, assertion signed by kspark; kubelogin --login spn)"
            }
            Login::ManagedIdentity { .. } => "managed identity (azure_identity; kubelogin --login msi)",
        }
    }

    pub fn mode(&self) -> &'static str {
        match self {
            Login::AzureCli { .. } => "azurecli",
            Login::WorkloadIdentity { .. } => "workloadidentity",
            Login::ClientSecret { .. } | Login::ClientCertificate { .. } => "spn",
            Login::ManagedIdentity { .. } => "msi",
        }
    }
}

/// A kubelogin invocation kspark can serve in-process.
#[derive(Debug, Clone)]
pub struct EntraLogin {
    pub login: Login,
    pub scope: String,
    /// Where tokens are requested (`https://login.microsoftonline.com/` …).
    pub authority_host: String,
    /// The environment kubelogin would run in (for `az`).
    pub env: PluginEnv,
}

/// `Ok(None)` for the logins that need a person (devicecode, interactive)
/// or that kspark leaves to kubelogin: those still run kubelogin.
pub fn resolve(opts: &KubeloginOptions, env: &PluginEnv) -> Result<Option<EntraLogin>, EntraError> {
    // ADAL (`spn:` audience) and PoP tokens are kubelogin's own flows.
    if opts.legacy || opts.pop_enabled {
        return Ok(None);
    }
    let login = match opts.login.as_str() {
        "azurecli" => azure_cli(opts),
        "workloadidentity" => workload_identity(opts)?,
        "spn" => service_principal(opts)?,
        "msi" => managed_identity(opts),
        "devicecode" | "interactive" | "ropc" | "azd" | "azurepipelines" => return Ok(None),
        other => {
            return Err(EntraError::BadArgs(format!(
                "'{other}' is not a supported login method; kubelogin supports devicecode, interactive, spn, ropc, msi, azurecli, azd, workloadidentity, azurepipelines"
            )));
        }
    };
    if opts.server_id.is_empty() {
        return Err(missing(
            opts,
            "the AKS server application id",
            "add `--server-id <id>` to the exec args (`az aks get-credentials` writes it)",
        ));
    }
    Ok(Some(EntraLogin {
        login,
        scope: scope(&opts.server_id),
        authority_host: authority_host(opts)?,
        env: env.clone(),
    }))
}

fn missing(opts: &KubeloginOptions, what: &'static str, how: &'static str) -> EntraError {
    EntraError::Missing { login: opts.login.clone(), what, how }
}

fn some(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

fn azure_cli(opts: &KubeloginOptions) -> Login {
    Login::AzureCli { tenant_id: some(&opts.tenant_id), subscription: some(&opts.subscription) }
}

fn workload_identity(opts: &KubeloginOptions) -> Result<Login, EntraError> {
    if opts.client_id.is_empty() {
        return Err(missing(
            opts,
            "a client id",
            "set AZURE_CLIENT_ID (the workload identity webhook does) or add `--client-id`",
        ));
    }
    if opts.tenant_id.is_empty() {
        return Err(missing(opts, "a tenant id", "set AZURE_TENANT_ID or add `--tenant-id`"));
    }
    if opts.federated_token_file.is_empty() {
        return Err(missing(
            opts,
            "a federated token file",
            "set AZURE_FEDERATED_TOKEN_FILE or add `--federated-token-file`",
        ));
    }
    Ok(Login::WorkloadIdentity {
        tenant_id: opts.tenant_id.clone(),
        client_id: opts.client_id.clone(),
        token_file: opts.federated_token_file.clone(),
    })
}

fn service_principal(opts: &KubeloginOptions) -> Result<Login, EntraError> {
    if opts.client_id.is_empty() {
        return Err(missing(
            opts,
            "a client id",
            "set AAD_SERVICE_PRINCIPAL_CLIENT_ID or AZURE_CLIENT_ID, or add `--client-id`",
        ));
    }
    if opts.tenant_id.is_empty() {
        return Err(missing(opts, "a tenant id", "set AZURE_TENANT_ID or add `--tenant-id`"));
    }
    let (tenant_id, client_id) = (opts.tenant_id.clone(), opts.client_id.clone());
    if !opts.client_cert.is_empty() {
        let cert_path = opts.client_cert.clone();
        return Ok(Login::ClientCertificate {
            tenant_id,
            client_id,
            cert_path,
            has_password: !opts.client_cert_password.is_empty(),
        });
    }
    if opts.client_secret.is_empty() {
        return Err(missing(
            opts,
            "a client secret",
            "set AAD_SERVICE_PRINCIPAL_CLIENT_SECRET or AZURE_CLIENT_SECRET (or a certificate: AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE / AZURE_CLIENT_CERTIFICATE_PATH)",
        ));
    }
    Ok(Login::ClientSecret { tenant_id, client_id, secret: SecretString::from(opts.client_secret.clone()) })
}

fn managed_identity(opts: &KubeloginOptions) -> Login {
    // kubelogin: a client id wins over a resource id.
    let client_id = some(&opts.client_id);
    let resource_id = if client_id.is_none() { some(&opts.identity_resource_id) } else { None };
    Login::ManagedIdentity { client_id, resource_id }
}

/// kubelogin's `GetCloudConfiguration`: `--authority-host` (which must end
/// in `/`), else the host of `--environment`.
fn authority_host(opts: &KubeloginOptions) -> Result<String, EntraError> {
    if !opts.authority_host.is_empty() {
        let host = &opts.authority_host;
        let parsed: Result<http::Uri, _> = host.parse();
        let ok = parsed.as_ref().is_ok_and(|u| u.scheme().is_some() && u.host().is_some());
        if !ok {
            return Err(EntraError::Setting {
                login: opts.login.clone(),
                reason: format!("authority host {host:?} is not valid"),
            });
        }
        if !host.ends_with('/') {
            return Err(EntraError::Setting {
                login: opts.login.clone(),
                reason: format!("authority host {host:?} should have a trailing slash"),
            });
        }
        return Ok(host.clone());
    }
    Ok(match opts.environment.to_uppercase().as_str() {
        "AZUREUSGOVERNMENT" | "AZUREUSGOVERNMENTCLOUD" => "https://login.microsoftonline.us/",
        "AZURECHINACLOUD" => "https://login.chinacloudapi.cn/",
        _ => "https://login.microsoftonline.com/",
    }
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entra::options::parse_args;

    fn resolve_args(list: &[&str]) -> Result<Option<EntraLogin>, EntraError> {
        let args: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        resolve(&parse_args(&args)?, &PluginEnv::default())
    }

    #[test]
    fn browser_logins_are_left_to_kubelogin() -> Result<(), EntraError> {
        assert!(resolve_args(&["--server-id", "s"])?.is_none());
        assert!(resolve_args(&["-l", "interactive", "--server-id", "s"])?.is_none());
        Ok(())
    }

    #[test]
    fn a_missing_secret_is_named_with_its_variables() {
        let err = resolve_args(&["-l", "spn", "--server-id", "s", "--client-id", "c", "-t", "t"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("kubelogin --login spn needs a client secret"), "{err}");
        assert!(err.contains("AAD_SERVICE_PRINCIPAL_CLIENT_SECRET"), "{err}");
    }

    #[test]
    fn legacy_and_pop_tokens_are_left_to_kubelogin() -> Result<(), EntraError> {
        assert!(resolve_args(&["-l", "spn", "--server-id", "s", "--legacy"])?.is_none());
        let pop = ["-l", "spn", "--server-id", "s", "--pop-enabled", "--pop-claims", "u=x"];
        assert!(resolve_args(&pop)?.is_none());
        Ok(())
    }

    #[test]
    fn a_missing_server_id_is_named() {
        let err = resolve_args(&["-l", "azurecli"]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("server application id") && err.contains("--server-id"), "{err}");
    }

    #[test]
    fn authority_host_follows_kubelogin() -> Result<(), EntraError> {
        let gov = resolve_args(&["-l", "azurecli", "--server-id", "s", "-e", "AzureUSGovernmentCloud"])?;
        assert_eq!(gov.map(|l| l.authority_host), Some("https://login.microsoftonline.us/".into()));
        let err = resolve_args(&["-l", "msi", "--server-id", "s", "--authority-host", "https://h"]).err();
        assert!(err.map(|e| e.to_string()).unwrap_or_default().contains("trailing slash"));
        Ok(())
    }

    #[test]
    fn msi_prefers_the_client_id() -> Result<(), EntraError> {
        let login =
            resolve_args(&["-l", "msi", "--server-id", "s", "--client-id", "c", "--identity-resource-id", "r"])?;
        assert!(matches!(
            login.map(|l| l.login),
            Some(Login::ManagedIdentity { client_id: Some(_), resource_id: None })
        ));
        Ok(())
    }
}
