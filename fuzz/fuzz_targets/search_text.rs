//! People search on arbitrary text: the folds (plain, German), `same_text`, query folding and
//! scoring against a search key built from an arbitrary employee, and the pagination cursor.
//!
//! Properties: nothing panics; `same_text(a, a)` holds; an employee's own email scores as an
//! exact email match; a cursor decodes to the offset it was encoded with, for the same query.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use personio_mcp::domain::normalize::{german_fold, plain_fold, same_text, words};
use personio_mcp::domain::search::{Query, SearchKey, score};
use personio_mcp::mcp::tools::common::cursor;
use personio_mcp::personio::{Attr, Employee, OrgUnit};

#[derive(Debug, Arbitrary)]
struct Input {
    query: String,
    other: String,
    first: Option<String>,
    last: Option<String>,
    preferred: Option<String>,
    email: Option<String>,
    position: Option<String>,
    department: Option<String>,
    team: Option<String>,
    office: Option<String>,
    cursor: Option<String>,
    offset: usize,
}

fn attr(v: &Option<String>) -> Attr<String> {
    match v {
        Some(s) => Attr::Value(s.clone()),
        None => Attr::Unreadable,
    }
}

fn unit(v: &Option<String>) -> Attr<OrgUnit> {
    match v {
        Some(s) => Attr::Value(OrgUnit {
            id: Some(1),
            name: s.clone(),
        }),
        None => Attr::Empty,
    }
}

fuzz_target!(|input: Input| {
    let plain = plain_fold(&input.query);
    let german = german_fold(&input.query);
    let _ = words(&plain).count();
    let _ = words(&german).count();
    assert!(
        same_text(&input.query, &input.query),
        "same_text is not reflexive"
    );
    let _ = same_text(&input.query, &input.other);

    let employee = Employee {
        id: 1,
        first_name: attr(&input.first),
        last_name: attr(&input.last),
        preferred_name: attr(&input.preferred),
        email: attr(&input.email),
        position: attr(&input.position),
        department: unit(&input.department),
        team: unit(&input.team),
        office: unit(&input.office),
        ..Employee::default()
    };
    let key = SearchKey::new(&employee);
    let q = Query::new(&input.query);
    let _ = q.is_empty();
    let _ = q.as_email();
    let _ = score(&key, &q);
    let _ = score(&key, &Query::new(&employee.full_name()));
    if let Some(mail) = &input.email {
        assert_eq!(
            score(&key, &Query::new(mail)),
            Some(1000),
            "an employee's own email must be an exact match"
        );
    }

    let _ = cursor::decode(&input.query, input.cursor.as_deref());
    let c = cursor::encode(&input.query, input.offset);
    assert_eq!(
        cursor::decode(&input.query, Some(&c)).ok(),
        Some(input.offset),
        "cursor does not round-trip"
    );
    let items: Vec<u8> = input.other.bytes().collect();
    let limit = input.offset % 64;
    let (page, next) = cursor::page(&items, &input.query, input.offset, limit);
    assert!(page.len() <= limit);
    if let Some(n) = next {
        assert!(cursor::decode(&input.query, Some(&n)).is_ok());
    }
});
