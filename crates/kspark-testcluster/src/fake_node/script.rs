//! Parsing a pod's annotations into the life the fake node plays.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::annotations::{
    DEFAULT_RUN_MILLIS, DEFAULT_START_MILLIS, INVALID_SCRIPT_EXIT_CODE, OUTCOME, RUN_MILLIS, START_MILLIS,
};

/// How a pod's containers end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeed,
    Fail { exit_code: i32, message: Option<String> },
    Oom,
    ImagePullError { message: String },
    Pending,
    RunForever,
}

/// A pod's scripted life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Script {
    pub outcome: Outcome,
    pub start_delay: Duration,
    pub run_time: Duration,
}

impl Script {
    pub(crate) fn from_annotations(annotations: Option<&BTreeMap<String, String>>) -> Self {
        let get = |key: &str| annotations.and_then(|a| a.get(key)).map(String::as_str);
        let parsed = parse_outcome(get(OUTCOME).unwrap_or("succeed")).and_then(|outcome| {
            Ok((
                outcome,
                parse_millis(RUN_MILLIS, get(RUN_MILLIS), DEFAULT_RUN_MILLIS)?,
                parse_millis(START_MILLIS, get(START_MILLIS), DEFAULT_START_MILLIS)?,
            ))
        });
        match parsed {
            Ok((outcome, run_time, start_delay)) => Self { outcome, start_delay, run_time },
            Err(message) => Self {
                outcome: Outcome::Fail { exit_code: INVALID_SCRIPT_EXIT_CODE, message: Some(message) },
                start_delay: Duration::ZERO,
                run_time: Duration::from_millis(DEFAULT_RUN_MILLIS),
            },
        }
    }
}

fn parse_outcome(value: &str) -> Result<Outcome, String> {
    let invalid = |why: &str| format!("invalid {OUTCOME} annotation {value:?}: {why}");
    let (kind, rest) = match value.split_once(':') {
        Some((kind, rest)) => (kind.trim(), Some(rest)),
        None => (value.trim(), None),
    };
    match (kind, rest) {
        ("succeed", None) => Ok(Outcome::Succeed),
        ("oom", None) => Ok(Outcome::Oom),
        ("pending", None) => Ok(Outcome::Pending),
        ("run-forever", None) => Ok(Outcome::RunForever),
        ("image-pull-error", Some(message)) => Ok(Outcome::ImagePullError { message: message.to_string() }),
        ("fail", Some(rest)) => parse_fail(rest).map_err(|why| invalid(&why)),
        _ => Err(invalid(
            "expected succeed, fail:<code>[:<message>], oom, image-pull-error:<message>, pending or run-forever",
        )),
    }
}

fn parse_fail(rest: &str) -> Result<Outcome, String> {
    let (code, message) = match rest.split_once(':') {
        Some((code, message)) => (code, Some(message.to_string())),
        None => (rest, None),
    };
    let exit_code: i32 = code.trim().parse().map_err(|_| format!("exit code {code:?} is not an integer"))?;
    Ok(Outcome::Fail { exit_code, message })
}

fn parse_millis(key: &str, value: Option<&str>, default: u64) -> Result<Duration, String> {
    match value {
        None => Ok(Duration::from_millis(default)),
        Some(v) => v
            .trim()
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| format!("invalid {key} annotation {v:?}: expected milliseconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(pairs: &[(&str, &str)]) -> Script {
        let map = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Script::from_annotations(Some(&map))
    }

    #[test]
    fn defaults_to_succeed_after_1500ms() {
        let s = Script::from_annotations(None);
        assert_eq!(s.outcome, Outcome::Succeed);
        assert_eq!(s.run_time, Duration::from_millis(1500));
        assert_eq!(s.start_delay, Duration::ZERO);
    }

    #[test]
    fn parses_every_outcome() {
        let cases = [
            ("succeed", Outcome::Succeed),
            ("oom", Outcome::Oom),
            ("pending", Outcome::Pending),
            ("run-forever", Outcome::RunForever),
            ("fail:3", Outcome::Fail { exit_code: 3, message: None }),
            ("fail:3:boom: at line 2", Outcome::Fail { exit_code: 3, message: Some("boom: at line 2".into()) }),
            ("image-pull-error:manifest unknown", Outcome::ImagePullError { message: "manifest unknown".into() }),
        ];
        for (value, expected) in cases {
            assert_eq!(script(&[(OUTCOME, value)]).outcome, expected, "{value}");
        }
    }

    #[test]
    fn typos_fail_the_pod_visibly() {
        for value in ["succes", "fail:x", "fail", "oom:1"] {
            match script(&[(OUTCOME, value)]).outcome {
                Outcome::Fail { exit_code: 2, message: Some(m) } => assert!(m.contains(OUTCOME), "{m}"),
                other => panic!("{value}: {other:?}"),
            }
        }
        let s = script(&[(RUN_MILLIS, "soon")]);
        assert!(matches!(s.outcome, Outcome::Fail { exit_code: 2, .. }));
    }

    #[test]
    fn reads_times() {
        let s = script(&[(RUN_MILLIS, "250"), (START_MILLIS, "10")]);
        assert_eq!(s.run_time, Duration::from_millis(250));
        assert_eq!(s.start_delay, Duration::from_millis(10));
    }
}
