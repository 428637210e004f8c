//! A minimal MCP-over-HTTP client for the HTTP transport tests, speaking raw JSON-RPC so that each
//! test sees exactly what goes over the wire: Streamable HTTP in the 2026-07-28 era (stateless
//! requests with per-request `_meta` and SEP-2243 headers) and in a legacy `initialize` session,
//! and the 2024-11-05 HTTP+SSE pair.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use personio_mcp::transport::http::{BoundServer, HttpConfig, HttpServer};
use rmcp::ServerHandler;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const MODERN: &str = "2026-07-28";
pub const LEGACY: &str = "2025-11-25";
/// A hang guard for single waits (not a performance assertion).
pub const HANG_GUARD: Duration = Duration::from_secs(60);

pub async fn guarded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(HANG_GUARD, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {HANG_GUARD:?}"),
    }
}

/// An HTTP MCP server running in this process on a loopback port.
pub struct Running {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Starts `factory`'s handler behind the HTTP transports with `config` (its bind address is
    /// replaced by 127.0.0.1:0).
    pub async fn start<S: ServerHandler + Send + 'static>(
        mut config: HttpConfig,
        factory: impl Fn() -> S + Send + Sync + 'static,
    ) -> Running {
        config.bind = "127.0.0.1:0".parse().unwrap();
        let bound: BoundServer = HttpServer::new(config, factory).bind().await.unwrap();
        Running::run(bound)
    }

    pub fn run(bound: BoundServer) -> Running {
        let base = format!("http://{}", bound.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(bound.run(async move {
            let _ = stopped.await;
        }));
        Running {
            base,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Triggers graceful shutdown (as SIGTERM would) without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the server to stop after [`begin_shutdown`](Self::begin_shutdown).
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        let task = self.task.take().expect("server task");
        guarded("server shutdown", task).await.unwrap()
    }

    pub fn client(&self, token: Option<&str>) -> Http {
        Http::new(&self.base, token)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.begin_shutdown();
    }
}

/// One server event from an SSE stream.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Reads SSE events from a streaming response body.
pub struct SseReader {
    stream: BoxStream<'static, reqwest::Result<Bytes>>,
    buf: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> SseReader {
        SseReader {
            stream: response.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    /// The next event with data (priming events and comments are skipped); `None` at the end.
    pub async fn next_event(&mut self) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf[..end].to_string();
                self.buf.drain(..end + 2);
                let mut event = String::from("message");
                let mut data: Vec<&str> = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                let data = data.join("\n");
                if !data.is_empty() {
                    return Some(SseEvent { event, data });
                }
            }
            match self.stream.next().await {
                Some(Ok(chunk)) => self
                    .buf
                    .push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n")),
                _ => return None,
            }
        }
    }

    /// The next JSON-RPC message (`message` events).
    pub async fn next_message(&mut self) -> Option<Value> {
        loop {
            let e = self.next_event().await?;
            if e.event == "message" {
                return Some(serde_json::from_str(&e.data).expect("a message event carries JSON"));
            }
        }
    }

    /// Messages up to and including the response to `id`: (notifications and requests seen
    /// before it, the response).
    pub async fn until_response(&mut self, id: i64) -> Option<(Vec<Value>, Value)> {
        let mut before = Vec::new();
        while let Some(m) = self.next_message().await {
            if m.get("id").and_then(Value::as_i64) == Some(id)
                && (m.get("result").is_some() || m.get("error").is_some())
            {
                return Some((before, m));
            }
            before.push(m);
        }
        None
    }
}

/// The 2026-07-28 per-request `_meta`.
pub fn modern_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "http-tests", "version": "0"}
    })
}

pub fn initialize_params() -> Value {
    json!({"protocolVersion": LEGACY, "capabilities": {},
           "clientInfo": {"name": "http-tests", "version": "0"}})
}

/// Adds `_meta` keys (and a progress token) to request params.
fn with_meta(mut params: Value, meta: Option<Value>, progress: Option<&str>) -> Value {
    if !params.is_object() {
        params = json!({});
    }
    let mut m = meta.unwrap_or_else(|| json!({}));
    if let Some(p) = progress {
        m["progressToken"] = json!(p);
    }
    if m.as_object().is_some_and(|o| !o.is_empty()) {
        params["_meta"] = m;
    }
    params
}

/// An HTTP client for one server, optionally with a bearer token.
#[derive(Clone)]
pub struct Http {
    pub client: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Http {
    pub fn new(base: &str, token: Option<&str>) -> Http {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Http {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .unwrap(),
            base: base.to_string(),
            token: token.map(str::to_string),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut b = self.client.request(method, self.url(path));
        if let Some(t) = &self.token {
            b = b.bearer_auth(t);
        }
        b
    }

    /// A POST to /mcp with the JSON and Accept headers Streamable HTTP requires.
    pub fn mcp_post(&self, body: &Value) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, "/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string())
    }

    /// A 2026-07-28 request (stateless): its HTTP response, not yet read.
    pub async fn modern_send(
        &self,
        id: i64,
        method: &str,
        params: Value,
        progress: Option<&str>,
    ) -> reqwest::Response {
        let name = match method {
            "tools/call" | "prompts/get" => params.get("name").and_then(Value::as_str),
            "resources/read" => params.get("uri").and_then(Value::as_str),
            _ => None,
        }
        .map(str::to_string);
        let params = with_meta(params, Some(modern_meta()), progress);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut b = self
            .mcp_post(&body)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", method);
        if let Some(n) = name {
            b = b.header("mcp-name", n);
        }
        b.send().await.unwrap()
    }

    /// A 2026-07-28 request: (notifications before the response, the response).
    pub async fn modern(
        &self,
        method: &str,
        params: Value,
        progress: Option<&str>,
    ) -> (Vec<Value>, Value) {
        let r = self.modern_send(1, method, params, progress).await;
        assert_eq!(
            r.status(),
            200,
            "{method}: {}",
            r.text().await.unwrap_or_default()
        );
        let mut reader = SseReader::new(r);
        guarded(method, reader.until_response(1))
            .await
            .expect("a response on the request's stream")
    }
}

/// A legacy (`initialize`) session on Streamable HTTP.
pub struct StreamableSession {
    pub http: Http,
    pub id: String,
    next_id: i64,
}

impl StreamableSession {
    pub async fn open(http: &Http) -> StreamableSession {
        let r = http
            .mcp_post(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                               "params": initialize_params()}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "initialize: {}",
            r.text().await.unwrap_or_default()
        );
        let id = r
            .headers()
            .get("mcp-session-id")
            .expect("a session id")
            .to_str()
            .unwrap()
            .to_string();
        let (_, init) = guarded("initialize", SseReader::new(r).until_response(0))
            .await
            .expect("initialize response");
        assert_eq!(init["result"]["protocolVersion"], LEGACY, "{init}");
        let s = StreamableSession {
            http: http.clone(),
            id,
            next_id: 1,
        };
        let r = s
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(r.status(), 202);
        s
    }

    pub async fn post(&self, body: &Value) -> reqwest::Response {
        self.http
            .mcp_post(body)
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", LEGACY)
            .send()
            .await
            .unwrap()
    }

    pub async fn request(
        &mut self,
        method: &str,
        params: Value,
        progress: Option<&str>,
    ) -> (Vec<Value>, Value) {
        let id = self.next_id;
        self.next_id += 1;
        let params = with_meta(params, None, progress);
        let r = self
            .post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        assert_eq!(
            r.status(),
            200,
            "{method}: {}",
            r.text().await.unwrap_or_default()
        );
        guarded(method, SseReader::new(r).until_response(id))
            .await
            .expect("a response on the request's stream")
    }
}

/// A legacy HTTP+SSE session (`GET /sse` + `POST /message`), initialized.
pub struct SseSession {
    pub http: Http,
    pub reader: SseReader,
    /// The path and query of the `endpoint` event.
    pub endpoint: String,
    next_id: i64,
}

impl SseSession {
    /// Opens the stream and reads the `endpoint` event, without initializing.
    pub async fn connect(http: &Http) -> SseSession {
        let r = http
            .request(reqwest::Method::GET, "/sse")
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "GET /sse: {}",
            r.text().await.unwrap_or_default()
        );
        let mut reader = SseReader::new(r);
        let first = guarded("endpoint event", reader.next_event())
            .await
            .expect("an endpoint event");
        assert_eq!(first.event, "endpoint");
        assert!(
            first.data.starts_with("/message?sessionId="),
            "{}",
            first.data
        );
        SseSession {
            http: http.clone(),
            reader,
            endpoint: first.data,
            next_id: 1,
        }
    }

    pub async fn open(http: &Http) -> SseSession {
        let mut s = SseSession::connect(http).await;
        let r = post_message(
            &s.http,
            &s.endpoint,
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                    "params": initialize_params()}),
        )
        .await;
        assert_eq!(r.status(), 202);
        let (_, init) = guarded("initialize", s.reader.until_response(0))
            .await
            .expect("initialize response");
        assert_eq!(init["result"]["protocolVersion"], LEGACY, "{init}");
        let r = post_message(
            &s.http,
            &s.endpoint,
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        )
        .await;
        assert_eq!(r.status(), 202);
        s
    }

    pub async fn post(&self, body: &Value) -> reqwest::Response {
        post_message(&self.http, &self.endpoint, body).await
    }

    /// Posts a request (202) and reads the stream up to its response.
    pub async fn request(
        &mut self,
        method: &str,
        params: Value,
        progress: Option<&str>,
    ) -> (Vec<Value>, Value) {
        let id = self.send(method, params, progress).await;
        guarded(method, self.reader.until_response(id))
            .await
            .expect("a response on the SSE stream")
    }

    /// Posts a request without waiting for its response; returns its id.
    pub async fn send(&mut self, method: &str, params: Value, progress: Option<&str>) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let params = with_meta(params, None, progress);
        let r = post_message(
            &self.http,
            &self.endpoint,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        assert_eq!(
            r.status(),
            202,
            "{method}: {}",
            r.text().await.unwrap_or_default()
        );
        id
    }
}

/// POSTs one message to a legacy SSE session's endpoint.
pub async fn post_message(http: &Http, endpoint: &str, body: &Value) -> reqwest::Response {
    http.request(reqwest::Method::POST, endpoint)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// The `structuredContent` of a successful tools/call response (panics on errors).
pub fn tool_ok(response: &Value) -> &Value {
    let result = response
        .get("result")
        .unwrap_or_else(|| panic!("not a result: {response}"));
    assert_eq!(result["isError"], false, "tool error: {result}");
    &result["structuredContent"]
}

/// The progress notifications for `token` among `messages`.
pub fn progress_for<'a>(messages: &'a [Value], token: &str) -> Vec<&'a Value> {
    messages
        .iter()
        .filter(|m| {
            m["method"] == "notifications/progress" && m["params"]["progressToken"] == token
        })
        .collect()
}

/// A running binary (`serve --http …`, `sandbox`): its base URL (the first stdout line) and its
/// stderr, drained in the background so that logging can never block it.
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub url: String,
    pub stdout: tokio::io::BufReader<tokio::process::ChildStdout>,
    pub stderr: JoinHandle<String>,
}

impl ServerProcess {
    pub async fn spawn(mut c: tokio::process::Command) -> ServerProcess {
        use std::process::Stdio;
        use tokio::io::{AsyncBufReadExt, AsyncReadExt};
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s).await;
            s
        });
        let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        guarded("the URL line", stdout.read_line(&mut line))
            .await
            .unwrap();
        let url = line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "first stdout line: {url:?}"
        );
        ServerProcess {
            child,
            url,
            stdout,
            stderr,
        }
    }
}
