//! `GET /v1/company/employees`, `GET /v1/company/employees/{id}`,
//! `GET /v1/company/employees/attributes` (alias `/custom-attributes`).
//!
//! Listing semantics (REFERENCE.md §4, §8.1): `limit` defaults to 50 and is capped at 100 (asking for
//! 500 returns 100); `offset` is a 0-based **record** offset and `metadata.current_page` is
//! `offset / limit`; `email` is an exact (case-insensitive) filter whose result is still a list;
//! `attributes[]` projects (and never reveals non-whitelisted attributes); `updated_since` selects
//! employees changed at or after that time — combined with `attributes[]` only those whose projected
//! attributes changed — and, as documented, makes `email` ignored (paging still applies).
//! Only the employees of the requested page are rendered.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use http::StatusCode;

use super::v1_shared::{employee_in_path, list_response, paged, path_text};
use crate::sandbox::attributes::{self, AttrDef};
use crate::sandbox::auth::{self, Caller, Need};
use crate::sandbox::data::{Company, Employee};
use crate::sandbox::envelope::{self, Data};
use crate::sandbox::params;
use crate::sandbox::state::AppState;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

fn changed_since(
    company: &Company,
    employee: &Employee,
    since: DateTime<Utc>,
    projected: &[&'static AttrDef],
    projecting: bool,
) -> bool {
    if !projecting {
        return employee.last_modified_at >= since;
    }
    let seeded = company
        .seeded_modified(employee.id)
        .unwrap_or(employee.last_modified_at);
    projected
        .iter()
        .filter(|d| d.key != "id")
        .any(|d| employee.modified_at(d.key, seeded) >= since)
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    let (query, mut v, limit, offset) = paged(
        &caller,
        Need::EmployeesRead,
        query.as_deref(),
        (DEFAULT_LIMIT, MAX_LIMIT),
    )?;
    let updated_since = query.first("updated_since").and_then(|s| {
        v.checked(
            "updated_since",
            params::parse_instant(s),
            "must be a date (Y-m-d) or an ISO 8601 date-time",
        )
    });
    v.finish()?;

    let projection = query.list("attributes");
    let visible = attributes::visible(caller.whitelist, &projection);
    let company = state.company();
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(0);

    let (total, page): (usize, Vec<&Employee>) = if let Some(since) = updated_since {
        let matching: Vec<&Employee> = company
            .employees()
            .iter()
            .filter(|e| changed_since(&company, e, since, &visible, !projection.is_empty()))
            .collect();
        let page = matching.iter().skip(start).take(take).copied().collect();
        (matching.len(), page)
    } else if let Some(email) = query.first("email") {
        let matching: Vec<&Employee> = company.by_email(email).into_iter().collect();
        let page = matching.iter().skip(start).take(take).copied().collect();
        (matching.len(), page)
    } else {
        let all = company.employees();
        (all.len(), all.iter().skip(start).take(take).collect())
    };

    let data = page
        .into_iter()
        .map(|e| attributes::render(&company, e, &visible, &state.base_url))
        .collect();
    Ok(list_response(
        total,
        offset / limit.max(1),
        offset,
        limit,
        data,
    ))
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    employee_id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    auth::require(&caller, Need::EmployeesRead)?;
    let company = state.company();
    let employee = employee_in_path(&company, &path_text(employee_id))?;
    let visible = attributes::visible(caller.whitelist, &[]);
    Ok(envelope::json_response(
        StatusCode::OK,
        &Data {
            success: true,
            data: attributes::render(&company, employee, &visible, &state.base_url),
        },
    ))
}

pub async fn attributes(Extension(caller): Extension<Caller>) -> Result<Response, Response> {
    auth::require(&caller, Need::EmployeesRead)?;
    Ok(envelope::ok_data(attributes::listing(caller.whitelist)))
}
