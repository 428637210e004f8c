//! [`MemoryStore`]: the state store of one process, in memory (moka).
//!
//! For tests and for servers without a state directory. Lost on restart, so a used token becomes
//! usable again after one (within its validity): use [`super::EmbeddedStore`] where that matters.
//!
//! moka gives per-entry expiry and atomic per-key compute (`and_compute_with`), which is what
//! claim-once and compare-and-set need. Its size-based eviction is only a backstop (at twice the
//! cap): the store itself refuses new entries at the cap, because evicting a live "used" marker
//! would re-open a token.

use std::future::ready;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};

use super::{
    ApprovalRecord, ApprovalStatus, IdempotencyRecord, PutOutcome, StateStore, StoreLimits,
    Transition, UnixMillis, check_key, encode, expiry_after, full, now_millis,
};
use crate::error::{Error, ErrorCode, Result};

#[derive(Debug)]
enum Slot {
    Once,
    Idempotent(IdempotencyRecord),
    Approval(ApprovalRecord),
}

impl Slot {
    fn idempotent(&self) -> Option<IdempotencyRecord> {
        match self {
            Slot::Idempotent(r) => Some(r.clone()),
            _ => None,
        }
    }

    fn approval(&self) -> Option<ApprovalRecord> {
        match self {
            Slot::Approval(r) => Some(r.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    purge_at: UnixMillis,
    slot: Arc<Slot>,
}

impl Entry {
    fn live_at(&self, now: UnixMillis) -> bool {
        self.purge_at > now
    }
}

/// moka expires each entry at its own wall-clock `purge_at`.
struct ByPurgeAt;

fn remaining(purge_at: UnixMillis) -> Duration {
    Duration::from_millis(purge_at.saturating_sub(now_millis()))
}

impl Expiry<String, Entry> for ByPurgeAt {
    fn expire_after_create(&self, _key: &String, value: &Entry, _at: Instant) -> Option<Duration> {
        Some(remaining(value.purge_at))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        _at: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(remaining(value.purge_at))
    }
}

/// The in-memory [`StateStore`].
#[derive(Clone)]
pub struct MemoryStore {
    cache: Cache<String, Entry>,
    limits: StoreLimits,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(StoreLimits::default())
    }
}

fn once_key(key: &str) -> String {
    format!("o:{key}")
}
fn idem_key(key: &str) -> String {
    format!("i:{key}")
}
fn approval_key(id: &str) -> String {
    format!("a:{id}")
}

impl MemoryStore {
    pub fn new(limits: StoreLimits) -> Self {
        let cache = Cache::builder()
            .max_capacity(limits.max_entries.saturating_mul(2))
            .expire_after(ByPurgeAt)
            .build();
        MemoryStore { cache, limits }
    }

    /// Live entries now (after moka's pending maintenance).
    pub async fn len(&self) -> u64 {
        self.cache.run_pending_tasks().await;
        self.cache.entry_count()
    }

    /// Whether the store holds no live entry.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }

    /// Refuses a new entry when the store is at its cap (fail closed; see the module doc).
    /// moka counts entries lazily, so the count is brought up to date first: a write path that
    /// waits for a person can afford it.
    async fn ensure_room(&self) -> Result<()> {
        self.cache.run_pending_tasks().await;
        if self.cache.entry_count() < self.limits.max_entries {
            Ok(())
        } else {
            Err(full(self.limits.max_entries))
        }
    }

    async fn live(&self, key: &str) -> Option<Entry> {
        let now = now_millis();
        self.cache.get(key).await.filter(|e| e.live_at(now))
    }

    /// The live entry under `key` as `pick` sees it (`None`: absent, expired or another kind).
    async fn live_as<T>(&self, key: &str, pick: impl Fn(&Slot) -> Option<T>) -> Option<T> {
        self.live(key).await.and_then(|e| pick(&e.slot))
    }

    /// Stores `slot` under `key` unless a live entry is there, in one atomic step (after the
    /// room check). `Unchanged` carries the live entry that won.
    async fn insert_unless_live(
        &self,
        key: String,
        purge_at: UnixMillis,
        slot: Slot,
    ) -> Result<CompResult<String, Entry>> {
        self.ensure_room().await?;
        let now = now_millis();
        let fresh = Entry {
            purge_at,
            slot: Arc::new(slot),
        };
        Ok(self
            .cache
            .entry(key)
            .and_compute_with(|current| {
                ready(match current {
                    Some(e) if e.value().live_at(now) => Op::Nop,
                    _ => Op::Put(fresh),
                })
            })
            .await)
    }
}

#[async_trait::async_trait]
impl StateStore for MemoryStore {
    async fn claim_once(&self, key: &str, ttl: Duration) -> Result<bool> {
        check_key(key)?;
        let k = once_key(key);
        if self.live(&k).await.is_some() {
            return Ok(false);
        }
        let outcome = self
            .insert_unless_live(k, expiry_after(ttl), Slot::Once)
            .await?;
        Ok(matches!(
            outcome,
            CompResult::Inserted(_) | CompResult::ReplacedWith(_)
        ))
    }

    async fn put_idempotent(
        &self,
        key: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<PutOutcome> {
        check_key(key)?;
        encode(&record)?;
        let k = idem_key(key);
        let existing = self.live_as(&k, Slot::idempotent);
        if let Some(r) = existing.await {
            return Ok(PutOutcome::Existing(r));
        }
        let outcome = self
            .insert_unless_live(k, expiry_after(ttl), Slot::Idempotent(record))
            .await?;
        match outcome {
            CompResult::Unchanged(e) => match e.value().slot.as_ref() {
                Slot::Idempotent(r) => Ok(PutOutcome::Existing(r.clone())),
                _ => Err(Error::new(ErrorCode::Conflict, "state key of another kind")),
            },
            _ => Ok(PutOutcome::Stored),
        }
    }

    async fn replace_idempotent(
        &self,
        key: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<()> {
        check_key(key)?;
        encode(&record)?;
        let k = idem_key(key);
        if self.live(&k).await.is_none() {
            self.ensure_room().await?;
        }
        let entry = Entry {
            purge_at: expiry_after(ttl),
            slot: Arc::new(Slot::Idempotent(record)),
        };
        self.cache.insert(k, entry).await;
        Ok(())
    }

    async fn get_idempotent(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        check_key(key)?;
        Ok(self.live_as(&idem_key(key), Slot::idempotent).await)
    }

    async fn create_approval(&self, id: &str, record: ApprovalRecord) -> Result<()> {
        check_key(id)?;
        encode(&record)?;
        let outcome = self
            .insert_unless_live(approval_key(id), record.purge_at(), Slot::Approval(record))
            .await?;
        match outcome {
            CompResult::Unchanged(_) => Err(Error::new(
                ErrorCode::Conflict,
                "an approval with this id already exists",
            )),
            _ => Ok(()),
        }
    }

    async fn get_approval(&self, id: &str) -> Result<Option<ApprovalRecord>> {
        check_key(id)?;
        Ok(self.live_as(&approval_key(id), Slot::approval).await)
    }

    async fn transition_approval(
        &self,
        id: &str,
        from: ApprovalStatus,
        to: ApprovalStatus,
    ) -> Result<Transition> {
        check_key(id)?;
        let now = now_millis();
        let outcome = self
            .cache
            .entry(approval_key(id))
            .and_compute_with(|current| {
                let op = match current.as_ref().map(|e| e.value()) {
                    Some(e) if e.live_at(now) => match e.slot.as_ref() {
                        Slot::Approval(r) if r.status == from && !r.is_expired_at(now) => {
                            let mut next = r.clone();
                            next.status = to;
                            Op::Put(Entry {
                                purge_at: e.purge_at,
                                slot: Arc::new(Slot::Approval(next)),
                            })
                        }
                        _ => Op::Nop,
                    },
                    _ => Op::Nop,
                };
                ready(op)
            })
            .await;
        Ok(match outcome {
            CompResult::ReplacedWith(e) | CompResult::Inserted(e) => {
                match e.value().slot.as_ref() {
                    Slot::Approval(r) => Transition::Done(r.clone()),
                    _ => Transition::Missing,
                }
            }
            CompResult::Unchanged(e) => match e.value().slot.as_ref() {
                Slot::Approval(_) if !e.value().live_at(now) => Transition::Missing,
                Slot::Approval(r) if r.is_expired_at(now) => Transition::Expired,
                Slot::Approval(r) => Transition::Refused(r.status),
                _ => Transition::Missing,
            },
            CompResult::StillNone(_) | CompResult::Removed(_) => Transition::Missing,
        })
    }
}
