//! The REST API.

pub mod chat;
pub mod tasks;
pub mod transcribe;
