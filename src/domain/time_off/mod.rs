//! Creating time off safely: validate like Personio would (before any write), find an identical
//! existing absence instead of booking twice, and route day and hour types to their endpoints.
//! Requests always go in *pending* (`skip_approval=false`): Personio's v1 default would
//! auto-approve them.
//!
//! - [`validate`]: pure checks of a request against its type;
//! - [`matching`]: "the same request" and "a clash", DST-proof;
//! - [`plan`]: a draft → a plan (one lookup, the balance), never writing;
//! - [`commit`]: the write, under a per-employee lock, never twice;
//! - [`cancel`]: finding and deleting an absence, never blindly twice.

pub mod cancel;
pub mod commit;
pub mod matching;
pub mod plan;
pub mod validate;

pub use commit::{Lease, WriteGuard, WriteLeases, WriteLocks, commit};
pub use plan::{BalanceEffect, Draft, Plan, prepare};
pub use validate::{MAX_REQUEST_DAYS, TimeOffRequest, validate};
