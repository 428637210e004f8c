//! Sandbox day-unit absences and balances over loopback HTTP: time-off types, the time-offs listing
//! quirks (page-index offsets, integer half-day flags, overlap windows), creation through JSON and
//! forms with Personio's validation and error bodies, deletion, and balances.

// Test code: a failed unwrap is a failed assertion (helpers outside `#[test]` fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::collections::HashSet;

use reqwest::StatusCode;
use sandbox_support::*;
use serde_json::{Value, json};

const SPEC_CATEGORIES: [&str; 16] = [
    "family_care",
    "maternity_parental_leave",
    "child_care",
    "short_time_allowance",
    "quarantine",
    "irrevocable_exemption",
    "sick_leave",
    "strike_and_lockout",
    "public_duty",
    "unpaid_suspension",
    "paid_vacation",
    "unpaid_vacation",
    "unexcused_absence",
    "offsite_work",
    "other",
    "undefined",
];

fn is_midnight_with_offset(s: &str) -> bool {
    s.len() == 25
        && s.get(10..19) == Some("T00:00:00")
        && matches!(s.get(19..), Some("+01:00") | Some("+02:00"))
}

#[tokio::test]
async fn time_off_types_have_both_units() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    let r = api.get("/v1/company/time-off-types").await;
    assert_eq!(r.status, StatusCode::OK);
    let types = r.json["data"].as_array().unwrap();
    assert_eq!(types.len(), 6);
    let mut units = HashSet::new();
    for t in types {
        assert_eq!(t["type"], "TimeOffType");
        let a = &t["attributes"];
        assert!(a["id"].is_u64());
        assert!(SPEC_CATEGORIES.contains(&a["category"].as_str().unwrap()));
        assert!(a["approval_required"].is_boolean());
        assert_eq!(a["id_v2"].as_str().unwrap().len(), 36);
        units.insert(a["unit"].as_str().unwrap().to_string());
    }
    assert_eq!(
        units,
        HashSet::from(["day".to_string(), "hour".to_string()])
    );
    let vacation = types
        .iter()
        .find(|t| t["attributes"]["id"] == PAID_VACATION)
        .unwrap();
    assert_eq!(vacation["attributes"]["name"], "Paid vacation");
    assert_eq!(vacation["attributes"]["approval_required"], true);
}

#[tokio::test]
async fn listing_uses_page_index_offsets_and_integer_half_day_flags() {
    let sb = start(300).await;
    let api = Api::new(&sb, FULL).await;
    let first = api.get("/v1/company/time-offs").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json["limit"], 200);
    assert_eq!(first.json["offset"], 0);
    assert_eq!(first.json["metadata"]["current_page"], 1);
    let total = first.json["metadata"]["total_elements"].as_u64().unwrap();
    assert!(total > 400, "several pages of seeded time-offs ({total})");
    assert_eq!(first.json["metadata"]["total_pages"], total.div_ceil(200));
    let one = api.get("/v1/company/time-offs?offset=1").await;
    assert_eq!(one.json["metadata"]["current_page"], 1);
    assert_eq!(
        one.json["data"], first.json["data"],
        "offset 0 and 1 are both the first page"
    );
    let two = api.get("/v1/company/time-offs?offset=2").await;
    assert_eq!(two.json["metadata"]["current_page"], 2);
    let capped = api.get("/v1/company/time-offs?limit=500").await;
    assert_eq!(capped.json["limit"], 200);
    assert_eq!(capped.json["data"].as_array().unwrap().len(), 200);

    // Paging 0, 1, 2, … with dedup finds every period; without dedup page 1 repeats.
    let mut seen = HashSet::new();
    let mut fetched = 0;
    let mut half_days = 0;
    let mut pending = 0;
    for page in 0.. {
        let r = api
            .get(&format!("/v1/company/time-offs?offset={page}"))
            .await;
        let data = r.json["data"].as_array().unwrap().clone();
        fetched += data.len();
        for t in &data {
            let a = &t["attributes"];
            seen.insert(a["id"].as_u64().unwrap());
            assert_eq!(t["type"], "TimeOffPeriod");
            for flag in ["half_day_start", "half_day_end"] {
                assert!(
                    a[flag] == 0 || a[flag] == 1,
                    "{flag} is an integer: {}",
                    a[flag]
                );
            }
            half_days += usize::from(a["half_day_start"] == 1 || a["half_day_end"] == 1);
            pending += usize::from(a["status"] == "pending");
            assert!(is_midnight_with_offset(a["start_date"].as_str().unwrap()));
            assert!(is_midnight_with_offset(a["end_date"].as_str().unwrap()));
            assert!(a["days_count"].is_number());
            assert!(a["employee"]["attributes"]["id"]["value"].is_u64());
            assert_eq!(
                a["employee"]["attributes"]["email"]["universal_id"],
                "email"
            );
            assert_eq!(a["time_off_type"]["type"], "TimeOffType");
            let type_id = a["time_off_type"]["attributes"]["id"].as_u64().unwrap();
            assert!(
                type_id != DOCTORS_APPOINTMENT && type_id != OFFSITE_WORK,
                "only day units"
            );
            assert!(a["created_by"].is_string());
            assert_eq!(a["certificate"]["status"], "not-required");
            assert!(a["comment"].is_string());
            assert_eq!(a["id_v2"].as_str().unwrap().len(), 36);
        }
        if data.len() < 200 {
            break;
        }
    }
    assert_eq!(seen.len() as u64, total);
    assert_eq!(
        fetched as u64,
        total + 200,
        "page 0 and page 1 overlap completely"
    );
    assert!(half_days > 0 && pending > 0);
}

async fn new_employee(sb: &personio_mcp::sandbox::SandboxHandle) -> u64 {
    add_employee(sb, json!({"first_name": "Testa", "last_name": "Tröster"})).await
}

fn vacation(employee: u64, start: &str, end: &str) -> Value {
    json!({
        "employee_id": employee, "time_off_type_id": PAID_VACATION,
        "start_date": start, "end_date": end, "half_day_start": false, "half_day_end": false
    })
}

#[tokio::test]
async fn create_accepts_json_and_forms_and_honours_skip_approval() {
    let sb = start(20).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;

    let r = api
        .post_json(
            "/v1/company/time-offs",
            &vacation(emp, "2025-07-07", "2025-07-11"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["success"], true);
    let a = &r.json["data"]["attributes"];
    assert_eq!(r.json["data"]["type"], "TimeOffPeriod");
    assert_eq!(a["status"], "approved", "skip_approval defaults to true");
    assert_eq!(a["created_by"], "API");
    assert_eq!(a["days_count"], 5);
    assert_eq!(a["half_day_start"], 0);
    assert_eq!(a["start_date"], "2025-07-07T00:00:00+02:00");
    assert_eq!(a["end_date"], "2025-07-11T00:00:00+02:00");
    assert_eq!(a["employee"]["attributes"]["id"]["value"], emp);
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {}", api.token))
    );

    let emp_s = emp.to_string();
    let vac_s = PAID_VACATION.to_string();
    let r = api
        .post_form(
            "/v1/company/time-offs",
            &[
                ("employee_id", &emp_s),
                ("time_off_type_id", &vac_s),
                ("start_date", "2025-08-04"),
                ("end_date", "2025-08-08"),
                ("half_day_start", "1"),
                ("half_day_end", "false"),
                ("skip_approval", "0"),
                ("comment", "Urlaub am Bodensee"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let a = &r.json["data"]["attributes"];
    assert_eq!(a["status"], "pending");
    assert_eq!(a["days_count"], 4.5);
    assert_eq!(a["half_day_start"], 1);
    assert_eq!(a["comment"], "Urlaub am Bodensee");

    // A type without approval is approved even when approval is not skipped.
    let mut sick = vacation(emp, "2025-06-02", "2025-06-03");
    sick["time_off_type_id"] = json!(SICK_LEAVE);
    sick["skip_approval"] = json!(false);
    let r = api.post_json("/v1/company/time-offs", &sick).await;
    assert_eq!(r.json["data"]["attributes"]["status"], "approved");

    // Complementary half days on one day are fine; a weekend-only period counts 0 days.
    let mut morning = vacation(emp, "2025-09-01", "2025-09-01");
    morning["half_day_end"] = json!(true);
    let mut afternoon = vacation(emp, "2025-09-01", "2025-09-01");
    afternoon["half_day_start"] = json!("true");
    for body in [&morning, &afternoon] {
        let r = api.post_json("/v1/company/time-offs", body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["data"]["attributes"]["days_count"], 0.5);
    }
    let r = api
        .post_json(
            "/v1/company/time-offs",
            &vacation(emp, "2025-09-06", "2025-09-07"),
        )
        .await;
    assert_eq!(r.json["data"]["attributes"]["days_count"], 0);

    let dump = admin_get(&sb, "/__sandbox/time-offs").await;
    let mine: Vec<&Value> = dump.json["day"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["employee_id"] == emp)
        .collect();
    assert_eq!(mine.len(), 6);
    assert!(mine.iter().all(|a| a["created_by"] == "API"));
}

#[tokio::test]
async fn create_rejects_bad_requests_with_personio_errors() {
    let sb = start(20).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;
    let post = |body: Value| {
        let api = &api;
        async move { api.post_json("/v1/company/time-offs", &body).await }
    };

    let mut both = vacation(emp, "2025-07-01", "2025-07-01");
    both["half_day_start"] = json!(true);
    both["half_day_end"] = json!(true);
    let r = post(both).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 400, "message":
            "Invalid absence day. Reason: Both half day start and half day end are true for a single-day period"}})
    );

    assert_eq!(
        post(vacation(emp, "2025-07-07", "2025-07-11")).await.status,
        StatusCode::OK
    );
    let r = post(vacation(emp, "2025-07-11", "2025-07-14")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 400, "message": "Error when trying to insert absence period"}})
    );

    let mut unknown_type = vacation(emp, "2025-10-01", "2025-10-01");
    unknown_type["time_off_type_id"] = json!(4242);
    let r = post(unknown_type).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 0, "message": "Time-off type not found."}})
    );
    let r = post(vacation(4242, "2025-10-01", "2025-10-01")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["success"], false);

    let mut hourly = vacation(emp, "2025-10-01", "2025-10-01");
    hourly["time_off_type_id"] = json!(DOCTORS_APPOINTMENT);
    let r = post(hourly).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["error"]["code"], 400);

    let r = post(json!({"employee_id": emp, "start_date": "2025-10-01"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json["success"], false);
    assert_eq!(r.json["error"]["code"], 0);
    assert_eq!(
        r.json["error"]["message"],
        "The given data failed to pass validation."
    );
    let error_data = r.json["error"]["error_data"].as_object().unwrap();
    for field in [
        "time_off_type_id", "end_date", "half_day_start", "half_day_end",
    ] {
        assert!(error_data.contains_key(field), "{field}");
    }
    assert!(!error_data.contains_key("employee_id"));

    let mut bad = vacation(emp, "2025-10-03", "2025-10-01");
    bad["half_day_start"] = json!("maybe");
    bad["employee_id"] = json!("abc");
    let r = post(bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error_data = r.json["error"]["error_data"].as_object().unwrap();
    for field in ["end_date", "half_day_start", "employee_id"] {
        assert!(error_data.contains_key(field), "{field}");
    }
    let r = post(vacation(emp, "01.10.2025", "2025-10-01")).await;
    assert!(r.json["error"]["error_data"]["start_date"].is_array());

    let r = Reply::from(
        http()
            .post(format!("{}/v1/company/time-offs", sb.base_url()))
            .bearer_auth(&api.token)
            .header("content-type", "application/json")
            .body("{\"employee_id\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["success"], false);

    // Half days on a type without half-day requests.
    let mut sick = vacation(emp, "2025-11-03", "2025-11-04");
    sick["time_off_type_id"] = json!(SICK_LEAVE);
    sick["half_day_end"] = json!(1);
    assert_eq!(post(sick).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn get_and_delete_by_id() {
    let sb = start(20).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;
    let created = api
        .post_json(
            "/v1/company/time-offs",
            &vacation(emp, "2025-07-07", "2025-07-08"),
        )
        .await;
    let id = created.json["data"]["attributes"]["id"].as_u64().unwrap();
    let path = format!("/v1/company/time-offs/{id}");
    let r = api.get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["data"], created.json["data"]);
    let r = api.delete(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({"success": true, "data": {"message": "The absence period was deleted."}})
    );
    let not_found = json!({"success": false, "error": {"code": 404, "message": "The absence period was not found."}});
    assert_eq!(api.get(&path).await.json, not_found);
    let r = api.delete(&path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json, not_found);
    let r = api.delete("/v1/company/time-offs/not-a-number").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 400, "message": "The absence period id is invalid."}})
    );
    // The same days can be booked again after the deletion.
    let again = api
        .post_json(
            "/v1/company/time-offs",
            &vacation(emp, "2025-07-07", "2025-07-08"),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn listing_filters_by_overlap_window_employees_and_update_time() {
    let sb = start(50).await;
    let api = Api::new(&sb, FULL).await;
    let a = new_employee(&sb).await;
    let b = new_employee(&sb).await;
    api.post_json(
        "/v1/company/time-offs",
        &vacation(a, "2025-07-07", "2025-07-11"),
    )
    .await;
    api.post_json(
        "/v1/company/time-offs",
        &vacation(b, "2025-07-14", "2025-07-15"),
    )
    .await;
    let ids = |r: &Reply| -> Vec<u64> {
        r.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                t["attributes"]["employee"]["attributes"]["id"]["value"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    let both = format!("employees[]={a}&employees[]={b}");
    let r = api
        .get(&format!(
            "/v1/company/time-offs?{both}&start_date=2025-07-09&end_date=2025-07-09"
        ))
        .await;
    assert_eq!(
        ids(&r),
        vec![a],
        "a period overlapping the window is returned"
    );
    let r = api
        .get(&format!(
            "/v1/company/time-offs?{both}&start_date=2025-07-11&end_date=2025-07-14"
        ))
        .await;
    assert_eq!(ids(&r), vec![a, b]);
    let r = api
        .get(&format!(
            "/v1/company/time-offs?{both}&start_date=2025-07-16"
        ))
        .await;
    assert!(ids(&r).is_empty());
    let r = api
        .get(&format!("/v1/company/time-offs?employees[]={b}"))
        .await;
    assert_eq!(ids(&r), vec![b]);
    // Everything created today, nothing seeded (seeded periods were all updated before today).
    let r = api
        .get("/v1/company/time-offs?updated_from=2025-06-16")
        .await;
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, vec![a, b]);
    let r = api
        .get(&format!(
            "/v1/company/time-offs?{both}&updated_to=2025-06-15"
        ))
        .await;
    assert!(ids(&r).is_empty());
    let r = api.get("/v1/company/time-offs?start_date=July").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn balance_of(r: &Reply, type_id: u64) -> &Value {
    r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == type_id)
        .unwrap()
}

#[tokio::test]
async fn balances_deduct_taken_and_planned_absences() {
    let sb = start(20).await;
    let api = Api::new(&sb, FULL).await;
    let emp = add_employee(
        &sb,
        json!({"first_name": "Bea", "last_name": "Bilanz", "vacation_entitlement": 28}),
    )
    .await;
    let path = format!("/v1/company/employees/{emp}/absences/balance");
    let r = api.get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 6);
    let v = balance_of(&r, PAID_VACATION);
    assert_eq!(v["name"], "Paid vacation");
    assert_eq!(v["category"], "paid_vacation");
    assert_eq!(
        (v["balance"].clone(), v["available_balance"].clone()),
        (json!(28), json!(28))
    );

    // Past, approved: taken.
    api.post_json(
        "/v1/company/time-offs",
        &vacation(emp, "2025-03-03", "2025-03-07"),
    )
    .await;
    // Future, pending: planned only.
    let mut future = vacation(emp, "2025-08-04", "2025-08-05");
    future["skip_approval"] = json!(false);
    api.post_json("/v1/company/time-offs", &future).await;
    // A past half day: taken.
    let mut half = vacation(emp, "2025-04-01", "2025-04-01");
    half["half_day_start"] = json!(true);
    api.post_json("/v1/company/time-offs", &half).await;
    // Thu 12th to Tue 17th spans today (Mon 16th): 3 working days taken so far, 4 planned.
    api.post_json(
        "/v1/company/time-offs",
        &vacation(emp, "2025-06-12", "2025-06-17"),
    )
    .await;
    // Future, approved: planned only.
    api.post_json(
        "/v1/company/time-offs",
        &vacation(emp, "2025-06-19", "2025-06-20"),
    )
    .await;

    let r = api.get(&path).await;
    let v = balance_of(&r, PAID_VACATION);
    assert_eq!(v["balance"], 28.0 - 5.0 - 0.5 - 3.0, "{v}");
    assert_eq!(
        v["available_balance"],
        28.0 - 5.0 - 2.0 - 0.5 - 4.0 - 2.0,
        "{v}"
    );

    // Hour-unit types report hours.
    let r = api
        .post_json(
            "/v1/company/absence-periods",
            &json!({"employee_id": emp, "time_off_type_id": DOCTORS_APPOINTMENT,
                    "start_date": "2025-05-05", "end_date": "2025-05-05",
                    "start_time": "09:00", "end_time": "10:30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = api.get(&path).await;
    let d = balance_of(&r, DOCTORS_APPOINTMENT);
    assert_eq!(
        (d["balance"].clone(), d["available_balance"].clone()),
        (json!(-1.5), json!(-1.5))
    );

    let r = api.get("/v1/company/employees/12/absences/balance").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json["error"]["message"],
        "Es ist ein Problem aufgetreten "
    );
}
