//! Pagination as async streams, so callers can stop early and never hold a whole company in a
//! `Vec` unless they want to.
//!
//! Personio pages two different ways (REFERENCE.md §4):
//! - employees: `offset` is a **record** offset;
//! - time-offs and absence-periods: `offset` is a **page index** whose base is disputed (0 and 1
//!   may both mean the first page). The stream starts at 0, follows `metadata.current_page` when
//!   Personio reports it, de-duplicates by id, and stops on a short page, on
//!   `current_page >= total_pages`, or on the second page in a row that brings nothing new.

use std::collections::HashSet;

use futures::Stream;
use serde_json::Value;

use super::http::{Http, Request, unsuccessful_body};
use super::model::envelope::{self, BodyError, V1Body};
use crate::error::{Error, Result};

/// Executes a request and parses the v1 envelope, mapping body failures to errors.
pub async fn fetch_v1(http: &Http, req: &Request) -> Result<V1Body> {
    let bytes = http.execute(req).await?;
    envelope::parse_v1(&bytes).map_err(|e| match e {
        BodyError::Unsuccessful(m) => unsuccessful_body(&m, req),
        BodyError::Malformed(why) => Error::upstream(format!(
            "Personio sent an unreadable response for {} ({why})",
            req.path
        )),
    })
}

fn data_array(body: V1Body, req: &Request) -> Result<(Vec<Value>, envelope::PageMeta)> {
    match body.data {
        Value::Array(items) => Ok((items, body.meta)),
        Value::Null => Ok((Vec::new(), body.meta)),
        _ => Err(Error::upstream(format!(
            "Personio sent a non-list `data` for {}",
            req.path
        ))),
    }
}

/// Record-offset pagination (employees). Yields raw items; `key` extracts the dedupe id.
pub fn record_offset_stream<'a>(
    http: &'a Http,
    base: Request,
    page_size: u32,
    key: fn(&Value) -> Option<String>,
) -> impl Stream<Item = Result<Value>> + 'a {
    async_stream::try_stream! {
        let mut offset: u64 = 0;
        let mut seen: HashSet<String> = HashSet::new();
        loop {
            let req = base.clone().query("limit", page_size).query("offset", offset);
            let (items, meta) = data_array(fetch_v1(http, &req).await?, &req)?;
            let received = items.len() as u64;
            for item in items {
                if let Some(k) = key(&item)
                    && !seen.insert(k)
                {
                    continue;
                }
                yield item;
            }
            // The server may cap the page size below what we asked (Personio caps at 100).
            let effective = meta.limit.map_or(u64::from(page_size), |l| l.min(u64::from(page_size))).max(1);
            offset += received;
            let more_by_total = meta.total_elements.map(|t| offset < t);
            let short = received < effective;
            if received == 0 || more_by_total == Some(false) || (short && more_by_total != Some(true)) {
                break;
            }
        }
    }
}

/// Page-index pagination (time-offs, absence-periods). See the module doc for the stop rules.
pub fn page_index_stream<'a>(
    http: &'a Http,
    base: Request,
    page_size: u32,
    key: fn(&Value) -> Option<String>,
) -> impl Stream<Item = Result<Value>> + 'a {
    async_stream::try_stream! {
        let mut page: u64 = 0;
        let mut seen: HashSet<String> = HashSet::new();
        let mut barren_pages = 0u32;
        // A hard stop far beyond any real account, so a server that never stops cannot loop us forever.
        for _ in 0..100_000u32 {
            let req = base.clone().query("limit", page_size).query("offset", page);
            let (items, meta) = data_array(fetch_v1(http, &req).await?, &req)?;
            let received = items.len() as u64;
            let mut fresh = 0u64;
            for item in items {
                if let Some(k) = key(&item)
                    && !seen.insert(k)
                {
                    continue;
                }
                fresh += 1;
                yield item;
            }
            let effective = meta.limit.map_or(u64::from(page_size), |l| l.min(u64::from(page_size))).max(1);
            if received == 0 || received < effective {
                break;
            }
            if let (Some(current), Some(total)) = (meta.current_page, meta.total_pages)
                && current >= total
            {
                break;
            }
            if fresh == 0 {
                // 0 and 1 may both be the first page: one repeat is expected, two are the end.
                barren_pages += 1;
                if barren_pages >= 2 {
                    break;
                }
            } else {
                barren_pages = 0;
            }
            // Follow the server's own page numbering when it tells us where we are.
            page = match meta.current_page {
                Some(current) if current >= page => current + 1,
                _ => page + 1,
            };
        }
    }
}

/// `data.attributes.id` (or `data.id`) as a string, the dedupe key of absences.
pub fn item_id(item: &Value) -> Option<String> {
    let id = envelope::attributes(item).get("id")?;
    let id = match id {
        Value::Object(m) => m.get("value")?,
        other => other,
    };
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
