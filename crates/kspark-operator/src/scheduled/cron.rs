//! A schedule as kubeflow reads it (robfig/cron's ParseStandard behind
//! `CRON_TZ=<spec.timeZone>`): five cron fields, the descriptors
//! `@yearly`/`@annually`/`@monthly`/`@weekly`/`@daily`/`@midnight`/`@hourly`,
//! `@every <duration>`, and an optional `CRON_TZ=`/`TZ=` prefix that wins
//! over `spec.timeZone`. Cron fields are parsed by croner.

use std::str::FromStr;

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "spec.timeZone {zone:?} is not a time zone ({message}); use Local, UTC or an IANA name such as Europe/Paris"
    )]
    TimeZone { zone: String, message: String },
    #[error(
        "spec.schedule {schedule:?} is invalid: {message}; use five cron fields (minute hour day-of-month month \
         day-of-week), @hourly, @daily, @weekly, @monthly, @yearly or @every 10m"
    )]
    Pattern { schedule: String, message: String },
}

#[derive(Debug, Clone)]
enum Recurrence {
    Cron(Box<Cron>),
    /// robfig's ConstantDelaySchedule: whole seconds after the last look.
    Every(SignedDuration),
}

#[derive(Debug, Clone)]
pub struct Schedule {
    recurrence: Recurrence,
    zone: TimeZone,
}

impl Schedule {
    pub fn parse(schedule: &str, time_zone: &str) -> Result<Schedule, ScheduleError> {
        let (zone_name, pattern) = split_zone_prefix(schedule.trim(), time_zone);
        let zone = zone(zone_name)?;
        let pattern_error = |message: String| ScheduleError::Pattern { schedule: schedule.to_string(), message };
        let recurrence = match pattern.strip_prefix("@every ") {
            Some(every) => Recurrence::Every(interval(every.trim()).map_err(pattern_error)?),
            None => Recurrence::Cron(Box::new(cron(pattern).map_err(pattern_error)?)),
        };
        let parsed = Schedule { recurrence, zone };
        if parsed.next_after(Timestamp::now()).is_none() {
            return Err(pattern_error("it never fires".into()));
        }
        Ok(parsed)
    }

    /// The first time strictly after `after` (robfig's Next), or none if the
    /// pattern never matches again.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        match &self.recurrence {
            Recurrence::Every(delay) => {
                let whole = SignedDuration::from_secs(after.as_second());
                Timestamp::from_duration(whole).ok()?.checked_add(*delay).ok()
            }
            Recurrence::Cron(cron) => {
                let zoned = after.to_zoned(self.zone.clone());
                cron.find_next_occurrence(&zoned, false).ok().map(|z| z.timestamp())
            }
        }
    }
}

/// `CRON_TZ=Europe/Paris 0 6 * * *` → (`Europe/Paris`, `0 6 * * *`);
/// otherwise spec.timeZone ("" = Local, kubeflow's default).
fn split_zone_prefix<'a>(schedule: &'a str, time_zone: &'a str) -> (&'a str, &'a str) {
    for prefix in ["CRON_TZ=", "TZ="] {
        if let Some(rest) = schedule.strip_prefix(prefix) {
            let (zone, pattern) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            return (zone, pattern.trim());
        }
    }
    (if time_zone.is_empty() { "Local" } else { time_zone }, schedule)
}

fn zone(name: &str) -> Result<TimeZone, ScheduleError> {
    match name {
        "Local" => Ok(TimeZone::system()),
        "UTC" => Ok(TimeZone::UTC),
        _ => {
            TimeZone::get(name).map_err(|e| ScheduleError::TimeZone { zone: name.to_string(), message: e.to_string() })
        }
    }
}

/// A Go duration (`10m`, `1h30m`, `2s`); robfig rounds anything under a
/// second up to one and drops fractions of a second.
fn interval(text: &str) -> Result<SignedDuration, String> {
    let parsed = SignedDuration::from_str(text).map_err(|e| format!("@every {text:?}: {e}"))?;
    Ok(SignedDuration::from_secs(parsed.as_secs().max(1)))
}

fn cron(pattern: &str) -> Result<Cron, String> {
    // robfig knows @midnight; croner does not.
    let pattern = if pattern.eq_ignore_ascii_case("@midnight") { "@daily" } else { pattern };
    if pattern.starts_with('@') && !is_descriptor(pattern) {
        return Err(format!("unknown descriptor {pattern}"));
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

fn is_descriptor(pattern: &str) -> bool {
    ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"].iter().any(|d| pattern.eq_ignore_ascii_case(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn next(schedule: &str, zone: &str, after: &str) -> String {
        let parsed = Schedule::parse(schedule, zone).unwrap_or_else(|e| panic!("{e}"));
        parsed.next_after(at(after)).map(|t| t.to_string()).unwrap_or_default()
    }

    #[test]
    fn five_fields_and_descriptors_fire_at_robfigs_times() {
        assert_eq!(next("*/15 * * * *", "UTC", "2026-03-01T10:07:30Z"), "2026-03-01T10:15:00Z");
        assert_eq!(next("0 6 * * MON-FRI", "UTC", "2026-02-28T12:00:00Z"), "2026-03-02T06:00:00Z");
        assert_eq!(next("@hourly", "UTC", "2026-03-01T10:07:30Z"), "2026-03-01T11:00:00Z");
        assert_eq!(next("@daily", "UTC", "2026-03-01T10:07:30Z"), "2026-03-02T00:00:00Z");
        assert_eq!(next("@midnight", "UTC", "2026-03-01T10:07:30Z"), "2026-03-02T00:00:00Z");
        assert_eq!(next("@weekly", "UTC", "2026-03-02T10:00:00Z"), "2026-03-08T00:00:00Z");
        assert_eq!(next("@monthly", "UTC", "2026-03-01T10:07:30Z"), "2026-04-01T00:00:00Z");
        assert_eq!(next("@yearly", "UTC", "2026-03-01T10:07:30Z"), "2027-01-01T00:00:00Z");
        assert_eq!(next("@annually", "UTC", "2026-03-01T10:07:30Z"), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn every_counts_whole_seconds_from_the_last_look() {
        assert_eq!(next("@every 10m", "", "2026-03-01T10:07:30.75Z"), "2026-03-01T10:17:30Z");
        assert_eq!(next("@every 1h30m", "", "2026-03-01T10:00:00Z"), "2026-03-01T11:30:00Z");
        assert_eq!(next("@every 2s", "", "2026-03-01T10:00:00Z"), "2026-03-01T10:00:02Z");
        assert_eq!(next("@every 100ms", "", "2026-03-01T10:00:00Z"), "2026-03-01T10:00:01Z");
    }

    #[test]
    fn the_time_zone_decides_the_wall_clock_and_cron_tz_wins() {
        // 06:00 in Paris is 05:00 UTC in winter and 04:00 UTC in summer.
        assert_eq!(next("0 6 * * *", "Europe/Paris", "2026-01-10T12:00:00Z"), "2026-01-11T05:00:00Z");
        assert_eq!(next("0 6 * * *", "Europe/Paris", "2026-07-10T12:00:00Z"), "2026-07-11T04:00:00Z");
        assert_eq!(next("CRON_TZ=America/New_York 0 6 * * *", "UTC", "2026-01-10T12:00:00Z"), "2026-01-11T11:00:00Z");
        assert_eq!(next("TZ=UTC 0 6 * * *", "Asia/Tokyo", "2026-01-10T12:00:00Z"), "2026-01-11T06:00:00Z");
    }

    #[test]
    fn bad_schedules_and_zones_are_named() {
        let error = |s: &str, z: &str| Schedule::parse(s, z).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error("0 6 * * *", "Mars/Olympus").starts_with("spec.timeZone \"Mars/Olympus\""));
        assert!(error("CRON_TZ=Nowhere 0 6 * * *", "").contains("\"Nowhere\""));
        for bad in ["* * *", "0 0 6 * * *", "61 * * * *", "@fortnightly", "@every soon", "0 0 30 2 *", ""] {
            let message = error(bad, "UTC");
            assert!(message.starts_with(&format!("spec.schedule {bad:?} is invalid")), "{bad}: {message}");
        }
    }
}
