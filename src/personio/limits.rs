//! Client-side rate limiting shared by every caller of one client.
//!
//! Personio throttles per endpoint family (REFERENCE.md §6). Waiting in a token bucket before
//! sending is cheaper than collecting 429s and backing off, so each family has a `governor`
//! bucket sized to Personio's published limit. When a response says the server-side budget is
//! exhausted (`X-RateLimit-Remaining: 0`), the family also pauses until the advertised reset.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;

use super::config::LimitsConfig;

/// The endpoint families Personio limits separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// `GET /v1/company/employees` (the listing Personio limits to 300/min, bursts of 15/s).
    Employees,
    /// `/v1/auth`, `/v2/auth/token`: 60/min.
    Auth,
    /// Everything else.
    Default,
}

impl Bucket {
    /// The family a request path belongs to.
    pub fn for_path(path: &str) -> Bucket {
        if path.starts_with("/v1/auth") || path.starts_with("/v2/auth") {
            Bucket::Auth
        } else if path == "/v1/company/employees" {
            Bucket::Employees
        } else {
            Bucket::Default
        }
    }
}

struct Family {
    bucket: DefaultDirectRateLimiter,
    /// Set from `X-RateLimit-*` headers when the server says the budget is spent.
    paused_until: Mutex<Option<Instant>>,
}

impl Family {
    fn new(quota: Quota) -> Self {
        Family {
            bucket: RateLimiter::direct(quota),
            paused_until: Mutex::new(None),
        }
    }
}

/// The token buckets of one client.
pub struct Limiter {
    employees: Family,
    auth: Family,
    default: Family,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// `n` per minute with a burst of `burst`.
fn per_minute(n: u32, burst: u32) -> Quota {
    let period = Duration::from_secs(60) / n.max(1);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_minute(nz(n)))
        .allow_burst(nz(burst))
}

impl Limiter {
    pub fn new(cfg: &LimitsConfig) -> Self {
        Limiter {
            employees: Family::new(per_minute(cfg.employees_per_minute, cfg.employees_burst)),
            auth: Family::new(per_minute(cfg.auth_per_minute, cfg.auth_per_minute.min(10))),
            default: Family::new(
                Quota::per_second(nz(cfg.default_per_second)).allow_burst(nz(cfg.default_burst)),
            ),
        }
    }

    fn family(&self, bucket: Bucket) -> &Family {
        match bucket {
            Bucket::Employees => &self.employees,
            Bucket::Auth => &self.auth,
            Bucket::Default => &self.default,
        }
    }

    /// Waits until one request of this family may be sent.
    pub async fn acquire(&self, bucket: Bucket) {
        let family = self.family(bucket);
        let pause = family
            .paused_until
            .lock()
            .ok()
            .and_then(|p| *p)
            .and_then(|until| until.checked_duration_since(Instant::now()));
        if let Some(wait) = pause {
            tracing::debug!(?bucket, ?wait, "pausing: server-side rate budget spent");
            tokio::time::sleep(wait).await;
        }
        family.bucket.until_ready().await;
    }

    /// Takes a token if one is free now, without waiting.
    pub fn try_acquire(&self, bucket: Bucket) -> bool {
        self.family(bucket).bucket.check().is_ok()
    }

    /// Learns from `X-RateLimit-Remaining` / `X-RateLimit-Reset` (seconds until reset, or a Unix
    /// timestamp) so the next request of the family waits instead of drawing a 429.
    pub fn observe(&self, bucket: Bucket, headers: &HeaderMap) {
        let Some(wait) = reset_wait(headers) else {
            return;
        };
        if let Ok(mut paused) = self.family(bucket).paused_until.lock() {
            *paused = Some(Instant::now() + wait);
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v.ceil() as u64)
}

/// How long to pause when the headers say the budget is spent; `None` otherwise.
pub fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    let remaining = header_u64(headers, "x-ratelimit-remaining")?;
    if remaining > 0 {
        return None;
    }
    let reset = header_u64(headers, "x-ratelimit-reset").unwrap_or(1);
    let secs = if reset > 1_000_000_000 {
        // A Unix timestamp.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        reset.saturating_sub(now)
    } else {
        reset
    };
    Some(Duration::from_secs(secs.clamp(1, 60)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn paths_map_to_families() {
        assert_eq!(Bucket::for_path("/v1/auth"), Bucket::Auth);
        assert_eq!(Bucket::for_path("/v2/auth/token"), Bucket::Auth);
        assert_eq!(Bucket::for_path("/v1/company/employees"), Bucket::Employees);
        assert_eq!(Bucket::for_path("/v1/company/employees/7"), Bucket::Default);
        assert_eq!(Bucket::for_path("/v1/company/time-offs"), Bucket::Default);
    }

    #[test]
    fn reset_wait_only_when_budget_spent() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("3"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("10"));
        assert_eq!(reset_wait(&h), None);
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        assert_eq!(reset_wait(&h), Some(Duration::from_secs(10)));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("9999"));
        assert_eq!(reset_wait(&h), Some(Duration::from_secs(60)));
        assert_eq!(reset_wait(&HeaderMap::new()), None);
    }

    #[test]
    fn employees_bucket_allows_a_burst_of_fifteen_then_waits() {
        let limiter = Limiter::new(&LimitsConfig::default());
        for i in 0..15 {
            assert!(
                limiter.try_acquire(Bucket::Employees),
                "request {i} of the burst"
            );
        }
        assert!(
            !limiter.try_acquire(Bucket::Employees),
            "the 16th must wait"
        );
        assert!(
            limiter.try_acquire(Bucket::Default),
            "other families are independent"
        );
    }
}
