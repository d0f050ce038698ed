//! A stand-in Microsoft Entra ID on 127.0.0.1 for tests of kspark's
//! kubelogin-free token requests. Its token endpoint
//! (`https://127.0.0.1:PORT/<tenant>/oauth2/v2.0/token`, TLS from a fresh
//! test CA) checks each request as Entra would — path, grant type, scope,
//! client id, and the client secret, the federated token (workload
//! identity) or the certificate-signed assertion — and answers with a token
//! and `expires_in`, or with an AADSTS error. A second, plain-HTTP endpoint
//! plays the App Service managed-identity endpoint (`IDENTITY_ENDPOINT`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::pki::localhost_server;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What the stand-in accepts.
#[derive(Debug, Clone, Default)]
pub struct EntraExpect {
    pub tenant_id: String,
    pub client_id: String,
    /// e.g. `6dae42f8-4368-4678-94ff-3960e28e3630/.default`.
    pub scope: String,
    pub client_secret: Option<String>,
    /// The content of the federated token file (workload identity).
    pub federated_token: Option<String>,
    /// The certificate a service principal signs its assertion with.
    pub certificate: Option<CertificateCheck>,
    /// The `X-IDENTITY-HEADER` value of the managed-identity endpoint.
    pub identity_header: Option<String>,
}

/// What verifies a certificate-signed client assertion.
#[derive(Debug, Clone)]
pub struct CertificateCheck {
    /// The RSA public key, PKCS#1 DER.
    pub public_key: Vec<u8>,
    /// SHA-1 of the certificate's DER (the JWT header's `x5t`).
    pub thumbprint: Vec<u8>,
}

struct State {
    expect: EntraExpect,
    authority: String,
    /// Tokens handed out in order; the last one repeats.
    tokens: Vec<String>,
    expires_in: u64,
    issued: usize,
    refusals: Vec<String>,
}

pub struct EntraStandIn {
    authority_host: String,
    identity_endpoint: String,
    ca_file: PathBuf,
    state: Arc<Mutex<State>>,
}

impl EntraStandIn {
    /// Serves until the process ends; writes its CA to `dir/entra-ca.crt`.
    pub fn start(dir: &Path, expect: EntraExpect, tokens: Vec<String>, expires_in: u64) -> Result<EntraStandIn> {
        let (ca, serving) = localhost_server("kspark-test-entra-ca")?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let ca_file = dir.join("entra-ca.crt");
        std::fs::write(&ca_file, &ca.cert_pem).map_err(|e| Error::io(ca_file.display().to_string(), e))?;
        let tls = Arc::new(server_config(&serving.cert_pem, &serving.key_pem)?);
        let bind = |what: &str| TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io(what, e));
        let (token_listener, msi_listener) = (bind("entra token endpoint")?, bind("managed identity endpoint")?);
        let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).map_err(|e| Error::io("127.0.0.1", e));
        let authority_host = format!("https://127.0.0.1:{}/", port(&token_listener)?);
        let identity_endpoint = format!("http://127.0.0.1:{}/msi/token", port(&msi_listener)?);
        let state = Arc::new(Mutex::new(State {
            expect,
            authority: authority_host.clone(),
            tokens,
            expires_in,
            issued: 0,
            refusals: Vec::new(),
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in token_listener.incoming().flatten() {
                let (tls, state) = (tls.clone(), shared.clone());
                std::thread::spawn(move || serve_tls(stream, tls, &state));
            }
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for mut stream in msi_listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(&mut stream, &state));
            }
        });
        Ok(EntraStandIn { authority_host, identity_endpoint, ca_file, state })
    }

    /// `https://127.0.0.1:PORT/` (with the trailing slash kubelogin wants).
    pub fn authority_host(&self) -> &str {
        &self.authority_host
    }

    /// For `IDENTITY_ENDPOINT` (App Service managed identity).
    pub fn identity_endpoint(&self) -> &str {
        &self.identity_endpoint
    }

    /// The CA that signed the token endpoint's certificate (`SSL_CERT_FILE`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// How many tokens were handed out.
    pub fn issued(&self) -> usize {
        self.state.lock().map(|s| s.issued).unwrap_or(0)
    }

    /// Why requests were refused, in order.
    pub fn refusals(&self) -> Vec<String> {
        self.state.lock().map(|s| s.refusals.clone()).unwrap_or_default()
    }
}

fn server_config(cert_pem: &str, key_pem: &str) -> Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |e: String| Error::io("entra stand-in TLS", std::io::Error::other(e));
    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| bad(e.to_string()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| bad(e.to_string()))
}

fn serve_tls(stream: TcpStream, tls: Arc<rustls::ServerConfig>, state: &Mutex<State>) {
    let Ok(conn) = rustls::ServerConnection::new(tls) else { return };
    let mut stream = rustls::StreamOwned::new(conn, stream);
    serve(&mut stream, state);
}

/// One request per connection (`Connection: close`).
fn serve<S: Read + Write>(stream: &mut S, state: &Mutex<State>) {
    let Some((method, target, headers, body)) = read_request(stream) else { return };
    let (status, reply) = match state.lock() {
        Ok(mut state) => answer(&mut state, &method, &target, &headers, &body),
        Err(_) => (500, json!({"error": "poisoned"})),
    };
    let body = reply.to_string();
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ =
        stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes())).and_then(|_| stream.flush());
}

type Request = (String, String, HashMap<String, String>, String);

fn read_request<S: Read>(stream: &mut S) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, target, headers, String::from_utf8_lossy(&body).into_owned()))
}

fn answer(
    state: &mut State,
    method: &str,
    target: &str,
    headers: &HashMap<String, String>,
    body: &str,
) -> (u16, Value) {
    let checked = if target.starts_with("/msi/token") {
        check_managed_identity(&state.expect, method, target, headers)
    } else {
        check_token_request(&state.expect, &state.authority, method, target, body)
    };
    if let Err((status, code, description)) = checked {
        state.refusals.push(format!("AADSTS{code}: {description}"));
        return (status, aadsts_error(status, code, &description));
    }
    let token = state.tokens.get(state.issued).or(state.tokens.last()).cloned().unwrap_or_default();
    state.issued += 1;
    if target.starts_with("/msi/token") {
        let expires_on = jiff::Timestamp::now().as_second() + state.expires_in as i64;
        let resource = state.expect.scope.trim_end_matches("/.default");
        return (
            200,
            json!({"access_token": token, "expires_on": expires_on.to_string(), "resource": resource, "token_type": "Bearer"}),
        );
    }
    (
        200,
        json!({"token_type": "Bearer", "expires_in": state.expires_in, "ext_expires_in": state.expires_in, "access_token": token}),
    )
}

type Refusal = (u16, u32, String);

fn check_token_request(
    expect: &EntraExpect,
    authority: &str,
    method: &str,
    target: &str,
    body: &str,
) -> Result<(), Refusal> {
    let refuse = |status, code, text: &str| Err((status, code, text.to_string()));
    if method != "POST" {
        return refuse(405, 900561, "The endpoint only accepts POST requests.");
    }
    if target != format!("/{}/oauth2/v2.0/token", expect.tenant_id) {
        return refuse(400, 90002, &format!("Tenant not found: request path {target}."));
    }
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") != Some("client_credentials") {
        return refuse(400, 900144, "The request body must contain the following parameter: 'grant_type'.");
    }
    if field("scope") != Some(expect.scope.as_str()) {
        return refuse(400, 70011, "The provided value for the input parameter 'scope' is not valid.");
    }
    if field("client_id") != Some(expect.client_id.as_str()) {
        return refuse(400, 700016, "Application was not found in the directory.");
    }
    if let Some(secret) = &expect.client_secret {
        if field("client_secret") != Some(secret.as_str()) {
            return refuse(401, 7000215, "Invalid client secret provided.");
        }
        return Ok(());
    }
    if field("client_assertion_type") != Some(JWT_BEARER) {
        return refuse(400, 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
    }
    let assertion = field("client_assertion").unwrap_or_default();
    if let Some(federated) = &expect.federated_token {
        if assertion != federated.trim() {
            return refuse(400, 700213, "No matching federated identity record found for presented assertion.");
        }
        return Ok(());
    }
    if let Some(check) = &expect.certificate {
        let token_url = format!("{authority}{}/oauth2/v2.0/token", expect.tenant_id);
        return check_certificate_assertion(assertion, check, &token_url, &expect.client_id)
            .map_err(|why| (401, 700027, format!("Client assertion failed signature validation: {why}.")));
    }
    refuse(
        401,
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )
}

fn check_certificate_assertion(
    jwt: &str,
    check: &CertificateCheck,
    token_url: &str,
    client_id: &str,
) -> std::result::Result<(), String> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT".into());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let json = |part: &str| -> std::result::Result<Value, String> {
        serde_json::from_slice(&decode(part)?).map_err(|e| e.to_string())
    };
    let (head, body) = (json(header)?, json(claims)?);
    if head["alg"] != "RS256" || head["x5t"] != URL_SAFE_NO_PAD.encode(&check.thumbprint) {
        return Err(format!("header {head} does not name RS256 and the certificate's thumbprint"));
    }
    let now = jiff::Timestamp::now().as_second();
    let exp = body["exp"].as_i64().unwrap_or(0);
    if body["aud"] != token_url || body["iss"] != client_id || body["sub"] != client_id || exp < now {
        return Err(format!("claims {body} are not for {token_url} and {client_id}, or expired"));
    }
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &check.public_key);
    key.verify(format!("{header}.{claims}").as_bytes(), &decode(signature)?).map_err(|_| "bad signature".to_string())
}

fn check_managed_identity(
    expect: &EntraExpect,
    method: &str,
    target: &str,
    headers: &HashMap<String, String>,
) -> Result<(), Refusal> {
    let query: HashMap<String, String> = target
        .split_once('?')
        .map(|(_, q)| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let resource = expect.scope.trim_end_matches("/.default");
    let ok = method == "GET"
        && query.get("api-version").map(String::as_str) == Some("2019-08-01")
        && query.get("resource").map(String::as_str) == Some(resource)
        && headers.get("x-identity-header") == expect.identity_header.as_ref()
        && (expect.client_id.is_empty() || query.get("client_id") == Some(&expect.client_id));
    if ok { Ok(()) } else { Err((400, 0, format!("managed identity request refused: {method} {target}"))) }
}

fn aadsts_error(status: u16, code: u32, description: &str) -> Value {
    let error = if status == 401 { "invalid_client" } else { "invalid_request" };
    json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000 Timestamp: 2026-01-01 00:00:00Z"),
        "error_codes": [code],
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    })
}

/// An RSA service-principal certificate made with the `openssl` tool (the
/// test CA is ECDSA, and Entra wants RSA): writes `dir/spn.pem` (certificate
/// and key, as kubelogin reads `--client-certificate`) and returns it with
/// the public key and thumbprint the stand-in checks assertions against.
pub fn rsa_client_certificate(dir: &Path) -> Result<(PathBuf, CertificateCheck)> {
    let (key, cert, pem) = (dir.join("spn.key"), dir.join("spn.crt"), dir.join("spn.pem"));
    let openssl = |args: &[&std::ffi::OsStr]| -> Result<Vec<u8>> {
        let out = std::process::Command::new("openssl").args(args).output().map_err(|e| Error::io("openssl", e))?;
        if !out.status.success() {
            let reason = String::from_utf8_lossy(&out.stderr).into_owned();
            return Err(Error::io("openssl", std::io::Error::other(reason)));
        }
        Ok(out.stdout)
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    openssl(&[
        os("req"),
        os("-x509"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-days"),
        os("2"),
        os("-subj"),
        os("/CN=kspark-test-spn"),
        os("-keyout"),
        key.as_os_str(),
        os("-out"),
        cert.as_os_str(),
    ])?;
    let public_key =
        openssl(&[os("rsa"), os("-in"), key.as_os_str(), os("-RSAPublicKey_out"), os("-outform"), os("DER")])?;
    let cert_der = openssl(&[os("x509"), os("-in"), cert.as_os_str(), os("-outform"), os("DER")])?;
    let thumbprint = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert_der).as_ref().to_vec();
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::io(p.display().to_string(), e));
    std::fs::write(&pem, format!("{}{}", read(&cert)?, read(&key)?))
        .map_err(|e| Error::io(pem.display().to_string(), e))?;
    Ok((pem, CertificateCheck { public_key, thumbprint }))
}
