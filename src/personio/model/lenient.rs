//! Lenient readers for the value shapes Personio sends inconsistently (REFERENCE.md §11).
//!
//! Each reader works on a `serde_json::Value` and returns `None` for "absent, null or empty" so that
//! callers decide whether emptiness matters. They never panic.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde_json::Value;

/// `true`/`false`, `0`/`1` (§11.1: half-day flags come back as integers), and the string forms
/// Postman-era clients and forms use (`"true"`, `"0"`...).
pub fn bool_like(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A number sent as a JSON number or as a string (`weekly_working_hours` is `"40"`; decimals may
/// be ints; some locales use a decimal comma).
pub fn number_like(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return None;
            }
            t.parse::<f64>()
                .ok()
                .or_else(|| t.replace(',', ".").parse::<f64>().ok())
        }
        _ => None,
    }
}

/// An integer id sent as a number or a numeric string.
pub fn int_like(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// A non-empty string; `""` and `null` are both "empty" (§11.7).
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses the timestamp shapes seen across Personio payloads (§11.2):
/// `2022-12-01T00:00:00+02:00`, `2017-12-27T00:00:00+0100`, `2022-05-31T22:00:00.0Z`,
/// `2026-06-10T00:00:00` (no offset: taken as UTC) and plain `2021-01-01` (midnight UTC).
pub fn timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    parse_timestamp(s).filter(|dt| plausible_year(dt.year()))
}

/// Years a Personio date can sensibly have. Outside them chrono's time-zone conversions can
/// overflow (a fuzzer found `+262142-12-31T23:59:59+0000` panicking in a Berlin conversion).
fn plausible_year(year: i32) -> bool {
    (1000..=9999).contains(&year)
}

fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt);
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt);
        }
    }
    let utc = FixedOffset::east_opt(0)?;
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return utc.from_local_datetime(&naive).single();
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return utc
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .single();
    }
    None
}

/// The calendar date a Personio date field means. Day-level fields are midnight timestamps in the
/// company's zone (`2022-12-01T00:00:00+02:00` is 1 December), so the *local* date is taken,
/// never the UTC one (which would be 30 November).
pub fn date(v: &Value) -> Option<NaiveDate> {
    let s = v.as_str()?;
    if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return plausible_year(d.year()).then_some(d);
    }
    timestamp(s).map(|dt| dt.date_naive())
}

/// An instant (for hour-unit absences), normalised to UTC.
pub fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(timestamp)
        .map(|dt| dt.with_timezone(&Utc))
}

/// Tags arrive as one comma-joined string (`"English,German"`, §11.7) or, in newer payloads, as a list.
pub fn tags(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items.iter().filter_map(text).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bools_from_every_shape() {
        assert_eq!(bool_like(&json!(1)), Some(true));
        assert_eq!(bool_like(&json!(0)), Some(false));
        assert_eq!(bool_like(&json!(true)), Some(true));
        assert_eq!(bool_like(&json!("1")), Some(true));
        assert_eq!(bool_like(&json!("false")), Some(false));
        assert_eq!(bool_like(&json!("maybe")), None);
        assert_eq!(bool_like(&json!(null)), None);
    }

    #[test]
    fn numbers_from_strings_and_numbers() {
        assert_eq!(number_like(&json!("40")), Some(40.0));
        assert_eq!(number_like(&json!("38,5")), Some(38.5));
        assert_eq!(number_like(&json!(7042.42)), Some(7042.42));
        assert_eq!(number_like(&json!("")), None);
        assert_eq!(int_like(&json!("123")), Some(123));
        assert_eq!(int_like(&json!(5.0)), Some(5));
        assert_eq!(int_like(&json!(5.5)), None);
    }

    #[test]
    fn empty_strings_are_empty() {
        assert_eq!(text(&json!("")), None);
        assert_eq!(text(&json!(null)), None);
        assert_eq!(text(&json!("x")), Some("x".into()));
    }

    #[test]
    fn every_timestamp_shape_parses_to_the_local_date() {
        let d = NaiveDate::from_ymd_opt(2022, 12, 1).unwrap();
        for s in [
            "2022-12-01T00:00:00+02:00",
            "2022-12-01T00:00:00+0200",
            "2022-12-01T00:00:00Z",
            "2022-12-01T00:00:00.0Z",
            "2022-12-01T00:00:00",
            "2022-12-01",
        ] {
            assert_eq!(date(&json!(s)), Some(d), "{s}");
        }
        assert_eq!(date(&json!("not a date")), None);
        assert_eq!(date(&json!(null)), None);
    }

    #[test]
    fn implausible_years_are_rejected_not_overflowed() {
        // Found by the `lenient_text` fuzz target (fuzz/regressions/).
        assert_eq!(timestamp("+262142-12-31T23:59:59+0000"), None);
        assert_eq!(date(&json!("+262142-12-31")), None);
        assert!(timestamp("9999-12-31T23:59:59+01:00").is_some());
    }

    #[test]
    fn instants_normalise_to_utc() {
        let a = instant(&json!("2022-06-01T00:00:00+02:00")).unwrap();
        let b = instant(&json!("2022-05-31T22:00:00.0Z")).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn tags_split_and_trim() {
        assert_eq!(tags(&json!("English, German,,")), vec!["English", "German"]);
        assert_eq!(tags(&json!(["a", "b"])), vec!["a", "b"]);
        assert!(tags(&json!("")).is_empty());
    }
}
