//! The Personio rate budget shared by every replica: one GCRA bucket per endpoint class in
//! Redis, on Redis' own clock (`TIME`), so replicas with skewed clocks still share one budget.
//!
//! GCRA keeps one number per class, the theoretical arrival time (TAT) of the next request: a
//! request is allowed when `TAT + interval − burst·interval ≤ now`, and then moves the TAT on by
//! one interval; otherwise the script answers how long to wait. One script call per class per
//! request, atomic on the server.
//!
//! When Redis does not answer, each replica falls back to a local bucket of `1/N` of the
//! limits (`--replicas N`, the configured replica count), so the replicas together still stay
//! within Personio's limits; the change is logged once each way, and `/readyz` reports the
//! degraded store. Reads are never failed because the shared budget is unreachable.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use redis::Script;

use super::redis_conn::{KEY_PREFIX, RedisConn};
use crate::personio::limits::RateBudget;

/// ARGV: interval (µs), burst; answers 0 (go) or the wait in µs.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - tolerance - now
if wait > 0 then return math.ceil(wait) end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 0
";

/// The longest single sleep between two asks (a wait is re-asked, so that a freed budget is
/// used promptly and a Redis failure is noticed).
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// A class with the refill per minute and the burst it is paced to.
type ClassShape = (&'static str, u32, u32);

/// [`RateBudget`] in Redis with a local fallback of `1/replicas`.
pub struct RedisBudget {
    store: RedisConn,
    replicas: u32,
    script: Script,
    /// Keyed by class *and* shape: when Personio announces a lower limit the client reshapes the
    /// class, and the fallback must follow rather than keep the first shape it saw (a handful of
    /// entries at most: a class is only ever cut, a few times).
    fallback: Mutex<HashMap<ClassShape, Arc<DefaultDirectRateLimiter>>>,
    falling_back: AtomicBool,
}

impl RedisBudget {
    pub fn new(store: RedisConn, replicas: u32) -> Self {
        RedisBudget {
            store,
            replicas: replicas.max(1),
            script: Script::new(GCRA),
            fallback: Mutex::new(HashMap::new()),
            falling_back: AtomicBool::new(false),
        }
    }

    /// Whether the last request used the local fallback.
    pub fn falling_back(&self) -> bool {
        self.falling_back.load(Ordering::SeqCst)
    }

    fn local(
        &self,
        class: &'static str,
        per_minute: u32,
        burst: u32,
    ) -> Arc<DefaultDirectRateLimiter> {
        let mut map = self.fallback.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((class, per_minute, burst))
            .or_insert_with(|| {
                let n = self.replicas;
                let share = (per_minute / n).max(1);
                let burst = NonZeroU32::new((burst / n).max(1)).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::with_period(Duration::from_secs(60) / share)
                    .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
                    .allow_burst(burst);
                Arc::new(RateLimiter::direct(quota))
            })
            .clone()
    }

    fn switch(&self, fallback: bool) {
        if self.falling_back.swap(fallback, Ordering::SeqCst) != fallback {
            if fallback {
                tracing::warn!(
                    replicas = self.replicas,
                    "the shared Personio rate budget (Redis) is unavailable; pacing to this replica's share of the limits"
                );
            } else {
                tracing::info!("the shared Personio rate budget (Redis) is back");
            }
        }
    }

    /// One ask: `Some(wait)` to wait and ask again, `None` to go; falls back when Redis fails.
    async fn ask(&self, class: &'static str, per_minute: u32, burst: u32) -> Option<Duration> {
        if self.store.down_reason().is_none() {
            let mut c = self.store.connection();
            let key = format!("{KEY_PREFIX}rate:{class}");
            // A margin for the network: two requests the budget spaced one interval apart may
            // reach Personio closer together when one replica is slower to send, and at an empty
            // bucket that is a 429. A fifth less burst and a twentieth slower refill absorb it.
            let interval_us = 63_000_000u64 / u64::from(per_minute.max(1));
            let burst = (burst.saturating_mul(4) / 5).max(1);
            let script = &self.script;
            let answer = self
                .store
                .run(async move {
                    script
                        .key(&key)
                        .arg(interval_us)
                        .arg(burst)
                        .invoke_async::<i64>(&mut c)
                        .await
                })
                .await;
            if let Ok(wait_us) = answer {
                self.switch(false);
                return (wait_us > 0).then(|| {
                    Duration::from_micros(u64::try_from(wait_us).unwrap_or(0)).min(MAX_SLEEP)
                });
            }
        }
        self.switch(true);
        self.local(class, per_minute, burst).until_ready().await;
        None
    }
}

impl RateBudget for RedisBudget {
    fn acquire<'a>(
        &'a self,
        class: &'static str,
        per_minute: u32,
        burst: u32,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            while let Some(wait) = self.ask(class, per_minute, burst).await {
                tokio::time::sleep(wait).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use secrecy::SecretString;

    #[tokio::test]
    async fn the_local_fallback_follows_a_reshaped_class() -> crate::error::Result<()> {
        // A well-formed URL is accepted without connecting.
        let conn = RedisConn::connect(&SecretString::from("redis://127.0.0.1:1"), None)?;
        let budget = RedisBudget::new(conn, 2);
        let first = budget.local("v1", 1_000, 1_000);
        assert!(Arc::ptr_eq(&first, &budget.local("v1", 1_000, 1_000)));
        // Personio announced a lower limit and the client cut the class: a new share, not the old.
        let cut = budget.local("v1", 300, 300);
        assert!(!Arc::ptr_eq(&first, &cut));
        let spent = (0..400).take_while(|_| cut.check().is_ok()).count();
        assert_eq!(spent, 150, "this replica's half of the new burst");
        Ok(())
    }
}
