//! Issue 19: what several replicas on one Redis cost and give. Prints the tables BENCHMARKS.md
//! records ("Running several replicas").
//!
//! ```text
//! cargo bench --bench replicas            (release build)
//! cargo bench --profile dev --bench replicas   (quicker to build; slower binary)
//! ```
//! - reads: `search_employee` from 16 concurrent clients for 5 s, warm directories, against 1 and
//!   against 3 replicas (round-robin) of `serve --http --state redis://…`;
//! - writes: 60 sequential `create_time_off` calls (confirmation skipped, an idempotency key each)
//!   on one replica with the embedded store (`--state-dir`) and with Redis (`--state`), and the
//!   bare store operations a write makes, timed against the same Redis.
//!
//! The sandbox runs relaxed (no Personio limits) and the replicas with
//! `PERSONIO_MCP_UPSTREAM_LIMITS=relaxed`, so that the figures are the server's, not Personio's
//! quota. Needs `redis-server` on PATH (scripts/setup-redis.sh).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use personio_mcp::policy::state::{IdempotencyRecord, RedisStore, StateStore};
use secrecy::SecretString;
use serde_json::{Value, json};
use support::{fmt_us, percentiles};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");
const WHO: &str = "jurgen.muller@nordlicht.example";

struct Redis(std::process::Child, u16);

impl Redis {
    fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (scripts/setup-redis.sh)");
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis(child, port)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.1)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Replica {
    _child: Child,
    url: String,
    _stdout: BufReader<tokio::process::ChildStdout>,
}

async fn replica(sandbox: &str, state: &[(&str, String)]) -> Replica {
    let mut c = Command::new(BIN);
    c.args(["serve", "--http", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .env("PERSONIO_BASE_URL", sandbox)
        .env("PERSONIO_CLIENT_ID", "sandbox-client")
        .env("PERSONIO_CLIENT_SECRET", "sandbox-secret")
        .env("PERSONIO_MCP_ENABLE_WRITES", "true")
        .env("PERSONIO_MCP_SKIP_CONFIRMATION", "true")
        .env("PERSONIO_MCP_UPSTREAM_LIMITS", "relaxed")
        .env("PERSONIO_MCP_REPLICAS", "3")
        // The server's own per-caller limit would measure itself.
        .env("PERSONIO_MCP_RATE_LIMIT_ANONYMOUS", "100000000")
        .env("PERSONIO_MCP_RATE_LIMIT_ANONYMOUS_BURST", "1000000")
        .kill_on_drop(true)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in state {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).await.unwrap();
    Replica {
        _child: child,
        url: line.trim().to_string(),
        _stdout: stdout,
    }
}

/// One stateless tools/call; the result (panics on transport errors).
async fn call(http: &reqwest::Client, url: &str, tool: &str, args: Value) -> Value {
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"}
    });
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": tool, "arguments": args, "_meta": meta}});
    let text = http
        .post(format!("{url}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|d| d.contains("\"result\""))
        .unwrap_or(text.as_str());
    let v: Value = serde_json::from_str(data).unwrap_or_else(|_| panic!("{text}"));
    match v.get("result") {
        Some(r) => r.clone(),
        None => panic!("{tool}: {text}"),
    }
}

async fn reads(sandbox: &str, redis: &Redis, replicas: usize) {
    let state = [("PERSONIO_MCP_STATE_URL", redis.url())];
    let mut rs = Vec::new();
    for _ in 0..replicas {
        rs.push(replica(sandbox, &state).await);
    }
    let urls: Vec<String> = rs.iter().map(|r| r.url.clone()).collect();
    let http = reqwest::Client::new();
    for u in &urls {
        // Warm every directory first.
        call(&http, u, "search_employee", json!({"query": "müller"})).await;
    }
    let until = Instant::now() + Duration::from_secs(5);
    let workers: Vec<_> = (0..16)
        .map(|w| {
            let (urls, http) = (urls.clone(), http.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut i = w;
                while Instant::now() < until {
                    let t = Instant::now();
                    let r = call(
                        &http,
                        &urls[i % urls.len()],
                        "search_employee",
                        json!({"query": "müller"}),
                    )
                    .await;
                    assert_eq!(r["isError"], false, "{r}");
                    lat.push(t.elapsed());
                    i += 1;
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let n = all.len();
    let p = percentiles(&mut all);
    println!(
        "| {replicas} | 16 | {n} | {:.0} calls/s | {} | {} |",
        n as f64 / 5.0,
        fmt_us(p.p50),
        fmt_us(p.p99)
    );
}

fn weekdays(from: chrono::NaiveDate, n: usize) -> Vec<String> {
    use chrono::Datelike;
    let mut d = from;
    let mut out = Vec::new();
    while out.len() < n {
        if d.weekday().number_from_monday() <= 5 {
            out.push(d.to_string());
        }
        d = d.succ_opt().unwrap();
    }
    out
}

async fn writes(sandbox: &str, label: &str, state: &[(&str, String)], from: chrono::NaiveDate) {
    let r = replica(sandbox, state).await;
    let http = reqwest::Client::new();
    call(&http, &r.url, "search_employee", json!({"query": "müller"})).await;
    let mut lat = Vec::new();
    for (i, date) in weekdays(from, 60).iter().enumerate() {
        let args = json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": date,
                          "idempotency_key": format!("{label}-{i}")});
        let t = Instant::now();
        let res = call(&http, &r.url, "create_time_off", args).await;
        assert_eq!(res["isError"], false, "{res}");
        lat.push(t.elapsed());
    }
    let p = percentiles(&mut lat);
    println!(
        "| {label} | {} | {} | {} |",
        p.n,
        fmt_us(p.p50),
        fmt_us(p.p99)
    );
}

async fn store_ops(redis: &Redis) {
    let store = RedisStore::connect(&SecretString::from(redis.url()), None).unwrap();
    store.ping().await.unwrap();
    let ttl = Duration::from_secs(600);
    let mut claim = Vec::new();
    let mut put = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        store.claim_once(&format!("bench-{i}"), ttl).await.unwrap();
        claim.push(t.elapsed());
        let rec = IdempotencyRecord {
            digest: "d".into(),
            result: json!({"absence_id": i}),
        };
        let t = Instant::now();
        store
            .put_idempotent(&format!("bench-{i}"), rec, ttl)
            .await
            .unwrap();
        put.push(t.elapsed());
    }
    for (name, mut v) in [
        ("claim_once (SET NX PX)", claim),
        ("put_idempotent (Lua)", put),
    ] {
        let p = percentiles(&mut v);
        println!(
            "| {name} | {} | {} | {} |",
            p.n,
            fmt_us(p.p50),
            fmt_us(p.p99)
        );
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        support::install_tls();
        let sb = support::sandbox(1000, false).await;
        let base = sb.base_url().to_string();
        let redis = Redis::start();
        println!("\n### Reads: search_employee, warm, round-robin\n");
        println!("| replicas | clients | calls | throughput | p50 | p99 |");
        println!("|---|---|---|---|---|---|");
        reads(&base, &redis, 1).await;
        reads(&base, &redis, 3).await;

        println!("\n### Writes: create_time_off, one replica, sequential\n");
        println!("| store | writes | p50 | p99 |");
        println!("|---|---|---|---|");
        let dir = tempfile::tempdir().unwrap();
        let from = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 6).unwrap();
        writes(
            &base,
            "embedded",
            &[("PERSONIO_MCP_STATE_DIR", dir.path().display().to_string())],
            from(2031),
        )
        .await;
        writes(
            &base,
            "redis",
            &[("PERSONIO_MCP_STATE_URL", redis.url())],
            from(2032),
        )
        .await;

        println!("\n### Store operations against the same Redis (loopback)\n");
        println!("| operation | n | p50 | p99 |");
        println!("|---|---|---|---|");
        store_ops(&redis).await;
    });
}
