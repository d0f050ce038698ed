//! The Spark line → Hadoop version → jars table (`data/azure-jars.toml`,
//! which says why each jar is in it). Data, not code: tests/maven_central.rs
//! checks it against Maven Central.

use kspark_config::SparkVersion;
use kspark_config::packages::{MavenCoordinate, parse_coordinates};
use serde::Deserialize;
use thiserror::Error;

/// The table as shipped in the binary.
pub const TABLE_TOML: &str = include_str!("../data/azure-jars.toml");
/// Where the jars are downloaded from, by the Dockerfile and `image build`.
pub const MAVEN_CENTRAL: &str = "https://repo1.maven.org/maven2";

#[derive(Debug, Error)]
pub enum TableError {
    #[error("data/azure-jars.toml is not valid: {0}")]
    Invalid(String),
    #[error("no hadoop-azure jars are known for Spark {version}: the table covers Spark {known}")]
    UnknownLine { version: SparkVersion, known: String },
}

/// One Spark minor line.
#[derive(Debug, Clone)]
pub struct SparkLine {
    /// `major.minor`, e.g. `4.0`.
    pub spark: String,
    /// The Scala version of the official image, e.g. `2.13`.
    pub scala: String,
    /// The Hadoop release the line ships (hadoop-client-api-*.jar).
    pub hadoop: String,
    /// A release of the line on Maven Central whose spark-parent POM names
    /// `hadoop` (None when none is published there yet).
    pub maven_release: Option<String>,
    /// `groupId:artifactId` of dependencies the Spark image already has.
    pub in_spark: Vec<String>,
    pub jars: Vec<PinnedJar>,
}

/// A Maven Central jar pinned by the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedJar {
    pub coordinate: MavenCoordinate,
    /// Lower-case hex.
    pub sha256: String,
}

impl PinnedJar {
    /// `artifactId-version.jar`, the name it gets in /opt/spark/jars.
    pub fn file_name(&self) -> String {
        format!("{}-{}.jar", self.coordinate.artifact_id, self.coordinate.version)
    }

    /// The jar's URL in a Maven-layout repository at `repository`.
    pub fn url(&self, repository: &str) -> String {
        let pom = self.coordinate.pom_path();
        let path = pom.strip_suffix(".pom").unwrap_or(&pom);
        format!("{}/{path}.jar", repository.trim_end_matches('/'))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    line: Vec<RawLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    spark: String,
    scala: String,
    hadoop: String,
    maven_release: Option<String>,
    in_spark: Vec<String>,
    jars: Vec<RawJar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJar {
    maven: String,
    sha256: String,
}

/// Every line of the table, checked.
pub fn lines() -> Result<Vec<SparkLine>, TableError> {
    parse(TABLE_TOML)
}

/// The table's line for `version` (by major.minor).
pub fn line_for(version: SparkVersion) -> Result<SparkLine, TableError> {
    let wanted = format!("{}.{}", version.major, version.minor);
    let all = lines()?;
    let known = all.iter().map(|l| format!("{}.x", l.spark)).collect::<Vec<_>>().join(", ");
    all.into_iter().find(|l| l.spark == wanted).ok_or(TableError::UnknownLine { version, known })
}

/// Parses and checks a table in the format of `data/azure-jars.toml`.
pub fn parse(text: &str) -> Result<Vec<SparkLine>, TableError> {
    let raw: RawTable = toml::from_str(text).map_err(|e| TableError::Invalid(e.to_string()))?;
    raw.line.into_iter().map(checked_line).collect()
}

fn checked_line(raw: RawLine) -> Result<SparkLine, TableError> {
    let invalid = |what: String| TableError::Invalid(format!("line spark = \"{}\": {what}", raw.spark));
    let jars = raw
        .jars
        .iter()
        .map(|jar| {
            let mut coordinates = parse_coordinates(&jar.maven).map_err(invalid)?;
            let coordinate = match (coordinates.pop(), coordinates.is_empty()) {
                (Some(c), true) => c,
                _ => return Err(invalid(format!("`{}` must be one groupId:artifactId:version", jar.maven))),
            };
            let is_sha256 =
                jar.sha256.len() == 64 && jar.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !is_sha256 {
                return Err(invalid(format!("the sha256 of {} is not 64 lower-case hex digits", jar.maven)));
            }
            Ok(PinnedJar { coordinate, sha256: jar.sha256.clone() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let has_hadoop_azure = jars.iter().any(|j| {
        j.coordinate.artifact_id == "hadoop-azure"
            && j.coordinate.group_id == "org.apache.hadoop"
            && j.coordinate.version == raw.hadoop
    });
    if !has_hadoop_azure {
        return Err(invalid(format!("no org.apache.hadoop:hadoop-azure:{} among its jars", raw.hadoop)));
    }
    Ok(SparkLine {
        spark: raw.spark,
        scala: raw.scala,
        hadoop: raw.hadoop,
        maven_release: raw.maven_release,
        in_spark: raw.in_spark,
        jars,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_spark_release_has_a_line() {
        for version in kspark_config::version::SUPPORTED {
            let line = line_for(version).expect("test input");
            assert_eq!(line.spark, format!("{}.{}", version.major, version.minor));
        }
    }

    #[test]
    fn spark_4_0_takes_hadoop_3_4_1() {
        let line = line_for(SparkVersion::new(4, 0, 1)).expect("test input");
        assert_eq!(line.hadoop, "3.4.1");
        let azure = &line.jars[0];
        assert_eq!(azure.file_name(), "hadoop-azure-3.4.1.jar");
        assert_eq!(
            azure.url(MAVEN_CENTRAL),
            "https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-azure/3.4.1/hadoop-azure-3.4.1.jar"
        );
    }

    #[test]
    fn an_unknown_line_names_the_known_ones() {
        let err = line_for(SparkVersion::new(3, 4, 1)).expect_err("must fail").to_string();
        assert!(err.contains("Spark 3.4.1") && err.contains("3.5.x, 4.0.x"), "{err}");
    }

    #[test]
    fn a_bad_sha256_is_refused_with_its_jar() {
        let text = TABLE_TOML.replacen("37adcc23d4db068834acf2b21b6931b609a43cf0a9b4926c440f472af7abad01", "37ADCC", 1);
        let err = parse(&text).expect_err("must fail").to_string();
        assert!(err.contains("hadoop-azure:3.3.4") && err.contains("sha256"), "{err}");
    }

    #[test]
    fn a_line_without_its_hadoop_azure_is_refused() {
        let text = TABLE_TOML.replacen("hadoop = \"3.3.4\"", "hadoop = \"3.3.5\"", 1);
        let err = parse(&text).expect_err("must fail").to_string();
        assert!(err.contains("hadoop-azure:3.3.5"), "{err}");
    }
}
