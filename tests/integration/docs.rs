//! Every console example in README.md and docs/*.md is a test: its
//! commands run against the shipped fixtures in a temp dir (the files of a
//! page one after another, sharing one database, as a reader would type
//! them), and their output must match what the page shows.
//!
//! In the expected text, `[..]` stands for any run of characters within a
//! line (times, paths, hashes) and a line `...` for any number of lines.
//! `<!-- setup: COMMAND -->` runs a command the page does not show (it
//! must succeed). `STOCKPILE_BLESS=1 cargo test docs` writes the actual
//! output into the pages where it no longer matches, for review.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One `$ command` of a page and the output shown under it.
struct Example {
    command: String,
    expected: Vec<String>,
    /// Where the expected lines sit in the page (for blessing).
    lines: std::ops::Range<usize>,
}

enum Step {
    Setup(String),
    Example(Example),
}

fn parse(text: &str) -> Vec<Step> {
    let lines: Vec<&str> = text.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if let Some(cmd) = line
            .strip_prefix("<!-- setup:")
            .and_then(|r| r.strip_suffix("-->"))
        {
            steps.push(Step::Setup(cmd.trim().to_string()));
            i += 1;
            continue;
        }
        if line != "```console" {
            i += 1;
            continue;
        }
        i += 1;
        while i < lines.len() && lines[i].trim_end() != "```" {
            let Some(first) = lines[i].strip_prefix("$ ") else {
                panic!("line {}: console output without a command before it", i + 1);
            };
            let mut command = first.to_string();
            while command.ends_with('\\') && i + 1 < lines.len() {
                command.pop();
                i += 1;
                command.push_str(lines[i].trim_start_matches("> "));
            }
            i += 1;
            let start = i;
            while i < lines.len() && lines[i].trim_end() != "```" && !lines[i].starts_with("$ ") {
                i += 1;
            }
            steps.push(Step::Example(Example {
                command,
                expected: lines[start..i].iter().map(|l| l.to_string()).collect(),
                lines: start..i,
            }));
        }
        i += 1;
    }
    steps
}

/// Whether `actual` matches `expected`, with `[..]` and `...` elisions.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e.trim() == "..." => {
            (0..=actual.len()).any(|k| matches(rest, &actual[k..]))
        }
        Some((e, rest)) => match actual.split_first() {
            Some((a, more)) => line_matches(e.trim_end(), a.trim_end()) && matches(rest, more),
            None => false,
        },
    }
}

fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let mut rest = actual;
    for (k, part) in parts.iter().enumerate() {
        if k == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if k == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a page's steps in a fresh dir; the mismatches, and the page
/// rewritten with the actual output where blessing.
fn run_page(page: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(page).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root().join("fixtures"), dir.path().join("fixtures")).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("stockpile");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Every command as a reader would type it: through the shell, the
    // built binary first on the PATH, today fixed, colour off.
    let shell = |command: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("STOCKPILE_TODAY", crate::util::TODAY)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .env("USER", "duty-officer")
            .env_remove("STOCKPILE_DB")
            .output()
            .unwrap()
    };
    let run = |command: &str| -> String {
        String::from_utf8_lossy(&shell(&format!("{command} 2>&1")).stdout).into_owned()
    };
    let bless = std::env::var_os("STOCKPILE_BLESS").is_some();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut replaced: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
    let mut failures = Vec::new();
    for step in parse(&text) {
        match step {
            Step::Setup(cmd) => {
                let out = shell(&cmd);
                assert!(
                    out.status.success(),
                    "{}: setup `{cmd}` failed: {}",
                    page.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Step::Example(e) => {
                let actual = run(&e.command);
                let actual_lines: Vec<&str> = actual.lines().collect();
                if !matches(&e.expected, &actual_lines) {
                    failures.push(format!(
                        "{}:{}: `$ {}` printed:\n{}\n--- but the page shows:\n{}",
                        page.display(),
                        e.lines.start,
                        e.command,
                        actual.trim_end(),
                        e.expected.join("\n")
                    ));
                    replaced.push((
                        e.lines.clone(),
                        actual_lines
                            .iter()
                            .map(|l| l.trim_end().to_string())
                            .collect(),
                    ));
                }
            }
        }
    }
    if bless && !replaced.is_empty() {
        for (range, new) in replaced.into_iter().rev() {
            lines.splice(range, new);
        }
        let mut out = lines.join("\n");
        out.push('\n');
        std::fs::write(page, out).unwrap();
    }
    failures
}

#[test]
fn every_console_example_prints_what_the_docs_show() {
    crate::file_only!();
    let mut pages = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    let mut examples = 0;
    let mut failures = Vec::new();
    for page in pages.iter().filter(|p| p.exists()) {
        let text = std::fs::read_to_string(page).unwrap();
        examples += parse(&text)
            .iter()
            .filter(|s| matches!(s, Step::Example(_)))
            .count();
        failures.extend(run_page(page));
    }
    assert!(examples >= 20, "only {examples} examples found");
    assert!(
        failures.is_empty(),
        "{} of {examples} examples differ from the docs:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn elisions_match_what_they_stand_for() {
    let e = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a [..] c"]), &["a b c"]));
    assert!(!matches(&e(&["a [..] c"]), &["a b d"]));
    assert!(matches(&e(&["x", "...", "z"]), &["x", "1", "2", "z"]));
    assert!(matches(&e(&["x", "...", "z"]), &["x", "z"]));
    assert!(!matches(&e(&["x", "...", "z"]), &["x", "1"]));
    assert!(matches(&e(&["[..]ms"]), &["12 ms"]));
    assert!(!matches(&e(&["one"]), &["one", "two"]));
}
