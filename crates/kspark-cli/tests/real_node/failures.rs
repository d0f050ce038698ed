//! How applications fail on a real kubelet: the driver's own exit code,
//! the kubelet's OOMKilled, the registry's pull error.

use kspark_testcluster::TestUser;

use crate::{kspark_as, one_at_a_time, strs, submission, tenant_for_alice, text};

const EXAMPLES_JAR: &str = "local:///opt/spark/examples/jars/spark-examples.jar";

#[test]
fn a_driver_that_fails_gives_its_exit_code_and_spark_s_exception() {
    let ns = tenant_for_alice("fail-class");
    let _node = one_at_a_time();
    let args = submission(&ns, "noclass", 1, &["--class", "org.example.DoesNotExist", EXAMPLES_JAR]);
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    // spark-submit exits 101 when the main class is missing
    // (SparkExitCode.CLASS_NOT_FOUND); kspark exits with the driver's code.
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    assert!(text(&out).contains("terminated: exit 101 (Error)"), "{}", text(&out));
    let logs = kspark_as(TestUser::Alice, &["logs", &format!("{ns}:noclass")]);
    let log = String::from_utf8_lossy(&logs.stdout);
    assert!(
        log.contains("Error: Failed to load class org.example.DoesNotExist."),
        "Spark's own message in the driver log:\n{log}"
    );
    let wait = kspark_as(TestUser::Alice, &["wait", &format!("{ns}:noclass")]);
    assert_eq!(wait.status.code(), Some(101), "kspark wait on the ended driver: {}", text(&wait));
}

#[test]
fn a_driver_over_its_memory_limit_is_oom_killed_by_the_kubelet() {
    let ns = tenant_for_alice("fail-oom");
    let _node = one_at_a_time();
    // A 1 MiB overhead makes the pod's limit 513 MiB; a JVM that touches a
    // 500 MiB heap at start plus its own memory goes over it.
    let args = submission(
        &ns,
        "oom",
        1,
        &[
            "--conf",
            "spark.driver.memoryOverhead=1m",
            "--conf",
            "spark.driver.extraJavaOptions=-Xms500m -XX:+AlwaysPreTouch",
            "--class",
            "org.apache.spark.examples.SparkPi",
            EXAMPLES_JAR,
        ],
    );
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    assert_eq!(out.status.code(), Some(137), "{}", text(&out));
    assert!(text(&out).contains("OOMKilled"), "{}", text(&out));
    let status = kspark_as(TestUser::Alice, &["status", &format!("{ns}:oom")]);
    assert!(text(&status).contains("OOMKilled"), "kspark status: {}", text(&status));
}

#[test]
fn a_missing_image_shows_the_registry_s_pull_error() {
    let ns = tenant_for_alice("fail-image");
    let _node = one_at_a_time();
    let mut args = submission(
        &ns,
        "noimage",
        1,
        &["--timeout", "20s", "--class", "org.apache.spark.examples.SparkPi", EXAMPLES_JAR],
    );
    for arg in args.iter_mut() {
        if arg.starts_with("spark.kubernetes.container.image=") {
            *arg = "spark.kubernetes.container.image=apache/spark:4.0.3".into();
        }
    }
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    assert_eq!(out.status.code(), Some(124), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("ErrImagePull") || log.contains("ImagePullBackOff"), "{log}");
    assert!(log.contains("docker.io/apache/spark:4.0.3: not found"), "the registry's own answer: {log}");
    let events = kspark_as(TestUser::Alice, &["events", &format!("{ns}:noimage")]);
    assert!(text(&events).contains("Failed to pull image"), "kspark events: {}", text(&events));
    let kill = kspark_as(TestUser::Alice, &["kill", &format!("{ns}:noimage")]);
    assert!(kill.status.success(), "{}", text(&kill));
}
