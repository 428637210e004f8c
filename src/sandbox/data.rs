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

/// A department with its teams and the positions its members hold.
pub struct Department {
    pub id: u64,
    pub name: &'static str,
    /// Relative share of the workforce.
    pub weight: u32,
    pub head_title: &'static str,
    pub lead_title: &'static str,
    pub positions: &'static [&'static str],
    pub teams: &'static [Team],
    pub cost_center_id: u64,
}

pub struct Team {
    pub id: u64,
    pub name: &'static str,
}

/// An office; it decides the holiday calendar (informational only, holidays are ignored) and the
/// subcompany.
pub struct Office {
    pub id: u64,
    pub name: &'static str,
    pub weight: u32,
    pub calendar_id: u64,
    pub calendar_name: &'static str,
    pub country: &'static str,
    pub state: Option<&'static str>,
    pub subcompany_id: Option<u64>,
    pub postcode: &'static str,
    pub city: &'static str,
}

pub struct Subcompany {
    pub id: u64,
    pub name: &'static str,
}

pub struct CostCenter {
    pub id: u64,
    pub name: &'static str,
}

/// Index of the management department in [`DEPARTMENTS`]; only the CEO and the department heads'
/// direct reports start there.
pub const MANAGEMENT: usize = 0;

pub static DEPARTMENTS: &[Department] = &[
    Department {
        id: 281501,
        name: "Management",
        weight: 0,
        head_title: "Chief Executive Officer",
        lead_title: "Chief of Staff",
        positions: &["Executive Assistant"],
        teams: &[],
        cost_center_id: 82900,
    },
    Department {
        id: 281502,
        name: "Engineering",
        weight: 30,
        head_title: "VP Engineering",
        lead_title: "Engineering Manager",
        positions: &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "QA Engineer",
            "DevOps Engineer",
            "Working Student Engineering",
        ],
        teams: &[
            Team {
                id: 59021,
                name: "Platform",
            },
            Team {
                id: 59022,
                name: "Payments",
            },
            Team {
                id: 59023,
                name: "Mobile",
            },
            Team {
                id: 59024,
                name: "Data & Analytics",
            },
        ],
        cost_center_id: 82901,
    },
    Department {
        id: 281503,
        name: "Product",
        weight: 8,
        head_title: "Head of Product",
        lead_title: "Group Product Manager",
        positions: &["Product Manager", "Product Designer", "UX Researcher"],
        teams: &[
            Team {
                id: 59031,
                name: "Discovery",
            },
            Team {
                id: 59032,
                name: "Design",
            },
        ],
        cost_center_id: 82902,
    },
    Department {
        id: 281504,
        name: "Sales",
        weight: 15,
        head_title: "Head of Sales",
        lead_title: "Sales Team Lead",
        positions: &[
            "Account Executive",
            "Sales Development Representative",
            "Solutions Consultant",
        ],
        teams: &[
            Team {
                id: 59041,
                name: "DACH Sales",
            },
            Team {
                id: 59042,
                name: "International Sales",
            },
            Team {
                id: 59043,
                name: "Sales Development",
            },
        ],
        cost_center_id: 82903,
    },
    Department {
        id: 281505,
        name: "Marketing",
        weight: 8,
        head_title: "Head of Marketing",
        lead_title: "Marketing Team Lead",
        positions: &[
            "Content Marketing Manager",
            "Performance Marketing Manager",
            "Brand Designer",
        ],
        teams: &[
            Team {
                id: 59051,
                name: "Brand",
            },
            Team {
                id: 59052,
                name: "Growth",
            },
        ],
        cost_center_id: 82904,
    },
    Department {
        id: 281521,
        name: "Customer Support",
        weight: 14,
        head_title: "Head of Customer Support",
        lead_title: "Support Team Lead",
        positions: &[
            "Customer Support Agent",
            "Customer Success Manager",
            "Onboarding Specialist",
        ],
        teams: &[
            Team {
                id: 59061,
                name: "1st Level Support",
            },
            Team {
                id: 59062,
                name: "Onboarding",
            },
        ],
        cost_center_id: 82905,
    },
    Department {
        id: 281507,
        name: "Finance",
        weight: 5,
        head_title: "Chief Financial Officer",
        lead_title: "Head of Accounting",
        positions: &["Accountant", "Financial Controller", "Payroll Specialist"],
        teams: &[
            Team {
                id: 59071,
                name: "Accounting",
            },
            Team {
                id: 59072,
                name: "Controlling",
            },
        ],
        cost_center_id: 82906,
    },
    Department {
        id: 281508,
        name: "People & Culture",
        weight: 5,
        head_title: "Head of People & Culture",
        lead_title: "Talent Acquisition Lead",
        positions: &[
            "HR Business Partner",
            "Recruiter",
            "People Operations Specialist",
        ],
        teams: &[
            Team {
                id: 59081,
                name: "Recruiting",
            },
            Team {
                id: 59082,
                name: "People Operations",
            },
        ],
        cost_center_id: 82907,
    },
    Department {
        id: 281509,
        name: "Operations",
        weight: 6,
        head_title: "Head of Operations",
        lead_title: "Office Manager",
        positions: &[
            "Office Coordinator",
            "Procurement Specialist",
            "Facility Manager",
        ],
        teams: &[Team {
            id: 59091,
            name: "Workplace",
        }],
        cost_center_id: 82908,
    },
    Department {
        id: 281510,
        name: "Legal",
        weight: 2,
        head_title: "General Counsel",
        lead_title: "Senior Legal Counsel",
        positions: &["Legal Counsel", "Data Protection Officer"],
        teams: &[],
        cost_center_id: 82909,
    },
];

pub static OFFICES: &[Office] = &[
    Office {
        id: 131014,
        name: "Berlin",
        weight: 45,
        calendar_id: 3,
        calendar_name: "Deutschland (Berlin) Feiertage",
        country: "DE",
        state: Some("Berlin"),
        subcompany_id: None,
        postcode: "10115",
        city: "Berlin",
    },
    Office {
        id: 131015,
        name: "München",
        weight: 20,
        calendar_id: 2,
        calendar_name: "Deutschland (Bayern) Feiertage",
        country: "DE",
        state: Some("Bayern"),
        subcompany_id: None,
        postcode: "80331",
        city: "München",
    },
    Office {
        id: 131016,
        name: "Hamburg",
        weight: 10,
        calendar_id: 6,
        calendar_name: "Deutschland (Hamburg) Feiertage",
        country: "DE",
        state: Some("Hamburg"),
        subcompany_id: None,
        postcode: "20095",
        city: "Hamburg",
    },
    Office {
        id: 131017,
        name: "Wien",
        weight: 8,
        calendar_id: 40,
        calendar_name: "Österreich Feiertage",
        country: "AT",
        state: None,
        subcompany_id: Some(7034),
        postcode: "1010",
        city: "Wien",
    },
    Office {
        id: 131018,
        name: "Zürich",
        weight: 5,
        calendar_id: 51,
        calendar_name: "Schweiz (Zürich) Feiertage",
        country: "CH",
        state: Some("Zürich"),
        subcompany_id: Some(7035),
        postcode: "8001",
        city: "Zürich",
    },
    Office {
        id: 131019,
        name: "Barcelona",
        weight: 5,
        calendar_id: 71,
        calendar_name: "España (Cataluña) Festivos",
        country: "ES",
        state: Some("Cataluña"),
        subcompany_id: Some(7036),
        postcode: "08002",
        city: "Barcelona",
    },
    Office {
        id: 201439,
        name: "Remote",
        weight: 7,
        calendar_id: 1,
        calendar_name: "Deutschland Feiertage",
        country: "DE",
        state: None,
        subcompany_id: None,
        postcode: "50667",
        city: "Köln",
    },
];

pub static SUBCOMPANIES: &[Subcompany] = &[
    Subcompany {
        id: 7034,
        name: "Nordlicht Austria GmbH",
    },
    Subcompany {
        id: 7035,
        name: "Nordlicht Schweiz AG",
    },
    Subcompany {
        id: 7036,
        name: "Nordlicht Iberia S.L.",
    },
];

pub static COST_CENTERS: &[CostCenter] = &[
    CostCenter {
        id: 82900,
        name: "CC-1000 Management",
    },
    CostCenter {
        id: 82901,
        name: "CC-4100 Engineering",
    },
    CostCenter {
        id: 82902,
        name: "CC-4200 Product",
    },
    CostCenter {
        id: 82903,
        name: "CC-5100 Sales",
    },
    CostCenter {
        id: 82904,
        name: "CC-5200 Marketing",
    },
    CostCenter {
        id: 82905,
        name: "CC-5300 Customer Support",
    },
    CostCenter {
        id: 82906,
        name: "CC-2100 Finance",
    },
    CostCenter {
        id: 82907,
        name: "CC-2200 People & Culture",
    },
    CostCenter {
        id: 82908,
        name: "CC-2300 Operations",
    },
    CostCenter {
        id: 82909,
        name: "CC-2400 Legal",
    },
    CostCenter {
        id: 82957,
        name: "CC-9000 Innovation Lab",
    },
];

/// The e-mail domain of the simulated company (`.example` is reserved, so nothing leaks anywhere).
pub const EMAIL_DOMAIN: &str = "nordlicht.example";

pub fn department(id: u64) -> Option<&'static Department> {
    DEPARTMENTS.iter().find(|d| d.id == id)
}

pub fn team(id: u64) -> Option<(&'static Department, &'static Team)> {
    DEPARTMENTS
        .iter()
        .find_map(|d| d.teams.iter().find(|t| t.id == id).map(|t| (d, t)))
}

pub fn office(id: u64) -> Option<&'static Office> {
    OFFICES.iter().find(|o| o.id == id)
}

pub fn subcompany(id: u64) -> Option<&'static Subcompany> {
    SUBCOMPANIES.iter().find(|s| s.id == id)
}

pub fn cost_center(id: u64) -> Option<&'static CostCenter> {
    COST_CENTERS.iter().find(|c| c.id == id)
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

/// One employee. Organisation references are ids into the static tables above.
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
