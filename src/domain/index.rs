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

use std::collections::{HashMap, HashSet};

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

/// Every string obtained by deleting up to `depth` characters (the word itself included).
fn deletions(word: &str, depth: usize, out: &mut HashSet<String>) {
    out.insert(word.to_string());
    if depth == 0 {
        return;
    }
    let chars: Vec<char> = word.chars().collect();
    if chars.len() <= 1 {
        return;
    }
    for skip in 0..chars.len() {
        let shorter: String = chars
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, c)| *c)
            .collect();
        deletions(&shorter, depth - 1, out);
    }
}

/// The largest typo tolerance any query word gets.
const MAX_TOLERANCE: usize = 2;

/// The search index of one directory snapshot.
#[derive(Debug, Default)]
pub struct SearchIndex {
    names: WordList,
    /// Deletion variant → ids of name words (positions in `names.words`).
    variants: HashMap<String, Vec<u32>>,
    others: WordList,
    full_names: HashMap<String, Vec<u32>>,
    emails: HashMap<String, u32>,
    /// Email addresses and their local parts, sorted, for prefix queries.
    email_prefixes: Vec<(String, u32)>,
}

impl SearchIndex {
    pub fn build(keys: &[&SearchKey]) -> SearchIndex {
        let idx = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        let names = WordList::build(
            keys.iter()
                .enumerate()
                .flat_map(|(i, k)| k.name_words.iter().map(move |w| (w.clone(), idx(i)))),
        );
        let mut variants: HashMap<String, Vec<u32>> = HashMap::new();
        let mut scratch = HashSet::new();
        for (word_id, word) in names.words.iter().enumerate() {
            // Words longer than any typo-tolerant query word plus its tolerance cannot match one.
            if word.chars().count() > MAX_FUZZY_WORD + MAX_TOLERANCE {
                continue;
            }
            scratch.clear();
            deletions(word, MAX_TOLERANCE, &mut scratch);
            for v in scratch.drain() {
                variants.entry(v).or_default().push(idx(word_id));
            }
        }
        let others = WordList::build(
            keys.iter()
                .enumerate()
                .flat_map(|(i, k)| k.other_words.iter().map(move |w| (w.clone(), idx(i)))),
        );
        let mut full_names: HashMap<String, Vec<u32>> = HashMap::new();
        let mut emails = HashMap::new();
        let mut email_prefixes = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            for n in &k.full_names {
                full_names.entry(n.clone()).or_default().push(idx(i));
            }
            if let Some(e) = &k.email {
                emails.insert(e.clone(), idx(i));
                email_prefixes.push((e.clone(), idx(i)));
            }
            if let Some(l) = &k.email_local {
                email_prefixes.push((l.clone(), idx(i)));
            }
        }
        email_prefixes.sort();
        SearchIndex {
            names,
            variants,
            others,
            full_names,
            emails,
            email_prefixes,
        }
    }

    /// Name-word match level per entry for one query word.
    fn name_levels(&self, w: &str) -> HashMap<u32, u8> {
        let mut levels: HashMap<u32, u8> = HashMap::new();
        let mut raise = |entries: &[u32], level: u8| {
            for e in entries {
                let l = levels.entry(*e).or_insert(0);
                *l = (*l).max(level);
            }
        };
        for i in self.names.prefix_range(w) {
            let level = if self.names.words[i] == w {
                EXACT
            } else {
                PREFIX
            };
            raise(&self.names.postings[i], level);
        }
        let tol = tolerance(w.chars().count());
        if tol > 0 {
            let mut probe = HashSet::new();
            deletions(w, tol, &mut probe);
            let mut seen = HashSet::new();
            for v in &probe {
                for word_id in self.variants.get(v).map(Vec::as_slice).unwrap_or_default() {
                    if !seen.insert(*word_id) {
                        continue;
                    }
                    let Some(word) = self.names.words.get(*word_id as usize) else {
                        continue;
                    };
                    if word.starts_with(w) {
                        continue; // already exact or prefix
                    }
                    if strsim::damerau_levenshtein(w, word) <= tol {
                        raise(&self.names.postings[*word_id as usize], FUZZY);
                    }
                }
            }
        }
        levels
    }

    /// Entries whose other fields (position, department, team, office) have a word starting with `w`.
    fn other_matches(&self, w: &str) -> HashSet<u32> {
        self.others
            .prefix_range(w)
            .flat_map(|i| self.others.postings[i].iter().copied())
            .collect()
    }

    /// Scored matches (entry index, score), unsorted and unfiltered; the same scores as
    /// `search::score` gives each entry.
    pub fn search(&self, q: &Query) -> Vec<(u32, u32)> {
        let mut scores: HashMap<u32, u32> = HashMap::new();
        fn offer(scores: &mut HashMap<u32, u32>, entry: u32, score: u32) {
            let s = scores.entry(entry).or_insert(0);
            *s = (*s).max(score);
        }
        if let Some(e) = self.emails.get(&q.lower) {
            offer(&mut scores, *e, 1000);
        }
        if q.words.is_empty() {
            return scores.into_iter().collect();
        }
        if let Some(list) = self.full_names.get(&q.joined) {
            for e in list {
                offer(&mut scores, *e, 900);
            }
        }
        let per_word: Vec<(HashMap<u32, u8>, HashSet<u32>)> = q
            .words
            .iter()
            .map(|w| (self.name_levels(w), self.other_matches(w)))
            .collect();
        // Candidates: entries every word matches somehow (name at any level, or another field).
        let mut candidates: Option<HashSet<u32>> = None;
        for (levels, others) in &per_word {
            let here: HashSet<u32> = levels.keys().chain(others.iter()).copied().collect();
            candidates = Some(match candidates {
                None => here,
                Some(c) => c.intersection(&here).copied().collect(),
            });
        }
        for entry in candidates.unwrap_or_default() {
            let levels: Vec<u8> = per_word
                .iter()
                .map(|(l, _)| l.get(&entry).copied().unwrap_or(0))
                .collect();
            let bonus = levels.iter().map(|l| u32::from(*l)).sum::<u32>().min(99);
            let weakest = levels.iter().copied().min().unwrap_or(0);
            let score = match weakest {
                EXACT => 800 + bonus,
                PREFIX => 700 + bonus,
                FUZZY => 500 + bonus,
                _ => {
                    let all_found = per_word
                        .iter()
                        .zip(&levels)
                        .all(|((_, others), l)| *l >= PREFIX || others.contains(&entry));
                    if all_found { 200 + bonus } else { 0 }
                }
            };
            if score > 0 {
                offer(&mut scores, entry, score);
            }
        }
        if q.lower.len() >= 3 {
            let start = self
                .email_prefixes
                .partition_point(|(e, _)| e.as_str() < q.lower.as_str());
            for (e, entry) in &self.email_prefixes[start..] {
                if !e.starts_with(q.lower.as_str()) {
                    break;
                }
                // As in `score`: the email-prefix tier applies only where no name tier did.
                let s = scores.get(entry).copied().unwrap_or(0);
                if s < 500 {
                    offer(&mut scores, *entry, 400);
                }
            }
        }
        scores.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletion_neighbourhoods() {
        let mut out = HashSet::new();
        deletions("abc", 1, &mut out);
        let mut got: Vec<_> = out.into_iter().collect();
        got.sort();
        assert_eq!(got, vec!["ab", "abc", "ac", "bc"]);
        let mut out = HashSet::new();
        deletions("abcd", 2, &mut out);
        assert!(out.contains("ad") && out.contains("abcd") && out.contains("bcd"));
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
