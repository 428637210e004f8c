//! Health data masking and result caps.
//!
//! Sick leave is health data (GDPR Art. 9): an absence of a health-related type is shown as a
//! neutral "Absent" to anyone but the employee themself and HR — no type, no category, no
//! comment — and so are the balances of such types. A type is health-related when its Personio
//! category is one of [`Privacy::health_categories`] (sick leave, parental leave, quarantine by
//! default) *or* its name contains one of [`Privacy::health_type_words`] (doctor, Arzt, medical,
//! Kur, …): accounts file "Doctor's appointment" under `other`, and the category alone would let
//! it through. Free-text comments of other people's absences are never shown to non-HR callers.
//!
//! No query pages through more than `record_cap` records: a broad question is answered with the
//! total and a summary over everything, and the first pages up to the cap; the message says which
//! filter narrows it. Never silently truncated.

use crate::domain::normalize::plain_fold;

/// Personio categories that reveal health information (REFERENCE.md §8.3 category list).
pub const DEFAULT_HEALTH_CATEGORIES: &[&str] =
    &["sick_leave", "maternity_parental_leave", "quarantine"];

/// Words in a type's name that make it health-related, whatever its category (English and
/// German, matched accent- and case-insensitively as whole-word prefixes).
pub const DEFAULT_HEALTH_TYPE_WORDS: &[&str] = &[
    "sick", "illness", "ill", "doctor", "medical", "medic", "physician", "therapy", "hospital",
    "rehab", "quarantine", "maternity", "parental", "pregnan", "krank", "arzt", "arzte", "aerzt",
    "medizin", "kur", "therapie", "reha", "klinik", "krankenhaus", "quarantane", "quarantaene",
    "mutterschutz", "eltern", "schwanger", "covid", "corona",
];

/// The neutral name shown instead of a masked type.
pub const MASKED_TYPE_NAME: &str = "Absent";

/// Privacy settings of a server.
#[derive(Debug, Clone)]
pub struct Privacy {
    pub health_categories: Vec<String>,
    /// Name words of health-related types (see the module docs), folded once here
    /// ([`plain_fold`]) so that a check folds only the type's name: the words are compared for
    /// every balance and absence of every call.
    pub health_type_words: Vec<String>,
    /// Most records one query may page through.
    pub record_cap: usize,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            health_categories: DEFAULT_HEALTH_CATEGORIES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            health_type_words: DEFAULT_HEALTH_TYPE_WORDS
                .iter()
                .map(|s| plain_fold(s))
                .collect(),
            record_cap: 200,
        }
    }
}

impl Privacy {
    /// Is a type of this category and name health-related?
    pub fn is_health(&self, category: Option<&str>, type_name: Option<&str>) -> bool {
        let by_category = category.is_some_and(|c| {
            self.health_categories
                .iter()
                .any(|h| h.eq_ignore_ascii_case(c.trim()))
        });
        by_category
            || type_name.is_some_and(|n| {
                let folded = plain_fold(n);
                folded
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .any(|w| {
                        self.health_type_words.iter().any(|h| {
                            // Short words must match whole ("kur", "ill"); longer ones as prefixes.
                            if h.chars().count() <= 3 {
                                w == h
                            } else {
                                w.starts_with(h.as_str())
                            }
                        })
                    })
            })
    }

    /// How far one query may page: `(shown, capped)` for a query with `total` records.
    pub fn page_limit(&self, total: usize) -> (usize, bool) {
        (total.min(self.record_cap), total > self.record_cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_by_category_or_by_name() {
        let p = Privacy::default();
        assert!(p.is_health(Some("sick_leave"), None));
        assert!(p.is_health(Some("Maternity_Parental_Leave"), None));
        assert!(!p.is_health(Some("paid_vacation"), Some("Paid vacation")));
        assert!(!p.is_health(None, None));
        assert!(p.is_health(Some("other"), Some("Doctor's appointment")));
        assert!(p.is_health(Some("other"), Some("Arzttermin")));
        assert!(p.is_health(None, Some("Kur")));
        assert!(p.is_health(None, Some("Ärztlicher Termin")));
        assert!(
            !p.is_health(None, Some("Kurzarbeit")),
            "Kur matches whole words only"
        );
        assert!(!p.is_health(None, Some("Training")));
        assert_eq!(p.page_limit(1079), (200, true));
        assert_eq!(p.page_limit(12), (12, false));
    }
}
