//! [`PersonioClient`]: the one handle the layers above use. Cheap to clone; every clone shares
//! the token cache, rate limiter and caches.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::config::ClientConfig;
use super::http::Http;
use super::model::attributes::AttributeInfo;
use super::types::TimeOffType;
use crate::error::{Error, Result};

/// One value fetched from Personio and kept for a while: a single-entry `moka` cache, so loads
/// are single-flight (concurrent callers share one request) and errors are never cached.
pub(crate) struct Kept<T: Send + Sync + 'static> {
    cache: Cache<(), Arc<T>>,
}

impl<T: Send + Sync + 'static> Kept<T> {
    fn new(ttl: Duration) -> Self {
        Kept {
            cache: Cache::builder().max_capacity(1).time_to_live(ttl).build(),
        }
    }

    /// The kept value, or the result of `load`.
    pub(crate) async fn get_or_load<Fut>(&self, load: Fut) -> Result<Arc<T>>
    where
        Fut: std::future::Future<Output = Result<T>>,
    {
        self.cache
            .try_get_with((), async { load.await.map(Arc::new) })
            .await
            .map_err(|e: Arc<Error>| e.as_ref().clone())
    }

    /// Stores a freshly fetched value.
    pub(crate) async fn replace(&self, value: T) {
        self.cache.insert((), Arc::new(value)).await;
    }
}

pub(crate) struct Inner {
    pub(crate) http: Http,
    pub(crate) attributes: Kept<Vec<AttributeInfo>>,
    pub(crate) time_off_types: Kept<Vec<TimeOffType>>,
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
                attributes: Kept::new(Duration::from_secs(15 * 60)),
                // Types change rarely; a short TTL still picks up new ones within minutes.
                time_off_types: Kept::new(Duration::from_secs(10 * 60)),
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
