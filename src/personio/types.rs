//! Clean types the client hands to the layers above. No Personio wire quirks leak past here:
//! dates are dates, flags are bools, units are explicit, and "not readable" is never confused with
//! "empty".

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One employee attribute as the credential sees it.
///
/// Personio leaves out every attribute the API credential may not read (REFERENCE.md §7), so a
/// missing key means *not readable*, while `null`/`""` means *readable but empty*.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Attr<T> {
    /// The key was absent: the credential may not read this attribute (or it was projected away).
    #[default]
    Unreadable,
    /// Readable, but empty in Personio.
    Empty,
    Value(T),
}

impl<T> Attr<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Attr::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_value(self) -> Option<T> {
        match self {
            Attr::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_readable(&self) -> bool {
        !matches!(self, Attr::Unreadable)
    }
}

/// Employment status as Personio reports it; unknown values are kept rather than dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmployeeStatus {
    Active,
    Onboarding,
    Leave,
    Inactive,
    #[serde(untagged)]
    Other(String),
}

impl EmployeeStatus {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => EmployeeStatus::Active,
            "onboarding" => EmployeeStatus::Onboarding,
            "leave" => EmployeeStatus::Leave,
            "inactive" => EmployeeStatus::Inactive,
            other => EmployeeStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            EmployeeStatus::Active => "active",
            EmployeeStatus::Onboarding => "onboarding",
            EmployeeStatus::Leave => "leave",
            EmployeeStatus::Inactive => "inactive",
            EmployeeStatus::Other(s) => s,
        }
    }
}

/// A department, office, team or subcompany reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: Option<i64>,
    pub name: String,
}

/// A short reference to a person (supervisor, absence owner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonRef {
    pub id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

impl PersonRef {
    /// "First Last", or whatever part is known.
    pub fn full_name(&self) -> String {
        join_name(self.first_name.as_deref(), self.last_name.as_deref())
    }
}

pub(crate) fn join_name(first: Option<&str>, last: Option<&str>) -> String {
    match (first, last) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(f), None) => f.to_string(),
        (None, Some(l)) => l.to_string(),
        (None, None) => String::new(),
    }
}

/// A cost-center share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostCenter {
    pub id: Option<i64>,
    pub name: String,
    pub percentage: Option<f64>,
}

/// Yearly entitlement for one time-off type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entitlement {
    pub time_off_type_id: i64,
    pub name: Option<String>,
    pub category: Option<String>,
    pub entitlement: Option<f64>,
}

/// Any attribute without a typed field: custom `dynamic_<id>` attributes and the standard ones the
/// typed fields do not cover (salary, IBAN, date of birth...). The policy layer decides what of
/// this may leave the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraAttribute {
    /// Personio's key, e.g. `dynamic_7124045` or `fix_salary`.
    pub key: String,
    /// Human label in the account's language, e.g. "Language Skills".
    pub label: String,
    /// Personio's attribute type (`standard`, `date`, `tags`, `list`, `decimal`...), if sent.
    pub kind: Option<String>,
    pub universal_id: Option<String>,
    /// The raw value as sent (tags stay a comma-joined string here; see [`ExtraAttribute::tags`]).
    pub value: serde_json::Value,
}

impl ExtraAttribute {
    pub fn is_custom(&self) -> bool {
        self.key.starts_with("dynamic_")
    }

    /// The value split into tags when the attribute is a tags attribute.
    pub fn tags(&self) -> Option<Vec<String>> {
        (self.kind.as_deref() == Some("tags")).then(|| super::model::lenient::tags(&self.value))
    }
}

/// An employee with typed standard fields. Each field says whether it was readable.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Employee {
    pub id: i64,
    pub first_name: Attr<String>,
    pub last_name: Attr<String>,
    pub preferred_name: Attr<String>,
    pub email: Attr<String>,
    pub status: Attr<EmployeeStatus>,
    pub position: Attr<String>,
    pub department: Attr<OrgUnit>,
    pub office: Attr<OrgUnit>,
    pub team: Attr<OrgUnit>,
    pub subcompany: Attr<OrgUnit>,
    pub supervisor: Attr<PersonRef>,
    pub hire_date: Attr<NaiveDate>,
    pub termination_date: Attr<NaiveDate>,
    pub contract_end_date: Attr<NaiveDate>,
    pub weekly_working_hours: Attr<f64>,
    pub employment_type: Attr<String>,
    pub cost_centers: Attr<Vec<CostCenter>>,
    pub absence_entitlement: Attr<Vec<Entitlement>>,
    pub last_modified_at: Attr<DateTime<FixedOffset>>,
    /// Every other attribute present in the payload, keyed by Personio key.
    pub extra: BTreeMap<String, ExtraAttribute>,
}

impl Employee {
    /// "First Last" from whatever name parts are readable.
    pub fn full_name(&self) -> String {
        join_name(
            self.first_name.value().map(String::as_str),
            self.last_name.value().map(String::as_str),
        )
    }

    /// Custom attributes (`dynamic_<id>`) keyed by their human label.
    pub fn custom_attributes(&self) -> BTreeMap<&str, &ExtraAttribute> {
        self.extra
            .values()
            .filter(|a| a.is_custom())
            .map(|a| (a.label.as_str(), a))
            .collect()
    }
}

/// The unit an absence type is measured in. Never converted into one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Days,
    Hours,
}

impl Unit {
    /// Personio writes `day`/`hour` (v1), `DAY`/`HOUR` (v2), `hours`/`minutes` (hourly periods).
    pub fn parse(s: &str) -> Option<Unit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "days" => Some(Unit::Days),
            "hour" | "hours" | "minute" | "minutes" => Some(Unit::Hours),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::Hours => "hours",
        }
    }
}

/// An absence (time-off) type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeOffType {
    pub id: i64,
    pub name: String,
    /// Open string: Personio renamed categories in 2025 (REFERENCE.md §8.3).
    pub category: Option<String>,
    /// Old payloads (before hour types existed in v1) omit the unit; those types are day types.
    pub unit: Unit,
    pub approval_required: Option<bool>,
    /// The v2 UUID of the type, when Personio sends it.
    pub id_v2: Option<String>,
}

/// A reference to a type as embedded in an absence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeRef {
    /// The v1 integer id, when known (hourly periods carry it as `time_off_type_id`).
    pub id: Option<i64>,
    pub name: Option<String>,
    pub category: Option<String>,
}

/// An absence of either unit, in one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Absence {
    /// Integer id for day absences, UUID for hour absences; as a string for one shape.
    pub id: String,
    pub unit: Unit,
    pub employee: PersonRef,
    pub time_off_type: TypeRef,
    /// First absent day.
    pub start_date: NaiveDate,
    /// Last absent day (inclusive).
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    /// Hour absences: the exact start and end instants and the time zone they were booked in.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub timezone: Option<String>,
    /// Working days (day unit) or hours (hour unit) consumed.
    pub amount: Option<f64>,
    /// `approved`, `pending`, `requested`... (rejected requests are deleted, not kept).
    pub status: String,
    pub comment: Option<String>,
    pub created_at: Option<DateTime<FixedOffset>>,
    pub updated_at: Option<DateTime<FixedOffset>>,
}

impl Absence {
    /// The zone this absence's times are read and shown in: its own, else `company`'s. The one
    /// rule for display and duplicate detection alike (an unknown zone name counts as none).
    pub fn zone_or(&self, company: chrono_tz::Tz) -> chrono_tz::Tz {
        self.timezone
            .as_deref()
            .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
            .unwrap_or(company)
    }
}

/// Balance of one type for one employee, as Personio computes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    pub time_off_type_id: i64,
    pub name: String,
    pub category: Option<String>,
    /// Unit joined from the type list; `None` when the type is unknown to the type list.
    pub unit: Option<Unit>,
    /// Entitlement minus absences taken so far.
    pub balance: f64,
    /// Entitlement minus taken and planned absences.
    pub available_balance: Option<f64>,
}
