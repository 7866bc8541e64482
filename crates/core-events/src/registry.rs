use std::{any::TypeId, collections::BTreeMap};

use core_domain::{Message, MessageKind, ValidationReport, Violation, validate_payload};
use serde::Serialize;

use crate::BusError;

type DecodeFn = fn(serde_json::Value) -> Result<(), ValidationReport>;

/// One registered message type, as the schema registry describes it.
#[derive(Debug, Clone, Serialize)]
pub struct MessageSchema {
    /// Stable wire name.
    pub name: &'static str,
    /// Payload version.
    pub version: u32,
    /// Command or event.
    pub kind: MessageKind,
    /// The module that owns it: a command's handler module, an event's
    /// declared publisher (`None` until a module declares it).
    pub owner: Option<&'static str>,
    /// Modules that handle it (one for a command; every subscriber for an event).
    pub handlers: Vec<&'static str>,
    /// The payload's JSON Schema (draft 2020-12, from `schemars`), including
    /// the validation rules it can express.
    pub schema: serde_json::Value,
    #[serde(skip)]
    type_id: TypeId,
    #[serde(skip)]
    decode: DecodeFn,
}

/// Every message type the bus knows, by name and version.
///
/// The path a distributed transport takes: raw JSON is checked against a
/// registered type with [`SchemaRegistry::validate_json`] before any typed
/// handler sees it.
#[derive(Debug, Clone, Default)]
pub struct SchemaRegistry {
    entries: BTreeMap<(&'static str, u32), MessageSchema>,
}

impl SchemaRegistry {
    /// Every registered message, sorted by name then version.
    pub fn messages(&self) -> impl Iterator<Item = &MessageSchema> {
        self.entries.values()
    }

    /// One message by name and version.
    pub fn get(&self, name: &str, version: u32) -> Option<&MessageSchema> {
        self.entries.iter().find(|((n, v), _)| *n == name && *v == version).map(|(_, s)| s)
    }

    /// Checks raw JSON against a registered message: it must decode into the
    /// type and pass its validation rules.
    ///
    /// # Errors
    /// [`BusError::UnknownMessage`] for an unregistered name or version;
    /// [`BusError::Validation`] with every rule violation. A payload that
    /// does not decode reports its first decoding error only: code
    /// `required` with the missing field's path, or `parse` with the path
    /// where decoding stopped.
    pub fn validate_json(
        &self,
        name: &str,
        version: u32,
        payload: serde_json::Value,
    ) -> Result<(), BusError> {
        let schema =
            self.get(name, version).ok_or_else(|| BusError::UnknownMessage { name: name.into(), version })?;
        (schema.decode)(payload).map_err(|report| BusError::Validation { message: name.into(), report })
    }

    /// Records that `module` handles (or publishes, when `handler` is false) `M`.
    /// Returns an error message when another type already uses `M`'s name and version.
    pub(crate) fn register<M: Message>(
        &mut self,
        kind: MessageKind,
        module: &'static str,
        role: Role,
    ) -> Result<(), String> {
        let entry = self.entries.entry((M::NAME, M::VERSION)).or_insert_with(|| MessageSchema {
            name: M::NAME,
            version: M::VERSION,
            kind,
            owner: None,
            handlers: Vec::new(),
            schema: schemars::schema_for!(M).to_value(),
            type_id: TypeId::of::<M>(),
            decode: decode::<M>,
        });
        if entry.type_id != TypeId::of::<M>() {
            return Err(format!(
                "two different types use the message name `{}` v{}: rename one or bump its version",
                M::NAME,
                M::VERSION
            ));
        }
        match role {
            Role::Handler => {
                entry.handlers.push(module);
                if kind == MessageKind::Command {
                    entry.owner = Some(module);
                }
            }
            Role::Publisher => entry.owner = Some(module),
        }
        Ok(())
    }
}

/// Why a module registers a message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    Handler,
    Publisher,
}

fn decode<M: Message>(payload: serde_json::Value) -> Result<(), ValidationReport> {
    let message: M = serde_path_to_error::deserialize(payload).map_err(|error| {
        let parent = error.path().to_string();
        let parent = if parent == "." { String::new() } else { parent };
        let message = error.into_inner().to_string();
        // serde reports a missing field at its parent: point at the field.
        let path = match message.strip_prefix("missing field `").and_then(|rest| rest.split_once('`')) {
            Some((field, _)) if parent.is_empty() => field.to_owned(),
            Some((field, _)) => format!("{parent}.{field}"),
            None => parent,
        };
        let code = if message.starts_with("missing field") { "required" } else { "parse" };
        ValidationReport::new(vec![Violation { path, code: code.into(), message }])
    })?;
    validate_payload(&message)
}
