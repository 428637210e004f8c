//! Pagination as async streams, so callers can stop early and never hold a whole company in a
//! `Vec` unless they want to.
//!
//! Personio pages two different ways (REFERENCE.md §4), and one loop serves both; only the rule
//! for the next `offset` and for stopping differs ([`Paging`]):
//! - employees: `offset` is a **record** offset;
//! - time-offs and absence-periods: `offset` is a **page index** whose base is disputed (0 and 1
//!   may both mean the first page). The stream starts at 0, follows `metadata.current_page` when
//!   Personio reports it, and stops on a short page, on `current_page >= total_pages`, or on the
//!   second page in a row that brings nothing new.
//!
//! Both de-duplicate by id, and both stop after a hard maximum of pages, so a server that never
//! says "last page" cannot keep us looping.

use std::collections::HashSet;

use futures::{Stream, StreamExt};
use serde_json::Value;
use serde_json::value::RawValue;

use super::failure::unsuccessful_body;
use super::http::{Http, Request};
use super::model::envelope::{self, BodyError, PageMeta, V1Body};
use crate::error::{Error, Result};

/// Far beyond any real account (100 × 100,000 employees), small enough to end a runaway loop.
const MAX_PAGES: u32 = 100_000;

/// How an endpoint counts its `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `offset` = records already read (employees).
    Records,
    /// `offset` = page index, base disputed (time-offs, absence-periods).
    PageIndex,
}

/// Where a listing stands between two pages.
#[derive(Debug)]
struct Cursor {
    paging: Paging,
    page_size: u64,
    offset: u64,
    barren_pages: u32,
}

impl Cursor {
    fn new(paging: Paging, page_size: u32) -> Self {
        Cursor {
            paging,
            page_size: u64::from(page_size),
            offset: 0,
            barren_pages: 0,
        }
    }

    /// Moves past a page of `received` items (`fresh` of them new); `false` when it was the last.
    fn advance(&mut self, received: u64, fresh: u64, meta: &PageMeta) -> bool {
        let effective = effective_page_size(meta, self.page_size);
        if received == 0 {
            return false;
        }
        match self.paging {
            Paging::Records => {
                self.offset += received;
                let more_by_total = meta.total_elements.map(|t| self.offset < t);
                let short = received < effective;
                more_by_total != Some(false) && !(short && more_by_total != Some(true))
            }
            Paging::PageIndex => {
                if received < effective {
                    return false;
                }
                if let (Some(current), Some(total)) = (meta.current_page, meta.total_pages)
                    && current >= total
                {
                    return false;
                }
                if fresh == 0 {
                    // 0 and 1 may both be the first page: one repeat is expected, two are the end.
                    self.barren_pages += 1;
                    if self.barren_pages >= 2 {
                        return false;
                    }
                } else {
                    self.barren_pages = 0;
                }
                // Follow the server's own page numbering when it tells us where we are.
                self.offset = match meta.current_page {
                    Some(current) if current >= self.offset => current + 1,
                    _ => self.offset + 1,
                };
                true
            }
        }
    }
}

/// The page size the server applied: it may cap below what we asked (Personio caps employees at
/// 100), and a short page only means "last page" against that.
fn effective_page_size(meta: &PageMeta, asked: u64) -> u64 {
    meta.limit.map_or(asked, |l| l.min(asked)).max(1)
}

/// The de-duplication ids already yielded: Personio may repeat an item across pages (page-index
/// bases, records shifting during a load), and the caller sees each once.
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
}

impl Seen {
    /// `item` unless it was yielded before (an item without an id always counts).
    fn admit(&mut self, item: Value) -> Option<Value> {
        item_id(&item)
            .is_none_or(|k| self.ids.insert(k))
            .then_some(item)
    }
}

fn body_error(e: BodyError, req: &Request) -> Error {
    match e {
        BodyError::Unsuccessful(m) => unsuccessful_body(&m, req),
        BodyError::Malformed(why) => Error::upstream(format!(
            "Personio sent an unreadable response for {} ({why})",
            super::http::route_of(&req.path)
        )),
    }
}

/// Executes a request and parses the v1 envelope, mapping body failures to errors.
pub async fn fetch_v1(http: &Http, req: &Request) -> Result<V1Body> {
    let bytes = http.execute(req).await?;
    envelope::parse_v1(&bytes).map_err(|e| body_error(e, req))
}

/// One page as received: its items still JSON text, turned into trees one at a time by
/// [`Page::fresh`].
struct Page {
    items: Vec<Box<RawValue>>,
    meta: PageMeta,
    req: Request,
}

impl Page {
    /// The items not yielded before, in order, each parsed only when it is next.
    fn fresh<'s>(self, seen: &'s mut Seen) -> impl Iterator<Item = Result<Value>> + 's {
        let req = self.req;
        self.items
            .into_iter()
            .filter_map(move |raw| match envelope::item_tree(&raw) {
                Ok(item) => seen.admit(item).map(Ok),
                Err(e) => Some(Err(body_error(e, &req))),
            })
    }
}

/// One v1 listing: the request without paging, and how many records a page may hold.
pub struct Listing<'a> {
    http: &'a Http,
    base: Request,
    page_size: u32,
}

impl<'a> Listing<'a> {
    pub fn new(http: &'a Http, base: Request, page_size: u32) -> Self {
        Listing {
            http,
            base,
            page_size,
        }
    }

    /// One page: `base` at `offset`, `page_size` records at most.
    async fn page(&self, offset: u64) -> Result<Page> {
        let req = self
            .base
            .clone()
            .query("limit", self.page_size)
            .query("offset", offset);
        let bytes = self.http.execute(&req).await?;
        let page = envelope::parse_v1_page(&bytes).map_err(|e| body_error(e, &req))?;
        match page.items {
            Some(items) => Ok(Page {
                items,
                meta: page.meta,
                req,
            }),
            None => Err(Error::upstream(format!(
                "Personio sent a non-list `data` for {}",
                super::http::route_of(&req.path)
            ))),
        }
    }

    /// Every item, page after page, each once (by [`item_id`]).
    pub fn paged(self, paging: Paging) -> impl Stream<Item = Result<Value>> + 'a {
        let cursor = Cursor::new(paging, self.page_size);
        self.pages_from(cursor, Seen::default())
    }

    /// The pages from `cursor` on, skipping what `seen` already yielded.
    fn pages_from(
        self,
        mut cursor: Cursor,
        mut seen: Seen,
    ) -> impl Stream<Item = Result<Value>> + 'a {
        async_stream::try_stream! {
            for _ in 0..MAX_PAGES {
                let page = self.page(cursor.offset).await?;
                let received = page.items.len() as u64;
                let meta = page.meta.clone();
                let mut fresh_count = 0;
                for item in page.fresh(&mut seen) {
                    fresh_count += 1;
                    yield item?;
                }
                if !cursor.advance(received, fresh_count, &meta) {
                    break;
                }
            }
        }
    }

    /// A record-offset listing (employees) whose first page announces `total_elements`: the
    /// other pages are then fetched up to `in_flight` at a time (each still paced by the
    /// limiter, so Personio's burst allowance is used instead of waiting for one page after
    /// another), and yielded in order. Without a total it continues one page after another,
    /// like [`Listing::paged`].
    pub fn concurrently(self, in_flight: usize) -> impl Stream<Item = Result<Value>> + 'a {
        async_stream::try_stream! {
            let mut cursor = Cursor::new(Paging::Records, self.page_size);
            let mut seen = Seen::default();
            let first = self.page(0).await?;
            let received = first.items.len() as u64;
            let meta = first.meta.clone();
            let effective = effective_page_size(&meta, u64::from(self.page_size));
            let mut fresh_count = 0;
            for item in first.fresh(&mut seen) {
                fresh_count += 1;
                yield item?;
            }
            let known_total = meta.total_elements.filter(|_| received == effective);
            if let Some(total) = known_total {
                let offsets = (1..u64::from(MAX_PAGES))
                    .map(|k| k * effective)
                    .take_while(move |o| *o < total);
                let this = &self;
                let pages = futures::stream::iter(offsets)
                    .map(|offset| this.page(offset))
                    .buffered(in_flight.max(1));
                for await page in pages {
                    for item in page?.fresh(&mut seen) {
                        yield item?;
                    }
                }
                // People hired during the load appear with the directory's next refresh.
            } else if cursor.advance(received, fresh_count, &meta) {
                for await item in self.pages_from(cursor, seen) {
                    yield item?;
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(limit: Option<u64>, total: Option<u64>, page: Option<(u64, u64)>) -> PageMeta {
        PageMeta {
            limit,
            total_elements: total,
            current_page: page.map(|p| p.0),
            total_pages: page.map(|p| p.1),
            ..PageMeta::default()
        }
    }

    #[test]
    fn record_offsets_count_records_and_stop_at_the_total() {
        let mut c = Cursor::new(Paging::Records, 100);
        assert!(c.advance(100, 100, &meta(Some(100), Some(250), None)));
        assert_eq!(c.offset, 100);
        assert!(c.advance(100, 100, &meta(Some(100), Some(250), None)));
        assert!(!c.advance(50, 50, &meta(Some(100), Some(250), None)));
        // A server capping the page below the request: a "short" page is not the end.
        let mut c = Cursor::new(Paging::Records, 200);
        assert!(c.advance(100, 100, &meta(Some(100), None, None)));
        assert!(!c.advance(40, 40, &meta(Some(100), None, None)));
    }

    #[test]
    fn page_indices_follow_the_server_and_stop_on_repeats() {
        let mut c = Cursor::new(Paging::PageIndex, 2);
        // The server calls our offset 0 its page 1: next we ask for 2.
        assert!(c.advance(2, 2, &meta(Some(2), None, Some((1, 5)))));
        assert_eq!(c.offset, 2);
        let mut c = Cursor::new(Paging::PageIndex, 2);
        assert!(c.advance(2, 2, &meta(None, None, None)));
        assert!(
            c.advance(2, 0, &meta(None, None, None)),
            "one repeat is expected"
        );
        assert!(!c.advance(2, 0, &meta(None, None, None)), "two are the end");
        assert!(!Cursor::new(Paging::PageIndex, 2).advance(2, 2, &meta(None, None, Some((3, 3)))));
        assert!(!Cursor::new(Paging::PageIndex, 2).advance(1, 1, &meta(None, None, None)));
    }
}
