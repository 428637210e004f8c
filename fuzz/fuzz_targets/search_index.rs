//! The directory's inverted search index (`domain::index::SearchIndex`) against the plain scan it
//! replaces (`domain::search::score` over every employee), on a handful of arbitrary employees and
//! an arbitrary query.
//!
//! Properties: nothing panics (or explodes: the deletion-variant index is built per name word);
//! the index returns exactly the entries and scores the scan gives, also when people share a work
//! email (a rehire's two records, a shared mailbox: every one of them is an exact-email match).
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use personio_mcp::domain::index::SearchIndex;
use personio_mcp::domain::search::{Query, SearchKey, score};
use personio_mcp::personio::{Attr, Employee, OrgUnit};

#[derive(Debug, Arbitrary)]
struct Person {
    first: Option<String>,
    last: Option<String>,
    preferred: Option<String>,
    email: Option<String>,
    position: Option<String>,
    department: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    people: Vec<Person>,
    query: String,
}

fn attr(v: &Option<String>) -> Attr<String> {
    v.clone().map_or(Attr::Unreadable, Attr::Value)
}

fuzz_target!(|input: Input| {
    let mut employees = Vec::new();
    for (i, p) in input.people.iter().take(12).enumerate() {
        employees.push(Employee {
            id: i as i64 + 1,
            first_name: attr(&p.first),
            last_name: attr(&p.last),
            preferred_name: attr(&p.preferred),
            email: attr(&p.email),
            position: attr(&p.position),
            department: p.department.clone().map_or(Attr::Empty, |name| {
                Attr::Value(OrgUnit { id: Some(1), name })
            }),
            ..Employee::default()
        });
    }
    let keys: Vec<SearchKey> = employees.iter().map(SearchKey::new).collect();
    let refs: Vec<&SearchKey> = keys.iter().collect();
    let index = SearchIndex::build(&refs);
    let q = Query::new(&input.query);

    let from_index: BTreeMap<u32, u32> = index.search(&q).into_iter().collect();
    let from_scan: BTreeMap<u32, u32> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| score(k, &q).map(|s| (i as u32, s)))
        .collect();
    assert_eq!(
        from_index, from_scan,
        "index and scan disagree (entry -> score) for query {:?}",
        input.query
    );
});
