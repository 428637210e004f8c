//! [`PersonioClient`]: the one handle the layers above use. Cheap to clone; every clone shares
//! the token cache, rate limiter and caches.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::api_choice::{Api, ApiMode, Choice, Endpoint, Scopes, choose};
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
    /// What the v2 token may do, for `auto` routing (learnt from the token answer).
    pub(crate) scopes: Kept<Scopes>,
}

/// The permission-aware Personio client.
#[derive(Clone)]
pub struct PersonioClient {
    pub(crate) inner: Arc<Inner>,
    /// The company's time zone: hour absences that name no zone of their own are read in it
    /// (UTC until [`PersonioClient::with_zone`] says otherwise).
    pub(crate) zone: chrono_tz::Tz,
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
                // Scopes change only when an admin edits the credential; a failed v2 token
                // request is retried after this as well.
                scopes: Kept::new(Duration::from_secs(10 * 60)),
            }),
            zone: chrono_tz::Tz::UTC,
        })
    }

    /// The same client, reading zone-less hour absences in the company's `zone` — the zone the
    /// layers above show them in, so a date and its times never disagree.
    pub fn with_zone(mut self, zone: chrono_tz::Tz) -> Self {
        self.zone = zone;
        self
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

    /// Which API serves `endpoint`, and why (the rule lives in `api_choice`).
    pub async fn api_choice(&self, endpoint: Endpoint) -> Choice {
        let mode = self.config().api;
        let needs_scopes = mode == ApiMode::Auto
            && matches!(endpoint, Endpoint::AbsenceReads | Endpoint::AbsenceWrites);
        let scopes = if needs_scopes {
            Some(self.v2_scopes().await)
        } else {
            None
        };
        choose(mode, endpoint, scopes.as_ref())
    }

    /// Every endpoint's choice (for `doctor`).
    pub async fn api_choices(&self) -> Vec<Choice> {
        let mut all = Vec::new();
        for e in Endpoint::ALL {
            all.push(self.api_choice(e).await);
        }
        all
    }

    pub(crate) async fn uses_v2(&self, endpoint: Endpoint) -> bool {
        self.api_choice(endpoint).await.api == Api::V2
    }

    /// Whether absences are read by their v2 id (one request per look-up), so callers can skip
    /// a listing.
    pub async fn reads_absences_by_v2_id(&self) -> bool {
        self.uses_v2(Endpoint::AbsenceReads).await
    }

    pub(crate) async fn v2_scopes(&self) -> Scopes {
        let loaded = self
            .inner
            .scopes
            .get_or_load(async {
                Ok(match self.inner.http.v2_scope().await {
                    Ok(scope) => Scopes::from_token(scope.as_deref()),
                    Err(e) => {
                        tracing::info!(code = %e.code, "no v2 token; v1 serves every endpoint");
                        Scopes::Unavailable(e.message)
                    }
                })
            })
            .await;
        match loaded {
            Ok(s) => s.as_ref().clone(),
            Err(e) => Scopes::Unavailable(e.message),
        }
    }
}
