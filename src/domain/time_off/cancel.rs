//! Cancelling an absence: find it by the id list_absences gave (an integer for day absences, a
//! UUID for hourly ones), then delete it at its unit's endpoint. A delete whose outcome is
//! unknown (timeout, 5xx) is looked up before anything is sent again; an absence that is gone
//! already is NOT_FOUND, and nothing else happens.

use chrono::{Duration, NaiveDate};
use futures::TryStreamExt;

use crate::error::{Error, ErrorCode, Result};
use crate::personio::{Absence, AbsenceQuery, PersonioClient};

/// An absence id as the tools show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbsenceId {
    /// A day absence (`/v1/company/time-offs/{id}`).
    Day(i64),
    /// An hourly absence period (`/v1/company/absence-periods/{uuid}`).
    Hour(String),
}

impl AbsenceId {
    pub fn parse(raw: &str) -> Result<AbsenceId> {
        let raw = raw.trim();
        if let Ok(n) = raw.parse::<i64>()
            && n > 0
        {
            return Ok(AbsenceId::Day(n));
        }
        if uuid::Uuid::parse_str(raw).is_ok() {
            return Ok(AbsenceId::Hour(raw.to_ascii_lowercase()));
        }
        Err(Error::validation(
            "absence_id must be the id an absence listing returns: a number (day absences) or a UUID (hourly absences)",
        ))
    }

    pub fn as_string(&self) -> String {
        match self {
            AbsenceId::Day(n) => n.to_string(),
            AbsenceId::Hour(u) => u.clone(),
        }
    }
}

/// How far around today hourly absences are searched for (v1 has no lookup by id for them).
pub const HOUR_LOOKUP_PAST_DAYS: i64 = 31;
pub const HOUR_LOOKUP_FUTURE_DAYS: i64 = 334;

/// Finds an absence; `None` when Personio does not have it (any more). `employees`: whose hourly
/// absences to search (the caller's visible people; empty = everyone).
pub async fn find(
    client: &PersonioClient,
    id: &AbsenceId,
    employees: &[i64],
    today: NaiveDate,
) -> Result<Option<Absence>> {
    match id {
        AbsenceId::Day(n) => match client.time_off(*n).await {
            Ok(a) => Ok(Some(a)),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        },
        // v2 reads absences of both units by id: one request instead of a listing.
        AbsenceId::Hour(uuid) if client.reads_absences_by_v2_id().await => {
            match client.v2_absence(uuid).await {
                Ok(a) => Ok(Some(a)),
                Err(e) if e.code == ErrorCode::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        AbsenceId::Hour(uuid) => {
            let query = AbsenceQuery {
                start_date: Some(today - Duration::days(HOUR_LOOKUP_PAST_DAYS)),
                end_date: Some(today + Duration::days(HOUR_LOOKUP_FUTURE_DAYS)),
                employees: employees.to_vec(),
                ..AbsenceQuery::default()
            };
            let found: Vec<Absence> = client
                .hour_absences(&query)
                .try_filter(|a| futures::future::ready(a.id.eq_ignore_ascii_case(uuid)))
                .try_collect()
                .await?;
            Ok(found.into_iter().next())
        }
    }
}

async fn send_delete(client: &PersonioClient, id: &AbsenceId) -> Result<()> {
    match id {
        AbsenceId::Day(n) => client.delete_time_off(*n).await,
        AbsenceId::Hour(u) => client.delete_hour_absence(u).await,
    }
}

/// Deletes an absence that exists (checked under the caller's write lock). Never blind: when the
/// first DELETE's outcome is unknown, the absence is looked up, and deleted once more only if it
/// is still there.
pub async fn delete(
    client: &PersonioClient,
    absence: &Absence,
    id: &AbsenceId,
    today: NaiveDate,
) -> Result<()> {
    match send_delete(client, id).await {
        Ok(()) => Ok(()),
        // Gone between our look-up and the delete (or a retry of ours already deleted it).
        Err(e) if e.code == ErrorCode::NotFound => Ok(()),
        Err(e)
            if matches!(
                e.code,
                ErrorCode::UpstreamUnavailable | ErrorCode::UpstreamError | ErrorCode::RateLimited
            ) =>
        {
            tracing::warn!(code = %e.code, "delete outcome unknown; looking the absence up before deciding");
            match find(client, id, &[absence.employee.id], today).await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => match send_delete(client, id).await {
                    Ok(()) => Ok(()),
                    Err(again) if again.code == ErrorCode::NotFound => Ok(()),
                    Err(again) => Err(again),
                },
                Err(lookup) => Err(e.with_hint(format!(
                    "Personio could not be checked afterwards ({}); list the person's absences before trying again.",
                    lookup.code
                ))),
            }
        }
        Err(e) => Err(e),
    }
}

/// The answer for an absence that is not there.
pub fn not_found(id: &AbsenceId) -> Error {
    Error::not_found(format!(
        "no absence has id {} (it may have been cancelled already)",
        id.as_string()
    ))
    .with_hint("List the absences to see what is booked; nothing was changed.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbers_or_uuids() {
        assert_eq!(AbsenceId::parse(" 42 ").unwrap(), AbsenceId::Day(42));
        assert!(matches!(
            AbsenceId::parse("6A0E5A8C-1C3B-4B7E-9F1A-2B3C4D5E6F70").unwrap(),
            AbsenceId::Hour(u) if u == "6a0e5a8c-1c3b-4b7e-9f1a-2b3c4d5e6f70"
        ));
        assert!(AbsenceId::parse("../../etc").is_err());
        assert!(AbsenceId::parse("-3").is_err());
        assert!(AbsenceId::parse("").is_err());
    }
}
