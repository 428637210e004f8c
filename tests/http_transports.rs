//! The HTTP transports in-process over real loopback HTTP: Streamable HTTP (2026-07-28 stateless
//! requests and legacy `initialize` sessions) and the legacy HTTP+SSE pair, with their security
//! (Host, Origin, bearer tokens, body cap, rate limit, session cap, session ownership), principal
//! propagation, idle timeout, progress, graceful drain and a 100-session concurrency run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns too

mod common;
mod http_support;

use std::num::NonZeroU32;
use std::time::Duration;

use http_support::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::PersonioServer;
use personio_mcp::personio::PersonioClient;
use personio_mcp::policy::principal::{Principal, Role};
use personio_mcp::sandbox::{SandboxConfig, SandboxHandle};
use personio_mcp::transport::http::HttpConfig;
use personio_mcp::transport::security::{OriginPolicy, RateLimit, TokenStore};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde_json::{Value, json};

const ADA: &str = "c399a1b3c5d6634d758b62b970a61040118ebf9e";
const BOB: &str = "rGgUdFPOZmhNhqMFBjMBUUNF0C0W8yv6v5IGS8s3";

/// What the HTTP layer attached to the request: the `Principal` inside the HTTP request parts that
/// both transports put into the MCP request extensions (test-local: the product reads it on the
/// mcp/policy side).
fn principal_of(ctx: &RequestContext<RoleServer>) -> Option<Principal> {
    ctx.extensions
        .get::<http::request::Parts>()?
        .extensions
        .get::<Principal>()
        .cloned()
}

/// A test-only handler with one tool that reports the principal the HTTP layer attached.
#[derive(Clone)]
struct Whoami {
    tool_router: ToolRouter<Whoami>,
}

#[tool_router]
impl Whoami {
    fn new() -> Self {
        Whoami {
            tool_router: Self::tool_router(),
        }
    }

    #[tool(description = "Reports the calling principal as JSON (null when none).")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> String {
        serde_json::to_string(&principal_of(&ctx)).unwrap()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Whoami {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

fn tokens() -> TokenStore {
    let mut t = TokenStore::default();
    t.insert(
        ADA,
        Principal {
            email: "ada@example.com".into(),
            role: Role::Hr,
        },
    )
    .unwrap();
    t.insert(
        BOB,
        Principal {
            email: "bob@example.com".into(),
            role: Role::Employee,
        },
    )
    .unwrap();
    t
}

fn config() -> HttpConfig {
    let mut c = HttpConfig::new("127.0.0.1:0".parse().unwrap());
    c.rate_limit = RateLimit {
        per_minute: NonZeroU32::new(1_000_000).unwrap(),
        burst: NonZeroU32::new(100_000).unwrap(),
    };
    c.anonymous_rate_limit = c.rate_limit;
    c
}

fn authed() -> HttpConfig {
    let mut c = config();
    c.tokens = tokens();
    c
}

async fn whoami_server(config: HttpConfig) -> Running {
    Running::start(config, Whoami::new).await
}

async fn relaxed_sandbox() -> SandboxHandle {
    common::sandbox_with(SandboxConfig {
        relaxed_limits: true,
        ..SandboxConfig::default()
    })
    .await
}

/// A fresh App (cold directory) on the sandbox, without client-side throttling.
fn app(sb: &SandboxHandle) -> App {
    let client =
        PersonioClient::new(common::unthrottled(common::config(sb, "sandbox-client"))).unwrap();
    App::new(client, Settings::with_writes(false))
}

async fn personio_server(config: HttpConfig, app: App) -> Running {
    let prototype = PersonioServer::new(app);
    Running::start(config, move || prototype.clone()).await
}

fn init_body() -> Value {
    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize_params()})
}

async fn json_body(r: reqwest::Response) -> Value {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

// ------------------------------------------------------------------------------------------------
// Origin and Host

#[tokio::test]
async fn a_foreign_origin_is_refused_on_every_route() {
    let server = whoami_server(config()).await;
    let http = server.client(None);
    let evil = "https://evil.example";
    let session = SseSession::connect(&http).await;
    let attempts = [
        http.mcp_post(&init_body()).header("origin", evil),
        http.request(reqwest::Method::GET, "/sse")
            .header("origin", evil),
        http.request(reqwest::Method::POST, &session.endpoint)
            .header("origin", evil)
            .header("content-type", "application/json")
            .body(init_body().to_string()),
        http.request(reqwest::Method::GET, "/healthz")
            .header("origin", evil),
        http.request(reqwest::Method::GET, "/readyz")
            .header("origin", evil),
    ];
    for attempt in attempts {
        let r = attempt.send().await.unwrap();
        let url = r.url().path().to_string();
        assert_eq!(r.status(), 403, "{url}");
        assert_eq!(json_body(r).await["error"], "forbidden", "{url}");
    }
    // Loopback origins (a local browser tool such as the MCP Inspector) are allowed by default.
    let r = http
        .mcp_post(&init_body())
        .header("origin", "http://localhost:6274")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_host_that_is_not_allowed_is_refused_on_every_mcp_route() {
    let server = whoami_server(config()).await;
    let http = server.client(None);
    let session = SseSession::connect(&http).await;
    let attempts = [
        http.mcp_post(&init_body()).header("host", "evil.example"),
        http.request(reqwest::Method::GET, "/sse")
            .header("host", "evil.example:80"),
        http.request(reqwest::Method::POST, &session.endpoint)
            .header("host", "rebound.evil.example")
            .header("content-type", "application/json")
            .body(init_body().to_string()),
    ];
    for attempt in attempts {
        let r = attempt.send().await.unwrap();
        let url = r.url().path().to_string();
        assert_eq!(r.status(), 403, "{url}");
        assert!(
            json_body(r).await["message"]
                .as_str()
                .unwrap()
                .contains("Host")
        );
    }
    // The name clients really use passes.
    let r = http
        .mcp_post(&init_body())
        .header("host", "localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

// ------------------------------------------------------------------------------------------------
// Bearer tokens

#[tokio::test]
async fn every_mcp_route_requires_a_valid_bearer_token() {
    let server = whoami_server(authed()).await;
    let good = server.client(Some(ADA));
    let session = SseSession::connect(&good).await;
    for (who, token) in [
        ("missing", None),
        ("wrong", Some("not-a-configured-token-at-all")),
    ] {
        let http = server.client(token);
        let attempts = [
            http.mcp_post(&init_body()),
            http.request(reqwest::Method::GET, "/sse"),
            http.request(reqwest::Method::POST, &session.endpoint)
                .header("content-type", "application/json")
                .body(init_body().to_string()),
        ];
        for attempt in attempts {
            let r = attempt.send().await.unwrap();
            let url = r.url().path().to_string();
            assert_eq!(r.status(), 401, "{who} token on {url}");
            let challenge = r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(challenge.starts_with("Bearer realm="), "{challenge}");
            assert_eq!(
                challenge.contains("invalid_token"),
                token.is_some(),
                "{who}: {challenge}"
            );
            assert_eq!(json_body(r).await["error"], "unauthorized");
        }
    }
    // A good token: 200 on every transport.
    let (_, r) = good
        .modern(
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            None,
        )
        .await;
    assert_eq!(r["result"]["isError"], false);
    StreamableSession::open(&good).await;
    SseSession::open(&good).await;
    // The probes carry no data and need no token.
    let anonymous = server.client(None);
    for probe in ["/healthz", "/readyz"] {
        let r = anonymous
            .request(reqwest::Method::GET, probe)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{probe}");
    }
}

#[tokio::test]
async fn the_principal_of_the_token_reaches_the_tool_on_every_http_transport() {
    let server = whoami_server(authed()).await;
    for (token, email, role) in [
        (ADA, "ada@example.com", "hr"),
        (BOB, "bob@example.com", "employee"),
    ] {
        let http = server.client(Some(token));
        let call = json!({"name": "whoami", "arguments": {}});
        let expect = json!({"email": email, "role": role});
        let seen = |r: &Value| -> Value {
            serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap()
        };

        let (_, r) = http.modern("tools/call", call.clone(), None).await;
        assert_eq!(seen(&r), expect, "Streamable HTTP, 2026-07-28 (stateless)");

        let mut s = StreamableSession::open(&http).await;
        let (_, r) = s.request("tools/call", call.clone(), None).await;
        assert_eq!(seen(&r), expect, "Streamable HTTP, legacy session");

        let mut s = SseSession::open(&http).await;
        let (_, r) = s.request("tools/call", call.clone(), None).await;
        assert_eq!(seen(&r), expect, "legacy HTTP+SSE");
    }

    // Without tokens (loopback only) there is no principal.
    let open = whoami_server(config()).await;
    let (_, r) = open
        .client(None)
        .modern(
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            None,
        )
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "null");
}

#[tokio::test]
async fn a_session_answers_only_to_the_principal_that_opened_it() {
    let server = whoami_server(authed()).await;
    let ada = server.client(Some(ADA));
    let bob = server.client(Some(BOB));

    let s = StreamableSession::open(&ada).await;
    let call = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                      "params": {"name": "whoami", "arguments": {}}});
    let r = bob
        .mcp_post(&call)
        .header("mcp-session-id", &s.id)
        .header("mcp-protocol-version", LEGACY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "bob cannot use ada's Streamable HTTP session"
    );
    assert_eq!(s.post(&call).await.status(), 200, "ada still can");

    let s = SseSession::open(&ada).await;
    let r = bob
        .request(reqwest::Method::POST, &s.endpoint)
        .header("content-type", "application/json")
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "bob cannot post into ada's SSE session");
    assert_eq!(s.post(&call).await.status(), 202, "ada still can");
}

// ------------------------------------------------------------------------------------------------
// Limits

#[tokio::test]
async fn oversized_bodies_get_413_on_both_transports() {
    let mut c = config();
    c.max_body_bytes = 4096;
    let server = whoami_server(c).await;
    let http = server.client(None);
    let session = SseSession::open(&http).await;
    let big = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                     "params": {"name": "whoami", "arguments": {"pad": "x".repeat(10_000)}}});

    // Declared length over the cap.
    let r = http.mcp_post(&big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(json_body(r).await["error"], "payload_too_large");
    let r = session.post(&big).await;
    assert_eq!(r.status(), 413);

    // Chunked (no Content-Length): caught while reading.
    let chunked = || {
        let chunks: Vec<Result<String, std::io::Error>> = vec![Ok(big.to_string())];
        reqwest::Body::wrap_stream(futures::stream::iter(chunks))
    };
    let r = http
        .request(reqwest::Method::POST, "/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(chunked())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "Streamable HTTP, chunked");
    let r = http
        .request(reqwest::Method::POST, &session.endpoint)
        .header("content-type", "application/json")
        .body(chunked())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "legacy SSE, chunked");
}

#[tokio::test]
async fn the_rate_limit_is_per_principal_and_answers_429_with_retry_after() {
    let mut c = authed();
    c.rate_limit = RateLimit {
        per_minute: NonZeroU32::new(1).unwrap(),
        burst: NonZeroU32::new(3).unwrap(),
    };
    let server = whoami_server(c).await;
    let ada = server.client(Some(ADA));
    let call = json!({"name": "whoami", "arguments": {}});
    for _ in 0..3 {
        let r = ada.modern_send(1, "tools/call", call.clone(), None).await;
        assert_eq!(r.status(), 200);
    }
    let r = ada.modern_send(1, "tools/call", call.clone(), None).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let body = json_body(r).await;
    assert_eq!(body["error"], "rate_limited");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("1 requests a minute"),
        "{body}"
    );
    // The legacy transport shares the budget.
    let r = ada
        .request(reqwest::Method::GET, "/sse")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Bob has a budget of his own.
    let r = server
        .client(Some(BOB))
        .modern_send(1, "tools/call", call, None)
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_session_cap_counts_both_transports() {
    let mut c = config();
    c.max_sessions = 2;
    let server = whoami_server(c).await;
    let http = server.client(None);
    let _a = StreamableSession::open(&http).await;
    let _b = SseSession::open(&http).await;

    let r = http.mcp_post(&init_body()).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(json_body(r).await["error"], "too_many_sessions");
    let r = http
        .request(reqwest::Method::GET, "/sse")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);

    // Stateless 2026-07-28 requests open no session and still work.
    let (_, r) = http
        .modern(
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            None,
        )
        .await;
    assert_eq!(r["result"]["isError"], false);

    // Closing a session frees its slot.
    drop(_b);
    guarded("a freed slot", async {
        loop {
            let r = http.mcp_post(&init_body()).send().await.unwrap();
            if r.status() == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn idle_sessions_are_closed() {
    let mut c = config();
    c.session_idle_timeout = Duration::from_millis(300);
    let server = whoami_server(c).await;
    let http = server.client(None);

    let mut sse = SseSession::open(&http).await;
    // The server ends the idle stream...
    assert!(
        guarded("idle SSE close", sse.reader.next_event())
            .await
            .is_none()
    );
    // ... and forgets the session.
    let r = sse
        .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    assert_eq!(r.status(), 404);

    let s = StreamableSession::open(&http).await;
    guarded("idle Streamable HTTP session close", async {
        loop {
            // Each probe is traffic, so probe less often than the idle timeout.
            tokio::time::sleep(Duration::from_secs(1)).await;
            let r = s
                .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
                .await;
            if r.status() == 404 {
                break;
            }
        }
    })
    .await;
}

// ------------------------------------------------------------------------------------------------
// The Personio server over HTTP

const READ_TOOLS: [&str; 5] = [
    "search_employee", "get_employee", "get_pto_balance", "list_absences", "list_time_off_types",
];

fn tool_names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn tools_and_cold_load_progress_reach_clients_on_every_http_transport() {
    let sb = relaxed_sandbox().await;
    let expected: Vec<String> = READ_TOOLS.iter().map(|s| s.to_string()).collect();
    let search = json!({"name": "search_employee", "arguments": {"query": "Müller"}});

    for transport in ["streamable-2026", "streamable-legacy", "sse"] {
        // A fresh App per transport: each starts with a cold directory.
        let server = personio_server(config(), app(&sb)).await;
        let http = server.client(None);
        let (list, (notes, found)) = match transport {
            "streamable-2026" => (
                http.modern("tools/list", json!({}), None).await.1,
                http.modern("tools/call", search.clone(), Some("p-1")).await,
            ),
            "streamable-legacy" => {
                let mut s = StreamableSession::open(&http).await;
                (
                    s.request("tools/list", json!({}), None).await.1,
                    s.request("tools/call", search.clone(), Some("p-1")).await,
                )
            }
            _ => {
                let mut s = SseSession::open(&http).await;
                (
                    s.request("tools/list", json!({}), None).await.1,
                    s.request("tools/call", search.clone(), Some("p-1")).await,
                )
            }
        };
        let names = tool_names(&list);
        for t in &expected {
            assert!(
                names.contains(t),
                "{transport}: {t} not listed in {names:?}"
            );
        }
        let result = tool_ok(&found);
        assert!(
            result["employees"][0]["name"]
                .as_str()
                .unwrap()
                .contains("Müller"),
            "{transport}: {result}"
        );
        let progress = progress_for(&notes, "p-1");
        assert!(
            !progress.is_empty(),
            "{transport}: no progress in {notes:?}"
        );
        assert!(
            progress[0]["params"]["message"]
                .as_str()
                .unwrap()
                .contains("employees loaded"),
            "{transport}: {progress:?}"
        );
    }
}

#[tokio::test]
async fn readyz_reports_whether_personio_is_usable() {
    let sb = relaxed_sandbox().await;
    let good = app(&sb);
    let prototype = PersonioServer::new(good.clone());
    let readiness = {
        let app = good.clone();
        std::sync::Arc::new(move || {
            let app = app.clone();
            Box::pin(async move {
                app.records()
                    .client()
                    .authenticate()
                    .await
                    .map_err(|e| e.code.to_string())
            }) as futures::future::BoxFuture<'static, Result<(), String>>
        })
    };
    let bound = personio_mcp::transport::http::HttpServer::new(config(), move || prototype.clone())
        .with_readiness(readiness)
        .bind()
        .await
        .unwrap();
    let server = Running::run(bound);
    let r = server
        .client(None)
        .request(reqwest::Method::GET, "/readyz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json_body(r).await["status"], "ready");

    // A credential Personio rejects.
    let mut cfg = common::config(&sb, "sandbox-client");
    cfg.client_secret = secrecy::SecretString::from("wrong-secret".to_string());
    let bad = App::new(
        PersonioClient::new(cfg).unwrap(),
        Settings::with_writes(false),
    );
    let prototype = PersonioServer::new(bad.clone());
    let readiness = std::sync::Arc::new(move || {
        let app = bad.clone();
        Box::pin(async move {
            app.records()
                .client()
                .authenticate()
                .await
                .map_err(|e| e.code.to_string())
        }) as futures::future::BoxFuture<'static, Result<(), String>>
    });
    let bound = personio_mcp::transport::http::HttpServer::new(config(), move || prototype.clone())
        .with_readiness(readiness)
        .bind()
        .await
        .unwrap();
    let server = Running::run(bound);
    let r = server
        .client(None)
        .request(reqwest::Method::GET, "/readyz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body = json_body(r).await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["reason"], "AUTH_INVALID");
}

#[tokio::test]
async fn shutdown_lets_a_legacy_sse_call_in_flight_finish() {
    let sb = relaxed_sandbox().await;
    let mut server = personio_server(config(), app(&sb)).await;
    let http = server.client(None);
    let mut s = SseSession::open(&http).await;
    // Slow pages, so the cold load is still running when shutdown starts.
    common::set_faults(
        &sb,
        json!({"latency_ms": 400, "path_prefix": "/v1/company/employees"}),
    )
    .await;
    let id = s
        .send(
            "tools/call",
            json!({"name": "search_employee", "arguments": {"query": "Müller"}}),
            Some("p-drain"),
        )
        .await;
    // The first progress notification proves the call is running.
    let first = guarded("first progress", s.reader.next_message())
        .await
        .unwrap();
    assert_eq!(first["method"], "notifications/progress", "{first}");

    server.begin_shutdown();
    // New sessions are refused while draining (the listener may already be closed: either way no
    // session opens).
    if let Ok(r) = http.request(reqwest::Method::GET, "/sse").send().await {
        assert_eq!(r.status(), 503);
    }
    let (_, response) = guarded("the in-flight result", s.reader.until_response(id))
        .await
        .expect("the call completes on its stream");
    assert!(tool_ok(&response)["employees"].is_array());
    // Then the session is closed (the stream ends) and the server stops.
    while let Some(m) = guarded("stream end", s.reader.next_message()).await {
        assert!(m.get("id").is_none(), "only notifications may follow: {m}");
    }
    server.stopped().await.unwrap();
}

/// 100 sessions in parallel (Streamable HTTP legacy sessions, 2026-07-28 stateless clients and
/// legacy SSE sessions), 20 tool calls each, on a warm directory: every call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_sessions_making_twenty_calls_each_all_succeed() {
    let sb = relaxed_sandbox().await;
    let server = personio_server(config(), app(&sb)).await;
    let http = server.client(None);
    // Warm the directory (and the time-off type cache) once.
    let (_, r) = http
        .modern(
            "tools/call",
            json!({"name": "search_employee", "arguments": {"query": "a"}}),
            None,
        )
        .await;
    tool_ok(&r);
    const QUERIES: [&str; 6] = ["Müller", "Anna", "Schmidt", "engineering", "a", "Jürgen"];
    let call_for = |session: usize, i: usize| -> Value {
        if i % 4 == 3 {
            json!({"name": "list_time_off_types", "arguments": {}})
        } else {
            let q = QUERIES[(session + i) % QUERIES.len()];
            json!({"name": "search_employee", "arguments": {"query": q, "limit": 5}})
        }
    };

    let mut tasks = tokio::task::JoinSet::new();
    for session in 0..100usize {
        let http = http.clone();
        tasks.spawn(async move {
            let mut ok = 0usize;
            match session % 3 {
                0 => {
                    let mut s = StreamableSession::open(&http).await;
                    for i in 0..20 {
                        let (_, r) = s.request("tools/call", call_for(session, i), None).await;
                        tool_ok(&r);
                        ok += 1;
                    }
                }
                1 => {
                    for i in 0..20 {
                        let (_, r) = http.modern("tools/call", call_for(session, i), None).await;
                        tool_ok(&r);
                        ok += 1;
                    }
                }
                _ => {
                    let mut s = SseSession::open(&http).await;
                    for i in 0..20 {
                        let (_, r) = s.request("tools/call", call_for(session, i), None).await;
                        tool_ok(&r);
                        ok += 1;
                    }
                }
            }
            ok
        });
    }
    let mut total = 0;
    while let Some(done) = guarded("100 sessions", tasks.join_next()).await {
        total += done.expect("a session task panicked");
    }
    assert_eq!(total, 100 * 20);
}

// ------------------------------------------------------------------------------------------------
// Protocol edges and defaults (issue 13)

#[tokio::test]
async fn deleting_a_legacy_session_answers_204_and_an_unknown_one_404() {
    let server = whoami_server(config()).await;
    let http = server.client(None);
    let s = StreamableSession::open(&http).await;
    let delete = |id: &str| {
        http.request(reqwest::Method::DELETE, "/mcp")
            .header("mcp-session-id", id)
            .header("mcp-protocol-version", LEGACY)
            .send()
    };
    let r = delete(&s.id).await.unwrap();
    assert_eq!(r.status(), 204, "the Python SDK accepts 200 or 204 only");
    // The session is gone: a second DELETE and a call both get 404 with a JSON body.
    let r = delete(&s.id).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json_body(r).await["error"], "session_not_found");
    let r = delete("no-such-session").await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json_body(r).await["error"], "session_not_found");
    let r = s
        .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn bad_json_and_batches_get_a_json_rpc_error_body_on_both_transports() {
    let server = whoami_server(config()).await;
    let http = server.client(None);
    let s = StreamableSession::open(&http).await;
    let sse = SseSession::open(&http).await;
    for (body, code) in [
        (r#"{"jsonrpc":"2.0","id":1,"method":"initia"#, -32700),
        ("not json at all", -32700),
        (r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, -32600),
        ("[1,2,3]", -32600),
        (r#"{"hello":"world"}"#, -32600),
    ] {
        let raw = |b: reqwest::RequestBuilder| {
            b.header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(body.to_string())
                .send()
        };
        let attempts = [
            (
                "stateless",
                raw(http.request(reqwest::Method::POST, "/mcp")).await,
            ),
            (
                "session",
                raw(http
                    .request(reqwest::Method::POST, "/mcp")
                    .header("mcp-session-id", &s.id)
                    .header("mcp-protocol-version", LEGACY))
                .await,
            ),
            (
                "legacy SSE",
                raw(http.request(reqwest::Method::POST, &sse.endpoint)).await,
            ),
        ];
        for (what, r) in attempts {
            let r = r.unwrap();
            assert_eq!(r.status(), 400, "{what}: {body}");
            let b = json_body(r).await;
            assert_eq!(b["jsonrpc"], "2.0", "{what}: {b}");
            assert_eq!(b["error"]["code"], code, "{what}: {body}: {b}");
        }
    }
    // The session survived all of it.
    let r = s
        .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    assert_eq!(r.status(), 202);
}

#[tokio::test]
async fn every_http_error_response_carries_a_json_body() {
    let server = whoami_server(authed()).await;
    let http = server.client(Some(ADA));
    let attempts = [
        (
            "unknown route",
            http.request(reqwest::Method::GET, "/nope"),
            404,
        ),
        (
            "wrong method",
            http.request(reqwest::Method::PUT, "/healthz"),
            405,
        ),
        (
            "wrong accept",
            http.request(reqwest::Method::POST, "/mcp")
                .header("content-type", "application/json")
                .header("accept", "text/html")
                .body(init_body().to_string()),
            406,
        ),
        (
            "wrong content type",
            http.request(reqwest::Method::POST, "/mcp")
                .header("content-type", "text/plain")
                .header("accept", "application/json, text/event-stream")
                .body("hello"),
            415,
        ),
        (
            "no session id on /message",
            http.request(reqwest::Method::POST, "/message")
                .header("content-type", "application/json")
                .body(init_body().to_string()),
            400,
        ),
        (
            "no token",
            server.client(None).request(reqwest::Method::GET, "/sse"),
            401,
        ),
    ];
    for (what, attempt, status) in attempts {
        let r = attempt.send().await.unwrap();
        assert_eq!(r.status(), status, "{what}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{what}"
        );
        let b = json_body(r).await;
        assert!(b["error"].is_string(), "{what}: {b}");
        assert!(b["message"].is_string(), "{what}: {b}");
    }
}

/// Issue 13: with default settings all tokenless loopback callers shared one bucket of 600/min,
/// burst 60, and 52 of 64 concurrent searches failed with 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_limits_let_a_burst_of_64_and_300_calls_back_to_back_through() {
    let sb = relaxed_sandbox().await;
    let server = personio_server(HttpConfig::new("127.0.0.1:0".parse().unwrap()), app(&sb)).await;
    let http = server.client(None);
    let search =
        |q: &str| json!({"name": "search_employee", "arguments": {"query": q, "limit": 3}});
    let (_, r) = http.modern("tools/call", search("a"), None).await;
    tool_ok(&r);
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..64 {
        let http = http.clone();
        let call = search(["Müller", "Anna", "Schmidt", "a"][i % 4]);
        burst.spawn(async move { http.modern_send(1, "tools/call", call, None).await.status() });
    }
    let mut refused = 0;
    while let Some(status) = guarded("64 concurrent calls", burst.join_next()).await {
        if status.unwrap() != 200 {
            refused += 1;
        }
    }
    assert_eq!(refused, 0, "of 64 concurrent calls");
    for i in 0..300 {
        let r = http
            .modern_send(1, "tools/call", search(["Anna", "Jürgen"][i % 2]), None)
            .await;
        assert_eq!(r.status(), 200, "call {i} of 300 back to back");
        let _ = r.bytes().await;
    }
}

#[tokio::test]
async fn token_callers_keep_a_per_principal_limit_by_default() {
    let mut c = HttpConfig::new("127.0.0.1:0".parse().unwrap());
    c.tokens = tokens();
    let burst = c.rate_limit.burst.get();
    let server = whoami_server(c).await;
    let ada = server.client(Some(ADA));
    let mut statuses = Vec::new();
    for _ in 0..burst + 50 {
        let r = ada
            .request(reqwest::Method::GET, "/mcp")
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(
        statuses.contains(&429),
        "{} requests at once: {statuses:?}",
        burst + 50
    );
    // Another principal is not affected.
    let (_, r) = server
        .client(Some(BOB))
        .modern(
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            None,
        )
        .await;
    assert_eq!(r["result"]["isError"], false);
}

// ------------------------------------------------------------------------------------------------
// Hardening (issue 14) and browser clients (issue 18)

#[tokio::test]
async fn the_session_cap_is_per_principal_too() {
    let mut c = authed();
    c.max_sessions = 10;
    c.max_sessions_per_principal = 2;
    let server = whoami_server(c).await;
    let bob = server.client(Some(BOB));
    let _a = StreamableSession::open(&bob).await;
    let _b = SseSession::open(&bob).await;
    let r = bob.mcp_post(&init_body()).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(json_body(r).await["error"], "too_many_sessions");
    let r = bob
        .request(reqwest::Method::GET, "/sse")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // One employee's sessions do not lock HR out.
    let ada = server.client(Some(ADA));
    StreamableSession::open(&ada).await;
    SseSession::open(&ada).await;
}

/// A client bound to another loopback source address (Linux routes all of 127/8 to lo).
fn client_from(source: &str, base: &str, token: Option<&str>) -> Http {
    let mut h = Http::new(base, token);
    h.client = reqwest::Client::builder()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    h
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_address() {
    let server = whoami_server(authed()).await;
    let attacker = server.client(None);
    let mut unauthorized = 0;
    let mut throttled = 0;
    for i in 0..200 {
        let r = attacker
            .request(reqwest::Method::GET, "/sse")
            .bearer_auth(format!("wrong-{i:03}-7f3a9c2e41b8d6f05e9a1c7b3d8f2e6a"))
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            401 => {
                assert_eq!(
                    throttled, 0,
                    "a 401 after the throttle started (attempt {i})"
                );
                unauthorized += 1;
            }
            429 => {
                let retry: u64 = r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry >= 1);
                assert_eq!(json_body(r).await["error"], "too_many_failed_logins");
                throttled += 1;
            }
            other => panic!("attempt {i}: unexpected {other}"),
        }
    }
    assert!(
        (1..=20).contains(&unauthorized),
        "a small burst of 401s first: {unauthorized}"
    );
    assert_eq!(unauthorized + throttled, 200);
    // While throttled, even the right token is not confirmed from that address...
    let r = server
        .client(Some(ADA))
        .request(reqwest::Method::GET, "/sse")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // ... but another address is not affected, and the probes still answer.
    let (_, r) = client_from("127.0.0.2", &server.base, Some(ADA))
        .modern(
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            None,
        )
        .await;
    assert_eq!(r["result"]["isError"], false);
    let r = attacker
        .request(reqwest::Method::GET, "/healthz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn cors_preflight_for_an_allowed_origin_names_what_mcp_needs() {
    const APP: &str = "https://app.example.com";
    let mut c = authed();
    c.allowed_origins = OriginPolicy::parse(&[APP.into()]).unwrap();
    let server = whoami_server(c).await;
    let anonymous = server.client(None);
    let preflight = |path: &str, origin: &str| {
        anonymous
            .request(reqwest::Method::OPTIONS, path)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id",
            )
            .send()
    };
    let header = |r: &reqwest::Response, name: &str| -> String {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .unwrap_or_default()
    };
    for path in ["/mcp", "/sse", "/message?sessionId=x"] {
        let r = preflight(path, APP).await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_eq!(header(&r, "access-control-allow-origin"), APP, "{path}");
        let methods = header(&r, "access-control-allow-methods");
        for m in ["get", "post", "delete"] {
            assert!(methods.contains(m), "{path}: {methods}");
        }
        let allowed = header(&r, "access-control-allow-headers");
        for h in [
            "authorization", "content-type", "mcp-session-id", "mcp-protocol-version",
            "last-event-id",
        ] {
            assert!(allowed.contains(h), "{path}: {h} not in {allowed}");
        }
    }
    // The real request: the page can read the response and the session id.
    let r = server
        .client(Some(ADA))
        .mcp_post(&init_body())
        .header("origin", APP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), APP);
    assert!(header(&r, "access-control-expose-headers").contains("mcp-session-id"));
    // A refusal is readable too (the page learns it needs a token).
    let r = anonymous
        .mcp_post(&init_body())
        .header("origin", APP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "access-control-allow-origin"), APP);
    // A foreign origin is refused, preflight included, and gets no CORS headers.
    let r = preflight("/mcp", "https://evil.example").await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "access-control-allow-origin"), "");
    let r = server
        .client(Some(ADA))
        .mcp_post(&init_body())
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "access-control-allow-origin"), "");

    // The default loopback list gets no CORS: a page on any local dev server must not reach a
    // token-less local server.
    let local = whoami_server(config()).await;
    let r = local
        .client(None)
        .request(reqwest::Method::OPTIONS, "/mcp")
        .header("origin", "http://localhost:6274")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), "");
}

/// Issue 13 point 7: 2026-07-28 removed `ping` and `logging/setLevel`, so a modern request for
/// either gets "method not found" (-32601); a legacy session keeps both.
#[tokio::test]
async fn ping_and_set_level_exist_in_the_legacy_era_only() {
    let sb = relaxed_sandbox().await;
    let server = personio_server(config(), app(&sb)).await;
    let http = server.client(None);
    for method in ["ping", "logging/setLevel"] {
        let params = if method == "ping" {
            json!({})
        } else {
            json!({"level": "warning"})
        };
        let r = http.modern_send(7, method, params.clone(), None).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        let body: Value = text
            .lines()
            .find_map(|l| l.strip_prefix("data:"))
            .map(|d| serde_json::from_str(d.trim()).unwrap())
            .unwrap_or_else(|| serde_json::from_str(&text).unwrap_or(Value::Null));
        assert_eq!(
            body["error"]["code"], -32601,
            "{method} in 2026-07-28 (HTTP {status}): {text}"
        );

        let mut s = StreamableSession::open(&http).await;
        let (_, r) = s.request(method, params, None).await;
        assert!(
            r.get("error").is_none(),
            "{method} in a legacy session: {r}"
        );
        assert!(r["result"].is_object(), "{method} in a legacy session: {r}");
    }
}
