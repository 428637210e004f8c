//! The simulated company: employees, organisation units and time-off types.
//!
//! Employees are stored as compact structs and turned into Personio's attribute envelopes only when a
//! page is rendered (see `attributes.rs`), so a 100,000-employee company costs a few hundred bytes per
//! employee and listing a page costs only the employees on it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// Employment status values Personio uses (REFERENCE.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Onboarding,
    Leave,
    Inactive,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Onboarding => "onboarding",
            Status::Leave => "leave",
            Status::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "active" => Some(Status::Active),
            "onboarding" => Some(Status::Onboarding),
            "leave" => Some(Status::Leave),
            "inactive" => Some(Status::Inactive),
            _ => None,
        }
    }
}

/// Day- or hour-based absence type (immutable per type, REFERENCE.md §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Hour,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::Hour => "hour",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TimeOffType {
    pub id: u64,
    /// The v2 absence-type id (also the `absence_type.id` of v1 hourly periods).
    pub id_v2: Uuid,
    pub name: &'static str,
    pub category: &'static str,
    pub unit: Unit,
    pub approval_required: bool,
    /// Whether half-day requests are enabled (Personio stopped exposing this in 2024; still enforced).
    pub half_days_allowed: bool,
}

/// The v2 employment id of an employee (one employment per person, stable across restarts).
pub fn employment_id(employee_id: u64) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("https://sandbox.personio-mcp.example/employments/{employee_id}").as_bytes(),
    )
}

/// Ids of the seeded time-off types (stable across seeds so tests can name them).
pub const PAID_VACATION: u64 = 155627;
pub const SICK_LEAVE: u64 = 155628;
pub const UNPAID_LEAVE: u64 = 155629;
pub const PARENTAL_LEAVE: u64 = 155630;
pub const DOCTORS_APPOINTMENT: u64 = 155631;
pub const OFFSITE_WORK: u64 = 155632;

fn type_uuid(name: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("https://sandbox.personio-mcp.example/absence-types/{name}").as_bytes(),
    )
}

/// The time-off types of the simulated account; categories come from the spec's enum.
pub fn time_off_types() -> Vec<TimeOffType> {
    let t = |id, name: &'static str, category, unit, approval_required, half_days_allowed| {
        TimeOffType {
            id,
            id_v2: type_uuid(name),
            name,
            category,
            unit,
            approval_required,
            half_days_allowed,
        }
    };
    vec![
        t(
            PAID_VACATION,
            "Paid vacation",
            "paid_vacation",
            Unit::Day,
            true,
            true,
        ),
        t(
            SICK_LEAVE,
            "Sick leave",
            "sick_leave",
            Unit::Day,
            false,
            false,
        ),
        t(
            UNPAID_LEAVE,
            "Unpaid leave",
            "unpaid_vacation",
            Unit::Day,
            true,
            false,
        ),
        t(
            PARENTAL_LEAVE,
            "Parental leave",
            "maternity_parental_leave",
            Unit::Day,
            true,
            false,
        ),
        t(
            DOCTORS_APPOINTMENT,
            "Doctor's appointment",
            "other",
            Unit::Hour,
            false,
            false,
        ),
        t(
            OFFSITE_WORK,
            "Offsite work",
            "offsite_work",
            Unit::Hour,
            true,
            false,
        ),
    ]
}

/// One employee. Organisation references are ids into the static tables of `org.rs`.
#[derive(Debug, Clone)]
pub struct Employee {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub preferred_name: String,
    pub email: String,
    pub gender: String,
    pub status: Status,
    pub position: String,
    pub supervisor_id: Option<u64>,
    pub employment_type: String,
    /// A string, like Personio (`"40"`, `"32"`).
    pub weekly_working_hours: String,
    pub hire_date: NaiveDate,
    pub contract_end_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    pub termination_type: String,
    pub termination_reason: String,
    pub probation_period_end: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub last_modified_at: DateTime<Utc>,
    pub office_id: Option<u64>,
    pub department_id: Option<u64>,
    pub team_id: Option<u64>,
    /// (cost center id, percentage)
    pub cost_centers: Vec<(u64, u32)>,
    /// Paid-vacation entitlement in days for the current year.
    pub vacation_entitlement: f64,
    /// Monthly salary in euro cents.
    pub fix_salary_cents: i64,
    pub last_working_day: Option<NaiveDate>,
    // Custom attributes (see `attributes.rs` for keys and labels).
    pub title: String,
    pub languages: String,
    pub marital_status: String,
    pub next_review: Option<NaiveDate>,
    pub iban: String,
    pub date_of_birth: NaiveDate,
    pub home_address: String,
    pub nationality: String,
    pub personnel_number: String,
    /// Attribute keys changed after seeding, with when (drives `updated_since` + `attributes[]`).
    pub field_modified: Vec<(String, DateTime<Utc>)>,
}

impl Employee {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// When the attribute `key` last changed: its own change time if it was patched, otherwise the
    /// seeded `last_modified_at`.
    pub fn modified_at(&self, key: &str, seeded_modified: DateTime<Utc>) -> DateTime<Utc> {
        self.field_modified
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, t)| *t)
            .max()
            .unwrap_or(seeded_modified)
    }

    /// Daily working minutes from the weekly hours (Mon–Fri), used for hourly multi-day absences.
    pub fn daily_minutes(&self) -> u32 {
        let hours: f64 = self.weekly_working_hours.trim().parse().unwrap_or(40.0);
        let minutes = (hours * 60.0 / 5.0).round();
        if minutes.is_finite() && minutes > 0.0 && minutes < 1440.0 {
            minutes as u32
        } else {
            480
        }
    }
}

/// All employees (sorted by id) plus lookup indexes and the account's time-off types.
pub struct Company {
    employees: Vec<Employee>,
    by_id: HashMap<u64, usize>,
    by_email: HashMap<String, usize>,
    /// `last_modified_at` as seeded, per employee id (baseline for per-attribute change times).
    seeded_modified: HashMap<u64, DateTime<Utc>>,
    pub time_off_types: Vec<TimeOffType>,
}

impl Company {
    /// Builds the indexes; `employees` must be sorted by id.
    pub fn new(employees: Vec<Employee>) -> Company {
        let mut company = Company {
            employees: Vec::with_capacity(employees.len()),
            by_id: HashMap::with_capacity(employees.len()),
            by_email: HashMap::with_capacity(employees.len()),
            seeded_modified: HashMap::with_capacity(employees.len()),
            time_off_types: time_off_types(),
        };
        for e in employees {
            company.push(e);
        }
        company
    }

    /// Appends an employee (its id must exceed every existing id to keep the list sorted).
    pub fn push(&mut self, employee: Employee) {
        let idx = self.employees.len();
        self.by_id.insert(employee.id, idx);
        self.by_email.insert(employee.email.to_lowercase(), idx);
        self.seeded_modified
            .insert(employee.id, employee.last_modified_at);
        self.employees.push(employee);
    }

    pub fn employees(&self) -> &[Employee] {
        &self.employees
    }

    pub fn len(&self) -> usize {
        self.employees.len()
    }

    pub fn get(&self, id: u64) -> Option<&Employee> {
        self.by_id.get(&id).and_then(|i| self.employees.get(*i))
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Employee> {
        let idx = *self.by_id.get(&id)?;
        self.employees.get_mut(idx)
    }

    /// Exact, case-insensitive e-mail lookup.
    pub fn by_email(&self, email: &str) -> Option<&Employee> {
        self.by_email
            .get(&email.to_lowercase())
            .and_then(|i| self.employees.get(*i))
    }

    /// Re-points the e-mail index after an e-mail change.
    pub fn reindex_email(&mut self, old: &str, new: &str, id: u64) {
        if let Some(idx) = self.by_id.get(&id).copied() {
            self.by_email.remove(&old.to_lowercase());
            self.by_email.insert(new.to_lowercase(), idx);
        }
    }

    pub fn next_id(&self) -> u64 {
        self.employees.last().map_or(1_000_001, |e| e.id + 1)
    }

    pub fn seeded_modified(&self, id: u64) -> Option<DateTime<Utc>> {
        self.seeded_modified.get(&id).copied()
    }

    pub fn time_off_type(&self, id: u64) -> Option<&TimeOffType> {
        self.time_off_types.iter().find(|t| t.id == id)
    }

    pub fn time_off_type_by_uuid(&self, id: Uuid) -> Option<&TimeOffType> {
        self.time_off_types.iter().find(|t| t.id_v2 == id)
    }
}
