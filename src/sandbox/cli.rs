//! `personio-mcp sandbox`: run a standalone sandbox until SIGINT/SIGTERM.
//!
//! The first (and only) stdout line is the base URL, flushed immediately, so scripts and tests can
//! read it and connect; logs go to stderr via `tracing`.

use std::io::Write;
use std::net::SocketAddr;

use chrono::NaiveDate;

use super::{FaultConfig, SandboxConfig, SandboxHandle};

/// Options of the `sandbox` command.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
    /// Number of seeded employees.
    #[arg(long, default_value_t = 250)]
    pub employees: usize,
    /// Seed of the generated company (same seed ⇒ same data).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Disable Personio's rate limits (for load tests).
    #[arg(long)]
    pub relaxed_limits: bool,
    /// Initial fault injection, as the JSON accepted by `PUT /__sandbox/faults`,
    /// e.g. '{"server_error_every":3}'.
    #[arg(long, value_name = "JSON")]
    pub faults: Option<String>,
    /// Simulated current date (YYYY-MM-DD); defaults to today in Europe/Berlin (the account time zone).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
}

/// Starts the sandbox, prints its base URL, serves until SIGINT/SIGTERM, then shuts down gracefully.
pub async fn run(args: SandboxArgs) -> std::io::Result<()> {
    let faults = match args.faults.as_deref() {
        None => FaultConfig::default(),
        Some(json) => FaultConfig::from_json(json).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("--faults: {e}"))
        })?,
    };
    let mut config = SandboxConfig {
        employees: args.employees,
        seed: args.seed,
        relaxed_limits: args.relaxed_limits,
        faults,
        ..SandboxConfig::default()
    };
    if let Some(today) = args.today {
        config.today = today;
    }
    let handle = SandboxHandle::start(args.bind, config).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", handle.base_url())?;
        out.flush()?;
    }
    wait_for_signal().await?;
    tracing::info!("signal received, shutting down the sandbox");
    handle.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
