//! Validation of a time-off request that needs nothing but the request and its type: dates in
//! order, half-day rules, units, weekends. Pure, so the rules Personio enforces are checked (and
//! tested) before any network call.

use chrono::{NaiveDate, NaiveTime};

use crate::domain::calendar::working_days;
use crate::error::{Error, Result};
use crate::personio::{TimeOffType, Unit};

/// A request to create time off, before validation.
#[derive(Debug, Clone)]
pub struct TimeOffRequest {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub start_time: Option<NaiveTime>,
    pub end_time: Option<NaiveTime>,
    pub comment: Option<String>,
}

/// The longest single request accepted.
pub const MAX_REQUEST_DAYS: i64 = 366;

/// Checks everything that can be checked without Personio. Returns the amount the request will
/// consume (working days, or hours).
pub fn validate(ty: &TimeOffType, req: &TimeOffRequest) -> Result<f64> {
    if req.end_date < req.start_date {
        return Err(Error::validation(format!(
            "end_date {} is before start_date {}",
            req.end_date, req.start_date
        ))
        .with_hint("Swap the dates; end_date is the last day of absence (inclusive)."));
    }
    if (req.end_date - req.start_date).num_days() + 1 > MAX_REQUEST_DAYS {
        return Err(Error::validation(format!(
            "a request may cover at most {MAX_REQUEST_DAYS} days"
        )));
    }
    if let Some(c) = &req.comment
        && c.chars().count() > 1000
    {
        return Err(Error::validation("comment is longer than 1000 characters"));
    }
    match ty.unit {
        Unit::Days => {
            if req.start_time.is_some() || req.end_time.is_some() {
                return Err(Error::validation(format!(
                    "\"{}\" is counted in days; start_time and end_time are only for hour-based types",
                    ty.name
                ))
                .with_hint("Drop the times, or use half_day_start / half_day_end for half days."));
            }
            if req.start_date == req.end_date && req.half_day_start && req.half_day_end {
                return Err(Error::validation(
                    "Invalid absence day. Reason: Both half day start and half day end are true for a single-day period",
                )
                .with_hint(
                    "For a single half day set only one flag: half_day_start = afternoon off, half_day_end = morning off.",
                ));
            }
            let days = working_days(
                req.start_date, req.end_date, req.half_day_start, req.half_day_end,
            );
            if days <= 0.0 {
                return Err(Error::validation(
                    "the requested dates contain no working day (Monday to Friday)",
                )
                .with_hint("Check the dates: weekends need no time off."));
            }
            Ok(days)
        }
        Unit::Hours => {
            if req.half_day_start || req.half_day_end {
                return Err(Error::validation(format!(
                    "\"{}\" is counted in hours; half-day flags are only for day-based types",
                    ty.name
                ))
                .with_hint("Give start_time and end_time instead."));
            }
            let (Some(start), Some(end)) = (req.start_time, req.end_time) else {
                return Err(Error::validation(format!(
                    "\"{}\" is counted in hours: start_time and end_time (HH:MM) are required",
                    ty.name
                )));
            };
            if req.start_date != req.end_date {
                return Err(Error::validation(
                    "hour-based absences must start and end on the same day",
                )
                .with_hint("Book one request per day."));
            }
            if end <= start {
                return Err(Error::validation("end_time must be after start_time"));
            }
            Ok(((end - start).num_minutes() as f64 / 60.0 * 100.0).round() / 100.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn ty(unit: Unit) -> TimeOffType {
        TimeOffType {
            id: 1,
            name: "Paid vacation".into(),
            category: Some("paid_vacation".into()),
            unit,
            approval_required: Some(true),
            id_v2: None,
        }
    }

    fn req(s: (i32, u32, u32), e: (i32, u32, u32)) -> TimeOffRequest {
        TimeOffRequest {
            start_date: NaiveDate::from_ymd_opt(s.0, s.1, s.2).unwrap(),
            end_date: NaiveDate::from_ymd_opt(e.0, e.1, e.2).unwrap(),
            half_day_start: false,
            half_day_end: false,
            start_time: None,
            end_time: None,
            comment: None,
        }
    }

    #[test]
    fn single_day_with_both_halves_gets_personios_message() {
        let mut r = req((2026, 12, 1), (2026, 12, 1));
        r.half_day_start = true;
        r.half_day_end = true;
        let e = validate(&ty(Unit::Days), &r).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert!(
            e.message
                .contains("Both half day start and half day end are true")
        );
    }

    #[test]
    fn reversed_dates_weekends_and_units() {
        assert!(
            validate(&ty(Unit::Days), &req((2026, 12, 4), (2026, 12, 1)))
                .unwrap_err()
                .message
                .contains("before")
        );
        // 2026-11-28/29 is a weekend.
        assert!(
            validate(&ty(Unit::Days), &req((2026, 11, 28), (2026, 11, 29)))
                .unwrap_err()
                .message
                .contains("no working day")
        );
        let mut r = req((2026, 12, 1), (2026, 12, 1));
        r.start_time = NaiveTime::from_hms_opt(9, 0, 0);
        assert!(
            validate(&ty(Unit::Days), &r)
                .unwrap_err()
                .message
                .contains("only for hour-based")
        );
        r.end_time = NaiveTime::from_hms_opt(10, 30, 0);
        assert_eq!(validate(&ty(Unit::Hours), &r).unwrap(), 1.5);
        let mut r2 = r.clone();
        r2.end_date = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert!(
            validate(&ty(Unit::Hours), &r2)
                .unwrap_err()
                .message
                .contains("same day")
        );
        let mut r3 = r.clone();
        r3.half_day_start = true;
        assert!(
            validate(&ty(Unit::Hours), &r3)
                .unwrap_err()
                .message
                .contains("half-day flags")
        );
        let mut r4 = req((2026, 12, 1), (2026, 12, 1));
        r4.start_time = NaiveTime::from_hms_opt(9, 0, 0);
        assert!(
            validate(&ty(Unit::Hours), &r4)
                .unwrap_err()
                .message
                .contains("required")
        );
    }
}
