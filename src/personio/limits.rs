//! Client-side pacing shared by every caller of one client.
//!
//! Personio throttles per endpoint class (REFERENCE.md §6): the employee listing 300 a minute in
//! bursts of 15, the token endpoints 60 (v1) or 150 (v2) a minute, and every v1 endpoint together
//! 2,000 a minute per caller address. Waiting in a local token bucket is cheaper than drawing 429s
//! and backing off for at least a second, so each class has a `governor` bucket cut to that
//! documented limit, and a request takes a token from its class *and* from the v1 budget.
//!
//! The buckets are sized so they never add latency while the budget lasts: a burst of requests
//! goes out at once and pacing starts only when Personio's own budget would run out. Personio's
//! answers then adjust them live: `X-RateLimit-Remaining: 0` pauses the class until
//! `X-RateLimit-Reset`, and an `X-RateLimit-Limit` below the documented figure (an account on a
//! stricter plan) shrinks the bucket to it. Relaxed limits (load tests against the sandbox only)
//! switch all of this off.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;

use super::config::LimitsConfig;

/// A rate budget shared with other replicas (issue 19): N replicas of the server together must
/// stay within Personio's limits, which N local buckets cannot promise. Consulted after the local
/// bucket, for each class a request draws from; it waits until the shared budget allows one
/// request of `class` (`per_minute` refilled evenly, bursts of `burst`). An implementation that
/// cannot reach its shared state falls back to a local share and must not fail the request.
pub trait RateBudget: Send + Sync {
    fn acquire<'a>(&'a self, class: &'static str, per_minute: u32, burst: u32)
    -> BoxFuture<'a, ()>;
}

/// The process's shared budget, when one is configured (`--state redis://…`). Process-wide
/// because the Personio budget is: every client of this process draws from the same credential
/// and address, and the client is built before the state store is known.
static SHARED_BUDGET: OnceLock<Arc<dyn RateBudget>> = OnceLock::new();

/// Makes every client of this process consult `budget`; `false` if one was installed already.
pub fn share_budget(budget: Arc<dyn RateBudget>) -> bool {
    SHARED_BUDGET.set(budget).is_ok()
}

/// The endpoint classes Personio limits separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// `GET /v1/company/employees` (the listing Personio limits to 300/min, bursts of 15/s).
    Employees,
    /// `/v1/auth`, `/v2/auth/token`: 60/min (v1).
    Auth,
    /// Everything else.
    Default,
}

impl Bucket {
    /// The class a request path belongs to.
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

/// Whether a path counts against Personio's per-address v1 budget.
fn counts_against_v1(path: &str) -> bool {
    path.starts_with("/v1/")
}

/// How Personio states a class's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// A rate with bursts on top (the employee listing: 300 a minute, 15 at once).
    Rate,
    /// A total per minute that the burst is part of (auth, the v1 budget): the bucket refills at
    /// the total minus the burst, so that no rolling minute sees more than the total.
    Window,
}

/// A bucket's shape: its steady refill per minute and its burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    refill: u32,
    burst: u32,
}

impl Shape {
    /// The bucket for Personio's `per_minute` under `limit`, with bursts of up to `burst`.
    fn of(limit: Limit, per_minute: u32, burst: u32) -> Shape {
        let per_minute = per_minute.max(1);
        match limit {
            Limit::Rate => Shape {
                refill: per_minute,
                burst: burst.clamp(1, per_minute),
            },
            // At most half the minute goes in one burst, so the refill never collapses to zero.
            Limit::Window => {
                let burst = burst.clamp(1, (per_minute / 2).max(1));
                Shape {
                    refill: per_minute.saturating_sub(burst).max(1),
                    burst,
                }
            }
        }
    }

    /// Requests this shape admits in one minute, as Personio counts them.
    fn per_minute(self, limit: Limit) -> u32 {
        match limit {
            Limit::Rate => self.refill,
            Limit::Window => self.refill.saturating_add(self.burst),
        }
    }
}

/// One class: its bucket (replaceable when Personio announces a lower limit) and a pause.
struct Family {
    /// The class's name in the shared budget.
    name: &'static str,
    limit: Limit,
    bucket: RwLock<Arc<DefaultDirectRateLimiter>>,
    /// The current bucket's shape.
    shape: Mutex<Shape>,
    /// Set from `X-RateLimit-*` headers when Personio says the budget is spent.
    paused_until: Mutex<Option<Instant>>,
}

impl Family {
    fn new(name: &'static str, limit: Limit, per_minute: u32, burst: u32) -> Self {
        let shape = Shape::of(limit, per_minute, burst);
        Family {
            name,
            limit,
            bucket: RwLock::new(Arc::new(RateLimiter::direct(quota(shape)))),
            shape: Mutex::new(shape),
            paused_until: Mutex::new(None),
        }
    }

    fn shape(&self) -> Shape {
        self.shape.lock().map(|s| *s).unwrap_or(Shape {
            refill: 1,
            burst: 1,
        })
    }

    fn current(&self) -> Option<Arc<DefaultDirectRateLimiter>> {
        self.bucket.read().ok().map(|b| b.clone())
    }

    async fn acquire(&self) {
        let pause = self
            .paused_until
            .lock()
            .ok()
            .and_then(|p| *p)
            .and_then(|until| until.checked_duration_since(Instant::now()));
        if let Some(wait) = pause {
            tracing::debug!(?wait, "pausing: Personio says the rate budget is spent");
            tokio::time::sleep(wait).await;
        }
        if let Some(bucket) = self.current() {
            bucket.until_ready().await;
        }
    }

    /// The shared budget's share of this class, after the local bucket.
    async fn acquire_shared(&self, budget: &dyn RateBudget) {
        let shape = self.shape();
        budget.acquire(self.name, shape.refill, shape.burst).await;
    }

    fn pause_for(&self, wait: Duration) {
        if let Ok(mut paused) = self.paused_until.lock() {
            let until = Instant::now() + wait;
            // Never shorten a pause another answer asked for.
            if paused.is_none_or(|p| p < until) {
                *paused = Some(until);
            }
        }
    }

    /// Shrinks the bucket to `limit` per minute when Personio announces less than we assumed.
    fn tighten(&self, limit: u32) {
        let Ok(mut current) = self.shape.lock() else {
            return;
        };
        let assumed = current.per_minute(self.limit);
        let next = Shape::of(self.limit, limit, current.burst);
        // The same announcement again (a window of 1 is shaped as one now, one a minute later)
        // must not hand out a fresh bucket on every answer.
        if limit == 0 || limit >= assumed || next == *current {
            return;
        }
        tracing::info!(
            from = assumed,
            to = limit,
            "Personio announces a lower rate limit; pacing to it"
        );
        *current = next;
        // The new bucket starts spent: part of this minute's budget is gone already, and a
        // full burst on top could exceed the limit just announced.
        let bucket = RateLimiter::direct(quota(next));
        let _ = bucket.check_n(nz(next.burst));
        if let Ok(mut slot) = self.bucket.write() {
            *slot = Arc::new(bucket);
        }
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// `shape.refill` per minute, refilled evenly, with bursts of up to `shape.burst`.
fn quota(shape: Shape) -> Quota {
    let period = Duration::from_secs(60) / shape.refill.max(1);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_minute(nz(shape.refill)))
        .allow_burst(nz(shape.burst))
}

/// The token buckets of one client.
pub struct Limiter {
    employees: Family,
    auth: Family,
    default: Family,
    v1: Family,
    follow_headers: bool,
}

impl Limiter {
    pub fn new(cfg: &LimitsConfig) -> Self {
        // A bucket of rate r and burst b admits b + r·60 s requests in any minute; for the
        // classes Personio states as a total per minute the refill leaves room for the burst.
        let window = |name, per_minute, burst| Family::new(name, Limit::Window, per_minute, burst);
        Limiter {
            // Personio documents this one as a rate with bursts (300/min, 15/s), not a window.
            employees: Family::new(
                "employees",
                Limit::Rate,
                cfg.employees_per_minute,
                cfg.employees_burst,
            ),
            auth: window("auth", cfg.auth_per_minute, cfg.auth_burst),
            // v2 resource endpoints are undocumented; they get the v1 figures.
            default: window("default", cfg.v1_per_minute, cfg.v1_burst),
            v1: window("v1", cfg.v1_per_minute, cfg.v1_burst),
            follow_headers: cfg.follow_headers,
        }
    }

    fn family(&self, bucket: Bucket) -> &Family {
        match bucket {
            Bucket::Employees => &self.employees,
            Bucket::Auth => &self.auth,
            Bucket::Default => &self.default,
        }
    }

    /// The buckets a request to `path` draws from: its own class (unless that is just "every
    /// other v1 endpoint") and the v1 budget.
    fn families(&self, path: &str) -> impl Iterator<Item = &Family> {
        let bucket = Bucket::for_path(path);
        let v1 = counts_against_v1(path);
        let own = (!(v1 && bucket == Bucket::Default)).then(|| self.family(bucket));
        own.into_iter().chain(v1.then_some(&self.v1))
    }

    /// Waits until one request to `path` may be sent.
    pub async fn acquire(&self, path: &str) {
        // Relaxed limits (load tests) are not shared either.
        let shared = SHARED_BUDGET.get().filter(|_| self.follow_headers);
        for family in self.families(path) {
            family.acquire().await;
            if let Some(budget) = shared {
                family.acquire_shared(budget.as_ref()).await;
            }
        }
    }

    /// Takes a token for `path` if one is free now, without waiting.
    pub fn try_acquire(&self, path: &str) -> bool {
        self.families(path)
            .all(|f| f.current().is_some_and(|b| b.check().is_ok()))
    }

    /// Learns from a response to `path`: follows a lower `X-RateLimit-Limit`, and when
    /// `X-RateLimit-Remaining` is 0 pauses the class — until `X-RateLimit-Reset` after a 429
    /// (Personio refused: wait as told), but only one refill interval (60 s / limit) after a
    /// success, because a reset on a success counts until the bucket is *full* again, and the
    /// next single request is allowed long before that.
    pub fn observe(&self, path: &str, throttled: bool, headers: &HeaderMap) {
        if !self.follow_headers {
            return;
        }
        let bucket = Bucket::for_path(path);
        // Personio names the limit of the class that answered; "other" v1 endpoints share the v1 one.
        let family = match bucket {
            Bucket::Default if counts_against_v1(path) => &self.v1,
            b => self.family(b),
        };
        let limit = header_u64(headers, "x-ratelimit-limit");
        // A v2 answer names the limit of its own endpoint (persons, absence periods, …), which
        // Personio keeps separately; the one bucket all v2 endpoints share is not cut to it.
        let per_endpoint = bucket == Bucket::Default && !counts_against_v1(path);
        if let Some(limit) = limit.filter(|_| !per_endpoint) {
            family.tighten(u32::try_from(limit).unwrap_or(u32::MAX));
        }
        let Some(wait) = reset_wait(headers) else {
            return;
        };
        if throttled {
            family.pause_for(wait);
        } else {
            let per_minute = limit.unwrap_or_else(|| u64::from(family.shape().refill));
            let interval =
                Duration::from_secs(60) / u32::try_from(per_minute.max(1)).unwrap_or(u32::MAX);
            family.pause_for(wait.min(interval));
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
        assert!(counts_against_v1("/v1/company/time-offs"));
        assert!(!counts_against_v1("/v2/persons"));
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
                limiter.try_acquire("/v1/company/employees"),
                "request {i} of the burst"
            );
        }
        assert!(
            !limiter.try_acquire("/v1/company/employees"),
            "the 16th must wait"
        );
        assert!(
            limiter.try_acquire("/v1/company/time-offs"),
            "other classes are independent"
        );
    }

    #[test]
    fn other_endpoints_take_a_hundred_back_to_back_without_waiting() {
        // 30 calls of list_absences (2 requests) or create_time_off (3) must not be paced.
        let limiter = Limiter::new(&LimitsConfig::default());
        for i in 0..100 {
            assert!(limiter.try_acquire("/v1/company/time-offs"), "request {i}");
        }
    }

    #[test]
    fn after_the_v1_burst_requests_go_on_at_the_steady_rate_not_one_a_minute() {
        // The v1 budget's total is 2,000 a minute: a burst of 1,000, then 1,000 a minute (one
        // every 60 ms). Once, the total was configured as the refill, and the bucket refilled at
        // 1,000 − 1,000, i.e. one request a minute after a busy spell.
        let limiter = Limiter::new(&LimitsConfig::default());
        let path = "/v1/company/time-offs";
        for i in 0..1_000 {
            assert!(limiter.try_acquire(path), "request {i} of the burst");
        }
        assert!(!limiter.try_acquire(path), "the burst is spent");
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            limiter.try_acquire(path),
            "200 ms after the burst at least one more request is allowed"
        );
        let shape = limiter.v1.shape();
        assert_eq!((shape.burst, shape.refill), (1_000, 1_000));
    }

    #[test]
    fn a_lower_announced_total_keeps_burst_and_refill_within_it() {
        let limiter = Limiter::new(&LimitsConfig::default());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("40"));
        limiter.observe("/v1/auth", false, &h);
        let shape = limiter.auth.shape();
        assert_eq!(shape.burst + shape.refill, 40, "{shape:?}");
        assert!(
            !limiter.try_acquire("/v1/auth"),
            "the cut bucket starts spent, not with a fresh burst on top of this minute's requests"
        );
        // Announcing the documented 60 again (or more) does not loosen it back, nor does 40 again.
        for again in ["60", "40"] {
            h.insert("x-ratelimit-limit", HeaderValue::from_static(again));
            limiter.observe("/v1/auth", false, &h);
            assert_eq!(limiter.auth.shape(), shape);
        }
        // A window of 1: one request now, the next a minute later (governor admits at most
        // burst + refill − 1 in any minute). Announced again, it keeps the same, spent bucket.
        h.insert("x-ratelimit-limit", HeaderValue::from_static("1"));
        limiter.observe("/v1/auth", false, &h);
        assert_eq!(
            limiter.auth.shape(),
            Shape {
                refill: 1,
                burst: 1
            }
        );
        let bucket = limiter.auth.current().map(|b| Arc::as_ptr(&b));
        limiter.observe("/v1/auth", false, &h);
        assert_eq!(limiter.auth.current().map(|b| Arc::as_ptr(&b)), bucket);
        assert!(!limiter.try_acquire("/v1/auth"));
    }

    #[test]
    fn a_v2_endpoint_limit_does_not_cut_the_bucket_all_v2_endpoints_share() {
        let limiter = Limiter::new(&LimitsConfig::default());
        let before = limiter.default.shape();
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("600"));
        limiter.observe("/v2/absence-periods", false, &h);
        assert_eq!(limiter.default.shape(), before);
        // The same header on a v1 route does cut the v1 budget.
        limiter.observe("/v1/company/time-offs", false, &h);
        assert_eq!(limiter.v1.shape().per_minute(Limit::Window), 600);
    }

    #[test]
    fn a_lower_announced_limit_shrinks_the_bucket_and_a_higher_one_does_not() {
        let limiter = Limiter::new(&LimitsConfig::default());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
        limiter.observe("/v1/company/employees", false, &h);
        for _ in 0..15 {
            assert!(limiter.try_acquire("/v1/company/employees"));
        }
        let limiter = Limiter::new(&LimitsConfig::default());
        h.insert("x-ratelimit-limit", HeaderValue::from_static("2"));
        limiter.observe("/v1/company/employees", false, &h);
        assert_eq!(
            limiter.employees.shape(),
            Shape {
                refill: 2,
                burst: 2
            }
        );
        assert!(
            !limiter.try_acquire("/v1/company/employees"),
            "the cut bucket starts spent"
        );
        assert!(
            limiter.try_acquire("/v1/company/time-offs"),
            "other classes are not cut"
        );
    }

    #[test]
    fn a_spent_budget_pauses_until_reset_after_a_429_but_one_interval_after_a_success() {
        let limiter = Limiter::new(&LimitsConfig::default());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("300"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("3"));
        let paused = |l: &Limiter| {
            l.employees
                .paused_until
                .lock()
                .ok()
                .and_then(|p| *p)
                .map(|u| u.saturating_duration_since(Instant::now()))
                .unwrap_or_default()
        };
        limiter.observe("/v1/company/employees", false, &h);
        assert!(
            paused(&limiter) <= Duration::from_millis(200),
            "{:?}",
            paused(&limiter)
        );
        assert!(paused(&limiter) > Duration::ZERO);
        limiter.observe("/v1/company/employees", true, &h);
        assert!(
            paused(&limiter) > Duration::from_secs(2),
            "{:?}",
            paused(&limiter)
        );
    }

    #[test]
    fn relaxed_limits_ignore_the_headers() {
        let limiter = Limiter::new(&LimitsConfig::relaxed());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("1"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        limiter.observe("/v1/company/employees", true, &h);
        for _ in 0..100 {
            assert!(limiter.try_acquire("/v1/company/employees"));
        }
    }
}
