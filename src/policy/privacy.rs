//! Health data masking and result caps.
//!
//! Sick leave is health data (GDPR Art. 9): an absence of a health-related category is shown as a
//! neutral "Absent" to anyone but the employee themself and HR — no type, no category, no comment.
//! And no call hands out more than `record_cap` records without a narrowing filter: it is refused
//! with a message saying how to narrow it, never silently truncated.

use crate::error::{Error, Result};

/// Personio categories that reveal health information (REFERENCE.md §8.3 category list).
pub const DEFAULT_HEALTH_CATEGORIES: &[&str] =
    &["sick_leave", "maternity_parental_leave", "quarantine"];

/// The neutral name shown instead of a masked type.
pub const MASKED_TYPE_NAME: &str = "Absent";

/// Privacy settings of a server.
#[derive(Debug, Clone)]
pub struct Privacy {
    pub health_categories: Vec<String>,
    /// Most records one call may return without a narrowing filter.
    pub record_cap: usize,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            health_categories: DEFAULT_HEALTH_CATEGORIES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            record_cap: 200,
        }
    }
}

impl Privacy {
    pub fn is_health(&self, category: Option<&str>) -> bool {
        category.is_some_and(|c| {
            self.health_categories
                .iter()
                .any(|h| h.eq_ignore_ascii_case(c.trim()))
        })
    }

    /// Refuses an unfiltered result larger than the cap.
    pub fn check_cap(&self, total: usize, narrowed: bool, how: &str) -> Result<()> {
        if !narrowed && total > self.record_cap {
            return Err(Error::validation(format!(
                "this would return {total} records; without a narrowing filter at most {} are returned",
                self.record_cap
            ))
            .with_hint(how.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_categories_and_caps() {
        let p = Privacy::default();
        assert!(p.is_health(Some("sick_leave")));
        assert!(p.is_health(Some("Maternity_Parental_Leave")));
        assert!(!p.is_health(Some("paid_vacation")));
        assert!(!p.is_health(None));
        assert!(p.check_cap(201, false, "narrow").is_err());
        assert!(p.check_cap(201, true, "narrow").is_ok());
        assert!(p.check_cap(200, false, "narrow").is_ok());
    }
}
