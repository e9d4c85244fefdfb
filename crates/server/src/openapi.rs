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
        api::tasks::due_tasks,
        api::tasks::get_settings,
        api::tasks::put_settings,
        api::chat::chat,
        api::chat::list_conversations,
        api::chat::get_conversation,
        api::chat::delete_conversation,
        api::chat::list_messages,
        api::transcribe::transcribe,
        health::healthz,
        health::readyz,
        web::public_config,
    ),
    components(schemas(
        error::ErrorBody,
        todobot_store::StatusFilter,
        api::task_fields::SortParam,
        api::chat::OrderParam
    )),
    modifiers(&BearerAuth, &CommonResponses),
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

/// Responses every operation can give, added where a handler's annotation does not list them:
/// 400 (malformed path or query), 401 (secured operations), 413/415 (operations with a JSON body),
/// 429 (auth endpoints' rate limits) and 503 (database unavailable).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            ContentBuilder, Ref, ResponseBuilder,
            path::{HttpMethod, Operation},
        };
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        let ensure = |op: &mut Operation, code: &str, description: &str| {
            op.responses
                .responses
                .entry(code.to_owned())
                .or_insert_with(|| error(description).into());
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            for method in [
                HttpMethod::Get,
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Patch,
                HttpMethod::Delete,
            ] {
                let op = match method {
                    HttpMethod::Get => item.get.as_mut(),
                    HttpMethod::Post => item.post.as_mut(),
                    HttpMethod::Put => item.put.as_mut(),
                    HttpMethod::Patch => item.patch.as_mut(),
                    HttpMethod::Delete => item.delete.as_mut(),
                    _ => None,
                };
                let Some(op) = op else { continue };
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = op.request_body.is_some();
                if path.contains('{') || secured || has_body {
                    ensure(op, "400", "Malformed path, query or body");
                }
                if secured {
                    ensure(op, "401", "Missing, invalid or expired token");
                }
                if has_body || path.ends_with("/complete") {
                    ensure(op, "413", "Body too large");
                    ensure(op, "415", "Body is not JSON");
                    ensure(op, "422", "Invalid input");
                }
                if path.starts_with("/api/auth/sign-") {
                    ensure(op, "429", "Too many attempts");
                }
                if path != "/healthz" && path != "/api/auth/jwks" && path != "/api/config" {
                    ensure(op, "503", "Database unavailable; retry shortly");
                }
            }
        }
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document served at /openapi.json: [`document`] as crates/server/openapi.json holds it. The binary
/// embeds these bytes rather than the ~0.7 MB of generated code that builds the document (bench/README.md
/// "Binary size"); the test below fails when the file is out of date and rewrites it when
/// `TODOBOT_UPDATE_OPENAPI=1` is set.
pub const JSON: &[u8] = include_bytes!("../openapi.json");

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn served_document_is_the_generated_one() {
        let generated = serde_json::to_value(super::document()).expect("document");
        let served: Value = serde_json::from_slice(super::JSON).expect("openapi.json is JSON");
        if generated == served {
            return;
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        if std::env::var_os("TODOBOT_UPDATE_OPENAPI").is_some() {
            let text = serde_json::to_string_pretty(&generated).expect("document") + "\n";
            std::fs::write(path, text).expect("write openapi.json");
        } else {
            panic!(
                "{path} is not the document the code generates: rerun with \
                 TODOBOT_UPDATE_OPENAPI=1 (cargo test -p todobot-server --lib openapi) and commit it"
            );
        }
    }
}
