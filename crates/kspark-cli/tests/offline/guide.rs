//! The guide (docs/guide, an mdBook) and the repository's top-level documents
//! hold together: every page is in SUMMARY.md and every SUMMARY.md entry is a
//! page, and every relative link — to a file, a page or a heading — leads
//! somewhere. (scripts/test.sh builds the book with mdBook; these are the
//! checks mdBook does not make.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn guide_src() -> PathBuf {
    repo().join("docs/guide/src")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Markdown files checked: the guide's pages and the documents at the top.
fn documents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(guide_src())
        .unwrap_or_else(|e| panic!("docs/guide/src: {e}"))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();
    files.extend(["README.md", "CONTRIBUTING.md"].map(|name| repo().join(name)));
    files
}

/// The text of `markdown` outside fenced code blocks and inline code.
fn prose(markdown: &str) -> String {
    let mut in_code = false;
    let mut text = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            let outside_code: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
            text.push_str(&outside_code);
            text.push('\n');
        }
    }
    text
}

/// The targets of inline links `[text](target)`, in order.
fn link_targets(markdown: &str) -> Vec<String> {
    let text = prose(markdown);
    text.match_indices("](")
        .filter_map(|(at, _)| text[at + 2..].split_once(')').map(|(target, _)| target.to_string()))
        .collect()
}

/// A heading's anchor as mdBook and GitHub make it: lower case, spaces to
/// dashes, other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut found = BTreeSet::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.insert(slug(line.trim_start_matches('#')));
        }
    }
    found
}

/// Why `target`, linked from `from`, leads nowhere; `None` when it leads somewhere.
fn broken(from: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (file, anchor) = target.split_once('#').map_or((target, None), |(f, a)| (f, Some(a)));
    let dir = from.parent().unwrap_or_else(|| Path::new("."));
    let linked = if file.is_empty() { from.to_path_buf() } else { dir.join(file) };
    if !linked.exists() {
        return Some(format!("{} does not exist", linked.display()));
    }
    match anchor {
        Some(anchor) if linked.extension().is_some_and(|e| e == "md") && !anchors(&read(&linked)).contains(anchor) => {
            Some(format!("{} has no heading with the anchor #{anchor}", linked.display()))
        }
        _ => None,
    }
}

#[test]
fn every_relative_link_leads_to_a_file_or_heading() {
    let mut problems = Vec::new();
    for document in documents() {
        for target in link_targets(&read(&document)) {
            if let Some(why) = broken(&document, &target) {
                problems.push(format!("{}: ({target}): {why}", document.display()));
            }
        }
    }
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
}

#[test]
fn summary_lists_every_page_and_only_pages() {
    let summary = read(&guide_src().join("SUMMARY.md"));
    let listed: BTreeSet<String> = link_targets(&summary).into_iter().collect();
    let pages: BTreeSet<String> = documents()
        .iter()
        .filter(|path| path.starts_with(guide_src()))
        .filter_map(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|name| name != "SUMMARY.md")
        .collect();
    assert_eq!(listed, pages, "SUMMARY.md and the pages in docs/guide/src differ");
}

#[test]
fn the_link_checker_finds_what_is_broken() {
    let page = guide_src().join("introduction.md");
    assert_eq!(broken(&page, "commands.md"), None);
    assert_eq!(broken(&page, "#getting-the-binary"), None);
    assert!(broken(&page, "no-such-page.md").is_some());
    assert!(broken(&page, "commands.md#no-such-heading").is_some());
    assert_eq!(slug(" `kspark ui NS:NAME [--port P]`"), "kspark-ui-nsname---port-p");
    assert_eq!(link_targets("see [a](a.md) and `[b](b.md)`\n```\n[c](c.md)\n```\n"), ["a.md"]);
}
