//! Shared set-up for the benches and the load driver: a sandbox on a loopback port, clients with
//! raised or real rate limits, an MCP session to the real server (in-process pipe, a child
//! process's stdio, or Streamable HTTP), the sandbox's request counters and percentiles.
//!
//! Everything goes through public, stable surfaces (the MCP wire protocol, `Directory::snapshot`,
//! `Snapshot::search`), so the benches keep compiling while tool signatures evolve.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use personio_mcp::app::{App, Settings};
use personio_mcp::domain::directory::DirectoryConfig;
use personio_mcp::mcp::PersonioServer;
use personio_mcp::personio::config::LimitsConfig;
use personio_mcp::personio::{ClientConfig, Employee, PersonioClient};
use personio_mcp::sandbox::{SandboxConfig, SandboxHandle};
use rmcp::ServiceExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, oneshot};

/// The route a directory page is counted under in the sandbox's stats.
pub const EMPLOYEES_ROUTE: &str = "GET /v1/company/employees";

/// reqwest is built without a default TLS provider; install one before any raw client exists.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A sandbox of `employees` people; `real_limits` enforces Personio's rate limits.
pub async fn sandbox(employees: usize, real_limits: bool) -> SandboxHandle {
    SandboxHandle::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SandboxConfig {
            employees,
            relaxed_limits: !real_limits,
            ..SandboxConfig::default()
        },
    )
    .await
    .expect("sandbox starts")
}

/// Client settings for the full sandbox credential. `real_limits: false` raises the client-side
/// token buckets so that load benches measure the server, not Personio's quota.
pub fn client_config(base_url: &str, real_limits: bool) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        base_url,
        "sandbox-client",
        SecretString::from("sandbox-secret"),
    );
    if !real_limits {
        cfg.limits = LimitsConfig::relaxed();
    }
    cfg
}

pub fn client(base_url: &str, real_limits: bool) -> PersonioClient {
    PersonioClient::new(client_config(base_url, real_limits)).expect("client builds")
}

/// A read-only app on `client` with the default directory freshness (5 min / 1 h). Absence
/// listings are not kept (the library's default): every read asks Personio.
pub fn app(client: PersonioClient) -> App {
    App::new(client, Settings::default()).with_directory_config(DirectoryConfig::default())
}

/// [`app`] as `serve` runs it: absence listings kept for the command line's default life.
pub fn served_app(client: PersonioClient) -> App {
    let settings = Settings {
        absence_cache: std::time::Duration::from_secs(
            personio_mcp::domain::absence_cache::DEFAULT_LIFE_SECS,
        ),
        ..Settings::default()
    };
    App::new(client, settings).with_directory_config(DirectoryConfig::default())
}

/// A raw HTTP client for the sandbox's admin routes.
pub fn http() -> reqwest::Client {
    install_tls();
    reqwest::Client::new()
}

/// `GET /__sandbox/stats`.
pub async fn stats(http: &reqwest::Client, base: &str) -> Value {
    http.get(format!("{base}/__sandbox/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats json")
}

/// `DELETE /__sandbox/stats`.
pub async fn reset_stats(http: &reqwest::Client, base: &str) {
    http.delete(format!("{base}/__sandbox/stats"))
        .send()
        .await
        .expect("reset stats");
}

/// `PUT /__sandbox/faults` (`Value::Null` clears them).
pub async fn set_faults(http: &reqwest::Client, base: &str, faults: Value) {
    let r = if faults.is_null() {
        http.delete(format!("{base}/__sandbox/faults")).send().await
    } else {
        http.put(format!("{base}/__sandbox/faults"))
            .json(&faults)
            .send()
            .await
    };
    assert!(r.expect("faults").status().is_success());
}

/// Requests per route (`"GET /v1/company/employees" → n`) and in total, from a stats document.
pub fn by_route(stats: &Value) -> (u64, Vec<(String, u64)>) {
    let total = stats["total"].as_u64().unwrap_or(0);
    let routes = stats["by_route"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v["total"].as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    (total, routes)
}

/// Responses with status 429 in a stats document.
pub fn count_429(stats: &Value) -> u64 {
    stats["by_status"]["429"].as_u64().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Queries drawn from the data, so they work for every company size.

/// One benchmark query: what kind it is and the text.
#[derive(Debug, Clone)]
pub struct NamedQuery {
    pub kind: &'static str,
    pub text: String,
}

fn typo_of(word: &str) -> String {
    // Swap two inner letters (one Damerau edit), or replace the last one for short words.
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() >= 5 {
        chars.swap(2, 3);
    } else if let Some(last) = chars.last_mut() {
        *last = if *last == 'x' { 'y' } else { 'x' };
    }
    chars.into_iter().collect()
}

/// Exact name, surname, prefix, typo, email and department-word queries for one employee who has
/// all of these (the first such in id order after `skip`).
pub fn queries_for<'a>(
    people: impl Iterator<Item = &'a Arc<Employee>>,
    skip: usize,
) -> Vec<NamedQuery> {
    let person = people
        .filter(|e| {
            e.first_name.value().is_some()
                && e.last_name
                    .value()
                    .is_some_and(|l| l.chars().count() >= 6 && !l.contains(' '))
                && e.email.value().is_some()
                && e.department.value().is_some()
        })
        .nth(skip)
        .expect("an employee with name, email and department");
    let first = person.first_name.value().cloned().unwrap_or_default();
    let last = person.last_name.value().cloned().unwrap_or_default();
    let dept = person
        .department
        .value()
        .map(|d| d.name.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_default();
    vec![
        NamedQuery {
            kind: "exact name",
            text: format!("{first} {last}"),
        },
        NamedQuery {
            kind: "surname",
            text: last.clone(),
        },
        NamedQuery {
            kind: "prefix",
            text: last.chars().take(3).collect(),
        },
        NamedQuery {
            kind: "typo",
            text: typo_of(&last),
        },
        NamedQuery {
            kind: "email",
            text: person.email.value().cloned().unwrap_or_default(),
        },
        NamedQuery {
            kind: "department word",
            text: dept,
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Percentiles.

/// Summary of a set of durations, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub n: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

pub fn percentiles(samples: &mut [Duration]) -> Percentiles {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        samples[i].as_secs_f64() * 1e6
    };
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64 * 1e6;
    Percentiles {
        n: samples.len(),
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: at(1.0),
        mean,
    }
}

/// `12.3 µs` / `4.56 ms` / `1.23 s`.
pub fn fmt_us(us: f64) -> String {
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

// ---------------------------------------------------------------------------------------------
// An MCP client over a line-delimited JSON-RPC byte stream (in-process pipe or child stdio).

type Pending = Arc<std::sync::Mutex<HashMap<i64, oneshot::Sender<Value>>>>;

/// A legacy-era (`initialize`) MCP session that may have many requests in flight.
pub struct McpSession {
    writer: Mutex<Box<dyn AsyncWrite + Send + Unpin>>,
    pending: Pending,
    next_id: AtomicI64,
    reader: tokio::task::JoinHandle<()>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl McpSession {
    /// The real server ([`PersonioServer`]) on an in-memory pipe, initialized.
    pub async fn in_process(app: App) -> McpSession {
        let (client_end, server_end) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_end);
        let server = PersonioServer::new(app);
        let serving = tokio::spawn(async move {
            if let Ok(running) = server.serve((server_read, server_write)).await {
                let _ = running.waiting().await;
            }
        });
        let (read, write) = tokio::io::split(client_end);
        let mut s = McpSession::over(read, write);
        s.server = Some(serving);
        s.initialize().await;
        s
    }

    /// A session over any byte stream (call [`McpSession::initialize`] next).
    pub fn over(
        read: impl AsyncRead + Send + Unpin + 'static,
        write: impl AsyncWrite + Send + Unpin + 'static,
    ) -> McpSession {
        let pending: Pending = Arc::default();
        let p = pending.clone();
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let Some(id) = v.get("id").and_then(Value::as_i64) else {
                    continue; // a notification
                };
                if v.get("method").is_some() {
                    continue; // a server→client request: not used by these tools
                }
                let tx = p.lock().map(|mut m| m.remove(&id)).ok().flatten();
                if let Some(tx) = tx {
                    let _ = tx.send(v);
                }
            }
        });
        McpSession {
            writer: Mutex::new(Box::new(write)),
            pending,
            next_id: AtomicI64::new(1),
            reader,
            server: None,
        }
    }

    /// `initialize` + `notifications/initialized`; returns the `initialize` response.
    pub async fn initialize(&self) -> Value {
        let r = self
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "personio-mcp-bench", "version": "0"}}),
            )
            .await;
        assert!(r.get("result").is_some(), "initialize failed: {r}");
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        r
    }

    async fn send(&self, msg: &Value) {
        let mut line = msg.to_string();
        line.push('\n');
        let mut w = self.writer.lock().await;
        w.write_all(line.as_bytes()).await.expect("write to server");
        w.flush().await.expect("flush");
    }

    /// One JSON-RPC request; the whole response object (`result` or `error`).
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("pending").insert(id, tx);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        rx.await.expect("the server answered")
    }

    /// `tools/call`; the `result` (which may carry `isError: true`).
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Value {
        let r = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await;
        match r.get("result") {
            Some(result) => result.clone(),
            None => panic!("{name}: JSON-RPC error {r}"),
        }
    }

    /// Like [`McpSession::call_tool`], but fails on `isError` too.
    pub async fn call_ok(&self, name: &str, arguments: Value) -> Value {
        let r = self.call_tool(name, arguments.clone()).await;
        assert!(
            r.get("isError").and_then(Value::as_bool) != Some(true),
            "{name}({arguments}) failed: {r}"
        );
        r
    }
}

impl Drop for McpSession {
    fn drop(&mut self) {
        self.reader.abort();
        if let Some(s) = &self.server {
            s.abort();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// An MCP client over Streamable HTTP (legacy sessions: initialize → Mcp-Session-Id).

/// One Streamable HTTP session.
pub struct HttpSession {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
    next_id: i64,
}

/// The JSON-RPC message with `id` in a response body: plain JSON or an SSE stream.
fn message_from_body(content_type: &str, body: &str, id: i64) -> Option<Value> {
    if content_type.starts_with("application/json") {
        return serde_json::from_str(body).ok();
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v.get("id").and_then(Value::as_i64) == Some(id))
}

impl HttpSession {
    /// `initialize` and `notifications/initialized` against `url` (e.g. `http://127.0.0.1:8000/mcp`).
    pub async fn connect(http: reqwest::Client, url: &str) -> Result<HttpSession, String> {
        let mut s = HttpSession {
            http,
            url: url.to_string(),
            session: None,
            next_id: 1,
        };
        let r = s
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "personio-mcp-load", "version": "0"}}),
            )
            .await?;
        if r.get("result").is_none() {
            return Err(format!("initialize failed: {r}"));
        }
        s.notify("notifications/initialized").await?;
        Ok(s)
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .post(&self.url)
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .json(body);
        if let Some(id) = &self.session {
            rb = rb
                .header("Mcp-Session-Id", id)
                .header("MCP-Protocol-Version", "2025-11-25");
        }
        rb
    }

    async fn notify(&self, method: &str) -> Result<(), String> {
        let r = self
            .post(&json!({"jsonrpc": "2.0", "method": method}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("{method}: HTTP {}", r.status()));
        }
        Ok(())
    }

    /// One request; the JSON-RPC response object.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let r = self
            .post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        if let Some(sid) = r
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            self.session = Some(sid.to_string());
        }
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = r.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{method}: HTTP {status}: {body}"));
        }
        message_from_body(&ct, &body, id).ok_or_else(|| format!("{method}: no response in {body}"))
    }

    /// `tools/call`; Ok(result) unless the transport or JSON-RPC failed or the tool said isError.
    pub async fn call_ok(&mut self, name: &str, arguments: Value) -> Result<Value, String> {
        let r = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await?;
        match r.get("result") {
            Some(res) if res.get("isError").and_then(Value::as_bool) != Some(true) => {
                Ok(res.clone())
            }
            _ => Err(format!("{name}: {r}")),
        }
    }

    /// Ends the session (`DELETE`).
    pub async fn close(self) {
        if let Some(id) = &self.session {
            let _ = self
                .http
                .delete(&self.url)
                .header("Mcp-Session-Id", id)
                .send()
                .await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The machine, for the record.

/// `nproc`, total memory and CPU model.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(String::new(), |kb| {
            format!("{:.1} GiB", kb / 1024.0 / 1024.0)
        });
    format!("{cpus} CPUs ({model}), {mem} RAM")
}

/// `VmRSS` / `VmHWM` of a process, in KiB.
pub fn rss_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
