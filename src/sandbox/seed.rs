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
//! Absences use one random stream per employee, so generation is cheap to reason about and a
//! 100,000-employee company is produced in well under a second in release builds.

use std::collections::{HashMap, HashSet};

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc,
};
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::{Builder, Uuid};

use super::absences::{AbsenceStatus, AbsenceStore, CreatedBy, DayAbsence, HourAbsence, Origin};
use super::calendar::{add_working_days, is_working_day};
use super::clock::berlin_to_utc;
use super::data::{self, Company, DEPARTMENTS, Employee, MANAGEMENT, OFFICES, Status, TimeOffType};
use super::names::{self, ANCHORS, GROUPS};

/// The seeded world: employees and their absences.
pub struct Seeded {
    pub company: Company,
    pub absences: AbsenceStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Head,
    Lead,
    Member,
}

/// Generates the company. `today` must be a date with a year between 1900 and 9999 (checked by the
/// caller) so that date arithmetic cannot leave chrono's range.
pub fn generate(employees: usize, seed: u64, today: NaiveDate) -> Seeded {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let list = generate_employees(&mut rng, employees, today);
    let company = Company::new(list);
    let absences = generate_absences(&company, seed, today);
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

fn nickname(first: &str) -> Option<&'static str> {
    Some(match first {
        "Maximilian" => "Max",
        "Katharina" => "Kathi",
        "Franziska" => "Franzi",
        "Bartłomiej" => "Bartek",
        "Małgorzata" => "Gosia",
        "Niccolò" => "Nico",
        "Giuseppe" => "Peppe",
        "Hans-Peter" => "Hape",
        "Karl-Heinz" => "Kalle",
        "Elisabeth" => "Sisi",
        _ => return None,
    })
}

const LANGUAGES: &[&str] = &[
    "German",
    "English",
    "French",
    "Spanish",
    "Italian",
    "Polish",
    "Dutch",
    "Danish",
    "Czech",
    "Portuguese",
];

/// Options of the list/tags custom attributes (also served by `/employees/attributes`).
pub const LANGUAGE_OPTIONS: &[&str] = LANGUAGES;
pub const MARITAL_OPTIONS: &[&str] = &["single", "married", "divorced", "widowed"];
pub const NATIONALITY_OPTIONS: &[&str] = &[
    "German",
    "Austrian",
    "Spanish",
    "French",
    "Italian",
    "Polish",
    "Dutch",
    "Danish",
    "Czech",
    "Portuguese",
    "Irish",
];

fn mother_tongue(nationality: &str) -> &'static str {
    match nationality {
        "German" | "Austrian" => "German",
        "Spanish" => "Spanish",
        "French" => "French",
        "Italian" => "Italian",
        "Polish" => "Polish",
        "Dutch" => "Dutch",
        "Danish" => "Danish",
        "Czech" => "Czech",
        "Portuguese" => "Portuguese",
        _ => "English",
    }
}

const STREETS: &[&str] = &[
    "Lindenstraße",
    "Hauptstraße",
    "Schillerstraße",
    "Goethestraße",
    "Bahnhofstraße",
    "Mühlenweg",
    "Am Weißen Steg",
    "Königsallee",
    "Rosenstraße",
    "Gartenstraße",
    "Bergstraße",
    "Schloßallee",
];

/// A German IBAN with a valid ISO 7064 mod-97 check, grouped in fours like Personio shows it.
fn iban(rng: &mut ChaCha8Rng) -> String {
    let bank: u64 = rng.random_range(10_000_000..100_000_000);
    let account: u64 = rng.random_range(0..10_000_000_000);
    let bban = format!("{bank:08}{account:010}");
    // Move "DE00" to the end, letters as numbers (D=13, E=14), then mod 97.
    let numeric = format!("{bban}131400");
    let remainder = numeric.bytes().fold(0u32, |acc, b| {
        (acc * 10 + u32::from(b.saturating_sub(b'0'))) % 97
    });
    let check = 98 - remainder;
    let raw = format!("DE{check:02}{bban}");
    let mut grouped = String::with_capacity(raw.len() + 6);
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    grouped
}

fn generate_employees(rng: &mut ChaCha8Rng, count: usize, today: NaiveDate) -> Vec<Employee> {
    let today_start = berlin_to_utc(at(today, 0, 0));
    let mut list: Vec<Employee> = Vec::with_capacity(count);
    let mut dept_head: Vec<Option<u64>> = vec![None; DEPARTMENTS.len()];
    let mut team_lead: HashMap<u64, u64> = HashMap::new();
    let mut emails: HashSet<String> = HashSet::with_capacity(count);
    let mut next_id: u64 = 1_000_000 + rng.random_range(0..1000);

    for i in 0..count {
        next_id += rng.random_range(1..=4);
        let id = next_id;

        // Names.
        let (first, last, gender, nationality) = if let Some(&(f, l, g, n)) = ANCHORS.get(i) {
            (f.to_string(), l.to_string(), g.to_string(), n.to_string())
        } else if i >= 20 && i % 41 == 7 {
            // Plant an exact full-name duplicate of an earlier (non-anchor) employee.
            let j = rng.random_range(ANCHORS.len()..i);
            match list.get(j) {
                Some(other) => (
                    other.first_name.clone(),
                    other.last_name.clone(),
                    other.gender.clone(),
                    other.nationality.clone(),
                ),
                None => (
                    "Anna".into(),
                    "Schmidt".into(),
                    "female".into(),
                    "German".into(),
                ),
            }
        } else {
            let group = weighted(rng, GROUPS, |g| g.weight).unwrap_or(&GROUPS[0]);
            let female = rng.random_bool(0.5);
            let first = pick(rng, if female { group.female } else { group.male });
            let last = pick(rng, group.last);
            let gender = match rng.random_range(0..100) {
                0..=1 => "diverse",
                2..=4 => "",
                _ if female => "female",
                _ => "male",
            };
            (
                first.to_string(),
                last.to_string(),
                gender.to_string(),
                group.nationality.to_string(),
            )
        };

        // Department, team and role.
        let (dept_idx, team_id, role) = if i == 0 {
            (MANAGEMENT, None, Role::Head)
        } else {
            let idx = {
                let choices: Vec<usize> = (0..DEPARTMENTS.len()).collect();
                let picked = weighted(rng, &choices, |d| {
                    DEPARTMENTS.get(*d).map_or(0, |d| d.weight)
                });
                picked.copied().unwrap_or(1)
            };
            let dept = DEPARTMENTS.get(idx).unwrap_or(&DEPARTMENTS[1]);
            if dept_head.get(idx).copied().flatten().is_none() {
                (idx, None, Role::Head)
            } else {
                match dept.teams.choose(rng) {
                    Some(team) if !team_lead.contains_key(&team.id) => {
                        (idx, Some(team.id), Role::Lead)
                    }
                    Some(team) => (idx, Some(team.id), Role::Member),
                    None => (idx, None, Role::Member),
                }
            }
        };
        let dept = DEPARTMENTS.get(dept_idx).unwrap_or(&DEPARTMENTS[0]);
        let ceo_id = list.first().map(|e| e.id);
        let head_id = dept_head.get(dept_idx).copied().flatten();
        let supervisor_id = match role {
            Role::Head => ceo_id,
            Role::Lead => head_id,
            Role::Member => team_id.and_then(|t| team_lead.get(&t).copied()).or(head_id),
        };
        match role {
            Role::Head => {
                if let Some(slot) = dept_head.get_mut(dept_idx) {
                    *slot = Some(id);
                }
            }
            Role::Lead => {
                if let Some(t) = team_id {
                    team_lead.insert(t, id);
                }
            }
            Role::Member => {}
        }
        let position = match role {
            Role::Head => dept.head_title.to_string(),
            Role::Lead => dept.lead_title.to_string(),
            Role::Member => pick(rng, dept.positions).to_string(),
        };
        let manager = role != Role::Member;

        // Status and dates.
        let status = if manager {
            Status::Active
        } else {
            match rng.random_range(0..100) {
                0..=82 => Status::Active,
                83..=86 => Status::Onboarding,
                87..=89 => Status::Leave,
                _ => Status::Inactive,
            }
        };
        let (hire_date, termination_date) = match status {
            Status::Onboarding => (add_days(today, rng.random_range(1..=60)), None),
            Status::Inactive => {
                let hire = add_days(today, -rng.random_range(400..4000));
                let span = (today - hire).num_days() - 92;
                let term = add_days(hire, rng.random_range(90..span.max(91)));
                (hire, Some(term))
            }
            _ if i == 0 => (add_days(today, -rng.random_range(3000..4000)), None),
            _ => (add_days(today, -rng.random_range(30..4000)), None),
        };
        let working_student = position.starts_with("Working Student");
        let employment_type = if rng.random_range(0..100) < 8 {
            "external"
        } else {
            "internal"
        };
        let weekly_working_hours = if working_student {
            "20"
        } else {
            *weighted(
                rng,
                &[("40", 78u32), ("32", 8), ("30", 6), ("24", 4), ("20", 4)],
                |w| w.1,
            )
            .map(|w| &w.0)
            .unwrap_or(&"40")
        };
        let contract_end_date = if working_student {
            hire_date.checked_add_months(Months::new(24))
        } else if employment_type == "external" {
            Some(add_days(today.max(hire_date), rng.random_range(30..400)))
        } else {
            None
        };
        let (termination_type, termination_reason) = if termination_date.is_some() {
            (
                pick(
                    rng,
                    &[
                        "Resignation",
                        "Dismissal",
                        "Mutual agreement",
                        "End of fixed-term contract",
                    ],
                ),
                pick(
                    rng,
                    &[
                        "New job",
                        "Relocation",
                        "Restructuring",
                        "Personal reasons",
                        "Studies",
                    ],
                ),
            )
        } else {
            ("", "")
        };
        let created_day = add_days(hire_date.min(add_days(today, -1)), -rng.random_range(7..60));
        let created_at = berlin_to_utc(at(
            created_day,
            rng.random_range(8..18),
            rng.random_range(0..60),
        )) + TimeDelta::seconds(rng.random_range(0..60));
        let span = (today_start - created_at).num_seconds().max(1);
        let last_modified_at = (created_at + TimeDelta::seconds(rng.random_range(0..span)))
            .min(today_start - TimeDelta::seconds(61));

        // Office and money.
        let office = weighted(rng, OFFICES, |o| o.weight).unwrap_or(&OFFICES[0]);
        let mut cost_centers = vec![(dept.cost_center_id, 100u32)];
        if rng.random_range(0..100) < 10 {
            cost_centers = vec![(dept.cost_center_id, 80), (82957, 20)];
        }
        let hours: f64 = weekly_working_hours.parse().unwrap_or(40.0);
        let base_vacation = *weighted(
            rng,
            &[(25.0f64, 2u32), (26.0, 2), (28.0, 3), (30.0, 4)],
            |w| w.1,
        )
        .map(|w| &w.0)
        .unwrap_or(&28.0);
        let vacation_entitlement = (base_vacation * hours / 40.0 * 2.0).round() / 2.0;
        let monthly_euros: i64 = if i == 0 {
            16_000
        } else if working_student {
            rng.random_range(1_400..1_900)
        } else {
            match role {
                Role::Head => rng.random_range(8_500..13_000),
                Role::Lead => rng.random_range(6_000..9_000),
                Role::Member => rng.random_range(3_200..7_500),
            }
        };
        let cents = if rng.random_range(0..100) < 30 {
            rng.random_range(1..100)
        } else {
            0
        };
        let fix_salary_cents = ((monthly_euros as f64 * hours / 40.0).round() as i64) * 100 + cents;

        // Custom attributes.
        let title = match rng.random_range(0..100) {
            0..=6 => "Dr.",
            7..=8 => "Prof. Dr.",
            9..=11 => "Dipl.-Ing.",
            _ => "",
        };
        let nationality = if rng.random_range(0..100) < 90 {
            nationality
        } else {
            pick(rng, NATIONALITY_OPTIONS).to_string()
        };
        let mut langs = vec![mother_tongue(&nationality)];
        for _ in 0..rng.random_range(0..3) {
            let l = pick(rng, LANGUAGES);
            if !langs.contains(&l) {
                langs.push(l);
            }
        }
        let languages = langs.join(",");
        let marital_status = *weighted(
            rng,
            &[
                ("single", 45u32),
                ("married", 40),
                ("divorced", 8),
                ("widowed", 2),
                ("", 5),
            ],
            |w| w.1,
        )
        .map(|w| &w.0)
        .unwrap_or(&"");
        let next_review =
            (rng.random_range(0..100) < 70).then(|| add_days(today, rng.random_range(1..365)));
        let iban = iban(rng);
        let date_of_birth = add_days(hire_date, -rng.random_range(22 * 365..58 * 365));
        let home_address = format!(
            "{} {}\n{} {}",
            pick(rng, STREETS),
            rng.random_range(1..140),
            office.postcode,
            office.city
        );

        // E-mail: folded first.last, numbered on collision.
        let base = format!("{}.{}", names::fold_ascii(&first), names::fold_ascii(&last));
        let mut email = format!("{base}@{}", data::EMAIL_DOMAIN);
        let mut n = 2;
        while emails.contains(&email) {
            email = format!("{base}{n}@{}", data::EMAIL_DOMAIN);
            n += 1;
        }
        emails.insert(email.clone());

        let preferred_name = nickname(&first)
            .map(|nick| format!("{nick} {last}"))
            .unwrap_or_default();

        list.push(Employee {
            id,
            first_name: first,
            last_name: last,
            preferred_name,
            email,
            gender,
            status,
            position,
            supervisor_id,
            employment_type: employment_type.to_string(),
            weekly_working_hours: weekly_working_hours.to_string(),
            hire_date,
            contract_end_date,
            termination_date,
            termination_type: termination_type.to_string(),
            termination_reason: termination_reason.to_string(),
            probation_period_end: hire_date.checked_add_months(Months::new(6)),
            created_at,
            last_modified_at,
            office_id: Some(office.id),
            department_id: Some(dept.id),
            team_id,
            cost_centers,
            vacation_entitlement,
            fix_salary_cents,
            last_working_day: termination_date,
            title: title.to_string(),
            languages,
            marital_status: marital_status.to_string(),
            next_review,
            iban,
            date_of_birth,
            home_address,
            nationality,
            personnel_number: format!("NL-{:05}", i + 1),
            field_modified: Vec::new(),
        });
    }
    list
}

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
            super::calendar::day_periods_clash(*s, *e, *a, *b, start, end, hs, he)
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

fn generate_absences(company: &Company, seed: u64, today: NaiveDate) -> AbsenceStore {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 16).unwrap()
    }

    #[test]
    fn iban_check_digits_are_valid() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..50 {
            let iban = iban(&mut rng).replace(' ', "");
            assert_eq!(iban.len(), 22);
            let rearranged = format!("{}{}", &iban[4..], "1314") + &iban[2..4];
            let rem = rearranged
                .bytes()
                .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
            assert_eq!(rem, 1, "{iban}");
        }
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
