//! End-to-end tests with the official MCP Python SDK: runs `pytest tests/e2e` (see
//! tests/e2e/conftest.py) against the binary cargo just built, over stdio, in both protocol eras.
//!
//! Needs the venv that `scripts/setup-e2e.sh` creates at `.venv` (`scripts/test.sh` runs it first).
//! Without it this test fails — it never passes silently. pytest's output is streamed as it runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A hang guard for the whole suite (it normally takes seconds), not a performance assertion.
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);

#[test]
fn python_sdk_end_to_end_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "E2E VENV MISSING: {} does not exist. Run `scripts/setup-e2e.sh` (it creates .venv with the \
         pinned MCP Python SDK and pytest), or use `scripts/test.sh`, which runs it before cargo test.",
        python.display()
    );
    let bin = env!("CARGO_BIN_EXE_personio-mcp");
    eprintln!(
        "e2e: {} -m pytest -q tests/e2e (PERSONIO_MCP_BIN={bin})",
        python.display()
    );
    let mut child = Command::new(&python)
        .args(["-m", "pytest", "-q", "tests/e2e"])
        .current_dir(root)
        .env("PERSONIO_MCP_BIN", bin)
        .env("PERSONIO_MCP_VERSION", env!("CARGO_PKG_VERSION"))
        // Keep the source tree clean: no __pycache__ next to the tests.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH")
        .stdin(Stdio::null())
        // Inherited: pytest's progress and report stream straight to the terminal / CI log.
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", python.display()));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > SUITE_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the e2e suite did not finish within {SUITE_TIMEOUT:?}; killed it");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("waiting for pytest failed: {e}"),
        }
    };
    assert!(
        status.success(),
        "the Python e2e suite failed ({status}); pytest's report is above. Re-run it alone with \
         `cargo test --test e2e_python`. If pytest or mcp failed to import, or \
         tests/e2e/requirements.txt changed, run `scripts/setup-e2e.sh` first."
    );
}
