//! Employee endpoints: list (record-offset pages of ≤ 100), by id, by exact email.

use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::Value;

use super::api_choice::Endpoint;
use super::client::PersonioClient;
use super::http::Request;
use super::model::employee::parse_employee;
use super::pagination::{Listing, fetch_v1};
use super::types::Employee;
use crate::error::{Error, Result};

/// Personio's maximum page size for employees (enforced since 2025-01-31).
pub const EMPLOYEE_PAGE_SIZE: u32 = 100;

/// Pages of a listing requested at once after the first (which tells how many there are). Well
/// within Personio's burst of 15 listing requests, and few enough that the parsed pages in flight
/// stay small next to the directory itself.
const PAGES_IN_FLIGHT: usize = 2;

/// Filters and projection for listing employees.
#[derive(Debug, Clone, Default)]
pub struct EmployeeQuery {
    /// `attributes[]` projection: only these keys come back (id always does). Empty = all readable.
    pub attributes: Vec<String>,
    /// `updated_since` (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`): only employees changed since then.
    pub updated_since: Option<String>,
    /// Exact email filter (Personio still answers with a list).
    pub email: Option<String>,
}

impl EmployeeQuery {
    fn request(&self) -> Request {
        let mut req = Request::get("/v1/company/employees", "read employees", "employee");
        for a in &self.attributes {
            req = req.query("attributes[]", a);
        }
        if let Some(since) = &self.updated_since {
            req = req.query("updated_since", since);
        }
        if let Some(email) = &self.email {
            req = req.query("email", email);
        }
        req
    }
}

fn parse(item: Value) -> Result<Employee> {
    parse_employee(&item)
        .map_err(|e| Error::upstream(format!("Personio sent an unreadable employee ({})", e.0)))
}

impl PersonioClient {
    /// Streams every employee matching `query`, in Personio's order, one page (≤ 100) per
    /// request and a few requests at a time.
    /// Through v2 (persons + employments) when `api_choice` says so.
    pub fn employees(&self, query: &EmployeeQuery) -> impl Stream<Item = Result<Employee>> + '_ {
        let query = query.clone();
        async_stream::try_stream! {
            if self.uses_v2(Endpoint::Employees).await {
                for e in self.v2_employees(&query).await? {
                    yield e;
                }
            } else {
                let v1 = Listing::new(self.http(), query.request(), EMPLOYEE_PAGE_SIZE)
                    .concurrently(PAGES_IN_FLIGHT)
                    .map(|item| item.and_then(parse));
                for await e in v1 {
                    yield e?;
                }
            }
        }
    }

    /// Collects [`employees`](Self::employees).
    pub async fn all_employees(&self, query: &EmployeeQuery) -> Result<Vec<Employee>> {
        self.employees(query).try_collect().await
    }

    /// One employee by id (`NOT_FOUND` when Personio answers with its German 404).
    pub async fn employee(&self, id: i64) -> Result<Employee> {
        if self.uses_v2(Endpoint::Employees).await {
            return self.v2_employee(id).await;
        }
        let req = Request::get(
            format!("/v1/company/employees/{id}"),
            "read employees",
            "employee",
        );
        let body = fetch_v1(self.http(), &req).await?;
        parse(body.data)
    }

    /// The employee with exactly this email, if any: one request, no directory scan.
    /// `attributes` projects the answer (empty = every readable attribute).
    pub async fn employee_by_email(
        &self,
        email: &str,
        attributes: &[&str],
    ) -> Result<Option<Employee>> {
        if self.uses_v2(Endpoint::Employees).await {
            let query = EmployeeQuery {
                email: Some(email.trim().to_string()),
                ..EmployeeQuery::default()
            };
            let found = self.v2_employees(&query).await?;
            return Ok(found.into_iter().find(|e| {
                e.email
                    .value()
                    .is_some_and(|m| m.eq_ignore_ascii_case(email.trim()))
            }));
        }
        let query = EmployeeQuery {
            email: Some(email.trim().to_string()),
            attributes: attributes.iter().map(|a| a.to_string()).collect(),
            ..EmployeeQuery::default()
        };
        let req = query
            .request()
            .query("limit", EMPLOYEE_PAGE_SIZE)
            .query("offset", 0);
        let body = fetch_v1(self.http(), &req).await?;
        let items = match body.data {
            Value::Array(items) => items,
            _ => Vec::new(),
        };
        // Personio matches exactly, but compare again: a filter silently ignored upstream must not
        // hand back somebody else.
        for item in items {
            let e = parse(item)?;
            if e.email
                .value()
                .is_some_and(|m| m.eq_ignore_ascii_case(email.trim()))
            {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }
}
