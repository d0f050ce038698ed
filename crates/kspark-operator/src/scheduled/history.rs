//! Which finished runs a schedule keeps (kubeflow's bookkeepPastRuns): the
//! newest `successfulRunHistoryLimit` COMPLETED and `failedRunHistoryLimit`
//! FAILED runs (1 each by default); older ones are deleted.

use kspark_sparkapp::ApplicationStateType;

use super::runs::Run;

/// kubeflow's default for both limits.
const DEFAULT_LIMIT: i32 = 1;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct History {
    pub successful: Vec<String>,
    pub failed: Vec<String>,
    pub to_delete: Vec<String>,
}

pub fn bookkeep(runs: &[Run], successful_limit: Option<i32>, failed_limit: Option<i32>) -> History {
    let (successful, mut to_delete) = keep_newest(runs, ApplicationStateType::Completed, successful_limit);
    let (failed, failed_deleted) = keep_newest(runs, ApplicationStateType::Failed, failed_limit);
    to_delete.extend(failed_deleted);
    History { successful, failed, to_delete }
}

fn keep_newest(runs: &[Run], state: ApplicationStateType, limit: Option<i32>) -> (Vec<String>, Vec<String>) {
    let mut finished: Vec<&Run> = runs.iter().filter(|r| r.state == state && !r.deleting).collect();
    // Newest first; names carry the scheduled time and break ties.
    finished.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.name.cmp(&a.name)));
    let limit = usize::try_from(limit.unwrap_or(DEFAULT_LIMIT)).unwrap_or(0);
    let names: Vec<String> = finished.into_iter().map(|r| r.name.clone()).collect();
    let split = limit.min(names.len());
    let (keep, delete) = names.split_at(split);
    (keep.to_vec(), delete.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStateType as S;

    fn run(name: &str, second: i64, state: ApplicationStateType) -> Run {
        let created = jiff::Timestamp::from_second(second).ok();
        Run { name: name.into(), created, state, deleting: false }
    }

    #[test]
    fn the_newest_finished_runs_are_kept_by_kind_and_the_rest_deleted() {
        let runs = [
            run("s1", 1, S::Completed),
            run("s3", 3, S::Completed),
            run("f2", 2, S::Failed),
            run("s5", 5, S::Completed),
            run("f4", 4, S::Failed),
            run("r6", 6, S::Running),
        ];
        let history = bookkeep(&runs, Some(2), None);
        assert_eq!(history.successful, ["s5", "s3"]);
        assert_eq!(history.failed, ["f4"], "kubeflow's default limit is 1");
        assert_eq!(history.to_delete, ["s1", "f2"]);
    }

    #[test]
    fn a_zero_or_negative_limit_keeps_none_and_deleting_runs_are_not_counted() {
        let mut gone = run("s2", 2, S::Completed);
        gone.deleting = true;
        let runs = [run("s1", 1, S::Completed), gone, run("f1", 1, S::Failed)];
        let history = bookkeep(&runs, Some(0), Some(-3));
        assert_eq!(history, History { successful: vec![], failed: vec![], to_delete: vec!["s1".into(), "f1".into()] });
    }
}
