//! Spark's own spark-submit (4.0.5, JVM) into a kspark tenant, with the
//! tenant user's token: the tenant serves Spark's client as well as
//! kspark's.

use kspark_testcluster::TestUser;

use crate::{cluster, driver_log, one_at_a_time, submission, tenant_for_alice, text};

#[test]
fn spark_s_own_spark_submit_runs_the_same_job_in_a_kspark_tenant() {
    let ns = tenant_for_alice("spark-submit");
    let token = cluster().token(TestUser::Alice).unwrap_or_else(|| panic!("alice has no token"));
    let ca = cluster().ca_cert_path();
    let auth = [
        "--conf".to_string(),
        format!("spark.kubernetes.authenticate.submission.caCertFile={}", ca.display()),
        "--conf".to_string(),
        format!("spark.kubernetes.authenticate.submission.oauthToken={token}"),
        "--class".to_string(),
        "org.apache.spark.examples.SparkPi".to_string(),
        "local:///opt/spark/examples/jars/spark-examples.jar".to_string(),
        "20".to_string(),
    ];
    let auth: Vec<&str> = auth.iter().map(String::as_str).collect();
    let args = submission(&ns, "sparkpi", 2, &auth);
    let _node = one_at_a_time();
    let out =
        kspark_testcluster::spark_submit_command().args(&args).output().unwrap_or_else(|e| panic!("spark-submit: {e}"));
    let said = text(&out).replace(token, "<token>");
    assert!(out.status.success(), "spark-submit: {said}");
    assert!(said.contains("phase: Succeeded"), "spark-submit watched the driver to the end: {said}");
    let log = driver_log(&ns, "sparkpi");
    assert!(log.contains("Pi is roughly 3.1"), "driver log:\n{log}");
}
