use std::fmt;

use serde::{Deserialize, Serialize};

/// One broken rule: where, which rule, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Field path, e.g. `lines[0].quantity`; empty for the payload itself.
    pub path: String,
    /// Machine-readable rule code, e.g. `length`, `range`, `email`, `parse`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every violation found in one payload, sorted by field path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    violations: Vec<Violation>,
}

impl ValidationReport {
    /// A report of the given violations.
    pub fn new(violations: Vec<Violation>) -> Self {
        Self { violations }
    }

    /// A report with one violation.
    pub fn single(path: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(vec![Violation { path: path.into(), code: code.into(), message: message.into() }])
    }

    /// Every violation.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Converts a `garde` report, giving each violation a rule code.
    pub fn from_garde(report: &garde::Report) -> Self {
        Self::new(
            report
                .iter()
                .map(|(path, error)| Violation {
                    path: path.to_string(),
                    code: garde_code(error.message()).into(),
                    message: error.message().to_string(),
                })
                .collect(),
        )
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// garde errors carry only a message; recover the rule from its wording.
fn garde_code(message: &str) -> &'static str {
    const CODES: &[(&str, &str)] = &[
        ("email", "email"),
        ("length", "length"),
        ("greater than", "range"),
        ("lower than", "range"),
        ("pattern", "pattern"),
        ("url", "url"),
        ("ascii", "ascii"),
        ("alphanumeric", "alphanumeric"),
        ("not set", "required"),
    ];
    CODES.iter().find(|(needle, _)| message.contains(needle)).map_or("invalid", |(_, code)| code)
}

/// Validates a message payload with its `garde` rules.
///
/// # Errors
/// A [`ValidationReport`] listing every violation.
pub fn validate_payload<T: garde::Validate<Context = ()>>(payload: &T) -> Result<(), ValidationReport> {
    payload.validate().map_err(|report| ValidationReport::from_garde(&report))
}
