//! Changes one replica learns of, passed to the other replicas so that their caches do not stay
//! stale: a Personio webhook names a person (it reaches one replica only, and with webhooks
//! configured the periodic directory refresh is hours apart), or an absence was written or
//! changed (the others may keep a listing of it for a few seconds).

use futures::future::BoxFuture;
use tokio::sync::mpsc;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// This person's record: re-read them into the directory.
    Person(i64),
    /// This person's absences (`None`: someone's, unknown whose): drop kept listings.
    Absences(Option<i64>),
}

/// A channel between the replicas that share one state store.
pub trait ChangeFeed: Send + Sync {
    /// Tells the other replicas of a change. Best effort: a lost message leaves a replica stale
    /// until its next refresh (directory) or for the few seconds a listing is kept (absences),
    /// which is what happens without a feed.
    fn publish(&self, change: Change) -> BoxFuture<'_, ()>;

    /// Changes the other replicas published (never this replica's own), for as long as the
    /// process lives; the feed reconnects by itself.
    fn subscribe(&self) -> mpsc::Receiver<Change>;
}
