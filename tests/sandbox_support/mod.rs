//! Shared helpers of the `sandbox_*` integration tests: an in-process sandbox on a loopback port with
//! a fixed `today`, and a small JSON-over-HTTP client.
// Test helpers: a failed unwrap here is a failed test, not a crash on user input (clippy's
// allow-*-in-tests only covers `#[test]` functions, not helpers).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{Ipv4Addr, SocketAddr};

use chrono::NaiveDate;
use personio_mcp::sandbox::{
    CLIENT_SECRET, FULL_CLIENT_ID, LIMITED_CLIENT_ID, SandboxConfig, SandboxHandle,
};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const FULL: &str = FULL_CLIENT_ID;
pub const LIMITED: &str = LIMITED_CLIENT_ID;
pub const SECRET: &str = CLIENT_SECRET;

/// Seeded time-off type ids (stable across seeds).
pub const PAID_VACATION: u64 = 155627;
pub const SICK_LEAVE: u64 = 155628;
pub const DOCTORS_APPOINTMENT: u64 = 155631;
pub const OFFSITE_WORK: u64 = 155632;

/// A fixed Monday, so that tests about "today", past and future are reproducible.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 16).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn config(employees: usize, relaxed_limits: bool) -> SandboxConfig {
    SandboxConfig {
        employees,
        relaxed_limits,
        today: today(),
        ..SandboxConfig::default()
    }
}

/// A sandbox with relaxed limits (most tests fire many requests quickly).
pub async fn start(employees: usize) -> SandboxHandle {
    start_with(config(employees, true)).await
}

pub async fn start_with(config: SandboxConfig) -> SandboxHandle {
    SandboxHandle::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .expect("sandbox starts")
}

/// A plain reqwest client. reqwest is built with `rustls-no-provider`, so a crypto provider must be
/// installed before any client is built, even for plain-HTTP loopback calls.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A response: status, headers and the body parsed as JSON (`Value::Null` if it was not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub async fn from(r: reqwest::Response) -> Reply {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// A v1 token for `client_id` (JSON body).
pub async fn token(base: &str, client_id: &str) -> String {
    let r = Reply::from(
        http()
            .post(format!("{base}/v1/auth"))
            .json(&json!({"client_id": client_id, "client_secret": SECRET}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["data"]["token"].as_str().unwrap().to_string()
}

/// A v2 bearer token for `client_id` (`POST /v2/auth/token`, every scope the credential holds).
pub async fn v2_token(base: &str, client_id: &str) -> String {
    let r = Reply::from(
        http()
            .post(format!("{base}/v2/auth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", SECRET),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["access_token"].as_str().unwrap().to_string()
}

/// An authenticated client (v1 token from [`Api::new`], v2 token from [`Api::v2`]).
pub struct Api {
    pub base: String,
    pub token: String,
    http: reqwest::Client,
}

impl Api {
    pub async fn new(sb: &SandboxHandle, client_id: &str) -> Api {
        let base = sb.base_url();
        Api {
            token: token(&base, client_id).await,
            base,
            http: http(),
        }
    }

    /// A client holding a v2 token.
    pub async fn v2(sb: &SandboxHandle, client_id: &str) -> Api {
        let base = sb.base_url();
        Api {
            token: v2_token(&base, client_id).await,
            base,
            http: http(),
        }
    }

    /// GET of an absolute URL (v2 `_meta.links` are absolute).
    pub async fn get_url(&self, url: &str) -> Reply {
        Reply::from(
            self.http
                .get(url)
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Every item of a v2 listing, following `_meta.links.next`; also returns the page count.
    pub async fn v2_all(&self, path: &str) -> (Vec<Value>, usize) {
        let mut url = format!("{}{path}", self.base);
        let mut all = Vec::new();
        let mut pages = 0;
        loop {
            let r = self.get_url(&url).await;
            assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text);
            all.extend(r.json["_data"].as_array().unwrap().iter().cloned());
            pages += 1;
            assert!(pages < 10_000, "paging does not end");
            match r.json["_meta"]["links"]["next"]["href"].as_str() {
                Some(next) => url = next.to_string(),
                None => return (all, pages),
            }
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::from(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        Reply::from(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        Reply::from(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        Reply::from(
            self.http
                .delete(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Every employee, paging with `limit=100` and record offsets.
    pub async fn all_employees(&self, extra: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let r = self
                .get(&format!(
                    "/v1/company/employees?limit=100&offset={offset}{extra}"
                ))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            let data = r.json["data"].as_array().unwrap().clone();
            let n = data.len();
            all.extend(data);
            if n < 100 {
                return all;
            }
            offset += 100;
        }
    }
}

/// Admin helpers (no auth).
pub async fn admin_get(sb: &SandboxHandle, path: &str) -> Reply {
    Reply::from(
        http()
            .get(format!("{}{path}", sb.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn admin_send(
    sb: &SandboxHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let mut req = http().request(method, format!("{}{path}", sb.base_url()));
    if let Some(b) = body {
        req = req.json(b);
    }
    Reply::from(req.send().await.unwrap()).await
}

/// The attribute value of an employee resource.
pub fn attr<'a>(employee: &'a Value, key: &str) -> &'a Value {
    &employee["attributes"][key]["value"]
}

pub fn employee_id(employee: &Value) -> u64 {
    attr(employee, "id").as_u64().unwrap()
}

/// Adds an employee through the admin route (no absences, hired on 2025-01-01 unless overridden).
pub async fn add_employee(sb: &SandboxHandle, body: Value) -> u64 {
    let mut body = body;
    if body.get("hire_date").is_none() {
        body["hire_date"] = json!("2025-01-01");
    }
    let r = admin_send(
        sb,
        reqwest::Method::POST,
        "/__sandbox/employees",
        Some(&body),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["id"].as_u64().unwrap()
}
