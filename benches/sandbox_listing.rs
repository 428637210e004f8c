//! Full paginated listing of a 10,000-employee sandbox over loopback HTTP: `GET /v1/company/employees`
//! with `limit=100` from offset 0 until a short page (101 requests, every attribute rendered).
//! Target: under 1 s per complete listing. Run with `cargo bench --bench sandbox_listing`.
//!
//! The client only counts `data` items (serde's `IgnoredAny`), so the figure is dominated by the
//! server's work (routing, auth, rendering ~600 KB of attribute envelopes per page) and the transfer,
//! not by building a JSON tree on the client side.

// A benchmark that cannot set itself up should stop loudly rather than report nonsense.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr};

use criterion::{Criterion, criterion_group, criterion_main};
use personio_mcp::sandbox::{CLIENT_SECRET, FULL_CLIENT_ID, SandboxConfig, SandboxHandle};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

const EMPLOYEES: usize = 10_000;

/// Built only by serde (rustc's dead-code analysis ignores derived impls).
#[allow(dead_code)]
#[derive(Deserialize)]
struct Page {
    data: Vec<IgnoredAny>,
}

async fn list_all(client: &reqwest::Client, base: &str, token: &str) -> usize {
    let mut offset = 0;
    let mut seen = 0;
    loop {
        let page: Value = client
            .get(format!(
                "{base}/v1/company/employees?limit=100&offset={offset}"
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        let n = page["data"].as_array().map_or(0, Vec::len);
        seen += n;
        if n < 100 {
            return seen;
        }
        offset += 100;
    }
}

fn listing(c: &mut Criterion) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (sandbox, client, token) = rt.block_on(async {
        let sandbox = SandboxHandle::start(
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            SandboxConfig {
                employees: EMPLOYEES,
                relaxed_limits: true,
                ..SandboxConfig::default()
            },
        )
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let auth: Value = client
            .post(format!("{}/v1/auth", sandbox.base_url()))
            .json(&json!({"client_id": FULL_CLIENT_ID, "client_secret": CLIENT_SECRET}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = auth["data"]["token"].as_str().unwrap().to_string();
        assert_eq!(
            list_all(&client, &sandbox.base_url(), &token).await,
            EMPLOYEES
        );
        (sandbox, client, token)
    });
    let base = sandbox.base_url();

    let mut group = c.benchmark_group("sandbox_listing");
    group.sample_size(10);
    group.bench_function("10k employees, limit 100, full listing", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(list_all(&client, &base, &token).await) });
    });
    group.finish();
    rt.block_on(sandbox.shutdown());
}

criterion_group!(benches, listing);
criterion_main!(benches);
