//! The one place the caller of an HTTP request is read: the auth middleware attaches the token's
//! [`Principal`] to the request, rmcp hands the request's parts to the MCP layer in the request
//! context, and this function — given to the MCP server as its caller source — reads it back.
//! Production and tests use this same function.

use std::sync::Arc;

use crate::mcp::handler::CallerSource;
use crate::policy::principal::Principal;

/// The principal an HTTP transport attached to the request, if any.
pub fn from_http_request(extensions: &rmcp::model::Extensions) -> Option<Principal> {
    extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Principal>().cloned())
}

/// [`from_http_request`] as a caller source for [`crate::mcp::PersonioServer`].
pub fn http_caller_source() -> CallerSource {
    Arc::new(from_http_request)
}
