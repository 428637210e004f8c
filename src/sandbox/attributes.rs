//! The employee attribute catalogue, the per-credential whitelists, and rendering of one employee into
//! Personio's attribute envelopes.
//!
//! Whitelisting works like Personio's "Readable employee attributes": an attribute the credential may
//! not read is **absent** (no key, no null, no error). `attributes[]` projections can only narrow the
//! whitelist; `id` is always returned. `/company/employees/attributes` lists exactly the whitelist.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Number;

use super::auth::Whitelist;
use super::clock;
use super::data::{self, Company, Employee};
use super::envelope::{Envelope, ShortEmployee, number, short_employee};
use super::org;
use super::seed::{LANGUAGE_OPTIONS, MARITAL_OPTIONS, NATIONALITY_OPTIONS};

/// One readable attribute: key, label, Personio type, universal id, options (list/tags only).
#[derive(Debug)]
pub struct AttrDef {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub universal_id: Option<&'static str>,
    pub options: &'static [&'static str],
    pub currency: bool,
}

const fn std_attr(key: &'static str, label: &'static str, kind: &'static str) -> AttrDef {
    AttrDef {
        key,
        label,
        kind,
        universal_id: Some(key),
        options: &[],
        currency: false,
    }
}

const fn custom(
    key: &'static str,
    label: &'static str,
    kind: &'static str,
    universal_id: Option<&'static str>,
    options: &'static [&'static str],
) -> AttrDef {
    AttrDef {
        key,
        label,
        kind,
        universal_id,
        options,
        currency: false,
    }
}

pub const KEY_LANGUAGES: &str = "dynamic_7124045";
pub const KEY_MARITAL: &str = "dynamic_2";
pub const KEY_REVIEW: &str = "dynamic_33400";
pub const KEY_TITLE: &str = "dynamic_24407";
pub const KEY_PERSONNEL_NUMBER: &str = "dynamic_700551";
pub const KEY_IBAN: &str = "dynamic_21827";
pub const KEY_BIRTHDAY: &str = "dynamic_180883";
pub const KEY_ADDRESS: &str = "dynamic_501";
pub const KEY_NATIONALITY: &str = "dynamic_502";

/// Every attribute of the simulated account, in Personio's output order.
pub static CATALOGUE: &[AttrDef] = &[
    std_attr("id", "ID", "integer"),
    std_attr("first_name", "First name", "standard"),
    std_attr("last_name", "Last name", "standard"),
    std_attr("preferred_name", "Name (preferred)", "standard"),
    std_attr("email", "Email", "standard"),
    std_attr("gender", "Gender", "standard"),
    std_attr("status", "Status", "standard"),
    std_attr("position", "Position", "standard"),
    std_attr("supervisor", "Supervisor", "standard"),
    std_attr("employment_type", "Employment type", "standard"),
    std_attr("weekly_working_hours", "Weekly hours", "standard"),
    std_attr("hire_date", "Hire date", "date"),
    std_attr("contract_end_date", "Contract ends", "date"),
    std_attr("termination_date", "Termination date", "date"),
    std_attr("termination_type", "Termination type", "standard"),
    std_attr("termination_reason", "Termination reason", "standard"),
    std_attr("probation_period_end", "Probation period end", "date"),
    std_attr("created_at", "Created at", "date"),
    std_attr("last_modified_at", "Last modified", "date"),
    std_attr("subcompany", "Subcompany", "standard"),
    std_attr("office", "Office", "standard"),
    std_attr("department", "Department", "standard"),
    std_attr("cost_centers", "Cost center", "standard"),
    std_attr("holiday_calendar", "Public holidays", "standard"),
    std_attr("absence_entitlement", "Absence entitlement", "standard"),
    std_attr("work_schedule", "Work schedule", "standard"),
    AttrDef {
        currency: true,
        ..std_attr("fix_salary", "Fixed salary", "decimal")
    },
    std_attr("fix_salary_interval", "Salary interval", "standard"),
    AttrDef {
        currency: true,
        ..std_attr("hourly_salary", "Hourly salary", "decimal")
    },
    std_attr("last_working_day", "Last day of work", "date"),
    std_attr("profile_picture", "Profile Picture", "standard"),
    std_attr("team", "Team", "standard"),
    custom(KEY_PERSONNEL_NUMBER, "Employee ID", "standard", None, &[]),
    custom(KEY_TITLE, "Titel", "standard", None, &[]),
    custom(
        KEY_LANGUAGES, "Language Skills", "tags", None, LANGUAGE_OPTIONS,
    ),
    custom(KEY_MARITAL, "Marital status", "list", None, MARITAL_OPTIONS),
    custom(KEY_REVIEW, "Next performance review", "date", None, &[]),
    custom(KEY_IBAN, "IBAN", "standard", Some("iban"), &[]),
    custom(KEY_BIRTHDAY, "Birthday", "date", Some("date_of_birth"), &[]),
    custom(KEY_ADDRESS, "Home address", "multiline", None, &[]),
    custom(
        KEY_NATIONALITY,
        "Nationality",
        "list",
        Some("nationality"),
        NATIONALITY_OPTIONS,
    ),
];

/// The attributes to render: the credential's whitelist, narrowed by a projection when one is given
/// (unknown or non-whitelisted names are ignored; `id` always stays).
pub fn visible(whitelist: Whitelist, projection: &[String]) -> Vec<&'static AttrDef> {
    CATALOGUE
        .iter()
        .filter(|d| whitelist.allows(d.key))
        .filter(|d| d.key == "id" || projection.is_empty() || projection.iter().any(|p| p == d.key))
        .collect()
}

/// `{"type": "...", "attributes": {"id": ..., "name": ...}}` — plain attributes (no envelopes).
#[derive(Debug, Serialize)]
pub struct OrgRef {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: OrgAttributes,
}

#[derive(Debug, Serialize)]
struct OrgAttributes {
    id: u64,
    name: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CostCenterRef {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: CostCenterAttributes,
}

#[derive(Debug, Serialize)]
struct CostCenterAttributes {
    id: u64,
    name: &'static str,
    percentage: u32,
}

#[derive(Debug, Serialize)]
pub struct CalendarRef {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: CalendarAttributes,
}

#[derive(Debug, Serialize)]
struct CalendarAttributes {
    id: u64,
    name: &'static str,
    country: &'static str,
    state: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ScheduleRef {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: ScheduleAttributes,
}

#[derive(Debug, Serialize)]
struct ScheduleAttributes {
    id: u64,
    name: String,
    valid_from: Option<String>,
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: &'static str,
    sunday: &'static str,
}

#[derive(Debug, Serialize)]
pub struct EntitlementRef {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: EntitlementAttributes,
}

#[derive(Debug, Serialize)]
struct EntitlementAttributes {
    id: u64,
    name: &'static str,
    category: &'static str,
    entitlement: Number,
}

/// Any attribute value (serialised untagged; `Null` becomes JSON `null`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum AttrValue<'a> {
    Null,
    Int(u64),
    Num(Number),
    Str(&'a str),
    Owned(String),
    Org(OrgRef),
    CostCenters(Vec<CostCenterRef>),
    Calendar(CalendarRef),
    Schedule(Box<ScheduleRef>),
    Entitlements(Vec<EntitlementRef>),
    Supervisor(Box<ShortEmployee<'a>>),
}

/// Per-employee entitlements by time-off type id (days for day units, hours for hour units).
pub fn entitlement(employee: &Employee, type_id: u64) -> f64 {
    if type_id == data::PAID_VACATION {
        employee.vacation_entitlement
    } else {
        0.0
    }
}

fn date_value(date: Option<chrono::NaiveDate>) -> AttrValue<'static> {
    date.map_or(AttrValue::Null, |d| AttrValue::Owned(clock::v1_date(d)))
}

fn org(kind: &'static str, id: u64, name: &'static str) -> AttrValue<'static> {
    AttrValue::Org(OrgRef {
        kind,
        attributes: OrgAttributes { id, name },
    })
}

fn hh_mm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The value of attribute `key` for `employee`.
pub fn value<'a>(
    company: &'a Company,
    employee: &'a Employee,
    key: &str,
    base_url: &str,
) -> AttrValue<'a> {
    match key {
        "id" => AttrValue::Int(employee.id),
        "first_name" => AttrValue::Str(&employee.first_name),
        "last_name" => AttrValue::Str(&employee.last_name),
        "preferred_name" => AttrValue::Str(&employee.preferred_name),
        "email" => AttrValue::Str(&employee.email),
        "gender" => AttrValue::Str(&employee.gender),
        "status" => AttrValue::Str(employee.status.as_str()),
        "position" => AttrValue::Str(&employee.position),
        "supervisor" => employee
            .supervisor_id
            .and_then(|id| company.get(id))
            .map_or(AttrValue::Null, |s| {
                AttrValue::Supervisor(Box::new(short_employee(s)))
            }),
        "employment_type" => AttrValue::Str(&employee.employment_type),
        "weekly_working_hours" => AttrValue::Str(&employee.weekly_working_hours),
        "hire_date" => date_value(Some(employee.hire_date)),
        "contract_end_date" => date_value(employee.contract_end_date),
        "termination_date" => date_value(employee.termination_date),
        "termination_type" => AttrValue::Str(&employee.termination_type),
        "termination_reason" => AttrValue::Str(&employee.termination_reason),
        "probation_period_end" => date_value(employee.probation_period_end),
        "created_at" => AttrValue::Owned(clock::v1_timestamp(employee.created_at)),
        "last_modified_at" => AttrValue::Owned(clock::v1_timestamp(employee.last_modified_at)),
        "subcompany" => employee
            .office_id
            .and_then(org::office)
            .and_then(|o| o.subcompany_id)
            .and_then(org::subcompany)
            .map_or(AttrValue::Null, |s| org("Subcompany", s.id, s.name)),
        "office" => employee
            .office_id
            .and_then(org::office)
            .map_or(AttrValue::Null, |o| org("Office", o.id, o.name)),
        "department" => employee
            .department_id
            .and_then(org::department)
            .map_or(AttrValue::Null, |d| org("Department", d.id, d.name)),
        "team" => employee
            .team_id
            .and_then(org::team)
            .map_or(AttrValue::Null, |(_, t)| org("Team", t.id, t.name)),
        "cost_centers" => AttrValue::CostCenters(
            employee
                .cost_centers
                .iter()
                .filter_map(|(id, pct)| org::cost_center(*id).map(|c| (c, *pct)))
                .map(|(c, percentage)| CostCenterRef {
                    kind: "CostCenter",
                    attributes: CostCenterAttributes {
                        id: c.id,
                        name: c.name,
                        percentage,
                    },
                })
                .collect(),
        ),
        "holiday_calendar" => {
            employee
                .office_id
                .and_then(org::office)
                .map_or(AttrValue::Null, |o| {
                    AttrValue::Calendar(CalendarRef {
                        kind: "HolidayCalendar",
                        attributes: CalendarAttributes {
                            id: o.calendar_id,
                            name: o.calendar_name,
                            country: o.country,
                            state: o.state,
                        },
                    })
                })
        }
        "absence_entitlement" => AttrValue::Entitlements(
            company
                .time_off_types
                .iter()
                .map(|t| EntitlementRef {
                    kind: "TimeOffType",
                    attributes: EntitlementAttributes {
                        id: t.id,
                        name: t.name,
                        category: t.category,
                        entitlement: number(entitlement(employee, t.id)),
                    },
                })
                .collect(),
        ),
        "work_schedule" => {
            let daily = employee.daily_minutes();
            let hours = employee.weekly_working_hours.trim();
            let kind = if daily >= 480 {
                "Full-time"
            } else {
                "Part-time"
            };
            let day = hh_mm(daily);
            AttrValue::Schedule(Box::new(ScheduleRef {
                kind: "WorkSchedule",
                attributes: ScheduleAttributes {
                    id: 145_000 + u64::from(daily),
                    name: format!("{kind}, {hours} hours (mon,tue,wed,thu,fri)"),
                    valid_from: None,
                    monday: day.clone(),
                    tuesday: day.clone(),
                    wednesday: day.clone(),
                    thursday: day.clone(),
                    friday: day,
                    saturday: "00:00",
                    sunday: "00:00",
                },
            }))
        }
        "fix_salary" => AttrValue::Num(number(employee.fix_salary_cents as f64 / 100.0)),
        "fix_salary_interval" => AttrValue::Str("monthly"),
        "hourly_salary" => AttrValue::Num(Number::from(0)),
        "last_working_day" => date_value(employee.last_working_day),
        "profile_picture" => AttrValue::Owned(format!(
            "{base_url}/v1/company/employees/{}/profile-picture",
            employee.id
        )),
        KEY_PERSONNEL_NUMBER => AttrValue::Str(&employee.personnel_number),
        KEY_TITLE => AttrValue::Str(&employee.title),
        KEY_LANGUAGES => AttrValue::Str(&employee.languages),
        KEY_MARITAL => AttrValue::Str(&employee.marital_status),
        KEY_REVIEW => employee
            .next_review
            .map_or(AttrValue::Null, |d| AttrValue::Owned(clock::plain_date(d))),
        KEY_IBAN => AttrValue::Str(&employee.iban),
        KEY_BIRTHDAY => AttrValue::Owned(clock::plain_date(employee.date_of_birth)),
        KEY_ADDRESS => AttrValue::Str(&employee.home_address),
        KEY_NATIONALITY => AttrValue::Str(&employee.nationality),
        _ => AttrValue::Null,
    }
}

/// An employee's attributes in catalogue order, as a JSON object.
pub struct EmployeeAttributes<'a> {
    entries: Vec<(&'static str, Envelope<'static, AttrValue<'a>>)>,
}

impl Serialize for EmployeeAttributes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `{"type":"Employee","attributes":{…}}`
#[derive(Serialize)]
pub struct EmployeeResource<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: EmployeeAttributes<'a>,
}

/// Renders one employee with exactly the `visible` attributes.
pub fn render<'a>(
    company: &'a Company,
    employee: &'a Employee,
    visible: &[&'static AttrDef],
    base_url: &str,
) -> EmployeeResource<'a> {
    let entries = visible
        .iter()
        .map(|d| {
            let mut envelope = Envelope::new(
                d.label,
                value(company, employee, d.key, base_url),
                d.kind,
                d.universal_id,
            );
            if d.currency {
                envelope.currency = Some("EUR");
            }
            (d.key, envelope)
        })
        .collect();
    EmployeeResource {
        kind: "Employee",
        attributes: EmployeeAttributes { entries },
    }
}

/// One entry of `GET /company/employees/attributes`.
#[derive(Serialize)]
pub struct AttributeListing {
    key: &'static str,
    label: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    universal_id: Option<&'static str>,
    options: &'static [&'static str],
}

pub fn listing(whitelist: Whitelist) -> Vec<AttributeListing> {
    CATALOGUE
        .iter()
        .filter(|d| whitelist.allows(d.key))
        .map(|d| AttributeListing {
            key: d.key,
            label: d.label,
            kind: d.kind,
            universal_id: d.universal_id,
            options: d.options,
        })
        .collect()
}
