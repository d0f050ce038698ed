//! Builds the API client the way spark-submit does: kubeconfig (or the
//! in-cluster service account) as the base, then Spark's
//! `spark.kubernetes.authenticate.submission.*` settings and the master URL
//! on top. Unlike Spark, tokens are cleaned of trailing CR/LF, exec plugins
//! run once, and expired tokens are refused before anything is sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use kube::client::ClientBuilder;
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use secrecy::{ExposeSecret, SecretString};

use crate::entra::{self, EntraAuthLayer, EntraTokens};
use crate::error::ConnectError;
use crate::exec;
use crate::incluster;
use crate::jwt;

/// Refuse tokens that expire sooner than this.
const MIN_TOKEN_LIFETIME: SignedDuration = SignedDuration::from_secs(60);
const SUBMISSION: &str = "spark.kubernetes.authenticate.submission";

/// What the user told kspark about reaching the cluster.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// The API URL from `--master` (without `k8s://`), which wins over the
    /// kubeconfig's server, as in Spark.
    pub api_url: Option<String>,
    pub oauth_token: Option<String>,
    pub oauth_token_file: Option<PathBuf>,
    pub ca_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
    pub client_cert_file: Option<PathBuf>,
    /// `spark.kubernetes.trust.certificates`.
    pub trust_certificates: bool,
    /// Where relative paths are resolved.
    pub cwd: PathBuf,
}

impl ConnectOptions {
    /// Reads Spark's submission auth settings.
    pub fn from_conf(conf: &kspark_config::SparkConf, cwd: &Path) -> ConnectOptions {
        let path = |suffix: &str| conf.get(&format!("{SUBMISSION}.{suffix}")).map(|p| cwd.join(p));
        ConnectOptions {
            context: conf.get("spark.kubernetes.context").filter(|c| !c.is_empty()).map(str::to_string),
            oauth_token: conf.get(&format!("{SUBMISSION}.oauthToken")).map(str::to_string),
            oauth_token_file: path("oauthTokenFile"),
            ca_cert_file: path("caCertFile"),
            client_key_file: path("clientKeyFile"),
            client_cert_file: path("clientCertFile"),
            trust_certificates: conf.get("spark.kubernetes.trust.certificates") == Some("true"),
            cwd: cwd.to_path_buf(),
            ..Default::default()
        }
    }
}

/// How the client authenticates, for reports (never the secret itself).
/// `Entra`: a kubelogin exec section served in-process (see [`crate::entra`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    Token { source: String },
    ClientCertificate { source: String },
    ExecPlugin { command: String },
    Entra { via: &'static str },
    InCluster { token_file: PathBuf },
    Other(String),
}

impl std::fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthMethod::None => write!(f, "no credentials (anonymous)"),
            AuthMethod::Token { source } => write!(f, "bearer token from {source}"),
            AuthMethod::ClientCertificate { source } => write!(f, "client certificate ({source})"),
            AuthMethod::ExecPlugin { command } => write!(f, "exec plugin {command}"),
            AuthMethod::Entra { via } => {
                write!(f, "Entra ID token via {via}; kubelogin not needed, refreshed before expiry")
            }
            AuthMethod::InCluster { token_file } => {
                write!(f, "in-cluster service account (token {})", token_file.display())
            }
            AuthMethod::Other(text) => write!(f, "{text}"),
        }
    }
}

/// A ready client and what kspark learned while building it.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    pub api_url: String,
    pub kubeconfig_namespace: Option<String>,
    pub method: AuthMethod,
    pub token: Option<SecretString>,
    pub expires_at: Option<Timestamp>,
    pub identity_hint: Option<String>,
    /// Where the client's Entra ID tokens come from (kubelogin users kspark
    /// serves itself); the client refreshes them on its own.
    pub entra: Option<Arc<EntraTokens>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("api_url", &self.api_url)
            .field("method", &self.method)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Builds a client, refusing credentials that are expired or about to be.
pub async fn connect(opts: &ConnectOptions) -> Result<Connection, ConnectError> {
    let conn = connect_unchecked(opts).await?;
    check_expiry(&conn, Timestamp::now())?;
    Ok(conn)
}

/// Builds a client without the expiry check (for `kspark auth`, which
/// reports expiry instead of refusing).
pub async fn connect_unchecked(opts: &ConnectOptions) -> Result<Connection, ConnectError> {
    let Base { mut config, namespace: kubeconfig_namespace, mut method, expires_at: base_expiry, file_token, entra } =
        base_config(opts).await?;
    if let Some(url) = &opts.api_url {
        config.cluster_url = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| ConnectError::BadUrl { url: url.clone(), reason: e.to_string() })?;
    }
    config.accept_invalid_certs = opts.trust_certificates;
    if let Some(ca) = &opts.ca_cert_file {
        config.root_cert = Some(read_ca(ca, &format!("{SUBMISSION}.caCertFile"))?);
        config.root_cert_file = None;
    }
    apply_client_cert(&mut config.auth_info, opts, &mut method)?;
    let mut expires_at = base_expiry;
    apply_token(&mut config.auth_info, opts, &mut method, &mut expires_at)?;
    // Spark's own token or certificate settings replace the kubeconfig user.
    let entra = entra.filter(|_| matches!(method, AuthMethod::Entra { .. }));
    let mut entra_token = None;
    if let Some(tokens) = &entra {
        let issued = tokens.token().await?;
        expires_at = Some(issued.expires_at);
        entra_token = Some(issued.token);
    }
    let token = config.auth_info.token.clone().or(file_token).or(entra_token);
    if let Some(t) = &token {
        let claims = jwt::claims(t.expose_secret());
        expires_at = expires_at.or(claims.as_ref().and_then(|c| c.expires_at));
    }
    let identity_hint = token.as_ref().and_then(|t| jwt::claims(t.expose_secret())).and_then(|c| c.subject);
    let api_url = config.cluster_url.to_string();
    let client = build_client(config, entra.clone())?;
    Ok(Connection { client, api_url, kubeconfig_namespace, method, token, expires_at, identity_hint, entra })
}

/// A client for a kube-rs `Config` built elsewhere (the operator's): a
/// kubelogin user kspark can serve gets in-process Entra ID tokens, fetched
/// on first use and refreshed; anything else is kube-rs's own handling.
pub fn client_from_config(mut config: Config) -> Result<Client, ConnectError> {
    let login = config.auth_info.exec.as_ref().map(entra::login_for).transpose()?.flatten();
    let entra = match login {
        Some(login) => {
            config.auth_info.exec = None;
            Some(EntraTokens::new(login)?)
        }
        None => None,
    };
    build_client(config, entra)
}

/// kube's client, with the refreshing Entra ID bearer layer on top when
/// the kubeconfig user is a kubelogin one kspark serves itself.
fn build_client(config: Config, entra: Option<Arc<EntraTokens>>) -> Result<Client, ConnectError> {
    let client_error = |e: kube::Error| ConnectError::Client(e.to_string());
    match entra {
        None => Client::try_from(config).map_err(client_error),
        Some(tokens) => {
            let builder = ClientBuilder::try_from(config).map_err(client_error)?;
            Ok(builder.with_layer(&EntraAuthLayer::new(tokens)).build())
        }
    }
}

/// What the kubeconfig (or in-cluster account) provides before Spark's
/// settings are layered on top.
struct Base {
    config: Config,
    namespace: Option<String>,
    method: AuthMethod,
    /// Known only for exec-plugin credentials.
    expires_at: Option<Timestamp>,
    /// A token the client re-reads from its file (in-cluster), as read now.
    file_token: Option<SecretString>,
    /// Entra ID tokens for a kubelogin user, fetched in-process.
    entra: Option<Arc<EntraTokens>>,
}

/// The kubeconfig if there is one, else the in-cluster account, else a bare
/// config for `--master`.
async fn base_config(opts: &ConnectOptions) -> Result<Base, ConnectError> {
    if let Some(kubeconfig) = load_kubeconfig(opts)? {
        return from_kubeconfig(kubeconfig, opts).await;
    }
    if let Some(account) = incluster::load()? {
        return Ok(Base {
            config: account.config,
            namespace: account.namespace,
            method: AuthMethod::InCluster { token_file: account.token_path },
            expires_at: None,
            file_token: Some(account.token),
            entra: None,
        });
    }
    let url = opts.api_url.clone().ok_or(ConnectError::NoCluster)?;
    let uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| ConnectError::BadUrl { url: url.clone(), reason: e.to_string() })?;
    Ok(Base {
        config: Config::new(uri),
        namespace: None,
        method: AuthMethod::None,
        expires_at: None,
        file_token: None,
        entra: None,
    })
}

fn load_kubeconfig(opts: &ConnectOptions) -> Result<Option<Kubeconfig>, ConnectError> {
    let read = |path: &Path| {
        Kubeconfig::read_from(path)
            .map_err(|e| ConnectError::Kubeconfig { path: path.to_path_buf(), reason: e.to_string() })
    };
    if let Some(path) = &opts.kubeconfig {
        return read(&opts.cwd.join(path)).map(Some);
    }
    if let Some(paths) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let mut merged: Option<Kubeconfig> = None;
        for path in std::env::split_paths(&paths).filter(|p| p.is_file()) {
            let next = read(&path)?;
            merged = Some(match merged {
                None => next,
                Some(m) => {
                    m.merge(next).map_err(|e| ConnectError::Kubeconfig { path: path.clone(), reason: e.to_string() })?
                }
            });
        }
        return Ok(merged);
    }
    let default = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube").join("config"));
    match default.filter(|p| p.is_file()) {
        Some(path) => read(&path).map(Some),
        None => Ok(None),
    }
}

async fn from_kubeconfig(kubeconfig: Kubeconfig, opts: &ConnectOptions) -> Result<Base, ConnectError> {
    if let Some(ctx) = &opts.context
        && !kubeconfig.contexts.iter().any(|c| &c.name == ctx)
    {
        return Err(ConnectError::NoContext(ctx.clone()));
    }
    let options = KubeConfigOptions { context: opts.context.clone(), ..Default::default() };
    let namespace = namespace_of_context(&kubeconfig, opts.context.as_deref());
    let mut config =
        Config::from_custom_kubeconfig(kubeconfig, &options).await.map_err(|e| ConnectError::Kubeconfig {
            path: opts.kubeconfig.clone().unwrap_or_else(|| PathBuf::from("(KUBECONFIG)")),
            reason: e.to_string(),
        })?;
    if let Some(login) = config.auth_info.exec.as_ref().map(entra::login_for).transpose()?.flatten() {
        config.auth_info.exec = None;
        let method = AuthMethod::Entra { via: login.login.via() };
        let entra = Some(EntraTokens::new(login)?);
        return Ok(Base { config, namespace, method, expires_at: None, file_token: None, entra });
    }
    let (method, expires_at) = kubeconfig_method(&mut config.auth_info)?;
    Ok(Base { config, namespace, method, expires_at, file_token: None, entra: None })
}

/// The namespace of `context` (default: the current context).
fn namespace_of_context(kubeconfig: &Kubeconfig, context: Option<&str>) -> Option<String> {
    let name = context.or(kubeconfig.current_context.as_deref())?;
    kubeconfig.contexts.iter().find(|c| c.name == name)?.context.as_ref()?.namespace.clone()
}

/// Where the namespace of the kubeconfig context (or of the in-cluster
/// service account) that `opts` select comes from, read from local files
/// only: no plugin runs, nothing is sent. `None` when neither names one.
pub fn local_namespace(opts: &ConnectOptions) -> Result<Option<(String, String)>, ConnectError> {
    if let Some(kubeconfig) = load_kubeconfig(opts)? {
        let context = opts.context.clone().or_else(|| kubeconfig.current_context.clone()).unwrap_or_default();
        return Ok(namespace_of_context(&kubeconfig, opts.context.as_deref())
            .map(|ns| (ns, format!("the kubeconfig context `{context}`"))));
    }
    Ok(incluster::load()?.and_then(|account| account.namespace).map(|ns| (ns, "the in-cluster service account".into())))
}

/// Resolves what the kubeconfig's user entry authenticates with; an exec
/// plugin is run here, once, and its expiry returned.
fn kubeconfig_method(auth: &mut AuthInfo) -> Result<(AuthMethod, Option<Timestamp>), ConnectError> {
    if let Some(exec) = auth.exec.take() {
        let command = exec.command.clone().unwrap_or_default();
        let out = exec::run(&exec)?;
        auth.token = out.token.map(SecretString::from);
        if let (Some(cert), Some(key)) = (out.client_cert_pem, out.client_key_pem) {
            auth.client_certificate_data = Some(base64_of(&cert));
            auth.client_key_data = Some(SecretString::from(base64_of(&key)));
        }
        return Ok((AuthMethod::ExecPlugin { command }, out.expires_at));
    }
    if let Some(token) = auth.token.take() {
        auth.token = Some(SecretString::from(clean_token(token.expose_secret())));
        return Ok((AuthMethod::Token { source: "kubeconfig".into() }, None));
    }
    if let Some(file) = auth.token_file.take() {
        let token = std::fs::read_to_string(&file).map_err(|e| ConnectError::CredentialFile {
            key: "kubeconfig tokenFile".into(),
            path: file.clone().into(),
            reason: e.to_string(),
        })?;
        auth.token = Some(SecretString::from(clean_token(&token)));
        return Ok((AuthMethod::Token { source: file }, None));
    }
    if auth.client_certificate.is_some() || auth.client_certificate_data.is_some() {
        return Ok((AuthMethod::ClientCertificate { source: "kubeconfig".into() }, None));
    }
    if let Some(provider) = &auth.auth_provider {
        return Ok((AuthMethod::Other(format!("auth-provider {}", provider.name)), None));
    }
    Ok((AuthMethod::None, None))
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Pasted tokens often carry a trailing CR/LF (Windows kubeconfigs) or
/// blanks; Spark sends them as-is and fails.
pub fn clean_token(token: &str) -> String {
    token.trim().to_string()
}

fn apply_token(
    auth: &mut AuthInfo,
    opts: &ConnectOptions,
    method: &mut AuthMethod,
    expires_at: &mut Option<Timestamp>,
) -> Result<(), ConnectError> {
    let (token, source) = match (&opts.oauth_token, &opts.oauth_token_file) {
        (Some(_), Some(_)) => return Err(ConnectError::TwoTokens),
        (Some(t), None) => (clean_token(t), format!("{SUBMISSION}.oauthToken")),
        (None, Some(path)) => (read_token_file(path)?, path.display().to_string()),
        (None, None) => return Ok(()),
    };
    auth.token = Some(SecretString::from(token));
    auth.exec = None;
    *expires_at = None;
    *method = AuthMethod::Token { source };
    Ok(())
}

fn read_token_file(path: &Path) -> Result<String, ConnectError> {
    std::fs::read_to_string(path).map(|t| clean_token(&t)).map_err(|e| ConnectError::CredentialFile {
        key: format!("{SUBMISSION}.oauthTokenFile"),
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn apply_client_cert(auth: &mut AuthInfo, opts: &ConnectOptions, method: &mut AuthMethod) -> Result<(), ConnectError> {
    for (key, path) in [("clientCertFile", &opts.client_cert_file), ("clientKeyFile", &opts.client_key_file)] {
        if let Some(p) = path
            && !p.is_file()
        {
            return Err(ConnectError::CredentialFile {
                key: format!("{SUBMISSION}.{key}"),
                path: p.clone(),
                reason: "no such file".into(),
            });
        }
    }
    if let (Some(cert), Some(key)) = (&opts.client_cert_file, &opts.client_key_file) {
        auth.client_certificate = Some(cert.display().to_string());
        auth.client_key = Some(key.display().to_string());
        auth.client_certificate_data = None;
        auth.client_key_data = None;
        *method = AuthMethod::ClientCertificate { source: cert.display().to_string() };
    }
    Ok(())
}

/// PEM certificates from `path`; `key` names the setting in errors.
pub(crate) fn read_ca(path: &Path, key: &str) -> Result<Vec<Vec<u8>>, ConnectError> {
    let err = |reason: String| ConnectError::CredentialFile { key: key.to_string(), path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let certs: Vec<Vec<u8>> =
        pem::parse_many(&bytes).map_err(|e| err(e.to_string()))?.into_iter().map(|p| p.into_contents()).collect();
    if certs.is_empty() {
        return Err(err("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// Refuses a token that has expired or expires within a minute.
pub fn check_expiry(conn: &Connection, now: Timestamp) -> Result<(), ConnectError> {
    // Entra ID tokens are fetched anew before they expire.
    if conn.entra.is_some() {
        return Ok(());
    }
    let Some(expires_at) = conn.expires_at else {
        return Ok(());
    };
    let source_name = match &conn.method {
        AuthMethod::Token { source } => source.clone(),
        AuthMethod::ExecPlugin { command } => format!("credential plugin {command}"),
        other => other.to_string(),
    };
    let left = expires_at.duration_since(now);
    if left <= SignedDuration::ZERO {
        return Err(ConnectError::TokenExpired { source_name, expired_at: expires_at.to_string(), ago: human(-left) });
    }
    if left < MIN_TOKEN_LIFETIME {
        return Err(ConnectError::TokenExpiring { source_name, expires_at: expires_at.to_string(), left: human(left) });
    }
    Ok(())
}

pub fn human(d: SignedDuration) -> String {
    let s = d.as_secs().abs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_cleaned() {
        assert_eq!(clean_token("abc\r\n"), "abc");
        assert_eq!(clean_token("  abc \n"), "abc");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(SignedDuration::from_secs(42)), "42s");
        assert_eq!(human(SignedDuration::from_secs(3600)), "60m");
        assert_eq!(human(SignedDuration::from_secs(-7300)), "2h1m");
    }
}
