//! What kubeflow's batch schedulers (internal/scheduler) do to an
//! application before it is submitted, as pure functions: Volcano's
//! PodGroup and group annotation ([`volcano`]), YuniKorn's task groups,
//! queue label and scheduler name ([`yunikorn`]), scheduler-plugins'
//! PodGroup and group label for kube-scheduler ([`kube_scheduler`]). The operator applies
//! [`schedule`] to the (defaulted) application it is about to submit; the
//! annotations and labels it adds reach the pods as every other
//! `spec.driver`/`spec.executor` annotation and label does. An application
//! that names none gets the operator's default ([`with_default`]) first.

mod default;
pub mod kube_scheduler;
pub mod requests;
pub mod volcano;
pub mod yunikorn;
mod yunikorn_memory;

use crate::application::SparkApplication;
use crate::submit::MappingError;

pub use default::{names_none, with_default};

/// The batch scheduler `spec.batchScheduler` names, when kubeflow has one
/// of that name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchScheduler {
    Volcano,
    Yunikorn,
    KubeScheduler,
}

impl BatchScheduler {
    /// The names `spec.batchScheduler` selects them by.
    pub const NAMES: [&'static str; 3] = [volcano::VOLCANO, yunikorn::YUNIKORN, kube_scheduler::KUBE_SCHEDULER];

    pub fn of(app: &SparkApplication) -> Option<Self> {
        Self::named(app.spec.batch_scheduler.as_deref()?)
    }

    pub fn named(name: &str) -> Option<Self> {
        match name {
            volcano::VOLCANO => Some(Self::Volcano),
            yunikorn::YUNIKORN => Some(Self::Yunikorn),
            kube_scheduler::KUBE_SCHEDULER => Some(Self::KubeScheduler),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Volcano => volcano::VOLCANO,
            Self::Yunikorn => yunikorn::YUNIKORN,
            Self::KubeScheduler => kube_scheduler::KUBE_SCHEDULER,
        }
    }
}

/// The application as its batch scheduler leaves it, and the PodGroup to
/// create before the driver (Volcano, kube-scheduler).
#[derive(Clone, Debug)]
pub struct Scheduled {
    pub app: SparkApplication,
    pub pod_group: Option<PodGroup>,
}

/// A batch scheduler's PodGroup: each scheduler has its own kind.
#[derive(Clone, Debug)]
pub enum PodGroup {
    Volcano(volcano::PodGroup),
    KubeScheduler(kube_scheduler::PodGroup),
}

/// kubeflow's `Schedule` of the application's batch scheduler; the
/// application unchanged when it names none (or one kubeflow lacks: the
/// pods then only get its name as their scheduler).
pub fn schedule(app: &SparkApplication) -> Result<Scheduled, MappingError> {
    let mut app = app.clone();
    let pod_group = match BatchScheduler::of(&app) {
        Some(BatchScheduler::Volcano) => volcano::schedule(&mut app)?.map(PodGroup::Volcano),
        Some(BatchScheduler::KubeScheduler) => Some(PodGroup::KubeScheduler(kube_scheduler::schedule(&mut app))),
        Some(BatchScheduler::Yunikorn) => {
            yunikorn::schedule(&mut app)?;
            None
        }
        None => None,
    };
    Ok(Scheduled { app, pod_group })
}

#[cfg(test)]
mod tests;
