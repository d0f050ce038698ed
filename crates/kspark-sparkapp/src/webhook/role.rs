//! Which pod is being mutated, and the part of the application kubeflow's
//! webhook reads for it.

use k8s_openapi::api::core::v1::Lifecycle;

use crate::application::SparkApplication;
use crate::pod::{Port, SparkPodSpec};

/// A Spark pod's role (its `spark-role` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Driver,
    Executor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Driver => "driver",
            Role::Executor => "executor",
        }
    }
}

/// The application, and its `spec.driver` or `spec.executor`.
pub(crate) struct RoleSpec<'a> {
    pub role: Role,
    pub app: &'a SparkApplication,
    pub pod: &'a SparkPodSpec,
    pub lifecycle: Option<&'a Lifecycle>,
    pub ports: &'a [Port],
    pub priority_class_name: Option<&'a String>,
}

impl<'a> RoleSpec<'a> {
    pub fn of(app: &'a SparkApplication, role: Role) -> Self {
        let spec = &app.spec;
        match role {
            Role::Driver => RoleSpec {
                role,
                app,
                pod: &spec.driver.pod,
                lifecycle: spec.driver.lifecycle.as_ref(),
                ports: &spec.driver.ports,
                priority_class_name: spec.driver.priority_class_name.as_ref(),
            },
            Role::Executor => RoleSpec {
                role,
                app,
                pod: &spec.executor.pod,
                lifecycle: spec.executor.lifecycle.as_ref(),
                ports: &spec.executor.ports,
                priority_class_name: spec.executor.priority_class_name.as_ref(),
            },
        }
    }

    /// `spec.driver.<name>` / `spec.executor.<name>`, for errors.
    pub fn field(&self, name: &str) -> String {
        format!("spec.{}.{name}", self.role.as_str())
    }
}
