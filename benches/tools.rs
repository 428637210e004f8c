//! Per-tool server overhead: each read tool called through the real MCP server (JSON-RPC over an
//! in-process pipe, warm caches), next to the bare Personio client calls that tool makes. The
//! difference of the two medians is what the server adds on top of Personio.
//!
//! Run: `cargo bench --bench tools` (about 1 minute). Paired per-call p50/p99: `cargo bench --bench
//! load -- overhead`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use chrono::Datelike;
use criterion::{Criterion, criterion_group, criterion_main};
use personio_mcp::personio::AbsenceQuery;
use serde_json::json;
use support::McpSession;

fn tools(c: &mut Criterion) {
    support::install_tls();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (sandbox, app, mcp, id, surname) = rt.block_on(async {
        let sandbox = support::sandbox(1_000, false).await;
        let app = support::app(support::client(&sandbox.base_url(), false));
        let mcp = McpSession::in_process(app.clone()).await;
        let snapshot = app.records().snapshot(None).await.unwrap();
        let qs = support::queries_for(snapshot.all(), 500);
        let id = snapshot.search(&qs[0].text, |_| true)[0].1.id;
        let surname = qs[1].text.clone();
        mcp.call_ok("search_employee", json!({"query": surname}))
            .await;
        mcp.call_ok("get_pto_balance", json!({"employee": id.to_string()}))
            .await;
        (sandbox, app, mcp, id, surname)
    });
    let today = chrono::Local::now().date_naive();
    let from = today.with_day0(0).unwrap();
    let to = from
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    let client = app.records().client().clone();

    let mut group = c.benchmark_group("tools");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let calls = [
        ("search_employee", json!({"query": surname})),
        ("get_pto_balance", json!({"employee": id.to_string()})),
        ("list_absences", json!({"employee": id.to_string()})),
        ("list_time_off_types", json!({})),
    ];
    for (tool, args) in &calls {
        group.bench_function(format!("mcp {tool}"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(mcp.call_ok(tool, args.clone()).await) })
        });
    }
    group.bench_function("bare balances (get_pto_balance upstream)", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(client.balances(id).await.unwrap()) })
    });
    group.bench_function("bare absences (list_absences upstream)", |b| {
        b.to_async(&rt).iter(|| async {
            let q = AbsenceQuery {
                start_date: Some(from),
                end_date: Some(to),
                employees: vec![id],
                ..AbsenceQuery::default()
            };
            black_box(client.all_absences(&q).await.unwrap())
        })
    });
    group.bench_function("bare time_off_types (cached)", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(client.time_off_types().await.unwrap()) })
    });
    group.finish();
    drop(mcp);
    rt.block_on(sandbox.shutdown());
}

criterion_group!(benches, tools);
criterion_main!(benches);
