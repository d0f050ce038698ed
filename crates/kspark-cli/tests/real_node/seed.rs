//! The seed's path: an admin makes a tenant for alice; alice checks with
//! `kspark doctor` and submits; the driver, under the tenant's Role, makes
//! the executors.

use std::collections::BTreeSet;

use kspark_testcluster::TestUser;

use crate::{driver_log, executors_seen_during, kspark_as, one_at_a_time, strs, submission, tenant_for_alice, text};

#[test]
fn the_seed_path_runs_the_jvm_sparkpi_with_two_executors_created_by_the_driver() {
    let ns = tenant_for_alice("seed-jvm");
    let _node = one_at_a_time();
    let args = submission(
        &ns,
        "sparkpi",
        2,
        &["--class", "org.apache.spark.examples.SparkPi", "local:///opt/spark/examples/jars/spark-examples.jar", "20"],
    );
    let doctor = kspark_as(TestUser::Alice, &[&["doctor"], strs(&args).as_slice()].concat());
    assert!(doctor.status.success(), "alice's kspark doctor: {}", text(&doctor));
    let mut listings = Vec::new();
    let (out, executors) = executors_seen_during(&ns, || {
        std::thread::scope(|scope| {
            let submit = scope.spawn(|| kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat()));
            while !submit.is_finished() {
                listings.push(text(&kspark_as(TestUser::Alice, &["list", "-n", &ns])));
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            submit.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        })
    });
    assert!(out.status.success(), "kspark submit: {}", text(&out));
    let drivers: BTreeSet<&str> = executors.iter().map(|(_, owner)| owner.as_str()).collect();
    assert_eq!(executors.len(), 2, "two executor pods, created by the driver under the tenant's Role: {executors:?}");
    assert_eq!(drivers.len(), 1, "owned by the one driver pod: {executors:?}");
    assert!(drivers.iter().all(|d| d.ends_with("-driver")), "{executors:?}");
    let log = driver_log(&ns, "sparkpi");
    assert!(log.contains("Pi is roughly 3.1"), "driver log:\n{log}");
    // `kspark list` counts the real executors while they run
    // (running/pending/failed).
    assert!(listings.iter().any(|l| l.contains(" 2/0/0 ")), "no listing showed 2 running executors: {listings:#?}");
    let status = text(&kspark_as(TestUser::Alice, &["status", &format!("{ns}:sparkpi")]));
    assert!(status.contains("exit 0 (Completed)"), "{status}");
}

#[test]
fn the_seed_path_runs_pi_py() {
    let ns = tenant_for_alice("seed-py");
    let _node = one_at_a_time();
    let args = submission(&ns, "pipy", 1, &["local:///opt/spark/examples/src/main/python/pi.py", "10"]);
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    assert!(out.status.success(), "kspark submit pi.py: {}", text(&out));
    let log = driver_log(&ns, "pipy");
    assert!(log.contains("Pi is roughly 3.1"), "driver log:\n{log}");
}
