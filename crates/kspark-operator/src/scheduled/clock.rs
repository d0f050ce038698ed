//! The one clock schedules are evaluated against. Production reads the
//! system clock; tests point the operator at a file holding an offset from
//! it (`KSPARK_OPERATOR_CLOCK_FILE`), so they can move time forward without
//! waiting — the code that uses the clock cannot tell the two apart.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// The system clock plus the duration written in this file (`90s`,
    /// `-1h`, `PT2H`; missing or empty = none), read at every look.
    OffsetFile(PathBuf),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let system = Timestamp::now();
        match self {
            Clock::System => system,
            Clock::OffsetFile(path) => system.saturating_add(offset_in(path)).unwrap_or(system),
        }
    }
}

/// The offset a clock file holds; an unreadable one counts as none, with a
/// warning, so a half-written file never stops the operator.
fn offset_in(path: &std::path::Path) -> SignedDuration {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let text = text.trim();
    if text.is_empty() {
        return SignedDuration::ZERO;
    }
    text.parse().unwrap_or_else(|e| {
        tracing::warn!(file = %path.display(), error = %e, "clock offset unreadable; using none");
        SignedDuration::ZERO
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_file_moves_the_clock_and_follows_rewrites() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("clock");
        let clock = Clock::OffsetFile(path.clone());
        let ahead = |clock: &Clock| clock.now().duration_since(Timestamp::now()).as_secs_f64();
        assert!(ahead(&clock).abs() < 1.0, "no file = no offset");
        std::fs::write(&path, "1h").unwrap_or_else(|e| panic!("{e}"));
        assert!((ahead(&clock) - 3600.0).abs() < 1.0);
        std::fs::write(&path, "-90s\n").unwrap_or_else(|e| panic!("{e}"));
        assert!((ahead(&clock) + 90.0).abs() < 1.0);
        std::fs::write(&path, "soon").unwrap_or_else(|e| panic!("{e}"));
        assert!(ahead(&clock).abs() < 1.0, "garbage = no offset");
    }
}
