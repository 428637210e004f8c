//! What the credential can do, per Personio capability — the vocabulary of the scope report.
//!
//! Readiness is reported per [`Capability`] (read employees, balances, day absences…), never per
//! MCP tool: this layer does not know the tools. The layer above maps each of its tools to the
//! capabilities it needs and asks [`super::scope::ScopeReport::readiness_of`].

use serde::Serialize;

use super::access::{EndpointAccess, EndpointCheck, OmittedAttributes};
use super::api_choice::Endpoint;

/// Something this credential may be able to do in Personio. The layers above map their own
/// operations (MCP tools) onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// List and read employees (the directory, searches, person lookups).
    ReadEmployees,
    /// List the account's time-off types.
    ReadTimeOffTypes,
    /// Read absence balances per employee.
    ReadBalances,
    /// List day-unit absences (`/v1/company/time-offs`).
    ReadDayAbsences,
    /// List hour-unit absences (`/v1/company/absence-periods`).
    ReadHourAbsences,
    /// Create absences of either unit.
    CreateAbsences,
    /// Delete absences of either unit.
    DeleteAbsences,
}

impl Capability {
    /// The endpoint that serves this capability (so reports can say which API serves a tool).
    pub fn endpoint(self) -> Endpoint {
        match self {
            Capability::ReadEmployees => Endpoint::Employees,
            Capability::ReadTimeOffTypes => Endpoint::AbsenceTypes,
            Capability::ReadBalances => Endpoint::Balances,
            Capability::ReadDayAbsences | Capability::ReadHourAbsences => Endpoint::AbsenceReads,
            Capability::CreateAbsences | Capability::DeleteAbsences => Endpoint::AbsenceWrites,
        }
    }

    pub const ALL: [Capability; 7] = [
        Capability::ReadEmployees,
        Capability::ReadTimeOffTypes,
        Capability::ReadBalances,
        Capability::ReadDayAbsences,
        Capability::ReadHourAbsences,
        Capability::CreateAbsences,
        Capability::DeleteAbsences,
    ];

    /// Words for reports, e.g. "read balances".
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::ReadEmployees => "read employees",
            Capability::ReadTimeOffTypes => "read time-off types",
            Capability::ReadBalances => "read balances",
            Capability::ReadDayAbsences => "read day absences",
            Capability::ReadHourAbsences => "read hour absences",
            Capability::CreateAbsences => "create absences",
            Capability::DeleteAbsences => "delete absences",
        }
    }
}

/// How well something will work with this credential. Ordered from worst to best, so the
/// readiness of a combination is a `min` or `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    Unavailable,
    /// Not known until tried (writes are never probed by writing).
    Unknown,
    Partial,
    Full,
}

impl Readiness {
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Full => "full",
            Readiness::Partial => "partial",
            Readiness::Unavailable => "unavailable",
            Readiness::Unknown => "unknown",
        }
    }
}

/// The readiness of one capability, with the reason in words.
#[derive(Debug, Clone, Serialize)]
pub struct CapabilityCheck {
    pub capability: Capability,
    pub readiness: Readiness,
    pub reason: String,
}

/// How an operation depends on a set of capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Every one of them (the weakest decides).
    All,
    /// At least one; the operation degrades without the others (e.g. absences of both units).
    Any,
}

pub(crate) fn works(endpoints: &[EndpointCheck], name: &str) -> bool {
    endpoints
        .iter()
        .any(|e| e.name == name && e.access == EndpointAccess::Works)
}

pub(crate) fn capability_readiness(
    endpoints: &[EndpointCheck],
    missing: &OmittedAttributes,
) -> Vec<CapabilityCheck> {
    let employees = works(endpoints, "list employees");
    let names_missing = missing
        .omitted
        .iter()
        .any(|m| m.key == "first_name" || m.key == "last_name");
    let check = |capability, readiness, reason: String| CapabilityCheck {
        capability,
        readiness,
        reason,
    };
    let read_employees = if !employees {
        check(
            Capability::ReadEmployees,
            Readiness::Unavailable,
            "the credential cannot list employees".into(),
        )
    } else if names_missing {
        check(
            Capability::ReadEmployees,
            Readiness::Partial,
            "names are not readable, so people can only be found by id or email".into(),
        )
    } else if !missing.is_empty() {
        let labels: Vec<&str> = missing.omitted.iter().map(|m| m.label.as_str()).collect();
        check(
            Capability::ReadEmployees,
            Readiness::Partial,
            format!("works, without: {}", labels.join(", ")),
        )
    } else {
        check(
            Capability::ReadEmployees,
            Readiness::Full,
            "all recommended attributes are readable".into(),
        )
    };
    // Reads of other data are about people, so they need the directory as well.
    let endpoint = |capability, name: &str| {
        if !employees {
            check(
                capability,
                Readiness::Unavailable,
                "the credential cannot list employees".into(),
            )
        } else if works(endpoints, name) {
            check(capability, Readiness::Full, "the endpoint answered".into())
        } else {
            check(
                capability,
                Readiness::Unavailable,
                format!("not allowed or failing: {name}"),
            )
        }
    };
    let write = |capability| {
        let ready = employees && works(endpoints, "list time-off types");
        check(
            capability,
            if ready {
                Readiness::Unknown
            } else {
                Readiness::Unavailable
            },
            if ready {
                "write permission is only known at the first write (never probed)".into()
            } else {
                "needs the employee list and the time-off types".into()
            },
        )
    };
    vec![
        read_employees,
        endpoint(Capability::ReadTimeOffTypes, "list time-off types"),
        endpoint(Capability::ReadBalances, "read balances"),
        endpoint(Capability::ReadDayAbsences, "list day absences"),
        endpoint(Capability::ReadHourAbsences, "list hour absences"),
        write(Capability::CreateAbsences),
        write(Capability::DeleteAbsences),
    ]
}
