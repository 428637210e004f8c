//! [`PersonioClient`]: the one handle the layers above use. Cheap to clone; every clone shares
//! the token cache, rate limiter and caches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::config::ClientConfig;
use super::http::Http;
use super::model::attributes::AttributeInfo;
use super::types::TimeOffType;
use crate::error::Result;

/// A value fetched from Personio and kept for a while. Errors are not cached.
pub(crate) struct Cached<T> {
    slot: Mutex<Option<(Instant, Arc<T>)>>,
    ttl: Duration,
}

impl<T> Cached<T> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Cached {
            slot: Mutex::new(None),
            ttl,
        }
    }

    /// The cached value, or the result of `load` (single-flight: the lock is held while loading).
    pub(crate) async fn get_or_load<F, Fut>(&self, load: F) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((at, value)) = slot.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(value.clone());
        }
        let value = Arc::new(load().await?);
        *slot = Some((Instant::now(), value.clone()));
        Ok(value)
    }
}

impl<T> Cached<T> {
    /// Stores a freshly fetched value.
    pub(crate) async fn replace(&self, value: T) {
        *self.slot.lock().await = Some((Instant::now(), Arc::new(value)));
    }
}

pub(crate) struct Inner {
    pub(crate) http: Http,
    pub(crate) attributes: Cached<Vec<AttributeInfo>>,
    pub(crate) time_off_types: Cached<Vec<TimeOffType>>,
}

/// The permission-aware Personio client.
#[derive(Clone)]
pub struct PersonioClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for PersonioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonioClient")
            .field("base_url", &self.inner.http.config().normalized_base())
            .finish_non_exhaustive()
    }
}

impl PersonioClient {
    pub fn new(cfg: ClientConfig) -> Result<Self> {
        Ok(PersonioClient {
            inner: Arc::new(Inner {
                http: Http::new(cfg)?,
                // The readable-attribute list changes only when an admin edits the credential.
                attributes: Cached::new(Duration::from_secs(15 * 60)),
                // Types change rarely; a short TTL still picks up new ones within minutes.
                time_off_types: Cached::new(Duration::from_secs(10 * 60)),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        self.inner.http.config()
    }

    pub(crate) fn http(&self) -> &Http {
        &self.inner.http
    }

    /// Fetches a token (or reuses the cached one). Useful to check credentials up front.
    pub async fn authenticate(&self) -> Result<()> {
        self.inner.http.authenticate().await
    }
}
