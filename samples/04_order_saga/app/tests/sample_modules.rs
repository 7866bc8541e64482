//! The sample's modules: discovered from their own crates, validated and
//! received across modules, and refused at boot when bindings are missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{path::Path, time::Duration};

use core_di::{Boot, Profile};
use core_domain::{Message, ModuleContext, Principal};
use core_events::ErrorKind;
use order_contracts::{
    GetNotifications, OrderLine, OrderPlaced, OrderStatus, PlaceOrder, SetStock, StockLine,
};
use order_saga::{App, AppProfile};

fn operator() -> ModuleContext {
    ModuleContext::new("tests", Principal::user("op", ["operator"]))
}

fn order(id: &str) -> PlaceOrder {
    PlaceOrder {
        order_id: id.into(),
        customer_email: "ann@example.com".into(),
        lines: vec![OrderLine { sku: "SKU-1".into(), quantity: 2, unit_price_cents: 500 }],
        payment_token: "tok_visa".into(),
        shipping_country: "FR".into(),
    }
}

#[tokio::test]
async fn every_module_crate_is_discovered_at_boot() {
    let app = App::boot(AppProfile::Memory, Path::new("unused.db")).await.unwrap();
    assert_eq!(app.modules, ["inventory", "notifications", "orders", "payments", "shipping"]);
    let names: Vec<_> = app.bus.registry().messages().map(|m| m.name).collect();
    assert!(names.contains(&PlaceOrder::NAME) && names.contains(&OrderPlaced::NAME), "{names:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn an_order_placed_in_orders_is_validated_and_received_by_notifications() {
    let app = App::boot(AppProfile::Memory, Path::new("unused.db")).await.unwrap();
    app.bus
        .send(&operator(), SetStock { levels: vec![StockLine { sku: "SKU-1".into(), quantity: 5 }] })
        .await
        .unwrap();
    let customer = ModuleContext::new("web", Principal::user("ann", ["customer"]));
    let outcome = app.bus.send(&customer, order("A-1")).await.unwrap();
    assert_eq!(outcome.status, OrderStatus::Completed);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let received = loop {
        let notes = app.bus.send(&operator(), GetNotifications {}).await.unwrap();
        if !notes.received.is_empty() && !notes.invoices.is_empty() || tokio::time::Instant::now() > deadline
        {
            break notes;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(received.received, ["A-1"]);
    assert_eq!(received.invoices.len(), 1);
    assert_eq!(
        received.invoices[0].correlation_id,
        customer.correlation_id().to_string(),
        "the background task got the context of the conversation that started it"
    );

    // An invalid event is stopped at the bus: notifications never sees it.
    let orders = ModuleContext::new("orders", Principal::service("orders"));
    let bad = OrderPlaced { order_id: "A-2".into(), customer_email: "nope".into(), total_cents: 10 };
    let error = app.bus.publish(&orders, bad).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.validation_report().unwrap().violations()[0].path, "customer_email");
    let notes = app.bus.send(&operator(), GetNotifications {}).await.unwrap();
    assert_eq!(notes.received, ["A-1"]);
    app.shutdown().await;
}

#[tokio::test]
async fn only_customers_place_orders_and_only_services_move_money() {
    let app = App::boot(AppProfile::Memory, Path::new("unused.db")).await.unwrap();
    let anonymous = ModuleContext::new("web", Principal::anonymous());
    let error = app.bus.send(&anonymous, order("A-9")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
    let customer = ModuleContext::new("web", Principal::user("mallory", ["customer"]));
    let refund = order_contracts::RefundPayment { order_id: "A-1".into() };
    let error = app.bus.send(&customer, refund).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "`mallory` may not send `payments.refund_payment`: requires role `service`"
    );
    app.shutdown().await;
}

#[test]
fn boot_without_bindings_names_every_missing_one_and_who_needs_it() {
    // The real modules, discovered, with nothing bound: one report.
    let mut boot = Boot::new(Profile::new("memory"));
    boot.extension(core_events::BusBuilder::new())
        .extension(core_tasks::TaskRegistry::new())
        .extension(core_di::StartupHooks::default());
    let report = boot.run().unwrap_err();
    let text = report.to_string();
    for module in ["inventory", "notifications", "orders", "payments", "shipping"] {
        assert!(
            text.contains(&format!("missing binding for sea_orm::database::db_connection::DatabaseConnection, needed by module `{module}`")),
            "{module} missing from:\n{text}"
        );
    }
    assert!(text.contains("core_saga::coordinator::SagaCoordinator, needed by module `orders`"), "{text}");
    assert!(text.contains("core_events::bus::EventBus, needed by module `orders`"), "{text}");
    assert!(
        text.contains("Arc<dyn core_tasks::task::TaskQueue>, needed by module `notifications`"),
        "{text}"
    );
    assert_eq!(report.len(), 8, "{text}");
}
