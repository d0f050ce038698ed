//! What each supported Spark line adds to the objects, as recorded from the
//! real clients (see golden/README.md).

use kspark_config::version::SparkLine;

use crate::jvm_order::Scala;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFeatures {
    /// 4.1+: a `spark-connect` port 15002 on the driver pod and Service.
    pub connect_port: bool,
    /// 4.2+: the Service's connect port says `appProtocol: grpc`.
    pub connect_app_protocol: bool,
    /// 4.2+: a NetworkPolicy letting only the app's pods reach executors.
    pub executor_network_policy: bool,
    /// 4.3+: `allowPrivilegeEscalation: false` on the driver container.
    pub no_privilege_escalation: bool,
    /// 4.3+: the Service says `publishNotReadyAddresses: false`.
    pub explicit_publish_not_ready: bool,
    /// 4.0+: `spark.driver.minMemoryOverhead` exists (3.5 has a fixed 384).
    pub min_memory_overhead_setting: bool,
    /// 4.0+: `{{APP_ID}}` in custom pod labels is replaced (3.5 keeps it).
    pub app_id_in_labels: bool,
    /// 4.0+: volume mounts carry `subPathExpr` (as `""` when unset).
    pub sub_path_expr: bool,
    /// 4.0+: Spark-created PVCs are `ReadWriteOncePod` (3.5: `ReadWriteOnce`)
    /// and take `label.*`/`annotation.*` settings.
    pub pvc_4x: bool,
    /// 4.0+: `options.type` of hostPath volumes is honoured (3.5 writes "").
    pub host_path_type: bool,
    /// 4.1+: `spark.kubernetes.driver.pod.excludedFeatureSteps` is honoured.
    pub excluded_feature_steps: bool,
    /// 4.0+: built on Hadoop 3.4.1 or later, whose hadoop-azure has
    /// `WorkloadIdentityTokenProvider` (3.5 is built on Hadoop 3.3.4).
    pub workload_identity_provider: bool,
    /// The Scala the line is built with (3.5: 2.12, 4.x: 2.13): it decides
    /// the order of lists Spark fills from hash maps.
    pub scala: Scala,
    /// The fabric8 Kubernetes model Spark ships (3.5: 6.x, 4.x: 7.x): its
    /// generated hash codes order Sets of model objects.
    pub fabric8_model: Fabric8Model,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fabric8Model {
    V6,
    V7,
}

impl LineFeatures {
    pub fn of(line: SparkLine) -> LineFeatures {
        LineFeatures {
            connect_port: line >= SparkLine::V4_1,
            connect_app_protocol: line >= SparkLine::V4_2,
            executor_network_policy: line >= SparkLine::V4_2,
            no_privilege_escalation: line >= SparkLine::V4_3,
            explicit_publish_not_ready: line >= SparkLine::V4_3,
            min_memory_overhead_setting: line >= SparkLine::V4_0,
            app_id_in_labels: line >= SparkLine::V4_0,
            sub_path_expr: line >= SparkLine::V4_0,
            pvc_4x: line >= SparkLine::V4_0,
            host_path_type: line >= SparkLine::V4_0,
            excluded_feature_steps: line >= SparkLine::V4_1,
            workload_identity_provider: line >= SparkLine::V4_0,
            scala: if line >= SparkLine::V4_0 { Scala::V2_13 } else { Scala::V2_12 },
            fabric8_model: if line >= SparkLine::V4_0 { Fabric8Model::V7 } else { Fabric8Model::V6 },
        }
    }
}
