//! The state behind single use, idempotency and page approvals, kept outside process memory.
//!
//! A confirmation token that was used once must stay used after a restart (else a restart turns a
//! booked-then-deleted absence into a replayable one), an idempotency key must still replay its
//! first result, and a person's "yes" on the confirmation page must be spent exactly once. These
//! need a store that survives restarts and, later (Redis), replicas. Every operation here is atomic
//! on its own: the write path never reads, decides and writes back in two steps.
//!
//! Implementations: [`MemoryStore`] (moka; one process, lost on restart — tests and `token` mode
//! without a state directory) and [`EmbeddedStore`] (redb in a directory; survives restarts, one
//! process per directory). Both are bounded in entries and in time and fail closed when full: a
//! store that evicted live entries to make room would forget used tokens, and so re-open them.
//! [`RedisStore`] (`--state redis://…`) is the one truth of several replicas (issue 19); with it
//! come the shared Personio rate budget ([`redis_budget`]) and per-employee write leases
//! ([`redis_lease`]).
//!
//! Times are wall-clock milliseconds since the Unix epoch ([`UnixMillis`]): an expiry must mean the
//! same thing after a restart, which a monotonic `Instant` cannot.

pub mod approvals;
pub mod changes;
pub mod embedded;
pub mod memory;
pub mod redis;
pub mod redis_budget;
pub mod redis_conn;
pub mod redis_feed;
pub mod redis_lease;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};

pub use approvals::{
    ApprovalAction, ApprovalId, ApprovalState, ApprovalView, Approvals, BalanceEffect,
    ConfirmPageHost, ConsumeOutcome, CreatedApproval, Decision, DecisionOutcome, LoadedApproval,
    QuantityUnit,
};
pub use embedded::EmbeddedStore;
pub use memory::MemoryStore;
pub use redis::RedisStore;

/// Wall-clock milliseconds since the Unix epoch.
pub type UnixMillis = u64;

/// The longest key the store accepts (bytes). Keys are ids and digests, never free text.
pub const MAX_KEY_BYTES: usize = 512;
/// The largest stored value (bytes of its JSON): a tool result or an approval's view data.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// The default entry cap of a store (all kinds together).
pub const DEFAULT_MAX_ENTRIES: u64 = 100_000;
/// How long an approval is kept after it expired, so that its page can say "expired" (410)
/// rather than "unknown" (404).
pub const APPROVAL_GRACE: Duration = Duration::from_secs(60 * 60);

/// The environment variable and flag that choose the state directory (named in errors).
pub const STATE_DIR_SETTING: &str = "--state-dir / PERSONIO_MCP_STATE_DIR";

/// Now, in [`UnixMillis`].
pub fn now_millis() -> UnixMillis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `now + ttl`, saturating.
pub fn expiry_after(ttl: Duration) -> UnixMillis {
    now_millis().saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

/// What an idempotency key remembers: the digest of the request it was first used for and the
/// result to replay (any JSON the write path chooses, e.g. a "pending" marker, then the result).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub digest: String,
    pub result: serde_json::Value,
}

/// The answer of [`StateStore::put_idempotent`].
#[derive(Debug, Clone, PartialEq)]
pub enum PutOutcome {
    /// The key was free and now holds the record.
    Stored,
    /// The key already held this (live) record; nothing was written.
    Existing(IdempotencyRecord),
}

/// Where a page approval stands. Moves only forward: Pending → Approved → Consumed, or
/// Pending → Declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Declined,
    Consumed,
}

/// A page approval as stored. The store does not interpret `view` or `binding`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// What the page shows (an [`ApprovalView`] as JSON).
    pub view: serde_json::Value,
    /// The per-approval CSRF secret the page's form must send back.
    pub csrf_secret: String,
    /// What the approval is for (e.g. principal and request digest), checked when consumed.
    pub binding: String,
    /// After this, nothing can be decided or consumed.
    pub expires_at: UnixMillis,
    pub status: ApprovalStatus,
}

impl ApprovalRecord {
    /// Whether the approval's time is up at `now`.
    pub fn is_expired_at(&self, now: UnixMillis) -> bool {
        now >= self.expires_at
    }

    /// When the store may forget it.
    pub fn purge_at(&self) -> UnixMillis {
        self.expires_at
            .saturating_add(u64::try_from(APPROVAL_GRACE.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The answer of [`StateStore::transition_approval`].
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// The approval was in the expected state and now is in the new one.
    Done(ApprovalRecord),
    /// The approval is in another state; nothing changed.
    Refused(ApprovalStatus),
    /// The approval's time is up; nothing changed.
    Expired,
    /// No such approval (never created, or forgotten after its grace period).
    Missing,
}

/// The operations the write path needs, each atomic.
///
/// Object safe through `async_trait` (one boxed future per call, noise next to an fsync or a
/// network round trip): the store is chosen at start-up (`--state-dir`, `--state redis://…`) and
/// held as `Arc<dyn StateStore>`. Hand-written `BoxFuture` signatures were tried first; three
/// implementations repeated them line for line.
#[async_trait::async_trait]
pub trait StateStore: Send + Sync + fmt::Debug {
    /// Claims a one-time key (a used token's nonce): `true` the first time, `false` while the
    /// claim lives (`ttl`, which should cover the token's own validity).
    async fn claim_once(&self, key: &str, ttl: Duration) -> Result<bool>;

    /// Stores `record` under `key` unless a live record is there; returns the live one if so.
    async fn put_idempotent(
        &self,
        key: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<PutOutcome>;

    /// Replaces the record under `key` (e.g. a "pending" marker by the final result), keeping a
    /// fresh `ttl`. Used only by the holder of the key, after `put_idempotent` stored it.
    async fn replace_idempotent(
        &self,
        key: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<()>;

    /// The live record under `key`, if any.
    async fn get_idempotent(&self, key: &str) -> Result<Option<IdempotencyRecord>>;

    /// Creates a pending approval; CONFLICT if the id exists (ids are random, so this means a bug).
    async fn create_approval(&self, id: &str, record: ApprovalRecord) -> Result<()>;

    /// The approval under `id`, expired or not, until its grace period ends.
    async fn get_approval(&self, id: &str) -> Result<Option<ApprovalRecord>>;

    /// Compare-and-set: moves the approval from `from` to `to` if it is in `from` and not expired.
    async fn transition_approval(
        &self,
        id: &str,
        from: ApprovalStatus,
        to: ApprovalStatus,
    ) -> Result<Transition>;

    /// Why the store cannot take writes now, for `/readyz` (`None`: it can). Only a store on
    /// the network can be down while the process lives.
    fn degraded(&self) -> Option<String> {
        None
    }

    /// Per-employee write leases shared with other replicas, when the store can hold them.
    fn write_leases(&self) -> Option<Arc<dyn crate::domain::time_off::WriteLeases>> {
        None
    }

    /// The channel to the other replicas sharing this store, when there can be any.
    fn change_feed(&self) -> Option<Arc<dyn changes::ChangeFeed>> {
        None
    }
}

/// Bounds of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Live entries of all kinds together; beyond it, new entries are refused (fail closed).
    pub max_entries: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

/// The OS's per-user data directory for this program (e.g. `~/.local/share/personio-mcp` on
/// Linux), or `None` where the OS reports no home directory.
pub fn default_state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "personio-mcp").map(|p| p.data_dir().to_path_buf())
}

/// Checks a key against [`MAX_KEY_BYTES`].
pub(crate) fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(Error::validation(format!(
            "state store key of {} bytes is outside 1..={MAX_KEY_BYTES}",
            key.len()
        )));
    }
    Ok(())
}

/// Serialises a value and checks it against [`MAX_VALUE_BYTES`].
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| internal(format!("could not encode a state entry ({e})")))?;
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(Error::validation(format!(
            "state entry of {} bytes exceeds the limit of {MAX_VALUE_BYTES} bytes",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// The error for a store that is full of live entries.
pub(crate) fn full(max_entries: u64) -> Error {
    Error::new(
        ErrorCode::RateLimited,
        format!("the state store holds its maximum of {max_entries} live entries"),
    )
    .with_hint(
        "Entries expire on their own (confirmations after minutes, idempotency keys after a day); \
try again later.",
    )
}

/// A failure of the store itself (disk, corruption, a lost task). The crate has no internal-error
/// code, so these surface as UPSTREAM_UNAVAILABLE: the write cannot proceed, and retrying later
/// may help.
pub(crate) fn internal(message: impl Into<String>) -> Error {
    Error::new(
        ErrorCode::UpstreamUnavailable,
        format!("state store: {}", message.into()),
    )
}
