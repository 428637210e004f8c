//! The v1 response envelope `{success, metadata, offset, limit, data}` and the v1/v2/OAuth error
//! bodies (REFERENCE.md §4, §5). Parsing is lenient about what is optional (trimmed payloads omit
//! `metadata`) and strict about what matters (`success:false` inside HTTP 200 is an error).

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::lenient;

/// Paging metadata; every field is optional because real payloads omit them freely.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageMeta {
    pub total_elements: Option<u64>,
    pub current_page: Option<u64>,
    pub total_pages: Option<u64>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
}

/// A successful v1 body, split into its `data` and paging metadata.
#[derive(Debug, Clone)]
pub struct V1Body {
    pub data: Value,
    pub meta: PageMeta,
}

/// What an error body said, whichever of Personio's error shapes it came in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpstreamMessage {
    /// v1 `error.code` (often 0), or absent.
    pub code: Option<i64>,
    /// v1 `error.message`, v2 `errors[0].title/detail`, or OAuth `error_description`.
    pub message: Option<String>,
    /// OAuth `error` (`invalid_client`...) or v2 error `type` fragment.
    pub kind: Option<String>,
}

/// Why a body could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyError {
    /// `success:false` (even inside HTTP 200).
    Unsuccessful(UpstreamMessage),
    /// Not JSON, or JSON of the wrong shape.
    Malformed(String),
}

fn u64_field(v: &Value, key: &str) -> Option<u64> {
    v.get(key)
        .and_then(lenient::int_like)
        .and_then(|i| u64::try_from(i).ok())
}

/// `success:false` (even inside HTTP 200), or no `success` but an error field: the body is an
/// error, whatever its status.
fn unsuccessful(top: &Map<String, Value>) -> bool {
    match top.get("success").and_then(lenient::bool_like) {
        Some(ok) => !ok,
        None => top.contains_key("error") || top.contains_key("errors"),
    }
}

/// Parses a v1 body. `data` may be an object or an array; callers check which they expect.
pub fn parse_v1(bytes: &[u8]) -> Result<V1Body, BodyError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| BodyError::Malformed(format!("response is not valid JSON ({e})")))?;
    let Value::Object(map) = &value else {
        return Err(BodyError::Malformed("response is not a JSON object".into()));
    };
    if unsuccessful(map) {
        return Err(BodyError::Unsuccessful(error_message(&value)));
    }
    let meta = {
        let metadata = map.get("metadata").unwrap_or(&Value::Null);
        PageMeta {
            total_elements: u64_field(metadata, "total_elements"),
            current_page: u64_field(metadata, "current_page"),
            total_pages: u64_field(metadata, "total_pages"),
            offset: u64_field(&value, "offset"),
            limit: u64_field(&value, "limit"),
        }
    };
    // `data` is moved out, not cloned: it is the whole page (up to 200 records).
    let Value::Object(mut map) = value else {
        return Err(BodyError::Malformed("response is not a JSON object".into()));
    };
    let data = map
        .remove("data")
        .ok_or_else(|| BodyError::Malformed("response has no `data`".into()))?;
    Ok(V1Body { data, meta })
}

/// A successful v1 listing page whose items are still JSON text. A page of 100 employees as
/// value trees takes ~1.3 MB (every attribute envelope is a B-tree node), as text ~0.2 MB: the
/// listing turns one item at a time into a tree, so a directory load never holds whole pages of
/// trees (BENCHMARKS.md, issue 16 memory).
#[derive(Debug)]
pub struct V1Page {
    /// `None` when `data` is neither a list nor null (the caller names the route in its error).
    pub items: Option<Vec<Box<RawValue>>>,
    pub meta: PageMeta,
}

/// [`parse_v1`] for listings: the same checks and, for every field but `data`'s items, the same
/// errors. The items are only skimmed (well-formed JSON, no nesting limit, no number range
/// check); [`item_tree`] applies the full rules to each, so a bad item fails the listing when
/// it is reached.
pub fn parse_v1_page(bytes: &[u8]) -> Result<V1Page, BodyError> {
    // Whatever this reader cannot take, the tree parser rejects in its own words.
    let tree_error = || {
        parse_v1(bytes)
            .err()
            .unwrap_or_else(|| BodyError::Malformed("response is not a JSON object".into()))
    };
    let Ok(top) = serde_json::from_slice::<BTreeMap<String, &RawValue>>(bytes) else {
        return Err(tree_error());
    };
    // Everything beside `data` is small (success, metadata, offset, limit, error): read it whole.
    let mut small = Map::new();
    for (key, raw) in top.iter().filter(|(k, _)| *k != "data") {
        let value = serde_json::from_str::<Value>(raw.get()).map_err(|_| tree_error())?;
        small.insert(key.clone(), value);
    }
    if unsuccessful(&small) {
        // Every error field is beside `data`, so the small fields are all `error_message` reads.
        return Err(BodyError::Unsuccessful(error_message(&Value::Object(
            small,
        ))));
    }
    let metadata = small.get("metadata").unwrap_or(&Value::Null);
    let top_u64 = |key: &str| {
        small
            .get(key)
            .and_then(lenient::int_like)
            .and_then(|i| u64::try_from(i).ok())
    };
    let meta = PageMeta {
        total_elements: u64_field(metadata, "total_elements"),
        current_page: u64_field(metadata, "current_page"),
        total_pages: u64_field(metadata, "total_pages"),
        offset: top_u64("offset"),
        limit: top_u64("limit"),
    };
    let data = top
        .get("data")
        .ok_or_else(|| BodyError::Malformed("response has no `data`".into()))?
        .get()
        .trim_start();
    let items = if data.starts_with('[') {
        Some(
            serde_json::from_str::<Vec<Box<RawValue>>>(data)
                .map_err(|e| BodyError::Malformed(format!("response is not valid JSON ({e})")))?,
        )
    } else if data == "null" {
        Some(Vec::new())
    } else {
        // Not a list: rejected by the caller, but a malformed one is reported as such.
        serde_json::from_str::<Value>(data).map_err(|_| tree_error())?;
        None
    };
    Ok(V1Page { items, meta })
}

/// One item of a [`V1Page`] as a tree, under the parser's full rules (nesting limit, number
/// range, lone surrogates); positions in its error count from the item, not the body.
pub fn item_tree(raw: &RawValue) -> Result<Value, BodyError> {
    serde_json::from_str(raw.get())
        .map_err(|e| BodyError::Malformed(format!("response is not valid JSON ({e})")))
}

/// Reads any of Personio's error shapes: v1 `{success:false,error:{code,message}}`, v2 problem+json
/// `{errors:[{title,detail,type}]}`, OAuth `{error,error_description}`. Unknown shapes give an
/// empty message rather than failing.
pub fn error_message(value: &Value) -> UpstreamMessage {
    if let Some(err) = value.get("error") {
        if let Some(obj) = err.as_object() {
            return UpstreamMessage {
                code: obj.get("code").and_then(lenient::int_like),
                message: obj.get("message").and_then(lenient::text),
                kind: None,
            };
        }
        if let Some(kind) = err.as_str() {
            return UpstreamMessage {
                code: None,
                message: value.get("error_description").and_then(lenient::text),
                kind: Some(kind.to_string()),
            };
        }
    }
    if let Some(first) = value
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        let title = first.get("title").and_then(lenient::text);
        let detail = first.get("detail").and_then(lenient::text);
        let message = match (title, detail) {
            (Some(t), Some(d)) => Some(format!("{t}: {d}")),
            (t, d) => t.or(d),
        };
        let kind = first
            .get("type")
            .and_then(Value::as_str)
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_string());
        return UpstreamMessage {
            code: None,
            message,
            kind,
        };
    }
    UpstreamMessage {
        code: None,
        message: value.get("message").and_then(lenient::text),
        kind: None,
    }
}

/// Reads an error body from raw bytes; non-JSON bodies (HTML error pages) give an empty message.
pub fn error_from_bytes(bytes: &[u8]) -> UpstreamMessage {
    serde_json::from_slice::<Value>(bytes)
        .map(|v| error_message(&v))
        .unwrap_or_default()
}

/// Unwraps `{"type": "...", "attributes": {...}}`; returns the value itself when it is not wrapped
/// (older or trimmed payloads).
pub fn attributes(item: &Value) -> &Value {
    item.get("attributes").unwrap_or(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_false_inside_200_is_an_error() {
        let body = br#"{"success":false,"error":{"code":0,"message":"Time-off type not found."}}"#;
        let err = parse_v1(body).unwrap_err();
        assert_eq!(
            err,
            BodyError::Unsuccessful(UpstreamMessage {
                code: Some(0),
                message: Some("Time-off type not found.".into()),
                kind: None
            })
        );
    }

    #[test]
    fn metadata_is_optional() {
        let body = parse_v1(br#"{"success":true,"data":[]}"#).unwrap();
        assert_eq!(body.meta, PageMeta::default());
        let body = parse_v1(
            br#"{"success":true,"metadata":{"total_elements":3,"current_page":"1","total_pages":1},"offset":0,"limit":200,"data":[]}"#,
        )
        .unwrap();
        assert_eq!(body.meta.current_page, Some(1));
        assert_eq!(body.meta.total_elements, Some(3));
        assert_eq!(body.meta.limit, Some(200));
    }

    #[test]
    fn malformed_json_is_reported_not_panicked() {
        assert!(matches!(
            parse_v1(br#"{"success":true,"data":[{"#),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(parse_v1(b"[]"), Err(BodyError::Malformed(_))));
        assert!(matches!(parse_v1(b"<html>"), Err(BodyError::Malformed(_))));
    }

    #[test]
    fn a_page_reads_like_the_tree_parser() {
        let bodies: [&[u8]; 9] = [
            br#"{"success":true,"metadata":{"total_elements":3,"current_page":"1","total_pages":1},"offset":0,"limit":"200","data":[{"id":1},{"id":"b"}]}"#,
            br#"{"success":true,"data":null}"#,
            br#"{"data":{"id":1}}"#,
            br#"{"success":false,"error":{"code":0,"message":"nope"}}"#,
            br#"{"errors":[{"title":"Forbidden"}]}"#,
            br#"{"success":true}"#,
            br#"{"success":true,"data":[{"#,
            b"[]",
            b"<html>",
        ];
        for body in bodies {
            let tree = parse_v1(body);
            let page = parse_v1_page(body);
            match (tree, page) {
                (Ok(tree), Ok(page)) => {
                    assert_eq!(tree.meta, page.meta);
                    let items = page.items.map(|items| {
                        items
                            .iter()
                            .map(|raw| item_tree(raw).unwrap())
                            .collect::<Vec<_>>()
                    });
                    match tree.data {
                        Value::Array(a) => assert_eq!(items, Some(a)),
                        Value::Null => assert_eq!(items, Some(vec![])),
                        _ => assert_eq!(items, None),
                    }
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{}", String::from_utf8_lossy(body)),
                (a, b) => panic!("{a:?} vs {b:?} for {}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn a_hostile_nesting_fails_its_item_and_overflows_nothing() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        // Within a page, an item deeper than the parser's limit is an error of that item.
        let body = format!(r#"{{"success":true,"data":[{{"id":1}},{}]}}"#, deep(300));
        let page = parse_v1_page(body.as_bytes()).unwrap();
        let items = page.items.unwrap();
        assert!(item_tree(&items[0]).is_ok());
        assert!(matches!(item_tree(&items[1]), Err(BodyError::Malformed(_))));
        // Skimming a page does not recurse: a million levels cost no stack.
        let body = format!(r#"{{"success":true,"data":[{}]}}"#, deep(1_000_000));
        let page = parse_v1_page(body.as_bytes()).unwrap();
        assert!(item_tree(&page.items.unwrap()[0]).is_err());
    }

    #[test]
    fn a_page_rejects_beside_its_items_what_the_tree_parser_rejects() {
        // Skimming would let these through; everything outside `data`'s items is read whole.
        for body in [
            r#"{"success":true,"x":1e999,"data":[]}"#,
            r#"{"success":true,"metadata":{"total_pages":1e999},"data":[]}"#,
            r#"{"success":false,"error":{"message":"\ud800"}}"#,
            r#"{"success":true,"data":{"id":1e999}}"#,
        ] {
            let tree = parse_v1(body.as_bytes()).unwrap_err();
            assert!(matches!(tree, BodyError::Malformed(_)), "{body}");
            assert_eq!(parse_v1_page(body.as_bytes()).unwrap_err(), tree, "{body}");
        }
        // Inside the items, the bad one fails when it is reached.
        let page = parse_v1_page(br#"{"success":true,"data":[{"id":1},{"n":1e999}]}"#).unwrap();
        let items = page.items.unwrap();
        assert!(item_tree(&items[0]).is_ok());
        assert!(item_tree(&items[1]).is_err());
    }

    #[test]
    fn reads_v2_and_oauth_errors() {
        let v2 = serde_json::json!({"personio_trace_id":"x","errors":[{"title":"Resource not found","detail":"There is no resource for the specified id.","type":"https://developer.personio.de/reference/errors#common.resource_not_found","_meta":{}}]});
        let m = error_message(&v2);
        assert_eq!(m.kind.as_deref(), Some("common.resource_not_found"));
        assert!(m.message.unwrap().starts_with("Resource not found"));
        let oauth = serde_json::json!({"error":"invalid_client","error_description":"Client authentication failed"});
        let m = error_message(&oauth);
        assert_eq!(m.kind.as_deref(), Some("invalid_client"));
    }
}
