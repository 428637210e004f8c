//! Contract test, v2: the sandbox's real v2 JSON, fetched over loopback HTTP, validated against
//! Personio's official v2 specs in `tests/fixtures/personio/` — persons-service-api-v2.json (persons,
//! their 200/400/404 responses), common-components-v2.json (`ErrorResponse` for every v2 error,
//! `CreatedObject`, `MetaObject`/`LinkObject` with absolute `uri` links) and
//! credentials-service-api-v2.json (tokens, in `sandbox_contract.rs`).
//!
//! Endpoints without an official spec here (employments, absence types, absence periods and their
//! breakdowns) are validated against schemas written from Personio's published reference and
//! REFERENCE.md §9; each such schema is named A1–A4 and listed with its sources in docs/sandbox.md,
//! so a future official spec can replace it. Like the v1 contract test, a guard test proves the
//! validation bites.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;
#[path = "sandbox_support/spec.rs"]
mod spec;

use reqwest::StatusCode;
use sandbox_support::*;
use serde_json::{Value, json};
use spec::{Spec, validate, violations};

fn persons() -> Spec {
    Spec::json("persons-service-api-v2.json")
}

fn common() -> Spec {
    Spec::json("common-components-v2.json")
}

/// `{"_data": [item], "_meta": MetaObject}` for a v2 list.
fn list_of(item: Value, common: &Spec) -> Value {
    json!({
        "type": "object",
        "required": ["_data", "_meta"],
        "properties": {
            "_data": {"type": "array", "items": item},
            "_meta": common.component("MetaObject"),
        }
    })
}

fn id_ref() -> Value {
    json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}})
}

fn uuid() -> Value {
    json!({"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"})
}

fn date() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
}

/// A1: an employment, written from Personio's published employment spec (`Employment` schema).
fn employment_schema() -> Value {
    let nullable_date = json!({"anyOf": [date(), {"type": "null"}]});
    let nullable_ref = json!({"anyOf": [id_ref(), {"type": "null"}]});
    json!({
        "type": "object",
        "required": ["id", "person", "status", "org_units", "created_at", "updated_at"],
        "properties": {
            "id": uuid(),
            "person": id_ref(),
            "status": {"enum": ["ACTIVE", "INACTIVE", "ONBOARDING", "LEAVE", "UNSPECIFIED"]},
            "position": {"type": "object", "properties": {"title": {"type": "string"}}},
            "weekly_working_hours": {"type": "number"},
            "full_time_weekly_working_hours": {"type": "number"},
            "probation_end_date": nullable_date,
            "employment_start_date": date(),
            "employment_end_date": nullable_date,
            "contract_end_date": nullable_date,
            "type": {"enum": ["UNSPECIFIED", "INTERNAL", "EXTERNAL"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "supervisor": nullable_ref,
            "office": nullable_ref,
            "legal_entity": nullable_ref,
            "org_units": {"type": "array", "items": {
                "type": "object", "required": ["type", "id"],
                "properties": {"type": {"enum": ["department", "team"]}, "id": {"type": "string"}}
            }},
            "cost_centers": {"type": "array", "items": {
                "type": "object", "required": ["id", "weight"],
                "properties": {"id": {"type": "string"}, "weight": {"type": "number"}}
            }},
            "termination": {"type": "object", "properties": {
                "termination_date": date(),
                "last_working_day": nullable_date,
                "type": {"type": "string"},
                "reason": {"type": "string"}
            }},
            "_meta": {"type": "object"}
        },
        "additionalProperties": false
    })
}

/// A2: an absence type (Personio reference "List absence types"; REFERENCE.md §9.2).
fn absence_type_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "name", "category", "unit"],
        "properties": {
            "id": uuid(),
            "name": {"type": "string"},
            "category": {"type": "string", "pattern": "^[A-Z_]+$"},
            "unit": {"enum": ["DAY", "HOUR"]}
        },
        "additionalProperties": false
    })
}

/// A3: an absence period (Personio reference "List absence periods"; REFERENCE.md §9.3).
fn absence_period_schema() -> Value {
    let local = json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"});
    let boundary = json!({
        "type": "object",
        "required": ["date_time"],
        "properties": {"date_time": local, "type": {"enum": ["FIRST_HALF", "SECOND_HALF"]}},
        "additionalProperties": false
    });
    json!({
        "type": "object",
        "required": ["id", "person", "absence_type", "starts_from", "ends_at", "timezone_id",
                     "approval", "created_at", "updated_at"],
        "properties": {
            "id": uuid(),
            "person": id_ref(),
            "absence_type": id_ref(),
            "starts_from": boundary,
            "ends_at": {"anyOf": [boundary, {"type": "null"}]},
            "timezone_id": {"type": "string"},
            "comment": {"type": "string"},
            "approval": {"type": "object", "required": ["status"], "properties": {
                "status": {"enum": ["PENDING", "APPROVED", "DELETION_PENDING", "SUBSTITUTE_REQUESTED"]}
            }},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "_meta": {"type": "object"}
        },
        "additionalProperties": false
    })
}

/// A4: a breakdown entry (REFERENCE.md §9.3).
fn breakdown_schema() -> Value {
    json!({
        "type": "object",
        "required": ["date", "effective_duration"],
        "properties": {
            "date": date(),
            "effective_duration": {"type": "object", "required": ["unit", "value"], "properties": {
                "unit": {"enum": ["DAY", "HOUR"]}, "value": {"type": "number", "minimum": 0}
            }, "additionalProperties": false}
        },
        "additionalProperties": false
    })
}

#[tokio::test]
async fn persons_match_the_persons_spec() {
    let sb = start(30).await;
    let v2 = Api::v2(&sb, FULL).await;
    let spec = persons();
    let list = v2.get("/v2/persons?limit=7").await;
    assert_eq!(list.status, StatusCode::OK);
    validate(
        &spec.response("/v2/persons", "get", "200"),
        &list.json,
        "GET /v2/persons 200",
    );
    // The spec's item schema lists every field; the sandbox fills each one for the full credential.
    let person_props = spec.component("Person")["properties"].clone();
    for p in list.json["_data"].as_array().unwrap() {
        for key in p.as_object().unwrap().keys() {
            assert!(
                person_props.get(key).is_some(),
                "{key} is not in the Person schema"
            );
        }
    }
    let next = list.json["_meta"]["links"]["next"]["href"]
        .as_str()
        .unwrap();
    let page2 = v2.get_url(next).await;
    validate(
        &spec.response("/v2/persons", "get", "200"),
        &page2.json,
        "page 2",
    );

    let id = list.json["_data"][0]["id"].as_str().unwrap();
    let one = v2.get(&format!("/v2/persons/{id}")).await;
    validate(
        &spec.response("/v2/persons/{id}", "get", "200"),
        &one.json,
        "GET /v2/persons/{id} 200",
    );
    let missing = v2.get("/v2/persons/123456789").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    validate(
        &spec.response("/v2/persons/{id}", "get", "404"),
        &missing.json,
        "GET person 404",
    );
    let bad = v2.get("/v2/persons?created_at.lt=wrong-date-format").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    validate(
        &spec.response("/v2/persons", "get", "400"),
        &bad.json,
        "GET persons 400",
    );

    let limited = Api::v2(&sb, LIMITED).await;
    let narrow = limited.get("/v2/persons").await;
    validate(
        &spec.response("/v2/persons", "get", "200"),
        &narrow.json,
        "limited persons 200",
    );
}

#[tokio::test]
async fn employments_and_absences_match_the_documented_shapes() {
    let sb = start(40).await;
    let v2 = Api::v2(&sb, FULL).await;
    let common = common();
    for p in v2.get("/v2/persons?limit=40").await.json["_data"]
        .as_array()
        .unwrap()
    {
        let id = p["id"].as_str().unwrap();
        let r = v2.get(&format!("/v2/persons/{id}/employments")).await;
        validate(
            &list_of(employment_schema(), &common),
            &r.json,
            "employments (A1)",
        );
    }
    let types = v2.get("/v2/absence-types").await;
    validate(
        &list_of(absence_type_schema(), &common),
        &types.json,
        "absence types (A2)",
    );
    let (periods, _) = v2.v2_all("/v2/absence-periods").await;
    assert!(periods.len() > 40);
    let page = json!({"_data": periods, "_meta": {"links": {}}});
    validate(
        &list_of(absence_period_schema(), &common),
        &page,
        "absence periods (A3)",
    );
    for p in periods.iter().take(25) {
        let href = p["_meta"]["links"]["breakdowns"]["href"].as_str().unwrap();
        let r = v2.get_url(href).await;
        validate(
            &list_of(breakdown_schema(), &common),
            &r.json,
            "breakdowns (A4)",
        );
    }

    let emp = add_employee(&sb, json!({"first_name": "Carla", "last_name": "Contract"})).await;
    let vacation = types.json["_data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == "PAID_VACATION")
        .unwrap()["id"]
        .clone();
    let created = v2
        .post_json(
            "/v2/absence-periods",
            &json!({"person": {"id": emp.to_string()}, "absence_type": {"id": vacation},
                    "starts_from": {"date_time": "2025-09-01T00:00:00"},
                    "ends_at": {"date_time": "2025-09-03T00:00:00"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    validate(
        &common.component("CreatedObject"),
        &created.json,
        "POST 201 CreatedObject",
    );
}

#[tokio::test]
async fn every_v2_error_is_an_error_response() {
    let sb = start(5).await;
    let v2 = Api::v2(&sb, FULL).await;
    let limited = Api::v2(&sb, LIMITED).await;
    let error = common().component("ErrorResponse");
    let strict = json!({"allOf": [error, {"required": ["personio_trace_id", "timestamp", "errors"],
                                           "properties": {"errors": {"minItems": 1}}}]});
    let anonymous = Reply::from(
        http()
            .get(format!("{}/v2/persons", sb.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let cases = [
        ("401", anonymous),
        ("403", limited.get("/v2/absence-periods").await),
        ("404 path", v2.get("/v2/unknown").await),
        (
            "404 id",
            v2.get("/v2/absence-periods/1b0c2f5e-8d0a-4c5e-9f1e-3a2b1c0d9e8f")
                .await,
        ),
        ("400", v2.get("/v2/absence-periods?limit=-3").await),
        (
            "422",
            v2.post_json("/v2/absence-periods", &json!({"person": {"id": "1"}}))
                .await,
        ),
    ];
    for (what, r) in cases {
        assert!(r.status.is_client_error(), "{what}: {}", r.status);
        validate(&strict, &r.json, what);
    }
}

#[tokio::test]
async fn the_v2_validation_bites() {
    let spec = persons();
    let schema = spec.response("/v2/persons", "get", "200");
    let relative = json!({"_data": [], "_meta": {"links": {"self": {"href": "/v2/persons"}}}});
    assert!(
        !violations(&schema, &relative, "relative link").is_empty(),
        "links must be absolute URIs"
    );
    let lower = json!({"_data": [{"id": "1", "status": "active"}], "_meta": {}});
    assert!(
        !violations(&schema, &lower, "status case").is_empty(),
        "status must be upper case"
    );
    let period = json!({"id": "not-a-uuid", "person": {"id": "1"}, "absence_type": {"id": "x"},
                        "starts_from": {"date_time": "2025-01-01T00:00:00+01:00"}, "ends_at": null,
                        "timezone_id": "Europe/Berlin", "approval": {"status": "APPROVED"},
                        "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"});
    let errors = violations(&absence_period_schema(), &period, "A3");
    assert!(
        errors.len() >= 2,
        "uuid and offset-free date_time are enforced: {errors:?}"
    );
}
