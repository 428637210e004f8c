//! The v2 plumbing the persons and absence routes share: the error bodies (common-components-v2.json
//! `ErrorResponse`: `personio_trace_id`, `timestamp`, `errors[]`), the scope check, `limit`/`cursor`
//! paging with absolute `_meta.links` (REFERENCE.md §4 "v2 (cursor)"), filter-key validation and
//! date-time filter values.
//!
//! Cursors are opaque to clients (`cur_…`); inside they are the record offset of the next page, so
//! a page stays reachable while the data changes underneath it, as with Personio's own cursors.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use http::request::Parts;
use http::{StatusCode, Uri};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::sandbox::auth::{self, Caller, Need, caller_of};
use crate::sandbox::clock;
use crate::sandbox::envelope;
use crate::sandbox::params::{self, Query};

const CURSOR_PREFIX: &str = "cur_sbx";

/// A v2 error with one entry and `_meta` (a string map, e.g. the offending parameter).
pub fn error(status: StatusCode, title: &str, detail: &str, kind: &str, meta: Value) -> Response {
    envelope::problem_response(
        status,
        &json!({
            "personio_trace_id": uuid::Uuid::new_v4().to_string(),
            "timestamp": clock::v2_timestamp(Utc::now()),
            "errors": [{
                "title": title,
                "detail": detail,
                "type": format!("https://developer.personio.de/reference/errors#{kind}"),
                "_meta": meta,
            }],
        }),
    )
}

/// 401 for a missing, unknown, expired or revoked token.
pub fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "The access token is missing, invalid or expired.",
        "common.unauthorized",
        json!({}),
    )
}

pub fn bad_request(detail: &str, parameter: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "Bad Request",
        detail,
        "common.invalid_request",
        json!({"parameter": parameter}),
    )
}

/// 404 `common.resource_not_found` (the persons spec's `ResourceNotFound` example).
pub fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Resource not found",
        "There is no resource for the specified id.",
        "common.resource_not_found",
        json!({}),
    )
}

pub fn unprocessable(detail: &str) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Unprocessable Entity",
        detail,
        "common.unprocessable_entity",
        json!({}),
    )
}

/// `Err(403)` with a v2 body naming the scope the token lacks.
pub fn require(caller: &Caller, need: Need) -> Result<(), Response> {
    if auth::has(caller, need) {
        return Ok(());
    }
    let scope = match need {
        Need::EmployeesRead => "personio:persons:read",
        Need::AbsencesRead => "personio:absences:read",
        Need::AbsencesWrite => "personio:absences:write",
    };
    Err(error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &format!("The access token does not grant the required scope {scope}."),
        "common.forbidden",
        json!({"required_scope": scope}),
    ))
}

/// `Err(400)` for a query key outside `allowed` (Personio rejects unknown filters and operators,
/// e.g. `id.nooperator`, per the persons spec's examples).
pub fn only_keys(query: &Query, allowed: &[&str]) -> Result<(), Response> {
    match query
        .pairs()
        .iter()
        .find(|(k, _)| !allowed.contains(&k.as_str()))
    {
        Some((k, _)) => Err(bad_request(
            &format!("The query parameter {k} is not supported."),
            k,
        )),
        None => Ok(()),
    }
}

/// A date-time filter value (`2024-01-01T12:00:00Z`, with an offset, naive = Berlin time, or a
/// date); `Err(400)` if it does not parse.
pub fn instant(query: &Query, key: &str) -> Result<Option<DateTime<Utc>>, Response> {
    match query.first(key) {
        None => Ok(None),
        Some(s) => params::parse_instant(s).map(Some).ok_or_else(|| {
            bad_request(
                &format!("The value of {key} is not a valid date-time."),
                key,
            )
        }),
    }
}

/// A comma-separated list filter (`id=1,2`); empty when absent.
pub fn list(query: &Query, key: &str) -> Vec<String> {
    query
        .first(key)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// One page request: where to start and how many.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    /// `limit` (1.., capped at `max`, default `default`) and `cursor`; `Err(400)` for a limit below 1
    /// or not a number, and for a cursor this sandbox did not issue.
    pub fn parse(query: &Query, default: usize, max: usize) -> Result<Page, Response> {
        let limit = match query.first("limit") {
            None => default,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if n >= 1 => n.min(max),
                _ => {
                    return Err(bad_request(
                        &format!("The limit must be an integer between 1 and {max}."),
                        "limit",
                    ));
                }
            },
        };
        let offset = match query.first("cursor") {
            None => 0,
            Some(c) => c
                .strip_prefix(CURSOR_PREFIX)
                .and_then(|hex| usize::from_str_radix(hex, 16).ok())
                .ok_or_else(|| bad_request("The cursor is invalid.", "cursor"))?,
        };
        Ok(Page { offset, limit })
    }

    /// The slice of `items` this page covers.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.offset.min(items.len());
        let end = start.saturating_add(self.limit).min(items.len());
        items.get(start..end).unwrap_or(&[])
    }
}

/// What a v2 listing endpoint declares: its scope, the query keys it accepts and its limits.
pub trait Endpoint {
    const NEED: Need;
    const KEYS: &'static [&'static str];
    /// `(default, maximum)` of `limit`.
    const LIMITS: (usize, usize);
}

/// The head of every v2 listing, taken by handlers as an extractor: the caller (set by the Bearer
/// check), its scope checked, the query (only the endpoint's keys) and the page.
pub struct Listing<E> {
    pub caller: Caller,
    pub query: Query,
    pub page: Page,
    uri: Uri,
    endpoint: PhantomData<E>,
}

impl<E: Endpoint, S: Send + Sync> FromRequestParts<S> for Listing<E> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let caller = caller_of(parts, unauthorized)?;
        require(&caller, E::NEED)?;
        // The original URI keeps the full path for the links, whatever router nesting applies.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let query = Query::parse(uri.query());
        only_keys(&query, E::KEYS)?;
        let page = Page::parse(&query, E::LIMITS.0, E::LIMITS.1)?;
        Ok(Listing {
            caller,
            query,
            page,
            uri,
            endpoint: PhantomData,
        })
    }
}

impl<E> Listing<E> {
    /// The page of `all` this listing selects, rendered by `render`, with its links.
    pub fn respond<A, T: Serialize>(
        &self,
        base_url: &str,
        all: &[A],
        render: impl Fn(&A) -> Option<T>,
    ) -> Response {
        let data: Vec<T> = self.page.slice(all).iter().filter_map(render).collect();
        list_response(base_url, &self.uri, &self.query, self.page, all.len(), data)
    }
}

/// `{"_data": [...], "_meta": {"links": {"self": {...}, "next": {...}}}}` with absolute links; `next`
/// repeats every query parameter but `cursor` and is absent on the last page.
pub fn list_response<T: Serialize>(
    base_url: &str,
    uri: &Uri,
    query: &Query,
    page: Page,
    total: usize,
    data: Vec<T>,
) -> Response {
    let mut links = Map::new();
    let self_href = match uri.query() {
        Some(q) => format!("{base_url}{}?{q}", uri.path()),
        None => format!("{base_url}{}", uri.path()),
    };
    links.insert("self".into(), json!({"href": self_href}));
    let next = page.offset.saturating_add(page.limit);
    if next < total {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query.pairs().iter().filter(|(k, _)| k != "cursor") {
            q.append_pair(k, v);
        }
        q.append_pair("cursor", &format!("{CURSOR_PREFIX}{next:x}"));
        links.insert(
            "next".into(),
            json!({"href": format!("{base_url}{}?{}", uri.path(), q.finish())}),
        );
    }
    envelope::json_response(
        StatusCode::OK,
        &json!({"_data": data, "_meta": {"links": links}}),
    )
}

/// A single resource with `_meta.links.self`.
pub fn one_response(mut value: Value, self_href: String) -> Response {
    if let Some(links) = value
        .as_object_mut()
        .map(|m| m.entry("_meta").or_insert_with(|| json!({"links": {}})))
        .and_then(|meta| meta.get_mut("links"))
        .and_then(Value::as_object_mut)
    {
        links.insert("self".into(), json!({"href": self_href}));
    }
    envelope::json_response(StatusCode::OK, &value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_fail() {
        let q = Query::parse(Some("cursor=cur_sbx1f&limit=500"));
        let page = Page::parse(&q, 10, 50).unwrap();
        assert_eq!((page.offset, page.limit), (31, 50));
        assert!(Page::parse(&Query::parse(Some("cursor=cur_abc")), 10, 50).is_err());
        assert!(Page::parse(&Query::parse(Some("limit=0")), 10, 50).is_err());
        assert_eq!(page.slice(&[1, 2, 3]), &[] as &[i32]);
    }
}
