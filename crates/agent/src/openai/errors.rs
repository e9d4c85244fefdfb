//! How a failed request to the model is reported.

use async_openai::error::OpenAIError;

use crate::FailureKind;

/// What one failed request means for the turn.
pub(crate) struct RequestFailure {
    pub kind: FailureKind,
    pub detail: String,
}

pub(crate) fn classify(e: OpenAIError) -> RequestFailure {
    match e {
        OpenAIError::Reqwest(e) if e.is_timeout() => RequestFailure {
            kind: FailureKind::Timeout,
            detail: e.to_string(),
        },
        OpenAIError::Reqwest(e) => {
            let status = e.status().map(|s| s.as_u16());
            match status {
                Some(429) => RequestFailure {
                    kind: FailureKind::RateLimited,
                    detail: e.to_string(),
                },
                Some(s) if s < 500 => RequestFailure {
                    kind: FailureKind::BadResponse,
                    detail: e.to_string(),
                },
                _ if e.is_decode() => RequestFailure {
                    kind: FailureKind::BadResponse,
                    detail: e.to_string(),
                },
                _ => RequestFailure {
                    kind: FailureKind::Unavailable,
                    detail: e.to_string(),
                },
            }
        }
        OpenAIError::ApiError(api) => {
            let code = api.status_code.as_u16();
            let kind = match code {
                429 => FailureKind::RateLimited,
                408 | 504 => FailureKind::Timeout,
                // 5xx, or 4xx: our request or credentials are wrong
                _ => FailureKind::Unavailable,
            };
            RequestFailure {
                kind,
                detail: format!("HTTP {code}: {}", api.api_error.message),
            }
        }
        OpenAIError::JSONDeserialize(e, body) => RequestFailure {
            kind: FailureKind::BadResponse,
            detail: format!(
                "{e}; body starts {:?}",
                body.chars().take(200).collect::<String>()
            ),
        },
        // the stream broke off after it had started (a cut connection, or the request's time ran out)
        OpenAIError::StreamError(e) => {
            let detail = e.to_string();
            let kind = if detail.contains("timed out") || detail.contains("timeout") {
                FailureKind::Timeout
            } else {
                FailureKind::Unavailable
            };
            RequestFailure { kind, detail }
        }
        other => RequestFailure {
            kind: FailureKind::Unavailable,
            detail: other.to_string(),
        },
    }
}
