//! Ranking people for a query: exact email > exact full name > name-word prefixes > typo-tolerant
//! (edit distance) > other fields (position, department, team, office).
//!
//! Each employee's words are folded once when the directory is built ([`SearchKey`]), so a search
//! is a scan over pre-folded words with no allocation per candidate. Typo tolerance uses the
//! Damerau–Levenshtein distance of `strsim`: 1 edit for words of 4–6 letters, 2 for longer ones.

use std::sync::Arc;

use super::normalize::{german_fold, plain_fold, words};
use crate::personio::Employee;

/// Pre-folded searchable text of one employee.
#[derive(Debug, Clone, Default)]
pub struct SearchKey {
    /// Name words in both folds (duplicates removed).
    pub(crate) name_words: Vec<String>,
    /// "first last" and "last first", both folds. Shared (`Arc`) with the index's lookup maps,
    /// which would otherwise hold a copy of each, as of the email texts below.
    pub(crate) full_names: Vec<Arc<str>>,
    pub(crate) email: Option<Arc<str>>,
    pub(crate) email_local: Option<Arc<str>>,
    pub(crate) other_words: Vec<String>,
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !s.is_empty() && !v.contains(&s) {
        v.push(s);
    }
}

impl SearchKey {
    pub fn new(e: &Employee) -> SearchKey {
        let mut key = SearchKey::default();
        let first = e.first_name.value().map(String::as_str).unwrap_or("");
        let last = e.last_name.value().map(String::as_str).unwrap_or("");
        let preferred = e.preferred_name.value().map(String::as_str).unwrap_or("");
        for fold in [plain_fold, german_fold] {
            for part in [first, last, preferred] {
                let f = fold(part);
                for w in words(&f) {
                    push_unique(&mut key.name_words, w.to_string());
                }
            }
            for name in [format!("{first} {last}"), format!("{last} {first}")] {
                let joined = words(&fold(&name)).collect::<Vec<_>>().join(" ");
                if !joined.is_empty() && !key.full_names.iter().any(|n| **n == *joined) {
                    key.full_names.push(Arc::from(joined));
                }
            }
        }
        if let Some(mail) = e.email.value() {
            let m = mail.trim().to_lowercase();
            key.email_local = m.split('@').next().map(Arc::from);
            key.email = Some(Arc::from(m));
        }
        let others = [
            e.position.value().cloned(),
            e.department.value().map(|d| d.name.clone()),
            e.team.value().map(|t| t.name.clone()),
            e.office.value().map(|o| o.name.clone()),
        ];
        for text in others.into_iter().flatten() {
            let f = plain_fold(&text);
            for w in words(&f) {
                push_unique(&mut key.other_words, w.to_string());
            }
        }
        key
    }
}

/// A folded query.
#[derive(Debug, Clone)]
pub struct Query {
    pub(crate) lower: String,
    pub(crate) joined: String,
    pub(crate) words: Vec<String>,
}

impl Query {
    pub fn new(q: &str) -> Query {
        let folded = plain_fold(q);
        let words: Vec<String> = words(&folded).map(str::to_string).collect();
        Query {
            lower: q.trim().to_lowercase(),
            joined: words.join(" "),
            words,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.lower.is_empty()
    }

    /// Looks like an email address: the exact-email fast path applies.
    pub fn as_email(&self) -> Option<&str> {
        let at = self.lower.find('@')?;
        (at > 0 && self.lower[at + 1..].contains('.') && !self.lower.contains(char::is_whitespace))
            .then_some(self.lower.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum WordMatch {
    None,
    Fuzzy,
    Prefix,
    Exact,
}

pub(crate) fn tolerance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=6 => 1,
        // No real name word is longer; beyond this a typo lookup would only cost time.
        7..=MAX_FUZZY_WORD => 2,
        _ => 0,
    }
}

/// Longest query word that gets typo tolerance (index words up to this + 2 are indexed for it).
pub(crate) const MAX_FUZZY_WORD: usize = 24;

fn match_word(q: &str, candidates: &[String]) -> WordMatch {
    let mut best = WordMatch::None;
    for c in candidates {
        let m = if c == q {
            return WordMatch::Exact;
        } else if c.starts_with(q) {
            WordMatch::Prefix
        } else {
            let tol = tolerance(q.chars().count());
            if tol > 0 && strsim::damerau_levenshtein(q, c) <= tol {
                WordMatch::Fuzzy
            } else {
                WordMatch::None
            }
        };
        best = best.max(m);
    }
    best
}

/// The relevance of `key` for `q`, or `None` when it does not match at all. Higher is better.
pub fn score(key: &SearchKey, q: &Query) -> Option<u32> {
    if key.email.as_deref() == Some(q.lower.as_str()) {
        return Some(1000);
    }
    if q.words.is_empty() {
        return None;
    }
    if key.full_names.iter().any(|n| **n == *q.joined) {
        return Some(900);
    }
    let matches: Vec<WordMatch> = q
        .words
        .iter()
        .map(|w| match_word(w, &key.name_words))
        .collect();
    let weakest = matches.iter().copied().min().unwrap_or(WordMatch::None);
    let bonus: u32 = matches.iter().map(|m| *m as u32).sum::<u32>().min(99);
    match weakest {
        WordMatch::Exact => return Some(800 + bonus),
        WordMatch::Prefix => return Some(700 + bonus),
        WordMatch::Fuzzy => return Some(500 + bonus),
        WordMatch::None => {}
    }
    if let Some(local) = &key.email_local
        && q.lower.len() >= 3
        && (local.starts_with(&q.lower)
            || key
                .email
                .as_deref()
                .is_some_and(|e| e.starts_with(&q.lower)))
    {
        return Some(400);
    }
    // Every word must be found in the name or another field (prefix match).
    let all_found = q.words.iter().all(|w| {
        match_word(w, &key.name_words) >= WordMatch::Prefix
            || key.other_words.iter().any(|o| o.starts_with(w.as_str()))
    });
    all_found.then_some(200 + bonus)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personio::{Attr, OrgUnit};

    fn emp(id: i64, first: &str, last: &str, email: &str) -> Employee {
        Employee {
            id,
            first_name: Attr::Value(first.into()),
            last_name: Attr::Value(last.into()),
            email: Attr::Value(email.into()),
            department: Attr::Value(OrgUnit {
                id: Some(1),
                name: "Customer Support".into(),
            }),
            ..Employee::default()
        }
    }

    fn s(e: &Employee, q: &str) -> Option<u32> {
        score(&SearchKey::new(e), &Query::new(q))
    }

    #[test]
    fn umlaut_spellings_all_find_mueller() {
        let e = emp(1, "Jürgen", "Müller", "juergen.mueller@example.com");
        for q in [
            "muller", "Müller", "Mueller", "MÜLLER", "jurgen muller", "Jürgen Müller",
        ] {
            assert!(s(&e, q).is_some(), "{q}");
        }
        assert_eq!(s(&e, "Jürgen Müller"), Some(900));
        assert_eq!(s(&e, "muller jurgen"), Some(900));
    }

    #[test]
    fn ranking_tiers() {
        let e = emp(1, "Anna-Lena", "Weiß", "anna-lena.weiss@example.com");
        assert_eq!(s(&e, "anna-lena.weiss@example.com"), Some(1000));
        assert_eq!(s(&e, "Anna-Lena Weiß"), Some(900));
        let exact_word = s(&e, "weiss").unwrap();
        let prefix = s(&e, "wei").unwrap();
        let typo = s(&e, "weisz").unwrap();
        let other = s(&e, "support").unwrap();
        assert!(exact_word > prefix && prefix > typo && typo > other);
        assert_eq!(s(&e, "zzz"), None);
    }

    #[test]
    fn short_words_are_not_fuzzy() {
        let e = emp(1, "Ole", "Berg", "ole@example.com");
        assert!(s(&e, "olx").is_none());
        assert!(s(&e, "ole").is_some());
    }

    #[test]
    fn email_detection() {
        assert!(Query::new("a.b@example.com").as_email().is_some());
        assert!(Query::new("müller").as_email().is_none());
        assert!(Query::new("@x.de").as_email().is_none());
    }
}
