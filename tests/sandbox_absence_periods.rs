//! Sandbox hour-unit absences (`/v1/company/absence-periods`) over loopback HTTP: UUID ids, minutes,
//! UTC `.0Z` instants, Berlin timezone, page-index paging, filters, creation and deletion.

// Test code: a failed unwrap is a failed assertion (helpers outside `#[test]` fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::collections::HashSet;

use reqwest::StatusCode;
use sandbox_support::*;
use serde_json::{Value, json};

const DAILY_REFUSAL: &str = "This API doesn´t support Daily Absences. Please see the documentation for the right API to use";

#[tokio::test]
async fn listing_has_hourly_shapes_and_page_index_offsets() {
    let sb = start(400).await;
    let api = Api::new(&sb, FULL).await;
    let r = api.get("/v1/company/absence-periods").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["metadata"]["current_page"], 1);
    assert_eq!(r.json["limit"], 200);
    let total = r.json["metadata"]["total_elements"].as_u64().unwrap();
    assert!(total > 50, "{total}");
    for p in r.json["data"].as_array().unwrap() {
        assert_eq!(p["type"], "AbsencePeriod");
        let a = &p["attributes"];
        assert_eq!(a["id"].as_str().unwrap().len(), 36);
        assert_eq!(a["measurement_unit"], "minutes");
        assert_eq!(a["timezone"], "Europe/Berlin");
        for k in ["start", "end"] {
            assert!(a[k].as_str().unwrap().ends_with(":00.0Z"), "{k}: {}", a[k]);
        }
        let sum: u64 = a["breakdowns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["effective_duration"].as_u64().unwrap())
            .sum();
        assert_eq!(a["effective_duration"].as_u64().unwrap(), sum);
        assert!(a["effective_duration"].as_u64().unwrap() > 0);
        assert_eq!(a["absence_type"]["type"], "AbsenceType");
        let type_id = a["absence_type"]["attributes"]["time_off_type_id"]
            .as_u64()
            .unwrap();
        assert!(type_id == DOCTORS_APPOINTMENT || type_id == OFFSITE_WORK);
        assert!(a["employee"]["attributes"]["id"]["value"].is_u64());
        assert!(a["created_by"].is_u64());
        assert!(a["half_day_start"].is_boolean());
        let approved = a["status"] == "approved";
        assert_eq!(a["approved_at"].is_string(), approved);
    }
    let page0 = api
        .get("/v1/company/absence-periods?limit=10&offset=0")
        .await;
    let page1 = api
        .get("/v1/company/absence-periods?limit=10&offset=1")
        .await;
    let page2 = api
        .get("/v1/company/absence-periods?limit=10&offset=2")
        .await;
    assert_eq!(page0.json["data"], page1.json["data"]);
    assert_eq!(page2.json["metadata"]["current_page"], 2);
    let ids = |r: &Reply| -> HashSet<String> {
        r.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["attributes"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids(&page1).is_disjoint(&ids(&page2)));
}

#[tokio::test]
async fn create_same_day_and_multi_day_periods() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let emp = add_employee(&sb, json!({"first_name": "Hana", "last_name": "Stündlich"})).await;
    let r = api
        .post_json(
            "/v1/company/absence-periods",
            &json!({"employee_id": emp, "time_off_type_id": DOCTORS_APPOINTMENT,
                    "start_date": "2025-05-05", "end_date": "2025-05-05",
                    "start_time": "09:00", "end_time": "10:30", "comment": "Zahnarzt"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["success"], true);
    let p = &r.json["data"][0]["attributes"];
    assert_eq!(p["effective_duration"], 90);
    assert_eq!(p["start"], "2025-05-05T07:00:00.0Z");
    assert_eq!(p["end"], "2025-05-05T08:30:00.0Z");
    assert_eq!(
        p["breakdowns"],
        json!([{"date": "2025-05-05", "effective_duration": 90}])
    );
    assert_eq!(p["origin"], "api");
    assert_eq!(p["status"], "approved");
    assert_eq!(p["comment"], "Zahnarzt");
    let first_id = p["id"].as_str().unwrap().to_string();

    // Multi-day, form-encoded, approval requested: whole working days of 8 h, half days halved.
    let emp_s = emp.to_string();
    let type_s = OFFSITE_WORK.to_string();
    let r = api
        .post_form(
            "/v1/company/absence-periods",
            &[
                ("employee_id", emp_s.as_str()),
                ("time_off_type_id", type_s.as_str()),
                ("start_date", "2025-11-27"),
                ("end_date", "2025-12-01"),
                ("half_day_start", "true"),
                ("skip_approval", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let p = &r.json["data"][0]["attributes"];
    assert_eq!(p["status"], "pending");
    assert!(p["approved_at"].is_null());
    assert_eq!(p["start"], "2025-11-26T23:00:00.0Z");
    assert_eq!(p["end"], "2025-12-01T23:00:00.0Z");
    assert_eq!(
        p["breakdowns"],
        json!([
            {"date": "2025-11-27", "effective_duration": 240},
            {"date": "2025-11-28", "effective_duration": 480},
            {"date": "2025-12-01", "effective_duration": 480}
        ])
    );
    assert_eq!(p["effective_duration"], 1200);

    let dump = admin_get(&sb, "/__sandbox/time-offs").await;
    let mine: Vec<&Value> = dump.json["hour"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["employee_id"] == emp)
        .collect();
    assert_eq!(mine.len(), 2);

    // Overlap with the first period.
    let r = api
        .post_json(
            "/v1/company/absence-periods",
            &json!({"employee_id": emp, "time_off_type_id": DOCTORS_APPOINTMENT,
                    "start_date": "2025-05-05", "end_date": "2025-05-05",
                    "start_time": "10:00", "end_time": "11:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json["error"]["message"],
        "Error when trying to insert absence period"
    );

    // Filters: by type, by id, by employee and window.
    let doctor_uuid = {
        let t = api.get("/v1/company/time-off-types").await;
        t.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["attributes"]["id"] == DOCTORS_APPOINTMENT)
            .unwrap()["attributes"]["id_v2"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = api
        .get(&format!(
            "/v1/company/absence-periods?employees[]={emp}&absence_types[]={doctor_uuid}"
        ))
        .await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    let r = api
        .get(&format!(
            "/v1/company/absence-periods?absence_periods[]={first_id}"
        ))
        .await;
    assert_eq!(r.json["data"][0]["attributes"]["id"], first_id.as_str());
    let r = api
        .get(&format!("/v1/company/absence-periods?employees[]={emp}&start_date=2025-12-01&end_date=2025-12-31"))
        .await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    let r = api
        .get("/v1/company/absence-periods?absence_types[]=9bba303f-0fbc-4514-9958-0befa21923fb")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 404, "message": "models.absence-types.not-found"}})
    );

    // Delete.
    let path = format!("/v1/company/absence-periods/{first_id}");
    let r = api.delete(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["data"]["message"], "The absence period was deleted.");
    let r = api.delete(&path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json["error"]["message"],
        "The absence period was not found."
    );
    let r = api.delete("/v1/company/absence-periods/42").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json["error"]["message"],
        "The absence period id is invalid."
    );
}

#[tokio::test]
async fn create_refuses_day_types_and_invalid_input() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let emp = add_employee(&sb, json!({"first_name": "Ida", "last_name": "Ungültig"})).await;
    let post = |body: Value| {
        let api = &api;
        async move { api.post_json("/v1/company/absence-periods", &body).await }
    };
    let r = post(json!({"employee_id": emp, "time_off_type_id": PAID_VACATION,
        "start_date": "2025-05-05", "end_date": "2025-05-05", "start_time": "09:00", "end_time": "10:00"}))
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 400, "message": DAILY_REFUSAL}})
    );
    let r = post(
        json!({"employee_id": emp, "time_off_type_id": DOCTORS_APPOINTMENT,
        "start_date": "2025-05-05", "end_date": "2025-05-05"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json["error"]["error_data"]["start_time"].is_array());
    let r = post(json!({"employee_id": emp, "time_off_type_id": DOCTORS_APPOINTMENT,
        "start_date": "2025-05-05", "end_date": "2025-05-05", "start_time": "11:00", "end_time": "10:00"}))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(json!({"employee_id": emp, "time_off_type_id": 1,
        "start_date": "2025-05-05", "end_date": "2025-05-05", "start_time": "09:00", "end_time": "10:00"}))
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["error"]["message"], "Absence type not found.");
    let r = post(json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let paid = {
        let t = api.get("/v1/company/time-off-types").await;
        t.json["data"][0]["attributes"]["id_v2"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = api
        .get(&format!(
            "/v1/company/absence-periods?absence_types[]={paid}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["error"]["message"], DAILY_REFUSAL);
}
