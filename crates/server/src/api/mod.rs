//! The REST API.

pub mod tasks;
