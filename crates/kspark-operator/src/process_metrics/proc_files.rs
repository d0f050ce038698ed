//! What the process metrics read from Linux's `/proc`, as pure parsers of
//! the files' text (proc(5)), so that each is tested on fixed input.

/// The fields of `/proc/self/stat` the metrics use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// User and system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// When the process started, in clock ticks after boot.
    pub start_ticks: u64,
    pub virtual_bytes: u64,
    pub resident_pages: u64,
}

/// `/proc/self/stat`. The command name (field 2) is in parentheses and may
/// itself hold spaces and parentheses, so the fields are counted from the
/// last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let after_name = &text[text.rfind(')')? + 1..];
    // Field 3 (state) is at index 0 here: field N is at N - 3.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        cpu_ticks: field(14)?.checked_add(field(15)?)?,
        start_ticks: field(22)?,
        virtual_bytes: field(23)?,
        resident_pages: field(24)?,
    })
}

/// The boot time (`btime`, seconds since the epoch) in `/proc/stat`.
pub fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines().find_map(|line| line.strip_prefix("btime ")).and_then(|v| v.trim().parse().ok())
}

/// A soft limit in `/proc/self/limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Unlimited,
    Value(u64),
}

impl Limit {
    /// As Prometheus' Go client reports it: no limit is the largest u64.
    pub fn as_f64(self) -> f64 {
        match self {
            Limit::Unlimited => u64::MAX as f64,
            Limit::Value(v) => v as f64,
        }
    }
}

/// The soft limit of the row `name` (e.g. "Max open files") of
/// `/proc/self/limits`, whose columns are the name, the soft and hard
/// limits and the unit.
pub fn parse_soft_limit(text: &str, name: &str) -> Option<Limit> {
    let row = text.lines().find_map(|line| line.strip_prefix(name))?;
    match row.split_whitespace().next()? {
        "unlimited" => Some(Limit::Unlimited),
        value => value.parse().ok().map(Limit::Value),
    }
}

/// Bytes received and sent over all interfaces of the process's network
/// namespace, from `/proc/self/net/dev` (two header lines, then per
/// interface `name: ` and 8 receive counters, then 8 transmit counters,
/// each starting with bytes).
pub fn parse_net_dev(text: &str) -> Option<(u64, u64)> {
    let mut totals = (0u64, 0u64);
    for line in text.lines().skip(2) {
        let (_, counters) = line.split_once(':')?;
        let counters: Vec<&str> = counters.split_whitespace().collect();
        let received: u64 = counters.first()?.parse().ok()?;
        let sent: u64 = counters.get(8)?.parse().ok()?;
        totals = (totals.0.saturating_add(received), totals.1.saturating_add(sent));
    }
    Some(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real line, with a command name that has a space and a parenthesis.
    const STAT: &str = "4242 (kspark (op) x) S 1 4242 4242 0 -1 4194560 1905 0 0 0 250 75 0 0 20 0 9 0 \
                        123456 180224000 3210 18446744073709551615 1 1 0 0 0 0 0 4096 17408 0 0 0 17 1 0 0 0 0 0";

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = parse_stat(STAT);
        assert_eq!(
            stat,
            Some(Stat { cpu_ticks: 325, start_ticks: 123456, virtual_bytes: 180224000, resident_pages: 3210 })
        );
    }

    #[test]
    fn a_truncated_stat_is_no_stat() {
        assert_eq!(parse_stat("4242 (kspark) S 1 4242"), None);
        assert_eq!(parse_stat("no parenthesis at all"), None);
    }

    #[test]
    fn boot_time_is_the_btime_line() {
        let text = "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5\nctxt 77\nbtime 1767225600\nprocesses 9\n";
        assert_eq!(parse_boot_time(text), Some(1767225600));
        assert_eq!(parse_boot_time("cpu 1 2 3\n"), None);
    }

    const LIMITS: &str = "\
Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max address space         unlimited            unlimited            bytes
";

    #[test]
    fn soft_limits_are_read_by_row_name() {
        assert_eq!(parse_soft_limit(LIMITS, "Max open files"), Some(Limit::Value(1024)));
        assert_eq!(parse_soft_limit(LIMITS, "Max address space"), Some(Limit::Unlimited));
        assert_eq!(parse_soft_limit(LIMITS, "Max processes"), None);
        assert_eq!(Limit::Unlimited.as_f64(), 18446744073709551615.0);
    }

    const NET_DEV: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000000    4000    0    0    0     0          0         0   700000    3000    0    0    0     0       0          0
";

    #[test]
    fn network_bytes_are_summed_over_the_interfaces() {
        assert_eq!(parse_net_dev(NET_DEV), Some((5001000, 701000)));
        let headers_only: String = NET_DEV.lines().take(2).map(|l| format!("{l}\n")).collect();
        assert_eq!(parse_net_dev(&headers_only), Some((0, 0)));
        assert_eq!(parse_net_dev(&format!("{headers_only}  eth0: 12 3\n")), None);
    }
}
