//! The OpenAPI 3.1 document (served at /openapi.json, browsable at /docs).

use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use crate::{api, auth, error, health, web};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "todobot API",
        description = "Multi-user todo app driven by an AI chatbot. Sign up or sign in under /api/auth \
                       (Better Auth compatible), exchange the session for an access token at \
                       /api/auth/token, and send it as `Authorization: Bearer <token>`.",
        license(name = "MIT")
    ),
    paths(
        auth::routes::sign_up,
        auth::routes::sign_in,
        auth::routes::sign_out,
        auth::routes::get_session,
        auth::routes::token,
        auth::routes::jwks,
        api::tasks::list_tasks,
        api::tasks::create_task,
        api::tasks::get_task,
        api::tasks::update_task,
        api::tasks::delete_task,
        api::tasks::complete_task,
        api::chat::chat,
        api::chat::list_conversations,
        api::chat::get_conversation,
        api::chat::delete_conversation,
        api::chat::list_messages,
        health::healthz,
        health::readyz,
        web::public_config,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts, sessions and access tokens"),
        (name = "tasks", description = "Your tasks"),
        (name = "chat", description = "Talk to the assistant; conversations and their messages"),
        (name = "operations", description = "Health and configuration"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
