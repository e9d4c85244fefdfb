//! The REST API.

pub mod chat;
mod chat_stream;
pub mod task_fields;
pub mod tasks;
pub mod transcribe;
