//! Every command's `--help` lists every option it accepts, and the guide
//! (docs/guide) documents exactly those options: the guide's option tables
//! and lists are compared with the `--help` output, so the two cannot drift
//! apart.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

fn kspark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark {args:?}: {e}"))
}

fn stdout(args: &[&str]) -> String {
    let out = kspark(args);
    assert!(out.status.success(), "kspark {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The guide's pages, one after the other in the order of its SUMMARY.md.
fn guide() -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide/src");
    let read = |name: &str| {
        let path = src.join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let summary = read("SUMMARY.md");
    let pages = summary.lines().filter_map(|line| line.split_once("](")).filter_map(|(_, rest)| rest.split_once(')'));
    pages.map(|(page, _)| read(page)).collect::<Vec<_>>().join("\n")
}

/// `--name`, `-n` and the like in free text: a dash or two, then a letter.
fn option_tokens(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| {
            let rest = word.strip_prefix("--").or_else(|| word.strip_prefix('-'));
            rest.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphabetic()))
        })
        .map(str::to_string)
        .collect()
}

/// The options a help text lists, one set of aliases per entry (`-o, --output`).
/// Entries are the lines indented by at most six spaces that start with a
/// dash; `--help` and `--version` are everywhere and left out.
fn help_entries(help: &str) -> Vec<BTreeSet<String>> {
    help.lines()
        .filter(|line| {
            let indent = line.len() - line.trim_start().len();
            (1..=6).contains(&indent) && line.trim_start().starts_with('-')
        })
        .map(|line| {
            let names = line.trim_start().split("  ").next().unwrap_or_default();
            option_tokens(&names.replace(['<', '>'], " "))
        })
        .filter(|names| !names.contains("--help") && !names.contains("--version"))
        .collect()
}

/// The text of the guide's section under the heading that contains
/// `heading`, without its fenced code blocks (examples use other tools'
/// options, such as `kubectl apply -f -`).
fn guide_section(guide: &str, heading: &str) -> String {
    let mut lines = guide.lines().skip_while(|l| !(l.starts_with('#') && l.contains(heading)));
    let Some(first) = lines.next() else { panic!("the guide has no heading with {heading}") };
    let level = first.chars().take_while(|c| *c == '#').count();
    let mut in_code = false;
    let mut text = String::new();
    for line in lines {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if line.starts_with('#') && line.chars().take_while(|c| *c == '#').count() <= level {
            break;
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The first cell of the guide's table row for `command` (e.g. `kspark list`).
fn guide_row(guide: &str, command: &str) -> String {
    let start = format!("| `{command}");
    let row = guide
        .lines()
        .find(|l| l.starts_with(&start) && l[start.len()..].starts_with([' ', '`']))
        .unwrap_or_else(|| panic!("the guide has no table row for `{command}`"));
    let cells = row.replace("\\|", " ");
    cells.split('|').nth(1).unwrap_or_default().to_string()
}

/// `--kubeconfig` and `--context`, documented once for every cluster command.
fn guide_common(guide: &str) -> BTreeSet<String> {
    let line = guide
        .split("\n\n")
        .find(|p| p.starts_with("Every command that talks to a cluster"))
        .unwrap_or_else(|| panic!("the guide lacks the paragraph on options every cluster command takes"));
    assert!(line.contains("in-cluster service account"), "the guide's --kubeconfig omits the in-cluster fallback");
    option_tokens(line)
}

#[track_caller]
fn assert_same_options(what: &str, help: &str, documented: &BTreeSet<String>) {
    let entries = help_entries(help);
    for entry in &entries {
        assert!(
            entry.iter().any(|name| documented.contains(name)),
            "{what}: `{entry:?}` is in --help but not in the guide (documented: {documented:?})"
        );
    }
    let known: BTreeSet<&String> = entries.iter().flatten().collect();
    for name in documented.iter().filter(|n| !matches!(n.as_str(), "-h" | "--help")) {
        assert!(known.contains(name), "{what}: the guide documents `{name}`, which --help does not list:\n{help}");
    }
}

#[test]
fn the_guide_documents_exactly_the_options_of_every_clap_command() {
    let guide = guide();
    let common = guide_common(&guide);
    let commands: &[&[&str]] = &[
        &["tenant", "create"],
        &["tenant", "show"],
        &["tenant", "delete"],
        &["auth"],
        &["auth", "token"],
        &["list"],
        &["status"],
        &["kill"],
        &["wait"],
        &["logs"],
        &["events"],
        &["completions"],
        &["connect"],
        &["operator", "run"],
        &["operator", "install"],
        &["image", "dockerfile"],
        &["image", "build"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let help = stdout(&args);
        let mut documented = option_tokens(&guide_row(&guide, &format!("kspark {}", command.join(" "))));
        if help.contains("--kubeconfig") {
            documented.extend(common.iter().cloned());
        }
        assert_same_options(&format!("kspark {}", command.join(" ")), &help, &documented);
    }
}

#[test]
fn the_guide_documents_exactly_the_options_of_submit_and_doctor() {
    let guide = guide();
    let submit_help = stdout(&["submit", "--help"]);
    assert!(help_entries(&submit_help).len() > 30, "the option entries were not found:\n{submit_help}");
    assert_same_options("kspark submit", &submit_help, &option_tokens(&guide_section(&guide, "`kspark submit")));
    let doctor_help = stdout(&["doctor", "--help"]);
    let names = |help: &str| help_entries(help).into_iter().flatten().collect::<BTreeSet<_>>();
    assert_eq!(names(&doctor_help), names(&submit_help), "doctor takes exactly submit's options");
    let mut doctor_guide = option_tokens(&guide_section(&guide, "`kspark doctor"));
    doctor_guide.remove("--help");
    assert!(doctor_guide.is_subset(&names(&doctor_help)), "{doctor_guide:?}");
}

#[test]
fn submit_help_lists_what_the_issues_found_missing() {
    let help = stdout(&["submit", "--help"]);
    for option in [
        "--skip-preflight",
        "-c, --conf",
        "--driver-class-path",
        "--driver-library-path",
        "--status",
        "--kill",
        "--packages",
        "--principal",
        "--supervise",
    ] {
        assert!(help.contains(option), "`kspark submit --help` lacks {option}:\n{help}");
    }
    let entry = |name: &str| {
        let start = help.find(&format!("  {name} ")).unwrap_or_else(|| panic!("no {name} in\n{help}"));
        help[start..].split("\n  -").next().unwrap_or_default().to_string()
    };
    assert!(entry("--kubeconfig").contains("in-cluster service account"), "{}", entry("--kubeconfig"));
    assert!(entry("--timeout").contains("124"), "{}", entry("--timeout"));
}

#[test]
fn cluster_commands_mention_the_in_cluster_fallback_and_wait_its_exit_code() {
    for command in [&["list"][..], &["auth"], &["tenant", "create"], &["logs"]] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = stdout(&args);
        assert!(help.contains("in-cluster service account"), "kspark {command:?} --help:\n{help}");
    }
    let wait = stdout(&["wait", "--help"]);
    assert!(wait.contains("exit 124"), "{wait}");
    assert!(!stdout(&["status", "--help"]).contains("--timeout"), "status does not wait");
}

#[test]
fn help_subcommand_prints_the_same_full_usage() {
    for command in ["submit", "doctor"] {
        let by_flag = stdout(&[command, "--help"]);
        let by_help = stdout(&["help", command]);
        assert_eq!(by_help.trim_end(), by_flag.trim_end(), "`kspark help {command}` differs from --help");
        assert!(by_flag.lines().count() > 40, "{by_flag}");
        assert!(by_flag.contains(&format!("usage: kspark {command}")), "{by_flag}");
    }
}

#[test]
fn no_arguments_is_a_usage_error_with_the_usage_on_stderr() {
    for command in ["submit", "doctor"] {
        let out = kspark(&[command]);
        assert_eq!(out.status.code(), Some(2), "kspark {command} with no arguments must fail");
        assert!(out.stdout.is_empty(), "the usage goes to stderr");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("usage: kspark {command}")) && stderr.contains("--master"), "{stderr}");
    }
}

#[test]
fn help_after_the_application_belongs_to_the_application() {
    let out = kspark(&[
        "submit",
        "--dry-run",
        "--master",
        "k8s://https://127.0.0.1:9",
        "--deploy-mode",
        "cluster",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
        "local:///opt/app/job.py",
        "--help",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("kind: Pod") && !stdout.contains("usage:"), "{stdout}");
    assert!(stdout.contains("- --help"), "--help is the application's argument:\n{stdout}");
}

/// The reader of standard output gone (`kspark … | head -n1`): the command
/// stops quietly and exits 0, as ripgrep does, instead of panicking.
#[test]
fn printing_commands_end_quietly_on_a_closed_pipe() {
    let commands: [&[&str]; 8] = [
        &["tenant", "create", "team-x", "--user", "a", "--dry-run", "-o", "yaml"],
        &["tenant", "create", "team-x", "--user", "a", "--dry-run", "-o", "json"],
        &["operator", "install", "--dry-run", "-o", "yaml"],
        &["operator", "install", "--dry-run", "-o", "json"],
        &["completions", "bash"],
        &["submit", "--help"],
        &["image", "dockerfile", "--spark", "4.0.5"],
        &["--help"],
    ];
    for args in commands {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kspark"));
        command.args(args).env_remove("KUBECONFIG").env_remove("KUBERNETES_SERVICE_HOST");
        let out = kspark_testcluster::run_with_closed_stdout(command, std::time::Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("cannot run kspark {args:?}: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "kspark {args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "kspark {args:?}: {stderr}");
    }
}

/// `-o` takes only the formats a command has; anything else is a usage
/// error (exit 2) naming the value, before any cluster is contacted.
#[test]
fn unknown_output_formats_are_usage_errors() {
    let commands: [&[&str]; 9] = [
        &["list", "-A", "-o", "jsn"],
        &["status", "ns:app", "-o", "jsn"],
        &["events", "ns:app", "-o", "table"],
        &["wait", "ns:app", "-o", "yaml"],
        &["auth", "-o", "jsn"],
        &["tenant", "show", "team-x", "-o", "jsn"],
        &["operator", "install", "--dry-run", "-o", "text"],
        &["submit", "--dry-run", "-o", "jsn", "--master", "k8s://https://127.0.0.1:9", "local:///app.jar"],
        &["doctor", "-o", "jsn", "--master", "k8s://https://127.0.0.1:9", "local:///app.jar"],
    ];
    for args in commands {
        let out = kspark(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "kspark {args:?}: {stderr}");
        let value = args[args.iter().position(|a| *a == "-o").unwrap_or(0) + 1];
        assert!(stderr.contains(&format!("'{value}'")) || stderr.contains(&format!("`{value}`")), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "kspark {args:?} printed {:?}", String::from_utf8_lossy(&out.stdout));
    }
}
