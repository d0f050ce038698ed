//! `kspark submit --help` and `kspark doctor --help`, rendered from the
//! option table the parser uses, so the help cannot miss an option.

use kspark_config::submit_options::{OPTIONS, OptionGroup, OptionSpec};

/// Where the option descriptions start.
const HELP_COLUMN: usize = 34;
const WIDTH: usize = 100;

pub fn submit() -> String {
    let mut text = String::from(
        "Submit an application with spark-submit's command line: cluster mode on Kubernetes, or a local run
with --master 'local[*]'.

usage: kspark submit [options] <app jar | python file> [app arguments]
       kspark submit --kill NAMESPACE:NAME [--master k8s://https://HOST:PORT]
       kspark submit --status NAMESPACE:NAME [--master k8s://https://HOST:PORT]

Options after the application belong to the application.
",
    );
    text.push_str(&options());
    text.push_str(
        "
Exit codes: 0 when the driver succeeded (or --no-wait, --dry-run); the driver container's exit code
when it failed; 1 when the pod was deleted or the cluster refused; 2 for bad input (nothing is sent);
124 on --timeout; 130 on Ctrl-C (the application keeps running).

Examples:
  kspark submit --master 'local[*]' examples/pi.py 10
  kspark submit --master k8s://https://myaks.hcp.westeurope.azmk8s.io:443 --deploy-mode cluster \\
        --name pi --conf spark.kubernetes.container.image=apache/spark:4.0.5 \\
        --class org.apache.spark.examples.SparkPi local:///opt/spark/examples/jars/spark-examples.jar 100
  kspark submit --dry-run -o yaml --master k8s://https://api.example.com --deploy-mode cluster \\
        --conf spark.kubernetes.container.image=apache/spark:4.0.5 local:///opt/app/job.py | kubectl apply -f -",
    );
    text
}

pub fn doctor() -> String {
    let mut text = String::from(
        "Check a submission before making it, as ok / warn / FAIL with one line of why: credentials, API
server, RBAC of the submitter and of the driver's service account, quota, limit ranges, image,
placement. Creates nothing; exits 1 on any failure.

usage: kspark doctor [options] <app jar | python file> [app arguments]

Takes `kspark submit`'s options; -o json|yaml prints the checks for programs. Options about creating
and waiting (--dry-run, --no-wait, --quiet, --timeout, --skip-preflight) change nothing here.
",
    );
    text.push_str(&options());
    text.push_str(
        "
Example:
  kspark doctor --master k8s://https://api.example.com:443 --deploy-mode cluster \\
        --conf spark.kubernetes.namespace=tenant-a --conf spark.kubernetes.container.image=apache/spark:4.0.5 \\
        --num-executors 3 local:///opt/app/job.py",
    );
    text
}

/// Every option of the table, in sections.
fn options() -> String {
    let sections = [
        (OptionGroup::Spark, "spark-submit's options:"),
        (OptionGroup::Operation, "spark-submit's operations on a submitted application:"),
        (OptionGroup::Kspark, "kspark's own options:"),
        (OptionGroup::Unsupported, "Refused before anything is sent (not supported yet):"),
        (OptionGroup::Ignored, "Accepted and ignored (they do not apply to Kubernetes):"),
    ];
    let mut text = String::new();
    for (group, title) in sections {
        text.push('\n');
        text.push_str(title);
        text.push('\n');
        for option in OPTIONS.iter().filter(|o| o.group == group) {
            text.push_str(&entry(option));
        }
        if group == OptionGroup::Kspark {
            text.push_str(&line("-h, --help", "print this help (before the application; after it, the application's)"));
        }
    }
    text
}

/// `  -c, --conf KEY=VALUE   a Spark property; repeatable`, wrapped.
fn entry(option: &OptionSpec) -> String {
    let mut names: Vec<&str> = option.names.iter().copied().filter(|n| !n.starts_with("--")).collect();
    names.extend(option.names.iter().copied().filter(|n| n.starts_with("--")));
    let mut left = names.join(", ");
    if let Some(value) = option.value {
        left.push(' ');
        left.push_str(value);
    }
    line(&left, option.help)
}

fn line(left: &str, help: &str) -> String {
    let mut text = format!("  {left}");
    let mut column = text.chars().count();
    if column + 2 > HELP_COLUMN {
        text.push('\n');
        column = 0;
    }
    text.push_str(&" ".repeat(HELP_COLUMN - column));
    let mut width = HELP_COLUMN;
    let mut first = true;
    for word in help.split_whitespace() {
        if !first && width + 1 + word.chars().count() > WIDTH {
            text.push('\n');
            text.push_str(&" ".repeat(HELP_COLUMN));
            width = HELP_COLUMN;
            first = true;
        }
        if !first {
            text.push(' ');
            width += 1;
        }
        text.push_str(word);
        width += word.chars().count();
        first = false;
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_of_the_table_is_in_the_help() {
        let help = submit();
        for option in OPTIONS {
            for name in option.names {
                assert!(help.contains(name), "{name} is missing from `kspark submit --help`");
            }
        }
    }

    #[test]
    fn long_help_wraps_under_the_help_column() {
        let text = line("--timeout DURATION", &"word ".repeat(40));
        assert!(text.lines().count() > 1);
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(text.lines().skip(1).all(|l| l.starts_with(&" ".repeat(HELP_COLUMN))), "{text}");
    }
}
