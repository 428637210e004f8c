//! Tool-argument decoding on arbitrary bytes, the way requests reach the tools:
//! 1. each tool's `*Args` straight from bytes (`serde_json::from_slice`) and from a JSON value
//!    (`serde_json::from_value`, which is what rmcp's `Parameters<T>` does);
//! 2. the bytes as a JSON-RPC client message (rmcp's model): a `tools/call` routes its
//!    `arguments` to the named tool's Args, a `prompts/get` renders the named prompt;
//! 3. whatever decodes goes through the tool's pure checks before any upstream call: limits,
//!    cursors, dates and times, the date window, time-off type resolution and request validation,
//!    query folding.
//!
//! Property: nothing panics.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use personio_mcp::domain::absences::check_window;
use personio_mcp::domain::normalize::same_text;
use personio_mcp::domain::search::Query;
use personio_mcp::domain::time_off::{TimeOffRequest, validate};
use personio_mcp::domain::types::resolve_type;
use personio_mcp::mcp::prompts;
use personio_mcp::mcp::tools::common::{check_limit, cursor, parse_date, parse_time};
use personio_mcp::mcp::tools::create_time_off::CreateTimeOffArgs;
use personio_mcp::mcp::tools::get_employee::GetEmployeeArgs;
use personio_mcp::mcp::tools::get_pto_balance::GetPtoBalanceArgs;
use personio_mcp::mcp::tools::list_absences::ListAbsencesArgs;
use personio_mcp::mcp::tools::list_time_off_types::ListTimeOffTypesArgs;
use personio_mcp::mcp::tools::search_employee::SearchEmployeeArgs;
use personio_mcp::personio::{EmployeeStatus, TimeOffType, Unit};
use rmcp::model::{ClientJsonRpcMessage, ClientRequest, JsonRpcMessage};
use serde_json::Value;

fn types() -> Vec<TimeOffType> {
    let t = |id: i64, name: &str, unit: Unit| TimeOffType {
        id,
        name: name.to_string(),
        category: None,
        unit,
        approval_required: Some(true),
        id_v2: None,
    };
    vec![
        t(1, "Paid vacation", Unit::Days),
        t(2, "Sick leave", Unit::Days),
        t(3, "Überstundenabbau", Unit::Hours),
        t(4, "Home office", Unit::Hours),
        t(5, "Paid leave (special)", Unit::Days),
    ]
}

fn search(args: SearchEmployeeArgs) {
    let _ = check_limit(args.limit, 10, 50);
    let _ = args.query.chars().count();
    let q = Query::new(&args.query);
    let _ = q.is_empty();
    let _ = q.as_email();
    if let Some(s) = &args.status {
        let _ = EmployeeStatus::parse(s);
    }
    for filter in [&args.department, &args.office, &args.team]
        .into_iter()
        .flatten()
    {
        let _ = same_text(filter, "Customer Support");
        let _ = same_text(filter, "München");
    }
    let fingerprint = format!(
        "{}|{:?}|{:?}|{:?}|{:?}",
        args.query, args.department, args.office, args.team, args.status
    );
    let _ = cursor::decode(&fingerprint, args.cursor.as_deref());
}

fn list_absences(args: ListAbsencesArgs) {
    let _ = check_limit(args.limit, 50, 200);
    let from = args.from.as_deref().map(|f| parse_date("from", f));
    let to = args.to.as_deref().map(|t| parse_date("to", t));
    if let (Some(Ok(from)), Some(Ok(to))) = (from, to) {
        let _ = check_window(from, to);
    }
    let types = types();
    for t in args.time_off_types.iter().flatten() {
        let _ = resolve_type(&types, t);
    }
    let _ = cursor::decode(&format!("{:?}", args.status), args.cursor.as_deref());
}

fn create_time_off(args: CreateTimeOffArgs) {
    let types = types();
    let ty = resolve_type(&types, &args.time_off_type);
    let Ok(start) = parse_date("start_date", &args.start_date) else {
        return;
    };
    let end = match args.end_date.as_deref().map(|e| parse_date("end_date", e)) {
        Some(Ok(e)) => e,
        Some(Err(_)) => return,
        None => start,
    };
    let time = |t: &Option<String>, f: &str| t.as_deref().map(|t| parse_time(f, t));
    let (start_time, end_time) = match (
        time(&args.start_time, "start_time"),
        time(&args.end_time, "end_time"),
    ) {
        (Some(Err(_)), _) | (_, Some(Err(_))) => return,
        (s, e) => (s.and_then(Result::ok), e.and_then(Result::ok)),
    };
    let req = TimeOffRequest {
        start_date: start,
        end_date: end,
        half_day_start: args.half_day_start.unwrap_or(false),
        half_day_end: args.half_day_end.unwrap_or(false),
        start_time,
        end_time,
        comment: args.comment.clone(),
    };
    match ty {
        Ok(ty) => {
            let _ = validate(ty, &req);
        }
        Err(_) => {
            for ty in &types {
                let _ = validate(ty, &req);
            }
        }
    }
}

fn pto_balance(args: GetPtoBalanceArgs) {
    let _ = args.employee.trim();
    if let Some(t) = &args.time_off_type {
        let _ = resolve_type(&types(), t);
    }
}

/// Routes decoded arguments to the named tool, as the server's tool router does.
fn call_tool(name: &str, arguments: Value) {
    match name {
        "search_employee" => {
            if let Ok(a) = serde_json::from_value::<SearchEmployeeArgs>(arguments) {
                search(a);
            }
        }
        "list_absences" => {
            if let Ok(a) = serde_json::from_value::<ListAbsencesArgs>(arguments) {
                list_absences(a);
            }
        }
        "create_time_off" => {
            if let Ok(a) = serde_json::from_value::<CreateTimeOffArgs>(arguments) {
                create_time_off(a);
            }
        }
        "get_pto_balance" => {
            if let Ok(a) = serde_json::from_value::<GetPtoBalanceArgs>(arguments) {
                pto_balance(a);
            }
        }
        "get_employee" => {
            let _ = serde_json::from_value::<GetEmployeeArgs>(arguments);
        }
        "list_time_off_types" => {
            let _ = serde_json::from_value::<ListTimeOffTypesArgs>(arguments);
        }
        _ => {}
    }
}

fn get_prompt(name: &str, arguments: Option<serde_json::Map<String, Value>>) {
    let Some(p) = prompts::all().into_iter().find(|p| p.name == name) else {
        return;
    };
    // The conversion the server applies (src/mcp/server.rs, get_prompt).
    let args: BTreeMap<String, String> = arguments
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect();
    let _ = p.render(&args);
}

fuzz_target!(|data: &[u8]| {
    // 1. Straight from bytes.
    if let Ok(a) = serde_json::from_slice::<SearchEmployeeArgs>(data) {
        search(a);
    }
    if let Ok(a) = serde_json::from_slice::<ListAbsencesArgs>(data) {
        list_absences(a);
    }
    if let Ok(a) = serde_json::from_slice::<CreateTimeOffArgs>(data) {
        create_time_off(a);
    }
    if let Ok(a) = serde_json::from_slice::<GetPtoBalanceArgs>(data) {
        pto_balance(a);
    }
    let _ = serde_json::from_slice::<GetEmployeeArgs>(data);
    let _ = serde_json::from_slice::<ListTimeOffTypesArgs>(data);

    // 2. As a JSON value, and as a JSON-RPC message.
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        for name in [
            "search_employee",
            "list_absences",
            "create_time_off",
            "get_pto_balance",
            "get_employee",
            "list_time_off_types",
        ] {
            call_tool(name, value.clone());
        }
    }
    if let Ok(JsonRpcMessage::Request(req)) = serde_json::from_slice::<ClientJsonRpcMessage>(data) {
        match req.request {
            ClientRequest::CallToolRequest(call) => {
                let args = Value::Object(call.params.arguments.unwrap_or_default());
                call_tool(&call.params.name, args);
            }
            ClientRequest::GetPromptRequest(get) => {
                get_prompt(&get.params.name, get.params.arguments);
            }
            _ => {}
        }
    }
});
