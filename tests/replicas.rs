//! Issue 19: several replicas, one truth in Redis. A real `redis-server` (tests/redis_support), the
//! in-process sandbox with Personio's real rate limits, and THREE replicas of the built binary
//! (`serve --http 127.0.0.1:0 --state redis://…`), called round-robin by a client over loopback
//! HTTP with 2026-07-28 stateless requests (any replica may answer any call).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;
mod http_support;
mod redis_support;

use std::collections::BTreeMap;

use std::time::Duration;

use common::*;
use http_support::{Http, MODERN, SseReader, StreamableSession, modern_meta};
use personio_mcp::sandbox::{SandboxConfig, SandboxHandle};
use redis_support::RedisServer;
use serde_json::{Value, json};
use tokio::io::BufReader;
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");
/// Employee #0 of every seeded company (docs/sandbox.md).
const WHO: &str = "jurgen.muller@nordlicht.example";
/// The same sealing key on every replica, so a token issued by one verifies on another.
const SIGNING_KEY: &str = "replicas-test-signing-key-0123456789abcdef";

/// One replica: its base URL (first stdout line) and its stderr, drained in the background.
struct Replica {
    child: Child,
    url: String,
    _stdout: BufReader<tokio::process::ChildStdout>,
    stderr: tokio::task::JoinHandle<String>,
}

impl Replica {
    async fn spawn(sandbox: &str, redis: &str, skip_confirmation: bool) -> Replica {
        Self::spawn_with(sandbox, redis, skip_confirmation, &[]).await
    }

    async fn spawn_with(
        sandbox: &str,
        redis: &str,
        skip_confirmation: bool,
        env: &[(&str, &str)],
    ) -> Replica {
        let mut c = Command::new(BIN);
        // The token path: what these tests replay across replicas (the page is one more channel
        // over the same shared store).
        // v1 ids (integers) are what the assertions below read back from the sandbox.
        c.args([
            "serve", "--http", "127.0.0.1:0", "--confirm-via", "token", "--personio-api", "v1",
        ])
        .env("RUST_LOG", "info")
        .kill_on_drop(true);
        for (k, _) in std::env::vars() {
            if k.starts_with("PERSONIO_") {
                c.env_remove(k);
            }
        }
        c.env("PERSONIO_BASE_URL", sandbox)
            .env("PERSONIO_CLIENT_ID", "sandbox-client")
            .env("PERSONIO_CLIENT_SECRET", "sandbox-secret")
            .env("PERSONIO_MCP_ENABLE_WRITES", "true")
            .env("PERSONIO_MCP_STATE_URL", redis)
            .env("PERSONIO_MCP_REPLICAS", "3")
            .env("PERSONIO_MCP_SIGNING_KEY", SIGNING_KEY);
        if skip_confirmation {
            c.env("PERSONIO_MCP_SKIP_CONFIRMATION", "true");
        }
        c.envs(env.iter().copied());
        let p = http_support::ServerProcess::spawn(c).await;
        Replica {
            child: p.child,
            url: p.url,
            _stdout: p.stdout,
            stderr: p.stderr,
        }
    }

    /// SIGKILL: a crash, no graceful shutdown.
    async fn kill(&mut self) {
        self.child.kill().await.unwrap();
    }

    async fn readyz(&self) -> Value {
        http()
            .get(format!("{}/readyz", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

struct Cluster {
    sandbox: SandboxHandle,
    redis: RedisServer,
    replicas: Vec<Replica>,
}

impl Cluster {
    async fn start(employees: usize, skip_confirmation: bool) -> Cluster {
        let sandbox = sandbox_with(SandboxConfig {
            employees,
            ..SandboxConfig::default()
        })
        .await;
        let redis = RedisServer::start();
        let mut replicas = Vec::new();
        for _ in 0..3 {
            replicas
                .push(Replica::spawn(&sandbox.base_url(), &redis.url(), skip_confirmation).await);
        }
        Cluster {
            sandbox,
            redis,
            replicas,
        }
    }

    fn url(&self, i: usize) -> &str {
        &self.replicas[i % self.replicas.len()].url
    }

    async fn stderr(self) -> String {
        let mut all = String::new();
        for mut r in self.replicas {
            let _ = r.child.kill().await;
            all.push_str(&r.stderr.await.unwrap_or_default());
        }
        all
    }
}

/// One tools/call as a 2026-07-28 stateless request: `Ok(result)` (which may be an `isError`
/// result) or `Err` when no answer came (replica down, timeout).
async fn call(url: &str, tool: &str, args: Value, timeout: Duration) -> Result<Value, String> {
    let http = Http::new(url, None);
    let params = json!({"name": tool, "arguments": args, "_meta": modern_meta()});
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    let exchange = async {
        let r = http
            .mcp_post(&body)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool)
            .send()
            .await
            .map_err(|e| format!("send: {e}"))?;
        if r.status() != 200 {
            return Err(format!("HTTP {}", r.status()));
        }
        let (_, msg) = SseReader::new(r)
            .until_response(1)
            .await
            .ok_or("no response on the stream")?;
        msg.get("result")
            .cloned()
            .ok_or_else(|| format!("not a result: {msg}"))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

fn is_error(result: &Value) -> bool {
    result["isError"].as_bool().unwrap_or(false)
}

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn vacation(date: &str) -> Value {
    json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": date})
}

async fn day_count(sb: &SandboxHandle) -> u64 {
    stored_time_offs(sb).await["day_count"].as_u64().unwrap()
}

/// Stored day absences (their ids) by (employee id, start date).
async fn stored_by_person_and_date(sb: &SandboxHandle) -> BTreeMap<(i64, String), Vec<String>> {
    let mut out: BTreeMap<(i64, String), Vec<String>> = BTreeMap::new();
    for a in stored_time_offs(sb).await["day"].as_array().unwrap() {
        let key = (
            a["employee_id"].as_i64().unwrap(),
            a["start_date"].as_str().unwrap().to_string(),
        );
        out.entry(key)
            .or_default()
            .push(a["id"].to_string().trim_matches('"').to_string());
    }
    out
}

const LONG: Duration = Duration::from_secs(120);

/// Preview on one replica, then confirm with the token (and `key`) on another.
async fn preview(url: &str, date: &str) -> String {
    let p = call(url, "create_time_off", vacation(date), LONG)
        .await
        .unwrap();
    assert!(!is_error(&p), "{p}");
    assert_eq!(
        p["structuredContent"]["status"], "confirmation_required",
        "{p}"
    );
    p["structuredContent"]["confirmation_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn confirmed(date: &str, token: &str, key: Option<&str>) -> Value {
    let mut a = vacation(date);
    a["confirmation_token"] = json!(token);
    if let Some(k) = key {
        a["idempotency_key"] = json!(k);
    }
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_tokens_redis_outages_and_crashes_across_three_replicas() {
    let mut cl = Cluster::start(50, false).await;
    let sb_client = client(&cl.sandbox, "sandbox-client");

    // 1. The same idempotency key on replica 1 then 2: one absence, and replica 2 answers with
    //    replica 1's stored result (without shared keys it would say "already existed").
    let before = day_count(&cl.sandbox).await;
    let token = preview(cl.url(0), "2031-06-02").await;
    let args = confirmed("2031-06-02", &token, Some("key-1"));
    let first = call(cl.url(0), "create_time_off", args.clone(), LONG)
        .await
        .unwrap();
    assert!(!is_error(&first), "{first}");
    assert_eq!(first["structuredContent"]["created"], true, "{first}");
    let second = call(cl.url(1), "create_time_off", args, LONG)
        .await
        .unwrap();
    assert_eq!(
        second["structuredContent"], first["structuredContent"],
        "replica 2 replays replica 1's result"
    );
    assert_eq!(day_count(&cl.sandbox).await, before + 1, "one absence");

    // 2. A token used on replica 1 and replayed on replica 2 is refused, even after the absence
    //    it booked was deleted (so that no duplicate check can hide a second use).
    let token = preview(cl.url(1), "2031-06-03").await;
    let done = call(
        cl.url(0),
        "create_time_off",
        confirmed("2031-06-03", &token, None),
        LONG,
    )
    .await
    .unwrap();
    assert_eq!(done["structuredContent"]["created"], true, "{done}");
    let id: i64 = done["structuredContent"]["absence"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    sb_client.delete_time_off(id).await.unwrap();
    let count = day_count(&cl.sandbox).await;
    let replay = call(
        cl.url(1),
        "create_time_off",
        confirmed("2031-06-03", &token, None),
        LONG,
    )
    .await
    .unwrap();
    assert!(
        is_error(&replay),
        "a used token must be refused on another replica: {replay}"
    );
    assert!(text(&replay).contains("confirmation token"), "{replay}");
    assert_eq!(day_count(&cl.sandbox).await, count, "nothing written");

    // 3. Redis killed mid-run: reads go on, writes refuse cleanly (UPSTREAM_UNAVAILABLE), nothing
    //    is written, and /readyz says why (still 200: reads are served).
    let token = preview(cl.url(2), "2031-06-04").await;
    cl.redis.kill();
    for i in 0..3 {
        let r = call(
            cl.url(i),
            "search_employee",
            json!({"query": "müller"}),
            LONG,
        )
        .await
        .unwrap();
        assert!(
            !is_error(&r),
            "reads go on without Redis (replica {i}): {r}"
        );
    }
    let count = day_count(&cl.sandbox).await;
    let refused = call(
        cl.url(2),
        "create_time_off",
        confirmed("2031-06-04", &token, Some("key-4")),
        LONG,
    )
    .await
    .unwrap();
    assert!(is_error(&refused), "{refused}");
    assert!(
        text(&refused).starts_with("UPSTREAM_UNAVAILABLE"),
        "{refused}"
    );
    assert_eq!(
        day_count(&cl.sandbox).await,
        count,
        "nothing written while Redis is down"
    );
    let mut degraded = Value::Null;
    for _ in 0..50 {
        degraded = cl.replicas[0].readyz().await;
        if degraded["status"] == "degraded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(degraded["status"], "degraded", "{degraded}");
    assert!(
        degraded["reason"]
            .as_str()
            .unwrap()
            .contains("writes are refused"),
        "{degraded}"
    );

    // 4. Redis back: every replica notices (its /readyz says "ready" again) and writes resume
    //    (the same request, the same key).
    cl.redis.restart();
    for r in &cl.replicas {
        let mut status = Value::Null;
        for _ in 0..100 {
            status = r.readyz().await["status"].clone();
            if status == "ready" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            status, "ready",
            "a replica did not notice that Redis is back"
        );
    }
    let mut resumed = Value::Null;
    for _ in 0..50 {
        resumed = call(
            cl.url(2),
            "create_time_off",
            confirmed("2031-06-04", &token, Some("key-4")),
            LONG,
        )
        .await
        .unwrap();
        if !is_error(&resumed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(resumed["structuredContent"]["created"], true, "{resumed}");
    assert_eq!(day_count(&cl.sandbox).await, count + 1);

    // 5. One replica killed mid-write: the write reached Personio, the replica dies before it
    //    answers; the retry (same key) on another replica finds the write and books nothing.
    let token = preview(cl.url(0), "2031-06-05").await;
    set_faults(
        &cl.sandbox,
        json!({"delay_every": 1, "delay_ms": 3000, "after_commit": true,
               "method": "POST", "path_prefix": "/v1/company/time-offs"}),
    )
    .await;
    let count = day_count(&cl.sandbox).await;
    let args = confirmed("2031-06-05", &token, Some("key-5"));
    let url0 = cl.url(0).to_string();
    let in_flight = tokio::spawn({
        let args = args.clone();
        async move { call(&url0, "create_time_off", args, LONG).await }
    });
    // Wait until the POST reached the sandbox (it is held there after committing).
    for _ in 0..100 {
        if day_count(&cl.sandbox).await == count + 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        day_count(&cl.sandbox).await,
        count + 1,
        "the write reached Personio"
    );
    cl.replicas[0].kill().await;
    assert!(
        in_flight.await.unwrap().is_err(),
        "the killed replica never answered"
    );
    clear_faults(&cl.sandbox).await;
    let retry = call(cl.url(1), "create_time_off", args, LONG)
        .await
        .unwrap();
    if is_error(&retry) {
        let logs = cl.stderr().await;
        panic!("{retry}\n{logs}");
    }
    assert_eq!(
        retry["structuredContent"]["already_existed"], true,
        "{retry}"
    );
    assert_eq!(day_count(&cl.sandbox).await, count + 1, "no duplicate");

    // 6. A legacy session lives in the replica that opened it: on another replica it gets a
    //    404 that says why (routing) and what to do, rather than a bare "not found".
    let mut session = StreamableSession::open(&Http::new(cl.url(1), None)).await;
    let (_, listed) = session.request("tools/list", json!({}), None).await;
    assert!(listed["result"]["tools"].is_array(), "{listed}");
    session.http = Http::new(cl.url(2), None);
    let r = session
        .post(&json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {}}))
        .await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "session_not_found", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("another replica") && message.contains("Mcp-Session-Id"),
        "{message}"
    );

    let logs = cl.stderr().await;
    assert!(!logs.contains("sandbox-secret"), "a secret in the logs");
}

/// Up to `attempts` tries, each on the next replica, with the same idempotency key.
async fn create_with_retries(
    urls: &[String],
    first: usize,
    person: i64,
    date: &str,
    key: &str,
    (attempts, timeout): (usize, Duration),
) -> Result<Value, Vec<String>> {
    let mut errors = Vec::new();
    for attempt in 0..attempts {
        let url = &urls[(first + attempt) % urls.len()];
        let mut a = vacation(date);
        a["employee"] = json!(person.to_string());
        a["idempotency_key"] = json!(key);
        match call(url, "create_time_off", a, timeout).await {
            Ok(r) if !is_error(&r) => return Ok(r),
            Ok(r) => errors.push(text(&r)),
            Err(e) => errors.push(e),
        }
    }
    Err(errors)
}

/// Weekdays from 2031-01-13 on (no public holiday in that stretch).
fn weekdays(n: usize) -> Vec<String> {
    let mut d = chrono::NaiveDate::from_ymd_opt(2031, 1, 13).unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        use chrono::Datelike;
        if d.weekday().number_from_monday() <= 5 {
            out.push(d.to_string());
        }
        d = d.succ_opt().unwrap();
    }
    out
}

/// How many concurrent creates: the 200, over 40 people (five writes per person,
/// serialised by the write lease). `REPLICAS_CREATES=50` runs a smaller variant (10 people, 4 s
/// tries: shorter than the injected 5 s delay, so first tries give up while their write is stored).
fn creates_and_people() -> (usize, usize) {
    match std::env::var("REPLICAS_CREATES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) if (50..=1000).contains(&n) => (n, n / 5),
        _ => (200, 40),
    }
}

/// Tries per create, each waiting up to this long (a retry may queue behind the person's write
/// lease while Personio delays the first write by 5 s). 4 s is shorter than that delay, so some
/// first tries give up while their write is being stored — the case under test. With 200 creates
/// Personio's real limit (2,000/min) queues ~700 requests for ~20 s, so that run gives each try
/// longer and allows more of them: 40 tries of 8 s.
fn attempts(creates: usize) -> (usize, Duration) {
    if creates > 50 {
        (40, Duration::from_secs(8))
    } else {
        (12, Duration::from_secs(4))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_faults_across_replicas_are_neither_duplicated_nor_lost() {
    let (creates, people_count) = creates_and_people();
    let cl = Cluster::start(if people_count > 5 { 250 } else { 50 }, true).await;
    let people: Vec<i64> = {
        let r = call(
            cl.url(0),
            "search_employee",
            json!({"query": "a", "status": "active", "limit": people_count}),
            LONG,
        )
        .await
        .unwrap();
        let found = r["structuredContent"]["employees"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(found.len(), people_count, "{r}");
        found.iter().map(|e| e["id"].as_i64().unwrap()).collect()
    };
    let before = stored_by_person_and_date(&cl.sandbox).await;
    // After-commit 500s (the write is stored, the answer says it failed) and after-commit delays
    // longer than the client's 4 s timeout (the client gives up and retries elsewhere while the
    // first replica still holds the person's lease).
    set_faults(
        &cl.sandbox,
        json!({"server_error_every": 3, "delay_every": 7, "delay_ms": 5000, "after_commit": true,
               "method": "POST", "path_prefix": "/v1/company/time-offs"}),
    )
    .await;
    let urls: Vec<String> = (0..3).map(|i| cl.url(i).to_string()).collect();
    let tries = attempts(creates);
    let dates = weekdays(creates / people_count);
    let jobs: Vec<(i64, String)> = (0..creates)
        .map(|i| (people[i % people_count], dates[i / people_count].clone()))
        .collect();
    let tasks: Vec<_> = jobs
        .iter()
        .enumerate()
        .map(|(i, (person, date))| {
            let (urls, person, date) = (urls.clone(), *person, date.clone());
            tokio::spawn(async move {
                create_with_retries(&urls, i, person, &date, &format!("bulk-{i}"), tries).await
            })
        })
        .collect();
    let mut reported = BTreeMap::new();
    for (t, job) in tasks.into_iter().zip(&jobs) {
        match t.await.unwrap() {
            Ok(r) => {
                let id = r["structuredContent"]["absence"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                reported.insert(job.clone(), id);
            }
            Err(errors) => panic!("lost: the create {job:?} never succeeded: {errors:?}"),
        }
    }
    clear_faults(&cl.sandbox).await;
    let after = stored_by_person_and_date(&cl.sandbox).await;
    for job in &jobs {
        assert!(!before.contains_key(job), "{job:?} was free before");
        let stored = after.get(job).cloned().unwrap_or_default();
        assert_eq!(
            stored.len(),
            1,
            "exactly one absence for {job:?}: {stored:?}"
        );
        assert_eq!(
            stored[0], reported[job],
            "the answer names the stored absence ({job:?})"
        );
    }
    let stats = stats(&cl.sandbox).await;
    assert!(
        stats["by_status"]["500"].as_u64().unwrap_or(0) > 0,
        "faults were injected: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_cold_replicas_share_personios_rate_budget() {
    // 1,500 employees: 15 pages of the employee listing per cold replica, 45 together — three
    // times the burst Personio allows (15), which three unshared buckets would send at once.
    let cl = Cluster::start(1500, false).await;
    reset_stats(&cl.sandbox).await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let url = cl.url(i).to_string();
        tasks.push(tokio::spawn(async move {
            call(&url, "search_employee", json!({"query": "müller"}), LONG).await
        }));
    }
    for t in tasks {
        let r = t.await.unwrap().unwrap();
        assert!(!is_error(&r), "{r}");
    }
    let stats = stats(&cl.sandbox).await;
    assert!(
        stats["by_route"]["GET /v1/company/employees"]["total"]
            .as_u64()
            .unwrap_or(0)
            >= 45,
        "every replica loaded its directory: {stats}"
    );
    assert_eq!(
        stats["by_status"]["429"].as_u64().unwrap_or(0),
        0,
        "Personio never throttled the replicas: {stats}"
    );
    for r in &cl.replicas {
        assert_eq!(r.readyz().await["status"], "ready");
    }
}

/// Issue 19, pub/sub: a Personio webhook reaches ONE replica; the change it names reaches the
/// other replica's directory through Redis, with no listing request (with webhooks on, the
/// periodic refresh is hours apart, so nothing else would update it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_on_one_replica_updates_the_others_directory() {
    const SECRET: &str = "replicas-webhook-secret-0123456789";
    let sandbox = sandbox_with(SandboxConfig {
        employees: 40,
        ..SandboxConfig::default()
    })
    .await;
    let redis = RedisServer::start();
    let env = [("PERSONIO_WEBHOOK_SECRET", SECRET)];
    let base = sandbox.base_url();
    let a = Replica::spawn_with(&base, &redis.url(), true, &env).await;
    let b = Replica::spawn_with(&base, &redis.url(), true, &env).await;
    let someone = client(&sandbox, "sandbox-client")
        .all_employees(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.status.value().is_some_and(|s| s.as_str() == "active"))
        .unwrap();
    // Both directories warm (a cold one has nothing to update).
    for r in [&a, &b] {
        let found = call(
            &r.url,
            "search_employee",
            json!({"query": someone.full_name()}),
            LONG,
        )
        .await
        .unwrap();
        assert!(!is_error(&found), "{found}");
    }
    let registered = http()
        .post(format!("{base}/__sandbox/webhooks"))
        .json(
            &json!({"url": format!("{}/webhooks/personio", a.url), "secret": SECRET,
                      "enabled_events": ["person.updated", "employment.updated"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    reset_stats(&sandbox).await;
    let patched = http()
        .post(format!("{base}/__sandbox/employees/{}", someone.id))
        .json(&json!({"first_name": "Pubsubbed"}))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success());

    http_support::guarded("replica B to see the change replica A was told of", async {
        loop {
            let r = call(
                &b.url,
                "search_employee",
                json!({"query": "Pubsubbed"}),
                LONG,
            )
            .await;
            if let Ok(r) = r
                && r["structuredContent"]["employees"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["id"] == someone.id))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let counts = stats(&sandbox).await;
    assert_eq!(
        counts["by_route"]["GET /v1/company/employees"]["total"]
            .as_u64()
            .unwrap_or(0),
        0,
        "no replica listed the directory again: {counts}"
    );
    assert!(
        counts["by_route"]["GET /v1/company/employees/{employee_id}"]["total"]
            .as_u64()
            .unwrap_or(0)
            >= 2,
        "each replica read the one person: {counts}"
    );
}

/// Issue 16: each replica keeps absence listings for a few seconds (here far longer than the test
/// runs). A write through replica A reaches replica B's kept listing through Redis: B drops it and
/// lists the new absence at its next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_replica_drops_the_others_kept_listing() {
    let sandbox = sandbox_with(SandboxConfig {
        employees: 40,
        ..SandboxConfig::default()
    })
    .await;
    let redis = RedisServer::start();
    let env = [("PERSONIO_MCP_ABSENCE_CACHE_SECS", "300")];
    let base = sandbox.base_url();
    let a = Replica::spawn_with(&base, &redis.url(), true, &env).await;
    let b = Replica::spawn_with(&base, &redis.url(), true, &env).await;
    let window = json!({"employee": WHO, "from": "2031-01-01", "to": "2031-12-31", "limit": 200});
    let total = |r: &Value| r["structuredContent"]["total"].as_u64().unwrap();
    let before = call(&b.url, "list_absences", window.clone(), LONG)
        .await
        .unwrap();
    assert!(!is_error(&before), "{before}");
    reset_stats(&sandbox).await;
    let kept = call(&b.url, "list_absences", window.clone(), LONG)
        .await
        .unwrap();
    assert_eq!(total(&kept), total(&before));
    assert_eq!(
        stats(&sandbox).await["by_route"]["GET /v1/company/time-offs"]["total"]
            .as_u64()
            .unwrap_or(0),
        0,
        "B's second listing was kept"
    );
    let made = call(&a.url, "create_time_off", vacation("2031-06-03"), LONG)
        .await
        .unwrap();
    assert!(!is_error(&made), "{made}");
    http_support::guarded("replica B to drop its kept listing", async {
        loop {
            let r = call(&b.url, "list_absences", window.clone(), LONG).await;
            if let Ok(r) = r
                && !is_error(&r)
                && total(&r) == total(&before) + 1
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}
