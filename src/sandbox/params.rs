//! Lenient, panic-free parsing of query strings and request bodies.
//!
//! Personio accepts write bodies as `application/x-www-form-urlencoded` (the spec) or JSON (what many
//! clients send), with booleans as `true`/`false`/`"1"`/`"0"`. Handlers read fields through [`Fields`]
//! and collect problems in a [`Validation`], which becomes Personio's 422 body. Query strings are
//! parsed by hand (not by a typed extractor) so a bad `limit` yields a Personio-style error, never
//! axum's plain-text rejection.

use std::collections::HashMap;

use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use http::{HeaderMap, header};
use serde_json::Value;

use super::clock;
use super::envelope;

/// Decoded query-string pairs, in order.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query {
            pairs: raw
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The first value of `key`; empty values count as absent.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every value of `key[]` or `key` (repeated keys, and comma-separated values, are both accepted).
    pub fn list(&self, key: &str) -> Vec<String> {
        let bracketed = format!("{key}[]");
        self.pairs
            .iter()
            .filter(|(k, _)| *k == bracketed || k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// Fields of a JSON or form body.
#[derive(Debug, Default)]
pub struct Fields {
    map: HashMap<String, Value>,
}

/// The body was not valid JSON (object) or form data.
#[derive(Debug)]
pub struct Malformed;

/// Parses a JSON object or form body according to `Content-Type` (sniffing when it is missing).
pub fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<Fields, Malformed> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Ok(Fields::default());
    }
    let json =
        content_type.contains("json") || (content_type.is_empty() && trimmed.starts_with(b"{"));
    if json {
        match serde_json::from_slice::<Value>(trimmed) {
            Ok(Value::Object(map)) => Ok(Fields {
                map: map.into_iter().collect(),
            }),
            _ => Err(Malformed),
        }
    } else if content_type.is_empty() || content_type.contains("x-www-form-urlencoded") {
        Ok(form_fields(trimmed))
    } else {
        Err(Malformed)
    }
}

/// Form pairs as string fields (the first occurrence of a key wins).
pub fn form_fields(body: &[u8]) -> Fields {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        map.entry(k.into_owned())
            .or_insert_with(|| Value::String(v.into_owned()));
    }
    Fields { map }
}

impl Fields {
    /// Fills keys missing from the body with query parameters (v1 auth accepts both).
    pub fn fill_from_query(&mut self, query: &Query) {
        for (k, v) in query.pairs() {
            self.map
                .entry(k.clone())
                .or_insert_with(|| Value::String(v.clone()));
        }
    }

    /// The raw value; JSON `null` and empty strings count as absent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    /// A text value (numbers and booleans are rendered as text).
    pub fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `true`/`false`, `1`/`0`, `"true"`/`"false"`/`"1"`/`"0"` (case-insensitive).
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// `HH:mm`.
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// A date or date-time filter value: RFC 3339 (`…+01:00`, `…Z`), `…+0100`, a naive date-time
/// (interpreted as Europe/Berlin wall time), or a plain date (Berlin midnight).
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(clock::berlin_to_utc(t));
        }
    }
    parse_date(s).map(clock::berlin_midnight)
}

/// `employee_id` → `employee id` (Laravel's attribute naming in messages).
fn human(key: &str) -> String {
    key.replace('_', " ")
}

/// Collects validation problems; [`Validation::finish`] turns them into Personio's 422.
#[derive(Debug, Default)]
pub struct Validation {
    errors: Vec<(String, String)>,
}

impl Validation {
    pub fn add(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push((key.to_string(), message.into()));
    }

    fn missing(&mut self, key: &str) {
        self.add(key, format!("The {} field is required.", human(key)));
    }

    /// `parsed`, recording "The {key} {complaint}." when it is `None`.
    pub fn checked<T>(&mut self, key: &str, parsed: Option<T>, complaint: &str) -> Option<T> {
        if parsed.is_none() {
            self.add(key, format!("The {} {complaint}.", human(key)));
        }
        parsed
    }

    /// `raw` parsed by `parse`, or "The {key} does not match the format {format}." recorded.
    pub fn formatted<T>(
        &mut self,
        key: &str,
        raw: &str,
        format: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        self.checked(
            key,
            parse(raw),
            &format!("does not match the format {format}"),
        )
    }

    pub fn required_int(&mut self, f: &Fields, key: &str) -> Option<i64> {
        let Some(v) = f.get(key) else {
            self.missing(key);
            return None;
        };
        self.checked(key, as_int(v), "must be an integer")
    }

    pub fn required_date(&mut self, f: &Fields, key: &str) -> Option<NaiveDate> {
        let Some(s) = f.text(key) else {
            self.missing(key);
            return None;
        };
        self.formatted(key, &s, "Y-m-d", parse_date)
    }

    pub fn required_bool(&mut self, f: &Fields, key: &str) -> Option<bool> {
        let Some(v) = f.get(key) else {
            self.missing(key);
            return None;
        };
        self.check_bool(key, v)
    }

    pub fn optional_bool(&mut self, f: &Fields, key: &str, default: bool) -> bool {
        f.get(key)
            .map_or(Some(default), |v| self.check_bool(key, v))
            .unwrap_or(default)
    }

    fn check_bool(&mut self, key: &str, v: &Value) -> Option<bool> {
        self.checked(key, as_bool(v), "field must be true or false")
    }

    /// `Err(422)` if anything was collected.
    pub fn finish(self) -> Result<(), Response> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(envelope::v1_validation(&self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn query_lists_accept_brackets_repeats_and_commas() {
        let q = Query::parse(Some(
            "employees[]=1&employees[]=2,3&attributes[]=first_name&limit=",
        ));
        assert_eq!(q.list("employees"), vec!["1", "2", "3"]);
        assert_eq!(q.list("attributes"), vec!["first_name"]);
        assert_eq!(q.first("limit"), None);
    }

    #[test]
    fn bodies_json_form_and_sniffed() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let f = parse_body(&h, br#"{"a":1,"b":"0","c":null}"#).unwrap();
        assert_eq!(as_int(f.get("a").unwrap()), Some(1));
        assert_eq!(as_bool(f.get("b").unwrap()), Some(false));
        assert!(f.get("c").is_none());
        assert!(parse_body(&h, b"{not json").is_err());
        assert!(parse_body(&h, b"[1,2]").is_err());
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let f = parse_body(&h, b"a=1&b=true&c=J%C3%BCrgen").unwrap();
        assert_eq!(f.text("c").as_deref(), Some("Jürgen"));
        assert_eq!(as_bool(f.get("b").unwrap()), Some(true));
        let f = parse_body(&HeaderMap::new(), br#"{"x":"y"}"#).unwrap();
        assert_eq!(f.text("x").as_deref(), Some("y"));
    }

    #[test]
    fn instants_in_every_spelling() {
        let a = parse_instant("2022-12-24T08:15:30").unwrap();
        assert_eq!(a.to_rfc3339(), "2022-12-24T07:15:30+00:00");
        assert_eq!(parse_instant("2022-12-24T08:15:30+01:00"), Some(a));
        assert_eq!(parse_instant("2022-12-24T08:15:30+0100"), Some(a));
        assert_eq!(parse_instant("2022-12-24T07:15:30Z"), Some(a));
        assert_eq!(
            parse_instant("2022-12-24").unwrap().to_rfc3339(),
            "2022-12-23T23:00:00+00:00"
        );
        assert!(parse_instant("yesterday").is_none());
    }
}
