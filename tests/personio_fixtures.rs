//! Parser tests over every real capture in `tests/fixtures/personio/fixtures/` (see SOURCE.md there).
//! A fixture file this test does not know fails the test, so new captures cannot slip by unparsed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use personio_mcp::personio::model::{absence, employee, envelope};
use personio_mcp::personio::{Attr, EmployeeStatus, Unit};

fn fixtures_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/personio/fixtures");
    assert!(
        dir.is_dir(),
        "FIXTURES MISSING: {} does not exist. These parser tests need the Personio captures \
         kept in the repository; refusing to pass without them.",
        dir.display()
    );
    dir
}

fn body(rel: &str) -> envelope::V1Body {
    let bytes = std::fs::read(fixtures_dir().join(rel)).unwrap();
    envelope::parse_v1(&bytes).unwrap_or_else(|e| panic!("{rel}: {e:?}"))
}

fn list(rel: &str) -> Vec<serde_json::Value> {
    body(rel).data.as_array().cloned().unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn every_fixture_file_is_covered() {
    let known = [
        "personio-go/employee-6205887.json",
        "personio-go/employee-7161253.json",
        "personio-go/employees.json",
        "personio-go/time-offs-body.json",
        "personio-py/employee_ada.json",
        "personio-py/employees.json",
        "personio-py/time-off-types.json",
        "personio-py/time-off_create.json",
        "personio-py/time-off_delete.json",
        "personio-py/time-off_get.json",
        "personio-py/time-offs_list.json",
    ];
    let dir = fixtures_dir();
    for sub in std::fs::read_dir(&dir).unwrap() {
        let sub = sub.unwrap().path();
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            let rel = f
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            assert!(
                known.contains(&rel.as_str()),
                "fixture {rel} has no parser test"
            );
        }
    }
}

#[test]
fn real_single_employee_with_every_attribute_kind() {
    let e = employee::parse_employee(&body("personio-go/employee-6205887.json").data).unwrap();
    assert_eq!(e.id, 6205887);
    assert_eq!(e.full_name(), "El Gonzo");
    assert_eq!(e.status, Attr::Value(EmployeeStatus::Active));
    let sup = e.supervisor.value().unwrap();
    assert_eq!((sup.id, sup.full_name().as_str()), (7161253, "Mega Hui"));
    assert_eq!(e.office.value().unwrap().name, "Remote");
    assert_eq!(e.department.value().unwrap().id, Some(646241));
    assert_eq!(e.team.value().unwrap().name, "Cozy Plumbers");
    assert_eq!(e.weekly_working_hours, Attr::Value(40.0));
    assert_eq!(e.hire_date, Attr::Value(d(2022, 1, 12)));
    assert_eq!(e.termination_date, Attr::Empty);
    assert_eq!(e.cost_centers, Attr::Empty);
    assert_eq!(e.absence_entitlement, Attr::Empty);
    // The custom attribute is readable but empty; it is keyed by its human label.
    let custom = e.custom_attributes();
    assert_eq!(custom["Employee ID"].key, "dynamic_700551");
    assert_eq!(custom["Employee ID"].value, serde_json::json!(""));
    // Sensitive standard attributes are kept (for the policy layer to filter), never typed away.
    assert_eq!(e.extra["fix_salary"].value, serde_json::json!(7042.42));
}

#[test]
fn real_employee_list_and_second_employee() {
    let items = list("personio-go/employees.json");
    let ids: Vec<i64> = items
        .iter()
        .map(|i| employee::parse_employee(i).unwrap().id)
        .collect();
    assert_eq!(ids, vec![6205887, 7161253]);
    let top = employee::parse_employee(&body("personio-go/employee-7161253.json").data).unwrap();
    assert_eq!(top.id, 7161253);
    assert_eq!(
        top.supervisor,
        Attr::Empty,
        "a null supervisor is empty, not unreadable"
    );
}

#[test]
fn old_generation_envelopes_without_type_and_universal_id() {
    let items = list("personio-py/employees.json");
    assert_eq!(items.len(), 3);
    for item in &items {
        let e = employee::parse_employee(item).unwrap();
        assert!(e.first_name.value().is_some());
        assert!(e.email.value().is_some());
        assert_eq!(
            e.weekly_working_hours.value().copied().map(|h| h > 0.0),
            Some(true)
        );
    }
    let ada = employee::parse_employee(&body("personio-py/employee_ada.json").data).unwrap();
    assert_eq!(ada.first_name.value().map(String::as_str), Some("Ada"));
}

#[test]
fn real_time_offs_with_integer_half_days() {
    let items = list("personio-go/time-offs-body.json");
    let absences: Vec<_> = items
        .iter()
        .map(|i| absence::parse_time_off(i).unwrap())
        .collect();
    assert_eq!(absences.len(), 3);
    let first = &absences[0];
    assert_eq!(first.id, "125814620");
    assert_eq!(
        (first.start_date, first.end_date),
        (d(2022, 9, 5), d(2022, 9, 9))
    );
    assert_eq!(first.amount, Some(5.0));
    assert_eq!(first.employee.id, 7161253);
    assert_eq!(first.unit, Unit::Days);
    assert_eq!(first.time_off_type.id, Some(155627));
    let half = &absences[2];
    assert_eq!(
        (half.start_date, half.end_date),
        (d(2022, 12, 1), d(2022, 12, 1))
    );
    assert!(!half.half_day_start);
    assert!(half.half_day_end);
    assert_eq!(half.amount, Some(0.5));
    assert_eq!(half.comment.as_deref(), Some("later-this-year"));
}

#[test]
fn old_generation_time_offs_get_create_and_delete() {
    let items = list("personio-py/time-offs_list.json");
    assert!(!items.is_empty());
    for i in &items {
        absence::parse_time_off(i).unwrap();
    }
    let got = absence::parse_time_off(&body("personio-py/time-off_get.json").data).unwrap();
    assert!(!got.id.is_empty());
    let created = absence::parse_time_off(&body("personio-py/time-off_create.json").data).unwrap();
    assert_eq!(created.id, "22809350");
    assert!(created.half_day_start && created.half_day_end);
    assert_eq!(
        created.time_off_type.name.as_deref(),
        Some("Unbezahlte Freistellung")
    );
    let deleted = body("personio-py/time-off_delete.json");
    assert_eq!(
        deleted.data["message"],
        serde_json::json!("The absence period was deleted.")
    );
    assert_eq!(deleted.meta.current_page, Some(1));
}

#[test]
fn old_generation_time_off_types_without_unit_are_day_types() {
    let types: Vec<_> = list("personio-py/time-off-types.json")
        .iter()
        .map(|i| absence::parse_time_off_type(i).unwrap())
        .collect();
    assert_eq!(types.len(), 3);
    assert!(types.iter().all(|t| t.unit == Unit::Days));
    assert_eq!(types[0].name, "vacation");
    assert_eq!(types[2].category.as_deref(), Some("sick"));
}
