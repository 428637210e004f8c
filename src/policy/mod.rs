//! Who may see and do what. For now: the sensitive-field classifier used by every tool that
//! returns employee attributes.

pub mod access;
pub mod audit;
pub mod fields;
pub mod human_text;
pub mod principal;
pub mod privacy;
pub mod state;
pub mod writes;
