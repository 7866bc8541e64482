use std::time::Duration;

use core_domain::{DomainError, ValidationReport};

/// A portable classification of [`BusError`], for mapping to HTTP statuses,
/// retry decisions and outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The payload is invalid (HTTP 422). Never retried.
    Validation,
    /// The principal may not send this message (HTTP 403). Never retried.
    Unauthorized,
    /// No handler, unknown message type (HTTP 404). A wiring mistake.
    NotFound,
    /// The handler refused the request for a business reason (HTTP 409).
    Rejected,
    /// The deadline passed (HTTP 504). May be retried.
    Timeout,
    /// The handler or a dependency failed temporarily (HTTP 503). May be retried.
    Unavailable,
    /// A bug: a handler panicked, a middleware broke the pipeline (HTTP 500).
    Internal,
}

/// Why a message could not be sent, published or handled.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// No handler is registered for this command.
    ///
    /// ### Handling
    /// A wiring mistake: register the handler in the owning module's `wire`.
    #[error(
        "no handler registered for command `{message}`: register one with `BusBuilder::command` in the owning module"
    )]
    NoHandler {
        /// The command's name.
        message: &'static str,
    },
    /// The payload broke validation rules; it never reached a handler.
    #[error("invalid `{message}` payload: {report}")]
    Validation {
        /// The message's name.
        message: String,
        /// Every violation with its field path.
        report: ValidationReport,
    },
    /// The auth guard refused the message; it never reached a handler.
    #[error("`{principal}` may not send `{message}`: {reason}")]
    Unauthorized {
        /// The message's name.
        message: &'static str,
        /// The principal's id.
        principal: String,
        /// Why it was refused.
        reason: String,
    },
    /// The handler returned an error.
    #[error("handler of `{message}` failed: {source}")]
    Handler {
        /// The message's name.
        message: &'static str,
        /// What the handler reported.
        #[source]
        source: DomainError,
    },
    /// No reply within the deadline; the handler's work was cancelled.
    #[error("`{message}` got no reply within {after:?}")]
    Timeout {
        /// The message's name.
        message: &'static str,
        /// The deadline that passed.
        after: Duration,
    },
    /// The handler panicked; the bus caught it.
    #[error("handler of `{message}` panicked: {panic}")]
    HandlerPanicked {
        /// The message's name.
        message: &'static str,
        /// The panic message.
        panic: String,
    },
    /// No message of this name and version is registered.
    #[error("unknown message `{name}` v{version}: it is not registered in the schema registry")]
    UnknownMessage {
        /// The requested name.
        name: String,
        /// The requested version.
        version: u32,
    },
    /// The bus handle was used before its builder was built.
    ///
    /// ### Handling
    /// A boot-order mistake: send only after `BusBuilder::build`.
    #[error("the event bus is not started yet: build its `BusBuilder` before sending")]
    NotStarted,
    /// A middleware stopped the message.
    #[error("middleware `{middleware}` stopped `{message}`: {reason}")]
    Middleware {
        /// The middleware's name.
        middleware: &'static str,
        /// The message's name.
        message: &'static str,
        /// Why.
        reason: String,
    },
}

impl BusError {
    /// The portable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NoHandler { .. } | Self::UnknownMessage { .. } => ErrorKind::NotFound,
            Self::Validation { .. } => ErrorKind::Validation,
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::Handler { source: DomainError::Invalid(_), .. } => ErrorKind::Validation,
            Self::Handler { source, .. } if source.is_transient() => ErrorKind::Unavailable,
            Self::Handler { .. } => ErrorKind::Rejected,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::HandlerPanicked { .. } | Self::Middleware { .. } | Self::NotStarted => ErrorKind::Internal,
        }
    }

    /// Whether sending the same message again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind(), ErrorKind::Timeout | ErrorKind::Unavailable)
    }

    /// The validation report, when the payload was invalid (at the bus or
    /// in the handler).
    pub fn validation_report(&self) -> Option<&ValidationReport> {
        match self {
            Self::Validation { report, .. } | Self::Handler { source: DomainError::Invalid(report), .. } => {
                Some(report)
            }
            _ => None,
        }
    }
}
