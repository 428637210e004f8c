//! One module per tool: arguments (serde + schemars; doc comments become the schema's
//! descriptions) → domain call → output struct.

pub mod common;
pub mod create_time_off;
pub mod get_employee;
pub mod get_pto_balance;
pub mod list_absences;
pub mod list_time_off_types;
pub mod search_employee;
