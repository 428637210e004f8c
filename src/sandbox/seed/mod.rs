//! Deterministic generation of the simulated company: same `(employees, seed, today)` ⇒ same data.
//!
//! Shape of the company:
//! - Employee 0 is the CEO (no supervisor); the first employee drawn into each department becomes its
//!   head (reports to the CEO), the first drawn into each team its lead (reports to the head); everyone
//!   else reports to their team lead or department head. Supervisors always come earlier in the list,
//!   so the tree has no cycles, and managers are always active.
//! - Positions 0–9 carry fixed names for every seed ([`names::ANCHORS`], incl. an exact duplicate
//!   pair); further exact full-name duplicates are planted every 41st employee.
//! - Statuses ≈ 83 % active, 4 % onboarding (hire date in the next 60 days), 3 % leave (with a
//!   parental leave covering `today`), 10 % inactive (termination date in the past).
//! - Absences are spread over the calendar year of `today`: vacations (some half days, future ones
//!   partly pending), sick leave (never in the future), occasional unpaid and parental leave, and
//!   hour-unit doctor's appointments and offsite work. No two absences of one employee overlap.
//!
//! People live in `people.rs`, their absences in `absences.rs`.
//!
//! Absences use one random stream per employee, so generation is cheap to reason about and a
//! 100,000-employee company is produced in well under a second in release builds.

mod absences;
mod people;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::absences::AbsenceStore;
use super::data::Company;

pub use people::{LANGUAGE_OPTIONS, MARITAL_OPTIONS, NATIONALITY_OPTIONS};

/// The seeded world: employees and their absences.
pub struct Seeded {
    pub company: Company,
    pub absences: AbsenceStore,
}

/// Generates the company. `today` must be a date with a year between 1900 and 9999 (checked by the
/// caller) so that date arithmetic cannot leave chrono's range.
pub fn generate(employees: usize, seed: u64, today: NaiveDate) -> Seeded {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let list = people::generate_employees(&mut rng, employees, today);
    let company = Company::new(list);
    let absences = absences::generate_absences(&company, seed, today);
    Seeded { company, absences }
}

fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .unwrap_or(date)
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    date.and_time(
        NaiveTime::from_hms_opt(hour.min(23), minute.min(59), 0).unwrap_or(NaiveTime::MIN),
    )
}

fn weighted<'a, T>(
    rng: &mut ChaCha8Rng,
    items: &'a [T],
    weight: impl Fn(&T) -> u32,
) -> Option<&'a T> {
    let total: u32 = items.iter().map(&weight).sum();
    if total == 0 {
        return items.first();
    }
    let mut pick = rng.random_range(0..total);
    for item in items {
        let w = weight(item);
        if pick < w {
            return Some(item);
        }
        pick -= w;
    }
    items.last()
}

fn pick(rng: &mut ChaCha8Rng, items: &[&'static str]) -> &'static str {
    items.choose(rng).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::sandbox::absences::AbsenceStatus;
    use crate::sandbox::clock::berlin_to_utc;
    use crate::sandbox::data::Status;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 16).unwrap()
    }

    #[test]
    fn same_seed_same_company_different_seed_differs() {
        let a = generate(300, 42, today());
        let b = generate(300, 42, today());
        let c = generate(300, 43, today());
        let names = |s: &Seeded| {
            s.company
                .employees()
                .iter()
                .map(|e| (e.id, e.email.clone(), e.supervisor_id))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(names(&a), names(&c));
        assert_eq!(a.absences.day().len(), b.absences.day().len());
        assert_eq!(
            a.absences.hour().iter().map(|h| h.id).collect::<Vec<_>>(),
            b.absences.hour().iter().map(|h| h.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn supervisor_tree_is_acyclic_and_managers_are_active() {
        let s = generate(1000, 5, today());
        let company = &s.company;
        for e in company.employees() {
            let mut seen = HashSet::new();
            let mut cur = e.supervisor_id;
            while let Some(id) = cur {
                assert!(seen.insert(id), "cycle at {}", e.id);
                let sup = company.get(id).expect("supervisor exists");
                assert_eq!(sup.status, Status::Active);
                cur = sup.supervisor_id;
            }
        }
        assert!(company.employees()[0].supervisor_id.is_none());
    }

    #[test]
    fn seeded_absences_never_overlap_per_employee() {
        let s = generate(400, 11, today());
        let day = s.absences.day();
        for (i, a) in day.iter().enumerate() {
            for b in &day[i + 1..] {
                if a.employee_id == b.employee_id {
                    assert!(
                        !a.clashes_with(b.start, b.end, b.half_day_start, b.half_day_end),
                        "{a:?} vs {b:?}"
                    );
                }
            }
        }
        assert!(day.iter().any(|a| a.status == AbsenceStatus::Pending));
        assert!(day.iter().any(|a| a.half_day_start || a.half_day_end));
        assert!(!s.absences.hour().is_empty());
    }

    #[test]
    fn seeded_timestamps_are_before_today() {
        let s = generate(300, 3, today());
        let start = berlin_to_utc(at(today(), 0, 0));
        for e in s.company.employees() {
            assert!(e.created_at < start && e.last_modified_at < start);
            assert!(e.created_at <= e.last_modified_at);
        }
        for a in s.absences.day() {
            assert!(a.created_at < start && a.updated_at < start);
        }
    }
}
