//! Load driver for issue 6: latency percentiles, upstream request counts, the rate-limit burst,
//! stdio cold start and memory, and HTTP throughput. Prints the figures BENCHMARKS.md records.
//!
//! ```text
//! cargo bench --bench load -- SCENARIO...
//!   search    search p50/p99 at 1k/10k/100k, cold load time, index build time and heap
//!   overhead  per-tool server overhead: MCP tools/call (in-process) minus the bare client calls,
//!             interleaved (paired differences) and in blocks (wall time and CPU time per call);
//!             OVERHEAD_ONLY=tool,tool measures only those tools (each in a fresh process)
//!   upstream  upstream requests per tool call, cold and warm (sandbox stats)
//!   cold      a cold directory of N employees costs ⌈N/100⌉ listing requests (250, 2,000, 10,000)
//!   burst     1,000 concurrent tool calls at Personio's real limits: count of 429s
//!   stdio     `serve` cold start (spawn → initialize reply) and idle / loaded RSS
//!   http      `serve --http` throughput and p99 with 1, 10 and 100 concurrent sessions
//!   soak      10,000 mixed calls over 100 HTTP sessions, twice (errors, RSS drift)
//!   sdk       issue 16: the official Python SDK over stdio, 2,000 employees, real limits,
//!             2 × 30 back-to-back calls per function: pooled p50, upstream requests, 429s, RSS,
//!             and the SDK floor (our answers, and a near-empty one, from a no-op stub:
//!             benches/floor_stub.py)
//!   first     issue 16: first-call latency on a cold server at 1k / 10k employees, real limits
//!   topk      issue 16: full ranking vs top-10 selection per query kind on 100k employees
//!   all       every scenario above, in that order
//! ```
//! Without a scenario it prints this list and exits, so a plain `cargo bench` stays short.
//!
//! Heap figures come from a counting global allocator in this binary (live bytes and allocation
//! calls). Counting is switched off while search latencies are sampled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use futures::StreamExt;
use personio_mcp::domain::search::SearchKey;
use personio_mcp::personio::{AbsenceQuery, PersonioClient};
use serde_json::{Value, json};
use support::{McpSession, fmt_us, percentiles};

// ---------------------------------------------------------------------------------------------
// Counting allocator.

struct Counting;

/// Counting is switched off while latencies are sampled, so they don't pay for it.
static COUNTING: AtomicBool = AtomicBool::new(true);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

fn count(delta: isize, calls: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE.fetch_add(delta, Ordering::Relaxed);
        ALLOCS.fetch_add(calls, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize, 1);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize), 0);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize, 1);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize, 1);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn allocs() -> usize {
    ALLOCS.load(Ordering::Relaxed)
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
}

fn self_rss_kib() -> u64 {
    support::rss_kib("self", "VmRSS:")
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let scenarios: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if scenarios.is_empty() {
        eprintln!(
            "load driver: pass scenarios after --, e.g. `cargo bench --bench load -- search upstream`\n\
             scenarios: search overhead upstream cold burst stdio http soak sdk first topk all"
        );
        return;
    }
    support::install_tls();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("machine: {}", support::machine());
    let all = [
        "search", "overhead", "upstream", "cold", "burst", "stdio", "http", "soak", "sdk", "first",
        "topk",
    ];
    let wanted: Vec<&str> = if scenarios.iter().any(|s| s == "all") {
        all.to_vec()
    } else {
        scenarios.iter().map(String::as_str).collect()
    };
    for s in wanted {
        println!("\n## {s}");
        let started = Instant::now();
        match s {
            "search" => rt.block_on(search()),
            // On a worker thread, where rmcp runs every request: driven from `block_on` (this
            // thread, not a worker), each I/O wake-up of a bare call crosses threads, which
            // charges bare calls with more round trips extra CPU the tool calls do not pay
            // (BENCHMARKS.md, issue 12, session 7).
            "overhead" => rt.block_on(async { tokio::spawn(overhead()).await.unwrap() }),
            "upstream" => rt.block_on(upstream()),
            "cold" => rt.block_on(cold()),
            "burst" => rt.block_on(burst()),
            "stdio" => rt.block_on(stdio()),
            "http" => rt.block_on(http_load()),
            "soak" => rt.block_on(soak()),
            "sdk" => rt.block_on(sdk()),
            "first" => rt.block_on(first_call()),
            "topk" => rt.block_on(topk()),
            other => panic!("unknown scenario {other}"),
        }
        println!("({s} took {:.1} s)", started.elapsed().as_secs_f64());
    }
}

// ---------------------------------------------------------------------------------------------
// search: p50/p99 per query kind, cold load, index build time and memory.

async fn search() {
    for n in [1_000usize, 10_000, 100_000] {
        let sandbox = support::sandbox(n, false).await;
        let app = support::app(support::client(&sandbox.base_url(), false));
        // Prime the token and attribute caches so the timed load is the listing + index.
        app.records().client().authenticate().await.unwrap();

        let (heap0, allocs0, rss0) = (live(), allocs(), self_rss_kib());
        let t = Instant::now();
        let snapshot = app.records().snapshot(None).await.unwrap();
        let load = t.elapsed();
        let (heap1, allocs1, rss1) = (live(), allocs(), self_rss_kib());
        assert_eq!(snapshot.len(), n);

        // The index part alone: one SearchKey per employee, built again from the loaded records.
        let (h0, a0) = (live(), allocs());
        let t = Instant::now();
        let keys: Vec<SearchKey> = snapshot.all().map(|e| SearchKey::new(e)).collect();
        let build = t.elapsed();
        let (h1, a1) = (live(), allocs());
        drop(keys);

        println!(
            "### {n} employees\n\
             cold directory load (HTTP listing + parse + index, {} pages): {:.1} ms; \
             live heap +{} ({:.0} B/employee), {} allocation calls, VmRSS +{}\n\
             index build (SearchKey for every employee): {:.1} ms ({:.2} µs/employee); \
             heap {} ({:.0} B/employee), {} allocation calls",
            n.div_ceil(100),
            load.as_secs_f64() * 1e3,
            mib((heap1 - heap0) as f64),
            (heap1 - heap0) as f64 / n as f64,
            allocs1 - allocs0,
            mib(rss1.saturating_sub(rss0) as f64 * 1024.0),
            build.as_secs_f64() * 1e3,
            build.as_secs_f64() * 1e6 / n as f64,
            mib((h1 - h0) as f64),
            (h1 - h0) as f64 / n as f64,
            a1 - a0,
        );

        println!("| query | text | hits | calls | p50 | p99 | max | allocations/call |");
        println!("|---|---|---|---|---|---|---|---|");
        for q in support::queries_for(snapshot.all(), n / 2) {
            let hits = snapshot.search(&q.text, |_| true).len();
            // About 2 s per query, at least 30 and at most 2,000 calls.
            let t = Instant::now();
            std::hint::black_box(snapshot.search(&q.text, |_| true).len());
            let one = t.elapsed().max(Duration::from_micros(1));
            let calls =
                (Duration::from_secs(2).as_nanos() / one.as_nanos()).clamp(30, 2_000) as usize;
            let mut samples = Vec::with_capacity(calls);
            COUNTING.store(false, Ordering::Relaxed);
            for _ in 0..calls {
                let t = Instant::now();
                std::hint::black_box(
                    snapshot
                        .search(std::hint::black_box(&q.text), |_| true)
                        .len(),
                );
                samples.push(t.elapsed());
            }
            COUNTING.store(true, Ordering::Relaxed);
            let a0 = allocs();
            std::hint::black_box(snapshot.search(&q.text, |_| true).len());
            let per_call = allocs() - a0;
            let p = percentiles(&mut samples);
            println!(
                "| {} | `{}` | {hits} | {calls} | {} | {} | {} | {per_call} |",
                q.kind,
                q.text,
                fmt_us(p.p50),
                fmt_us(p.p99),
                fmt_us(p.max)
            );
        }
        drop(snapshot);
        drop(app);
        sandbox.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------------
// overhead: MCP tools/call through the real server minus the bare client calls it makes.

const OVERHEAD_ITERS: usize = 400;
/// Calls per block and rounds of the block measurement (see `block_overhead`).
const BLOCK: usize = 200;
const BLOCK_ROUNDS: usize = 5;

/// CPU time of every thread of this process so far (Linux: the first field of each thread's
/// `schedstat`, nanoseconds on the CPU), or 0 where there is no `/proc`. A thread that ends
/// between two readings takes its time with it; the runtime's threads live for the whole bench
/// (blocking-pool threads idle out after 10 s, longer than a block).
fn process_cpu_secs() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    nanos as f64 / 1e9
}

/// The upstream calls a tool makes, made with the bare client.
enum Bare {
    /// Warm search: nothing upstream.
    Nothing,
    /// `GET /v1/company/employees/{id}/absences/balance` (+ cached time-off types).
    Balances,
    /// `GET /v1/company/time-offs` and `GET /v1/company/absence-periods` for one person, this month.
    Absences,
    /// Cached time-off types (no request while warm).
    TimeOffTypes,
}

impl Bare {
    async fn run(&self, client: &PersonioClient, id: i64, from: NaiveDate, to: NaiveDate) {
        match self {
            Bare::Nothing => {}
            Bare::Balances => {
                client.balances(id).await.unwrap();
            }
            Bare::Absences => {
                let q = AbsenceQuery {
                    start_date: Some(from),
                    end_date: Some(to),
                    employees: vec![id],
                    ..AbsenceQuery::default()
                };
                client.all_absences(&q).await.unwrap();
            }
            Bare::TimeOffTypes => {
                client.time_off_types().await.unwrap();
            }
        }
    }
}

async fn overhead() {
    let sandbox = support::sandbox(1_000, false).await;
    let app = support::app(support::client(&sandbox.base_url(), false));
    let mcp = McpSession::in_process(app.clone()).await;
    let snapshot = app.records().snapshot(None).await.unwrap();
    let qs = support::queries_for(snapshot.all(), 500);
    let person = snapshot
        .search(&qs[0].text, |_| true)
        .first()
        .map(|(_, e)| (*e).clone())
        .unwrap();
    let id = person.id;
    let surname = qs[1].text.clone();
    let today = chrono::Local::now().date_naive();
    let month_start = today.with_day0(0).unwrap();
    let month_end = month_start
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    // Warm every cache the tools use (directory, token, attributes, time-off types).
    mcp.call_ok("search_employee", json!({"query": surname}))
        .await;
    mcp.call_ok("list_time_off_types", json!({})).await;
    mcp.call_ok("get_pto_balance", json!({"employee": id.to_string()}))
        .await;

    println!(
        "1,000-employee sandbox, relaxed limits, in-process MCP session (JSON-RPC over a pipe), \
         {OVERHEAD_ITERS} calls per row, tool and bare call interleaved.\n"
    );
    println!(
        "| tool | tool call p50 | p99 | bare upstream p50 | p99 | overhead p50 (tool p50 − upstream p50) | median of paired differences | block overhead (mean, median of {BLOCK_ROUNDS} rounds) | CPU overhead (block) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");

    let client = app.records().client().clone();
    let cases = [
        (
            "search_employee (warm)",
            json!({"query": surname}),
            Bare::Nothing,
        ),
        (
            "get_pto_balance",
            json!({"employee": id.to_string()}),
            Bare::Balances,
        ),
        (
            "list_absences",
            json!({"employee": id.to_string()}),
            Bare::Absences,
        ),
        ("list_time_off_types", json!({}), Bare::TimeOffTypes),
    ];
    for (label, args, bare) in cases {
        let tool = label.split(' ').next().unwrap();
        if std::env::var("OVERHEAD_ONLY")
            .is_ok_and(|o| !o.is_empty() && !o.split(',').any(|x| x == tool))
        {
            continue;
        }
        let mut tool_t = Vec::with_capacity(OVERHEAD_ITERS);
        let mut bare_t = Vec::with_capacity(OVERHEAD_ITERS);
        let mut diffs = Vec::with_capacity(OVERHEAD_ITERS);
        for _ in 0..OVERHEAD_ITERS {
            let t = Instant::now();
            mcp.call_ok(tool, args.clone()).await;
            let tt = t.elapsed();
            let t = Instant::now();
            bare.run(&client, id, month_start, month_end).await;
            let bt = t.elapsed();
            tool_t.push(tt);
            bare_t.push(bt);
            diffs.push(tt.as_secs_f64() - bt.as_secs_f64());
        }
        diffs.sort_by(f64::total_cmp);
        // Blocks: BLOCK tool calls, then BLOCK bare calls, BLOCK_ROUNDS times. The sandbox runs
        // in this process, so work a call leaves behind (the sandbox finishing its response, a
        // connection going back to the pool) lands on whichever call runs next: interleaved, a
        // tool call's leftovers are charged to the bare call after it, or the other way round,
        // and the paired difference moves with where the work falls, not with how much there
        // is. A block's mean charges every call its own leftovers.
        // The CPU time of the whole process (every thread: server, client, sandbox) per call,
        // block against block, is the work a tool adds, whatever the scheduling.
        let mut rounds = Vec::with_capacity(BLOCK_ROUNDS);
        let mut cpu_rounds = Vec::with_capacity(BLOCK_ROUNDS);
        for _ in 0..BLOCK_ROUNDS {
            let (t, c) = (Instant::now(), process_cpu_secs());
            for _ in 0..BLOCK {
                mcp.call_ok(tool, args.clone()).await;
            }
            let tool_mean = t.elapsed().as_secs_f64() / BLOCK as f64;
            let tool_cpu = (process_cpu_secs() - c) / BLOCK as f64;
            let (t, c) = (Instant::now(), process_cpu_secs());
            for _ in 0..BLOCK {
                bare.run(&client, id, month_start, month_end).await;
            }
            rounds.push(tool_mean - t.elapsed().as_secs_f64() / BLOCK as f64);
            cpu_rounds.push(tool_cpu - (process_cpu_secs() - c) / BLOCK as f64);
        }
        rounds.sort_by(f64::total_cmp);
        cpu_rounds.sort_by(f64::total_cmp);
        let tp = percentiles(&mut tool_t);
        let bp = percentiles(&mut bare_t);
        println!(
            "| {label} | {} | {} | {} | {} | **{}** | {} | {} | {} |",
            fmt_us(tp.p50),
            fmt_us(tp.p99),
            fmt_us(bp.p50),
            fmt_us(bp.p99),
            fmt_us(tp.p50 - bp.p50),
            fmt_us(diffs[diffs.len() / 2] * 1e6),
            fmt_us(rounds[rounds.len() / 2] * 1e6),
            fmt_us(cpu_rounds[cpu_rounds.len() / 2] * 1e6),
        );
    }
    drop(mcp);
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// upstream: requests per tool call, cold (fresh client and directory) and warm.

async fn upstream() {
    let sandbox = support::sandbox(250, false).await;
    let base = sandbox.base_url();
    let http = support::http();
    let probe = support::app(support::client(&base, false));
    let snapshot = probe.records().snapshot(None).await.unwrap();
    let qs = support::queries_for(snapshot.all(), 100);
    let person = snapshot
        .search(&qs[0].text, |_| true)
        .first()
        .map(|(_, e)| (*e).clone())
        .unwrap();
    let dept = person.department.value().unwrap().name.clone();
    let email = person.email.value().unwrap().clone();
    let id = person.id.to_string();
    drop(snapshot);
    drop(probe);

    let cases: Vec<(&str, &str, Value)> = vec![
        ("search_employee", "name", json!({"query": qs[1].text})),
        ("search_employee", "email", json!({"query": email})),
        ("get_employee", "id", json!({"employee": id})),
        ("get_pto_balance", "id", json!({"employee": id})),
        ("get_pto_balance", "name", json!({"employee": qs[0].text})),
        ("list_absences", "employee", json!({"employee": id})),
        ("list_absences", "department", json!({"department": dept})),
        ("list_absences", "everyone", json!({})),
        ("list_time_off_types", "", json!({})),
    ];
    println!(
        "250-employee sandbox; cold = fresh server process state (no token, no caches); warm = the same call again, absence listings kept as `serve` keeps them.\n"
    );
    println!(
        "| tool | argument | cold: requests | cold: by route | warm: requests | warm: by route |"
    );
    println!("|---|---|---|---|---|---|");
    for (tool, what, args) in cases {
        // As `serve` runs: a repeated listing of absences is kept (`--absence-cache-secs`).
        let app = support::served_app(support::client(&base, false));
        let mcp = McpSession::in_process(app).await;
        support::reset_stats(&http, &base).await;
        mcp.call_ok(tool, args.clone()).await;
        let cold = support::stats(&http, &base).await;
        support::reset_stats(&http, &base).await;
        mcp.call_ok(tool, args.clone()).await;
        let warm = support::stats(&http, &base).await;
        let fmt = |s: &Value| {
            let (total, routes) = support::by_route(s);
            let detail = routes
                .iter()
                .map(|(r, n)| format!("{r} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            (
                total,
                if detail.is_empty() {
                    "—".into()
                } else {
                    detail
                },
            )
        };
        let (ct, cd) = fmt(&cold);
        let (wt, wd) = fmt(&warm);
        println!("| {tool} | {what} | {ct} | {cd} | **{wt}** | {wd} |");
    }
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// cold: ⌈N/100⌉ listing requests for a cold directory of N.

async fn cold() {
    let http = support::http();
    println!(
        "| employees | ⌈N/100⌉ | `GET /v1/company/employees` | all requests of the cold search | time |"
    );
    println!("|---|---|---|---|---|");
    for n in [250usize, 2_000, 10_000] {
        let sandbox = support::sandbox(n, false).await;
        let base = sandbox.base_url();
        let app = support::app(support::client(&base, false));
        let mcp = McpSession::in_process(app).await;
        support::reset_stats(&http, &base).await;
        let t = Instant::now();
        mcp.call_ok("search_employee", json!({"query": "müller"}))
            .await;
        let took = t.elapsed();
        let stats = support::stats(&http, &base).await;
        let (total, routes) = support::by_route(&stats);
        let listing = routes
            .iter()
            .find(|(r, _)| r == support::EMPLOYEES_ROUTE)
            .map_or(0, |(_, n)| *n);
        let others = routes
            .iter()
            .filter(|(r, _)| r != support::EMPLOYEES_ROUTE)
            .map(|(r, n)| format!("{r} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "| {n} | {} | **{listing}** | {total} (+ {others}) | {:.0} ms |",
            n.div_ceil(100),
            took.as_secs_f64() * 1e3
        );
        drop(mcp);
        sandbox.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------------
// burst: 1,000 concurrent tool calls, sandbox and client at Personio's real limits.

async fn burst() {
    let sandbox = support::sandbox(250, true).await;
    let base = sandbox.base_url();
    let http = support::http();
    // Names and ids to ask for (read from the sandbox before the burst, then stats reset).
    let (names, ids) = {
        let probe = support::app(support::client(&base, false));
        let snapshot = probe.records().snapshot(None).await.unwrap();
        let names: Vec<String> = snapshot
            .all()
            .filter_map(|e| e.last_name.value().cloned())
            .take(50)
            .collect();
        let ids: Vec<i64> = snapshot.all().map(|e| e.id).take(100).collect();
        (names, ids)
    };
    // Let the sandbox's buckets refill after the probe's load.
    tokio::time::sleep(Duration::from_secs(5)).await;

    for (label, mix) in [
        ("1,000 × search_employee on a cold server", false),
        (
            "1,000 mixed calls on a cold server (700 search_employee, 100 get_employee, 100 get_pto_balance, 50 list_absences, 50 list_time_off_types)",
            true,
        ),
    ] {
        let app = support::app(support::client(&base, true)); // default limiter
        // Ten client sessions, a hundred calls each, all sent at once.
        let mut sessions = Vec::new();
        for _ in 0..10 {
            sessions.push(Arc::new(McpSession::in_process(app.clone()).await));
        }
        support::reset_stats(&http, &base).await;
        let t = Instant::now();
        let calls = (0..1000usize).map(|i| {
            let s = sessions[i % 10].clone();
            let (tool, args) = if !mix || i % 20 < 14 {
                ("search_employee", json!({"query": names[i % names.len()]}))
            } else {
                match i % 20 {
                    14 | 15 => (
                        "get_employee",
                        json!({"employee": ids[i % ids.len()].to_string()}),
                    ),
                    16 | 17 => (
                        "get_pto_balance",
                        json!({"employee": ids[i % ids.len()].to_string()}),
                    ),
                    18 => (
                        "list_absences",
                        json!({"employee": ids[i % ids.len()].to_string()}),
                    ),
                    _ => ("list_time_off_types", json!({})),
                }
            };
            async move {
                let t = Instant::now();
                let r = s.call_tool(tool, args).await;
                let ok = r.get("isError").and_then(Value::as_bool) != Some(true);
                (ok, t.elapsed(), r)
            }
        });
        let results = futures::future::join_all(calls).await;
        let wall = t.elapsed();
        let stats = support::stats(&http, &base).await;
        let failed: Vec<&Value> = results.iter().filter(|r| !r.0).map(|r| &r.2).collect();
        let mut lat: Vec<Duration> = results.iter().map(|r| r.1).collect();
        let p = percentiles(&mut lat);
        let (total, routes) = support::by_route(&stats);
        println!(
            "### {label}\n\
             429 responses from the sandbox: **{}**; failed tool calls: {}; wall time {:.1} s; \
             per-call latency p50 {} / p99 {}; upstream requests {total}: {}; statuses {}",
            support::count_429(&stats),
            failed.len(),
            wall.as_secs_f64(),
            fmt_us(p.p50),
            fmt_us(p.p99),
            routes
                .iter()
                .map(|(r, n)| format!("{r} ×{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            stats["by_status"]
        );
        if let Some(f) = failed.first() {
            println!("first failure: {f}");
        }
        drop(sessions);
        // Let the buckets refill before the next round.
        tokio::time::sleep(Duration::from_secs(20)).await;
    }
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// stdio: cold start and RSS of the real binary.

fn binary() -> String {
    std::env::var("PERSONIO_MCP_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_personio-mcp").to_string())
}

struct Child {
    child: tokio::process::Child,
    session: McpSession,
    pid: String,
}

/// Spawns `serve` (stdio) with `args`, initializes, returns the time to the initialize reply.
async fn spawn_serve(args: &[&str], env: &[(&str, String)]) -> (Child, Duration) {
    let mut cmd = tokio::process::Command::new(binary());
    cmd.arg("serve")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let t = Instant::now();
    let mut child = cmd.spawn().expect("spawn personio-mcp");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let session = McpSession::over(stdout, stdin);
    session.initialize().await;
    let took = t.elapsed();
    let pid = child.id().unwrap().to_string();
    (
        Child {
            child,
            session,
            pid,
        },
        took,
    )
}

async fn stop(c: Child) {
    let Child {
        mut child, session, ..
    } = c;
    drop(session); // closes stdin: the server ends the session
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    let _ = child.kill().await;
}

const STARTS: usize = 30;

/// Search words for the RSS load (common in the seeded company).
const NAMES: &[&str] = &["anna", "schmidt", "weiß", "jose", "lee"];

async fn stdio() {
    println!("binary: {}", binary());
    let upstream = support::sandbox(250, false).await;
    let env = vec![
        ("PERSONIO_BASE_URL", upstream.base_url()),
        ("PERSONIO_CLIENT_ID", "sandbox-client".to_string()),
        ("PERSONIO_CLIENT_SECRET", "sandbox-secret".to_string()),
    ];
    println!("| command | runs | spawn → initialize reply p50 | p90 | max |");
    println!("|---|---|---|---|---|");
    for (label, args, env) in [
        (
            "serve (PERSONIO_BASE_URL = a running sandbox)",
            vec![],
            env.clone(),
        ),
        (
            "serve --sandbox (embedded sandbox, 250 employees seeded first)",
            vec!["--sandbox"],
            vec![],
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..STARTS {
            let (c, took) = spawn_serve(&args, &env).await;
            samples.push(took);
            stop(c).await;
        }
        let p = percentiles(&mut samples);
        println!(
            "| `{label}` | {STARTS} | **{}** | {} | {} |",
            fmt_us(p.p50),
            fmt_us(p.p90),
            fmt_us(p.max)
        );
    }

    println!(
        "\n| process | idle RSS (after initialize) | after first search (directory loaded) | after 1,000 mixed calls | peak (VmHWM) |"
    );
    println!("|---|---|---|---|---|");
    let big = support::sandbox(10_000, false).await;
    let big_env = vec![
        ("PERSONIO_BASE_URL", big.base_url()),
        ("PERSONIO_CLIENT_ID", "sandbox-client".to_string()),
        ("PERSONIO_CLIENT_SECRET", "sandbox-secret".to_string()),
    ];
    for (label, args, env) in [
        (
            "serve --sandbox (250 employees, sandbox in the same process)",
            vec!["--sandbox"],
            vec![],
        ),
        (
            "serve → external sandbox, 250 employees",
            vec![],
            env.clone(),
        ),
        (
            "serve → external sandbox, 10,000 employees",
            vec![],
            big_env,
        ),
    ] {
        let (c, _) = spawn_serve(&args, &env).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle = support::rss_kib(&c.pid, "VmRSS:");
        let first = c
            .session
            .call_ok("search_employee", json!({"query": "müller"}))
            .await;
        let id = first["structuredContent"]["employees"][0]["id"]
            .as_i64()
            .unwrap_or(1);
        let after_load = support::rss_kib(&c.pid, "VmRSS:");
        // 1,000 calls, 20 in flight at a time, like a busy assistant session.
        let s = &c.session;
        let calls = futures::stream::iter(0..1000usize).map(|i| async move {
            let (tool, args) = match i % 10 {
                0..=5 => ("search_employee", json!({"query": NAMES[i % NAMES.len()]})),
                6 => ("get_pto_balance", json!({"employee": id.to_string()})),
                7 => ("list_absences", json!({"employee": id.to_string()})),
                8 => ("get_employee", json!({"employee": id.to_string()})),
                _ => ("list_time_off_types", json!({})),
            };
            s.call_tool(tool, args).await
        });
        let _results: Vec<Value> = calls.buffer_unordered(20).collect().await;
        let loaded = support::rss_kib(&c.pid, "VmRSS:");
        let peak = support::rss_kib(&c.pid, "VmHWM:");
        let m = |k: u64| format!("{:.1} MiB", k as f64 / 1024.0);
        println!(
            "| `{label}` | **{}** | {} | {} | {} |",
            m(idle),
            m(after_load),
            m(loaded),
            m(peak)
        );
        stop(c).await;
    }
    big.shutdown().await;
    upstream.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// http: throughput and latency with 1, 10 and 100 sessions on a warm cache.

const HTTP_SECONDS: u64 = 10;

async fn http_load() {
    let help = std::process::Command::new(binary())
        .args(["serve", "--help"])
        .output()
        .expect("run --help");
    if !String::from_utf8_lossy(&help.stdout).contains("--http") {
        println!("`serve --http` is not available in this build: HTTP figures pending.");
        return;
    }
    let upstream = support::sandbox(1_000, false).await;
    let (mut child, pid, url) = spawn_http_server(&upstream.base_url(), false);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_string();
    let keep_alive = reqwest::Client::builder()
        .pool_max_idle_per_host(1000)
        .build()
        .unwrap();
    // A connection per request: what a client without keep-alive sees (no delayed-ACK stalls).
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let http = keep_alive.clone();
    // Wait for the listener.
    let mut first = None;
    for _ in 0..100 {
        match support::HttpSession::connect(http.clone(), &url).await {
            Ok(s) => {
                first = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let Some(mut first) = first else {
        println!("`serve --http {addr}` did not accept MCP sessions: HTTP figures pending.");
        let _ = child.kill().await;
        return;
    };
    // Warm the directory.
    if let Err(e) = first
        .call_ok("search_employee", json!({"query": "müller"}))
        .await
    {
        println!("warm-up search failed: {e}: HTTP figures pending.");
        let _ = child.kill().await;
        return;
    }
    first.close().await;
    let idle = support::rss_kib(&pid, "VmRSS:");
    println!(
        "server: `serve --http {addr}` against a 1,000-employee sandbox (directory warm), \
         {HTTP_SECONDS} s per row, each session sends search_employee calls back to back; \
         driver and server share the machine. RSS after warm-up: {:.1} MiB\n",
        idle as f64 / 1024.0
    );
    println!(
        "| connections | sessions | calls | errors | throughput | p50 | p99 | max | server RSS after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let queries = [
        "anna", "schmidt", "weiß", "jose", "lee", "mueller", "sales", "berg",
    ];
    let rows = [1usize, 10, 100]
        .into_iter()
        .map(|n| ("keep-alive", keep_alive.clone(), n))
        .chain(
            [1usize, 10, 100]
                .into_iter()
                .map(|n| ("new per request", fresh.clone(), n)),
        );
    for (mode, http, sessions) in rows {
        let mut conns = Vec::new();
        for _ in 0..sessions {
            conns.push(
                support::HttpSession::connect(http.clone(), &url)
                    .await
                    .unwrap(),
            );
        }
        let deadline = Instant::now() + Duration::from_secs(HTTP_SECONDS);
        let t = Instant::now();
        let tasks = conns.into_iter().enumerate().map(|(k, mut s)| {
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0usize;
                let mut i = k;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match s
                        .call_ok(
                            "search_employee",
                            json!({"query": queries[i % queries.len()]}),
                        )
                        .await
                    {
                        Ok(_) => lat.push(t.elapsed()),
                        Err(_) => errors += 1,
                    }
                    i += 1;
                }
                s.close().await;
                (lat, errors)
            })
        });
        let mut lat = Vec::new();
        let mut errors = 0;
        for r in futures::future::join_all(tasks).await {
            let (l, e) = r.unwrap();
            lat.extend(l);
            errors += e;
        }
        let wall = t.elapsed().as_secs_f64();
        let calls = lat.len();
        let p = percentiles(&mut lat);
        println!(
            "| {mode} | {sessions} | {calls} | {errors} | **{:.0} calls/s** | {} | **{}** | {} | {:.1} MiB |",
            calls as f64 / wall,
            fmt_us(p.p50),
            fmt_us(p.p99),
            fmt_us(p.max),
            support::rss_kib(&pid, "VmRSS:") as f64 / 1024.0
        );
    }
    let _ = child.kill().await;
    upstream.shutdown().await;
}

/// Starts `serve --http` on a free loopback port against `upstream`; returns the child, its pid and
/// the `/mcp` URL. `relaxed_upstream` also lifts the server's client-side Personio limits.
fn spawn_http_server(
    upstream: &str,
    relaxed_upstream: bool,
) -> (tokio::process::Child, String, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut command = tokio::process::Command::new(binary());
    command
        .args(["serve", "--http", &addr])
        .env("PERSONIO_BASE_URL", upstream)
        .env("PERSONIO_CLIENT_ID", "sandbox-client")
        .env("PERSONIO_CLIENT_SECRET", "sandbox-secret")
        // The server's own per-client limiter would measure itself; lift it for throughput.
        .env("PERSONIO_MCP_RATE_LIMIT", "100000000")
        .env("PERSONIO_MCP_RATE_LIMIT_BURST", "1000000")
        .env("PERSONIO_MCP_MAX_SESSIONS", "10000")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if relaxed_upstream {
        command.env("PERSONIO_MCP_UPSTREAM_LIMITS", "relaxed");
    }
    let child = command.spawn().expect("spawn serve --http");
    let pid = child.id().unwrap().to_string();
    (child, pid, format!("http://{addr}/mcp"))
}

// ---------------------------------------------------------------------------------------------
// soak: 10,000 mixed tool calls over Streamable HTTP from 100 sessions; errors must be 0 and the
// server's RSS must stay flat (measured after a warm-up round, after the soak, and after a second
// soak round).

const SOAK_SESSIONS: usize = 100;
const SOAK_CALLS: usize = 10_000;

async fn soak_round(url: &str, http: &reqwest::Client, ids: &[i64]) -> (usize, usize, Duration) {
    let mut sessions = Vec::new();
    for _ in 0..SOAK_SESSIONS {
        sessions.push(
            support::HttpSession::connect(http.clone(), url)
                .await
                .unwrap(),
        );
    }
    let per_session = SOAK_CALLS / SOAK_SESSIONS;
    let started = Instant::now();
    let ids = std::sync::Arc::new(ids.to_vec());
    let tasks = sessions.into_iter().enumerate().map(|(k, mut s)| {
        let ids = ids.clone();
        tokio::spawn(async move {
            let mut ok = 0usize;
            let mut errors = 0usize;
            for i in 0..per_session {
                let n = k * per_session + i;
                let id = ids[n % ids.len()].to_string();
                let (tool, args) = match n % 5 {
                    0 => {
                        let q = ["anna", "müller", "weiss", "jose", "berg"][(n / 5) % 5];
                        ("search_employee", json!({"query": q}))
                    }
                    1 => ("get_pto_balance", json!({"employee": id})),
                    2 => ("list_absences", json!({"employee": id})),
                    3 => ("get_employee", json!({"employee": id})),
                    _ => ("list_time_off_types", json!({})),
                };
                match s.call_ok(tool, args).await {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("soak error: {tool}: {e}");
                        }
                    }
                }
            }
            s.close().await;
            (ok, errors)
        })
    });
    let mut ok = 0;
    let mut errors = 0;
    for r in futures::future::join_all(tasks).await {
        let (o, e) = r.unwrap();
        ok += o;
        errors += e;
    }
    (ok, errors, started.elapsed())
}

async fn soak() {
    let upstream = support::sandbox(1_000, false).await;
    let (mut child, pid, url) = spawn_http_server(&upstream.base_url(), true);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1000)
        .build()
        .unwrap();
    let mut first = None;
    for _ in 0..100 {
        if let Ok(s) = support::HttpSession::connect(http.clone(), &url).await {
            first = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut first = first.expect("serve --http accepts sessions");
    let found = first
        .call_ok(
            "search_employee",
            json!({"query": "", "department": "Engineering", "limit": 50}),
        )
        .await
        .unwrap();
    let ids: Vec<i64> = found["structuredContent"]["employees"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    first.close().await;
    // Warm-up round (caches, connection pools, allocator arenas), then measure.
    let (_, warm_errors, _) = soak_round(&url, &http, &ids).await;
    let before = support::rss_kib(&pid, "VmRSS:");
    let (ok1, err1, t1) = soak_round(&url, &http, &ids).await;
    let after1 = support::rss_kib(&pid, "VmRSS:");
    let (ok2, err2, t2) = soak_round(&url, &http, &ids).await;
    let after2 = support::rss_kib(&pid, "VmRSS:");
    println!(
        "server: `serve --http` against a 1,000-employee sandbox (relaxed limits), {SOAK_SESSIONS} sessions, \
{SOAK_CALLS} calls per round, tools in rotation: search_employee, get_pto_balance, list_absences, get_employee, list_time_off_types\n"
    );
    println!("| round | calls ok | errors | wall time | server RSS after |");
    println!("|---|---|---|---|---|");
    println!(
        "| warm-up | — | {warm_errors} | — | {:.1} MiB |",
        before as f64 / 1024.0
    );
    println!(
        "| soak 1 | {ok1} | **{err1}** | {:.1} s | {:.1} MiB |",
        t1.as_secs_f64(),
        after1 as f64 / 1024.0
    );
    println!(
        "| soak 2 | {ok2} | **{err2}** | {:.1} s | {:.1} MiB |",
        t2.as_secs_f64(),
        after2 as f64 / 1024.0
    );
    println!(
        "\nRSS drift over 20,000 calls: {:+.1} MiB",
        (after2 as f64 - before as f64) / 1024.0
    );
    let _ = child.kill().await;
    upstream.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// sdk: the official Python SDK over stdio against 2,000 employees with Personio's real limits.

const SDK_EMPLOYEES: usize = 2_000;

/// The project's pinned venv (scripts/setup-e2e.sh installs it when missing).
fn python() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let py = format!("{root}/.venv/bin/python");
    if !std::path::Path::new(&py).exists() {
        let ok = std::process::Command::new(format!("{root}/scripts/setup-e2e.sh"))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "scripts/setup-e2e.sh failed; the sdk scenario needs the pinned Python SDK"
        );
    }
    py
}

async fn sdk() {
    let sandbox = support::sandbox(SDK_EMPLOYEES, true).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/sdk_driver.py");
    let output = tokio::process::Command::new(python())
        .args([
            script,
            "--bin",
            &binary(),
            "--base-url",
            &sandbox.base_url(),
        ])
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("run the Python SDK driver");
    assert!(output.status.success(), "the SDK driver failed");
    let v: Value = serde_json::from_slice(&output.stdout).expect("driver JSON");
    let calls = v["calls"].as_u64().unwrap_or(0);
    let runs = v["runs"].as_u64().unwrap_or(0);
    println!(
        "binary: {}\nofficial Python SDK (mcp, pinned in tests/e2e/requirements.txt) over stdio, {SDK_EMPLOYEES}-employee sandbox \
         with Personio's real limits, {runs} runs × {calls} back-to-back calls per function, pooled.\n",
        binary()
    );
    let ms = |x: f64| fmt_us(x * 1e3);
    let kib = |k: &Value| {
        k.as_u64()
            .map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
    };
    println!(
        "spawn → initialize {}; first search on the cold server {} ({} requests: {}; 429s: {})",
        ms(v["startup_ms"].as_f64().unwrap_or(0.0)),
        ms(v["first_search"]["ms"].as_f64().unwrap_or(0.0)),
        routes_total(&v["first_search"]["requests"]),
        routes_text(&v["first_search"]["requests"], 1),
        v["first_search"]["status_429"]
    );
    println!(
        "RSS idle {} · after the run {} · peak {}\n",
        kib(&v["rss_idle_kib"]),
        kib(&v["rss_after_kib"]),
        kib(&v["rss_peak_kib"])
    );
    println!(
        "| function | p50 | p90 | max | raw JSON-RPC p50 (no SDK) | errors | 429s | upstream requests per call | by route (per call) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    if let Some(functions) = v["functions"].as_object() {
        for (label, f) in functions {
            let mut samples = durations(&f["ms"]);
            let n = samples.len().max(1) as u64;
            let p = percentiles(&mut samples);
            let errors = f["errors"].as_array().map_or(0, Vec::len);
            let raw = f["raw_p50_ms"]
                .as_f64()
                .map_or("–".to_string(), |ms| fmt_us(ms * 1e3));
            println!(
                "| {label} | **{}** | {} | {} | {raw} | {errors} | {} | {:.2} | {} |",
                fmt_us(p.p50),
                fmt_us(p.p90),
                fmt_us(p.max),
                f["status_429"],
                routes_total(&f["requests"]) as f64 / n as f64,
                routes_text(&f["requests"], n),
            );
            if let Some(first) = f["errors"].as_array().and_then(|a| a.first()) {
                println!("|  ↳ first error | {first} ||||||||");
            }
        }
    }
    print_floors(&v);
    sandbox.shutdown().await;
}

/// The second table: each function against the SDK's floor, from the driver's triples (our call,
/// the same answer from a no-op stub, a near-empty answer from it), taken one right after another
/// in rotating order.
fn print_floors(v: &Value) {
    if let Some(why) = v["floor_error"].as_str() {
        println!("\nThe floor could not be measured: {why}");
    }
    let Some(functions) = v["functions"].as_object() else {
        return;
    };
    println!(
        "\nAgainst the SDK's floor: per call, ours, the same call to benches/floor_stub.py answering at once with \
         our answer, and with a near-empty one (the issue's no-op floor); {} triples per function, one call right after \
         another, in rotating order.\n",
        v["calls"]
    );
    println!(
        "| function | ours p50 | floor p50 (same answer) | no-op floor p50 | ours above the floor (median of differences) | ours above the no-op floor | our errors |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (label, f) in functions {
        let mut ours = durations(&f["paired_ms"]);
        if ours.is_empty() {
            continue;
        }
        let (floor, above) = floor_and_above(&f["paired_ms"], &f["floor_ms"]);
        let (noop, above_noop) = floor_and_above(&f["paired_ms"], &f["noop_ms"]);
        println!(
            "| {label} | {} | {floor} | {noop} | **{above}** | {above_noop} | {} |",
            fmt_us(percentiles(&mut ours).p50),
            f["paired_errors"]
        );
    }
}

/// The floor's p50 and the median of the pairs' differences (our call minus the stub's, signed:
/// a pair can see the stub slower), as table cells; dashes without pairs.
fn floor_and_above(ours: &Value, floor: &Value) -> (String, String) {
    let (ours, mut floor) = (durations(ours), durations(floor));
    if ours.is_empty() || ours.len() != floor.len() {
        return ("–".into(), "–".into());
    }
    let mut diffs: Vec<f64> = ours
        .iter()
        .zip(&floor)
        .map(|(o, f)| (o.as_secs_f64() - f.as_secs_f64()) * 1e6)
        .collect();
    diffs.sort_by(f64::total_cmp);
    let median = diffs[diffs.len() / 2];
    let above = if median >= 0.0 {
        fmt_us(median)
    } else {
        format!("−{}", fmt_us(-median))
    };
    (fmt_us(percentiles(&mut floor).p50), above)
}

/// A driver's list of milliseconds as durations (empty when absent).
fn durations(ms: &Value) -> Vec<Duration> {
    ms.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_f64)
                .map(|m| Duration::from_secs_f64(m / 1e3))
                .collect()
        })
        .unwrap_or_default()
}

fn routes_total(routes: &Value) -> u64 {
    routes
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

fn routes_text(routes: &Value, per: u64) -> String {
    let mut parts: Vec<String> = routes
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let n = v.as_u64().unwrap_or(0) as f64 / per.max(1) as f64;
                    format!(
                        "{k} ×{}",
                        if per == 1 {
                            format!("{n:.0}")
                        } else {
                            format!("{n:.2}")
                        }
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    parts.sort();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(", ")
    }
}

// ---------------------------------------------------------------------------------------------
// first: the first call on a cold server, at 1k and 10k employees with Personio's real limits.

async fn first_call() {
    let http = support::http();
    println!(
        "binary: {}\nEach row: a fresh `serve` process (stdio), its first tool call, real limits.\n",
        binary()
    );
    println!("| employees | first call | latency | upstream requests | 429s |");
    println!("|---|---|---|---|---|");
    for n in [1_000usize, 10_000] {
        let sandbox = support::sandbox(n, true).await;
        let base = sandbox.base_url();
        let env = vec![
            ("PERSONIO_BASE_URL", base.clone()),
            ("PERSONIO_CLIENT_ID", "sandbox-client".to_string()),
            ("PERSONIO_CLIENT_SECRET", "sandbox-secret".to_string()),
        ];
        // Someone to look for, read with a separate (relaxed) client so it costs the server nothing.
        let probe = support::client(&base, false);
        let someone = {
            let mut all =
                std::pin::pin!(probe.employees(&personio_mcp::personio::EmployeeQuery::default()));
            all.next().await.unwrap().unwrap()
        };
        let email = someone.email.value().cloned().unwrap_or_default();
        let surname = someone.last_name.value().cloned().unwrap_or_default();
        // The sandbox's employee bucket refills at 5/s: let the probe's requests drain.
        tokio::time::sleep(Duration::from_secs(4)).await;
        for (label, args) in [
            ("search by email", json!({"query": email})),
            ("search by name", json!({"query": surname})),
        ] {
            let (c, _) = spawn_serve(&[], &env).await;
            support::reset_stats(&http, &base).await;
            let t = Instant::now();
            c.session.call_ok("search_employee", args).await;
            let took = t.elapsed();
            let stats = support::stats(&http, &base).await;
            let (total, _) = support::by_route(&stats);
            println!(
                "| {n} | {label} | **{}** | {total} | {} |",
                fmt_us(took.as_secs_f64() * 1e6),
                support::count_429(&stats)
            );
            stop(c).await;
            // Let the background load of the stopped server end and the buckets refill.
            tokio::time::sleep(Duration::from_secs(if n > 5_000 { 25 } else { 5 })).await;
        }
        sandbox.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------------
// topk: ranking every hit vs selecting the best page, on 100k employees.

async fn topk() {
    let n = 100_000;
    let sandbox = support::sandbox(n, false).await;
    let directory = personio_mcp::domain::directory::Directory::new(
        support::client(&sandbox.base_url(), false),
        personio_mcp::domain::directory::DirectoryConfig::default(),
    );
    let snapshot = directory.snapshot(None).await.unwrap();
    // What search_employee asks the policy layer for: a page of 10, the total and the
    // department counts over every match (its own directory copy of the same sandbox).
    let app = support::app(support::client(&sandbox.base_url(), false));
    let guarded = app.guard(None, None).await.unwrap();
    guarded
        .search(&people_query("warm"), 0, 10)
        .await
        .unwrap_or_else(|_| panic!("the policy search loads the directory"));
    COUNTING.store(false, Ordering::Relaxed);
    println!(
        "{n} employees; p50 / p99 over 200 calls each; `search` ranks every hit, `search_top` the best 10; \
         `Guarded::search` is search_employee's policy call (page of 10, total, department counts).\n"
    );
    println!(
        "| query | text | hits | search (all ranked) p50 | p99 | search_top(10) p50 | p99 | Guarded::search p50 | p99 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for q in support::queries_for(snapshot.all(), n / 2) {
        let hits = snapshot.search(&q.text, |_| true).len();
        let mut full = Vec::new();
        let mut top = Vec::new();
        let mut policy = Vec::new();
        let query = people_query(&q.text);
        for _ in 0..200 {
            let t = Instant::now();
            std::hint::black_box(guarded.search(&query, 0, 10).await.map(|p| p.total).ok());
            policy.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(snapshot.search(&q.text, |_| true).len());
            full.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(snapshot.search_top(&q.text, |_| true, 0, 10).hits.len());
            top.push(t.elapsed());
        }
        let (f, t, g) = (
            percentiles(&mut full),
            percentiles(&mut top),
            percentiles(&mut policy),
        );
        println!(
            "| {} | `{}` | {hits} | {} | {} | **{}** | {} | **{}** | {} |",
            q.kind,
            q.text,
            fmt_us(f.p50),
            fmt_us(f.p99),
            fmt_us(t.p50),
            fmt_us(t.p99),
            fmt_us(g.p50),
            fmt_us(g.p99)
        );
    }
    COUNTING.store(true, Ordering::Relaxed);
    sandbox.shutdown().await;
}

fn people_query(text: &str) -> personio_mcp::policy::guarded::people::PeopleQuery {
    personio_mcp::policy::guarded::people::PeopleQuery {
        text: text.to_string(),
        ..Default::default()
    }
}
