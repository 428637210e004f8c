//! Directory changes one replica learns of (a Personio webhook names a person), passed to the
//! other replicas so that their caches do not stay stale. A webhook reaches one replica only, and
//! with webhooks configured the periodic refresh is hours apart: without this feed the other
//! replicas would serve the old record until then.

use futures::future::BoxFuture;
use tokio::sync::mpsc;

/// A channel between the replicas that share one state store.
pub trait ChangeFeed: Send + Sync {
    /// Tells the other replicas that this person changed. Best effort: a lost message leaves a
    /// replica stale until its next refresh, which is what happens without a feed.
    fn publish_person(&self, id: i64) -> BoxFuture<'_, ()>;

    /// Person ids the other replicas published (never this replica's own), for as long as the
    /// process lives; the feed reconnects by itself.
    fn subscribe(&self) -> mpsc::Receiver<i64>;
}
