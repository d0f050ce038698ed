use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

use super::*;

const LIMITS: &str = "\
Limit                     Soft Limit           Hard Limit           Units
Max open files            1024                 524288               files
Max address space         unlimited            unlimited            bytes
";

fn collector(start_time: Option<f64>) -> ProcessCollector {
    ProcessCollector { ticks_per_second: 100.0, page_bytes: 4096.0, start_time }
}

fn values(samples: &[Sample]) -> Vec<(&'static str, f64)> {
    samples.iter().map(|s| (s.name, s.value)).collect()
}

#[test]
fn each_file_becomes_its_metrics_in_their_units() {
    let snapshot = Snapshot {
        stat: Some(Stat { cpu_ticks: 325, start_ticks: 0, virtual_bytes: 180224000, resident_pages: 3210 }),
        open_fds: Some(12),
        limits: Some(LIMITS.to_string()),
        net_dev: Some((5001000, 701000)),
    };
    let samples = snapshot.samples(&collector(Some(1767225612.5)));
    assert_eq!(
        values(&samples),
        [
            ("process_cpu_seconds", 3.25),
            ("process_virtual_memory_bytes", 180224000.0),
            ("process_resident_memory_bytes", 3210.0 * 4096.0),
            ("process_start_time_seconds", 1767225612.5),
            ("process_open_fds", 12.0),
            ("process_max_fds", 1024.0),
            ("process_virtual_memory_max_bytes", u64::MAX as f64),
            ("process_network_receive_bytes", 5001000.0),
            ("process_network_transmit_bytes", 701000.0),
        ]
    );
    let counters: Vec<&str> = samples.iter().filter(|s| s.kind == MetricType::Counter).map(|s| s.name).collect();
    assert_eq!(counters, ["process_cpu_seconds", "process_network_receive_bytes", "process_network_transmit_bytes"]);
}

#[test]
fn what_cannot_be_read_is_left_out_not_zero() {
    let nothing = Snapshot { stat: None, open_fds: None, limits: None, net_dev: None };
    assert!(nothing.samples(&collector(None)).is_empty());
    let only_fds = Snapshot { open_fds: Some(3), limits: Some("garbage\n".into()), ..nothing };
    assert_eq!(values(&only_fds.samples(&collector(None))), [("process_open_fds", 3.0)]);
}

/// The exposition of a registry holding only the collector.
fn exposition() -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(ProcessCollector::new()));
    let mut text = String::new();
    encode(&mut text, &registry).unwrap_or_else(|e| panic!("encode: {e}"));
    text
}

fn value(text: &str, name: &str) -> f64 {
    let line =
        text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("no {name} in\n{text}"));
    line[name.len()..].trim().parse().unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn now_seconds() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}

/// This very process, read through /proc: memory it holds is resident,
/// CPU it burns is counted, and it started before now.
#[cfg(target_os = "linux")]
#[test]
fn this_process_is_measured() {
    const HELD: usize = 128 << 20;
    // Non-zero bytes: every page is written, so resident.
    let held = black_box(vec![1u8; HELD]);
    let before = exposition();
    let resident = value(&before, "process_resident_memory_bytes");
    assert!(resident >= HELD as f64, "{resident} bytes resident while holding {HELD}");
    assert!(resident <= value(&before, "process_virtual_memory_bytes"), "{before}");
    drop(held);

    let cpu_before = value(&before, "process_cpu_seconds_total");
    let spin = Instant::now();
    let mut x = 0u64;
    while spin.elapsed() < Duration::from_millis(500) {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    let after = exposition();
    let cpu = value(&after, "process_cpu_seconds_total");
    assert!(cpu - cpu_before >= 0.05, "500 ms of spinning counted {} s", cpu - cpu_before);

    let start = value(&after, "process_start_time_seconds");
    let now = now_seconds();
    assert!(start <= now + 1.0 && start > now - 3600.0, "started at {start}, now {now}");
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    assert!(cpu <= (now - start + 1.0) * cpus, "{cpu} s of CPU since {start}");

    let open = value(&after, "process_open_fds");
    assert!(open >= 3.0 && open <= value(&after, "process_max_fds"), "{after}");
    for name in ["process_virtual_memory_max_bytes", "process_network_receive_bytes_total"] {
        assert!(value(&after, name) >= 0.0);
    }
    assert!(after.contains("# TYPE process_cpu_seconds counter"), "{after}");
}
