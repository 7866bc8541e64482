//! The schema registry: every registered message, its JSON Schema, raw JSON validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use core_domain::{Command, Event, Message, MessageKind, ModuleContext};
use core_events::{BusBuilder, BusError, EventBus};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Serialize, Deserialize, garde::Validate, schemars::JsonSchema)]
struct Line {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, garde::Validate, schemars::JsonSchema)]
struct PlaceOrder {
    #[garde(email)]
    email: String,
    #[garde(length(min = 1), dive)]
    lines: Vec<Line>,
}
impl Message for PlaceOrder {
    const NAME: &'static str = "orders.place_order";
}
impl Command for PlaceOrder {
    type Reply = ();
}

#[derive(Debug, Clone, Serialize, Deserialize, garde::Validate, schemars::JsonSchema)]
struct OrderPlaced {
    #[garde(skip)]
    order_id: String,
}
impl Message for OrderPlaced {
    const NAME: &'static str = "orders.order_placed";
    const VERSION: u32 = 2;
}
impl Event for OrderPlaced {}

fn bus() -> EventBus {
    let mut builder = BusBuilder::new();
    builder
        .command("orders", |_c: PlaceOrder, _x: ModuleContext| async { Ok(()) })
        .publishes::<OrderPlaced>("orders")
        .subscribe("notifications", |_e: OrderPlaced, _x: ModuleContext| async { Ok(()) })
        .subscribe("analytics", |_e: OrderPlaced, _x: ModuleContext| async { Ok(()) });
    builder.build().unwrap()
}

#[test]
fn lists_every_registered_message_with_owner_handlers_and_schema() {
    let bus = bus();
    let listed: Vec<_> =
        bus.registry().messages().map(|m| (m.name, m.version, m.kind, m.owner, m.handlers.clone())).collect();
    assert_eq!(
        listed,
        [
            (
                "orders.order_placed",
                2,
                MessageKind::Event,
                Some("orders"),
                vec!["notifications", "analytics"]
            ),
            ("orders.place_order", 1, MessageKind::Command, Some("orders"), vec!["orders"]),
        ]
    );
    let schema = &bus.registry().get("orders.place_order", 1).unwrap().schema;
    assert_eq!(schema["title"], "PlaceOrder");
    assert_eq!(schema["properties"]["email"]["format"], "email", "garde rules reach the schema: {schema}");
    assert!(schema["required"].as_array().unwrap().contains(&json!("lines")));
}

#[test]
fn raw_json_is_validated_against_a_registered_type() {
    let registry = bus().registry().clone();
    let good = json!({ "email": "ann@example.com", "lines": [{ "sku": "SKU-1", "quantity": 2 }] });
    registry.validate_json("orders.place_order", 1, good).unwrap();

    let invalid = json!({ "email": "nope", "lines": [{ "sku": "", "quantity": 0 }] });
    let error = registry.validate_json("orders.place_order", 1, invalid).unwrap_err();
    let paths: Vec<_> =
        error.validation_report().unwrap().violations().iter().map(|v| v.path.clone()).collect();
    assert_eq!(paths, ["email", "lines[0].quantity", "lines[0].sku"]);

    let malformed = json!({ "email": "ann@example.com", "lines": [{ "sku": "S", "quantity": "two" }] });
    let error = registry.validate_json("orders.place_order", 1, malformed).unwrap_err();
    let violation = &error.validation_report().unwrap().violations()[0];
    assert_eq!((violation.path.as_str(), violation.code.as_str()), ("lines[0].quantity", "parse"));
}

#[test]
fn a_missing_field_is_reported_at_its_own_path() {
    let registry = bus().registry().clone();
    let error =
        registry.validate_json("orders.place_order", 1, json!({ "email": "ann@example.com" })).unwrap_err();
    let violation = &error.validation_report().unwrap().violations()[0];
    assert_eq!((violation.path.as_str(), violation.code.as_str()), ("lines", "required"));
    let nested = json!({ "email": "ann@example.com", "lines": [{ "sku": "S" }] });
    let error = registry.validate_json("orders.place_order", 1, nested).unwrap_err();
    assert_eq!(error.validation_report().unwrap().violations()[0].path, "lines[0].quantity");
}

#[test]
fn unknown_types_and_versions_are_rejected_clearly() {
    let registry = bus().registry().clone();
    let error = registry.validate_json("orders.cancel_order", 1, json!({})).unwrap_err();
    assert!(matches!(&error, BusError::UnknownMessage { name, version: 1 } if name == "orders.cancel_order"));
    assert_eq!(
        error.to_string(),
        "unknown message `orders.cancel_order` v1: it is not registered in the schema registry"
    );
    let error = registry.validate_json("orders.order_placed", 1, json!({ "order_id": "A" })).unwrap_err();
    assert!(matches!(error, BusError::UnknownMessage { version: 1, .. }));
}
