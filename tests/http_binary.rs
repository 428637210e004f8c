//! `personio-mcp serve --http` as a user runs it: the refusal to serve a non-loopback address
//! without auth, token-file authentication, and graceful shutdown on SIGTERM with a call in
//! flight.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns too

mod http_support;

use http_support::*;
use serde_json::json;
use tokio::io::BufReader;
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");

/// The binary with an environment free of PERSONIO_* settings (a developer's shell must not change
/// what the test sees).
fn command(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("RUST_LOG", "info").kill_on_drop(true);
    for (k, _) in std::env::vars() {
        if k.starts_with("PERSONIO_") {
            c.env_remove(k);
        }
    }
    c
}

/// A running binary: its base URL (the first stdout line) and its stderr, drained in the
/// background so that logging can never block it.
struct Proc {
    child: Child,
    url: String,
    _stdout: BufReader<tokio::process::ChildStdout>,
    stderr: tokio::task::JoinHandle<String>,
}

impl Proc {
    async fn spawn(c: Command) -> Proc {
        let p = ServerProcess::spawn(c).await;
        Proc {
            child: p.child,
            url: p.url,
            _stdout: p.stdout,
            stderr: p.stderr,
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit; returns the exit code and everything written to stderr.
    async fn exit(mut self) -> (Option<i32>, String) {
        let status = guarded("process exit", self.child.wait()).await.unwrap();
        let err = guarded("stderr", self.stderr).await.unwrap();
        (status.code(), err)
    }
}

#[tokio::test]
async fn a_non_loopback_address_without_auth_is_refused() {
    let out = guarded(
        "serve --http 0.0.0.0:0",
        command(&["serve", "--http", "0.0.0.0:0", "--sandbox"]).output(),
    )
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it must not start: {stderr}");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("refusing to serve MCP on 0.0.0.0:0 without authentication"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--auth-tokens"),
        "the message names the fix: {stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was served");
    assert!(
        !stderr.contains("sandbox started"),
        "it refused before starting anything: {stderr}"
    );
}

#[tokio::test]
async fn serve_http_with_a_token_file_authenticates_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    let token = "binary-test-token-0123456789abcdef";
    std::fs::write(&file, format!("# test token\n{token} ada@example.com hr\n")).unwrap();
    let server = Proc::spawn(command(&[
        "serve",
        "--http",
        "127.0.0.1:0",
        "--sandbox",
        "--auth-tokens",
        file.to_str().unwrap(),
    ]))
    .await;
    let url = server.url.clone();

    let anonymous = Http::new(&url, None);
    let r = anonymous
        .request(reqwest::Method::GET, "/healthz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = anonymous
        .request(reqwest::Method::GET, "/readyz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the embedded sandbox is reachable");
    let r = anonymous
        .modern_send(1, "tools/list", json!({}), None)
        .await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    let http = Http::new(&url, Some(token));
    let (_, list) = http.modern("tools/list", json!({}), None).await;
    assert!(
        list["result"]["tools"].as_array().unwrap().len() >= 5,
        "{list}"
    );
    let mut sse = SseSession::open(&http).await;
    let (_, list) = sse.request("tools/list", json!({}), None).await;
    assert!(list["result"]["tools"].is_array());

    server.signal("INT");
    let (code, err) = server.exit().await;
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains(token), "the token leaks into the logs");
}

#[tokio::test]
async fn sigterm_lets_the_call_in_flight_complete_and_exits_zero() {
    // A standalone sandbox whose employee pages are slow.
    let sandbox = Proc::spawn({
        let mut c = command(&["sandbox", "--bind", "127.0.0.1:0"]);
        c.env("RUST_LOG", "warn");
        c
    })
    .await;
    let sandbox_url = sandbox.url.clone();
    let admin = Http::new(&sandbox_url, None);
    let r = admin
        .request(reqwest::Method::PUT, "/__sandbox/faults")
        .json(&json!({"latency_ms": 800, "path_prefix": "/v1/company/employees"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    let server = Proc::spawn({
        let mut c = command(&["serve", "--http", "127.0.0.1:0"]);
        c.env("PERSONIO_BASE_URL", &sandbox_url)
            .env("PERSONIO_CLIENT_ID", "sandbox-client")
            .env("PERSONIO_CLIENT_SECRET", "sandbox-secret");
        c
    })
    .await;
    let url = server.url.clone();

    // A cold search: it pages through the directory, reporting progress.
    let http = Http::new(&url, None);
    let r = http
        .modern_send(
            7,
            "tools/call",
            json!({"name": "search_employee", "arguments": {"query": "Müller"}}),
            Some("p-term"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut stream = SseReader::new(r);
    let first = guarded("first progress", stream.next_message())
        .await
        .unwrap();
    assert_eq!(first["method"], "notifications/progress", "{first}");

    // The call is in flight: SIGTERM now.
    server.signal("TERM");
    let (_, response) = guarded("the in-flight result", stream.until_response(7))
        .await
        .expect("the call completes after SIGTERM");
    assert!(
        tool_ok(&response)["employees"][0]["name"]
            .as_str()
            .unwrap()
            .contains("Müller"),
        "{response}"
    );
    let (code, err) = server.exit().await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("shutting down"), "{err}");
    drop(sandbox);
}

#[tokio::test]
async fn weak_configured_tokens_are_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    for (token, why) in [
        ("short-but-random-9f86d0", "shorter than 32"),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "too predictable",
        ),
        ("0123456789abcdef0123456789abcdef", "too predictable"),
        ("passwordpasswordpasswordpassword", "too predictable"),
    ] {
        let file = dir.path().join("tokens");
        std::fs::write(&file, format!("{token} ada@example.com hr\n")).unwrap();
        let out = guarded(
            "serve with a weak token",
            command(&[
                "serve",
                "--http",
                "127.0.0.1:0",
                "--sandbox",
                "--auth-tokens",
                file.to_str().unwrap(),
            ])
            .output(),
        )
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{token}: {stderr}");
        assert!(stderr.contains(why), "{token}: {stderr}");
        assert!(stderr.contains("line 1"), "names the line: {stderr}");
        assert!(!stderr.contains(token), "the token leaks: {stderr}");
        assert!(out.stdout.is_empty(), "nothing was served");
        // The environment form is checked the same way.
        let out = guarded(
            "serve with a weak token in the environment",
            command(&["serve", "--http", "127.0.0.1:0", "--sandbox"])
                .env(
                    "PERSONIO_MCP_AUTH_TOKENS",
                    format!("{token} ada@example.com hr"),
                )
                .output(),
        )
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(2), "env {token}");
    }
}

#[tokio::test]
async fn failed_logins_are_logged_in_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    let token = "4e1f9b7c2d8a6e3f0b5c9d1a7e4f2b8c6d3a0e9f";
    std::fs::write(&file, format!("{token} ada@example.com hr\n")).unwrap();
    let proc = Proc::spawn(command(&[
        "serve",
        "--http",
        "127.0.0.1:0",
        "--sandbox",
        "--auth-tokens",
        file.to_str().unwrap(),
    ]))
    .await;
    let http = Http::new(&proc.url, None);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..200 {
        let r = http
            .request(reqwest::Method::GET, "/sse")
            .bearer_auth(format!("wrong-{i:03}-5b2e8f1c9a7d3e6b0f4a8c2d7e1b9f3a"))
            .send()
            .await
            .unwrap();
        *statuses.entry(r.status().as_u16()).or_default() += 1;
    }
    assert!(
        statuses.get(&429).copied().unwrap_or(0) >= 150,
        "{statuses:?}"
    );
    proc.signal("TERM");
    let (code, stderr) = proc.exit().await;
    assert_eq!(code, Some(0), "{stderr}");
    let lines = stderr
        .lines()
        .filter(|l| l.contains("bearer token") || l.contains("failed bearer"))
        .count();
    assert!(
        (1..=2).contains(&lines),
        "200 failures, {lines} log lines about them:\n{stderr}"
    );
    assert!(
        !stderr.contains("wrong-"),
        "a presented token leaks into the log"
    );
}
