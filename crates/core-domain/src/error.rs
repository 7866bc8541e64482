use crate::ValidationReport;

/// A domain failure, as a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// The payload broke one or more validation rules.
    #[error("invalid payload: {0}")]
    Invalid(ValidationReport),
    /// A business rule refused the request (out of stock, card declined…).
    ///
    /// ### Handling
    /// Not retried: the same request would be refused again. Sagas compensate.
    #[error("{code}: {message}")]
    Rejected {
        /// Machine-readable reason, e.g. `out_of_stock`.
        code: String,
        /// Human-readable explanation.
        message: String,
    },
    /// A temporary failure (a dependency is down); retrying may succeed.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
}

impl DomainError {
    /// A business refusal with a code and a message.
    pub fn rejected(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Rejected { code: code.into(), message: message.into() }
    }

    /// Whether retrying the same request may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}
