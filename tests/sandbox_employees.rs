//! Sandbox employees over loopback HTTP: paging quirks, filters, projections, whitelists, attribute
//! shapes, the seeded company's properties, determinism, and incremental refresh via admin changes.

// Test code: a failed unwrap is a failed assertion (helpers outside `#[test]` fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::collections::{HashMap, HashSet};

use reqwest::{Method, StatusCode};
use sandbox_support::*;
use serde_json::{Value, json};

const LIMITED_KEYS: [&str; 6] = [
    "id", "first_name", "last_name", "email", "status", "department",
];

#[tokio::test]
async fn list_defaults_to_50_with_record_offsets_and_zero_based_pages() {
    let sb = start(250).await;
    let api = Api::new(&sb, FULL).await;
    let r = api.get("/v1/company/employees").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["success"], true);
    assert_eq!(r.json["limit"], 50);
    assert_eq!(r.json["offset"], 0);
    assert_eq!(
        r.json["metadata"],
        json!({"total_elements": 250, "current_page": 0, "total_pages": 5})
    );
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 50);
    for e in data {
        assert_eq!(e["type"], "Employee");
        for (key, envelope) in e["attributes"].as_object().unwrap() {
            let obj = envelope.as_object().unwrap();
            for field in ["label", "value", "type", "universal_id"] {
                assert!(obj.contains_key(field), "{key} lacks {field}");
            }
        }
    }

    // limit=500 is capped at 100; offset is a record offset and current_page = offset / limit.
    let all = api.all_employees("").await;
    let r = api.get("/v1/company/employees?limit=500").await;
    assert_eq!(r.json["limit"], 100);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 100);
    let r = api.get("/v1/company/employees?limit=100&offset=120").await;
    assert_eq!(r.json["metadata"]["current_page"], 1);
    assert_eq!(r.json["offset"], 120);
    assert_eq!(employee_id(&r.json["data"][0]), employee_id(&all[120]));
    let r = api.get("/v1/company/employees?limit=100&offset=300").await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 0);
    for bad in ["limit=abc", "limit=0", "offset=-1"] {
        let r = api.get(&format!("/v1/company/employees?{bad}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.json["success"], false);
    }
}

#[tokio::test]
async fn paging_two_thousand_employees_returns_each_exactly_once() {
    let sb = start(2000).await;
    let api = Api::new(&sb, FULL).await;
    let all = api.all_employees("").await;
    assert_eq!(all.len(), 2000);
    let ids: HashSet<u64> = all.iter().map(employee_id).collect();
    assert_eq!(ids.len(), 2000);
    let stats = admin_get(&sb, "/__sandbox/stats").await;
    assert_eq!(
        stats.json["by_route"]["GET /v1/company/employees"]["total"],
        21
    );
}

#[tokio::test]
async fn limited_credential_never_sees_a_non_whitelisted_key() {
    let sb = start(300).await;
    let api = Api::new(&sb, LIMITED).await;
    let allowed: HashSet<&str> = LIMITED_KEYS.into_iter().collect();
    let check = |e: &Value| {
        let keys: HashSet<&str> = e["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, allowed, "{e}");
    };
    let all = api.all_employees("").await;
    assert_eq!(all.len(), 300);
    all.iter().for_each(check);
    // Projections can only narrow, never reveal.
    let projected = api
        .all_employees("&attributes[]=supervisor&attributes[]=fix_salary&attributes[]=email")
        .await;
    for e in &projected {
        let keys: HashSet<&str> = e["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["id", "email"]));
    }
    let one = api
        .get(&format!("/v1/company/employees/{}", employee_id(&all[7])))
        .await;
    check(&one.json["data"]);
    for path in [
        "/v1/company/employees/attributes",
        "/v1/company/employees/custom-attributes",
    ] {
        let r = api.get(path).await;
        let keys: HashSet<&str> = r.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, allowed, "{path}");
    }
    let by_email = api
        .get(&format!(
            "/v1/company/employees?email={}",
            attr(&all[3], "email").as_str().unwrap()
        ))
        .await;
    by_email.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(check);
}

#[tokio::test]
async fn full_credential_attributes_list_every_readable_attribute() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    let r = api.get("/v1/company/employees/attributes").await;
    let list = r.json["data"].as_array().unwrap();
    let by_key: HashMap<&str, &Value> = list
        .iter()
        .map(|a| (a["key"].as_str().unwrap(), a))
        .collect();
    for key in [
        "supervisor", "fix_salary", "dynamic_21827", "dynamic_180883", "dynamic_7124045",
    ] {
        assert!(by_key.contains_key(key), "{key}");
    }
    assert_eq!(by_key["dynamic_21827"]["universal_id"], "iban");
    assert_eq!(by_key["dynamic_7124045"]["type"], "tags");
    assert!(
        !by_key["dynamic_7124045"]["options"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(by_key["dynamic_2"]["type"], "list");
    // The listing matches the keys an employee actually carries.
    let e = api.get("/v1/company/employees?limit=1").await;
    let keys: HashSet<&str> = e.json["data"][0]["attributes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, by_key.keys().copied().collect());
}

#[tokio::test]
async fn projection_email_filter_and_single_employee() {
    let sb = start(60).await;
    let api = Api::new(&sb, FULL).await;
    let r = api
        .get("/v1/company/employees?attributes[]=first_name&attributes[]=email&attributes[]=nonsense")
        .await;
    for e in r.json["data"].as_array().unwrap() {
        let keys: HashSet<&str> = e["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["id", "first_name", "email"]));
    }
    let target = &r.json["data"][9];
    let email = attr(target, "email").as_str().unwrap();
    for spelling in [email.to_string(), email.to_uppercase()] {
        let r = api
            .get(&format!("/v1/company/employees?email={spelling}"))
            .await;
        let data = r.json["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{spelling}");
        assert_eq!(employee_id(&data[0]), employee_id(target));
        assert_eq!(r.json["metadata"]["total_elements"], 1);
    }
    let r = api
        .get("/v1/company/employees?email=nobody@nowhere.example")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["data"], json!([]));

    let one = api
        .get(&format!("/v1/company/employees/{}", employee_id(target)))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json["success"], true);
    assert_eq!(one.json["data"]["type"], "Employee");
    assert_eq!(attr(&one.json["data"], "email").as_str(), Some(email));
    for missing in ["1", "abc", "99999999999"] {
        let r = api.get(&format!("/v1/company/employees/{missing}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(
            r.json,
            json!({"success": false, "error": {"code": 404, "message": "Es ist ein Problem aufgetreten "}})
        );
    }
}

fn is_midnight_with_offset(s: &str) -> bool {
    s.len() == 25
        && s.get(10..19) == Some("T00:00:00")
        && matches!(s.get(19..), Some("+01:00") | Some("+02:00"))
}

#[tokio::test]
async fn attribute_values_have_personio_shapes() {
    let sb = start(400).await;
    let api = Api::new(&sb, FULL).await;
    let all = api.all_employees("").await;
    let ids: HashSet<u64> = all.iter().map(employee_id).collect();
    let mut statuses = HashSet::new();
    for e in &all {
        let a = &e["attributes"];
        assert_eq!(a["id"]["type"], "integer");
        assert!(attr(e, "weekly_working_hours").is_string());
        assert!(is_midnight_with_offset(
            attr(e, "hire_date").as_str().unwrap()
        ));
        assert_eq!(a["hire_date"]["type"], "date");
        assert_eq!(a["fix_salary"]["currency"], "EUR");
        assert!(attr(e, "fix_salary").is_number());
        assert_eq!(a["dynamic_7124045"]["type"], "tags");
        assert!(
            attr(e, "dynamic_7124045")
                .as_str()
                .unwrap()
                .split(',')
                .all(|t| !t.is_empty())
        );
        let birthday = attr(e, "dynamic_180883").as_str().unwrap();
        assert_eq!(
            birthday.len(),
            10,
            "custom dates are plain dates: {birthday}"
        );
        assert_eq!(a["dynamic_180883"]["universal_id"], "date_of_birth");
        assert!(attr(e, "dynamic_21827").as_str().unwrap().starts_with("DE"));
        let dept = attr(e, "department");
        assert_eq!(dept["type"], "Department");
        assert!(dept["attributes"]["id"].is_u64() && dept["attributes"]["name"].is_string());
        assert_eq!(attr(e, "office")["type"], "Office");
        let team = attr(e, "team");
        assert!(team.is_null() || team["type"] == "Team");
        let cc = attr(e, "cost_centers").as_array().unwrap();
        assert_eq!(
            cc.iter()
                .map(|c| c["attributes"]["percentage"].as_u64().unwrap())
                .sum::<u64>(),
            100
        );
        let ent = attr(e, "absence_entitlement").as_array().unwrap();
        assert!(
            ent.iter()
                .any(|t| t["attributes"]["category"] == "paid_vacation")
        );
        match attr(e, "supervisor") {
            Value::Null => {}
            s => {
                assert_eq!(s["type"], "Employee");
                let sup_id = s["attributes"]["id"]["value"].as_u64().unwrap();
                assert!(ids.contains(&sup_id));
                assert_eq!(s["attributes"]["first_name"]["universal_id"], "first_name");
                assert!(s["attributes"]["email"]["value"].is_string());
            }
        }
        let status = attr(e, "status").as_str().unwrap().to_string();
        let termination = attr(e, "termination_date");
        if status == "inactive" {
            assert!(is_midnight_with_offset(termination.as_str().unwrap()));
            assert!(attr(e, "last_working_day").is_string());
        } else {
            assert!(termination.is_null(), "{status} with termination date");
        }
        assert!(
            attr(e, "termination_type").is_string(),
            "empty strings, not nulls"
        );
        statuses.insert(status);
    }
    assert_eq!(
        statuses,
        HashSet::from(["active", "onboarding", "leave", "inactive"].map(String::from))
    );
    // The CEO is first and reports to nobody.
    assert!(attr(&all[0], "supervisor").is_null());
}

#[tokio::test]
async fn seeded_names_are_european_with_duplicates_and_unique_ascii_emails() {
    let sb = start(600).await;
    let api = Api::new(&sb, FULL).await;
    let all = api
        .all_employees("&attributes[]=first_name&attributes[]=last_name&attributes[]=email")
        .await;
    let name = |e: &Value| {
        (
            attr(e, "first_name").as_str().unwrap().to_string(),
            attr(e, "last_name").as_str().unwrap().to_string(),
        )
    };
    assert_eq!(name(&all[0]), ("Jürgen".into(), "Müller".into()));
    assert_eq!(name(&all[1]), ("Anna-Lena".into(), "Weiß".into()));
    assert_eq!(name(&all[2]), ("José".into(), "Núñez".into()));
    let mut full_names: HashMap<(String, String), usize> = HashMap::new();
    let mut firsts: HashMap<String, usize> = HashMap::new();
    let mut lasts: HashMap<String, usize> = HashMap::new();
    let mut emails = HashSet::new();
    for e in &all {
        let (f, l) = name(e);
        *firsts.entry(f.clone()).or_default() += 1;
        *lasts.entry(l.clone()).or_default() += 1;
        *full_names.entry((f, l)).or_default() += 1;
        let email = attr(e, "email").as_str().unwrap().to_string();
        assert!(
            email.is_ascii() && email.ends_with("@nordlicht.example"),
            "{email}"
        );
        assert!(emails.insert(email.clone()), "duplicate e-mail {email}");
    }
    assert!(emails.contains("jurgen.muller@nordlicht.example"));
    assert!(emails.contains("anna-lena.weiss@nordlicht.example"));
    assert!(emails.contains("jose.nunez@nordlicht.example"));
    assert!(
        full_names.values().filter(|n| **n > 1).count() >= 5,
        "exact full-name duplicates"
    );
    assert!(firsts.values().any(|n| *n > 5) && lasts.values().any(|n| *n > 5));
    let all_text: String = full_names
        .keys()
        .map(|(f, l)| format!("{f} {l} "))
        .collect();
    for c in ['ä', 'ö', 'ü', 'ß', 'é', 'ñ', 'ø', 'ł'] {
        assert!(all_text.contains(c), "some name contains {c}");
    }
}

#[tokio::test]
async fn supervisor_tree_has_no_cycles() {
    let sb = start(500).await;
    let api = Api::new(&sb, FULL).await;
    let all = api.all_employees("&attributes[]=supervisor").await;
    let sup: HashMap<u64, Option<u64>> = all
        .iter()
        .map(|e| {
            (
                employee_id(e),
                attr(e, "supervisor")["attributes"]["id"]["value"].as_u64(),
            )
        })
        .collect();
    for start in sup.keys() {
        let mut seen = HashSet::new();
        let mut cur = Some(*start);
        while let Some(id) = cur {
            assert!(seen.insert(id), "cycle through {id}");
            cur = *sup.get(&id).expect("supervisor is an employee");
        }
    }
    assert_eq!(sup.values().filter(|s| s.is_none()).count(), 1, "one root");
}

fn strip_urls(mut pages: Vec<Value>) -> Vec<Value> {
    for e in &mut pages {
        if let Some(a) = e["attributes"].as_object_mut() {
            a.remove("profile_picture");
        }
    }
    pages
}

#[tokio::test]
async fn the_company_is_deterministic_per_seed() {
    let a = start(150).await;
    let b = start(150).await;
    let mut other = config(150, true);
    other.seed = 7;
    let c = start_with(other).await;
    let (pa, pb, pc) = (
        strip_urls(Api::new(&a, FULL).await.all_employees("").await),
        strip_urls(Api::new(&b, FULL).await.all_employees("").await),
        strip_urls(Api::new(&c, FULL).await.all_employees("").await),
    );
    assert_eq!(pa, pb);
    assert_ne!(pa, pc);
    let (ta, tb) = (
        admin_get(&a, "/__sandbox/time-offs").await.json,
        admin_get(&b, "/__sandbox/time-offs").await.json,
    );
    assert_eq!(ta, tb);
}

#[tokio::test]
async fn updated_since_finds_exactly_what_the_admin_changed() {
    let sb = start(120).await;
    let api = Api::new(&sb, FULL).await;
    let since = "/v1/company/employees?updated_since=2025-06-16";
    let r = api.get(since).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json["metadata"]["total_elements"], 0,
        "seeded changes all predate today"
    );

    let all = api.all_employees("").await;
    let changed = employee_id(&all[17]);
    let r = admin_send(
        &sb,
        Method::POST,
        &format!("/__sandbox/employees/{changed}"),
        Some(&json!({"position": "Chief Coffee Officer"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["changed"], json!(["position"]));
    let stamp = r.json["last_modified_at"].as_str().unwrap().to_string();

    let r = api.get(since).await;
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(employee_id(&data[0]), changed);
    assert_eq!(attr(&data[0], "position"), "Chief Coffee Officer");
    assert_eq!(attr(&data[0], "last_modified_at"), stamp.as_str());
    // With attributes[], only employees whose projected attributes changed.
    let r = api.get(&format!("{since}&attributes[]=first_name")).await;
    assert_eq!(r.json["data"], json!([]));
    let r = api.get(&format!("{since}&attributes[]=position")).await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    // email is ignored together with updated_since.
    let r = api
        .get(&format!("{since}&email=nobody@nowhere.example"))
        .await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    // Date-time spellings work too.
    let r = api
        .get("/v1/company/employees?updated_since=2025-06-15T23:59:59")
        .await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    let r = api
        .get("/v1/company/employees?updated_since=next-tuesday")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Adding and terminating employees.
    let new_id = add_employee(&sb, json!({"first_name": "Ünal", "last_name": "Öztürk"})).await;
    let r = api.get(&format!("/v1/company/employees/{new_id}")).await;
    assert_eq!(
        attr(&r.json["data"], "email"),
        "unal.ozturk@nordlicht.example"
    );
    assert_eq!(
        api.get("/v1/company/employees").await.json["metadata"]["total_elements"],
        121
    );
    let r = admin_send(
        &sb,
        Method::POST,
        &format!("/__sandbox/employees/{new_id}"),
        Some(&json!({"status": "inactive"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let e = api
        .get(&format!("/v1/company/employees/{new_id}"))
        .await
        .json["data"]
        .clone();
    assert_eq!(attr(&e, "status"), "inactive");
    assert_eq!(attr(&e, "termination_date"), "2025-06-16T00:00:00+02:00");
    assert_eq!(
        api.get(since).await.json["data"].as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn admin_employee_changes_are_validated() {
    let sb = start(30).await;
    let api = Api::new(&sb, FULL).await;
    let all = api.all_employees("").await;
    let ceo = employee_id(&all[0]);
    let report = all
        .iter()
        .find(|e| attr(e, "supervisor")["attributes"]["id"]["value"].as_u64() == Some(ceo))
        .map(employee_id)
        .unwrap();
    let patch = |id: u64, body: Value| {
        let sb = &sb;
        async move {
            admin_send(
                sb,
                Method::POST,
                &format!("/__sandbox/employees/{id}"),
                Some(&body),
            )
            .await
        }
    };
    assert_eq!(
        patch(ceo, json!({"supervisor_id": report})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patch(ceo, json!({"supervisor_id": ceo})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patch(ceo, json!({"shoe_size": 44})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patch(ceo, json!({"status": "retired"})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patch(ceo, json!({"department_id": 1})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patch(1, json!({"position": "x"})).await.status,
        StatusCode::NOT_FOUND
    );
    let taken = attr(&all[1], "email").as_str().unwrap();
    assert_eq!(
        patch(ceo, json!({"email": taken.to_uppercase()}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    // A valid e-mail change is findable by the new address only.
    assert_eq!(
        patch(ceo, json!({"email": "boss@nordlicht.example"}))
            .await
            .status,
        StatusCode::OK
    );
    let r = api
        .get("/v1/company/employees?email=boss@nordlicht.example")
        .await;
    assert_eq!(employee_id(&r.json["data"][0]), ceo);
    let r = api
        .get("/v1/company/employees?email=jurgen.muller@nordlicht.example")
        .await;
    assert_eq!(r.json["data"], json!([]));
    // Clearing the supervisor (null) works and shows as null.
    assert_eq!(
        patch(report, json!({"supervisor_id": null})).await.status,
        StatusCode::OK
    );
    let e = api
        .get(&format!("/v1/company/employees/{report}"))
        .await
        .json["data"]
        .clone();
    assert!(attr(&e, "supervisor").is_null());
}

#[tokio::test]
async fn a_hundred_thousand_employees_seed_and_page_cheaply() {
    let sb = start(100_000).await;
    let api = Api::new(&sb, FULL).await;
    let r = api
        .get("/v1/company/employees?limit=100&offset=99950")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["metadata"]["total_elements"], 100_000);
    assert_eq!(r.json["metadata"]["total_pages"], 1000);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 50);
    let info = admin_get(&sb, "/__sandbox").await;
    assert_eq!(info.json["employees"], 100_000);
}
