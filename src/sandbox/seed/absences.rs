//! The seeded absences of every employee over the calendar year of `today`: vacations, sick leave,
//! unpaid and parental leave (day units), doctor's appointments and offsite work (hour units), never
//! overlapping per employee.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::{Builder, Uuid};

use super::{add_days, at, pick, weighted};
use crate::sandbox::absences::{
    AbsenceStatus, AbsenceStore, CreatedBy, DayAbsence, HourAbsence, Origin,
};
use crate::sandbox::calendar::{add_working_days, is_working_day};
use crate::sandbox::clock::berlin_to_utc;
use crate::sandbox::data::{self, Company, Employee, Status, TimeOffType};

/// Candidate absences of one employee before they become stored records.
struct Plan<'a> {
    today_start: DateTime<Utc>,
    employee: &'a Employee,
    days: Vec<(NaiveDate, NaiveDate, bool, bool)>,
    hours: Vec<(NaiveDateTime, NaiveDateTime)>,
}

impl Plan<'_> {
    fn day_free(&self, start: NaiveDate, end: NaiveDate, hs: bool, he: bool) -> bool {
        !self.days.iter().any(|(s, e, a, b)| {
            crate::sandbox::calendar::day_periods_clash(*s, *e, *a, *b, start, end, hs, he)
        }) && !self
            .hours
            .iter()
            .any(|(s, e)| s.date() <= end && e.date() >= start)
    }

    /// created/updated timestamps for an absence starting on `start`, always before `today`.
    fn stamps(
        &self,
        rng: &mut ChaCha8Rng,
        start: NaiveDate,
        same_day: bool,
        approval: bool,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        let created_day = if same_day {
            start
        } else {
            add_days(start, -rng.random_range(3..90))
        };
        let latest = self.today_start - TimeDelta::minutes(5);
        let created = berlin_to_utc(at(
            created_day,
            rng.random_range(7..19),
            rng.random_range(0..60),
        )) + TimeDelta::seconds(rng.random_range(0..60));
        let created = created.min(latest - TimeDelta::hours(1));
        let updated = if approval {
            (created + TimeDelta::minutes(rng.random_range(5..4320))).min(latest)
        } else {
            created
        };
        (created, updated)
    }
}

fn random_working_day(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> Option<NaiveDate> {
    let span = (to - from).num_days();
    if span < 0 {
        return None;
    }
    for _ in 0..8 {
        let d = add_days(from, rng.random_range(0..=span));
        if is_working_day(d) {
            return Some(d);
        }
    }
    None
}

fn random_uuid(rng: &mut ChaCha8Rng) -> Uuid {
    Builder::from_random_bytes(rng.random::<u128>().to_le_bytes()).into_uuid()
}

const VACATION_COMMENTS: &[&str] = &[
    "",
    "",
    "",
    "",
    "Sommerurlaub",
    "Familienbesuch",
    "Hochzeit meiner Schwester",
    "Skiurlaub in Österreich",
    "Brückentag",
    "Umzug",
    "Vacaciones en España",
    "Städtetrip nach Kraków",
];
const SICK_COMMENTS: &[&str] = &["", "", "", "AU folgt"];
const DOCTOR_COMMENTS: &[&str] = &["Arzttermin", "Zahnarzt", "Vorsorgeuntersuchung", ""];
const OFFSITE_COMMENTS: &[&str] = &[
    "Kundentermin in München",
    "Messe",
    "Workshop beim Kunden",
    "",
];

pub(super) fn generate_absences(company: &Company, seed: u64, today: NaiveDate) -> AbsenceStore {
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let today_start = berlin_to_utc(at(today, 0, 0));
    let types: HashMap<u64, &TimeOffType> =
        company.time_off_types.iter().map(|t| (t.id, t)).collect();
    let approval = |id: u64| types.get(&id).is_some_and(|t| t.approval_required);

    let mut day_records = Vec::new();
    let mut hour_records = Vec::new();
    let mut next_id: u64 = 125_600_000;

    for employee in company.employees() {
        if employee.status == Status::Onboarding {
            continue;
        }
        let window_start = employee.hire_date.max(year_start);
        let window_end = employee.termination_date.unwrap_or(year_end).min(year_end);
        if window_start > window_end {
            continue;
        }
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed ^ employee.id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut plan = Plan {
            today_start,
            employee,
            days: Vec::new(),
            hours: Vec::new(),
        };
        // (type, start, end, half start, half end, comment)
        let mut planned: Vec<(u64, NaiveDate, NaiveDate, bool, bool, &'static str)> = Vec::new();

        if employee.status == Status::Leave {
            let start = add_days(today, -rng.random_range(14..150)).max(employee.hire_date);
            let end = add_days(today, rng.random_range(20..200));
            plan.days.push((start, end, false, false));
            planned.push((data::PARENTAL_LEAVE, start, end, false, false, "Elternzeit"));
        }
        for _ in 0..rng.random_range(2..=5) {
            let Some(start) = random_working_day(&mut rng, window_start, window_end) else {
                continue;
            };
            let len = *weighted(
                &mut rng,
                &[(1u32, 20u32), (2, 15), (3, 15), (5, 25), (8, 15), (10, 10)],
                |w| w.1,
            )
            .map(|w| &w.0)
            .unwrap_or(&1);
            let end = add_working_days(start, len);
            if end > window_end {
                continue;
            }
            let roll = rng.random_range(0..100);
            let (hs, he) = if len == 1 {
                match roll {
                    0..=7 => (true, false),
                    8..=14 => (false, true),
                    _ => (false, false),
                }
            } else {
                (roll < 10, (10..20).contains(&roll))
            };
            if plan.day_free(start, end, hs, he) {
                plan.days.push((start, end, hs, he));
                planned.push((
                    data::PAID_VACATION,
                    start,
                    end,
                    hs,
                    he,
                    pick(&mut rng, VACATION_COMMENTS),
                ));
            }
        }
        for _ in 0..rng.random_range(0..=2) {
            let Some(start) = random_working_day(&mut rng, window_start, window_end.min(today))
            else {
                continue;
            };
            let end = add_working_days(start, rng.random_range(1..=4));
            if plan.day_free(start, end, false, false) {
                plan.days.push((start, end, false, false));
                planned.push((
                    data::SICK_LEAVE,
                    start,
                    end,
                    false,
                    false,
                    pick(&mut rng, SICK_COMMENTS),
                ));
            }
        }
        if rng.random_range(0..100) < 4
            && let Some(start) = random_working_day(&mut rng, window_start, window_end)
        {
            let end = add_working_days(start, rng.random_range(3..=10));
            if end <= window_end && plan.day_free(start, end, false, false) {
                plan.days.push((start, end, false, false));
                planned.push((data::UNPAID_LEAVE, start, end, false, false, "Sabbatical"));
            }
        }
        if employee.status != Status::Leave
            && rng.random_range(0..100) < 1
            && let Some(start) = random_working_day(&mut rng, window_start, window_end)
        {
            let end = add_working_days(start, rng.random_range(20..=60));
            if plan.day_free(start, end, false, false) {
                plan.days.push((start, end, false, false));
                planned.push((data::PARENTAL_LEAVE, start, end, false, false, "Elternzeit"));
            }
        }

        for (type_id, start, end, hs, he, comment) in planned {
            let needs_approval = approval(type_id);
            let status = if end >= today && needs_approval && rng.random_range(0..100) < 35 {
                AbsenceStatus::Pending
            } else {
                AbsenceStatus::Approved
            };
            let (created_at, updated_at) = plan.stamps(
                &mut rng,
                start,
                type_id == data::SICK_LEAVE,
                needs_approval && status == AbsenceStatus::Approved,
            );
            let created_by = match rng.random_range(0..100) {
                0..=69 => CreatedBy::Employee(employee.id),
                70..=89 => CreatedBy::Employee(employee.supervisor_id.unwrap_or(employee.id)),
                _ => CreatedBy::Api,
            };
            next_id += rng.random_range(1..=9);
            day_records.push(DayAbsence {
                id: next_id,
                id_v2: random_uuid(&mut rng),
                employee_id: employee.id,
                type_id,
                start,
                end,
                half_day_start: hs,
                half_day_end: he,
                status,
                comment: comment.to_string(),
                created_by,
                created_at,
                updated_at,
            });
        }

        // Hour-unit absences.
        for _ in 0..rng.random_range(0..=2) {
            let Some(day) = random_working_day(&mut rng, window_start, window_end) else {
                continue;
            };
            let doctor = rng.random_bool(0.6);
            let (type_id, start, end, breakdown, comment) = if doctor {
                let from = at(day, rng.random_range(8..=15), 15 * rng.random_range(0..4));
                let minutes = 15 * rng.random_range(4..=12);
                let to = from + TimeDelta::minutes(i64::from(minutes));
                (
                    data::DOCTORS_APPOINTMENT,
                    from,
                    to,
                    vec![(day, minutes)],
                    pick(&mut rng, DOCTOR_COMMENTS),
                )
            } else if rng.random_bool(0.7) {
                let from = at(day, 9, 0);
                let to = at(day, 17, 0);
                (
                    data::OFFSITE_WORK,
                    from,
                    to,
                    vec![(day, 480)],
                    pick(&mut rng, OFFSITE_COMMENTS),
                )
            } else {
                let last = add_working_days(day, rng.random_range(2..=3));
                let daily = employee.daily_minutes();
                let breakdown: Vec<(NaiveDate, u32)> = day
                    .iter_days()
                    .take_while(|d| *d <= last)
                    .filter(|d| is_working_day(*d))
                    .map(|d| (d, daily))
                    .collect();
                (
                    data::OFFSITE_WORK,
                    at(day, 0, 0),
                    at(add_days(last, 1), 0, 0),
                    breakdown,
                    "Messe",
                )
            };
            if start.date() > window_end || !plan.day_free(start.date(), end.date(), false, false) {
                continue;
            }
            plan.hours.push((start, end));
            let needs_approval = approval(type_id);
            let status = if start.date() >= today && needs_approval && rng.random_range(0..100) < 35
            {
                AbsenceStatus::Pending
            } else {
                AbsenceStatus::Approved
            };
            let (created_at, updated_at) = plan.stamps(
                &mut rng,
                start.date(),
                false,
                needs_approval && status == AbsenceStatus::Approved,
            );
            hour_records.push(HourAbsence {
                id: random_uuid(&mut rng),
                employee_id: employee.id,
                type_id,
                start,
                end,
                half_day_start: false,
                half_day_end: false,
                status,
                comment: comment.to_string(),
                origin: if rng.random_range(0..100) < 90 {
                    Origin::Web
                } else {
                    Origin::Api
                },
                created_by: plan.employee.id,
                created_at,
                updated_at,
                approved_at: (status == AbsenceStatus::Approved).then_some(updated_at),
                breakdown,
            });
        }
    }
    AbsenceStore::new(day_records, hour_records)
}
