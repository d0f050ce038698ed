//! A real single-node Kubernetes control plane for kspark's integration
//! tests: etcd, kube-apiserver, kube-controller-manager and kube-scheduler
//! (versions pinned in `testcluster/versions.env`, built from the Go module
//! proxy by `testcluster/build-control-plane.sh` or taken from
//! `$KSPARK_CONTROL_PLANE_BIN`), plus a simulated node that plays pods.
//!
//! ```no_run
//! use kspark_testcluster::{TestCluster, TestUser};
//! # async fn demo() -> Result<(), kspark_testcluster::Error> {
//! let cluster = TestCluster::shared();            // one per test binary
//! cluster.create_tenant_like_seed("t1", "alice").await?;
//! let alice = cluster.client(TestUser::Alice).await?;
//! # let _ = alice; Ok(()) }
//! ```
//!
//! # Users
//! | kubeconfig | user | groups | credential |
//! |---|---|---|---|
//! | `admin` | admin | system:masters | token |
//! | `admin-cert` | admin | system:masters | client certificate |
//! | `alice` | alice | spark-users | token |
//! | `bob` | bob | – | token |
//! | `carol` | carol | spark-users | client certificate |
//!
//! Nobody but admin has any RBAC binding; [`TestCluster::create_tenant_like_seed`]
//! gives a user a namespace.
//!
//! # The fake node
//! Node `kspark-fake-node-1` (Ready; cpu 16, memory 64Gi, pods 110;
//! InternalIP 127.0.0.1; Lease renewed every 10 s). The real kube-scheduler
//! binds pods to it; the fake node then plays each pod's life through
//! `pods/status` as its annotations say (see [`annotations`]):
//!
//! | annotation | values | default |
//! |---|---|---|
//! | `kspark.test/outcome` | `succeed`, `fail:<exit code>[:<termination message>]`, `oom`, `image-pull-error:<message>`, `pending`, `run-forever` | `succeed` |
//! | `kspark.test/run-millis` | ms Running before terminating | `1500` |
//! | `kspark.test/start-millis` | ms before the first status | `0` |
//!
//! Running pods carry podIP (10.246.x.y, unique), hostIP, startTime,
//! conditions (PodReadyToStartContainers, Initialized, Ready,
//! ContainersReady, PodScheduled) and a containerStatus per container.
//! Terminated containers carry exitCode, reason, message, startedAt and
//! finishedAt. Pods being deleted are deleted with grace period 0. The node
//! serves container logs like a kubelet (`pods/log`, with follow, timestamps,
//! sinceTime/sinceSeconds, tailLines; text scripted by `kspark.test/log`);
//! nothing serves `exec`.
//!
//! # The recorder
//! [`recorder`] is the other test tool: a recording stand-in API endpoint
//! for Spark submission clients (Spark's own `spark-submit` and kspark),
//! with the normalizer and comparer the golden tests use. No API server:
//! it echoes writes, plays the driver on watches and logs every request.
//!
//! # Cleanup
//! Every process is started with `PR_SET_PDEATHSIG=SIGKILL` from a
//! dedicated thread, so it dies with the test process however that ends;
//! dropping a [`TestCluster`] also kills them by PID, newest first.

mod binaries;
mod client;
mod closed_pipe;
mod cluster;
mod components;
mod error;
mod exit_hook;
mod fake_node;
mod fsutil;
mod kubeconfig;
mod kubeflow_examples;
mod pki;
mod poll;
mod ports;
mod process;
mod readiness;
mod real_node;
mod rundir;
mod runtime;
mod spark_home;
mod unique;
mod users;
mod versions;

pub mod annotations;
pub mod azurite;
pub mod entra;
pub mod helm;
pub mod http;
pub mod maven_repo;
pub mod operator;
pub mod recorder;
pub mod tenant;

pub use binaries::{BIN_DIR_ENV, BINARIES, check_bin_dir, default_build_script, run_build_script, testcluster_script};
pub use client::{client_from_kubeconfig, config_from_kubeconfig};
pub use closed_pipe::run_with_closed_stdout;
pub use cluster::{ClientCertPaths, StartOptions, TestCluster};
pub use error::{Error, Result};
pub use fake_node::FAKE_NODE_NAME;
pub use kubeconfig::{ExecPlugin, KubeconfigCredential};
pub use kubeflow_examples::{OPERATOR_GOLDEN_CASES, kubeflow_example_documents, kubeflow_examples_dir};
pub use poll::{eventually, poll_some, poll_until};
pub use process::ProcessInfo;
pub use real_node::{NODE_IP as REAL_NODE_ADDRESS, REAL_NODE_NAME};
pub use runtime::block_on;
pub use spark_home::{TEST_SPARK_VERSION, spark_home, spark_submit_command};
pub use unique::unique_name;
pub use users::{CredentialKind, SPARK_USERS_GROUP, TestUser};
pub use versions::{etcd_version, kubernetes_version};
