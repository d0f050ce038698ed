//! The official `apache/spark` image of a release. Its tags read
//! `<version>-scala<scala>-java<java>[-python3]-ubuntu` (apache/spark-docker's
//! versions.json): Java 17 exists for every 3.5.x and 4.x release, Java 11
//! only for 3.5.x and Java 21 only for 4.x.

use kspark_config::SparkVersion;
use thiserror::Error;

use crate::azure_jars::SparkLine;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("there is no official apache/spark image of Spark {version} with Java {java}: it comes with Java {offered}")]
pub struct NoSuchJava {
    pub version: SparkVersion,
    pub java: u32,
    pub offered: &'static str,
}

/// The official image's reference for `version` on `line`.
pub fn official(version: SparkVersion, line: &SparkLine, java: u32, python: bool) -> Result<String, NoSuchJava> {
    let offered = if version.major == 3 { "11 or 17" } else { "17 or 21" };
    let available = match java {
        17 => true,
        11 => version.major == 3,
        21 => version.major >= 4,
        _ => false,
    };
    if !available {
        return Err(NoSuchJava { version, java, offered });
    }
    let python = if python { "-python3" } else { "" };
    Ok(format!("apache/spark:{version}-scala{}-java{java}{python}-ubuntu", line.scala))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure_jars::line_for;

    fn tag(v: SparkVersion, java: u32, python: bool) -> Result<String, NoSuchJava> {
        official(v, &line_for(v).expect("test input"), java, python)
    }

    #[test]
    fn tags_follow_the_official_naming() {
        let v4 = SparkVersion::new(4, 0, 1);
        assert_eq!(tag(v4, 17, true).expect("test input"), "apache/spark:4.0.1-scala2.13-java17-python3-ubuntu");
        assert_eq!(tag(v4, 21, false).expect("test input"), "apache/spark:4.0.1-scala2.13-java21-ubuntu");
        let v3 = SparkVersion::new(3, 5, 8);
        assert_eq!(tag(v3, 17, false).expect("test input"), "apache/spark:3.5.8-scala2.12-java17-ubuntu");
        assert_eq!(tag(v3, 11, true).expect("test input"), "apache/spark:3.5.8-scala2.12-java11-python3-ubuntu");
    }

    #[test]
    fn a_java_the_line_lacks_is_refused() {
        let err = tag(SparkVersion::new(3, 5, 8), 21, false).expect_err("must fail").to_string();
        assert!(err.contains("Java 21") && err.contains("11 or 17"), "{err}");
        assert!(tag(SparkVersion::new(4, 1, 2), 11, false).is_err());
    }
}
