//! The Personio sandbox: a faithful simulator of Personio's public API (v1 personnel data and
//! absences; v2 persons, employments, absence types and periods; v1/v2 auth; webhooks), embedded in
//! the binary.
//!
//! It is the upstream of every integration test and benchmark, and the backend of
//! `personio-mcp serve --sandbox`, so it reproduces Personio's quirks (REFERENCE.md §11) rather than
//! the letter of the OpenAPI spec. It is "the outside world": it shares no code with the client,
//! domain, policy or MCP layers. See `docs/sandbox.md` for credentials, admin routes, seeded data and
//! known deviations.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use personio_mcp::sandbox::{SandboxConfig, SandboxHandle};
//! let sandbox = SandboxHandle::start("127.0.0.1:0".parse().unwrap(), SandboxConfig::default()).await?;
//! println!("{}", sandbox.base_url()); // http://127.0.0.1:PORT
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

// Handlers and their helpers return ready-made error responses through `Result<_, Response>`; the
// size of `Response` is irrelevant next to the I/O each request does.
#![allow(clippy::result_large_err)]

mod absences;
mod attributes;
mod auth;
mod calendar;
pub mod cli;
mod clock;
mod data;
mod envelope;
mod faults;
mod limits;
mod names;
mod org;
mod params;
mod routes;
mod seed;
mod state;
mod stats;
mod webhooks;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use faults::FaultConfig;

/// Client id of the credential that reads every attribute and may write absences.
pub const FULL_CLIENT_ID: &str = "sandbox-client";
/// Client id of the credential with a narrow attribute whitelist and no absence scope.
pub const LIMITED_CLIENT_ID: &str = "sandbox-limited";
/// Secret of both sandbox credentials.
pub const CLIENT_SECRET: &str = "sandbox-secret";

/// How long [`SandboxHandle::shutdown`] waits for in-flight requests before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Number of seeded employees (default 250; tested up to 100,000).
    pub employees: usize,
    /// Seed of the generated company; same seed (and `today`) ⇒ same data.
    pub seed: u64,
    /// `false` (default) enforces Personio's real rate limits; `true` disables them for load tests.
    pub relaxed_limits: bool,
    /// Faults active from the start (changeable at runtime through `/__sandbox/faults`).
    pub faults: FaultConfig,
    /// The simulated current date (default: today in Berlin, the account time zone). Absences are seeded over its
    /// calendar year and balances are computed as of it. Years 1900–9999 are accepted.
    pub today: NaiveDate,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            employees: 250,
            seed: 42,
            relaxed_limits: false,
            faults: FaultConfig::default(),
            today: chrono::Utc::now()
                .with_timezone(&chrono_tz::Europe::Berlin)
                .date_naive(),
        }
    }
}

/// A running sandbox. Dropping it signals a graceful shutdown; [`SandboxHandle::shutdown`] also
/// waits for it.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    /// Stops pending webhook deliveries when the sandbox goes away.
    deliveries: CancellationToken,
}

impl SandboxHandle {
    /// Binds `bind` (port 0 picks a free port), seeds the company and serves in a background task.
    pub async fn start(bind: SocketAddr, config: SandboxConfig) -> std::io::Result<SandboxHandle> {
        if !(1900..=9999).contains(&config.today.year()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "sandbox today must lie in the years 1900-9999, got {}",
                    config.today
                ),
            ));
        }
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        // A wildcard bind is reachable on loopback; report that so the URL is always usable.
        let url_addr = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
            }
            _ => addr,
        };
        let base_url = format!("http://{url_addr}");

        let (employees, seed, today) = (config.employees, config.seed, config.today);
        let seeded = tokio::task::spawn_blocking(move || seed::generate(employees, seed, today))
            .await
            .map_err(std::io::Error::other)?;
        tracing::info!(
            %base_url,
            employees = seeded.company.len(),
            seed,
            %today,
            relaxed_limits = config.relaxed_limits,
            "sandbox started"
        );
        let deliveries = CancellationToken::new();
        let state = Arc::new(state::AppState {
            company: RwLock::new(seeded.company),
            absences: RwLock::new(seeded.absences),
            tokens: auth::TokenStore::default(),
            limits: limits::Limits::new(config.relaxed_limits),
            faults: faults::Faults::new(config.faults),
            stats: stats::Stats::default(),
            webhooks: webhooks::Webhooks::new(deliveries.clone()),
            clock: clock::SandboxClock::new(today),
            base_url: base_url.clone(),
            seed,
            relaxed_limits: config.relaxed_limits,
        });
        let app = routes::router(state);
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok(SandboxHandle {
            addr,
            base_url,
            shutdown: Some(tx),
            server: Some(server),
            deliveries,
        })
    }

    /// `http://127.0.0.1:PORT` — no trailing slash, no `/v1`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets in-flight requests finish (up to a few seconds) and waits
    /// for the server task.
    pub async fn shutdown(mut self) {
        self.deliveries.cancel();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut server) = self.server.take() {
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(Ok(Ok(()))) => tracing::debug!("sandbox stopped"),
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "sandbox server ended with an error"),
                Ok(Err(e)) => tracing::warn!(error = %e, "sandbox server task failed"),
                Err(_) => {
                    tracing::warn!("sandbox did not stop in time; aborting open connections");
                    server.abort();
                }
            }
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.deliveries.cancel();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
