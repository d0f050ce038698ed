//! The scheduled times this process has already handled, per schedule (by
//! UID). The controller reads schedules from a cache that may lag behind
//! the status this process just wrote; a due time at or before one already
//! handled means the cache is stale, and nothing is started from it. (A new
//! process starts from a fresh list, so this needs no persistence; the run
//! names make even that case idempotent.)

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;

#[derive(Debug, Default)]
pub struct Fired {
    by_uid: Mutex<HashMap<String, Timestamp>>,
}

impl Fired {
    /// Whether `due` was handled already (the cache has not caught up).
    pub fn already(&self, uid: &str, due: Timestamp) -> bool {
        let map = self.by_uid.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(uid).is_some_and(|handled| due <= *handled)
    }

    /// Records `due` as handled, once its status is written.
    pub fn record(&self, uid: &str, due: Timestamp) {
        let mut map = self.by_uid.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.insert(uid.to_string(), due);
    }

    /// Forgets a schedule that is gone.
    pub fn forget(&self, uid: &str) {
        let mut map = self.by_uid.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.remove(uid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_time_at_or_before_the_last_handled_one_is_stale() {
        let fired = Fired::default();
        let t = |s: i64| Timestamp::from_second(s).unwrap_or_else(|e| panic!("{e}"));
        assert!(!fired.already("u", t(10)));
        fired.record("u", t(10));
        assert!(fired.already("u", t(10)) && fired.already("u", t(5)));
        assert!(!fired.already("u", t(20)) && !fired.already("other", t(10)));
        fired.forget("u");
        assert!(!fired.already("u", t(10)));
    }
}
