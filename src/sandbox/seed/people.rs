//! The seeded people: names, organisation placement and the supervisor tree, statuses, contracts and
//! custom attributes (see the module above for the shape of the company).

use std::collections::{HashMap, HashSet};

use chrono::{Months, NaiveDate, TimeDelta};
use rand::RngExt;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::{add_days, at, pick, weighted};
use crate::sandbox::clock::berlin_to_utc;
use crate::sandbox::data::{Employee, Status};
use crate::sandbox::names::{self, ANCHORS, NameGroup};
use crate::sandbox::org::{self, DEPARTMENTS, MANAGEMENT, OFFICES};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Head,
    Lead,
    Member,
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
    "German", "English", "French", "Spanish", "Italian", "Polish", "Dutch", "Danish", "Czech",
    "Portuguese",
];

/// Options of the list/tags custom attributes (also served by `/employees/attributes`).
pub const LANGUAGE_OPTIONS: &[&str] = LANGUAGES;
pub const MARITAL_OPTIONS: &[&str] = &["single", "married", "divorced", "widowed"];
pub const NATIONALITY_OPTIONS: &[&str] = &[
    "German", "Austrian", "Spanish", "French", "Italian", "Polish", "Dutch", "Danish", "Czech",
    "Portuguese", "Irish",
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
    "Lindenstraße", "Hauptstraße", "Schillerstraße", "Goethestraße", "Bahnhofstraße", "Mühlenweg",
    "Am Weißen Steg", "Königsallee", "Rosenstraße", "Gartenstraße", "Bergstraße", "Schloßallee",
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

pub(super) fn generate_employees(
    rng: &mut ChaCha8Rng,
    count: usize,
    today: NaiveDate,
) -> Vec<Employee> {
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
            let fallback = NameGroup::default();
            let group = weighted(rng, names::groups(), |g| g.weight).unwrap_or(&fallback);
            let female = rng.random_bool(0.5);
            let first = pick(rng, if female { &group.female } else { &group.male });
            let last = pick(rng, &group.last);
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
                        "New job", "Relocation", "Restructuring", "Personal reasons", "Studies",
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
        let mut email = format!("{base}@{}", org::EMAIL_DOMAIN);
        let mut n = 2;
        while emails.contains(&email) {
            email = format!("{base}{n}@{}", org::EMAIL_DOMAIN);
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

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

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
}
