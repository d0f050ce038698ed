//! Which Spark release the objects are built for. Spark's minor lines
//! create different objects, so kspark builds for one target version.

use std::fmt;

use thiserror::Error;

/// A supported minor line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SparkLine {
    V3_5,
    V4_0,
    V4_1,
    V4_2,
    V4_3,
}

/// A Spark release, e.g. 4.0.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SparkVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// The newest release of each supported line, newest last.
pub const SUPPORTED: [SparkVersion; 5] = [
    SparkVersion::new(3, 5, 9),
    SparkVersion::new(4, 0, 5),
    SparkVersion::new(4, 1, 4),
    SparkVersion::new(4, 2, 1),
    SparkVersion::new(4, 3, 0),
];

/// How the target version was chosen, to tell the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionOrigin {
    ImageTag,
    Flag,
    NewestSupported,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VersionError {
    #[error("`{0}` is not a Spark version: use X.Y.Z, e.g. 4.0.5")]
    Malformed(String),
    #[error("Spark {0} is not supported: kspark builds for Spark 3.5.x and 4.0.x-4.3.x")]
    Unsupported(SparkVersion),
    #[error(
        "conflicting versions: the image tag says Spark {tag} but --spark-version says {flag}; drop --spark-version or fix the image"
    )]
    Conflict { tag: SparkVersion, flag: SparkVersion },
}

impl SparkVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        SparkVersion { major, minor, patch }
    }

    pub fn newest() -> SparkVersion {
        SUPPORTED[SUPPORTED.len() - 1]
    }

    pub fn parse(text: &str) -> Result<SparkVersion, VersionError> {
        let bad = || VersionError::Malformed(text.to_string());
        let mut parts = text.trim().trim_start_matches('v').split('.');
        let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok()).ok_or_else(bad);
        let v = SparkVersion::new(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(v)
    }

    pub fn line(self) -> Result<SparkLine, VersionError> {
        Ok(match (self.major, self.minor) {
            (3, 5) => SparkLine::V3_5,
            (4, 0) => SparkLine::V4_0,
            (4, 1) => SparkLine::V4_1,
            (4, 2) => SparkLine::V4_2,
            (4, 3) => SparkLine::V4_3,
            _ => return Err(VersionError::Unsupported(self)),
        })
    }

    /// The first `X.Y.Z` in an image reference's tag, if any.
    pub fn from_image(image: &str) -> Option<SparkVersion> {
        let without_digest = image.split('@').next().unwrap_or(image);
        let last_segment = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let (_, tag) = last_segment.split_once(':')?;
        first_version_in(tag)
    }

    /// Picks the target: the image tag's version, else `--spark-version`,
    /// else the newest supported release.
    pub fn choose(image: Option<&str>, flag: Option<&str>) -> Result<(SparkVersion, VersionOrigin), VersionError> {
        let flag = flag.map(SparkVersion::parse).transpose()?;
        let tag = image.and_then(SparkVersion::from_image);
        let chosen = match (tag, flag) {
            (Some(tag), Some(flag)) if tag != flag => {
                return Err(VersionError::Conflict { tag, flag });
            }
            (Some(tag), _) => (tag, VersionOrigin::ImageTag),
            (None, Some(flag)) => (flag, VersionOrigin::Flag),
            (None, None) => (SparkVersion::newest(), VersionOrigin::NewestSupported),
        };
        chosen.0.line()?;
        Ok(chosen)
    }
}

fn first_version_in(tag: &str) -> Option<SparkVersion> {
    let bytes = tag.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit() && bytes[i - 1] != b'.'))
        .find_map(|i| {
            let rest = &tag[i..];
            let end = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
            let candidate = rest[..end].trim_end_matches('.');
            let parts: Vec<&str> = candidate.split('.').collect();
            (parts.len() >= 3).then(|| SparkVersion::parse(&parts[..3].join(".")).ok()).flatten()
        })
}

impl fmt::Display for SparkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_image_tags() {
        let v = |s| SparkVersion::from_image(s).map(|v| v.to_string());
        assert_eq!(v("apache/spark:4.0.5"), Some("4.0.5".into()));
        assert_eq!(v("myacr.azurecr.io/spark:3.5.9-python3"), Some("3.5.9".into()));
        assert_eq!(v("spark:4.0.1-scala2.13-java17-python3-ubuntu"), Some("4.0.1".into()));
        assert_eq!(v("registry:5000/spark:v4.1.4"), Some("4.1.4".into()));
        assert_eq!(v("registry:5000/spark"), None);
        assert_eq!(v("spark:latest"), None);
        assert_eq!(v("spark:java17-4.2"), None);
    }

    #[test]
    fn choosing_a_version() {
        let c = |i, f| SparkVersion::choose(i, f).map(|(v, o)| (v.to_string(), o));
        assert_eq!(c(Some("spark:4.0.5"), None), Ok(("4.0.5".into(), VersionOrigin::ImageTag)));
        assert_eq!(c(Some("spark:latest"), Some("3.5.9")), Ok(("3.5.9".into(), VersionOrigin::Flag)));
        assert_eq!(c(None, None), Ok(("4.3.0".into(), VersionOrigin::NewestSupported)));
        assert!(matches!(c(Some("spark:4.0.5"), Some("3.5.9")), Err(VersionError::Conflict { .. })));
        assert!(matches!(c(Some("spark:3.4.1"), None), Err(VersionError::Unsupported(_))));
        assert!(matches!(c(None, Some("4.x")), Err(VersionError::Malformed(_))));
    }
}
