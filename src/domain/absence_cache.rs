//! Recent absence listings, kept for a few seconds (issue 16).
//!
//! Why: an assistant often asks the same question twice in one answer (a listing, then the same
//! listing again to check a date), a script in a loop asks it many times, and Personio allows
//! its v2 absence endpoint ~10 requests a second. A listing served from here costs Personio
//! nothing and answers in well under a millisecond.
//!
//! What keeps it honest:
//! - a short life (`--absence-cache-secs`, 10 s by default; 0 turns it off);
//! - every write through this process forgets the person's listings, whatever its outcome (an
//!   abandoned or timed-out write too); so does an absence webhook, and a change another replica
//!   announces;
//! - a listing fetched while something was forgotten is not kept (the generation counter), so a
//!   slow read that started before a write cannot bring the old state back;
//! - writes never read from it: their overlap and duplicate checks always ask Personio;
//! - it holds Personio's answer as the credential sees it, before the policy layer narrows and
//!   masks it, so every caller still gets only what they may see.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use moka::sync::Cache;

use crate::personio::Absence;

/// The life of a kept listing unless configured (`--absence-cache-secs`): long enough for the
/// repeats of one answer, a loop or a paging, short enough that a change made in Personio by
/// someone else, without webhooks, shows within moments.
pub const DEFAULT_LIFE_SECS: u64 = 10;

/// Absences kept at most, over all listings (a year of a 40-person department is ~1,000; a
/// listing larger than this is not kept). Each listing counts one more, and its key's id list
/// ~1/50 of an absence per id: a few MiB at most, whatever callers ask.
const MAX_ABSENCES: u64 = 10_000;

/// One upstream listing, for one caller (`viewer`: see [`AbsenceFilter::viewer`]): whose (sorted
/// ids; `None` = everyone the credential sees) and when.
///
/// [`AbsenceFilter::viewer`]: super::absences::AbsenceFilter::viewer
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListingKey {
    viewer: Option<i64>,
    employees: Option<Arc<[i64]>>,
    from: NaiveDate,
    to: NaiveDate,
}

impl ListingKey {
    pub fn new(
        viewer: Option<i64>,
        employees: Option<&[i64]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ListingKey {
        let employees = employees.map(|ids| {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            Arc::from(ids)
        });
        ListingKey {
            viewer,
            employees,
            from,
            to,
        }
    }

    /// What the key costs to keep, in absences (an id list is ~1/50 of an absence per id).
    fn weight(&self) -> usize {
        self.employees.as_ref().map_or(0, |ids| ids.len() / 50)
    }

    /// Whether this listing may contain `person`'s absences.
    fn covers(&self, person: i64) -> bool {
        self.employees
            .as_ref()
            .is_none_or(|ids| ids.binary_search(&person).is_ok())
    }
}

/// Told of every write through this process, with the person written for (whatever its
/// outcome): the other replicas sharing a state store drop their kept listings of that person.
pub type WriteNotice = Arc<dyn Fn(i64) + Send + Sync>;

/// A listing's generation, taken before it is fetched: see [`AbsenceCache::keep`].
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

/// The cache. Off (every read asks Personio) when built with a zero life.
///
/// moka's `sync` cache: keeping a listing is one uninterruptible call, so a read abandoned
/// half-way cannot leave an entry behind that a forget should have removed.
pub struct AbsenceCache {
    listings: Option<Cache<ListingKey, Arc<Vec<Absence>>>>,
    /// People written for whose write did not end in a known outcome (an error, a timeout, a
    /// caller gone): Personio may apply it later, so their listings are not kept for one life.
    unsettled: Option<Cache<i64, ()>>,
    /// Bumped by every forget; a fill whose generation is older is dropped.
    generation: AtomicU64,
}

impl AbsenceCache {
    pub fn new(ttl: Duration) -> AbsenceCache {
        let on = !ttl.is_zero();
        let listings = on.then(|| {
            Cache::builder()
                .time_to_live(ttl)
                .max_capacity(MAX_ABSENCES)
                .weigher(|k: &ListingKey, v: &Arc<Vec<Absence>>| weight(k, v))
                .support_invalidation_closures()
                .build()
        });
        let unsettled = on.then(|| {
            Cache::builder()
                .time_to_live(ttl)
                .max_capacity(MAX_ABSENCES)
                .build()
        });
        AbsenceCache {
            listings,
            unsettled,
            generation: AtomicU64::new(0),
        }
    }

    /// A listing kept earlier, if still fresh.
    pub fn get(&self, key: &ListingKey) -> Option<Arc<Vec<Absence>>> {
        self.listings.as_ref()?.get(key)
    }

    /// The generation to pass to [`AbsenceCache::keep`]; take it before fetching.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::SeqCst))
    }

    /// Keeps a listing fetched since `seen`, unless something was forgotten meanwhile, it covers
    /// someone whose write is unsettled, or it is larger than the whole cache.
    pub fn keep(&self, key: ListingKey, seen: Generation, listing: Arc<Vec<Absence>>) {
        let (Some(listings), Some(unsettled)) = (&self.listings, &self.unsettled) else {
            return;
        };
        let covers_unsettled = match &key.employees {
            Some(ids) => ids.iter().any(|id| unsettled.contains_key(id)),
            None => unsettled.iter().next().is_some(),
        };
        let too_large = u64::from(weight(&key, &listing)) > MAX_ABSENCES;
        if covers_unsettled || too_large || self.generation.load(Ordering::SeqCst) != seen.0 {
            return;
        }
        listings.insert(key.clone(), listing);
        // A forget that ran between the check and the insert must win.
        if self.generation.load(Ordering::SeqCst) != seen.0 {
            listings.invalidate(&key);
        }
    }

    /// Forgets every listing that may contain `person`'s absences.
    pub fn forget_person(&self, person: i64) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(listings) = &self.listings
            && listings
                .invalidate_entries_if(move |k, _| k.covers(person))
                .is_err()
        {
            listings.invalidate_all();
        }
    }

    /// Keeps no listing of `person` for one life (a write whose outcome is unknown, here or on
    /// another replica).
    pub fn unsettle(&self, person: i64) {
        if let Some(unsettled) = &self.unsettled {
            unsettled.insert(person, ());
        }
    }

    /// Forgets everything (an event that names nobody, a feed that may have missed messages).
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(listings) = &self.listings {
            listings.invalidate_all();
        }
    }

    /// Forgets `person`'s listings, and gives `notice` the person, when dropped: held across a
    /// write, so that a write abandoned half-way (its caller went away after the request left)
    /// still forgets. Unless [`ForgetOnDrop::settled`] was called, the person's listings are not
    /// kept for one life either.
    pub fn forget_on_drop(
        self: &Arc<Self>,
        person: i64,
        notice: Option<WriteNotice>,
    ) -> ForgetOnDrop {
        ForgetOnDrop {
            cache: self.clone(),
            person,
            notice,
            settled: false,
        }
    }
}

/// What a listing costs to keep, in absences: itself, its key's ids, one for the entry.
fn weight(key: &ListingKey, listing: &[Absence]) -> u32 {
    u32::try_from(listing.len().saturating_add(key.weight()).saturating_add(1)).unwrap_or(u32::MAX)
}

/// See [`AbsenceCache::forget_on_drop`].
pub struct ForgetOnDrop {
    cache: Arc<AbsenceCache>,
    person: i64,
    notice: Option<WriteNotice>,
    settled: bool,
}

impl ForgetOnDrop {
    /// The write ended in a known outcome (Personio said what it stored).
    pub fn settled(&mut self) {
        self.settled = true;
    }
}

impl Drop for ForgetOnDrop {
    fn drop(&mut self) {
        if !self.settled {
            self.cache.unsettle(self.person);
        }
        self.cache.forget_person(self.person);
        if let Some(notice) = &self.notice {
            notice(self.person);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
    }

    fn key(ids: Option<&[i64]>) -> ListingKey {
        ListingKey::new(None, ids, day(1), day(31))
    }

    #[test]
    fn keys_ignore_the_order_and_repeats_of_ids() {
        assert_eq!(key(Some(&[3, 1, 2, 1])), key(Some(&[1, 2, 3])));
        assert_ne!(key(Some(&[1, 2])), key(Some(&[1, 2, 3])));
        assert_ne!(key(Some(&[1])), key(None));
        assert_ne!(
            ListingKey::new(Some(7), Some(&[1]), day(1), day(31)),
            key(Some(&[1])),
            "each caller has their own"
        );
        assert!(key(None).covers(99));
        assert!(key(Some(&[5, 7])).covers(7));
        assert!(!key(Some(&[5, 7])).covers(6));
    }

    fn empty() -> Arc<Vec<Absence>> {
        Arc::new(Vec::new())
    }

    #[test]
    fn a_forget_drops_the_persons_listings_and_only_theirs() {
        let cache = Arc::new(AbsenceCache::new(Duration::from_secs(60)));
        for ids in [Some(&[1_i64][..]), Some(&[2][..]), Some(&[1, 2][..]), None] {
            let g = cache.generation();
            cache.keep(key(ids), g, empty());
        }
        let told = Arc::new(AtomicU64::new(0));
        let seen = told.clone();
        let notice: WriteNotice = Arc::new(move |id| {
            seen.store(u64::try_from(id).unwrap(), Ordering::SeqCst);
        });
        let mut write = cache.forget_on_drop(1, Some(notice));
        write.settled();
        drop(write);
        assert_eq!(
            told.load(Ordering::SeqCst),
            1,
            "the other replicas are told"
        );
        assert!(cache.get(&key(Some(&[1]))).is_none());
        assert!(cache.get(&key(Some(&[1, 2]))).is_none());
        assert!(cache.get(&key(None)).is_none(), "everyone includes 1");
        assert!(cache.get(&key(Some(&[2]))).is_some());
        // A settled write: the person's next listing is kept again.
        let g = cache.generation();
        cache.keep(key(Some(&[1])), g, empty());
        assert!(cache.get(&key(Some(&[1]))).is_some());
        cache.forget_all();
        assert!(cache.get(&key(Some(&[2]))).is_none());
    }

    #[test]
    fn after_a_write_of_unknown_outcome_the_persons_listings_are_not_kept() {
        let cache = Arc::new(AbsenceCache::new(Duration::from_secs(60)));
        drop(cache.forget_on_drop(1, None)); // an error, a timeout, an abandoned call
        for ids in [Some(&[1_i64][..]), Some(&[1, 2][..]), None] {
            let g = cache.generation();
            cache.keep(key(ids), g, empty());
            assert!(cache.get(&key(ids)).is_none(), "{ids:?}");
        }
        let g = cache.generation();
        cache.keep(key(Some(&[2])), g, empty());
        assert!(cache.get(&key(Some(&[2]))).is_some(), "others are kept");
    }

    #[test]
    fn a_fill_that_started_before_a_forget_is_not_kept() {
        let cache = AbsenceCache::new(Duration::from_secs(60));
        let before = cache.generation();
        cache.forget_person(42);
        cache.keep(key(Some(&[42])), before, empty());
        assert!(cache.get(&key(Some(&[42]))).is_none());
        let now = cache.generation();
        cache.keep(key(Some(&[42])), now, empty());
        assert!(cache.get(&key(Some(&[42]))).is_some());
    }

    #[test]
    fn a_listing_larger_than_the_cache_is_not_kept() {
        let cache = AbsenceCache::new(Duration::from_secs(60));
        let g = cache.generation();
        let huge: Vec<i64> = (0..i64::try_from(MAX_ABSENCES).unwrap() * 50).collect();
        cache.keep(key(Some(&huge)), g, empty());
        assert!(cache.get(&key(Some(&huge))).is_none());
    }

    #[test]
    fn a_zero_life_keeps_nothing() {
        let cache = AbsenceCache::new(Duration::ZERO);
        let g = cache.generation();
        cache.keep(key(None), g, empty());
        assert!(cache.get(&key(None)).is_none());
    }
}
