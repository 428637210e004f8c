//! One line of stdio input, read as rmcp would read it, or the JSON-RPC error it gets instead.
//!
//! - A line that is not JSON (garbage, invalid UTF-8, NUL bytes, nesting deeper than serde_json's
//!   limit, a line over [`super::stdio::MAX_LINE`]) gets a parse error (-32700).
//! - A JSON value that is not an object (a batch array, a number) gets an invalid request error
//!   (-32600).
//! - A request rmcp cannot read (`params` of the wrong shape) gets an invalid request error
//!   carrying its id, so that the client's call fails at once instead of waiting.
//! - A `tools/call`, nearly every line of a session, is read straight into rmcp's tool-call
//!   request. rmcp's generic parse tries its request kinds in turn (the call is the fourteenth):
//!   ~4 µs a line against ~1.5 µs.

use rmcp::RoleServer;
use rmcp::model::{CallToolRequest, ClientRequest, JsonRpcMessage, JsonRpcRequest};
use rmcp::service::RxJsonRpcMessage;
use serde::Deserialize;
use serde_json::json;

/// A message from the client, as rmcp reads it.
pub(super) type Incoming = RxJsonRpcMessage<RoleServer>;

/// What to do with one line of input.
#[derive(Debug)]
pub(super) enum Frame {
    Message(Box<Incoming>),
    Reply(String),
    Skip,
}

fn error_reply(code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}).to_string()
}

/// The kind of a JSON value: all `classify` needs to know of a line.
enum Kind {
    Object,
    Array,
    Other,
}

/// Checks a JSON value as `serde_json::Value` would (syntax, UTF-8, nesting limit) without building
/// it, to tell a line that is not JSON from one that is not a message (only lines rmcp refused
/// come here).
struct Checked(Kind);

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckVisitor)
    }
}

struct CheckVisitor;

impl<'de> serde::de::Visitor<'de> for CheckVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked(Kind::Other))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked(Kind::Other))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked(Kind::Other))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked(Kind::Other))
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked(Kind::Other))
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked(Kind::Other))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked(Kind::Array))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked(Kind::Object))
    }
}

/// The keys rmcp looks at to tell a request from a notification or a response.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Key {
    Method,
    Id,
    Result,
    Error,
    #[serde(other)]
    Other,
}

/// What rmcp requires of a request's keys: `method` and `id`, neither `result` nor `error`
/// (rmcp refuses an object with both, and so must the shortcut below).
struct RequestShape;

impl<'de> Deserialize<'de> for RequestShape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = RequestShape;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON-RPC request")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RequestShape, A::Error> {
                let (mut method, mut id, mut answer) = (false, false, false);
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Method => method = true,
                        Key::Id => id = true,
                        Key::Result | Key::Error => answer = true,
                        Key::Other => {}
                    }
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                if method && id && !answer {
                    Ok(RequestShape)
                } else {
                    Err(serde::de::Error::custom("not a request"))
                }
            }
        }
        d.deserialize_map(Keys)
    }
}

/// A `tools/call` request, read as rmcp reads one once it has tried the request kinds before it.
#[derive(Deserialize)]
struct ToolCall {
    #[serde(flatten)]
    _shape: RequestShape,
    #[serde(flatten)]
    call: JsonRpcRequest<CallToolRequest>,
}

/// The message on a line, as rmcp's own parse would give it, or `None` if rmcp would refuse it.
fn parse_message(line: &[u8]) -> Option<Incoming> {
    if let Ok(ToolCall { call, .. }) = serde_json::from_slice::<ToolCall>(line) {
        return Some(JsonRpcMessage::Request(JsonRpcRequest::new(
            call.id,
            ClientRequest::CallToolRequest(call.request),
        )));
    }
    serde_json::from_slice::<Incoming>(line).ok()
}

/// The answer to a JSON object that is no message rmcp reads: an invalid request error with the
/// request's id, so that the client's call fails now. Notifications and responses get none
/// (JSON-RPC answers neither, and answering a peer's malformed answer could start a loop).
fn refuse_object(line: &[u8]) -> Frame {
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        method: Option<serde::de::IgnoredAny>,
    }
    let Ok(Envelope {
        id: Some(id @ (serde_json::Value::Number(_) | serde_json::Value::String(_))),
        method: Some(_),
    }) = serde_json::from_slice::<Envelope>(line)
    else {
        tracing::debug!("ignoring a JSON object that is no JSON-RPC request");
        return Frame::Skip;
    };
    Frame::Reply(
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32600, "message":
            "Invalid Request: not a request this server can read (check jsonrpc, id and params)"}})
        .to_string(),
    )
}

pub(super) fn classify(line: &[u8], too_long: bool) -> Frame {
    if too_long {
        return Frame::Reply(error_reply(
            -32700,
            "Parse error: the line is longer than 4 MiB",
        ));
    }
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Frame::Skip;
    }
    if let Some(message) = parse_message(trimmed) {
        return Frame::Message(Box::new(message));
    }
    match serde_json::from_slice::<Checked>(trimmed) {
        Err(_) => Frame::Reply(error_reply(
            -32700,
            "Parse error: not a JSON-RPC message (one JSON object per line, UTF-8)",
        )),
        Ok(Checked(Kind::Object)) => refuse_object(trimmed),
        Ok(Checked(Kind::Array)) => Frame::Reply(error_reply(
            -32600,
            "Invalid Request: batches are not supported; send one request per line",
        )),
        Ok(Checked(Kind::Other)) => Frame::Reply(error_reply(
            -32600,
            "Invalid Request: not a JSON-RPC object",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_get_json_rpc_errors() {
        let code = |f: Frame| match f {
            Frame::Reply(r) => {
                serde_json::from_str::<serde_json::Value>(&r).unwrap()["error"]["code"]
                    .as_i64()
                    .unwrap()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(code(classify(b"garbage", false)), -32700);
        assert_eq!(code(classify(b"{\"a\":\x00}", false)), -32700);
        assert_eq!(code(classify(&[0xff, 0xfe], false)), -32700);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(code(classify(deep.as_bytes(), false)), -32700);
        assert_eq!(code(classify(b"[1,2]", false)), -32600);
        assert_eq!(code(classify(b"7", false)), -32600);
        assert_eq!(code(classify(b"{}", true)), -32700);
        assert!(matches!(classify(b"  ", false), Frame::Skip));
        assert!(matches!(
            classify(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", false),
            Frame::Message(_)
        ));
        // A request rmcp cannot read is refused with its id; a notification or an answer is not.
        let refused = classify(
            b"{\"jsonrpc\":\"2.0\",\"id\":\"r7\",\"method\":\"tools/call\",\"params\":[1]}",
            false,
        );
        let Frame::Reply(r) = refused else {
            panic!("{refused:?}")
        };
        let r: serde_json::Value = serde_json::from_str(&r).unwrap();
        assert_eq!(
            (r["id"].as_str(), r["error"]["code"].as_i64()),
            (Some("r7"), Some(-32600))
        );
        assert!(matches!(
            classify(b"{\"jsonrpc\":\"2.0\"}", false),
            Frame::Skip
        ));
        assert!(matches!(
            classify(
                b"{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":7}",
                false
            ),
            Frame::Skip
        ));
        // Inside an object too: invalid UTF-8 in a value or a key, nesting, trailing bytes.
        assert_eq!(code(classify(b"{\"a\":\"\xff\"}", false)), -32700);
        assert_eq!(code(classify(b"{\"\xc3\":1}", false)), -32700);
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(code(classify(deep.as_bytes(), false)), -32700);
        assert_eq!(code(classify(b"{} x", false)), -32700);
        assert_eq!(code(classify(b"{\"a\":1,}", false)), -32700);
    }

    /// The check without a tree accepts exactly the lines `serde_json::Value` accepts, with the
    /// same kind (the check exists so that rmcp, which parses into a tree, never gets a line it
    /// would drop).
    #[test]
    fn the_check_agrees_with_a_full_parse() {
        let deep_ok = format!("{{\"a\":{}1{}}}", "[".repeat(120), "]".repeat(120));
        let deep_bad = format!("{{\"a\":{}1{}}}", "[".repeat(130), "]".repeat(130));
        let lines: Vec<&[u8]> = vec![
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"q\":\"M\xc3\xbcller\\u00fc\"}}",
            b"{\"a\":[1,2.5,-3e9,true,false,null,{\"b\":[]}]}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":1e999}",
            b"{\"a\":18446744073709551616}",
            b"{\"a\":01}",
            b"[]",
            b"\"s\"",
            b"null",
            b"{\"a\" 1}",
            deep_ok.as_bytes(),
            deep_bad.as_bytes(),
        ];
        for line in lines {
            let full = match serde_json::from_slice::<serde_json::Value>(line) {
                Err(_) => "error",
                Ok(serde_json::Value::Object(_)) => "object",
                Ok(serde_json::Value::Array(_)) => "array",
                Ok(_) => "other",
            };
            let checked = match serde_json::from_slice::<Checked>(line) {
                Err(_) => "error",
                Ok(Checked(Kind::Object)) => "object",
                Ok(Checked(Kind::Array)) => "array",
                Ok(Checked(Kind::Other)) => "other",
            };
            assert_eq!(checked, full, "{}", String::from_utf8_lossy(line));
        }
    }

    /// The tool-call shortcut reads exactly what rmcp's own parse reads, and refuses what it
    /// refuses: any difference would change what a tool sees.
    #[test]
    fn the_tool_call_shortcut_agrees_with_rmcp() {
        let meta =
            r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","progressToken":3}"#;
        let lines = [
            format!(
                r#"{{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{{"name":"search_employee","arguments":{{"query":"M\u00fcller"}},{meta}}}}}"#
            ),
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}"#.into(),
            r#"{"id":7,"method":"tools/call","params":{"name":"x","arguments":{}},"jsonrpc":"2.0","extra":1}"#.into(),
            r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"x"},"result":{}}"#.into(),
            r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"arguments":{}}}"#.into(),
            r#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"x","arguments":[1]}}"#.into(),
            r#"{"jsonrpc":"1.0","id":11,"method":"tools/call","params":{"name":"x"}}"#.into(),
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}"#.into(),
            r#"{"jsonrpc":"2.0","id":12,"method":"tools/list"}"#.into(),
        ];
        for line in &lines {
            let ours = parse_message(line.as_bytes());
            let theirs = serde_json::from_slice::<Incoming>(line.as_bytes()).ok();
            assert_eq!(
                ours.as_ref()
                    .map(|m| (serde_json::to_value(m).unwrap(), format!("{m:?}"))),
                theirs
                    .as_ref()
                    .map(|m| (serde_json::to_value(m).unwrap(), format!("{m:?}"))),
                "{line}"
            );
        }
        // The shortcut took the first line, and kept its metadata.
        let Some(JsonRpcMessage::Request(first)) = parse_message(lines[0].as_bytes()) else {
            panic!("not a request")
        };
        let ClientRequest::CallToolRequest(call) = first.request else {
            panic!("not a tool call")
        };
        assert_eq!(call.params.name, "search_employee");
        assert!(serde_json::from_slice::<ToolCall>(lines[0].as_bytes()).is_ok());
        assert!(serde_json::from_slice::<ToolCall>(lines[3].as_bytes()).is_err());
    }
}
