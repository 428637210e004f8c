//! The employee directory: every employee loaded once, searched locally, refreshed incrementally.
//!
//! Personio has no name filter and allows 300 employee requests a minute (REFERENCE.md §6), so
//! searching upstream per query would page through the whole company each time. Instead the
//! directory loads all employees once (⌈N/100⌉ requests, projected to the attributes the tools
//! use), answers searches from memory, and after `refresh_after` asks only for employees changed
//! since the last sync (`updated_since`). Deletions and terminations can't be seen that way
//! (REFERENCE.md §11.9), so a full reload runs every `full_reload_after`. Loads are single-flight
//! background tasks: concurrent callers on a cold or stale directory wait for one load, and a
//! caller that stops waiting leaves it running.
//!
//! Ranking a name query needs the whole company (the best match, the total and an ambiguity can
//! sit on any page, and Personio lists in id order), so name searches wait for the load. What
//! Personio can answer directly does not: an exact email is one filtered request
//! ([`Directory::lookup_email`]), an id one request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, TryStreamExt};
use tokio::sync::{RwLock, watch};

pub use super::snapshot::{Entry, Ranked, Snapshot};
use crate::error::Result;
use crate::personio::{Employee, EmployeeQuery, PersonioClient};

/// The attributes the directory asks for (`attributes[]`); nothing sensitive is ever loaded.
pub const DIRECTORY_ATTRIBUTES: &[&str] = &[
    "id", "first_name", "last_name", "preferred_name", "email", "status", "position", "department",
    "office", "team", "supervisor", "hire_date", "termination_date", "last_modified_at",
];

/// How fresh the directory stays.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    /// After this, the next read first fetches changes since the last sync.
    pub refresh_after: Duration,
    /// After this, the next read reloads everything (catches deletions).
    pub full_reload_after: Duration,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        DirectoryConfig {
            refresh_after: Duration::from_secs(5 * 60),
            full_reload_after: Duration::from_secs(60 * 60),
        }
    }
}

struct State {
    snapshot: Arc<Snapshot>,
    loaded_at: Instant,
    full_at: Instant,
    /// Server-side time (UTC) of the last sync, for `updated_since`.
    synced_at: chrono::DateTime<Utc>,
}

/// Progress callback: employees loaded so far.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// A load in progress, shared by everyone waiting for it.
type Loading = Shared<BoxFuture<'static, Result<Arc<Snapshot>>>>;

/// The shared directory cache.
///
/// Loads run as their own tasks: a caller that gives up (a cancelled or timed-out tool call)
/// does not abort the load, the next caller joins it, and every waiter sees its progress.
pub struct Directory {
    shared: Arc<Inner>,
}

struct Inner {
    client: PersonioClient,
    config: DirectoryConfig,
    state: RwLock<Option<State>>,
    /// The load in progress, if any (single-flight).
    loading: std::sync::Mutex<Option<Loading>>,
    /// Employees read so far by the load in progress.
    loaded: watch::Sender<u64>,
}

impl Directory {
    pub fn new(client: PersonioClient, config: DirectoryConfig) -> Self {
        Directory {
            shared: Arc::new(Inner {
                client,
                config,
                state: RwLock::new(None),
                loading: std::sync::Mutex::new(None),
                loaded: watch::Sender::new(0),
            }),
        }
    }

    pub fn client(&self) -> &PersonioClient {
        &self.shared.client
    }

    /// A fresh-enough snapshot, loading or refreshing first if needed. `progress` hears the
    /// number of employees read so far while this caller waits.
    pub async fn snapshot(&self, progress: Option<Progress>) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.shared.fresh().await {
            return Ok(s);
        }
        let mut seen = self.shared.loaded.subscribe();
        let load = self.start_load();
        let Some(p) = progress else {
            return load.await;
        };
        let mut load = std::pin::pin!(load);
        // Progress only ever increases (MCP requires it), and the final count is always told.
        let mut told = 0u64;
        let mut tell = |n: u64| {
            if n > told {
                told = n;
                p(n);
            }
        };
        loop {
            tokio::select! {
                done = &mut load => {
                    if let Ok(s) = &done {
                        tell(s.len() as u64);
                    }
                    return done;
                }
                changed = seen.changed() => {
                    if changed.is_err() {
                        let done = load.await;
                        if let Ok(s) = &done {
                            tell(s.len() as u64);
                        }
                        return done;
                    }
                    let n = *seen.borrow_and_update();
                    tell(n);
                }
            }
        }
    }

    /// Starts loading in the background when the directory is cold or stale, without waiting
    /// (e.g. after a cold email lookup, so the next name search finds it warm).
    pub async fn prefetch(&self) {
        if self.shared.fresh().await.is_none() {
            drop(self.start_load());
        }
    }

    /// The one employee with exactly this email (`None` when nobody, or several people, have
    /// it). Warm: from memory. Cold: one upstream request (Personio filters by exact email), and
    /// the full load starts in the background.
    pub async fn lookup_email(&self, email: &str) -> Result<Option<Arc<Employee>>> {
        if let Some(s) = self.cached().await {
            return Ok(match s.with_email(email).as_slice() {
                [one] => Some(Arc::clone(one)),
                _ => None,
            });
        }
        let found = self
            .shared
            .client
            .employee_by_email(email, DIRECTORY_ATTRIBUTES)
            .await?;
        self.prefetch().await;
        Ok(found.map(Arc::new))
    }

    /// The load in progress, or a new one.
    fn start_load(&self) -> Loading {
        let Ok(mut slot) = self.shared.loading.lock() else {
            // A poisoned slot only means a panic elsewhere; load without sharing.
            let inner = self.shared.clone();
            return async move { inner.load().await }.boxed().shared();
        };
        if let Some(running) = slot.as_ref() {
            return running.clone();
        }
        let inner = self.shared.clone();
        let task = tokio::spawn(async move {
            let result = inner.load().await;
            if let Ok(mut slot) = inner.loading.lock() {
                *slot = None;
            }
            result
        });
        let load: Loading = async move {
            task.await.unwrap_or_else(|_| {
                Err(crate::Error::unavailable(
                    "the directory load stopped unexpectedly",
                ))
            })
        }
        .boxed()
        .shared();
        *slot = Some(load.clone());
        load
    }

    /// The current snapshot, however old, without loading anything (`None` when cold).
    pub async fn cached(&self) -> Option<Arc<Snapshot>> {
        self.shared
            .state
            .read()
            .await
            .as_ref()
            .map(|s| s.snapshot.clone())
    }

    /// Drops the cache; the next read reloads fully.
    pub async fn invalidate(&self) {
        *self.shared.state.write().await = None;
    }

    /// Re-reads one person (one request by id, never a listing) and puts the result into the
    /// cached snapshot, or takes them out when Personio no longer has them. For change
    /// notifications (webhooks), which name the person but carry no data. A cold directory has
    /// nothing to update: its first load reads everyone anyway.
    pub async fn refresh_person(&self, id: i64) -> Result<()> {
        if self.cached().await.is_none() {
            return Ok(());
        }
        let fetched = match self.shared.client.employee(id).await {
            Ok(e) => Some(Arc::new(directory_view(e))),
            Err(e) if e.code == crate::error::ErrorCode::NotFound => None,
            Err(e) => return Err(e),
        };
        let mut state = self.shared.state.write().await;
        if let Some(s) = state.as_mut() {
            let mut all: Vec<Arc<Employee>> =
                s.snapshot.all().filter(|e| e.id != id).cloned().collect();
            all.extend(fetched);
            s.snapshot = Arc::new(Snapshot::build(all, s.snapshot.omitted.clone()));
        }
        Ok(())
    }
}

/// An employee as the directory keeps them: only [`DIRECTORY_ATTRIBUTES`] (a single read by id
/// returns every readable attribute; nothing beyond the directory's set is kept).
fn directory_view(mut e: Employee) -> Employee {
    use crate::personio::Attr;
    e.extra.clear();
    e.subcompany = Attr::Unreadable;
    e.contract_end_date = Attr::Unreadable;
    e.weekly_working_hours = Attr::Unreadable;
    e.employment_type = Attr::Unreadable;
    e.cost_centers = Attr::Unreadable;
    e.absence_entitlement = Attr::Unreadable;
    e
}

impl Inner {
    async fn fresh(&self) -> Option<Arc<Snapshot>> {
        let state = self.state.read().await;
        state
            .as_ref()
            .filter(|s| {
                s.loaded_at.elapsed() < self.config.refresh_after
                    && s.full_at.elapsed() < self.config.full_reload_after
            })
            .map(|s| s.snapshot.clone())
    }

    /// Loads (fully or incrementally, as due) and stores the result.
    async fn load(&self) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.fresh().await {
            return Ok(s);
        }
        let (full_due, since) = {
            let state = self.state.read().await;
            match state.as_ref() {
                None => (true, None),
                Some(s) => (
                    s.full_at.elapsed() >= self.config.full_reload_after,
                    Some(s.synced_at),
                ),
            }
        };
        let started = Utc::now();
        let snapshot = if full_due || since.is_none() {
            Arc::new(self.load_full().await?)
        } else {
            match self.load_changes(since).await {
                Ok(s) => Arc::new(s),
                Err(e) => {
                    // Serve the stale directory rather than fail a read; retry on the next call.
                    tracing::warn!(code = %e.code, "incremental directory refresh failed; serving the previous snapshot");
                    let state = self.state.read().await;
                    match state.as_ref() {
                        Some(s) => return Ok(s.snapshot.clone()),
                        None => return Err(e),
                    }
                }
            }
        };
        let now = Instant::now();
        let mut state = self.state.write().await;
        let full_at = match (&*state, full_due) {
            (Some(s), false) => s.full_at,
            _ => now,
        };
        *state = Some(State {
            snapshot: snapshot.clone(),
            loaded_at: now,
            full_at,
            synced_at: started,
        });
        Ok(snapshot)
    }

    fn query(&self) -> EmployeeQuery {
        EmployeeQuery {
            attributes: DIRECTORY_ATTRIBUTES.iter().map(|s| s.to_string()).collect(),
            ..EmployeeQuery::default()
        }
    }

    async fn load_full(&self) -> Result<Snapshot> {
        self.loaded.send_replace(0);
        let omitted = self.client.omitted_attributes(DIRECTORY_ATTRIBUTES).await?;
        let query = self.query();
        let mut employees = Vec::new();
        let mut stream = std::pin::pin!(self.client.employees(&query));
        while let Some(e) = stream.try_next().await? {
            employees.push(Arc::new(e));
            if employees.len() % 100 == 0 {
                self.loaded.send_replace(employees.len() as u64);
            }
        }
        self.loaded.send_replace(employees.len() as u64);
        tracing::debug!(employees = employees.len(), "directory loaded");
        Ok(Snapshot::build(employees, omitted))
    }

    async fn load_changes(&self, since: Option<chrono::DateTime<Utc>>) -> Result<Snapshot> {
        // Overlap the window a little: clocks differ, and re-applying a change is harmless.
        let since = since.map(|s| s - chrono::Duration::minutes(2));
        let mut query = self.query();
        query.updated_since = since.map(|s| s.format("%Y-%m-%dT%H:%M:%S").to_string());
        let changed: Vec<Employee> = self.client.all_employees(&query).await?;
        let previous = {
            let state = self.state.read().await;
            state.as_ref().map(|s| s.snapshot.clone())
        };
        let Some(previous) = previous else {
            return self.load_full().await;
        };
        let mut by_id: HashMap<i64, Arc<Employee>> =
            previous.all().map(|e| (e.id, e.clone())).collect();
        let count = changed.len();
        for e in changed {
            by_id.insert(e.id, Arc::new(e));
        }
        tracing::debug!(changed = count, "directory refreshed incrementally");
        Ok(Snapshot::build(
            by_id.into_values().collect(),
            previous.omitted.clone(),
        ))
    }
}
