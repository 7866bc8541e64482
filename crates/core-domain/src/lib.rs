//! # core-domain: the domain kernel
//!
//! The vocabulary every other crate of the engine speaks, with no I/O:
//!
//! - [`Message`], [`Command`] (one handler, a typed reply) and [`Event`]
//!   (any number of subscribers), each with a stable [`Message::NAME`] and
//!   [`Message::VERSION`];
//! - [`Metadata`]: what travels with every message (ids, correlation chain,
//!   timestamp, source module, [`Principal`], W3C `traceparent`, headers);
//! - [`ModuleContext`]: which module runs, for whom, in which correlation
//!   chain; handlers, saga steps and background tasks all receive one;
//! - [`Module`]: a named unit of an application and what it depends on;
//! - [`ValidationReport`]: the uniform report of every payload violation;
//! - [`DomainError`]: domain failures as values.
//!
//! ```
//! use core_domain::{Command, Message, ModuleContext, Principal};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, Serialize, Deserialize, garde::Validate, schemars::JsonSchema)]
//! struct ReserveStock {
//!     #[garde(length(min = 1))]
//!     sku: String,
//!     #[garde(range(min = 1))]
//!     quantity: u32,
//! }
//!
//! impl Message for ReserveStock {
//!     const NAME: &'static str = "inventory.reserve_stock";
//! }
//! impl Command for ReserveStock {
//!     type Reply = u32;
//! }
//!
//! let bad = ReserveStock { sku: String::new(), quantity: 0 };
//! let report = core_domain::validate_payload(&bad).unwrap_err();
//! assert_eq!(report.violations().len(), 2);
//! let paths: Vec<_> = report.violations().iter().map(|v| v.path.as_str()).collect();
//! assert_eq!(paths, ["quantity", "sku"]);
//!
//! let ctx = ModuleContext::new("orders", Principal::service("orders"));
//! assert_eq!(ctx.module(), "orders");
//! ```

mod context;
mod error;
mod message;
mod metadata;
mod module;
mod principal;
mod validation;

pub use context::ModuleContext;
pub use error::DomainError;
pub use message::{Command, Event, Message, MessageInfo, MessageKind};
pub use metadata::{CorrelationId, MessageId, Metadata};
pub use module::Module;
pub use principal::{Principal, PrincipalKind};
pub use validation::{ValidationReport, Violation, validate_payload};

/// The message of a caught panic (`&str` or `String` payloads), for turning
/// a handler's or a step's panic into an error value.
///
/// ```
/// let caught = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
/// assert_eq!(core_domain::panic_message(&*caught), "boom 1");
/// ```
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}
