//! The standard process metrics (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, `process_start_time_seconds`, ...),
//! the set Prometheus' Go client exports on Linux and so kubeflow's
//! operator serves, read from `/proc` at each scrape. No crate provides a
//! collector for this prometheus-client version (kubert-prometheus-process
//! is built on prometheus-client 0.23), hence this module. Where `/proc`
//! is missing (not Linux) or a file cannot be read, its metrics are left
//! out rather than reported as zero.

mod proc_files;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use proc_files::{Limit, Stat, parse_boot_time, parse_net_dev, parse_soft_limit, parse_stat};

/// The operator's own process, read at each scrape.
#[derive(Debug)]
pub struct ProcessCollector {
    ticks_per_second: f64,
    page_bytes: f64,
    /// Seconds since the epoch; fixed, so read once.
    start_time: Option<f64>,
}

impl Default for ProcessCollector {
    fn default() -> ProcessCollector {
        ProcessCollector::new()
    }
}

impl ProcessCollector {
    pub fn new() -> ProcessCollector {
        let ticks_per_second = rustix::param::clock_ticks_per_second().max(1) as f64;
        let boot_time = read("/proc/stat").as_deref().and_then(parse_boot_time);
        let stat = read("/proc/self/stat").as_deref().and_then(parse_stat);
        let start_time =
            boot_time.zip(stat).map(|(boot, stat)| boot as f64 + stat.start_ticks as f64 / ticks_per_second);
        ProcessCollector { ticks_per_second, page_bytes: rustix::param::page_size() as f64, start_time }
    }

    /// The samples of this moment.
    fn samples(&self) -> Vec<Sample> {
        let snapshot = Snapshot {
            stat: read("/proc/self/stat").as_deref().and_then(parse_stat),
            open_fds: std::fs::read_dir("/proc/self/fd").ok().map(|entries| entries.count() as u64),
            limits: read("/proc/self/limits"),
            net_dev: read("/proc/self/net/dev").as_deref().and_then(parse_net_dev),
        };
        snapshot.samples(self)
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for sample in self.samples() {
            let metric = encoder.encode_descriptor(sample.name, sample.help, None, sample.kind)?;
            match sample.kind {
                MetricType::Counter => ConstCounter::new(sample.value).encode(metric)?,
                _ => ConstGauge::new(sample.value).encode(metric)?,
            }
        }
        Ok(())
    }
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// One metric's value. Counters are named without `_total`, which the
/// OpenMetrics encoder appends.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    value: f64,
}

/// What was read at one scrape.
struct Snapshot {
    stat: Option<Stat>,
    open_fds: Option<u64>,
    limits: Option<String>,
    net_dev: Option<(u64, u64)>,
}

impl Snapshot {
    fn samples(&self, process: &ProcessCollector) -> Vec<Sample> {
        let gauge = |name, help, value| Sample { name, help, kind: MetricType::Gauge, value };
        let counter = |name, help, value| Sample { name, help, kind: MetricType::Counter, value };
        let limit = |row| self.limits.as_deref().and_then(|text| parse_soft_limit(text, row)).map(Limit::as_f64);
        let mut out = Vec::new();
        if let Some(stat) = self.stat {
            out.push(counter(
                "process_cpu_seconds",
                "CPU time of the process in user and system mode, in seconds",
                stat.cpu_ticks as f64 / process.ticks_per_second,
            ));
            out.push(gauge("process_virtual_memory_bytes", "Virtual memory size, in bytes", stat.virtual_bytes as f64));
            out.push(gauge(
                "process_resident_memory_bytes",
                "Resident set size, in bytes",
                stat.resident_pages as f64 * process.page_bytes,
            ));
        }
        if let Some(start) = process.start_time {
            out.push(gauge(
                "process_start_time_seconds",
                "When the process started, in seconds since the epoch",
                start,
            ));
        }
        if let Some(open) = self.open_fds {
            out.push(gauge("process_open_fds", "Open file descriptors", open as f64));
        }
        if let Some(max) = limit("Max open files") {
            out.push(gauge("process_max_fds", "Soft limit on open file descriptors", max));
        }
        if let Some(max) = limit("Max address space") {
            out.push(gauge("process_virtual_memory_max_bytes", "Soft limit on virtual memory, in bytes", max));
        }
        if let Some((received, sent)) = self.net_dev {
            let bytes = |name, help, value: u64| counter(name, help, value as f64);
            out.push(bytes("process_network_receive_bytes", "Bytes received over the process's network", received));
            out.push(bytes("process_network_transmit_bytes", "Bytes sent over the process's network", sent));
        }
        out
    }
}

#[cfg(test)]
mod tests;
