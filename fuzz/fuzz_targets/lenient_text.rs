//! The lenient scalar readers (timestamps, dates, numbers, flags, tags) and the tools' date/time
//! argument parsers, on arbitrary text.
//!
//! Property: nothing panics; a value `date` accepts is a real calendar date that formats back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use personio_mcp::mcp::tools::common::{parse_date, parse_time};
use personio_mcp::personio::EmployeeStatus;
use personio_mcp::personio::model::lenient;
use serde_json::Value;

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
