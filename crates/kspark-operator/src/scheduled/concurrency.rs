//! Whether a due run starts, by `spec.concurrencyPolicy`: Allow starts it
//! beside the active ones, Forbid skips it while one is active, Replace
//! deletes the active ones first. None given is Allow (kubeflow would
//! start only a first run).

use kspark_sparkapp::scheduled::ConcurrencyPolicy;

use super::runs::Run;

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Create the run after deleting these.
    Start { replace: Vec<String> },
    /// Skip this time: this run is still active.
    Skip { active: String },
}

/// `due` is the name of the run to create: if it already exists (an earlier
/// try created it), it is neither a reason to skip nor one to delete.
pub fn decide(policy: Option<ConcurrencyPolicy>, runs: &[Run], due: &str) -> Decision {
    let mut active: Vec<&Run> = runs.iter().filter(|r| r.is_active() && r.name != due).collect();
    active.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.name.cmp(&a.name)));
    match (policy.unwrap_or(ConcurrencyPolicy::Allow), active.first()) {
        (ConcurrencyPolicy::Forbid, Some(newest)) => Decision::Skip { active: newest.name.clone() },
        (ConcurrencyPolicy::Replace, _) => Decision::Start { replace: active.iter().map(|r| r.name.clone()).collect() },
        _ => Decision::Start { replace: Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kspark_sparkapp::ApplicationStateType as S;

    fn run(name: &str, state: S) -> Run {
        Run { name: name.into(), created: None, state, deleting: false }
    }

    #[test]
    fn each_policy_decides_as_kubeflow_documents() {
        let runs = [run("a-1", S::Completed), run("a-2", S::Running), run("a-3", S::Submitted)];
        assert_eq!(decide(None, &runs, "a-4"), Decision::Start { replace: vec![] });
        assert_eq!(decide(Some(ConcurrencyPolicy::Allow), &runs, "a-4"), Decision::Start { replace: vec![] });
        assert_eq!(decide(Some(ConcurrencyPolicy::Forbid), &runs, "a-4"), Decision::Skip { active: "a-3".into() });
        assert_eq!(
            decide(Some(ConcurrencyPolicy::Replace), &runs, "a-4"),
            Decision::Start { replace: vec!["a-3".into(), "a-2".into()] }
        );
    }

    #[test]
    fn the_due_run_itself_and_finished_runs_never_block() {
        let runs = [run("a-1", S::Failed), run("a-2", S::Running)];
        assert_eq!(decide(Some(ConcurrencyPolicy::Forbid), &runs, "a-2"), Decision::Start { replace: vec![] });
        assert_eq!(decide(Some(ConcurrencyPolicy::Replace), &runs, "a-2"), Decision::Start { replace: vec![] });
    }
}
