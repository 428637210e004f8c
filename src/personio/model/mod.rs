//! Personio's wire formats, quirks and all. Nothing outside `personio` sees these shapes: the
//! parsers here turn them into the clean types of [`crate::personio::types`].

pub mod absence;
pub mod attributes;
pub mod employee;
pub mod envelope;
pub mod lenient;
