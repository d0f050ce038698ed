//! `kspark submit --check-packages`: asks Maven repositories, with an HTTP
//! HEAD on each coordinate's POM, whether every package exists, so that a
//! typo in `--packages` fails on the client in a second instead of in the
//! driver minutes later. The repositories are the remote ones of Spark's
//! Ivy chain, in its order: Maven Central and spark-packages (both replaced
//! by `$DEFAULT_ARTIFACT_REPOSITORY`, as in Spark), then `--repositories`.
//! Local caches (~/.m2, ~/.ivy2) are not asked: the driver has none.

use std::time::Duration;

use base64::Engine;
use futures::future::join_all;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kspark_config::{MavenCoordinate, Packages};
use thiserror::Error;

pub const MAVEN_CENTRAL: &str = "https://repo1.maven.org/maven2/";
pub const SPARK_PACKAGES: &str = "https://repos.spark-packages.org/";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const MAX_REDIRECTS: usize = 5;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

#[derive(Debug, Error)]
pub enum PackageCheckError {
    #[error("package {coordinate} was not found: {tried}")]
    Missing { coordinate: MavenCoordinate, tried: String },
    #[error("cannot set up HTTPS to check packages: {0}")]
    Tls(String),
}

impl PackageCheckError {
    pub fn hint(&self) -> Option<String> {
        match self {
            PackageCheckError::Missing { .. } => Some(
                "check the groupId, artifactId and version (e.g. on https://central.sonatype.com), add the repository that hosts it with --repositories, or submit without --check-packages to let the driver try".into(),
            ),
            PackageCheckError::Tls(_) => Some("kspark reads the system's certificate authorities (SSL_CERT_FILE overrides)".into()),
        }
    }
}

/// A package and the repository that has it (credentials hidden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub coordinate: MavenCoordinate,
    pub repository: String,
}

/// The repositories Spark's Ivy chain asks, in order: its two defaults
/// (each replaced by `default_artifact_repository` when set), then the
/// user's.
pub fn repositories_to_ask(packages: &Packages, default_artifact_repository: Option<&str>) -> Vec<String> {
    let defaults = [MAVEN_CENTRAL, SPARK_PACKAGES].map(|d| default_artifact_repository.unwrap_or(d).to_string());
    let mut out: Vec<String> = Vec::new();
    for repo in defaults.into_iter().chain(packages.repositories.iter().cloned()) {
        if !out.contains(&repo) {
            out.push(repo);
        }
    }
    out
}

/// Asks `repositories` in order for each coordinate of `packages`; the
/// coordinates are checked concurrently. Fails on the first coordinate (in
/// command-line order) no repository has.
pub async fn check_packages(packages: &Packages, repositories: &[String]) -> Result<Vec<Found>, PackageCheckError> {
    let client = client()?;
    let results = join_all(packages.coordinates.iter().map(|c| find(&client, c, repositories))).await;
    results.into_iter().collect()
}

fn client() -> Result<HttpsClient, PackageCheckError> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| PackageCheckError::Tls(e.to_string()))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

async fn find(
    client: &HttpsClient,
    coordinate: &MavenCoordinate,
    repositories: &[String],
) -> Result<Found, PackageCheckError> {
    let mut tried = Vec::new();
    for repo in repositories {
        let location = Location::parse(repo);
        match head(client, &location, &coordinate.pom_path()).await {
            Answer::Present => return Ok(Found { coordinate: coordinate.clone(), repository: location.shown }),
            Answer::Absent(status) => tried.push(format!("{} ({status})", location.shown)),
            Answer::Unusable(reason) => tried.push(format!("{} ({reason})", location.shown)),
        }
    }
    Err(PackageCheckError::Missing { coordinate: coordinate.clone(), tried: format!("asked {}", tried.join(", ")) })
}

enum Answer {
    Present,
    Absent(String),
    Unusable(String),
}

async fn head(client: &HttpsClient, repo: &Location, path: &str) -> Answer {
    let mut url = format!("{}/{path}", repo.url.trim_end_matches('/'));
    for _ in 0..=MAX_REDIRECTS {
        let mut request = hyper::Request::head(url.as_str()).header("user-agent", "kspark-check-packages");
        if let Some(auth) = &repo.basic_auth {
            request = request.header("authorization", format!("Basic {auth}"));
        }
        let request = match request.body(Empty::new()) {
            Ok(r) => r,
            Err(e) => return Answer::Unusable(format!("not an HTTP URL: {e}")),
        };
        let response = match tokio::time::timeout(REQUEST_TIMEOUT, client.request(request)).await {
            Err(_) => return Answer::Unusable(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())),
            Ok(Err(e)) => return Answer::Unusable(format!("unreachable: {}", describe(&e))),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if status.is_success() {
            return Answer::Present;
        }
        if status == 404 || status == 410 {
            return Answer::Absent(status.to_string());
        }
        let next = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
        match next {
            Some(next) if status.is_redirection() => url = redirect_target(&url, &next),
            _ => return Answer::Unusable(format!("HTTP {status}")),
        }
    }
    Answer::Unusable(format!("more than {MAX_REDIRECTS} redirects"))
}

/// The innermost cause: hyper's outer errors only say "client error".
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// An absolute `Location`, or a path on the same host.
fn redirect_target(current: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let origin_end = current.find("://").and_then(|s| current[s + 3..].find('/').map(|p| s + 3 + p));
    let origin = origin_end.map_or(current, |end| &current[..end]);
    format!("{origin}/{}", location.trim_start_matches('/'))
}

/// A repository URL with any `user:password@` taken out into a Basic
/// authorization header, and a form safe to print.
struct Location {
    url: String,
    shown: String,
    basic_auth: Option<String>,
}

impl Location {
    fn parse(repo: &str) -> Location {
        let split = repo.find("://").and_then(|s| {
            let rest = &repo[s + 3..];
            let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
            authority.rfind('@').map(|at| (&repo[..s + 3], &rest[..at], &rest[at + 1..]))
        });
        match split {
            None => Location { url: repo.to_string(), shown: repo.to_string(), basic_auth: None },
            Some((scheme, userinfo, rest)) => Location {
                url: format!("{scheme}{rest}"),
                shown: format!("{scheme}***@{rest}"),
                basic_auth: Some(base64::engine::general_purpose::STANDARD.encode(userinfo)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_defaults_first_then_the_users_repositories() {
        let packages = Packages { repositories: vec!["https://r.example.com/m2".into()], ..Default::default() };
        assert_eq!(
            repositories_to_ask(&packages, None),
            vec![MAVEN_CENTRAL, SPARK_PACKAGES, "https://r.example.com/m2"]
        );
        assert_eq!(
            repositories_to_ask(&packages, Some("http://mirror/")),
            vec!["http://mirror/", "https://r.example.com/m2"]
        );
    }

    #[test]
    fn credentials_in_a_repository_url_are_sent_not_shown() {
        let location = Location::parse("https://ada:s3cret@repo.example.com/maven2/");
        assert_eq!(location.url, "https://repo.example.com/maven2/");
        assert_eq!(location.shown, "https://***@repo.example.com/maven2/");
        assert_eq!(location.basic_auth.as_deref(), Some("YWRhOnMzY3JldA=="));
        let plain = Location::parse("https://repo.example.com/a@b/");
        assert_eq!((plain.url.as_str(), plain.basic_auth), ("https://repo.example.com/a@b/", None));
    }

    #[test]
    fn relative_redirects_stay_on_the_host() {
        assert_eq!(redirect_target("https://h:8/a/b.pom", "/c/b.pom"), "https://h:8/c/b.pom");
        assert_eq!(redirect_target("https://h/a/b.pom", "https://m/b.pom"), "https://m/b.pom");
    }
}
