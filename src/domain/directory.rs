//! The employee directory: every employee loaded once, searched locally, refreshed incrementally.
//!
//! Personio has no name filter and allows 300 employee requests a minute (REFERENCE.md §6), so
//! searching upstream per query would page through the whole company each time. Instead the
//! directory loads all employees once (⌈N/100⌉ requests, projected to the attributes the tools
//! use), answers searches from memory, and after `refresh_after` asks only for employees changed
//! since the last sync (`updated_since`). Deletions and terminations can't be seen that way
//! (REFERENCE.md §11.9), so a full reload runs every `full_reload_after`. Loads are single-flight:
//! concurrent callers on a cold or stale directory wait for one load.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::TryStreamExt;
use tokio::sync::{Mutex, RwLock};

use super::index::SearchIndex;
use super::search::{Query, SearchKey, score};
use crate::error::Result;
use crate::personio::{Employee, EmployeeQuery, OmittedAttributes, PersonioClient};

/// The attributes the directory asks for (`attributes[]`); nothing sensitive is ever loaded.
pub const DIRECTORY_ATTRIBUTES: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "status",
    "position",
    "department",
    "office",
    "team",
    "supervisor",
    "hire_date",
    "termination_date",
    "last_modified_at",
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

/// One employee with its pre-folded search key.
#[derive(Debug, Clone)]
pub struct Entry {
    pub employee: Arc<Employee>,
    key: SearchKey,
    /// "First Last", computed once for sorting results.
    sort_name: String,
}

/// An immutable view of the directory; searches run on it without locks.
#[derive(Debug, Default)]
pub struct Snapshot {
    entries: Vec<Entry>,
    by_id: HashMap<i64, usize>,
    by_email: HashMap<String, usize>,
    index: SearchIndex,
    /// Directory attributes the credential cannot read.
    pub omitted: OmittedAttributes,
}

impl Snapshot {
    fn build(employees: Vec<Arc<Employee>>, omitted: OmittedAttributes) -> Snapshot {
        let mut entries: Vec<Entry> = employees
            .into_iter()
            .map(|e| Entry {
                key: SearchKey::new(&e),
                sort_name: e.full_name(),
                employee: e,
            })
            .collect();
        entries.sort_by_key(|e| e.employee.id);
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.employee.id, i))
            .collect();
        let by_email = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                e.employee
                    .email
                    .value()
                    .map(|m| (m.trim().to_lowercase(), i))
            })
            .collect();
        let keys: Vec<&SearchKey> = entries.iter().map(|e| &e.key).collect();
        let index = SearchIndex::build(&keys);
        Snapshot {
            entries,
            by_id,
            by_email,
            index,
            omitted,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Employee>> {
        self.entries.iter().map(|e| &e.employee)
    }

    pub fn by_id(&self, id: i64) -> Option<&Arc<Employee>> {
        self.by_id
            .get(&id)
            .and_then(|i| self.entries.get(*i))
            .map(|e| &e.employee)
    }

    pub fn by_email(&self, email: &str) -> Option<&Arc<Employee>> {
        self.by_email
            .get(&email.trim().to_lowercase())
            .and_then(|i| self.entries.get(*i))
            .map(|e| &e.employee)
    }

    /// Ranked matches (best first) among employees accepted by `filter`, from the index.
    pub fn search<'a>(
        &'a self,
        query: &str,
        filter: impl Fn(&Employee) -> bool,
    ) -> Vec<(u32, &'a Arc<Employee>)> {
        let q = Query::new(query);
        let hits: Vec<(u32, &Entry)> = self
            .index
            .search(&q)
            .into_iter()
            .filter_map(|(i, s)| self.entries.get(i as usize).map(|e| (s, e)))
            .filter(|(_, e)| filter(&e.employee))
            .collect();
        Self::ranked(hits)
    }

    /// The same ranking by scoring every employee (no index): the reference the index is tested
    /// against.
    pub fn search_by_scan<'a>(
        &'a self,
        query: &str,
        filter: impl Fn(&Employee) -> bool,
    ) -> Vec<(u32, &'a Arc<Employee>)> {
        let q = Query::new(query);
        let hits: Vec<(u32, &Entry)> = self
            .entries
            .iter()
            .filter(|e| filter(&e.employee))
            .filter_map(|e| score(&e.key, &q).map(|s| (s, e)))
            .collect();
        Self::ranked(hits)
    }

    fn ranked(mut hits: Vec<(u32, &Entry)>) -> Vec<(u32, &Arc<Employee>)> {
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.sort_name.cmp(&b.1.sort_name))
                .then_with(|| a.1.employee.id.cmp(&b.1.employee.id))
        });
        hits.into_iter().map(|(s, e)| (s, &e.employee)).collect()
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

/// The shared directory cache.
pub struct Directory {
    client: PersonioClient,
    config: DirectoryConfig,
    state: RwLock<Option<State>>,
    loading: Mutex<()>,
}

impl Directory {
    pub fn new(client: PersonioClient, config: DirectoryConfig) -> Self {
        Directory {
            client,
            config,
            state: RwLock::new(None),
            loading: Mutex::new(()),
        }
    }

    pub fn client(&self) -> &PersonioClient {
        &self.client
    }

    /// A fresh-enough snapshot, loading or refreshing first if needed.
    pub async fn snapshot(&self, progress: Option<Progress>) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.fresh().await {
            return Ok(s);
        }
        let _guard = self.loading.lock().await;
        // Another caller may have loaded while we waited for the lock.
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
            Arc::new(self.load_full(progress).await?)
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

    /// The current snapshot, however old, without loading anything (`None` when cold).
    pub async fn cached(&self) -> Option<Arc<Snapshot>> {
        self.state.read().await.as_ref().map(|s| s.snapshot.clone())
    }

    /// Drops the cache; the next read reloads fully.
    pub async fn invalidate(&self) {
        *self.state.write().await = None;
    }

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

    fn query(&self) -> EmployeeQuery {
        EmployeeQuery {
            attributes: DIRECTORY_ATTRIBUTES.iter().map(|s| s.to_string()).collect(),
            ..EmployeeQuery::default()
        }
    }

    async fn load_full(&self, progress: Option<Progress>) -> Result<Snapshot> {
        let omitted = self.client.omitted_attributes(DIRECTORY_ATTRIBUTES).await?;
        let query = self.query();
        let mut employees = Vec::new();
        let mut stream = std::pin::pin!(self.client.employees(&query));
        while let Some(e) = stream.try_next().await? {
            employees.push(Arc::new(e));
            if let Some(p) = &progress
                && employees.len() % 100 == 0
            {
                p(employees.len() as u64);
            }
        }
        if let Some(p) = &progress
            && employees.len() % 100 != 0
        {
            p(employees.len() as u64);
        }
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
            return self.load_full(None).await;
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
