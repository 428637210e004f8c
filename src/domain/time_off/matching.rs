//! When is an existing absence "the same request" (then nothing is booked again) and when does it
//! clash? Hour absences come back from Personio as UTC instants, so times are compared as
//! instants in the absence's own zone (the company's when it has none) — robust on DST days,
//! where a local 02:15 that does not exist is stored by Personio as 03:15 (spring forward) and a
//! local 02:15 exists twice (fall back).

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::validate::TimeOffRequest;
use crate::personio::{Absence, TimeOffType, Unit};

/// Every instant a local date and time can mean in `tz`: one normally, two when the clock falls
/// back, and for a time inside a spring-forward gap the instant a clock moved forward lands on.
fn instants(tz: Tz, date: NaiveDate, time: NaiveTime) -> Vec<DateTime<Utc>> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
        LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
        LocalResult::None => tz
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .map(|t| vec![t.with_timezone(&Utc)])
            .unwrap_or_default(),
    }
}

/// Does the stored instant `at` stand for the local `date` + `time` in `tz`?
fn same_instant(at: Option<DateTime<Utc>>, tz: Tz, date: NaiveDate, time: NaiveTime) -> bool {
    at.is_some_and(|at| instants(tz, date, time).contains(&at))
}

/// Local start and end time of an hour absence.
fn local_times(a: &Absence, company: Tz) -> Option<(NaiveTime, NaiveTime)> {
    let tz = a.zone_or(company);
    Some((
        a.start?.with_timezone(&tz).time(),
        a.end?.with_timezone(&tz).time(),
    ))
}

/// Is `a` exactly the request (same type, dates, half days or times)?
pub fn same_request(a: &Absence, ty: &TimeOffType, req: &TimeOffRequest, company: Tz) -> bool {
    a.time_off_type.id == Some(ty.id)
        && a.start_date == req.start_date
        && a.end_date == req.end_date
        && match ty.unit {
            Unit::Days => {
                a.half_day_start == req.half_day_start && a.half_day_end == req.half_day_end
            }
            Unit::Hours => match (req.start_time, req.end_time) {
                (Some(s), Some(e)) => {
                    let tz = a.zone_or(company);
                    same_instant(a.start, tz, req.start_date, s)
                        && same_instant(a.end, tz, req.end_date, e)
                }
                _ => false,
            },
        }
}

/// Does `a` clash with the request? Day bookings clash with anything on their days; an hour
/// booking clashes with another hour booking only when the times intersect.
pub fn overlaps(a: &Absence, ty: &TimeOffType, req: &TimeOffRequest, company: Tz) -> bool {
    if a.start_date > req.end_date || a.end_date < req.start_date {
        return false;
    }
    match (ty.unit, a.unit) {
        (Unit::Hours, Unit::Hours) => {
            match (local_times(a, company), req.start_time, req.end_time) {
                (Some((s, e)), Some(rs), Some(re)) => s < re && rs < e,
                _ => true,
            }
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personio::{PersonRef, TypeRef};

    fn hour_type() -> TimeOffType {
        TimeOffType {
            id: 7,
            name: "Doctor's appointment".into(),
            category: Some("other".into()),
            unit: Unit::Hours,
            approval_required: None,
            id_v2: None,
        }
    }

    fn stored(start: DateTime<Utc>, end: DateTime<Utc>, date: NaiveDate) -> Absence {
        Absence {
            id: "x".into(),
            employee: PersonRef::default(),
            time_off_type: TypeRef {
                id: Some(7),
                name: None,
                category: None,
            },
            start_date: date,
            end_date: date,
            half_day_start: false,
            half_day_end: false,
            start: Some(start),
            end: Some(end),
            timezone: Some("Europe/Berlin".into()),
            amount: Some(0.5),
            unit: Unit::Hours,
            status: "pending".into(),
            comment: None,
            created_at: None,
            updated_at: None,
        }
    }

    fn request(date: NaiveDate, s: (u32, u32), e: (u32, u32)) -> TimeOffRequest {
        TimeOffRequest {
            start_date: date,
            end_date: date,
            half_day_start: false,
            half_day_end: false,
            start_time: NaiveTime::from_hms_opt(s.0, s.1, 0),
            end_time: NaiveTime::from_hms_opt(e.0, e.1, 0),
            comment: None,
        }
    }

    #[test]
    fn duplicate_detection_in_the_dst_gap() {
        // 2026-03-29 02:00 Berlin does not exist: Personio stores 02:15–02:45 as 03:15–03:45
        // local, i.e. 01:15–01:45 UTC. Read back, it is still the same request.
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 3, 29, 1, 15, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 3, 29, 1, 45, 0).unwrap();
        let a = stored(start, end, day);
        let req = request(day, (2, 15), (2, 45));
        assert!(same_request(
            &a,
            &hour_type(),
            &req,
            chrono_tz::Europe::Berlin
        ));
        // A genuinely different time is not the same request.
        let other = request(day, (4, 15), (4, 45));
        assert!(!same_request(
            &a,
            &hour_type(),
            &other,
            chrono_tz::Europe::Berlin
        ));
    }

    #[test]
    fn fall_back_hour_matches_either_instant() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        // 02:15 local happens twice: 00:15 UTC (CEST) and 01:15 UTC (CET).
        for h in [0, 1] {
            let a = stored(
                Utc.with_ymd_and_hms(2026, 10, 25, h, 15, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 10, 25, 3, 0, 0).unwrap(),
                day,
            );
            let req = request(day, (2, 15), (4, 0));
            assert!(same_request(
                &a,
                &hour_type(),
                &req,
                chrono_tz::Europe::Berlin
            ));
        }
    }
}
