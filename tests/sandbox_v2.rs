//! The sandbox speaks Personio API v2 (issue 20): persons and employments over the same company as
//! v1, absence types, absence periods of both units over the same store as v1 (create in one, see it
//! in the other), overlap filters with an exclusive `ends_at`, breakdowns, cursor paging with
//! absolute links and limit caps, v2 error bodies, scopes and rate-limit headers.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::collections::HashSet;

use personio_mcp::sandbox::SandboxHandle;
use reqwest::StatusCode;
use sandbox_support::*;
use serde_json::{Value, json};

/// The id of the v2 absence type with this v1 id.
async fn type_v2(sb: &SandboxHandle, v1_id: u64) -> String {
    let info = admin_get(sb, "/__sandbox").await.json;
    info["time_off_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == v1_id)
        .unwrap()["id_v2"]
        .as_str()
        .unwrap()
        .to_string()
}

#[track_caller]
fn assert_v2_error(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert!(r.json["personio_trace_id"].is_string(), "{}", r.text);
    assert!(r.json["timestamp"].is_string(), "{}", r.text);
    let kind_url = r.json["errors"][0]["type"].as_str().unwrap();
    assert!(kind_url.ends_with(kind), "{kind_url}");
}

#[tokio::test]
async fn persons_page_by_absolute_cursor_links_over_the_v1_company() {
    let sb = start(120).await;
    let v1 = Api::new(&sb, FULL).await;
    let v2 = Api::v2(&sb, FULL).await;

    let first = v2.get("/v2/persons").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        first.json["_data"].as_array().unwrap().len(),
        10,
        "default limit"
    );
    let capped = v2.get("/v2/persons?limit=500").await;
    assert_eq!(
        capped.json["_data"].as_array().unwrap().len(),
        50,
        "limit cap"
    );
    let next = capped.json["_meta"]["links"]["next"]["href"]
        .as_str()
        .unwrap();
    assert!(
        next.starts_with(&format!("{}/v2/persons?", sb.base_url())),
        "{next}"
    );
    assert!(
        next.contains("limit=500") && next.contains("cursor="),
        "{next}"
    );

    let (persons, pages) = v2.v2_all("/v2/persons?limit=50").await;
    assert_eq!(pages, 3);
    let v2_ids: Vec<String> = persons
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let v1_ids: Vec<String> = v1
        .all_employees("")
        .await
        .iter()
        .map(|e| employee_id(e).to_string())
        .collect();
    assert_eq!(v2_ids, v1_ids);

    let bad_cursor = v2.get("/v2/persons?cursor=cur_forged").await;
    assert_v2_error(
        &bad_cursor,
        StatusCode::BAD_REQUEST,
        "common.invalid_request",
    );
}

#[tokio::test]
async fn person_and_employment_carry_the_v1_facts() {
    let sb = start(60).await;
    let v1 = Api::new(&sb, FULL).await;
    let v2 = Api::v2(&sb, FULL).await;
    let employees = v1.all_employees("").await;
    let e = employees
        .iter()
        .find(|e| {
            attr(e, "supervisor")["attributes"]["id"]["value"].is_u64()
                && !attr(e, "team").is_null()
        })
        .unwrap();
    let id = employee_id(e);

    let p = v2.get(&format!("/v2/persons/{id}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(p.json["id"], id.to_string());
    assert_eq!(p.json["first_name"], *attr(e, "first_name"));
    assert_eq!(p.json["last_name"], *attr(e, "last_name"));
    assert_eq!(p.json["email"], *attr(e, "email"));
    let status = attr(e, "status").as_str().unwrap();
    let expected = if status == "inactive" {
        "INACTIVE"
    } else {
        "ACTIVE"
    };
    assert_eq!(p.json["status"], expected);
    let employment_id = p.json["employments"][0]["id"].as_str().unwrap().to_string();

    let list = v2.get(&format!("/v2/persons/{id}/employments")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let emp = &list.json["_data"][0];
    assert_eq!(emp["id"], employment_id);
    assert_eq!(emp["person"]["id"], id.to_string());
    assert_eq!(emp["status"], status.to_uppercase());
    assert_eq!(emp["position"]["title"], *attr(e, "position"));
    assert_eq!(
        emp["supervisor"]["id"],
        attr(e, "supervisor")["attributes"]["id"]["value"]
            .as_u64()
            .unwrap()
            .to_string()
    );
    assert_eq!(
        emp["office"]["id"],
        attr(e, "office")["attributes"]["id"]
            .as_u64()
            .unwrap()
            .to_string()
    );
    let units = emp["org_units"].as_array().unwrap();
    let department = attr(e, "department")["attributes"]["id"].as_u64().unwrap();
    let team = attr(e, "team")["attributes"]["id"].as_u64().unwrap();
    assert!(units.contains(&json!({"type": "department", "id": department.to_string()})));
    assert!(units.contains(&json!({"type": "team", "id": team.to_string()})));

    let one = v2
        .get(&format!("/v2/persons/{id}/employments/{employment_id}"))
        .await;
    assert_eq!(one.json["id"], employment_id);
    let missing = v2.get("/v2/persons/999999999").await;
    assert_v2_error(&missing, StatusCode::NOT_FOUND, "common.resource_not_found");
}

#[tokio::test]
async fn persons_filters_and_their_errors() {
    let sb = start(80).await;
    let v1 = Api::new(&sb, FULL).await;
    let v2 = Api::v2(&sb, FULL).await;
    let employees = v1.all_employees("").await;
    let email = attr(&employees[3], "email")
        .as_str()
        .unwrap()
        .to_uppercase();
    let r = v2.get(&format!("/v2/persons?email={email}")).await;
    let data = r.json["_data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], employee_id(&employees[3]).to_string());

    let inactive: HashSet<String> = employees
        .iter()
        .filter(|e| attr(e, "status") == "inactive")
        .map(|e| employee_id(e).to_string())
        .collect();
    assert!(!inactive.is_empty());
    let (found, _) = v2.v2_all("/v2/persons?status=INACTIVE&limit=50").await;
    let found: HashSet<String> = found
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, inactive);

    let ids = format!(
        "{},{}",
        employee_id(&employees[0]),
        employee_id(&employees[1])
    );
    let r = v2.get(&format!("/v2/persons?id={ids}")).await;
    assert_eq!(r.json["_data"].as_array().unwrap().len(), 2);

    for bad in [
        "/v2/persons?created_at.lt=wrong-date-format",
        "/v2/persons?id.nooperator=1",
        "/v2/persons?limit=0",
        "/v2/persons?status=SOMETIMES",
    ] {
        assert_v2_error(
            &v2.get(bad).await,
            StatusCode::BAD_REQUEST,
            "common.invalid_request",
        );
    }
}

#[tokio::test]
async fn absence_types_list_both_units_with_the_v1_ids() {
    let sb = start(5).await;
    let v2 = Api::v2(&sb, FULL).await;
    let r = v2.get("/v2/absence-types").await;
    assert_eq!(r.status, StatusCode::OK);
    let types = r.json["_data"].as_array().unwrap();
    assert_eq!(types.len(), 6);
    let vacation_id = type_v2(&sb, PAID_VACATION).await;
    let vacation = types
        .iter()
        .find(|t| t["id"] == vacation_id.as_str())
        .unwrap();
    assert_eq!(vacation["unit"], "DAY");
    assert_eq!(vacation["category"], "PAID_VACATION");
    let doctor = types
        .iter()
        .find(|t| t["name"] == "Doctor's appointment")
        .unwrap();
    assert_eq!(doctor["unit"], "HOUR");
    let one = v2
        .get(&format!(
            "/v2/absence-types/{}",
            vacation["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one.json["name"], "Paid vacation");
}

/// A fresh employee with one v1 vacation (Mon 7 – Tue 8 July 2025) and one v1 doctor's appointment
/// (Wed 9 July, 09:00–11:00 Berlin).
async fn employee_with_absences(sb: &SandboxHandle, v1: &Api) -> u64 {
    let emp = add_employee(sb, json!({"first_name": "Vera", "last_name": "Zwei"})).await;
    let r = v1
        .post_json(
            "/v1/company/time-offs",
            &json!({"employee_id": emp, "time_off_type_id": PAID_VACATION,
                    "start_date": "2025-07-07", "end_date": "2025-07-08",
                    "half_day_start": false, "half_day_end": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = v1
        .post_json(
            "/v1/company/absence-periods",
            &json!({"employee_id": emp, "time_off_type_id": DOCTORS_APPOINTMENT,
                    "start_date": "2025-07-09", "end_date": "2025-07-09",
                    "start_time": "09:00", "end_time": "11:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    emp
}

#[tokio::test]
async fn absence_periods_show_both_units_with_an_exclusive_end_and_overlap_filters() {
    let sb = start(5).await;
    let v1 = Api::new(&sb, FULL).await;
    let v2 = Api::v2(&sb, FULL).await;
    let emp = employee_with_absences(&sb, &v1).await;

    let r = v2
        .get(&format!("/v2/absence-periods?person.id={emp}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let periods = r.json["_data"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    let day = &periods[0];
    assert_eq!(
        day["starts_from"],
        json!({"date_time": "2025-07-07T00:00:00", "type": "FIRST_HALF"})
    );
    assert_eq!(
        day["ends_at"],
        json!({"date_time": "2025-07-09T00:00:00", "type": "FIRST_HALF"})
    );
    assert_eq!(day["timezone_id"], "Europe/Berlin");
    assert_eq!(day["approval"]["status"], "APPROVED");
    let hour = &periods[1];
    assert_eq!(hour["starts_from"]["date_time"], "2025-07-09T09:00:00");
    assert_eq!(hour["ends_at"]["date_time"], "2025-07-09T11:00:00");

    let count = |q: String| {
        let v2 = &v2;
        async move {
            let r = v2
                .get(&format!("/v2/absence-periods?person.id={emp}&{q}"))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
            r.json["_data"].as_array().unwrap().len()
        }
    };
    // ends_at is exclusive: a window starting at the day absence's end misses it.
    assert_eq!(
        count("starts_from.date_time.gte=2025-07-09T00:00:00".into()).await,
        1
    );
    // Overlap: a window inside the vacation finds it although it started earlier.
    assert_eq!(count("starts_from.date_time.gte=2025-07-08T12:00:00&ends_at.date_time.lte=2025-07-08T13:00:00".into()).await, 1);
    assert_eq!(
        count("ends_at.date_time.lte=2025-07-06T23:59:59".into()).await,
        0
    );
    assert_eq!(
        count("starts_from.date_time.lte=2025-07-07T00:00:00".into()).await,
        1
    );
    assert_eq!(
        count("ends_at.date_time.gte=2025-07-09T10:59:00Z".into()).await,
        0,
        "10:59 UTC is after 11:00 Berlin"
    );
    let doctor = type_v2(&sb, DOCTORS_APPOINTMENT).await;
    assert_eq!(count(format!("absence_type.id={doctor}")).await, 1);
    assert_eq!(
        count("updated_at.gte=2000-01-01T00:00:00Z&updated_at.lte=2000-01-02T00:00:00Z".into())
            .await,
        0
    );

    let bd = v2
        .get(&format!(
            "/v2/absence-periods/{}/breakdowns",
            day["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        bd.json["_data"],
        json!([
            {"date": "2025-07-07", "effective_duration": {"unit": "DAY", "value": 1}},
            {"date": "2025-07-08", "effective_duration": {"unit": "DAY", "value": 0.5}},
        ])
    );
    let bd = v2
        .get(&format!(
            "/v2/absence-periods/{}/breakdowns",
            hour["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        bd.json["_data"],
        json!([{"date": "2025-07-09", "effective_duration": {"unit": "HOUR", "value": 2}}])
    );
}

#[tokio::test]
async fn absence_periods_page_with_cursor_and_cap_at_100() {
    let sb = start(150).await;
    let v2 = Api::v2(&sb, FULL).await;
    let r = v2.get("/v2/absence-periods?limit=1000").await;
    assert_eq!(r.json["_data"].as_array().unwrap().len(), 100);
    let (all, pages) = v2.v2_all("/v2/absence-periods").await;
    assert!(pages >= 2);
    let dump = admin_get(&sb, "/__sandbox/time-offs").await.json;
    let stored = dump["day_count"].as_u64().unwrap() + dump["hour_count"].as_u64().unwrap();
    assert_eq!(all.len() as u64, stored);
    let ids: HashSet<&str> = all.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "no period repeats across pages");
}

#[tokio::test]
async fn v2_creates_show_in_v1_and_v2_deletes_remove_them() {
    let sb = start(5).await;
    let v1 = Api::new(&sb, FULL).await;
    let v2 = Api::v2(&sb, FULL).await;
    let emp = add_employee(&sb, json!({"first_name": "Uwe", "last_name": "Umzug"})).await;
    let vacation = type_v2(&sb, PAID_VACATION).await;
    let doctor = type_v2(&sb, DOCTORS_APPOINTMENT).await;

    let body = json!({"person": {"id": emp.to_string()}, "absence_type": {"id": vacation},
                      "starts_from": {"date_time": "2025-08-04T00:00:00", "type": "SECOND_HALF"},
                      "ends_at": {"date_time": "2025-08-07T00:00:00", "type": "SECOND_HALF"},
                      "comment": "Ostsee"});
    let created = v2.post_json("/v2/absence-periods", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let day_id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.json["_meta"]["links"]["self"]["href"],
        format!("{}/v2/absence-periods/{day_id}", sb.base_url())
    );
    // v1 sees it: 4–6 August, half day at the start, pending (v2's skip_approval defaults to false).
    let r = v1
        .get(&format!("/v1/company/time-offs?employees[]={emp}"))
        .await;
    let a = &r.json["data"][0]["attributes"];
    assert_eq!(a["id_v2"], day_id.as_str());
    assert_eq!(a["start_date"], "2025-08-04T00:00:00+02:00");
    assert_eq!(a["end_date"], "2025-08-06T00:00:00+02:00");
    assert_eq!(a["half_day_start"], 1);
    assert_eq!(a["status"], "pending");
    assert_eq!(a["days_count"], 2.5);
    assert_eq!(a["comment"], "Ostsee");
    let overlap = v2.post_json("/v2/absence-periods", &body).await;
    assert_v2_error(&overlap, StatusCode::CONFLICT, "absence.overlap");

    let hours = json!({"person": {"id": emp}, "absence_type": {"id": doctor},
                       "starts_from": {"date_time": "2025-08-08T14:00:00"},
                       "ends_at": {"date_time": "2025-08-08T15:30:00"}});
    let created = v2
        .post_json("/v2/absence-periods?skip_approval=true", &hours)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let hour_id = created.json["id"].as_str().unwrap().to_string();
    let r = v1
        .get(&format!("/v1/company/absence-periods?employees[]={emp}"))
        .await;
    let a = &r.json["data"][0]["attributes"];
    assert_eq!(a["id"], hour_id.as_str());
    assert_eq!(a["effective_duration"], 90);
    assert_eq!(a["start"], "2025-08-08T12:00:00.0Z");

    let r = v2.get(&format!("/v2/absence-periods/{hour_id}")).await;
    assert_eq!(r.json["approval"]["status"], "APPROVED");

    for id in [&day_id, &hour_id] {
        let r = v2.delete(&format!("/v2/absence-periods/{id}")).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let again = v2.delete(&format!("/v2/absence-periods/{id}")).await;
        assert_v2_error(&again, StatusCode::NOT_FOUND, "common.resource_not_found");
    }
    let dump = admin_get(&sb, "/__sandbox/time-offs").await.json;
    let mine = |unit: &str| {
        dump[unit]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["employee_id"] == emp)
            .count()
    };
    assert_eq!((mine("day"), mine("hour")), (0, 0));
}

#[tokio::test]
async fn v2_create_refuses_what_it_cannot_book() {
    let sb = start(5).await;
    let v2 = Api::v2(&sb, FULL).await;
    let emp = add_employee(&sb, json!({"first_name": "Rita", "last_name": "Regel"})).await;
    let sick = type_v2(&sb, SICK_LEAVE).await;
    let ok = json!({"person": {"id": emp.to_string()}, "absence_type": {"id": sick},
                    "starts_from": {"date_time": "2025-08-04T00:00:00"},
                    "ends_at": {"date_time": "2025-08-05T00:00:00"}});
    let mut no_end = ok.clone();
    no_end["ends_at"] = Value::Null;
    let mut half = ok.clone();
    half["starts_from"]["type"] = json!("SECOND_HALF");
    let mut backwards = ok.clone();
    backwards["ends_at"]["date_time"] = json!("2025-08-01T00:00:00");
    let mut stranger = ok.clone();
    stranger["person"]["id"] = json!("999999999");
    for (what, body) in [
        ("open end", no_end),
        ("half day on a type without half days", half),
        ("end before start", backwards),
        ("unknown person", stranger),
    ] {
        let r = v2.post_json("/v2/absence-periods", &body).await;
        assert_v2_error(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "common.unprocessable_entity",
        );
        assert!(r.json["errors"][0]["detail"].is_string(), "{what}");
    }
    let r = v2.post_json("/v2/absence-periods", &json!([1, 2])).await;
    assert_v2_error(&r, StatusCode::BAD_REQUEST, "common.invalid_request");
    let r = v2.post_json("/v2/absence-periods", &ok).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn v2_scopes_whitelist_and_auth_errors() {
    let sb = start(10).await;
    let limited = Api::v2(&sb, LIMITED).await;
    let r = limited.get("/v2/persons?limit=1").await;
    assert_eq!(r.status, StatusCode::OK);
    let p = &r.json["_data"][0];
    assert!(p["first_name"].is_string() && p["email"].is_string());
    for hidden in ["gender", "preferred_name", "created_at", "profile_picture"] {
        assert!(p.get(hidden).is_none(), "{hidden} is not whitelisted");
    }
    assert_eq!(p["custom_attributes"], json!([]));

    let r = limited.get("/v2/absence-periods").await;
    assert_v2_error(&r, StatusCode::FORBIDDEN, "common.forbidden");
    assert_eq!(
        r.json["errors"][0]["_meta"]["required_scope"],
        "personio:absences:read"
    );
    let r = limited
        .delete("/v2/absence-periods/7b0c2f5e-8d0a-4c5e-9f1e-3a2b1c0d9e8f")
        .await;
    assert_v2_error(&r, StatusCode::FORBIDDEN, "common.forbidden");
    assert_eq!(
        r.json["errors"][0]["_meta"]["required_scope"],
        "personio:absences:write"
    );

    let anonymous = Reply::from(
        http()
            .get(format!("{}/v2/persons", sb.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_v2_error(&anonymous, StatusCode::UNAUTHORIZED, "common.unauthorized");
    let unknown = Reply::from(
        http()
            .get(format!("{}/v2/nothing-here", sb.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_v2_error(&unknown, StatusCode::NOT_FOUND, "apinot_found");
    assert_eq!(
        unknown.json["errors"][0]["_meta"]["path"],
        "/v2/nothing-here"
    );
}

#[tokio::test]
async fn v2_resources_send_rate_limit_headers() {
    let sb = start_with(config(5, false)).await;
    let v2 = Api::v2(&sb, FULL).await;
    for path in ["/v2/persons", "/v2/absence-periods"] {
        let r = v2.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        for h in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-replenish-rate",
            "x-ratelimit-burst-capacity",
        ] {
            let v = r.header(h).unwrap_or_else(|| panic!("{path} lacks {h}"));
            assert!(v.parse::<u64>().is_ok(), "{h}: {v}");
        }
    }
    // The absences bucket holds 10: the eleventh request in a burst is refused.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(v2.get("/v2/absence-types").await.status);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}
