//! Absence payloads of both units → one [`Absence`] shape, plus time-off types and balances.
//!
//! Day unit (`/company/time-offs`, §8.5): integer ids, `start_date`/`end_date` as midnight
//! timestamps (end inclusive), `half_day_*` as 0/1 or bools, `days_count`.
//! Hour unit (`/company/absence-periods`, §8.9): UUIDs, `start`/`end` instants, `timezone`,
//! `effective_duration` in minutes, `absence_type.attributes.time_off_type_id`.

use chrono_tz::Tz;
use serde_json::Value;

use super::employee::person_ref;
use super::envelope::attributes;
use super::lenient;
use crate::personio::types::{Absence, Balance, TimeOffType, TypeRef, Unit};

/// Why an item could not be read; the message names the field, never a value.
#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceParseError(pub String);

fn err(what: &str) -> AbsenceParseError {
    AbsenceParseError(what.to_string())
}

fn type_ref(v: &Value) -> TypeRef {
    let a = attributes(v);
    TypeRef {
        id: a
            .get("time_off_type_id")
            .or_else(|| a.get("id"))
            .and_then(lenient::int_like),
        name: a.get("name").and_then(lenient::text),
        category: a.get("category").and_then(lenient::text),
    }
}

fn no_type() -> TypeRef {
    TypeRef {
        id: None,
        name: None,
        category: None,
    }
}

/// `status`, kept as sent (`approved`, `pending`, `requested`...), or "unknown".
fn status(a: &Value) -> String {
    a.get("status")
        .and_then(lenient::text)
        .unwrap_or_else(|| "unknown".into())
}

/// A bookkeeping timestamp (`created_at`, `updated_at`).
fn stamp(a: &Value, key: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    a.get(key)
        .and_then(Value::as_str)
        .and_then(lenient::timestamp)
}

/// Parses a day-unit `TimeOffPeriod`.
pub fn parse_time_off(item: &Value) -> Result<Absence, AbsenceParseError> {
    let a = attributes(item);
    let id = a
        .get("id")
        .and_then(lenient::int_like)
        .ok_or_else(|| err("time-off has no integer id"))?;
    let employee = a
        .get("employee")
        .and_then(person_ref)
        .ok_or_else(|| err("time-off has no employee id"))?;
    let start_date = a
        .get("start_date")
        .and_then(lenient::date)
        .ok_or_else(|| err("time-off has no readable start_date"))?;
    let end_date = a
        .get("end_date")
        .and_then(lenient::date)
        .unwrap_or(start_date);
    let flag = |k: &str| a.get(k).and_then(lenient::bool_like).unwrap_or(false);
    Ok(Absence {
        id: id.to_string(),
        unit: Unit::Days,
        employee,
        time_off_type: a.get("time_off_type").map(type_ref).unwrap_or_else(no_type),
        start_date,
        end_date,
        half_day_start: flag("half_day_start"),
        half_day_end: flag("half_day_end"),
        start: None,
        end: None,
        timezone: None,
        amount: a.get("days_count").and_then(lenient::number_like),
        status: status(a),
        comment: a.get("comment").and_then(lenient::text),
        created_at: stamp(a, "created_at"),
        updated_at: stamp(a, "updated_at"),
    })
}

/// Parses an hour-unit `AbsencePeriod`. `effective_duration` (minutes) becomes hours. Its dates
/// are the local dates of its instants in its own zone, else in `company` (the zone the layers
/// above show its times in).
pub fn parse_absence_period(item: &Value, company: Tz) -> Result<Absence, AbsenceParseError> {
    let a = attributes(item);
    let id = a
        .get("id")
        .and_then(lenient::text)
        .ok_or_else(|| err("absence period has no id"))?;
    let employee = a
        .get("employee")
        .and_then(person_ref)
        .ok_or_else(|| err("absence period has no employee id"))?;
    let start = a
        .get("start")
        .and_then(lenient::instant)
        .ok_or_else(|| err("absence period has no readable start"))?;
    let end = a.get("end").and_then(lenient::instant);
    let timezone = a.get("timezone").and_then(lenient::text);
    let tz = timezone
        .as_deref()
        .and_then(|z| z.parse::<Tz>().ok())
        .unwrap_or(company);
    let start_date = start.with_timezone(&tz).date_naive();
    // An end exactly at local midnight belongs to the previous day (exclusive end).
    let end_date = end
        .map(|e| {
            let local = e.with_timezone(&tz);
            let d = local.date_naive();
            let at_midnight = local.time() == chrono::NaiveTime::MIN;
            if at_midnight && d > start_date {
                d.pred_opt().unwrap_or(d)
            } else {
                d
            }
        })
        .unwrap_or(start_date);
    let minutes = a.get("effective_duration").and_then(lenient::number_like);
    let flag = |k: &str| a.get(k).and_then(lenient::bool_like).unwrap_or(false);
    Ok(Absence {
        id,
        unit: Unit::Hours,
        employee,
        time_off_type: a
            .get("absence_type")
            .or_else(|| a.get("time_off_type"))
            .map(type_ref)
            .unwrap_or_else(no_type),
        start_date,
        end_date,
        half_day_start: flag("half_day_start"),
        half_day_end: flag("half_day_end"),
        start: Some(start),
        end,
        timezone,
        amount: minutes.map(|m| (m / 60.0 * 100.0).round() / 100.0),
        status: status(a),
        comment: a.get("comment").and_then(lenient::text),
        created_at: stamp(a, "created_at"),
        updated_at: stamp(a, "updated_at"),
    })
}

/// Parses one `TimeOffType`. A missing unit means a day type (older payloads predate hour types).
pub fn parse_time_off_type(item: &Value) -> Result<TimeOffType, AbsenceParseError> {
    let a = attributes(item);
    Ok(TimeOffType {
        id: a
            .get("id")
            .and_then(lenient::int_like)
            .ok_or_else(|| err("time-off type has no integer id"))?,
        name: a
            .get("name")
            .and_then(lenient::text)
            .ok_or_else(|| err("time-off type has no name"))?,
        category: a.get("category").and_then(lenient::text),
        unit: a
            .get("unit")
            .and_then(Value::as_str)
            .and_then(Unit::parse)
            .unwrap_or(Unit::Days),
        approval_required: a.get("approval_required").and_then(lenient::bool_like),
        id_v2: a.get("id_v2").and_then(lenient::text),
    })
}

/// Parses one balance entry; the unit is joined later from the type list.
pub fn parse_balance(item: &Value) -> Result<Balance, AbsenceParseError> {
    let a = attributes(item);
    Ok(Balance {
        time_off_type_id: a
            .get("id")
            .and_then(lenient::int_like)
            .ok_or_else(|| err("balance has no type id"))?,
        name: a
            .get("name")
            .and_then(lenient::text)
            .unwrap_or_else(|| "unnamed".into()),
        category: a.get("category").and_then(lenient::text),
        unit: None,
        balance: a
            .get("balance")
            .and_then(lenient::number_like)
            .ok_or_else(|| err("balance has no numeric balance"))?,
        available_balance: a.get("available_balance").and_then(lenient::number_like),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use serde_json::json;

    #[test]
    fn integer_half_day_flags_and_offsets_without_colon() {
        let a = parse_time_off(&json!({"type":"TimeOffPeriod","attributes":{
            "id":1,"status":"approved","start_date":"2017-12-27T00:00:00+0100",
            "end_date":"2017-12-29T00:00:00+0100","days_count":2.5,"half_day_start":1,"half_day_end":0,
            "time_off_type":{"type":"TimeOffType","attributes":{"id":5,"name":"Vacation","category":"paid_vacation"}},
            "employee":{"type":"Employee","attributes":{"id":{"label":"ID","value":9}}}
        }}))
        .unwrap();
        assert!(a.half_day_start);
        assert!(!a.half_day_end);
        assert_eq!(a.start_date, NaiveDate::from_ymd_opt(2017, 12, 27).unwrap());
        assert_eq!(a.end_date, NaiveDate::from_ymd_opt(2017, 12, 29).unwrap());
        assert_eq!(a.employee.id, 9);
        assert_eq!(a.time_off_type.id, Some(5));
        assert_eq!(a.amount, Some(2.5));
    }

    #[test]
    fn hour_periods_in_minutes_and_local_dates() {
        let a = parse_absence_period(&json!({"type":"AbsencePeriod","attributes":{
            "id":"9bba303f-0000-0000-0000-000000000000","measurement_unit":"hour","effective_duration":90,
            "employee":{"type":"Employee","attributes":{"id":{"label":"ID","value":3}}},
            "absence_type":{"type":"AbsenceType","attributes":{"id":"uuid","name":"Doctor","time_off_type_id":45678}},
            "start":"2022-05-31T22:30:00.0Z","end":"2022-06-01T00:00:00.0Z","timezone":"Europe/Berlin","status":"approved"
        }}), Tz::UTC)
        .unwrap();
        assert_eq!(a.unit, Unit::Hours);
        assert_eq!(a.amount, Some(1.5));
        assert_eq!(a.time_off_type.id, Some(45678));
        assert_eq!(a.start_date, NaiveDate::from_ymd_opt(2022, 6, 1).unwrap());
        assert_eq!(a.end_date, NaiveDate::from_ymd_opt(2022, 6, 1).unwrap());
    }

    /// A period that names no zone gets its dates in the company's zone, the zone its times are
    /// shown in: 22:30 UTC is 00:30 the next day in Berlin, so that is its date.
    #[test]
    fn a_period_without_a_zone_is_dated_in_the_company_zone() {
        let item = json!({"type":"AbsencePeriod","attributes":{
            "id":"9bba303f-0000-0000-0000-000000000001","measurement_unit":"hour","effective_duration":60,
            "employee":{"type":"Employee","attributes":{"id":{"label":"ID","value":3}}},
            "start":"2022-05-31T22:30:00.0Z","end":"2022-05-31T23:30:00.0Z","status":"approved"
        }});
        let berlin = parse_absence_period(&item, chrono_tz::Europe::Berlin).unwrap();
        assert_eq!(
            berlin.start_date,
            NaiveDate::from_ymd_opt(2022, 6, 1).unwrap()
        );
        assert_eq!(
            berlin.zone_or(chrono_tz::Europe::Berlin),
            chrono_tz::Europe::Berlin
        );
        let utc = parse_absence_period(&item, Tz::UTC).unwrap();
        assert_eq!(
            utc.start_date,
            NaiveDate::from_ymd_opt(2022, 5, 31).unwrap()
        );
    }

    #[test]
    fn types_default_to_days_and_keep_unknown_categories() {
        let t = parse_time_off_type(&json!({"type":"TimeOffType","attributes":{"id":1,"name":"vacation","category":"vacation"}})).unwrap();
        assert_eq!(t.unit, Unit::Days);
        let t = parse_time_off_type(&json!({"attributes":{"id":2,"name":"Home office","unit":"hour","approval_required":true}})).unwrap();
        assert_eq!(t.unit, Unit::Hours);
        assert_eq!(t.approval_required, Some(true));
    }

    #[test]
    fn balances_accept_string_numbers() {
        let b = parse_balance(
            &json!({"id":1,"name":"Paid Vacation","balance":"10.5","available_balance":8.33}),
        )
        .unwrap();
        assert_eq!(b.balance, 10.5);
        assert_eq!(b.available_balance, Some(8.33));
        assert!(parse_balance(&json!({"id":1})).is_err());
    }
}
