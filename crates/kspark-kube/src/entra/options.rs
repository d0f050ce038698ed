//! The `kubelogin get-token` command line read the way kubelogin reads it
//! (pkg/internal/token/options.go: flag names, defaults, then
//! `UpdateFromEnv`), so kspark gets the token kubelogin would have got.

use std::collections::HashMap;

use super::error::EntraError;

/// kubelogin's options that matter for getting a token (secrets included;
/// `Debug` never shows them).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KubeloginOptions {
    pub login: String,
    pub server_id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub client_cert: String,
    pub client_cert_password: String,
    pub environment: String,
    pub authority_host: String,
    pub federated_token_file: String,
    pub identity_resource_id: String,
    pub subscription: String,
    pub legacy: bool,
    pub pop_enabled: bool,
    pub use_azurerm_env_vars: bool,
    pub disable_environment_override: bool,
}

impl std::fmt::Debug for KubeloginOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeloginOptions")
            .field("login", &self.login)
            .field("server_id", &self.server_id)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &if self.client_secret.is_empty() { "" } else { "(set)" })
            .field("client_cert", &self.client_cert)
            .finish_non_exhaustive()
    }
}

/// kubelogin's default login method and environment.
const DEFAULT_LOGIN: &str = "devicecode";
const DEFAULT_ENVIRONMENT: &str = "AzurePublicCloud";

/// Flags that take a value (long name, short name).
const VALUE_FLAGS: &[(&str, Option<char>)] = &[
    ("login", Some('l')),
    ("client-id", None),
    ("client-secret", None),
    ("client-certificate", None),
    ("client-certificate-password", None),
    ("username", None),
    ("password", None),
    ("identity-resource-id", None),
    ("server-id", None),
    ("federated-token-file", None),
    ("authority-host", None),
    ("azure-pipelines-service-connection-id", None),
    ("token-cache-dir", None),
    ("cache-dir", None),
    ("tenant-id", Some('t')),
    ("subscription", Some('s')),
    ("environment", Some('e')),
    ("timeout", None),
    ("pop-claims", None),
    ("redirect-url", None),
    ("login-hint", None),
    // root command's flags (klog)
    ("v", Some('v')),
];

const BOOL_FLAGS: &[&str] =
    &["legacy", "use-azurerm-env-vars", "pop-enabled", "disable-environment-override", "disable-instance-discovery"];

/// Parses the arguments after `get-token` (pflag syntax: `--name value`,
/// `--name=value`, `-l value`, `-lvalue`, booleans as `--name` or
/// `--name=false`).
pub fn parse_args(args: &[String]) -> Result<KubeloginOptions, EntraError> {
    let mut opts =
        KubeloginOptions { login: DEFAULT_LOGIN.into(), environment: DEFAULT_ENVIRONMENT.into(), ..Default::default() };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (name, inline) = split_flag(arg)?;
        if BOOL_FLAGS.contains(&name.as_str()) {
            let value = parse_bool(&name, inline.as_deref().unwrap_or("true"))?;
            set_bool(&mut opts, &name, value);
            continue;
        }
        if !VALUE_FLAGS.iter().any(|(long, _)| *long == name) {
            return Err(EntraError::BadArgs(format!("unknown flag `{arg}`")));
        }
        let value = match inline {
            Some(v) => v,
            None => iter.next().cloned().ok_or_else(|| EntraError::BadArgs(format!("flag `{arg}` needs a value")))?,
        };
        set_value(&mut opts, &name, value);
    }
    Ok(opts)
}

/// `--name=value` → (name, Some(value)); `-l` / `-lvalue` → (login, …).
fn split_flag(arg: &str) -> Result<(String, Option<String>), EntraError> {
    if let Some(long) = arg.strip_prefix("--") {
        return Ok(match long.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (long.to_string(), None),
        });
    }
    let mut chars = arg.strip_prefix('-').map(str::chars).into_iter().flatten();
    let short = chars.next().ok_or_else(|| EntraError::BadArgs(format!("unexpected argument `{arg}`")))?;
    let (long, _) = VALUE_FLAGS
        .iter()
        .find(|(_, s)| *s == Some(short))
        .ok_or_else(|| EntraError::BadArgs(format!("unknown flag `{arg}`")))?;
    let rest: String = chars.collect();
    let rest = rest.strip_prefix('=').map(str::to_string).unwrap_or(rest);
    Ok((long.to_string(), (!rest.is_empty()).then_some(rest)))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, EntraError> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(EntraError::BadArgs(format!("flag `--{name}` takes true or false, not `{value}`"))),
    }
}

fn set_bool(opts: &mut KubeloginOptions, name: &str, value: bool) {
    match name {
        "legacy" => opts.legacy = value,
        "use-azurerm-env-vars" => opts.use_azurerm_env_vars = value,
        "pop-enabled" => opts.pop_enabled = value,
        "disable-environment-override" => opts.disable_environment_override = value,
        _ => {}
    }
}

fn set_value(opts: &mut KubeloginOptions, name: &str, value: String) {
    let field = match name {
        "login" => &mut opts.login,
        "client-id" => &mut opts.client_id,
        "client-secret" => &mut opts.client_secret,
        "client-certificate" => &mut opts.client_cert,
        "client-certificate-password" => &mut opts.client_cert_password,
        "identity-resource-id" => &mut opts.identity_resource_id,
        "server-id" => &mut opts.server_id,
        "federated-token-file" => &mut opts.federated_token_file,
        "authority-host" => &mut opts.authority_host,
        "tenant-id" => &mut opts.tenant_id,
        "subscription" => &mut opts.subscription,
        "environment" => &mut opts.environment,
        _ => return,
    };
    *field = value;
}

/// The environment kubelogin would see: kspark's own, with the exec
/// section's `env` entries on top and its `dropEnv` names removed.
#[derive(Debug, Clone, Default)]
pub struct PluginEnv {
    overrides: HashMap<String, Option<String>>,
}

impl PluginEnv {
    pub fn new(
        set: impl IntoIterator<Item = (String, String)>,
        dropped: impl IntoIterator<Item = String>,
    ) -> PluginEnv {
        let mut overrides: HashMap<String, Option<String>> = HashMap::new();
        for (name, value) in set {
            overrides.insert(name, Some(value));
        }
        for name in dropped {
            overrides.insert(name, None);
        }
        PluginEnv { overrides }
    }

    /// The exec section's variables: `Some` to set, `None` to remove.
    pub fn overrides(&self) -> impl Iterator<Item = (&String, &Option<String>)> {
        self.overrides.iter()
    }

    /// Like Go's `os.LookupEnv`: set-but-empty counts as set.
    pub fn get(&self, name: &str) -> Option<String> {
        match self.overrides.get(name) {
            Some(value) => value.clone(),
            None => std::env::var(name).ok(),
        }
    }
}

/// kubelogin's `UpdateFromEnv`: later variables win over earlier ones and
/// over the flags, in this order.
pub fn apply_env(opts: &mut KubeloginOptions, env: &PluginEnv) {
    if opts.disable_environment_override {
        return;
    }
    let set = |field: &mut String, name: &str| {
        if let Some(v) = env.get(name) {
            *field = v;
        }
    };
    if opts.use_azurerm_env_vars {
        set(&mut opts.client_id, "ARM_CLIENT_ID");
        set(&mut opts.client_secret, "ARM_CLIENT_SECRET");
        set(&mut opts.client_cert, "ARM_CLIENT_CERTIFICATE_PATH");
        set(&mut opts.client_cert_password, "ARM_CLIENT_CERTIFICATE_PASSWORD");
        set(&mut opts.tenant_id, "ARM_TENANT_ID");
    } else {
        set(&mut opts.client_id, "AAD_SERVICE_PRINCIPAL_CLIENT_ID");
        set(&mut opts.client_id, "AZURE_CLIENT_ID");
        set(&mut opts.client_secret, "AAD_SERVICE_PRINCIPAL_CLIENT_SECRET");
        set(&mut opts.client_secret, "AZURE_CLIENT_SECRET");
        set(&mut opts.client_cert, "AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE");
        set(&mut opts.client_cert, "AZURE_CLIENT_CERTIFICATE_PATH");
        set(&mut opts.client_cert_password, "AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE_PASSWORD");
        set(&mut opts.client_cert_password, "AZURE_CLIENT_CERTIFICATE_PASSWORD");
        set(&mut opts.tenant_id, "AZURE_TENANT_ID");
    }
    set(&mut opts.login, "AAD_LOGIN_METHOD");
    if opts.login == "workloadidentity" {
        set(&mut opts.client_id, "AZURE_CLIENT_ID");
        set(&mut opts.federated_token_file, "AZURE_FEDERATED_TOKEN_FILE");
        set(&mut opts.authority_host, "AZURE_AUTHORITY_HOST");
    }
}

/// kubelogin's `GetScope`: the server id without trailing slashes, plus
/// `/.default` unless already there.
pub fn scope(server_id: &str) -> String {
    let trimmed = server_id.trim_end_matches('/');
    if trimmed.ends_with("/.default") { trimmed.to_string() } else { format!("{trimmed}/.default") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_an_az_aks_kubeconfig_command_line() -> Result<(), EntraError> {
        let opts = parse_args(&args(&[
            "--login",
            "spn",
            "--server-id",
            "6dae42f8-4368-4678-94ff-3960e28e3630",
            "--tenant-id=t1",
            "--client-id",
            "c1",
            "--environment",
            "AzurePublicCloud",
            "--legacy",
            "-v=2",
        ]))?;
        assert_eq!(opts.login, "spn");
        assert_eq!(opts.server_id, "6dae42f8-4368-4678-94ff-3960e28e3630");
        assert_eq!((opts.tenant_id.as_str(), opts.client_id.as_str()), ("t1", "c1"));
        assert!(opts.legacy);
        Ok(())
    }

    #[test]
    fn defaults_and_short_flags_are_kubelogins() -> Result<(), EntraError> {
        let opts = parse_args(&args(&["-lmsi", "-t", "tenant"]))?;
        assert_eq!((opts.login.as_str(), opts.tenant_id.as_str()), ("msi", "tenant"));
        assert_eq!(parse_args(&[])?.login, "devicecode");
        assert_eq!(parse_args(&[])?.environment, "AzurePublicCloud");
        Ok(())
    }

    #[test]
    fn bad_flags_are_named() {
        let err = parse_args(&args(&["--server-id"])).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("`--server-id` needs a value"), "{err}");
        let err = parse_args(&args(&["--nope", "x"])).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("unknown flag `--nope`"), "{err}");
    }

    #[test]
    fn environment_wins_in_kubelogins_order() -> Result<(), EntraError> {
        let mut opts = parse_args(&args(&["-l", "devicecode", "--client-id", "flag", "--client-secret", "flag"]))?;
        let env = PluginEnv::new(
            [
                ("AAD_SERVICE_PRINCIPAL_CLIENT_ID".to_string(), "aad".to_string()),
                ("AZURE_CLIENT_ID".to_string(), "azure".to_string()),
                ("AAD_SERVICE_PRINCIPAL_CLIENT_SECRET".to_string(), "aad-secret".to_string()),
                ("AAD_LOGIN_METHOD".to_string(), "spn".to_string()),
            ],
            ["AZURE_CLIENT_SECRET".to_string(), "AZURE_TENANT_ID".to_string()],
        );
        apply_env(&mut opts, &env);
        assert_eq!(opts.login, "spn");
        assert_eq!(opts.client_id, "azure");
        assert_eq!(opts.client_secret, "aad-secret");
        Ok(())
    }

    #[test]
    fn environment_override_can_be_disabled() -> Result<(), EntraError> {
        let mut opts = parse_args(&args(&["--disable-environment-override", "--client-id", "flag"]))?;
        apply_env(&mut opts, &PluginEnv::new([("AZURE_CLIENT_ID".to_string(), "env".to_string())], []));
        assert_eq!(opts.client_id, "flag");
        Ok(())
    }

    #[test]
    fn workload_identity_reads_its_own_variables() -> Result<(), EntraError> {
        let mut opts = parse_args(&args(&["-l", "workloadidentity"]))?;
        let env = PluginEnv::new(
            [
                ("AZURE_FEDERATED_TOKEN_FILE".to_string(), "/var/run/token".to_string()),
                ("AZURE_AUTHORITY_HOST".to_string(), "https://login.example/".to_string()),
            ],
            [],
        );
        apply_env(&mut opts, &env);
        assert_eq!(opts.federated_token_file, "/var/run/token");
        assert_eq!(opts.authority_host, "https://login.example/");
        Ok(())
    }

    #[test]
    fn scope_is_kubelogins() {
        assert_eq!(scope("6dae42f8"), "6dae42f8/.default");
        assert_eq!(scope("api://x/"), "api://x/.default");
        assert_eq!(scope("api://x/.default"), "api://x/.default");
    }
}
