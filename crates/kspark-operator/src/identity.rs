//! A submission's identity, derived from the application and the attempt.
//!
//! kubeflow draws a fresh UUID per submission; an operator that dies
//! between creating the driver and recording the submission would then
//! submit again under another identity and leave two drivers. kspark derives
//! the submission ID (and every random part of Spark's names) from the
//! application's UID and the attempt number instead: a restarted operator
//! repeats the same attempt with the same names, finds the driver it already
//! created, and adopts it.

use kspark_manifests::SubmissionIds;
use kspark_sparkapp::SparkApplicationSpec;
use uuid::Uuid;

/// The identity of one submission attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptIdentity {
    /// kubeflow's `status.submissionID` (a UUID string).
    pub submission_id: String,
    /// The random parts of Spark's object names.
    pub ids: SubmissionIds,
}

/// `attempt` counts from 1 (kubeflow's `submissionAttempts` after the
/// increment); `spec_digest` is [`spec_digest`] of the submitted spec.
pub fn attempt_identity(app_uid: &str, spec_digest: &str, attempt: i32) -> AttemptIdentity {
    let root = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("kspark/{app_uid}/{spec_digest}/{attempt}").as_bytes());
    let derived = |purpose: &str| Uuid::new_v5(&root, purpose.as_bytes()).simple().to_string();
    AttemptIdentity {
        submission_id: root.to_string(),
        ids: SubmissionIds {
            app_id: format!("spark-{}", derived("app-id")),
            prefix_id: derived("prefix")[..16].to_string(),
            conf_map_id: derived("conf-map")[..16].to_string(),
            service_fallback_id: derived("service")[..16].to_string(),
            local_dir_uuid: Uuid::new_v5(&root, b"local-dir").to_string(),
        },
    }
}

/// Annotation on the driver pod: the [`spec_digest`] it was built from, so
/// that a spec changed since the submission is noticed even by an operator
/// that was down when it changed.
pub const SPEC_DIGEST_ANNOTATION: &str = "kspark.io/spec-digest";

/// A digest of everything in the spec that makes a different run: all of
/// it except `suspend` and `timeToLiveSeconds`, which kubeflow lets change
/// without re-running the application.
pub fn spec_digest(spec: &SparkApplicationSpec) -> String {
    spec_digest_of_owned(&mut spec.clone())
}

/// [`spec_digest`] without copying the spec: the two fields are taken out
/// for the digest and put back.
pub fn spec_digest_of_owned(spec: &mut SparkApplicationSpec) -> String {
    let suspend = spec.suspend.take();
    let ttl = spec.time_to_live_seconds.take();
    let text = serde_json::to_string(&*spec).unwrap_or_default();
    spec.suspend = suspend;
    spec.time_to_live_seconds = ttl;
    Uuid::new_v5(&Uuid::NAMESPACE_OID, text.as_bytes()).simple().to_string()
}

/// Whether kspark made this submission ID (a name-based UUID, version 5;
/// kubeflow's are random, version 4).
pub fn made_by_kspark(submission_id: &str) -> bool {
    Uuid::parse_str(submission_id).is_ok_and(|id| id.get_version_num() == 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_attempt_has_the_same_identity() {
        let a = attempt_identity("3f1c9a52-7d0e-4b8a-9c61-2e5d4f7a8b90", "d1", 1);
        assert_eq!(a, attempt_identity("3f1c9a52-7d0e-4b8a-9c61-2e5d4f7a8b90", "d1", 1));
        assert_eq!(a.ids.prefix_id.len(), 16);
        assert!(a.ids.app_id.starts_with("spark-") && a.ids.app_id.len() == 38);
        assert!(Uuid::parse_str(&a.submission_id).is_ok());
    }

    #[test]
    fn another_attempt_generation_or_application_differs() {
        let a = attempt_identity("u1", "d1", 1);
        assert!(made_by_kspark(&a.submission_id));
        assert!(!made_by_kspark("6b2d8e14-0c3f-4a97-8e5b-1f9a7c3d2e60"));
        for other in [attempt_identity("u1", "d1", 2), attempt_identity("u1", "d2", 1), attempt_identity("u2", "d1", 1)]
        {
            assert_ne!(a.submission_id, other.submission_id);
            assert_ne!(a.ids.app_id, other.ids.app_id);
            assert_ne!(a.ids.prefix_id, other.ids.prefix_id);
        }
    }
}
