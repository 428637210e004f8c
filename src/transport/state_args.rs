//! `--state redis://…`: the state shared by several replicas of the server (issue 19).
//!
//! Kept apart from `cli.rs` (one flattened line there) because it is one concern: where the
//! shared truth lives, how to log in to it, and how many replicas share Personio's budget when
//! it is unreachable.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::config::parse_secret;
use crate::error::Result;
use crate::personio::limits::share_budget;
use crate::policy::state::RedisStore;
use crate::policy::state::StateStore;
use crate::policy::state::redis_budget::RedisBudget;

/// The shared state settings.
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// Shared state for several replicas: redis://HOST:PORT/DB or rediss://HOST:PORT/DB (TLS).
    /// Idempotency keys, used confirmation tokens, page approvals, the Personio rate budget and
    /// per-employee write leases then live there. Wins over --state-dir. Put the password in
    /// PERSONIO_MCP_STATE_PASSWORD, not in a URL on the command line.
    #[arg(long = "state", env = "PERSONIO_MCP_STATE_URL", value_name = "URL", hide_env_values = true, value_parser = parse_secret)]
    pub state_url: Option<SecretString>,
    /// The Redis password (PERSONIO_MCP_STATE_PASSWORD; environment only). Replaces one in the URL.
    #[arg(long, env = "PERSONIO_MCP_STATE_PASSWORD", hide = true, hide_env_values = true, value_parser = parse_secret)]
    pub state_password: Option<SecretString>,
    /// How many replicas share the Personio credential: when Redis is unreachable, each paces
    /// itself to 1/N of Personio's limits.
    #[arg(long, env = "PERSONIO_MCP_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub replicas: u32,
}

impl StateArgs {
    /// The shared store when `--state` is given (and the process's Personio budget shared
    /// through it); `None` otherwise.
    pub fn open(&self) -> Result<Option<Arc<dyn StateStore>>> {
        let Some(url) = self
            .state_url
            .as_ref()
            .filter(|u| !u.expose_secret().is_empty())
        else {
            return Ok(None);
        };
        let store = RedisStore::connect(url, self.state_password.as_ref())?;
        share_budget(Arc::new(RedisBudget::new(
            store.conn().clone(),
            self.replicas,
        )));
        tracing::info!(
            store = %store.target(),
            replicas = self.replicas,
            "shared state in Redis: idempotency, confirmations, approvals, Personio rate budget, write leases"
        );
        Ok(Some(Arc::new(store)))
    }
}
