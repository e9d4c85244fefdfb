//! sea-orm entities, one module per table.

pub mod conversations;
pub mod jwks;
pub mod messages;
pub mod rate_limits;
pub mod sessions;
pub mod tasks;
pub mod users;
