//! The house rules of docs/architecture.md, checked on the source itself so that they hold for
//! the next change too (issue 12): data flows one way (transport → mcp → policy → domain →
//! personio), tools talk only to the policy facade, the environment is read only through clap, and
//! no file of the layered folders grows past 500 lines of code.
//!
//! The check reads code lines only: comment lines and the `#[cfg(test)]` module at the bottom of
//! a file are not looked at (tests may reach anywhere).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, recursively, as (path relative to the repository, code lines).
fn sources(dir: &str) -> Vec<(String, Vec<String>)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join(dir), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("//"))
                .map(String::from)
                .collect();
            let name = path.strip_prefix(root()).unwrap().display().to_string();
            (name, code)
        })
        .collect()
}

/// The lines of `dir` that contain any of `needles`, as "file: line".
fn offending(dir: &str, needles: &[&str]) -> Vec<String> {
    sources(dir)
        .into_iter()
        .flat_map(|(name, code)| {
            code.into_iter()
                .filter(|l| needles.iter().any(|n| l.contains(n)))
                .map(move |l| format!("{name}: {l}"))
        })
        .collect()
}

#[test]
fn no_layer_names_a_layer_above_it() {
    let rules: [(&str, &[&str]); 4] = [
        (
            "src/personio",
            &[
                "crate::domain", "crate::policy", "crate::mcp", "crate::transport", "crate::app",
            ],
        ),
        (
            "src/domain",
            &[
                "crate::policy", "crate::mcp", "crate::transport", "crate::app",
            ],
        ),
        (
            "src/policy",
            &["crate::mcp", "crate::transport", "crate::app"],
        ),
        ("src/mcp", &["crate::transport", "http::request::Parts"]),
    ];
    for (dir, above) in rules {
        let found = offending(dir, above);
        assert!(
            found.is_empty(),
            "{dir} names a layer above it:\n{found:#?}"
        );
    }
}

#[test]
fn tools_reach_personio_only_through_the_policy_facade() {
    let found = offending(
        "src/mcp/tools",
        &[
            "crate::domain", "PersonioClient", "Records", ".records()", ".client(",
        ],
    );
    assert!(
        found.is_empty(),
        "a tool reaches past `Guarded` (src/policy/guarded/):\n{found:#?}"
    );
}

#[test]
fn the_environment_is_read_only_through_clap() {
    let found: Vec<String> = offending("src", &["env::var", "env::vars"])
        .into_iter()
        .filter(|l| !l.starts_with("src/cli.rs") && !l.contains("_args.rs:"))
        .collect();
    assert!(
        found.is_empty(),
        "read the setting through clap (`#[arg(env = ...)]`) instead:\n{found:#?}"
    );
}

#[test]
fn no_layered_file_is_over_500_lines_of_code() {
    for dir in [
        "src/mcp", "src/transport", "src/domain", "src/policy", "src/personio",
    ] {
        for (name, code) in sources(dir) {
            assert!(
                code.len() <= 500,
                "{name} has {} lines of code: split it by concern",
                code.len()
            );
        }
    }
}
