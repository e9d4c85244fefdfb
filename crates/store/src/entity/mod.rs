//! sea-orm entities, one module per table.

pub mod conversations;
pub mod jwks;
pub mod messages;
pub mod oauth_clients;
pub mod oauth_grants;
pub mod oauth_refresh_tokens;
pub mod personal_access_tokens;
pub mod rate_limits;
pub mod sessions;
pub mod tasks;
pub mod turn_queue;
pub mod users;
