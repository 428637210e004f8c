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
            let code = without_test_items(&strip(&std::fs::read_to_string(&path).unwrap()));
            let lines = code
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
            let name = path.strip_prefix(root()).unwrap().display().to_string();
            (name, lines)
        })
        .collect()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The source without comments, and with every string and character literal emptied, so that
/// neither prose nor tool descriptions count as code.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let prev_ident = i > 0 && is_ident(b[i - 1]);
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'r' | b'b' if !prev_ident && raw_string_at(b, i).is_some() => {
                let (hashes, open) = raw_string_at(b, i).unwrap();
                let mut close = b"\"".to_vec();
                close.extend(std::iter::repeat_n(b'#', hashes));
                i = open + 1;
                while i < b.len() && !b[i..].starts_with(&close) {
                    i += 1;
                }
                i += close.len();
                out.extend_from_slice(b"\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.extend_from_slice(b"\"\"");
            }
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
                out.extend_from_slice(b"' '");
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') => {
                i += 3;
                out.extend_from_slice(b"' '");
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `r"…"`, `r#"…"#`, `br"…"` at `i`: the number of `#` and where the opening quote is.
fn raw_string_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if b[j] == b'b' {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|c| **c == b'#').count();
    (b.get(j + hashes) == Some(&b'"')).then_some((hashes, j + hashes))
}

/// The code without its `#[cfg(test)]` items (the item after the attribute, to its `;` or its
/// matching closing brace), wherever they stand in the file.
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let end = match (item.find('{'), item.find(';')) {
            (Some(brace), semi) if semi.is_none_or(|s| brace < s) => {
                let mut depth = 0usize;
                let mut end = item.len();
                for (k, c) in item[brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = brace + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semi)) => semi + 1,
            _ => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Every `crate::` path a file names, with `use crate::{a::x, b::{y, z}}` groups expanded one
/// level (`crate::a`, `crate::b`), so that grouped imports are seen too.
fn crate_paths(lines: &[String]) -> Vec<String> {
    let code = lines.join(" ");
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1usize;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    paths.push(format!("crate::{}", item.trim()));
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else {
                    item.push(c);
                }
            }
        } else {
            let path: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(format!("crate::{path}"));
        }
        rest = after;
    }
    paths
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

/// The `crate::` paths of `dir`'s files that start with any of `layers`, as "file: path".
fn naming(dir: &str, layers: &[&str]) -> Vec<String> {
    sources(dir)
        .into_iter()
        .flat_map(|(name, code)| {
            crate_paths(&code)
                .into_iter()
                .filter(|p| {
                    layers
                        .iter()
                        .any(|l| p == l || p.starts_with(&format!("{l}::")))
                })
                .map(move |p| format!("{name}: {p}"))
        })
        .collect()
}

#[test]
fn the_reader_sees_code_only_and_test_items_anywhere() {
    let text = "use a; // crate::domain\n/* crate::policy /* nested */ */ let s = \"crate::mcp\";\n\
        let r = r#\"crate::app \"quoted\"\"#; let c = '\"'; fn f<'a>() {}\n\
        #[cfg(test)] fn helper() { crate::transport::x(); }\nuse crate::{domain::Y, policy::{Z}};\n\
        #[cfg(test)]\nmod tests { fn t() { if true { crate::mcp::z(); } } }\nfn after() {}";
    let code = without_test_items(&strip(text));
    assert!(
        !code.contains("crate::policy") || code.contains("use crate::{"),
        "{code}"
    );
    for hidden in [
        "crate::policy", "crate::mcp", "crate::app", "crate::transport", "nested",
    ] {
        assert!(!code.contains(hidden), "{hidden} in {code}");
    }
    assert!(
        code.contains("fn f<'a>()") && code.contains("fn after()"),
        "{code}"
    );
    let lines: Vec<String> = code.lines().map(String::from).collect();
    assert_eq!(
        crate_paths(&lines),
        ["crate::domain::Y", "crate::policy::{Z}"]
    );
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
        ("src/mcp", &["crate::transport"]),
    ];
    for (dir, above) in rules {
        let found = naming(dir, above);
        assert!(
            found.is_empty(),
            "{dir} names a layer above it:\n{found:#?}"
        );
    }
}

#[test]
fn the_mcp_layer_gets_a_typed_caller_not_http_requests() {
    let found = offending("src/mcp", &["request::Parts", "HeaderMap"]);
    assert!(
        found.is_empty(),
        "the transport hands over a caller:\n{found:#?}"
    );
}

#[test]
fn tools_reach_personio_only_through_the_policy_facade() {
    let mut found = naming(
        "src/mcp/tools",
        &["crate::domain", "crate::personio::client"],
    );
    found.extend(offending(
        "src/mcp/tools",
        &["PersonioClient", "Records", ".records()", ".client("],
    ));
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
