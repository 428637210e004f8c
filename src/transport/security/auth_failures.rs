//! Failed bearer authentication: throttled per client address, logged in aggregate.
//!
//! Without a throttle a wrong-token loop runs at thousands of guesses a second and writes one WARN
//! line each, burying everything else in the log. After a small burst of wrong tokens an address
//! gets `429` with `Retry-After` for every bearer attempt, right or wrong, until its budget
//! refills: a guess that happens to be right is not confirmed while the address is throttled.
//! IPv6 addresses are grouped by their /64 (one host usually owns a whole /64). Behind a reverse
//! proxy every client shares the proxy's address; throttle at the proxy there.
//!
//! Budgets are kept for at most [`MAX_ADDRESSES`] addresses (a bounded cache). A flood from more
//! addresses than that pushes budgets out of the cache, so each of its addresses is throttled
//! later; memory stays bounded, and no client gets a 429 its own wrong tokens did not earn.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::response::Response;
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use moka::future::Cache;
use tokio::time::Instant;

/// Wrong tokens an address may present at once before it is throttled.
const BURST: u32 = 10;
/// Then one more attempt per this interval.
const REFILL: Duration = Duration::from_secs(6);
/// Addresses tracked at once (the least used are forgotten first; a forgotten address starts
/// with a whole budget again).
const MAX_ADDRESSES: u64 = 100_000;
/// Failures are summarised in one WARN line at most this often.
const LOG_EVERY: Duration = Duration::from_secs(60);
/// Distinct addresses counted per summary (the count saturates beyond).
const MAX_LOGGED_ADDRESSES: usize = 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The throttle key of a client address: IPv4 as is, IPv6 by its /64.
fn key_of(addr: Option<IpAddr>) -> IpAddr {
    match addr {
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
        Some(v4) => v4,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

#[derive(Default)]
struct Summary {
    since: Option<Instant>,
    failures: u64,
    throttled: u64,
    addresses: HashSet<IpAddr>,
}

/// Per-address failure budgets and the log summary.
pub struct AuthFailures {
    quota: Quota,
    /// One budget per address, bounded: an address idle for a full refill is forgotten (its
    /// budget would be whole again anyway), and beyond [`MAX_ADDRESSES`] the cache evicts, so a
    /// flood from more addresses than it holds costs budgets, not unbounded memory.
    budgets: Cache<IpAddr, Arc<DefaultDirectRateLimiter>>,
    /// Throttled addresses and until when.
    blocked: Cache<IpAddr, Instant>,
    summary: Mutex<Summary>,
}

impl Default for AuthFailures {
    fn default() -> Self {
        Self::tracking(MAX_ADDRESSES)
    }
}

impl AuthFailures {
    fn tracking(max_addresses: u64) -> Self {
        let quota = Quota::with_period(REFILL)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(BURST).unwrap_or(NonZeroU32::MIN));
        AuthFailures {
            quota,
            budgets: Cache::builder()
                .max_capacity(max_addresses)
                .time_to_idle(REFILL * BURST)
                .build(),
            blocked: Cache::builder()
                .max_capacity(max_addresses)
                .time_to_live(REFILL * BURST)
                .build(),
            summary: Mutex::new(Summary::default()),
        }
    }
}

impl AuthFailures {
    /// `Some(429)` while `addr` is throttled: answer that instead of checking the token.
    pub(super) async fn throttled(&self, addr: Option<IpAddr>) -> Option<Response> {
        let key = key_of(addr);
        let until = self.blocked.get(&key).await?;
        let now = Instant::now();
        if until <= now {
            return None;
        }
        self.record(key, true);
        Some(too_many_failures(until - now))
    }

    /// Books one wrong token from `addr`: `None` within the budget (answer 401), `Some(429)`
    /// once it is spent.
    pub(super) async fn failed(&self, addr: Option<IpAddr>) -> Option<Response> {
        let key = key_of(addr);
        let quota = self.quota;
        let budget = self
            .budgets
            .get_with(key, async move { Arc::new(RateLimiter::direct(quota)) })
            .await;
        match budget.check() {
            Ok(()) => {
                self.record(key, false);
                None
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(budget.clock().now());
                self.blocked.insert(key, Instant::now() + wait).await;
                self.record(key, true);
                Some(too_many_failures(wait))
            }
        }
    }

    /// Counts a failure; writes the first one of a quiet period at once and then at most one
    /// summary line per [`LOG_EVERY`].
    fn record(&self, key: IpAddr, throttled: bool) {
        let mut s = lock(&self.summary);
        s.failures += 1;
        s.throttled += u64::from(throttled);
        if s.addresses.len() < MAX_LOGGED_ADDRESSES {
            s.addresses.insert(key);
        }
        match s.since {
            None => {
                tracing::warn!(
                    "rejected a request with an unknown bearer token; further failures are \
                     summarised at most once a minute"
                );
                *s = Summary {
                    since: Some(Instant::now()),
                    ..Summary::default()
                };
            }
            Some(since) if since.elapsed() >= LOG_EVERY => {
                tracing::warn!(
                    failures = s.failures,
                    throttled = s.throttled,
                    addresses = s.addresses.len(),
                    window_s = since.elapsed().as_secs(),
                    "failed bearer authentication since the last summary"
                );
                *s = Summary {
                    since: Some(Instant::now()),
                    ..Summary::default()
                };
            }
            Some(_) => {}
        }
    }
}

fn too_many_failures(wait: Duration) -> Response {
    super::too_many_requests(wait, "too_many_failed_logins", |secs| {
        format!(
            "Too many wrong bearer tokens from this address. Retry after {secs} s with the right token."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{StatusCode, header};

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(key_of(Some(a)), key_of(Some(b)));
        assert_ne!(key_of(Some(a)), key_of(Some(c)));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(key_of(Some(mapped)), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[tokio::test]
    async fn an_address_is_throttled_after_a_small_burst_and_others_are_not() {
        let f = AuthFailures::default();
        let attacker = Some("10.0.0.1".parse().unwrap());
        for _ in 0..BURST {
            assert!(f.failed(attacker).await.is_none());
        }
        let r = f.failed(attacker).await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key(header::RETRY_AFTER));
        assert!(f.throttled(attacker).await.is_some());
        let other = Some("10.0.0.2".parse().unwrap());
        assert!(f.throttled(other).await.is_none());
        assert!(f.failed(other).await.is_none());
    }

    /// A guessing flood from more addresses than the table holds: the table stays at its bound
    /// and no address gets a 429 it did not earn with its own wrong tokens.
    #[tokio::test]
    async fn a_flood_from_many_addresses_keeps_the_table_bounded() {
        let f = AuthFailures::tracking(8);
        for i in 0..=255u8 {
            let a = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 1, i)));
            assert!(f.failed(a).await.is_none(), "one wrong token: a plain 401");
        }
        f.budgets.run_pending_tasks().await;
        assert!(
            f.budgets.entry_count() <= 8,
            "{} addresses tracked",
            f.budgets.entry_count()
        );
    }
}
