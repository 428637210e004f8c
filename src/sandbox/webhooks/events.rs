//! Personio's webhook event names (developer.personio.de, "Webhooks" reference and "Event-driven
//! data from Personio"; sources in docs/sandbox.md). The sandbox emits the ones its data changes can
//! cause; the rest are accepted at registration so a client can subscribe to what Personio offers.

pub const PERSON_CREATED: &str = "person.created";
pub const PERSON_UPDATED: &str = "person.updated";
pub const PERSON_DELETED: &str = "person.deleted";
pub const EMPLOYMENT_CREATED: &str = "employment.created";
pub const EMPLOYMENT_UPDATED: &str = "employment.updated";
pub const EMPLOYMENT_DELETED: &str = "employment.deleted";
pub const ABSENCE_CREATED: &str = "absence-period.created";
pub const ABSENCE_STATUS_UPDATED: &str = "absence-period.updated.status";
pub const ABSENCE_TIMERANGE_UPDATED: &str = "absence-period.updated.timerange";
pub const ABSENCE_DELETED: &str = "absence-period.deleted";

/// Every event name a registration may subscribe to.
pub const ALL: &[&str] = &[
    PERSON_CREATED,
    PERSON_UPDATED,
    PERSON_DELETED,
    EMPLOYMENT_CREATED,
    EMPLOYMENT_UPDATED,
    EMPLOYMENT_DELETED,
    "employment.updated.cost-centers",
    "employment.started",
    "employment.terminated",
    ABSENCE_CREATED,
    ABSENCE_STATUS_UPDATED,
    ABSENCE_TIMERANGE_UPDATED,
    ABSENCE_DELETED,
];
