//! The state store behind single use, idempotency and page approvals (issue 17): it survives a
//! restart (drop + reopen), is bounded in entries and time, refuses a second process on the same
//! directory with an error that names the directory and the setting, and is atomic under
//! concurrent claims. Every behaviour is checked on every store where it applies: memory,
//! embedded, and Redis (issue 19: a real `redis-server` per test, see tests/redis_support).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

mod redis_support;

use personio_mcp::ErrorCode;
use personio_mcp::policy::state::embedded::STATE_FILE;
use personio_mcp::policy::state::{
    ApprovalRecord, ApprovalStatus, EmbeddedStore, IdempotencyRecord, MemoryStore, PutOutcome,
    RedisStore, StateStore, StoreLimits, Transition, default_state_dir, expiry_after,
};
use redis_support::RedisServer;
use secrecy::SecretString;
use serde_json::json;

const LONG: Duration = Duration::from_secs(600);
const SHORT: Duration = Duration::from_millis(800);
/// Longer than SHORT, so that entries written with SHORT have expired.
const PAST_SHORT: Duration = Duration::from_millis(1300);

fn record(n: u64) -> IdempotencyRecord {
    IdempotencyRecord {
        digest: format!("digest-{n}"),
        result: json!({"absence_id": n, "status": "created"}),
    }
}

fn approval(ttl: Duration) -> ApprovalRecord {
    ApprovalRecord {
        view: json!({"employee": "Anna"}),
        csrf_secret: "csrf".into(),
        binding: "alice|d1".into(),
        expires_at: expiry_after(ttl),
        status: ApprovalStatus::Pending,
    }
}

fn open(dir: &Path) -> EmbeddedStore {
    EmbeddedStore::open(Some(dir.to_path_buf())).unwrap()
}

fn both(limits: StoreLimits, dir: &Path) -> Vec<Arc<dyn StateStore>> {
    vec![
        Arc::new(MemoryStore::new(limits)),
        Arc::new(EmbeddedStore::open_with(Some(dir.to_path_buf()), limits).unwrap()),
    ]
}

fn redis(server: &RedisServer) -> RedisStore {
    RedisStore::connect(&SecretString::from(server.url()), None).unwrap()
}

/// Memory, embedded and Redis: the stores without a configured entry cap of their own (Redis'
/// cap is its `maxmemory` with `noeviction`).
fn all(dir: &Path, server: &RedisServer) -> Vec<Arc<dyn StateStore>> {
    let mut stores = both(StoreLimits::default(), dir);
    stores.push(Arc::new(redis(server)));
    stores
}

#[tokio::test]
async fn a_used_token_stays_used_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert!(store.claim_once("nonce-1", LONG).await.unwrap());
    assert!(!store.claim_once("nonce-1", LONG).await.unwrap());
    drop(store);

    let store = open(dir.path());
    assert!(
        !store.claim_once("nonce-1", LONG).await.unwrap(),
        "a restart must not re-open a used token"
    );
    assert!(store.claim_once("nonce-2", LONG).await.unwrap());
    assert!(dir.path().join(STATE_FILE).is_file());
}

#[tokio::test]
async fn an_idempotency_key_replays_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.get_idempotent("alice|key-1").await.unwrap(), None);
    assert_eq!(
        store
            .put_idempotent("alice|key-1", record(1), LONG)
            .await
            .unwrap(),
        PutOutcome::Stored
    );
    drop(store);

    let store = open(dir.path());
    assert_eq!(
        store.get_idempotent("alice|key-1").await.unwrap(),
        Some(record(1))
    );
    assert_eq!(
        store
            .put_idempotent("alice|key-1", record(2), LONG)
            .await
            .unwrap(),
        PutOutcome::Existing(record(1)),
        "the first result replays; the second write is not stored"
    );
    store
        .replace_idempotent("alice|key-1", record(3), LONG)
        .await
        .unwrap();
    drop(store);
    assert_eq!(
        open(dir.path())
            .get_idempotent("alice|key-1")
            .await
            .unwrap(),
        Some(record(3))
    );
}

#[tokio::test]
async fn an_approval_moves_once_and_its_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.create_approval("id-1", approval(LONG)).await.unwrap();
    let again = store.create_approval("id-1", approval(LONG)).await;
    assert_eq!(again.unwrap_err().code, ErrorCode::Conflict);
    let t = store
        .transition_approval("id-1", ApprovalStatus::Pending, ApprovalStatus::Approved)
        .await
        .unwrap();
    assert!(matches!(t, Transition::Done(r) if r.status == ApprovalStatus::Approved));
    assert_eq!(
        store
            .transition_approval("id-1", ApprovalStatus::Pending, ApprovalStatus::Declined)
            .await
            .unwrap(),
        Transition::Refused(ApprovalStatus::Approved)
    );
    drop(store);

    let store = open(dir.path());
    let consume =
        || store.transition_approval("id-1", ApprovalStatus::Approved, ApprovalStatus::Consumed);
    assert!(matches!(consume().await.unwrap(), Transition::Done(_)));
    assert_eq!(
        consume().await.unwrap(),
        Transition::Refused(ApprovalStatus::Consumed),
        "consumed once, across the restart"
    );
    assert_eq!(
        store
            .transition_approval("nope", ApprovalStatus::Pending, ApprovalStatus::Approved)
            .await
            .unwrap(),
        Transition::Missing
    );
}

#[tokio::test]
async fn entries_expire_in_every_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start();
    for store in all(dir.path(), &server) {
        assert!(store.claim_once("n", SHORT).await.unwrap());
        store.put_idempotent("k", record(1), SHORT).await.unwrap();
        store.create_approval("a", approval(SHORT)).await.unwrap();
        assert!(!store.claim_once("n", SHORT).await.unwrap(), "{store:?}");
        assert!(store.get_idempotent("k").await.unwrap().is_some());

        tokio::time::sleep(PAST_SHORT).await;
        assert!(
            store.claim_once("n", SHORT).await.unwrap(),
            "{store:?}: an expired claim is gone"
        );
        assert_eq!(store.get_idempotent("k").await.unwrap(), None, "{store:?}");
        assert_eq!(
            store
                .transition_approval("a", ApprovalStatus::Pending, ApprovalStatus::Approved)
                .await
                .unwrap(),
            Transition::Expired,
            "{store:?}: an expired approval cannot be approved"
        );
        let kept = store.get_approval("a").await.unwrap().unwrap();
        assert_eq!(
            kept.status,
            ApprovalStatus::Pending,
            "{store:?}: kept (grace period) so the page can say it expired"
        );
    }
}

#[tokio::test]
async fn a_full_store_refuses_new_entries_and_never_forgets_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let limits = StoreLimits { max_entries: 10 };
    for store in both(limits, dir.path()) {
        for i in 0..10 {
            assert!(store.claim_once(&format!("n{i}"), LONG).await.unwrap());
        }
        let e = store.claim_once("n10", LONG).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited, "{store:?}: {e}");
        let e = store
            .put_idempotent("k", record(1), LONG)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited, "{store:?}");
        for i in 0..10 {
            assert!(
                !store.claim_once(&format!("n{i}"), LONG).await.unwrap(),
                "{store:?}: n{i} must still be used (fail closed, no eviction)"
            );
        }
    }
}

#[tokio::test]
async fn expired_entries_make_room_and_the_file_does_not_grow_with_churn() {
    let dir = tempfile::tempdir().unwrap();
    let limits = StoreLimits { max_entries: 20 };
    let big = |round: u64, i: u64| IdempotencyRecord {
        digest: format!("{round}-{i}"),
        result: json!({ "padding": "x".repeat(30_000) }),
    };
    let file = dir.path().join(STATE_FILE);
    let mut sizes = Vec::new();
    for round in 0..3u64 {
        let store = EmbeddedStore::open_with(Some(dir.path().to_path_buf()), limits).unwrap();
        for i in 0..20 {
            store
                .put_idempotent(&format!("r{round}-{i}"), big(round, i), SHORT)
                .await
                .unwrap();
        }
        assert!(store.len().await.unwrap() <= 20);
        assert!(
            store
                .put_idempotent("extra", big(9, 9), SHORT)
                .await
                .is_err(),
            "at the cap while all entries live"
        );
        tokio::time::sleep(PAST_SHORT).await;
        drop(store);
        sizes.push(std::fs::metadata(&file).unwrap().len());
    }
    let store = EmbeddedStore::open_with(Some(dir.path().to_path_buf()), limits).unwrap();
    assert_eq!(
        store.len().await.unwrap(),
        0,
        "reopen sweeps expired entries"
    );
    drop(store);
    let after_sweep = std::fs::metadata(&file).unwrap().len();
    assert!(
        sizes[2] <= sizes[0] * 2,
        "the file grows with churn: {sizes:?}"
    );
    assert!(
        after_sweep <= sizes[0],
        "compaction on open gives space back: {after_sweep} > {sizes:?}"
    );
}

/// Set by [`a_second_process_on_the_same_directory_gets_a_clear_error`] for the copy of this
/// test binary it starts as the second process.
const CHILD_DIR: &str = "PERSONIO_MCP_TEST_STATE_CHILD_DIR";

#[tokio::test]
async fn a_second_process_on_the_same_directory_gets_a_clear_error() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        // The second process: report what opening the store said, then exit.
        match EmbeddedStore::open(Some(dir.into())) {
            Ok(_) => println!("CHILD: opened"),
            Err(e) => println!(
                "CHILD: refused code={} message={} hint={}",
                e.code,
                e.message,
                e.hint.unwrap_or_default()
            ),
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let second = || {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_second_process_on_the_same_directory_gets_a_clear_error",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let store = open(dir.path());
    let said = second();
    let shown = dir.path().display().to_string();
    assert!(said.contains("CHILD: refused code=CONFLICT"), "{said}");
    assert!(said.contains(&shown), "names the directory: {said}");
    assert!(
        said.contains("--state-dir") && said.contains("PERSONIO_MCP_STATE_DIR"),
        "names the setting: {said}"
    );

    // In-process, a second open is refused the same way.
    let e = EmbeddedStore::open(Some(dir.path().to_path_buf())).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains(&shown), "{e}");

    drop(store);
    assert!(
        second().contains("CHILD: opened"),
        "the lock goes with the process that held it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_of_a_hundred_concurrent_claims_wins() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start();
    for store in all(dir.path(), &server) {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.claim_once("the-nonce", LONG).await.unwrap() })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap());
        }
        assert_eq!(wins, 1, "{store:?}");

        store.create_approval("race", approval(LONG)).await.unwrap();
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let store = store.clone();
                let to = if i % 2 == 0 {
                    ApprovalStatus::Approved
                } else {
                    ApprovalStatus::Declined
                };
                tokio::spawn(async move {
                    store
                        .transition_approval("race", ApprovalStatus::Pending, to)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut done = 0;
        for t in tasks {
            done += usize::from(matches!(t.await.unwrap(), Transition::Done(_)));
        }
        assert_eq!(done, 1, "{store:?}: one answer wins the compare-and-set");
    }
}

#[test]
fn the_default_directory_is_the_per_user_data_directory() {
    let dir = default_state_dir().expect("a home directory on the test machine");
    assert!(dir.ends_with("personio-mcp"), "{}", dir.display());
    assert!(dir.is_absolute());
}

#[tokio::test]
async fn oversized_keys_and_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start();
    for store in all(dir.path(), &server) {
        let long_key = "k".repeat(513);
        assert_eq!(
            store.claim_once(&long_key, LONG).await.unwrap_err().code,
            ErrorCode::ValidationFailed
        );
        let huge = IdempotencyRecord {
            digest: "d".into(),
            result: json!("x".repeat(70_000)),
        };
        assert_eq!(
            store
                .put_idempotent("k", huge, LONG)
                .await
                .unwrap_err()
                .code,
            ErrorCode::ValidationFailed,
            "{store:?}"
        );
    }
}

#[tokio::test]
async fn two_redis_stores_share_one_truth() {
    // Two "replicas": each its own connection to the same server.
    let server = RedisServer::start();
    let (one, two) = (redis(&server), redis(&server));
    assert!(one.claim_once("nonce", LONG).await.unwrap());
    assert!(
        !two.claim_once("nonce", LONG).await.unwrap(),
        "a token used on one replica is used on the other"
    );

    assert_eq!(
        one.put_idempotent("alice|k", record(1), LONG)
            .await
            .unwrap(),
        PutOutcome::Stored
    );
    assert_eq!(
        two.put_idempotent("alice|k", record(2), LONG)
            .await
            .unwrap(),
        PutOutcome::Existing(record(1))
    );
    two.replace_idempotent("alice|k", record(3), LONG)
        .await
        .unwrap();
    assert_eq!(
        one.get_idempotent("alice|k").await.unwrap(),
        Some(record(3))
    );

    // The page's view survives byte for byte (empty arrays, nested objects, big numbers) while
    // the status moves: the script compares a field and never re-encodes the JSON.
    let mut a = approval(LONG);
    a.view =
        json!({"employee": "Anna", "warnings": [], "n": 1_765_000_000_123_u64, "x": {"y": [1.5]}});
    one.create_approval("id-1", a.clone()).await.unwrap();
    assert_eq!(
        two.create_approval("id-1", a.clone())
            .await
            .unwrap_err()
            .code,
        ErrorCode::Conflict
    );
    assert_eq!(two.get_approval("id-1").await.unwrap(), Some(a.clone()));
    let t = two
        .transition_approval("id-1", ApprovalStatus::Pending, ApprovalStatus::Approved)
        .await
        .unwrap();
    assert!(
        matches!(&t, Transition::Done(r) if r.status == ApprovalStatus::Approved && r.view == a.view),
        "{t:?}"
    );
    assert_eq!(
        one.transition_approval("id-1", ApprovalStatus::Pending, ApprovalStatus::Declined)
            .await
            .unwrap(),
        Transition::Refused(ApprovalStatus::Approved)
    );
    assert_eq!(
        one.transition_approval("id-1", ApprovalStatus::Approved, ApprovalStatus::Consumed)
            .await
            .unwrap(),
        Transition::Done(ApprovalRecord {
            status: ApprovalStatus::Consumed,
            ..a
        })
    );
    assert_eq!(
        one.transition_approval("nope", ApprovalStatus::Pending, ApprovalStatus::Approved)
            .await
            .unwrap(),
        Transition::Missing
    );
}

#[tokio::test]
async fn redis_down_refuses_writes_with_upstream_unavailable_and_recovers() {
    let mut server = RedisServer::start();
    let store = redis(&server);
    assert!(store.claim_once("before", LONG).await.unwrap());
    assert_eq!(store.degraded(), None);

    server.kill();
    let e = store.claim_once("during", LONG).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable, "{e}");
    let e = store
        .put_idempotent("alice|k", record(1), LONG)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable, "{e}");
    let why = store.degraded().expect("degraded while Redis is down");
    assert!(why.contains("writes are refused"), "{why}");
    assert!(
        why.contains(&format!("127.0.0.1:{}", server.port())),
        "{why}"
    );

    server.restart();
    // The connection manager reconnects on its own; the first command after the restart may
    // still see the old connection fail.
    let mut claimed = None;
    for _ in 0..50 {
        match store.claim_once("after", LONG).await {
            Ok(v) => {
                claimed = Some(v);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert_eq!(claimed, Some(true), "writes resume once Redis is back");
    assert_eq!(store.degraded(), None);
}

#[tokio::test]
async fn a_bad_state_url_is_refused_with_the_setting_named() {
    for url in ["http://127.0.0.1:6379/0", "redis://", "not a url"] {
        let e = RedisStore::connect(&SecretString::from(url.to_string()), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed, "{url}");
        assert!(
            e.hint
                .unwrap_or_default()
                .contains("PERSONIO_MCP_STATE_URL"),
            "{url}"
        );
    }
    // The password never shows in what the store says about itself.
    let store = RedisStore::connect(
        &SecretString::from("redis://:hunter2-secret@127.0.0.1:1/3".to_string()),
        None,
    )
    .unwrap();
    assert_eq!(store.target(), "redis://127.0.0.1:1/3");
    assert!(!format!("{store:?}").contains("hunter2"));
}

#[tokio::test]
async fn rediss_against_a_plain_server_fails_cleanly() {
    // TLS (rustls, ring) is set up without a system library; a server that does not speak TLS
    // is a refused write, never a panic or a plain-text fallback.
    let server = RedisServer::start();
    let url = format!("rediss://127.0.0.1:{}/0", server.port());
    let store = RedisStore::connect(&SecretString::from(url), None).unwrap();
    let e = store.claim_once("n", LONG).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable, "{e}");
}
