//! Directory search on a loaded snapshot at 1k, 10k and 100k employees, and the cost of building
//! the search index (one `SearchKey` per employee).
//!
//! The company comes from the sandbox (relaxed limits) and is loaded through the real directory
//! (`Directory::snapshot`), so the data, folding and index are what the server uses. Queries are
//! drawn from the data: exact full name, surname, surname prefix (3 letters), surname with one
//! transposition (typo), work email, and the first word of a department name.
//!
//! Run: `cargo bench --bench search` (about 1.5 minutes; the 100k company takes ~15 s to seed and load).
//! Per-call p50/p99 come from the load driver: `cargo bench --bench load -- search`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use personio_mcp::domain::search::SearchKey;

const SIZES: &[usize] = &[1_000, 10_000, 100_000];

fn search(c: &mut Criterion) {
    support::install_tls();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for &n in SIZES {
        let (sandbox, snapshot) = rt.block_on(async {
            let sandbox = support::sandbox(n, false).await;
            let app = support::app(support::client(&sandbox.base_url(), false));
            let snapshot = app.records().snapshot(None).await.unwrap();
            assert_eq!(snapshot.len(), n);
            (sandbox, snapshot)
        });
        let queries = support::queries_for(snapshot.all(), n / 2);

        let mut group = c.benchmark_group(format!("search/{n}"));
        group
            .sample_size(if n >= 100_000 { 10 } else { 30 })
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(if n >= 100_000 { 4 } else { 2 }));
        for q in &queries {
            let hits = snapshot.search(&q.text, |_| true).len();
            eprintln!("search/{n} {:16} {:?}: {hits} hits", q.kind, q.text);
            group.bench_with_input(BenchmarkId::from_parameter(q.kind), &q.text, |b, text| {
                b.iter(|| black_box(snapshot.search(black_box(text), |_| true).len()))
            });
        }
        group.finish();

        let mut group = c.benchmark_group("index_build");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let keys: Vec<SearchKey> = snapshot.all().map(|e| SearchKey::new(e)).collect();
                black_box(keys.len())
            })
        });
        group.finish();
        drop(snapshot);
        rt.block_on(sandbox.shutdown());
    }
}

criterion_group!(benches, search);
criterion_main!(benches);
