//! Issue 18 wiring: `personio-mcp serve --http --oauth-issuer … --public-url …` as an operator
//! runs it, against the real OpenID Provider (tests/oauth/provider.mjs). The OAuth module's own
//! behaviour is proven in oauth_resource.rs; here: the flags reach it, the metadata is served
//! without a token, `/mcp` challenges towards it, provider tokens and static tokens both get in,
//! and an unreachable issuer stops the start-up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

#[path = "oauth/support.rs"]
mod support;

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");
/// A static token next to OAuth (a bot beside the employees).
const STATIC_TOKEN: &str = "wiring-static-token-0123456789abcdefXYZ";
/// Generous bound on start-up, so that a hang fails instead of blocking the suite.
const START: Duration = Duration::from_secs(120);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with an environment free of PERSONIO_* settings, serving the sandbox on `port`
/// with OAuth for `issuer`.
fn serve(port: u16, issuer: &str) -> Command {
    let url = format!("http://127.0.0.1:{port}");
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("PERSONIO_") {
            c.env_remove(k);
        }
    }
    c.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--sandbox"])
        .args(["--public-url", &url, "--oauth-issuer", issuer])
        .env("RUST_LOG", "warn")
        .env(
            "PERSONIO_MCP_AUTH_TOKENS",
            format!("{STATIC_TOKEN} bot@example.com employee"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

async fn first_line(child: &mut Child) -> String {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(START, out.read_line(&mut line))
        .await
        .expect("the server starts")
        .unwrap();
    line.trim().to_string()
}

/// POSTs an MCP initialize to `/mcp` with an optional bearer token: (status, WWW-Authenticate).
async fn initialize(url: &str, token: Option<&str>) -> (u16, String) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "oauth-wiring", "version": "1"}}});
    let mut req = http()
        .post(format!("{url}/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let www = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status().as_u16(), www)
}

#[tokio::test]
async fn serve_http_with_oauth_challenges_serves_metadata_and_admits_both_token_kinds() {
    let p = provider();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = serve(port, &p.issuer).spawn().unwrap();
    assert_eq!(first_line(&mut child).await.trim_end_matches('/'), url);

    // The metadata needs no token and names the provider.
    let prm: Value = http()
        .get(format!("{url}/.well-known/oauth-protected-resource/mcp"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prm["resource"], format!("{url}/mcp"), "{prm}");
    assert_eq!(prm["authorization_servers"], json!([p.issuer]), "{prm}");

    // No token: 401 pointing at that metadata, without an error code.
    let (status, www) = initialize(&url, None).await;
    assert_eq!(status, 401);
    assert!(
        www.starts_with("Bearer ") && !www.contains("error="),
        "{www}"
    );
    assert!(
        www.contains(&format!(
            "resource_metadata=\"{url}/.well-known/oauth-protected-resource/mcp\""
        )),
        "{www}"
    );

    // A provider token for this resource gets in; one for another resource does not.
    let good = mint(p, "rsa", &good_claims(p, &url));
    assert_eq!(initialize(&url, Some(&good)).await.0, 200);
    let mut other = good_claims(p, &url);
    other["aud"] = json!("https://other.example/mcp");
    let (status, www) = initialize(&url, Some(&mint(p, "rsa", &other))).await;
    assert_eq!(status, 401);
    assert!(www.contains("error=\"invalid_token\""), "{www}");

    // The static token keeps working beside OAuth.
    assert_eq!(initialize(&url, Some(STATIC_TOKEN)).await.0, 200);
}

#[tokio::test]
async fn an_unreachable_issuer_stops_the_start_up_with_exit_code_2() {
    let port = free_port();
    let child = serve(port, &format!("http://127.0.0.1:{}", free_port()))
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(START, child.wait_with_output())
        .await
        .expect("the server gives up")
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no URL line when start-up failed");
    let mut stderr = String::new();
    out.stderr
        .as_slice()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(stderr.contains("OAuth identity provider"), "{stderr}");
}
