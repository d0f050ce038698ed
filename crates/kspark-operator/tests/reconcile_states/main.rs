//! The state handlers of src/reconcile/states.rs, one reconcile at a time on
//! a real API server (the test control plane), in the manner of kubeflow's
//! controller tests (internal/controller/sparkapplication/controller_test.go):
//! each test makes a namespace of its own, an application in the state
//! under test with the pods that state needs, calls
//! `kspark_operator::reconcile::reconcile` once, and reads back the state,
//! the status, the Events and the pods it left.
//!
//! One call may pass through several states: kspark's reconcile runs the
//! state machine until it has to wait (for a driver, a retry interval, a
//! deletion), where kubeflow's makes one transition per call. So FAILING
//! with no retry left ends FAILED here, and a rerun whose old driver is
//! gone is submitted in the same call; kubeflow's tests stop one state
//! earlier, and the submissions they cannot make (no spark-submit there)
//! are made and checked here.

mod case;
mod objects;
mod observe;
mod rerun;
mod submit;
mod suspend;
mod terminal;

use kube::runtime::controller::Action;

/// Whether the controller would look at the application again by itself
/// (a requeue), rather than only on a change.
pub fn requeued(action: &Action) -> bool {
    *action != Action::await_change()
}
