//! Entra ID (AKS) credentials without kubelogin: a kubeconfig user whose
//! exec section runs `kubelogin get-token` is served in-process with the
//! Azure SDK for the logins that need no person (azurecli,
//! workloadidentity, spn, msi); device-code and browser logins still run
//! kubelogin.

mod az;
mod certificate;
mod credential;
pub mod error;
mod http;
mod layer;
pub mod login;
pub mod options;
mod tokens;

use kube::config::ExecConfig;

pub use error::EntraError;
pub use layer::EntraAuthLayer;
pub use login::{EntraLogin, Login};
pub use tokens::{EntraTokens, IssuedToken};

use options::{PluginEnv, apply_env, parse_args};

/// The arguments after `get-token` when `exec` runs kubelogin's
/// `get-token` (as `az aks get-credentials` + `kubelogin convert-kubeconfig`
/// write it).
pub fn kubelogin_get_token_args(exec: &ExecConfig) -> Option<&[String]> {
    let command = exec.command.as_deref()?;
    let program = std::path::Path::new(command).file_name()?.to_str()?;
    let args = exec.args.as_deref()?;
    let is_kubelogin = program == "kubelogin" || program.eq_ignore_ascii_case("kubelogin.exe");
    (is_kubelogin && args.first().map(String::as_str) == Some("get-token")).then(|| &args[1..])
}

/// The login kspark performs itself for this exec section, if any: parsed
/// and checked as kubelogin would, with the section's `env` on top of
/// kspark's environment.
pub fn login_for(exec: &ExecConfig) -> Result<Option<EntraLogin>, EntraError> {
    let Some(args) = kubelogin_get_token_args(exec) else {
        return Ok(None);
    };
    let mut opts = parse_args(args)?;
    let set =
        exec.env.iter().flatten().filter_map(|pair| Some((pair.get("name")?.clone(), pair.get("value")?.clone())));
    let env = PluginEnv::new(set, exec.drop_env.iter().flatten().cloned());
    apply_env(&mut opts, &env);
    // kubelogin's workloadidentity turns into GitHub Actions OIDC when these
    // are set; that flow stays with kubelogin.
    let github_actions = ["ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"]
        .iter()
        .all(|name| env.get(name).is_some_and(|v| !v.is_empty()));
    if opts.login == "workloadidentity" && github_actions {
        return Ok(None);
    }
    login::resolve(&opts, &env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(command: &str, args: &[&str]) -> ExecConfig {
        ExecConfig {
            command: Some(command.into()),
            args: Some(args.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn only_kubelogin_get_token_is_recognised() {
        assert!(kubelogin_get_token_args(&exec("/usr/local/bin/kubelogin", &["get-token", "-l", "msi"])).is_some());
        assert!(kubelogin_get_token_args(&exec("kubelogin", &["convert-kubeconfig"])).is_none());
        assert!(kubelogin_get_token_args(&exec("aws", &["get-token"])).is_none());
    }
}
