//! The HTTP transport's security configuration parsers on arbitrary text: the bearer-token file
//! format (`TOKEN EMAIL ROLE` lines, `sha256:` hashes, the comma-separated env form), and the
//! `--allowed-host` / `--allowed-origin` entry lists.
//!
//! Properties: nothing panics; a token accepted from the file authenticates as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use personio_mcp::transport::security::{HostPolicy, OriginPolicy, TokenStore};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for commas in [false, true] {
        if let Ok(store) = TokenStore::parse(text, "fuzz", commas) {
            let _ = store.len();
            // Every plain token listed must authenticate.
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("");
                for entry in line.split(',') {
                    if let Some(token) = entry.split_whitespace().next()
                        && !token.starts_with("sha256:")
                        && entry.split_whitespace().count() == 3
                        && !commas
                        && !line.contains(',')
                    {
                        assert!(store.authenticate(token).is_some(), "listed token rejected");
                    }
                }
            }
            let _ = store.authenticate(text);
        }
    }
    let entries: Vec<String> = text.split([',', '\n']).map(str::to_string).collect();
    if let Ok(mut hosts) = HostPolicy::parse(&entries) {
        let _ = hosts.rmcp_entries();
        for e in &entries {
            hosts.allow(e);
        }
        let _ = hosts.allows_any();
    }
    if let Ok(origins) = OriginPolicy::parse(&entries) {
        let _ = origins.rmcp_entries();
        let _ = origins.allows_any();
    }
});
