//! Who may see and do what. Tools talk to [`guarded::Guarded`], which applies every rule here.
//!
//! - [`principal`]: who is calling (set by the transport or the stdio configuration);
//! - [`access`]: who sees whom (roles over the supervisor tree);
//! - [`fields`]: which attributes may leave the server; [`privacy`]: health masking, caps;
//! - [`write_gate`], [`confirmations`], [`idempotency`]: whether, after whose "yes", and how often
//!   a write happens; [`audit`]: the record of it all.

pub mod access;
pub mod audit;
pub mod confirmations;
pub mod fields;
pub mod guarded;
pub mod human_text;
pub mod idempotency;
pub mod principal;
pub mod privacy;
pub mod state;
pub mod write_gate;
