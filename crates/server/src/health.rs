//! Liveness, readiness and metrics endpoints.

use std::time::Duration;

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use todobot_store::Store;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `unavailable`.
    pub status: &'static str,
    /// Database state (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    pub version: &'static str,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness: the database answers within a second.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Database unreachable", body = Health),
    ))]
pub async fn readyz(State(store): State<Store>) -> Response {
    let ok = matches!(
        tokio::time::timeout(Duration::from_secs(1), store.ping()).await,
        Ok(Ok(()))
    );
    let (status, body) = if ok {
        (
            StatusCode::OK,
            Health {
                status: "ready",
                database: Some("ok"),
                version: env!("CARGO_PKG_VERSION"),
            },
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Health {
                status: "unavailable",
                database: Some("unreachable"),
                version: env!("CARGO_PKG_VERSION"),
            },
        )
    };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
