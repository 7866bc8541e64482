use std::fmt;

use serde::{Serialize, de::DeserializeOwned};

/// Whether a message is a command or an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Sent to exactly one handler, which returns a reply.
    Command,
    /// Published to any number of subscribers.
    Event,
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessageKind::Command => "command",
            MessageKind::Event => "event",
        })
    }
}

/// A payload that crosses module boundaries.
///
/// Every message is serialisable (a distributed transport carries it as JSON),
/// validated by `garde` derive rules on send and on receive, and described by
/// a JSON Schema for the schema registry.
///
/// `NAME` must be stable across releases: it is the wire identity of the
/// message. Use `<module>.<snake_case_name>`. Bump `VERSION` when the payload
/// changes shape.
pub trait Message:
    Serialize + DeserializeOwned + garde::Validate<Context = ()> + schemars::JsonSchema + Send + Sync + 'static
{
    /// The stable wire name, e.g. `"orders.place_order"`.
    const NAME: &'static str;
    /// The payload version, starting at 1.
    const VERSION: u32 = 1;
}

/// A request for exactly one handler to do something, with a typed reply.
pub trait Command: Message {
    /// What the handler answers.
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    /// The static description of this command.
    fn info() -> MessageInfo {
        MessageInfo { name: Self::NAME, version: Self::VERSION, kind: MessageKind::Command }
    }
}

/// A fact that happened, for any number of subscribers.
///
/// Events are cloned once per subscriber, so keep them small.
pub trait Event: Message + Clone {
    /// The static description of this event.
    fn info() -> MessageInfo {
        MessageInfo { name: Self::NAME, version: Self::VERSION, kind: MessageKind::Event }
    }
}

/// The static identity of a message type: name, version and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct MessageInfo {
    /// Stable wire name.
    pub name: &'static str,
    /// Payload version.
    pub version: u32,
    /// Command or event.
    pub kind: MessageKind,
}

impl fmt::Display for MessageInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}@v{}", self.kind, self.name, self.version)
    }
}
