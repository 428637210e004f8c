//! [`EmbeddedStore`]: the state store in a directory (redb), surviving restarts.
//!
//! One redb file, `state.redb`, in the state directory (`--state-dir` / `PERSONIO_MCP_STATE_DIR`,
//! default the OS's per-user data directory). redb is a pure-Rust, crash-safe (copy-on-write,
//! fsync on commit) embedded key-value store; it serialises write transactions, which makes every
//! read-decide-write below atomic, and in its default `ExclusiveWriter` mode it locks the whole
//! file, so a second process on the same directory gets a clear error instead of a shared
//! "used tokens" list that each process overwrites.
//!
//! Bounds: every entry carries its wall-clock purge time as an 8-byte big-endian prefix, so a sweep
//! reads no JSON. Expired entries read as absent, are swept on open (followed by a compaction that
//! gives the space back), every [`SWEEP_EVERY`] inserts and whenever the entry cap is reached; at
//! the cap after a sweep, new entries are refused (fail closed). Keys and values are capped
//! ([`super::MAX_KEY_BYTES`], [`super::MAX_VALUE_BYTES`]), so the file is bounded by
//! `max_entries × (key + value)` plus redb's page overhead.
//!
//! redb is blocking; every operation runs on tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redb::{
    CompactionMode, Database, DatabaseError, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, Table, TableDefinition,
};
use serde::{Deserialize, Serialize};

use super::{
    ApprovalRecord, ApprovalStatus, IdempotencyRecord, PutOutcome, STATE_DIR_SETTING, StateStore,
    StoreLimits, Transition, UnixMillis, check_key, default_state_dir, encode, expiry_after, full,
    internal, now_millis,
};
use crate::error::{Error, ErrorCode, Result};

/// The file inside the state directory.
pub const STATE_FILE: &str = "state.redb";
/// Inserts between two opportunistic sweeps of expired entries.
pub const SWEEP_EVERY: u64 = 1024;

/// All entries in one table, keys prefixed by kind (`o:` one-time, `i:` idempotency, `a:`
/// approval), so that one O(1) `len()` gives the count the cap applies to.
const ENTRIES: TableDefinition<&str, &[u8]> = TableDefinition::new("entries_v1");

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Slot {
    Once,
    Idempotent(IdempotencyRecord),
    Approval(ApprovalRecord),
}

fn pack(purge_at: UnixMillis, slot: &Slot) -> Result<Vec<u8>> {
    let json = encode(slot)?;
    let mut out = Vec::with_capacity(8 + json.len());
    out.extend_from_slice(&purge_at.to_be_bytes());
    out.extend_from_slice(&json);
    Ok(out)
}

fn purge_at_of(bytes: &[u8]) -> UnixMillis {
    bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

/// The slot of a live entry; `None` for an expired one. An undecodable entry is an error (the file
/// was written by something else), never silently "absent".
fn unpack_live(bytes: &[u8], now: UnixMillis) -> Result<Option<(UnixMillis, Slot)>> {
    let purge_at = purge_at_of(bytes);
    if purge_at <= now {
        return Ok(None);
    }
    let slot = serde_json::from_slice(bytes.get(8..).unwrap_or_default())
        .map_err(|e| internal(format!("an entry could not be decoded ({e})")))?;
    Ok(Some((purge_at, slot)))
}

fn db_err(e: impl Into<redb::Error>) -> Error {
    internal(e.into().to_string())
}

struct Inner {
    db: Database,
    dir: PathBuf,
    limits: StoreLimits,
    inserts: AtomicU64,
}

/// The redb-backed [`StateStore`].
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("dir", &self.inner.dir)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

/// Creates the directory, private to the user on Unix (it holds CSRF secrets and write results).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`, or in the OS's per-user data directory when `None`.
    pub fn open(dir: Option<PathBuf>) -> Result<Self> {
        EmbeddedStore::open_with(dir, StoreLimits::default())
    }

    /// [`EmbeddedStore::open`] with other bounds.
    pub fn open_with(dir: Option<PathBuf>, limits: StoreLimits) -> Result<Self> {
        let dir = match dir.or_else(default_state_dir) {
            Some(dir) => dir,
            None => {
                return Err(Error::validation(
                    "no per-user data directory is known on this system for the state store",
                )
                .with_hint(format!("Choose a directory with {STATE_DIR_SETTING}.")));
            }
        };
        create_private_dir(&dir).map_err(|e| {
            Error::validation(format!(
                "the state directory {} cannot be created ({e})",
                dir.display()
            ))
            .with_hint(format!(
                "Choose a writable directory with {STATE_DIR_SETTING}."
            ))
        })?;
        let path = dir.join(STATE_FILE);
        let mut db = Database::create(&path).map_err(|e| open_error(&dir, e))?;
        sweep_all(&db)?;
        db.compact(CompactionMode::Balanced).map_err(db_err)?;
        Ok(EmbeddedStore {
            inner: Arc::new(Inner {
                db,
                dir,
                limits,
                inserts: AtomicU64::new(0),
            }),
        })
    }

    /// The directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Entries in the file, live or not yet swept.
    pub async fn len(&self) -> Result<u64> {
        self.run(|inner| {
            let tx = inner.db.begin_read().map_err(db_err)?;
            let table = tx.open_table(ENTRIES).map_err(db_err)?;
            table.len().map_err(db_err)
        })
        .await
    }

    /// Whether the file holds no entry at all.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.len().await? == 0)
    }

    /// Removes expired entries now; returns how many are left.
    pub async fn sweep(&self) -> Result<u64> {
        self.run(|inner| sweep_all(&inner.db)).await
    }

    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| internal(format!("a store task failed ({e})")))?
    }

    /// Runs `f` in one write transaction, committed only when `f` changed something.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Writer<'_>) -> Result<T> + Send + 'static,
    {
        self.run(move |inner| {
            let tx = inner.db.begin_write().map_err(db_err)?;
            let (out, changed) = {
                let table = tx.open_table(ENTRIES).map_err(db_err)?;
                let mut w = Writer {
                    table,
                    inner,
                    now: now_millis(),
                    changed: false,
                };
                let out = f(&mut w)?;
                (out, w.changed)
            };
            if changed {
                tx.commit().map_err(db_err)?;
            } else {
                tx.abort().map_err(db_err)?;
            }
            Ok(out)
        })
        .await
    }
}

fn open_error(dir: &Path, e: DatabaseError) -> Error {
    match e {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => Error::new(
            ErrorCode::Conflict,
            format!(
                "the state directory {} is in use by another personio-mcp process",
                dir.display()
            ),
        )
        .with_hint(format!(
            "Give each server process its own state directory with {STATE_DIR_SETTING}, \
or stop the other process."
        )),
        other => internal(format!(
            "the state file in {} cannot be opened ({other})",
            dir.display()
        )),
    }
}

/// Removes expired entries; returns the number left.
fn sweep_all(db: &Database) -> Result<u64> {
    let tx = db.begin_write().map_err(db_err)?;
    let left = {
        let mut table = tx.open_table(ENTRIES).map_err(db_err)?;
        let now = now_millis();
        table.retain(|_, v| purge_at_of(v) > now).map_err(db_err)?;
        table.len().map_err(db_err)?
    };
    tx.commit().map_err(db_err)?;
    Ok(left)
}

/// A write transaction's view of the entries table.
struct Writer<'t> {
    table: Table<'t, &'static str, &'static [u8]>,
    inner: &'t Inner,
    now: UnixMillis,
    changed: bool,
}

impl Writer<'_> {
    fn live(&self, key: &str) -> Result<Option<(UnixMillis, Slot)>> {
        match self.table.get(key).map_err(db_err)? {
            Some(v) => unpack_live(v.value(), self.now),
            None => Ok(None),
        }
    }

    /// Makes room for one new entry: sweeps when due or at the cap; refuses at the cap.
    fn ensure_room(&mut self) -> Result<()> {
        let n = self.inner.inserts.fetch_add(1, Ordering::Relaxed);
        let max = self.inner.limits.max_entries;
        if n % SWEEP_EVERY == SWEEP_EVERY - 1 || self.table.len().map_err(db_err)? >= max {
            let now = self.now;
            self.table
                .retain(|_, v| purge_at_of(v) > now)
                .map_err(db_err)?;
            self.changed = true;
        }
        if self.table.len().map_err(db_err)? >= max {
            return Err(full(max));
        }
        Ok(())
    }

    fn put(&mut self, key: &str, purge_at: UnixMillis, slot: &Slot) -> Result<()> {
        let bytes = pack(purge_at, slot)?;
        self.table.insert(key, bytes.as_slice()).map_err(db_err)?;
        self.changed = true;
        Ok(())
    }
}

#[async_trait::async_trait]
impl StateStore for EmbeddedStore {
    async fn claim_once(&self, key: &str, ttl: Duration) -> Result<bool> {
        check_key(key)?;
        let k = format!("o:{key}");
        self.write(move |w| {
            if w.live(&k)?.is_some() {
                return Ok(false);
            }
            w.ensure_room()?;
            w.put(&k, expiry_after(ttl), &Slot::Once)?;
            Ok(true)
        })
        .await
    }

    async fn put_idempotent(
        &self,
        key: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<PutOutcome> {
        check_key(key)?;
        let k = format!("i:{key}");
        self.write(move |w| match w.live(&k)? {
            Some((_, Slot::Idempotent(existing))) => Ok(PutOutcome::Existing(existing)),
            Some(_) => Err(internal("a key holds an entry of another kind")),
            None => {
                w.ensure_room()?;
                w.put(&k, expiry_after(ttl), &Slot::Idempotent(record))?;
                Ok(PutOutcome::Stored)
            }
        })
        .await
    }

    async fn replace_idempotent(
        &self,
        key: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<()> {
        check_key(key)?;
        let k = format!("i:{key}");
        self.write(move |w| {
            if w.live(&k)?.is_none() {
                w.ensure_room()?;
            }
            w.put(&k, expiry_after(ttl), &Slot::Idempotent(record))
        })
        .await
    }

    async fn get_idempotent(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        check_key(key)?;
        let k = format!("i:{key}");
        match self.read(k).await? {
            Some(Slot::Idempotent(r)) => Ok(Some(r)),
            _ => Ok(None),
        }
    }

    async fn create_approval(&self, id: &str, record: ApprovalRecord) -> Result<()> {
        check_key(id)?;
        let k = format!("a:{id}");
        self.write(move |w| {
            if w.live(&k)?.is_some() {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    "an approval with this id already exists",
                ));
            }
            w.ensure_room()?;
            let purge_at = record.purge_at();
            w.put(&k, purge_at, &Slot::Approval(record))
        })
        .await
    }

    async fn get_approval(&self, id: &str) -> Result<Option<ApprovalRecord>> {
        check_key(id)?;
        match self.read(format!("a:{id}")).await? {
            Some(Slot::Approval(r)) => Ok(Some(r)),
            _ => Ok(None),
        }
    }

    async fn transition_approval(
        &self,
        id: &str,
        from: ApprovalStatus,
        to: ApprovalStatus,
    ) -> Result<Transition> {
        check_key(id)?;
        let k = format!("a:{id}");
        self.write(move |w| match w.live(&k)? {
            Some((purge_at, Slot::Approval(mut r))) => {
                if r.is_expired_at(w.now) {
                    Ok(Transition::Expired)
                } else if r.status != from {
                    Ok(Transition::Refused(r.status))
                } else {
                    r.status = to;
                    let slot = Slot::Approval(r);
                    w.put(&k, purge_at, &slot)?;
                    match slot {
                        Slot::Approval(r) => Ok(Transition::Done(r)),
                        _ => Ok(Transition::Missing),
                    }
                }
            }
            _ => Ok(Transition::Missing),
        })
        .await
    }
}

impl EmbeddedStore {
    /// The live slot under a full key, read in a read transaction (no writer lock taken).
    async fn read(&self, key: String) -> Result<Option<Slot>> {
        self.run(move |inner| {
            let tx = inner.db.begin_read().map_err(db_err)?;
            let table = tx.open_table(ENTRIES).map_err(db_err)?;
            match table.get(key.as_str()).map_err(db_err)? {
                Some(v) => Ok(unpack_live(v.value(), now_millis())?.map(|(_, slot)| slot)),
                None => Ok(None),
            }
        })
        .await
    }
}
