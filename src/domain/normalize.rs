//! Text folding for people search: case, diacritics and German transliteration.
//!
//! "Müller", "muller" and "Mueller" must all find Müller, and "Weiss" must find Weiß. Every
//! indexed word is therefore stored in two folds — the *plain* fold (strip accents: ü→u, ß→ss)
//! and the *German* fold (ä→ae, ö→oe, ü→ue, ß→ss) — while a query is folded plainly only. A typed
//! "mueller" then matches the German fold of "Müller" and "muller" its plain fold.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercase, accents stripped, ß→ss, æ→ae, ø→o, ł→l, punctuation treated as word breaks.
pub fn plain_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        // Most names, emails and type names: decomposition changes nothing in ASCII, so skip it
        // (it is most of the cost, and this runs for every query and every type of a result).
        for c in s.chars() {
            push_folded(&mut out, c);
        }
        return out;
    }
    fold_decomposed(s, out)
}

/// The general path of [`plain_fold`]: decompose, drop the combining marks, fold.
fn fold_decomposed(s: &str, mut out: String) -> String {
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        push_folded(&mut out, c);
    }
    out
}

/// Like [`plain_fold`], but writes umlauts the German way (ä→ae, ö→oe, ü→ue).
pub fn german_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.nfc() {
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            other => {
                for d in other.to_string().nfkd() {
                    if !is_combining_mark(d) {
                        push_folded(&mut out, d);
                    }
                }
            }
        }
    }
    out
}

fn push_folded(out: &mut String, c: char) {
    match c {
        'ß' | 'ẞ' => out.push_str("ss"),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'ø' | 'Ø' => out.push('o'),
        'ł' | 'Ł' => out.push('l'),
        'đ' | 'Đ' => out.push('d'),
        'ı' => out.push('i'),
        c if c.is_alphanumeric() || c == '@' || c == '.' => {
            for l in c.to_lowercase() {
                out.push(l);
            }
        }
        _ => out.push(' '),
    }
}

/// Splits folded text into words; `-` and `'` split too ("Anna-Lena" → "anna", "lena").
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| c.is_whitespace() || c == '.' || c == '@')
        .filter(|w| !w.is_empty())
}

/// Equal names regardless of case, accents and German umlaut spelling ("Muenchen" = "München").
pub fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| words(s).collect::<Vec<_>>().join(" ");
    let (pa, pb) = (norm(&plain_fold(a)), norm(&plain_fold(b)));
    pa == pb || pa == norm(&german_fold(b)) || norm(&german_fold(a)) == pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_fold_both_ways() {
        assert_eq!(plain_fold("Müller"), "muller");
        assert_eq!(german_fold("Müller"), "mueller");
        assert_eq!(plain_fold("Weiß"), "weiss");
        assert_eq!(german_fold("Weiß"), "weiss");
        assert_eq!(plain_fold("José Núñez"), "jose nunez");
        assert_eq!(plain_fold("Jürgen"), "jurgen");
        assert_eq!(plain_fold("Øystein Łukasz"), "oystein lukasz");
    }

    #[test]
    fn the_ascii_shortcut_folds_like_decomposition() {
        let all: String = (0u8..128).map(char::from).collect();
        for s in [
            all.as_str(),
            "Doctor's appointment",
            "Sick-Leave (2026)",
            "a.b@x.example",
        ] {
            assert_eq!(plain_fold(s), fold_decomposed(s, String::new()), "{s:?}");
        }
    }

    #[test]
    fn combining_marks_and_case() {
        // "é" written as e + U+0301 folds like the precomposed one.
        assert_eq!(plain_fold("Re\u{301}ne\u{301}e"), "renee");
        assert_eq!(plain_fold("ÉLODIE"), "elodie");
    }

    #[test]
    fn names_compare_across_spellings() {
        assert!(same_text("Muenchen", "München"));
        assert!(same_text("münchen", "Muenchen"));
        assert!(same_text("customer  support", "Customer Support"));
        assert!(!same_text("Berlin", "München"));
    }

    #[test]
    fn hyphens_split_words() {
        let f = plain_fold("Anna-Lena Weiß");
        assert_eq!(words(&f).collect::<Vec<_>>(), vec!["anna", "lena", "weiss"]);
    }
}
