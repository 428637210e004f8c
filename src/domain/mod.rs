//! Business logic above the Personio client: the directory cache and search, resolving people,
//! absences, balances and time-off validation. Knows nothing of MCP.

pub mod absence_cache;
pub mod absences;
pub mod calendar;
pub mod directory;
pub mod index;
pub mod normalize;
pub mod records;
pub mod resolve;
pub mod search;
pub mod snapshot;
pub mod time_off;
pub mod types;
