//! An inverted index over the directory's search keys, so a search touches only the people whose
//! words match instead of scoring every employee (100k employees: a scan costs ~100 ms, the index
//! well under a millisecond for name queries — BENCHMARKS.md).
//!
//! It answers exactly what [`super::search::score`] would, tier for tier:
//! - exact email (1000) and exact full name (900) through hash maps;
//! - per query word, name words that equal it (exact), start with it (prefix, a range of the sorted
//!   word list), or lie within the typo tolerance (fuzzy: a deletion-neighbourhood index, as in
//!   SymSpell, whose candidates are confirmed with `strsim`'s Damerau–Levenshtein distance);
//! - other fields (position, department, team, office) by prefix; email address prefixes.
//!
//! The equivalence with the plain scan is tested on a 2,000-employee sandbox (`tests/directory.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use super::search::{MAX_FUZZY_WORD, Query, SearchKey, tolerance};

/// Word match levels, as in `search::score` (exact 3, prefix 2, fuzzy 1).
const EXACT: u8 = 3;
const PREFIX: u8 = 2;
const FUZZY: u8 = 1;

/// Sorted distinct words with the entries that contain each.
#[derive(Debug, Default)]
struct WordList {
    words: Vec<String>,
    postings: Vec<Vec<u32>>,
}

impl WordList {
    fn build(pairs: impl Iterator<Item = (String, u32)>) -> WordList {
        let mut map: HashMap<String, Vec<u32>> = HashMap::new();
        for (w, i) in pairs {
            let list = map.entry(w).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
        let mut words: Vec<(String, Vec<u32>)> = map.into_iter().collect();
        words.sort_by(|a, b| a.0.cmp(&b.0));
        let (words, postings) = words.into_iter().unzip();
        WordList { words, postings }
    }

    /// The words `words_of` picks from each key, posted under the key's position.
    fn of_keys(keys: &[&SearchKey], words_of: impl Fn(&SearchKey) -> &[String]) -> WordList {
        WordList::build(
            keys.iter()
                .enumerate()
                .flat_map(|(i, k)| words_of(k).iter().map(move |w| (w.clone(), position(i)))),
        )
    }

    /// Indices of the words starting with `prefix` (the exact word included).
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<usize> {
        let start = self.words.partition_point(|w| w.as_str() < prefix);
        let len = self.words[start..]
            .iter()
            .take_while(|w| w.starts_with(prefix))
            .count();
        start..start + len
    }
}

/// A key's or word's position as stored in postings (a directory never nears `u32::MAX`).
fn position(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Calls `each` with every string obtained by deleting up to `depth` characters of `chars` (the
/// word itself included; never empty unless the word is), built in `buf`. A variant reachable by two
/// deletions ("aab" less either "a") comes twice: callers look variants up, so a repeat costs one
/// more lookup, where building a set of them would cost an allocation per variant (this runs for
/// every typo-tolerant word of every search).
fn each_deletion(chars: &[char], depth: usize, buf: &mut String, each: &mut impl FnMut(&str)) {
    fn deeper(
        chars: &[char],
        depth: usize,
        from: usize,
        skipped: &mut Vec<usize>,
        buf: &mut String,
        each: &mut impl FnMut(&str),
    ) {
        for skip in from..chars.len() {
            // As deleting from a one-character string: the variant keeps at least one character.
            if chars.len() - skipped.len() <= 1 {
                return;
            }
            skipped.push(skip);
            buf.clear();
            buf.extend(
                chars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !skipped.contains(i))
                    .map(|(_, c)| *c),
            );
            each(buf);
            if skipped.len() < depth {
                deeper(chars, depth, skip + 1, skipped, buf, each);
            }
            skipped.pop();
        }
    }
    buf.clear();
    buf.extend(chars);
    each(buf);
    if depth > 0 {
        let mut skipped = Vec::with_capacity(depth);
        deeper(chars, depth, 0, &mut skipped, buf, each);
    }
}

/// The key of a deletion variant in [`SearchIndex::variants`] (fixed keys: the same in every
/// process, though nothing stores it).
fn variant_hash(variant: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    variant.hash(&mut h);
    h.finish()
}

/// The largest typo tolerance any query word gets.
const MAX_TOLERANCE: usize = 2;

/// The search index of one directory snapshot.
#[derive(Debug, Default)]
pub struct SearchIndex {
    names: WordList,
    /// (hash of a deletion variant, id of a name word having it), sorted. A hash, not the
    /// variant's text: every candidate is checked by edit distance anyway, so a collision only
    /// adds a candidate, and 16 bytes a pair replace a string and a list each (a directory of
    /// 2,000 people has tens of thousands of variants).
    variants: Vec<(u64, u32)>,
    others: WordList,
    /// The texts are the search keys' own (`Arc`), not copies.
    full_names: HashMap<Arc<str>, Vec<u32>>,
    emails: HashMap<Arc<str>, u32>,
    /// Addresses several entries share (a rehire's old and new record, a shared mailbox): all of
    /// their entries, in order. Rare, so the common case keeps one integer per address.
    shared_emails: HashMap<Arc<str>, Vec<u32>>,
    /// Email addresses and their local parts, sorted, for prefix queries.
    email_prefixes: Vec<(Arc<str>, u32)>,
    /// Number of entries (the length of every per-entry array of a search).
    len: usize,
    pool: std::sync::Mutex<Vec<Scratch>>,
}

impl SearchIndex {
    pub fn build(keys: &[&SearchKey]) -> SearchIndex {
        let names = WordList::of_keys(keys, |k| k.name_words.as_slice());
        let mut variants: Vec<(u64, u32)> = Vec::new();
        let (mut chars, mut buf) = (Vec::new(), String::new());
        for (word_id, word) in names.words.iter().enumerate() {
            chars.clear();
            chars.extend(word.chars());
            // Words longer than any typo-tolerant query word plus its tolerance cannot match one.
            if chars.len() > MAX_FUZZY_WORD + MAX_TOLERANCE {
                continue;
            }
            each_deletion(&chars, MAX_TOLERANCE, &mut buf, &mut |v| {
                variants.push((variant_hash(v), position(word_id)));
            });
        }
        variants.sort_unstable();
        variants.dedup();
        variants.shrink_to_fit();
        let others = WordList::of_keys(keys, |k| k.other_words.as_slice());
        let mut full_names: HashMap<Arc<str>, Vec<u32>> = HashMap::new();
        let mut emails: HashMap<Arc<str>, u32> = HashMap::new();
        let mut shared_emails: HashMap<Arc<str>, Vec<u32>> = HashMap::new();
        let mut email_prefixes = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            for n in &k.full_names {
                full_names.entry(n.clone()).or_default().push(position(i));
            }
            if let Some(e) = &k.email {
                if let Some(&first) = emails.get(e) {
                    shared_emails
                        .entry(e.clone())
                        .or_insert_with(|| vec![first])
                        .push(position(i));
                } else {
                    emails.insert(e.clone(), position(i));
                }
                email_prefixes.push((e.clone(), position(i)));
            }
            if let Some(l) = &k.email_local {
                email_prefixes.push((l.clone(), position(i)));
            }
        }
        email_prefixes.sort();
        SearchIndex {
            names,
            variants,
            others,
            full_names,
            emails,
            shared_emails,
            email_prefixes,
            len: keys.len(),
            pool: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The entries whose email is `email` (trimmed and lowercased, as the search keys hold it),
    /// in order: one, none, or every entry sharing the address.
    pub fn entries_of_email(&self, email: &str) -> &[u32] {
        match self.shared_emails.get(email) {
            Some(all) => all,
            None => self.emails.get(email).map_or(&[], std::slice::from_ref),
        }
    }

    /// The ids of the name words having deletion variant `v` (and, rarely, of words whose
    /// variant only shares its hash; the caller's edit-distance check drops those).
    fn variant_words(&self, v: &str) -> impl Iterator<Item = u32> + '_ {
        let h = variant_hash(v);
        let start = self.variants.partition_point(|(k, _)| *k < h);
        self.variants[start..]
            .iter()
            .take_while(move |(k, _)| *k == h)
            .map(|(_, id)| *id)
    }

    /// Raises `entry`'s name level for the current query word.
    fn raise(s: &mut Scratch, entry: u32, level: u8) {
        let e = entry as usize;
        let (Some(l), Some(o)) = (s.level.get_mut(e), s.other.get(e)) else {
            return;
        };
        if *l == 0 && !*o {
            s.word_touched.push(entry);
        }
        *l = (*l).max(level);
    }

    /// Marks, for one query word, each entry's name-word match level (exact, prefix, fuzzy) and
    /// whether one of its other fields (position, department, team, office) has a word starting
    /// with it.
    fn mark_word(&self, w: &str, s: &mut Scratch) {
        for i in self.names.prefix_range(w) {
            let level = if self.names.words[i] == w {
                EXACT
            } else {
                PREFIX
            };
            for e in &self.names.postings[i] {
                Self::raise(s, *e, level);
            }
        }
        let chars: Vec<char> = w.chars().collect();
        let tol = tolerance(chars.len());
        if tol > 0 {
            // The candidate words, each once (a short word can have hundreds in a big company).
            let mut candidates: Vec<u32> = Vec::new();
            each_deletion(&chars, tol, &mut String::new(), &mut |v| {
                candidates.extend(self.variant_words(v));
            });
            candidates.sort_unstable();
            candidates.dedup();
            for word_id in candidates {
                let Some(word) = self.names.words.get(word_id as usize) else {
                    continue;
                };
                if word.starts_with(w) {
                    continue; // already exact or prefix
                }
                if strsim::damerau_levenshtein(w, word) <= tol {
                    for e in &self.names.postings[word_id as usize] {
                        Self::raise(s, *e, FUZZY);
                    }
                }
            }
        }
        for i in self.others.prefix_range(w) {
            for entry in &self.others.postings[i] {
                let e = *entry as usize;
                let (Some(l), Some(o)) = (s.level.get(e), s.other.get_mut(e)) else {
                    continue;
                };
                if *l == 0 && !*o {
                    s.word_touched.push(*entry);
                }
                *o = true;
            }
        }
    }

    /// Scored matches (entry index, score), unsorted and unfiltered; the same scores as
    /// `search::score` gives each entry.
    ///
    /// Works on dense per-entry arrays reused between searches (see [`Scratch`]) rather than hash
    /// maps, so a word matching a large share of the company costs a few nanoseconds per match.
    pub fn search(&self, q: &Query) -> Vec<(u32, u32)> {
        let mut s = self.scratch();
        let out = self.search_with(q, &mut s);
        s.reset();
        if let Ok(mut pool) = self.pool.lock()
            && pool.len() < MAX_POOLED
        {
            pool.push(s);
        }
        out
    }

    fn scratch(&self) -> Scratch {
        let mut s = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        s.fit(self.len);
        s
    }

    fn search_with(&self, q: &Query, s: &mut Scratch) -> Vec<(u32, u32)> {
        for &e in self.entries_of_email(q.lower.as_str()) {
            s.offer(e, 1000);
        }
        if q.words.is_empty() {
            return s.results();
        }
        if let Some(list) = self.full_names.get(q.joined.as_str()) {
            for e in list {
                s.offer(*e, 900);
            }
        }
        // Candidates: entries every word matches somehow (name at any level, or another field).
        for (i, w) in q.words.iter().enumerate() {
            self.mark_word(w, s);
            if i == 0 {
                s.seed_candidates();
            }
            s.narrow_candidates();
            s.clear_word();
        }
        for i in 0..s.alive.len() {
            let entry = s.alive[i];
            let e = entry as usize;
            let bonus = u32::from(s.bonus[e]).min(99);
            let score = match s.weakest[e] {
                EXACT => 800 + bonus,
                PREFIX => 700 + bonus,
                FUZZY => 500 + bonus,
                _ if s.found[e] => 200 + bonus,
                _ => 0,
            };
            if score > 0 {
                s.offer(entry, score);
            }
        }
        if q.lower.len() >= 3 {
            let start = self
                .email_prefixes
                .partition_point(|(e, _)| &**e < q.lower.as_str());
            for (e, entry) in &self.email_prefixes[start..] {
                if !e.starts_with(q.lower.as_str()) {
                    break;
                }
                // As in `score`: the email-prefix tier applies only where no name tier did.
                if s.score_of(*entry) < 500 {
                    s.offer(*entry, 400);
                }
            }
        }
        s.results()
    }
}

/// Searches kept ready for reuse; more concurrent searches than this allocate their own.
const MAX_POOLED: usize = 4;

/// Per-entry working arrays of one search, indexed by entry. Reused between searches (cleared
/// through the lists of touched entries, never by sweeping), so a search allocates nothing in
/// proportion to the company and touches only the entries that match.
#[derive(Debug, Default)]
struct Scratch {
    /// Current word: best name-word level per entry (0 = none).
    level: Vec<u8>,
    /// Current word: whether another field matches.
    other: Vec<bool>,
    /// Entries the current word touched.
    word_touched: Vec<u32>,
    /// Entries every word so far matched; their `weakest`, `bonus` and `found` are valid.
    alive: Vec<u32>,
    weakest: Vec<u8>,
    bonus: Vec<u16>,
    /// Every word so far matched the name at prefix level or better, or another field.
    found: Vec<bool>,
    score: Vec<u16>,
    scored: Vec<u32>,
}

impl Scratch {
    fn fit(&mut self, n: usize) {
        self.level.resize(n, 0);
        self.other.resize(n, false);
        self.weakest.resize(n, 0);
        self.bonus.resize(n, 0);
        self.found.resize(n, false);
        self.score.resize(n, 0);
    }

    fn clear_word(&mut self) {
        for e in self.word_touched.drain(..) {
            self.level[e as usize] = 0;
            self.other[e as usize] = false;
        }
    }

    /// Before the first word is folded in: every entry it touched is a candidate, with nothing
    /// held against it yet (the identities of `min`, `+` and `&&`).
    fn seed_candidates(&mut self) {
        for e in &self.word_touched {
            let e = *e as usize;
            self.weakest[e] = u8::MAX;
            self.bonus[e] = 0;
            self.found[e] = true;
        }
        self.alive.extend_from_slice(&self.word_touched);
    }

    /// Keeps the candidates the current word matches somehow, folding its name level into their
    /// weakest level, bonus and `found`.
    fn narrow_candidates(&mut self) {
        let Scratch {
            alive,
            level,
            other,
            weakest,
            bonus,
            found,
            ..
        } = self;
        alive.retain(|e| {
            let e = *e as usize;
            let (l, o) = (level[e], other[e]);
            if l == 0 && !o {
                return false;
            }
            weakest[e] = weakest[e].min(l);
            bonus[e] = bonus[e].saturating_add(u16::from(l));
            found[e] = found[e] && (l >= PREFIX || o);
            true
        });
    }

    fn score_of(&self, entry: u32) -> u32 {
        self.score.get(entry as usize).map_or(0, |s| u32::from(*s))
    }

    fn offer(&mut self, entry: u32, score: u32) {
        let Some(slot) = self.score.get_mut(entry as usize) else {
            return;
        };
        if *slot == 0 {
            self.scored.push(entry);
        }
        *slot = (*slot).max(u16::try_from(score).unwrap_or(u16::MAX));
    }

    fn results(&self) -> Vec<(u32, u32)> {
        self.scored
            .iter()
            .map(|e| (*e, self.score_of(*e)))
            .collect()
    }

    /// Back to all zeros, for the next search.
    fn reset(&mut self) {
        self.clear_word();
        for e in self.scored.drain(..) {
            self.score[e as usize] = 0;
        }
        self.alive.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn neighbourhood(word: &str, depth: usize) -> Vec<String> {
        let chars: Vec<char> = word.chars().collect();
        let mut out = Vec::new();
        each_deletion(&chars, depth, &mut String::new(), &mut |v| {
            out.push(v.to_string())
        });
        out.sort();
        out.dedup();
        out
    }

    /// The neighbourhood as defined: the word, and recursively every string with one character
    /// less, down to one character.
    fn by_definition(word: &str, depth: usize, out: &mut HashSet<String>) {
        out.insert(word.to_string());
        let chars: Vec<char> = word.chars().collect();
        if depth == 0 || chars.len() <= 1 {
            return;
        }
        for skip in 0..chars.len() {
            let shorter: String = (0..chars.len())
                .filter(|i| *i != skip)
                .map(|i| chars[i])
                .collect();
            by_definition(&shorter, depth - 1, out);
        }
    }

    #[test]
    fn deletion_neighbourhoods() {
        assert_eq!(neighbourhood("abc", 1), vec!["ab", "abc", "ac", "bc"]);
        let two = neighbourhood("abcd", 2);
        assert!(
            ["ad", "abcd", "bcd", "cd"]
                .iter()
                .all(|v| two.contains(&v.to_string()))
        );
        assert_eq!(neighbourhood("ab", 2), vec!["a", "ab", "b"]);
        assert_eq!(neighbourhood("a", 2), vec!["a"]);
        for word in [
            "müller", "aab", "anna", "ødegaard", "x", "zz", "andreas", "abcdefghijkl",
        ] {
            for depth in 0..=MAX_TOLERANCE {
                let mut expected = HashSet::new();
                by_definition(word, depth, &mut expected);
                let mut expected: Vec<String> = expected.into_iter().collect();
                expected.sort();
                assert_eq!(neighbourhood(word, depth), expected, "{word} at {depth}");
            }
        }
    }

    #[test]
    fn prefix_ranges() {
        let list = WordList::build(
            [("anna", 0), ("anne", 1), ("ben", 2), ("an", 3)]
                .into_iter()
                .map(|(w, i)| (w.to_string(), i)),
        );
        let words: Vec<&str> = list
            .prefix_range("ann")
            .map(|i| list.words[i].as_str())
            .collect();
        assert_eq!(words, vec!["anna", "anne"]);
        assert!(list.prefix_range("zzz").is_empty());
    }
}
