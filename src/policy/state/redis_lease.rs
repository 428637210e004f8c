//! Per-employee write leases in Redis, so that two replicas never write the same person at once.
//!
//! A lease is `SET personio-mcp:lease:<id> <random token> NX PX <ttl>`: only one replica can set
//! it. It is renewed while held and released by a script that deletes it only if it still holds
//! our token (compare-and-delete), so a replica whose lease expired can never free the lease
//! another replica took over. The lease expires on its own ([`LEASE_TTL`]) when a replica dies
//! mid-write; a retry on another replica then waits at most that long, and finds the write by
//! the duplicate check that runs under the lease.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use redis::Script;

use super::redis_conn::{KEY_PREFIX, RedisConn};
use crate::domain::time_off::{Lease, WriteLeases};
use crate::error::{Error, Result};

/// How long a lease lives without renewal (a dead replica's lease frees after this).
pub const LEASE_TTL: Duration = Duration::from_secs(15);
/// How often a held lease is renewed.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How long a write waits for a lease another replica holds before it gives up.
pub const WAIT_AT_MOST: Duration = Duration::from_secs(30);

/// Renews the lease only while it is still ours.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Releases the lease only while it is still ours.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// [`WriteLeases`] on the store's Redis server.
pub struct RedisLeases {
    store: RedisConn,
}

impl RedisLeases {
    pub fn new(store: RedisConn) -> Self {
        RedisLeases { store }
    }
}

fn ttl_ms() -> u64 {
    u64::try_from(LEASE_TTL.as_millis()).unwrap_or(15_000)
}

struct RedisLease {
    held: Arc<AtomicBool>,
    renew: tokio::task::JoinHandle<()>,
    store: RedisConn,
    key: String,
    token: String,
}

impl Lease for RedisLease {
    fn held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }
}

impl Drop for RedisLease {
    fn drop(&mut self) {
        self.renew.abort();
        let (store, key, token) = (self.store.clone(), self.key.clone(), self.token.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let mut c = store.connection();
                let released = store
                    .run(async move {
                        Script::new(RELEASE)
                            .key(&key)
                            .arg(&token)
                            .invoke_async::<i64>(&mut c)
                            .await
                    })
                    .await;
                if let Err(e) = released {
                    // It expires on its own after LEASE_TTL.
                    tracing::warn!(code = %e.code, "a write lease could not be released");
                }
            });
        }
    }
}

/// Renews until aborted; marks the lease lost when a renewal says it is not ours, or when no
/// renewal succeeded for longer than the lease lives.
async fn renew(store: RedisConn, key: String, token: String, held: Arc<AtomicBool>) {
    let mut last_ok = Instant::now();
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let mut c = store.connection();
        let (k, t) = (key.clone(), token.clone());
        let renewed = store
            .run(async move {
                Script::new(RENEW)
                    .key(&k)
                    .arg(&t)
                    .arg(ttl_ms())
                    .invoke_async::<i64>(&mut c)
                    .await
            })
            .await;
        match renewed {
            Ok(1) => last_ok = Instant::now(),
            Ok(_) => {
                held.store(false, Ordering::SeqCst);
                return;
            }
            Err(_) if last_ok.elapsed() + RENEW_EVERY >= LEASE_TTL => {
                held.store(false, Ordering::SeqCst);
                return;
            }
            Err(_) => {}
        }
    }
}

impl WriteLeases for RedisLeases {
    fn acquire(&self, employee_id: i64) -> BoxFuture<'_, Result<Box<dyn Lease>>> {
        Box::pin(async move {
            let key = format!("{KEY_PREFIX}lease:{employee_id}");
            let token = uuid::Uuid::new_v4().to_string();
            let started = Instant::now();
            let mut pause = Duration::from_millis(20);
            loop {
                let mut c = self.store.connection();
                let (k, t) = (key.clone(), token.clone());
                let set: Option<String> = self
                    .store
                    .run(async move {
                        redis::cmd("SET")
                            .arg(&k)
                            .arg(&t)
                            .arg("NX")
                            .arg("PX")
                            .arg(ttl_ms())
                            .query_async(&mut c)
                            .await
                    })
                    .await?;
                if set.is_some() {
                    break;
                }
                if started.elapsed() >= WAIT_AT_MOST {
                    return Err(Error::unavailable(
                        "another replica is writing for this person and did not finish in time",
                    )
                    .with_hint("Nothing was written; try again in a minute."));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            let held = Arc::new(AtomicBool::new(true));
            let renew = tokio::spawn(renew(
                self.store.clone(),
                key.clone(),
                token.clone(),
                held.clone(),
            ));
            Ok(Box::new(RedisLease {
                held,
                renew,
                store: self.store.clone(),
                key,
                token,
            }) as Box<dyn Lease>)
        })
    }
}
