//! Maven packages for the driver: `spark.jars.packages` (`--packages`),
//! `spark.jars.repositories` (`--repositories`) and `spark.jars.excludes`
//! (`--exclude-packages`). In Kubernetes cluster mode spark-submit resolves
//! them with Ivy, throws the jars away and sends only the settings; the
//! driver resolves them again. kspark sends the same settings and checks
//! their syntax the way Spark's `MavenUtils.extractMavenCoordinates` does,
//! so that a typo fails on the client instead of in the cluster.

use std::fmt;
use std::path::Path;

use crate::conf::{ConfError, SparkConf};

pub const PACKAGES: &str = "spark.jars.packages";
pub const REPOSITORIES: &str = "spark.jars.repositories";
pub const EXCLUDES: &str = "spark.jars.excludes";
pub const IVY_SETTINGS: &str = "spark.jars.ivySettings";

/// `groupId:artifactId:version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenCoordinate {
    pub group_id: String,
    pub artifact_id: String,
    pub version: String,
}

impl MavenCoordinate {
    /// Where a Maven-layout repository keeps this coordinate's POM,
    /// relative to the repository root.
    pub fn pom_path(&self) -> String {
        let (group, artifact, version) = (&self.group_id, &self.artifact_id, &self.version);
        format!("{}/{artifact}/{version}/{artifact}-{version}.pom", group.replace('.', "/"))
    }
}

impl fmt::Display for MavenCoordinate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.group_id, self.artifact_id, self.version)
    }
}

/// The packages a submission asks the driver to resolve, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packages {
    pub coordinates: Vec<MavenCoordinate>,
    /// `spark.jars.repositories` in order (searched after Spark's defaults).
    pub repositories: Vec<String>,
    /// `groupId:artifactId` pairs left out of the transitive resolution.
    pub exclusions: Vec<(String, String)>,
    /// `spark.jars.ivySettings`: Ivy's resolvers come from this file instead
    /// of Spark's defaults.
    pub ivy_settings: Option<String>,
}

impl Packages {
    /// The package settings of `conf`, checked as spark-submit checks them
    /// before it sends anything; `None` when no packages are asked for.
    /// Relative `spark.jars.ivySettings` paths are taken from `cwd`.
    pub fn from_conf(conf: &SparkConf, cwd: &Path) -> Result<Option<Packages>, ConfError> {
        // spark-submit loads the Ivy settings even without packages.
        let ivy_settings = conf.get(IVY_SETTINGS).map(str::to_string);
        if let Some(path) = &ivy_settings {
            check_ivy_settings(path, cwd).map_err(|reason| conf.error(IVY_SETTINGS, reason))?;
        }
        let Some(list) = conf.get(PACKAGES).filter(|p| !p.trim().is_empty()) else {
            return Ok(None);
        };
        let coordinates = parse_coordinates(list).map_err(|reason| conf.error(PACKAGES, reason))?;
        // Spark reads the exclusions only when there are packages.
        let exclusions = match conf.get(EXCLUDES).filter(|e| !e.trim().is_empty()) {
            Some(text) => parse_exclusions(text).map_err(|reason| conf.error(EXCLUDES, reason))?,
            None => Vec::new(),
        };
        let repositories: Vec<String> = conf
            .get(REPOSITORIES)
            .filter(|r| !r.trim().is_empty())
            .map(|r| java_split(r, ',').into_iter().map(str::to_string).collect())
            .unwrap_or_default();
        if let Some(url) = repositories.iter().find(|url| has_password(url)) {
            let mut error = conf.error(REPOSITORIES, password_in_repository(url));
            error.value = java_split(&error.value, ',').into_iter().map(without_password).collect::<Vec<_>>().join(",");
            return Err(error);
        }
        Ok(Some(Packages { coordinates, repositories, exclusions, ivy_settings }))
    }
}

/// `scheme://user:password@host…`: a URL that carries a password.
fn has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// `url` with any password replaced by `***`.
fn without_password(url: &str) -> String {
    if !has_password(url) {
        return url.to_string();
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let at = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(at);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://***@{host}{path}")
}

/// Spark would write the URL, password and all, into the driver's
/// ConfigMap (`spark.jars.repositories` in spark.properties), readable by
/// anyone who may read ConfigMaps in the namespace: kspark refuses.
fn password_in_repository(url: &str) -> String {
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    format!(
        "the repository URL for {host} carries a password, which would be stored in clear text in the driver's ConfigMap; \
         hint: put the credentials in an Ivy settings file (spark.jars.ivySettings) mounted into the driver from a Secret \
         (spark.kubernetes.driver.secrets.NAME=/path), or use a repository that needs no password"
    )
}

/// A comma-separated list of coordinates, `groupId:artifactId:version` or
/// `groupId/artifactId:version`. The error names the bad coordinate.
pub fn parse_coordinates(list: &str) -> Result<Vec<MavenCoordinate>, String> {
    java_split(list, ',').into_iter().map(parse_coordinate).collect()
}

/// A comma-separated list of `groupId:artifactId` (Spark appends `:*` and
/// parses the result as a coordinate).
pub fn parse_exclusions(list: &str) -> Result<Vec<(String, String)>, String> {
    java_split(list, ',')
        .into_iter()
        .map(|entry| match parse_coordinate(&format!("{entry}:*")) {
            Ok(c) => Ok((c.group_id, c.artifact_id)),
            Err(_) => Err(format!(
                "`{entry}` is not a package to exclude: write groupId:artifactId (no version), several separated by commas"
            )),
        })
        .collect()
}

fn parse_coordinate(text: &str) -> Result<MavenCoordinate, String> {
    let normalized = text.replace('/', ":");
    let parts = java_split(&normalized, ':');
    let [group, artifact, version] = parts.as_slice() else {
        return Err(format!(
            "`{text}` is not a Maven coordinate: write groupId:artifactId:version (or groupId/artifactId:version), several separated by commas"
        ));
    };
    for (part, name) in [(group, "groupId"), (artifact, "artifactId"), (version, "version")] {
        if part.trim().is_empty() {
            return Err(format!("`{text}` has an empty {name}: write groupId:artifactId:version"));
        }
        if part.trim() != *part {
            return Err(format!(
                "`{text}` has spaces around its {name}: Ivy looks the name up as written and finds nothing; remove the spaces"
            ));
        }
    }
    Ok(MavenCoordinate { group_id: group.to_string(), artifact_id: artifact.to_string(), version: version.to_string() })
}

/// `String.split` as Java does it: trailing empty pieces are dropped, and a
/// text without the separator is one piece (even when empty).
fn java_split(text: &str, separator: char) -> Vec<&str> {
    let mut pieces: Vec<&str> = text.split(separator).collect();
    if pieces.len() > 1 {
        while pieces.last().is_some_and(|p| p.is_empty()) {
            pieces.pop();
        }
    }
    pieces
}

/// spark-submit reads the settings file on the client: it must be a local
/// file (`file:` URI or path) that exists.
fn check_ivy_settings(path: &str, cwd: &Path) -> Result<(), String> {
    let local = match path.split_once(':') {
        Some(("file", rest)) => rest.trim_start_matches("//"),
        Some((scheme, _)) if scheme.len() > 1 && !scheme.contains('/') => {
            return Err(format!(
                "scheme `{scheme}` is not supported: spark-submit reads the Ivy settings file on this machine; give a local path"
            ));
        }
        _ => path,
    };
    let file = cwd.join(local);
    if file.is_file() {
        Ok(())
    } else {
        Err(format!(
            "{} is not a file: spark-submit reads the Ivy settings file on this machine (and the driver reads the same path in its container)",
            file.display()
        ))
    }
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn passwords_in_repository_urls_are_found() {
        assert!(has_password("https://user:s3cret@repo.example.com/maven2"));
        assert!(!has_password("https://user@repo.example.com/maven2"));
        assert!(!has_password("https://repo.example.com/a:b@c"));
        let message = password_in_repository("https://user:s3cret@repo.example.com/maven2");
        assert!(!message.contains("s3cret"), "{message}");
        assert!(message.contains("repo.example.com/maven2"), "{message}");
        assert_eq!(without_password("https://u:p@h:1/m?x"), "https://***@h:1/m?x");
        assert_eq!(without_password("https://h/m"), "https://h/m");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::Source;

    fn coordinate(g: &str, a: &str, v: &str) -> MavenCoordinate {
        MavenCoordinate { group_id: g.into(), artifact_id: a.into(), version: v.into() }
    }

    #[test]
    fn coordinates_as_spark_reads_them() {
        assert_eq!(
            parse_coordinates("org.apache.commons:commons-lang3:3.14.0,org.apache.commons/commons-text:1.11.0"),
            Ok(vec![
                coordinate("org.apache.commons", "commons-lang3", "3.14.0"),
                coordinate("org.apache.commons", "commons-text", "1.11.0")
            ])
        );
        // Java's split drops trailing empty pieces, so a trailing comma is accepted.
        assert_eq!(parse_coordinates("g:a:1,").map(|c| c.len()), Ok(1));
    }

    #[test]
    fn bad_coordinates_are_named() {
        for (list, bad) in [
            ("g:a", "`g:a` is not"),
            ("g:a:1:jar", "`g:a:1:jar` is not"),
            ("g:a:1,,h:b:2", "`` is not"),
            ("g:a:", "`g:a:` is not"),
            ("g::1", "empty artifactId"),
            (" :a:1", "empty groupId"),
            ("g:a:1, h:b:2", "spaces around its groupId"),
        ] {
            let err = parse_coordinates(list).err().unwrap_or_default();
            assert!(err.contains(bad), "{list}: {err}");
        }
    }

    #[test]
    fn exclusions_are_group_and_artifact() {
        assert_eq!(parse_exclusions("g:a,h/b"), Ok(vec![("g".into(), "a".into()), ("h".into(), "b".into())]));
        let err = parse_exclusions("g:a:1.0").err().unwrap_or_default();
        assert!(err.contains("`g:a:1.0` is not a package to exclude"), "{err}");
    }

    #[test]
    fn pom_path_follows_the_maven_layout() {
        assert_eq!(
            coordinate("org.apache.commons", "commons-lang3", "3.14.0").pom_path(),
            "org/apache/commons/commons-lang3/3.14.0/commons-lang3-3.14.0.pom"
        );
    }

    #[test]
    fn errors_name_key_and_source() {
        let mut conf = SparkConf::new();
        conf.set(PACKAGES, "g:a", Source::File { path: "p.properties".into(), line: 3 });
        let err = Packages::from_conf(&conf, Path::new(".")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("spark.jars.packages=g:a (from p.properties:3)"), "{err}");
        conf.set(PACKAGES, "g:a:1", Source::Flag("--packages"));
        conf.set(EXCLUDES, "h:b:2", Source::Flag("--exclude-packages"));
        let err = Packages::from_conf(&conf, Path::new(".")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("(from --exclude-packages)") && err.contains("`h:b:2`"), "{err}");
    }

    #[test]
    fn exclusions_and_repositories_without_packages_are_not_read() {
        let mut conf = SparkConf::new();
        conf.set(EXCLUDES, "not valid at all", Source::ConfFlag);
        conf.set(REPOSITORIES, "https://repo.example.com/maven", Source::ConfFlag);
        assert_eq!(Packages::from_conf(&conf, Path::new(".")), Ok(None));
    }

    #[test]
    fn ivy_settings_must_be_a_local_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("ivysettings.xml"), "<ivysettings/>").unwrap_or_else(|e| panic!("{e}"));
        let mut conf = SparkConf::new();
        conf.set(PACKAGES, "g:a:1", Source::Flag("--packages"));
        conf.set(IVY_SETTINGS, "ivysettings.xml", Source::ConfFlag);
        let found = Packages::from_conf(&conf, dir.path()).ok().flatten();
        assert_eq!(found.and_then(|p| p.ivy_settings), Some("ivysettings.xml".into()));
        for missing in ["missing.xml", "https://example.com/ivysettings.xml"] {
            conf.set(IVY_SETTINGS, missing, Source::ConfFlag);
            let err = Packages::from_conf(&conf, dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.starts_with(&format!("spark.jars.ivySettings={missing} (from --conf)")), "{err}");
        }
    }
}
