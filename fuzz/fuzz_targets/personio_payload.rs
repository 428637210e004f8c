//! Personio payload parsers on arbitrary bytes: the v1 envelope, every error shape, and each item
//! parser (employees, day and hour absences, time-off types, balances, attribute lists), followed
//! by the conversions the tools apply to what parsed (summaries, absence output, search keys).
//!
//! Property: nothing panics, whatever Personio (or a man in the middle) sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use personio_mcp::domain::search::{Query, SearchKey, score};
use personio_mcp::mcp::tools::common::{AbsenceOut, EmployeeSummary};
use personio_mcp::personio::model::{absence, attributes, employee, envelope};
use personio_mcp::policy::fields::is_sensitive;
use serde_json::Value;

fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn exercise_item(item: &Value) {
    if let Ok(e) = employee::parse_employee(item) {
        let _ = e.full_name();
        let _ = e.custom_attributes();
        for attr in e.extra.values() {
            let _ = is_sensitive(attr);
            let _ = attr.tags();
        }
        let summary = EmployeeSummary::from_employee(&e);
        let _ = serde_json::to_vec(&summary);
        // The employee's own name and email must find it again.
        let key = SearchKey::new(&e);
        let _ = score(&key, &Query::new(&e.full_name()));
        if let Some(mail) = e.email.value() {
            let _ = score(&key, &Query::new(mail));
        }
    }
    let _ = employee::person_ref(item);
    for parsed in [
        absence::parse_time_off(item),
        absence::parse_absence_period(item, chrono_tz::Tz::UTC),
    ] {
        if let Ok(a) = parsed {
            let out = AbsenceOut::from_absence(&a, chrono_tz::Europe::Berlin);
            let _ = serde_json::to_vec(&out);
        }
    }
    let _ = absence::parse_time_off_type(item);
    let _ = absence::parse_balance(item);
    let _ = envelope::attributes(item);
}

fuzz_target!(|data: &[u8]| {
    // The envelope as the HTTP client reads it.
    match envelope::parse_v1(data) {
        Ok(body) => {
            for item in items(&body.data) {
                exercise_item(item);
            }
            let _ = attributes::parse_attributes(&body.data);
        }
        Err(_) => {
            let _ = envelope::error_from_bytes(data);
        }
    }
    // The listing's page parser must read every body the tree parser accepts exactly as it does,
    // and reject every other the same way — except what only skimming lets through (nesting
    // beyond the limit, out-of-range numbers, lone surrogates inside `data`'s items), which
    // `item_tree` then rejects item by item.
    match (envelope::parse_v1(data), envelope::parse_v1_page(data)) {
        (Ok(tree), Ok(page)) => {
            assert_eq!(tree.meta, page.meta);
            let items = page.items.map(|items| {
                items
                    .iter()
                    .map(|raw| envelope::item_tree(raw).expect("an item of a valid body"))
                    .collect::<Vec<_>>()
            });
            match tree.data {
                Value::Array(a) => assert_eq!(items, Some(a)),
                Value::Null => assert_eq!(items, Some(Vec::new())),
                _ => assert_eq!(items, None),
            }
        }
        (Err(envelope::BodyError::Malformed(why)), Ok(page)) => {
            let bad = page
                .items
                .unwrap_or_default()
                .iter()
                .any(|raw| envelope::item_tree(raw).is_err());
            // An item within the limit on its own may sit too deep in the body as a whole.
            assert!(
                bad || why.contains("recursion limit"),
                "parse_v1_page accepted a body parse_v1 rejects, with no bad item"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("parse_v1 and parse_v1_page disagree: {a:?} / {b:?}"),
    }
    // The same bytes as a bare item (or list of items), skipping the envelope.
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let _ = envelope::error_message(&value);
        let _ = attributes::parse_attributes(&value);
        for item in items(&value) {
            exercise_item(item);
        }
    }
});
