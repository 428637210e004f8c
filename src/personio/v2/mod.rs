//! Personio API v2: persons (+ employments), absence periods of both units, absence types.
//!
//! Each resource maps its JSON into the same clean types v1 produces ([`crate::personio::types`]),
//! so the layers above never learn which API answered. [`crate::personio::api_choice`] decides
//! which one does; the methods in `employees.rs` and `absences.rs` ask it and come here for v2.
//!
//! v2 pages by cursor: every list answer may carry `_meta.links.next.href`, an absolute URL.
//! That link is followed only when it points at the configured base URL and the same endpoint —
//! a link elsewhere would send our bearer token to a host we never configured.

pub mod absence_periods;
pub mod absence_types;
pub mod persons;

use std::collections::HashSet;

use futures::Stream;
use serde_json::Value;

use super::http::{Http, Request};
use crate::error::{Error, Result};

/// Far beyond any real account, small enough to end a runaway loop.
const MAX_PAGES: usize = 20_000;

/// Executes a v2 request and parses its JSON body (`Null` for an empty body, e.g. a 204).
pub(crate) async fn fetch_json(http: &Http, req: &Request) -> Result<Value> {
    let bytes = http.execute(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|_| {
        Error::upstream(format!(
            "Personio sent an unreadable response for {}",
            super::http::route_of(&req.path)
        ))
    })
}

/// The request for a `next` link, if it may be followed: same scheme, host and port as the
/// configured base, same path as the listing. Relative links (older v2 endpoints sent them,
/// REFERENCE.md §4) are taken relative to the base.
pub(crate) fn next_request(base: &str, current: &Request, href: &str) -> Result<Request> {
    let refuse = || {
        Error::upstream(format!(
            "Personio sent a next-page link for {} that leaves the configured base URL; not followed",
            super::http::route_of(&current.path)
        ))
    };
    let base_url = url::Url::parse(base).map_err(|_| refuse())?;
    let next = base_url.join(href).map_err(|_| refuse())?;
    let same_origin = next.scheme() == base_url.scheme()
        && next.host_str() == base_url.host_str()
        && next.port_or_known_default() == base_url.port_or_known_default();
    let base_path = base_url.path().trim_end_matches('/');
    let expected = format!("{base_path}{}", current.path);
    if !same_origin || next.path() != expected || next.fragment().is_some() {
        return Err(refuse());
    }
    let mut req = Request::new(
        current.method.clone(),
        current.path.clone(),
        current.permission,
        current.resource,
    );
    for (k, v) in next.query_pairs() {
        req = req.query(&k, v);
    }
    Ok(req)
}

/// Every item of a cursor-paged v2 listing, page by page. Stops at the last page, on a link seen
/// before (Personio once sent a `next` pointing at its own page, REFERENCE.md §4), and after
/// [`MAX_PAGES`].
pub(crate) fn paged<'a>(http: &'a Http, first: Request) -> impl Stream<Item = Result<Value>> + 'a {
    async_stream::try_stream! {
        let base = http.config().normalized_base();
        let mut req = first;
        let mut seen_links: HashSet<String> = HashSet::new();
        let mut seen_ids: HashSet<String> = HashSet::new();
        for _ in 0..MAX_PAGES {
            let body = fetch_json(http, &req).await?;
            let items = match body.get("_data") {
                Some(Value::Array(items)) => items.clone(),
                None | Some(Value::Null) => Vec::new(),
                Some(_) => Err(Error::upstream(format!(
                    "Personio sent a non-list `_data` for {}",
                    super::http::route_of(&req.path)
                )))?,
            };
            for item in items {
                if let Some(id) = item_id(&item)
                    && !seen_ids.insert(id)
                {
                    continue;
                }
                yield item;
            }
            let next = body
                .pointer("/_meta/links/next/href")
                .and_then(Value::as_str)
                .filter(|h| !h.is_empty());
            let Some(href) = next else { break };
            if !seen_links.insert(href.to_string()) {
                break;
            }
            req = next_request(&base, &req, href)?;
        }
    }
}

/// `id` of a v2 item as a string (v2 ids are strings; tolerate numbers).
pub(crate) fn item_id(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `{"id": "…"}` → the id, as v2 nests references (`person`, `absence_type`, `supervisor`).
pub(crate) fn ref_id(v: Option<&Value>) -> Option<String> {
    v.and_then(item_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing() -> Request {
        Request::get("/v2/absence-periods", "read absences", "absence")
    }

    #[test]
    fn next_links_are_followed_only_on_the_configured_base() {
        let base = "http://127.0.0.1:4000";
        let ok = next_request(
            base,
            &listing(),
            "http://127.0.0.1:4000/v2/absence-periods?limit=100&cursor=cur_1",
        )
        .unwrap();
        assert_eq!(ok.path, "/v2/absence-periods");
        assert!(ok.query.contains(&("cursor".into(), "cur_1".into())));
        let relative = next_request(base, &listing(), "/v2/absence-periods?cursor=c").unwrap();
        assert_eq!(
            relative.query,
            vec![("cursor".to_string(), "c".to_string())]
        );
        for bad in [
            "http://evil.example/v2/absence-periods?cursor=c",
            "https://127.0.0.1:4000/v2/absence-periods?cursor=c",
            "http://127.0.0.1:4001/v2/absence-periods?cursor=c",
            "http://127.0.0.1:4000/v2/persons?cursor=c",
            "//evil.example/v2/absence-periods",
        ] {
            assert!(next_request(base, &listing(), bad).is_err(), "{bad}");
        }
    }
}
