//! How a chat turn fails, in the turn's own terms; the HTTP edge maps it to an [`ApiError`].

use axum::http::StatusCode;
use todobot_store::StoreError;

use crate::error::ApiError;

/// Why a turn (or an action that waits for the conversation's turn) could not run. A turn whose
/// model or tools failed is not an error here: it stores and returns a failed reply.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The conversation is not the user's, or was deleted meanwhile.
    #[error("conversation not found")]
    ConversationNotFound,
    /// The user message to answer again is not one of the conversation's.
    #[error("message not found")]
    MessageNotFound,
    /// Another turn held the conversation for longer than a caller waits.
    #[error("the conversation is busy with another turn")]
    Busy,
}

impl From<TurnError> for ApiError {
    fn from(e: TurnError) -> Self {
        match e {
            TurnError::Store(e) => e.into(),
            TurnError::ConversationNotFound => ApiError::NotFound("conversation"),
            TurnError::MessageNotFound => ApiError::NotFound("message"),
            TurnError::Busy => ApiError::client(
                StatusCode::CONFLICT,
                "CONVERSATION_BUSY",
                "This conversation is still answering another message. Please try again.",
            ),
        }
    }
}
