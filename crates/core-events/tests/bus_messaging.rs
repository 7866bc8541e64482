//! send / request / publish semantics of the in-memory bus.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use core_domain::{Command, DomainError, Event, Message, ModuleContext, Principal};
use core_events::{BusBuilder, BusError, ErrorKind, SubscriberError};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

#[derive(Debug, Clone, Serialize, Deserialize, garde::Validate, schemars::JsonSchema)]
struct Reserve {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1, max = 1000))]
    quantity: u32,
}
impl Message for Reserve {
    const NAME: &'static str = "inventory.reserve";
}
impl Command for Reserve {
    type Reply = String;
}

#[derive(Debug, Clone, Serialize, Deserialize, garde::Validate, schemars::JsonSchema)]
struct Placed {
    #[garde(length(min = 1))]
    order_id: String,
    #[garde(email)]
    email: String,
}
impl Message for Placed {
    const NAME: &'static str = "orders.placed";
}
impl Event for Placed {}

fn ctx() -> ModuleContext {
    ModuleContext::new("orders", Principal::service("orders"))
}

fn placed() -> Placed {
    Placed { order_id: "A-1".into(), email: "ann@example.com".into() }
}

#[tokio::test]
async fn send_returns_the_one_handlers_typed_reply_with_context() {
    let mut builder = BusBuilder::new();
    builder.command("inventory", |cmd: Reserve, ctx: ModuleContext| async move {
        Ok(format!("{}x{} for {} by {}", cmd.quantity, cmd.sku, ctx.module(), ctx.principal().id))
    });
    let bus = builder.build().unwrap();
    let reply = bus.send(&ctx(), Reserve { sku: "SKU-1".into(), quantity: 2 }).await.unwrap();
    assert_eq!(reply, "2xSKU-1 for inventory by orders");
}

#[tokio::test]
async fn an_invalid_command_is_rejected_with_every_path_and_never_reaches_the_handler() {
    let reached = Arc::new(AtomicBool::new(false));
    let flag = reached.clone();
    let mut builder = BusBuilder::new();
    builder.command("inventory", move |_cmd: Reserve, _ctx: ModuleContext| {
        flag.store(true, Ordering::SeqCst);
        async move { Ok(String::new()) }
    });
    let bus = builder.build().unwrap();
    let error = bus.send(&ctx(), Reserve { sku: String::new(), quantity: 0 }).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    let report = error.validation_report().unwrap();
    let paths: Vec<_> = report.violations().iter().map(|v| (v.path.as_str(), v.code.as_str())).collect();
    assert_eq!(paths, [("quantity", "range"), ("sku", "length")]);
    assert!(!reached.load(Ordering::SeqCst), "the handler must not run for an invalid payload");
}

#[tokio::test]
async fn a_command_without_handler_is_a_clear_error() {
    let bus = BusBuilder::new().build().unwrap();
    let error = bus.send(&ctx(), Reserve { sku: "S".into(), quantity: 1 }).await.unwrap_err();
    assert!(matches!(error, BusError::NoHandler { message: "inventory.reserve" }));
    assert!(error.to_string().contains("register one"), "{error}");
}

#[tokio::test]
async fn two_handlers_for_one_command_fail_the_build() {
    let mut builder = BusBuilder::new();
    builder.command("inventory", |_c: Reserve, _x: ModuleContext| async { Ok(String::new()) });
    builder.command("warehouse", |_c: Reserve, _x: ModuleContext| async { Ok(String::new()) });
    let report = builder.build().unwrap_err();
    assert_eq!(report.len(), 1);
    let text = report.problems()[0].to_string();
    assert!(text.contains("`inventory.reserve` has several handlers"), "{text}");
    assert!(text.contains("`inventory`, `warehouse`"), "{text}");
}

#[tokio::test]
async fn handler_errors_and_panics_come_back_as_values() {
    let mut builder = BusBuilder::new();
    builder.command("inventory", |cmd: Reserve, _ctx: ModuleContext| async move {
        if cmd.sku == "PANIC" {
            panic!("boom");
        }
        Err(DomainError::rejected("out_of_stock", "only 1 left"))
    });
    let bus = builder.build().unwrap();
    let refused = bus.send(&ctx(), Reserve { sku: "S".into(), quantity: 5 }).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Rejected);
    assert_eq!(refused.to_string(), "handler of `inventory.reserve` failed: out_of_stock: only 1 left");
    let panicked = bus.send(&ctx(), Reserve { sku: "PANIC".into(), quantity: 1 }).await.unwrap_err();
    assert!(matches!(&panicked, BusError::HandlerPanicked { panic, .. } if panic == "boom"), "{panicked:?}");
}

/// Sets a flag when dropped: shows that a cancelled handler's future is gone.
struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn request_times_out_and_cancels_the_handler() {
    let dropped = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let (d, f) = (dropped.clone(), finished.clone());
    let mut builder = BusBuilder::new();
    builder.command("inventory", move |_cmd: Reserve, _ctx: ModuleContext| {
        let guard = DropFlag(d.clone());
        let finished = f.clone();
        async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            finished.store(true, Ordering::SeqCst);
            Ok(String::new())
        }
    });
    let bus = builder.build().unwrap();
    let error = bus
        .request(&ctx(), Reserve { sku: "S".into(), quantity: 1 }, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        matches!(error, BusError::Timeout { after, .. } if after == Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert!(dropped.load(Ordering::SeqCst), "the handler's future was dropped: nothing leaks");
    tokio::time::advance(Duration::from_secs(7200)).await;
    assert!(!finished.load(Ordering::SeqCst));
}

#[tokio::test]
async fn publish_reaches_every_subscriber_and_a_failing_one_affects_nobody() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let all_done = Arc::new(Notify::new());
    let mut builder = BusBuilder::new();
    for module in ["notifications", "analytics"] {
        let (received, all_done) = (received.clone(), all_done.clone());
        builder.subscribe(module, move |event: Placed, ctx: ModuleContext| {
            let (received, all_done) = (received.clone(), all_done.clone());
            async move {
                let mut r = received.lock().unwrap();
                r.push(format!("{} got {}", ctx.module(), event.order_id));
                if r.len() == 2 {
                    all_done.notify_one();
                }
                Ok(())
            }
        });
    }
    builder.subscribe("flaky", |_event: Placed, _ctx: ModuleContext| async move {
        Err(DomainError::Unavailable("down".into()))
    });
    builder
        .subscribe("crashy", |_event: Placed, _ctx: ModuleContext| async move { panic!("subscriber bug") });
    let bus = builder.build().unwrap();

    let report = bus.publish(&ctx(), placed()).await.unwrap();
    assert_eq!(report.subscribers, 4);
    tokio::time::timeout(Duration::from_secs(5), all_done.notified())
        .await
        .expect("both healthy subscribers ran");
    let mut got = received.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["analytics got A-1", "notifications got A-1"]);
}

#[tokio::test(start_paused = true)]
async fn publish_and_wait_reports_each_subscribers_outcome_within_the_deadline() {
    let mut builder = BusBuilder::new();
    builder.subscribe("fast", |_e: Placed, _c: ModuleContext| async move { Ok(()) });
    builder.subscribe("failing", |_e: Placed, _c: ModuleContext| async move {
        Err(DomainError::rejected("no_template", "missing template"))
    });
    builder.subscribe("slow", |_e: Placed, _c: ModuleContext| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    });
    builder.subscribe("crashy", |_e: Placed, _c: ModuleContext| async move { panic!("bug") });
    let bus = builder.build().unwrap();

    let report = bus.publish_and_wait(&ctx(), placed(), Duration::from_secs(1)).await.unwrap();
    assert!(!report.all_ok());
    let outcome = |m: &str| report.outcomes.iter().find(|o| o.module == m).unwrap().result.clone();
    assert!(outcome("fast").is_ok());
    assert!(matches!(outcome("failing"), Err(SubscriberError::Failed(_))));
    assert!(matches!(outcome("slow"), Err(SubscriberError::TimedOut)));
    assert!(matches!(outcome("crashy"), Err(SubscriberError::Panicked(p)) if p == "bug"));
}

#[tokio::test]
async fn an_invalid_event_is_delivered_to_nobody() {
    let reached = Arc::new(AtomicBool::new(false));
    let flag = reached.clone();
    let mut builder = BusBuilder::new();
    builder.subscribe("notifications", move |_e: Placed, _c: ModuleContext| {
        flag.store(true, Ordering::SeqCst);
        async move { Ok(()) }
    });
    let bus = builder.build().unwrap();
    let bad = Placed { order_id: "A-1".into(), email: "not-an-email".into() };
    let error = bus.publish_and_wait(&ctx(), bad, Duration::from_secs(1)).await.unwrap_err();
    assert_eq!(error.validation_report().unwrap().violations()[0].path, "email");
    assert!(!reached.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_handle_used_before_build_says_so() {
    let builder = BusBuilder::new();
    let handle = builder.handle();
    let error = handle.send(&ctx(), Reserve { sku: "S".into(), quantity: 1 }).await.unwrap_err();
    assert!(matches!(error, BusError::NotStarted));
    let bus = builder.build().unwrap();
    assert!(handle.is_started() && bus.is_started());
}

#[tokio::test]
async fn messages_carry_the_correlation_chain() {
    let seen = Arc::new(Mutex::new(None));
    let store = seen.clone();
    let mut builder = BusBuilder::new();
    builder.command("inventory", move |_cmd: Reserve, ctx: ModuleContext| {
        *store.lock().unwrap() = Some((ctx.correlation_id(), ctx.message_id()));
        async move { Ok(String::new()) }
    });
    let bus = builder.build().unwrap();
    let caller = ctx();
    bus.send(&caller, Reserve { sku: "S".into(), quantity: 1 }).await.unwrap();
    let (correlation, message) = seen.lock().unwrap().unwrap();
    assert_eq!(correlation, caller.correlation_id());
    assert!(message.is_some());
}
