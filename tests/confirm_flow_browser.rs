//! The whole confirmation-page flow as a person meets it (issue 17): the built binary serves MCP
//! over HTTP with bearer auth and `--confirm-via page` against a sandbox; an MCP client (raw
//! Streamable HTTP) asks for a write and gets a link; headless Chromium opens the link (no token:
//! the page sits outside bearer auth) and presses Confirm or Decline; only then does the tool call
//! with the token write, exactly once. Screenshots go to target/test-artifacts/.
//!
//! Also: a call before the person answered (CONFLICT, nothing written), a forged POST without the
//! CSRF value (403, still pending), a cancel through the page, and an expired link (in-process,
//! with a short validity).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;
mod confirm_support;
mod http_support;

use std::process::Stdio;
use std::time::Duration;

use common::{config, sandbox, stored_time_offs, unthrottled};
use confirm_support::{artifacts, body_text, browser, screenshot, start_driver};
use fantoccini::{Client, Locator};
use http_support::{Http, StreamableSession, guarded};
use personio_mcp::ErrorCode;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::confirm::{Confirmation, Outcome};
use personio_mcp::mcp::tools::create_time_off;
use personio_mcp::personio::{EmployeeStatus, PersonioClient};
use personio_mcp::policy::access::Caller;
use personio_mcp::policy::confirmations::Confirmations;
use personio_mcp::policy::state::approvals::ConfirmVia;
use personio_mcp::sandbox::SandboxHandle;
use personio_mcp::transport::confirm_args::ConfirmArgs;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");

/// An HR user of the sandbox (any active employee with an email).
async fn hr_email(sb: &SandboxHandle) -> String {
    let app = App::new(
        PersonioClient::new(config(sb, "sandbox-client")).unwrap(),
        Settings::default(),
    );
    let snapshot = app.records().snapshot(None).await.unwrap();
    snapshot
        .all()
        .find(|e| e.status.value() == Some(&EmployeeStatus::Active) && e.email.value().is_some())
        .and_then(|e| e.email.value().cloned())
        .unwrap()
}

/// The binary serving MCP over HTTP against the sandbox: writes on, bearer token, page only.
struct Server {
    _child: Child,
    url: String,
    token: String,
    _state: tempfile::TempDir,
    _stdout: BufReader<tokio::process::ChildStdout>,
}

async fn serve(sb: &SandboxHandle, email: &str) -> Server {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let state = tempfile::tempdir().unwrap();
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("PERSONIO_") {
            c.env_remove(k);
        }
    }
    c.args(["serve", "--http", "127.0.0.1:0", "--confirm-via", "page"])
        .arg("--state-dir")
        .arg(state.path())
        .env("PERSONIO_BASE_URL", sb.base_url())
        .env("PERSONIO_CLIENT_ID", "sandbox-client")
        .env("PERSONIO_CLIENT_SECRET", "sandbox-secret")
        .env("PERSONIO_MCP_ENABLE_WRITES", "true")
        .env("PERSONIO_MCP_AUTH_TOKENS", format!("{token} {email} hr"))
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut err = child.stderr.take().unwrap();
    tokio::spawn(async move {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s).await;
        let _ = std::fs::write(artifacts().join("confirm-flow-server.log"), s);
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    guarded("the URL line", stdout.read_line(&mut line))
        .await
        .unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    Server {
        _child: child,
        url,
        token,
        _state: state,
        _stdout: stdout,
    }
}

/// One tool call: (isError, structuredContent or the error text).
async fn call(s: &mut StreamableSession, name: &str, args: Value) -> (bool, Value) {
    let (_, r) = s
        .request("tools/call", json!({"name": name, "arguments": args}), None)
        .await;
    let result = &r["result"];
    assert!(result.is_object(), "{r}");
    if result["isError"] == json!(true) {
        (true, result["content"][0]["text"].clone())
    } else {
        (false, result["structuredContent"].clone())
    }
}

/// The output schemas of the tools as listed (clients such as the TypeScript SDK validate
/// structuredContent against them).
async fn output_schemas(s: &mut StreamableSession) -> Value {
    let (_, r) = s.request("tools/list", json!({}), None).await;
    let mut out = json!({});
    for t in r["result"]["tools"].as_array().unwrap() {
        out[t["name"].as_str().unwrap()] = t["outputSchema"].clone();
    }
    out
}

fn assert_fits(schemas: &Value, tool: &str, result: &Value) {
    let validator = jsonschema::validator_for(&schemas[tool]).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(result)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{tool}: {errors:?}\n{result}");
}

async fn day_count(sb: &SandboxHandle) -> u64 {
    stored_time_offs(sb).await["day_count"].as_u64().unwrap()
}

/// Opens the link and presses a button; returns the page's text afterwards.
async fn answer(client: &Client, url: &str, button: &str, shot: &str) -> String {
    client.goto(url).await.unwrap();
    let text = body_text(client).await;
    screenshot(client, shot).await;
    assert!(
        text.contains("Confirm") && text.contains("Decline"),
        "{text}"
    );
    client
        .find(Locator::Css(&format!("button[value={button}]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let done = if button == "confirm" {
        ".status.ok"
    } else {
        ".status.no"
    };
    client.wait().for_element(Locator::Css(done)).await.unwrap();
    body_text(client).await
}

fn preview_link(r: &Value, server: &str) -> (String, String) {
    assert_eq!(r["status"], "confirmation_required", "{r}");
    let url = r["confirmation_url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{server}/confirm/")),
        "absolute, on the same listener: {url}"
    );
    assert_eq!(
        url.len() - server.len() - "/confirm/".len(),
        43,
        "256-bit id"
    );
    let next = r["next_step"].as_str().unwrap();
    assert!(
        next.contains(&url) && next.contains("Show the user"),
        "{next}"
    );
    (url, r["confirmation_token"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_happens_once_after_a_person_confirms_on_the_page_and_never_after_decline() {
    let sb = sandbox(60).await;
    let email = hr_email(&sb).await;
    let server = serve(&sb, &email).await;
    let mcp_http = Http::new(&server.url, Some(&server.token));
    let mut mcp = StreamableSession::open(&mcp_http).await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = browser(&driver, profile.path()).await;
    let before = day_count(&sb).await;
    let schemas = output_schemas(&mut mcp).await;

    // Preview: a link for the person and a token for the model.
    let args = json!({"employee": "me", "time_off_type": "Paid vacation",
                      "start_date": "2031-06-02", "end_date": "2031-06-04", "half_day_end": true,
                      "comment": "Family trip"});
    let (err, r) = call(&mut mcp, "create_time_off", args.clone()).await;
    assert!(!err, "{r}");
    let (url, token) = preview_link(&r, &server.url);
    assert_fits(&schemas, "create_time_off", &r);

    // The model calls before the person answered: refused, nothing written.
    let mut with_token = args.clone();
    with_token["confirmation_token"] = json!(token);
    let (err, text) = call(&mut mcp, "create_time_off", with_token.clone()).await;
    assert!(err, "{text}");
    let text = text.as_str().unwrap();
    assert!(text.starts_with("CONFLICT"), "{text}");
    assert!(text.contains("not confirmed"), "{text}");
    assert_eq!(
        day_count(&sb).await,
        before,
        "nothing written while pending"
    );

    // A forged POST (no CSRF value) changes nothing.
    let forged = confirm_support::http()
        .post(&url)
        .form(&[("decision", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let (err, text) = call(&mut mcp, "create_time_off", with_token.clone()).await;
    assert!(
        err && text.as_str().unwrap().starts_with("CONFLICT"),
        "{text}"
    );

    // The person opens the link (no bearer token), reads it, confirms.
    let page_text = answer(&browser, &url, "confirm", "confirm-flow-create.png").await;
    assert!(page_text.contains("Confirmed"), "{page_text}");
    let (err, r) = call(&mut mcp, "create_time_off", with_token.clone()).await;
    assert!(!err, "{r}");
    assert_eq!(r["created"], true, "{r}");
    assert_fits(&schemas, "create_time_off", &r);
    assert_eq!(day_count(&sb).await, before + 1, "written once");
    let absence_id = r["absence"]["id"].as_str().unwrap().to_string();

    // The same token again: refused, still one absence.
    let (err, text) = call(&mut mcp, "create_time_off", with_token).await;
    assert!(err, "{text}");
    assert_eq!(day_count(&sb).await, before + 1, "never twice");

    // Decline: refused for good.
    let args2 =
        json!({"employee": "me", "time_off_type": "Paid vacation", "start_date": "2031-07-07"});
    let (_, r) = call(&mut mcp, "create_time_off", args2.clone()).await;
    let (url2, token2) = preview_link(&r, &server.url);
    let page_text = answer(&browser, &url2, "decline", "confirm-flow-declined.png").await;
    assert!(page_text.contains("Declined"), "{page_text}");
    let mut declined = args2.clone();
    declined["confirmation_token"] = json!(token2);
    for _ in 0..2 {
        let (err, text) = call(&mut mcp, "create_time_off", declined.clone()).await;
        assert!(err, "{text}");
        assert!(text.as_str().unwrap().starts_with("FORBIDDEN"), "{text}");
    }
    assert_eq!(
        day_count(&sb).await,
        before + 1,
        "nothing written after decline"
    );

    // A plain token (not from the page) is not accepted in page mode.
    let mut plain = args2.clone();
    plain["confirmation_token"] = json!("v1.bogus");
    let (err, text) = call(&mut mcp, "create_time_off", plain).await;
    assert!(
        err && text.as_str().unwrap().starts_with("VALIDATION_FAILED"),
        "{text}"
    );

    // Cancelling goes through the page as well.
    let cancel = json!({"absence_id": absence_id});
    let (err, r) = call(&mut mcp, "cancel_time_off", cancel.clone()).await;
    assert!(!err, "{r}");
    let (url3, token3) = preview_link(&r, &server.url);
    assert_fits(&schemas, "cancel_time_off", &r);
    let mut cancel_with_token = cancel.clone();
    cancel_with_token["confirmation_token"] = json!(token3);
    let (err, text) = call(&mut mcp, "cancel_time_off", cancel_with_token.clone()).await;
    assert!(
        err && text.as_str().unwrap().starts_with("CONFLICT"),
        "{text}"
    );
    assert_eq!(
        day_count(&sb).await,
        before + 1,
        "not cancelled while pending"
    );
    answer(&browser, &url3, "confirm", "confirm-flow-cancel.png").await;
    let (err, r) = call(&mut mcp, "cancel_time_off", cancel_with_token).await;
    assert!(!err, "{r}");
    assert_eq!(r["cancelled"], true, "{r}");
    assert_eq!(day_count(&sb).await, before, "cancelled once");

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_is_refused_on_the_page_and_by_the_tool() {
    let sb = sandbox(40).await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let mut settings = Settings::with_writes(true);
    let args = ConfirmArgs {
        confirm_via: ConfirmVia::Page,
        confirm_bind: "127.0.0.1:0".parse().unwrap(),
    };
    settings.confirm = args.settings();
    let app = App::new(client, settings)
        .with_confirmations(Confirmations::random_with_ttl(Duration::from_secs(2)));
    let g = app.guard_as(Caller::operator());
    let before = day_count(&sb).await;
    let request =
        json!({"employee": "me", "time_off_type": "Paid vacation", "start_date": "2031-08-04"});
    let employee = {
        let snapshot = app.records().snapshot(None).await.unwrap();
        snapshot.all().next().unwrap().id
    };
    let mut request = request;
    request["employee"] = json!(employee.to_string());

    // A token offered by the flow itself is turned into a page (the server is page-only).
    let run = |a: Value| {
        let (g, app) = (g.clone(), app.clone());
        async move {
            create_time_off::run(
                &g,
                serde_json::from_value(a).unwrap(),
                Confirmation::Token,
                &app,
            )
            .await
        }
    };
    let Outcome::Done(r) = run(request.clone()).await.unwrap() else {
        panic!("no input request on the page path")
    };
    let url = r.go_on.confirmation_url.clone().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        r.go_on
            .next_step
            .as_deref()
            .unwrap()
            .contains("valid 1 min")
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = browser(&driver, profile.path()).await;
    browser.goto(&url).await.unwrap();
    let text = body_text(&browser).await;
    assert!(text.contains("This link has expired"), "{text}");
    assert!(
        browser
            .find_all(Locator::Css("form"))
            .await
            .unwrap()
            .is_empty()
    );
    screenshot(&browser, "confirm-flow-expired.png").await;
    browser.close().await.unwrap();

    let mut with_token = request.clone();
    with_token["confirmation_token"] = json!(r.go_on.confirmation_token.clone().unwrap());
    let e = match run(with_token).await {
        Err(e) => e,
        Ok(_) => panic!("an expired link must not write"),
    };
    assert_eq!(e.code, ErrorCode::ValidationFailed, "{e}");
    assert!(e.message.contains("expired"), "{e}");
    assert_eq!(day_count(&sb).await, before, "nothing written");
}

/// One JSON-RPC exchange over the stdio server: writes `msg`, returns the response with `id`.
async fn stdio_request(
    stdin: &mut tokio::process::ChildStdin,
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    id: i64,
    method: &str,
    params: Value,
) -> Value {
    use tokio::io::AsyncWriteExt;
    let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    stdin
        .write_all(format!("{msg}\n").as_bytes())
        .await
        .unwrap();
    loop {
        let line = guarded(method, lines.next_line()).await.unwrap().unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["id"] == json!(id) {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_the_page_on_a_loopback_listener_at_confirm_bind() {
    use tokio::io::AsyncWriteExt;
    let state = tempfile::tempdir().unwrap();
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("PERSONIO_") {
            c.env_remove(k);
        }
    }
    c.args(["serve", "--sandbox", "--enable-writes"])
        .arg("--state-dir")
        .arg(state.path())
        .env("PERSONIO_MCP_CONFIRM_VIA", "page")
        .env("PERSONIO_MCP_CONFIRM_BIND", "127.0.0.1:0")
        .kill_on_drop(true)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let init = json!({"protocolVersion": "2025-11-25", "capabilities": {},
                      "clientInfo": {"name": "confirm-tests", "version": "0"}});
    stdio_request(&mut stdin, &mut lines, 0, "initialize", init).await;
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n")
        .await
        .unwrap();
    let found = stdio_request(
        &mut stdin,
        &mut lines,
        1,
        "tools/call",
        json!({"name": "search_employee", "arguments": {"query": "Jürgen Müller"}}),
    )
    .await;
    let id = found["result"]["structuredContent"]["employees"][0]["id"].clone();
    assert!(id.is_i64(), "{found}");
    let args = json!({"employee": id.to_string(), "time_off_type": "Paid vacation", "start_date": "2031-09-01"});
    let r = stdio_request(
        &mut stdin,
        &mut lines,
        2,
        "tools/call",
        json!({"name": "create_time_off", "arguments": args}),
    )
    .await;
    let r = &r["result"]["structuredContent"];
    assert_eq!(r["status"], "confirmation_required", "{r}");
    let url = r["confirmation_url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("/confirm/"),
        "{url}"
    );
    let page = confirm_support::http().get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Jürgen Müller"));

    // Before the person answered, the model's call writes nothing.
    let mut with_token = args.clone();
    with_token["confirmation_token"] = r["confirmation_token"].clone();
    let e = stdio_request(
        &mut stdin,
        &mut lines,
        3,
        "tools/call",
        json!({"name": "create_time_off", "arguments": with_token}),
    )
    .await;
    assert_eq!(e["result"]["isError"], true, "{e}");
    assert!(
        e["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("CONFLICT"),
        "{e}"
    );
}
