//! The lenient scalar readers (timestamps, dates, numbers, flags, tags) and the tools' date/time
//! argument parsers, on arbitrary text. The same text is also placed into otherwise well-formed
//! absence payloads (as the start/end of a day absence and of an hour absence in a real time
//! zone), so the parsers and the output conversion run on every date shape the readers accept;
//! mutating whole JSON documents rarely gets that far.
//!
//! Property: nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use personio_mcp::mcp::tools::common::{AbsenceOut, parse_date, parse_time};
use personio_mcp::personio::EmployeeStatus;
use personio_mcp::personio::model::absence::{parse_absence_period, parse_time_off};
use personio_mcp::personio::model::lenient;
use serde_json::{Value, json};

/// Zones with positive, negative and no offset.
const ZONES: [&str; 4] = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(ts) = lenient::timestamp(s) {
        let _ = ts.to_rfc3339();
        let _ = ts.date_naive();
    }
    let v = Value::String(s.to_string());
    if let Some(d) = lenient::date(&v) {
        let _ = d.format("%Y-%m-%d").to_string();
    }
    let _ = lenient::instant(&v);
    let _ = lenient::bool_like(&v);
    let _ = lenient::number_like(&v);
    let _ = lenient::int_like(&v);
    let _ = lenient::text(&v);
    let _ = lenient::tags(&v);
    let _ = EmployeeStatus::parse(s);
    if let Ok(d) = parse_date("start_date", s) {
        let _ = d.format("%Y-%m-%d").to_string();
    }
    let _ = parse_time("start_time", s);
    // The text as the dates of otherwise valid absences, in zones east and west of UTC.
    let employee = json!({"type": "Employee", "attributes": {"id": {"label": "ID", "value": 7}}});
    let time_off = json!({"type": "TimeOffPeriod", "attributes": {
        "id": 1, "employee": employee, "start_date": s, "end_date": s, "status": "approved",
        "half_day_start": 0, "half_day_end": 1}});
    if let Ok(a) = parse_time_off(&time_off) {
        let _ = AbsenceOut::from_absence(&a, chrono_tz::Europe::Berlin);
    }
    for zone in ZONES {
        let period = json!({"type": "AbsencePeriod", "attributes": {
            "id": "0b5c", "employee": employee, "start": s, "end": s, "timezone": zone,
            "effective_duration": 60, "status": "approved"}});
        let period_end = json!({"type": "AbsencePeriod", "attributes": {
            "id": "0b5d", "employee": employee, "start": "2026-06-10T08:00:00+02:00", "end": s,
            "timezone": zone}});
        for item in [period, period_end] {
            if let Ok(a) = parse_absence_period(&item, chrono_tz::Tz::UTC) {
                let _ = AbsenceOut::from_absence(&a, chrono_tz::Europe::Berlin);
            }
        }
    }
    // Any JSON value through the readers that take values.
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        let _ = lenient::date(&v);
        let _ = lenient::instant(&v);
        let _ = lenient::bool_like(&v);
        let _ = lenient::number_like(&v);
        let _ = lenient::int_like(&v);
        let _ = lenient::text(&v);
        let _ = lenient::tags(&v);
    }
});
