//! An immutable, indexed view of the directory: lookups by id and email, and ranked search.
//! Built by [`super::directory::Directory`] after every load; searches run on it without locks.

use std::collections::HashMap;
use std::sync::Arc;

use super::index::SearchIndex;
use super::search::{Query, SearchKey, score};
use crate::personio::{Employee, OmittedAttributes};

/// One employee with its pre-folded search key.
#[derive(Debug, Clone)]
pub struct Entry {
    pub employee: Arc<Employee>,
    key: SearchKey,
    /// Position in the order of ("First Last", id), computed once: ranking ties compare two
    /// integers instead of two scattered strings (15,000 ties cost ~5 ms as strings).
    name_rank: u32,
}

/// An immutable view of the directory; searches run on it without locks.
#[derive(Debug, Default)]
pub struct Snapshot {
    entries: Vec<Entry>,
    by_id: HashMap<i64, usize>,
    /// Also answers lookups by email (its map of folded addresses), so that the snapshot does not
    /// keep a second one.
    index: SearchIndex,
    /// Directory attributes the credential cannot read.
    pub omitted: OmittedAttributes,
}

impl Snapshot {
    pub(crate) fn build(employees: Vec<Arc<Employee>>, omitted: OmittedAttributes) -> Snapshot {
        let mut entries: Vec<Entry> = employees
            .into_iter()
            .map(|e| Entry {
                key: SearchKey::new(&e),
                name_rank: 0,
                employee: e,
            })
            .collect();
        entries.sort_by_key(|e| e.employee.id);
        let mut by_name: Vec<(String, i64, usize)> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.employee.full_name(), e.employee.id, i))
            .collect();
        by_name.sort_unstable();
        for (rank, (_, _, i)) in by_name.into_iter().enumerate() {
            if let Some(e) = entries.get_mut(i) {
                e.name_rank = u32::try_from(rank).unwrap_or(u32::MAX);
            }
        }
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.employee.id, i))
            .collect();
        let keys: Vec<&SearchKey> = entries.iter().map(|e| &e.key).collect();
        let index = SearchIndex::build(&keys);
        Snapshot {
            entries,
            by_id,
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
        self.employee_at(self.by_id.get(&id))
    }

    /// Everyone with this work email (surrounding space and case ignored), by id: usually one
    /// person, but a rehire's old and new record, or a shared mailbox, give several, and no caller
    /// may silently pick one of them.
    pub fn with_email(&self, email: &str) -> Vec<&Arc<Employee>> {
        self.index
            .entries_of_email(&email.trim().to_lowercase())
            .iter()
            .filter_map(|&i| self.entries.get(i as usize))
            .map(|e| &e.employee)
            .collect()
    }

    /// The employee at a position one of the lookup maps found.
    fn employee_at(&self, position: Option<&usize>) -> Option<&Arc<Employee>> {
        position
            .and_then(|i| self.entries.get(*i))
            .map(|e| &e.employee)
    }

    /// Ranked matches (best first) among employees accepted by `filter`, from the index.
    pub fn search<'a>(
        &'a self,
        query: &str,
        filter: impl Fn(&Employee) -> bool,
    ) -> Vec<(u32, &'a Arc<Employee>)> {
        Self::ranked(self.index_hits(query, filter))
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

    /// The page `[skip, skip + take)` of the ranked matches among employees accepted by
    /// `filter`, and how many matched in all. Selects the best `skip + take` before sorting them,
    /// so a word matching most of a large company costs a linear pass, not a full sort.
    pub fn search_top<'a>(
        &'a self,
        query: &str,
        filter: impl Fn(&Employee) -> bool,
        skip: usize,
        take: usize,
    ) -> Ranked<'a> {
        self.search_top_each(query, filter, skip, take, |_| {})
    }

    /// [`Snapshot::search_top`], showing every match (unordered) to `each` first: a summary or a
    /// count over all matches costs one pass, not a ranking of all of them.
    pub fn search_top_each<'a>(
        &'a self,
        query: &str,
        filter: impl Fn(&Employee) -> bool,
        skip: usize,
        take: usize,
        mut each: impl FnMut(&'a Arc<Employee>),
    ) -> Ranked<'a> {
        let mut hits = self.index_hits(query, filter);
        for (_, e) in &hits {
            each(&e.employee);
        }
        let total = hits.len();
        let wanted = skip.saturating_add(take).min(total);
        if wanted == 0 {
            return Ranked {
                total,
                hits: Vec::new(),
            };
        }
        if wanted < total {
            hits.select_nth_unstable_by(wanted - 1, Self::order);
            hits.truncate(wanted);
        }
        hits.sort_unstable_by(Self::order);
        Ranked {
            total,
            hits: hits
                .into_iter()
                .skip(skip)
                .map(|(s, e)| (s, &e.employee))
                .collect(),
        }
    }

    /// The index's scored matches of `query` among employees accepted by `filter`, unordered.
    fn index_hits(&self, query: &str, filter: impl Fn(&Employee) -> bool) -> Vec<(u32, &Entry)> {
        self.index
            .search(&Query::new(query))
            .into_iter()
            .filter_map(|(i, s)| self.entries.get(i as usize).map(|e| (s, e)))
            .filter(|(_, e)| filter(&e.employee))
            .collect()
    }

    /// Best first: score, then name, then id (`name_rank`; unique, so the order is total).
    fn order(a: &(u32, &Entry), b: &(u32, &Entry)) -> std::cmp::Ordering {
        b.0.cmp(&a.0)
            .then_with(|| a.1.name_rank.cmp(&b.1.name_rank))
    }

    fn ranked(mut hits: Vec<(u32, &Entry)>) -> Vec<(u32, &Arc<Employee>)> {
        hits.sort_unstable_by(Self::order);
        hits.into_iter().map(|(s, e)| (s, &e.employee)).collect()
    }
}

/// A page of ranked matches and the number of all matches.
#[derive(Debug)]
pub struct Ranked<'a> {
    pub total: usize,
    pub hits: Vec<(u32, &'a Arc<Employee>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personio::Attr;

    fn person(id: i64, email: Option<&str>) -> Arc<Employee> {
        Arc::new(Employee {
            id,
            first_name: Attr::Value(format!("First{id}")),
            last_name: Attr::Value("Last".into()),
            email: email.map_or(Attr::Empty, |m| Attr::Value(m.into())),
            ..Employee::default()
        })
    }

    #[test]
    fn lookups_by_email_ignore_case_and_surrounding_space_and_return_everyone_sharing_one() {
        let snapshot = Snapshot::build(
            vec![
                person(3, Some(" Ana.Lopez@Example.com ")),
                person(2, Some("SHARED@example.com")),
                person(1, Some("shared@example.com")),
                person(4, None),
            ],
            OmittedAttributes::default(),
        );
        let ids =
            |email: &str| -> Vec<i64> { snapshot.with_email(email).iter().map(|e| e.id).collect() };
        assert_eq!(ids("ana.lopez@example.com"), vec![3]);
        assert_eq!(ids("  ANA.LOPEZ@EXAMPLE.COM"), vec![3]);
        assert_eq!(ids("shared@example.com"), vec![1, 2], "both, by id");
        assert!(ids("nobody@example.com").is_empty());
        assert!(ids("").is_empty());
        assert_eq!(snapshot.by_id(4).map(|e| e.id), Some(4));
        // The exact-email search tier offers everyone with the address.
        let hits: Vec<i64> = snapshot
            .search("shared@example.com", |_| true)
            .iter()
            .map(|(_, e)| e.id)
            .collect();
        assert_eq!(hits.len(), 2, "{hits:?}");
    }
}
