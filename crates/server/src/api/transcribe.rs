//! Speech to text for voice input: POST /api/{user_id}/transcriptions with the recorded audio as the
//! body. The audio goes to the OpenAI-compatible API's `/audio/transcriptions` route and only the text
//! comes back; nothing of the recording is stored or logged.

use crate::config::ExposeSecret;
use std::{sync::OnceLock, time::Duration};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    routing::post,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::AuthUser,
    config::{Config, LlmProvider},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiPath, ApiQuery},
};

/// Recording formats browsers produce (MediaRecorder) and the transcription API accepts, with the
/// file name extension the API infers the format from.
const FORMATS: &[(&str, &str)] = &[
    ("audio/webm", "webm"),
    ("audio/ogg", "ogg"),
    ("audio/mp4", "mp4"),
    ("audio/x-m4a", "m4a"),
    ("audio/m4a", "m4a"),
    ("audio/mpeg", "mp3"),
    ("audio/mp3", "mp3"),
    ("audio/wav", "wav"),
    ("audio/x-wav", "wav"),
    ("audio/wave", "wav"),
    ("audio/flac", "flac"),
];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TranscribeQuery {
    /// The spoken language as an ISO 639-1 code (`en`, `ur`), a hint for the model; omit to detect.
    #[param(pattern = "^[a-z]{2}$")]
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Transcript {
    /// What was said, as text (to be checked by the user before sending).
    pub text: String,
}

/// Whether this server can transcribe audio (an OpenAI-compatible API and a transcription model).
pub fn available(config: &Config) -> bool {
    config.resolved_llm_provider() == LlmProvider::Openai
        && !config.llm.transcribe_model.trim().is_empty()
}

pub fn router(config: &Config) -> Router<AppState> {
    Router::new().route(
        "/api/{user_id}/transcriptions",
        post(transcribe).layer(DefaultBodyLimit::max(config.llm.transcribe_max_bytes)),
    )
}

fn unavailable() -> ApiError {
    ApiError::client(
        StatusCode::NOT_FOUND,
        "TRANSCRIPTION_UNAVAILABLE",
        "Voice transcription is not configured on this server.",
    )
}

fn failed() -> ApiError {
    ApiError::Upstream {
        status: StatusCode::BAD_GATEWAY,
        code: "TRANSCRIPTION_FAILED",
        message: "The recording could not be transcribed. Please try again.".into(),
    }
}

/// The file extension for the request's content type (parameters such as `;codecs=opus` ignored).
fn extension(headers: &HeaderMap) -> Option<&'static str> {
    let mime = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = mime.split(';').next()?.trim().to_ascii_lowercase();
    FORMATS
        .iter()
        .find(|(m, _)| *m == essence)
        .map(|(_, ext)| *ext)
}

/// Transcribe a voice recording.
#[utoipa::path(post, path = "/api/{user_id}/transcriptions", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id (the token's subject)"), TranscribeQuery),
    request_body(content = Vec<u8>, description = "The recording (webm, ogg, mp4/m4a, mp3, wav or flac), at most TRANSCRIBE_MAX_BYTES",
        content_type = "audio/webm"),
    responses(
        (status = 200, description = "What was said", body = Transcript),
        (status = 400, description = "Empty recording or bad query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "No transcription on this server (TRANSCRIPTION_UNAVAILABLE)", body = ErrorBody),
        (status = 413, description = "Recording too large (AUDIO_TOO_LARGE)", body = ErrorBody),
        (status = 415, description = "Not an audio format the API accepts (UNSUPPORTED_AUDIO)", body = ErrorBody),
        (status = 422, description = "Invalid language", body = ErrorBody),
        (status = 502, description = "The transcription API failed (TRANSCRIPTION_FAILED)", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.transcribe", skip_all, fields(user_id = %user.id))]
pub async fn transcribe(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TranscribeQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Transcript>> {
    user.require_self(&user_id)?;
    let language = match q.language {
        Some(l) if l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()) => Some(l),
        Some(_) => {
            return Err(ApiError::field(
                "language",
                "language must be a two-letter ISO 639-1 code such as en or ur",
            ));
        }
        None => None,
    };
    if !available(&state.config) {
        return Err(unavailable());
    }
    let Some(ext) = extension(&headers) else {
        return Err(ApiError::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_AUDIO",
            "Send the recording as audio/webm, audio/ogg, audio/mp4, audio/mpeg, audio/wav or audio/flac.",
        ));
    };
    let audio = body.map_err(|_| {
        ApiError::client(
            StatusCode::PAYLOAD_TOO_LARGE,
            "AUDIO_TOO_LARGE",
            format!(
                "The recording is larger than {} bytes.",
                state.config.llm.transcribe_max_bytes
            ),
        )
    })?;
    if audio.is_empty() {
        return Err(ApiError::bad_request(
            "EMPTY_AUDIO",
            "The recording is empty.",
        ));
    }
    let text = call_api(&state.config, audio, ext, language).await?;
    Ok(Json(Transcript { text }))
}

fn http_client(timeout: Duration) -> Result<&'static reqwest::Client, ApiError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(ApiError::internal)?;
    Ok(CLIENT.get_or_init(|| client))
}

#[derive(Deserialize)]
struct ApiTranscript {
    text: String,
}

async fn call_api(
    config: &Config,
    audio: Bytes,
    ext: &str,
    language: Option<String>,
) -> ApiResult<String> {
    let url = format!(
        "{}/audio/transcriptions",
        crate::config::trimmed(&config.llm.base_url)
    );
    let part = reqwest::multipart::Part::stream_with_length(audio.clone(), audio.len() as u64)
        .file_name(format!("speech.{ext}"));
    let mut form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("model", config.llm.transcribe_model.trim().to_owned())
        .text("response_format", "json");
    if let Some(l) = language {
        form = form.text("language", l);
    }
    let client = http_client(Duration::from_secs(config.llm.timeout_secs))?;
    let mut req = client.post(&url).multipart(form);
    if let Some(key) = &config.llm.api_key {
        req = req.bearer_auth(key.expose_secret());
    }
    let res = req.send().await.map_err(|e| {
        tracing::warn!(error = %e, "transcription request failed");
        failed()
    })?;
    let status = res.status();
    if !status.is_success() {
        tracing::warn!(%status, "transcription API answered an error");
        return Err(failed());
    }
    let body: ApiTranscript = res.json().await.map_err(|e| {
        tracing::warn!(error = %e, "transcription API answered an unexpected body");
        failed()
    })?;
    Ok(body.text.trim().to_owned())
}
