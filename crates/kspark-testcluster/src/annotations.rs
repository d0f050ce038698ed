//! The annotations that script a pod's life on the fake node.
//!
//! | annotation | values | default |
//! |---|---|---|
//! | [`OUTCOME`] `kspark.test/outcome` | `succeed`, `fail:<exit code>[:<termination message>]`, `oom`, `image-pull-error:<message>`, `pending`, `run-forever` | `succeed` |
//! | [`RUN_MILLIS`] `kspark.test/run-millis` | milliseconds the containers stay Running before they terminate | `1500` |
//! | [`START_MILLIS`] `kspark.test/start-millis` | milliseconds between binding and the first status (ContainerCreating time) | `0` |
//! | [`LOG`] `kspark.test/log` | what the containers print (`pods/log`), lines separated by `\n` | `<pod> <container> started` |
//! | [`LOG_INTERVAL_MILLIS`] `kspark.test/log-interval-millis` | while running, also print `tick N` every that many ms | none |
//!
//! Outcomes, all containers of the pod alike (restartPolicy is ignored: a
//! terminated container is never restarted):
//! * `succeed`: Running, then phase `Succeeded`, every container terminated
//!   with exitCode 0, reason `Completed`.
//! * `fail:<code>[:<message>]`: Running, then phase `Failed`, exitCode
//!   `<code>`, reason `Error`, `message` = `<message>` (which may contain `:`).
//! * `oom`: Running, then phase `Failed`, exitCode 137, reason `OOMKilled`.
//! * `image-pull-error:<message>`: stays `Pending`; containers waiting with
//!   reason `ErrImagePull` and message `<message>`, after 2 s reason
//!   `ImagePullBackOff` and message `Back-off pulling image "<image>": ErrImagePull: <message>`.
//! * `pending`: stays `Pending`, containers waiting with reason
//!   `ContainerCreating`.
//! * `run-forever`: Running until deleted.
//!
//! An unparsable value fails the pod (`fail:2` with a message naming the
//! annotation), so that a typo in a test shows instead of passing silently.

/// How the pod's containers end; see the module docs.
pub const OUTCOME: &str = "kspark.test/outcome";
/// How long (ms) containers stay Running before they terminate.
pub const RUN_MILLIS: &str = "kspark.test/run-millis";
/// How long (ms) after binding the fake node first reports the pod.
pub const START_MILLIS: &str = "kspark.test/start-millis";

/// What the containers print (kubelet log endpoint); `\n` separates lines.
/// Default: `<pod> <container> started`, and `<pod> <container> exited <code>`
/// once terminated.
pub const LOG: &str = "kspark.test/log";
/// When set, running containers also print `tick N` every that many ms.
pub const LOG_INTERVAL_MILLIS: &str = "kspark.test/log-interval-millis";

/// Default of [`RUN_MILLIS`].
pub const DEFAULT_RUN_MILLIS: u64 = 1500;
/// Default of [`START_MILLIS`].
pub const DEFAULT_START_MILLIS: u64 = 0;
/// How long an image-pull error stays `ErrImagePull` before it becomes
/// `ImagePullBackOff`.
pub const IMAGE_PULL_BACKOFF_MILLIS: u64 = 2000;

/// Exit code of a container killed for running out of memory (128 + SIGKILL).
pub const OOM_EXIT_CODE: i32 = 137;
/// Exit code used when the outcome annotation cannot be parsed.
pub const INVALID_SCRIPT_EXIT_CODE: i32 = 2;

/// When set, the pod's driver "serves" the Spark UI: while its containers
/// run, the fake node answers HTTP on `<podIP>:<spark-ui containerPort>`
/// (4040 without one) with a page containing this value and the requested
/// path. kube-apiserver refuses to proxy to loopback pod IPs, so such a pod
/// gets an address of the harness's own as its podIP: `10.253.x.y` on an
/// interface the harness makes (needs root), shared by every UI pod
/// of the process: give each its own `spark.ui.port`.
pub const WEB_UI: &str = "kspark.test/web-ui";
