//! One logical request to Personio, as the operations describe it and the executor sends it.
//!
//! Kept apart from the executor (`http`) and the failure classification (`failure`) so both can
//! name it without importing each other.

use reqwest::Method;

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
}

/// One logical request to Personio.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Path below the base URL, e.g. `/v1/company/employees`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
    /// What the credential must be allowed to do, for PERMISSION_MISSING messages
    /// (e.g. "read employees", "write absences").
    pub permission: &'static str,
    /// What a 404 means, e.g. "employee" (for NOT_FOUND messages).
    pub resource: &'static str,
}

impl Request {
    pub fn get(path: impl Into<String>, permission: &'static str, resource: &'static str) -> Self {
        Request::new(Method::GET, path, permission, resource)
    }

    pub fn new(
        method: Method,
        path: impl Into<String>,
        permission: &'static str,
        resource: &'static str,
    ) -> Self {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            permission,
            resource,
        }
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }

    /// Safe to send again after it may have reached Personio. Only reads qualify: a DELETE
    /// repeated after a lost answer would report "not found" for a record it just deleted (or,
    /// with reused ids, hit another one), so writes of every kind are never replayed blindly.
    pub fn replayable(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD)
    }
}
