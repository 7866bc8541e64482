//! The middleware pipeline: documented order, auth guard, audit, user layers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use core_domain::{Command, Message, ModuleContext, Principal};
use core_events::{
    AuditOutcome, BusBuilder, BusError, Dispatch, ErrorKind, EventBus, InMemoryAuditLog, Middleware, Next,
    Outcome, RolePolicy, from_fn,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, garde::Validate, schemars::JsonSchema)]
struct Refund {
    #[garde(range(min = 1))]
    cents: u64,
}
impl Message for Refund {
    const NAME: &'static str = "payments.refund";
}
impl Command for Refund {
    type Reply = u64;
}

type Journal = Arc<Mutex<Vec<String>>>;

/// Records when it runs, and whether tracing already stamped the message.
struct Recording {
    name: &'static str,
    journal: Journal,
}

#[async_trait::async_trait]
impl Middleware for Recording {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn handle(&self, dispatch: Dispatch, next: Next) -> Result<Outcome, BusError> {
        let traced = dispatch.metadata().traceparent.is_some();
        self.journal.lock().unwrap().push(format!("{} before (traceparent: {traced})", self.name));
        let result = next.run(dispatch).await;
        self.journal.lock().unwrap().push(format!("{} after", self.name));
        result
    }
}

fn recording(name: &'static str, journal: &Journal) -> Recording {
    Recording { name, journal: journal.clone() }
}

fn bus(journal: &Journal, audit: &InMemoryAuditLog) -> EventBus {
    let mut builder = BusBuilder::new();
    let handled = journal.clone();
    builder
        .command("payments", move |cmd: Refund, _ctx: ModuleContext| {
            handled.lock().unwrap().push("handler".into());
            async move { Ok(cmd.cents) }
        })
        .authorization(RolePolicy::new().require(Refund::NAME, "service"))
        .audit(Arc::new(audit.clone()))
        .layer(recording("first", journal))
        .layer(recording("second", journal));
    builder.build().unwrap()
}

#[tokio::test]
async fn user_layers_run_in_the_order_added_after_the_built_in_stages() {
    let journal = Journal::default();
    let audit = InMemoryAuditLog::default();
    let bus = bus(&journal, &audit);
    let ctx = ModuleContext::new("orders", Principal::service("orders"));
    assert_eq!(bus.send(&ctx, Refund { cents: 500 }).await.unwrap(), 500);
    assert_eq!(
        *journal.lock().unwrap(),
        [
            "first before (traceparent: true)",
            "second before (traceparent: true)",
            "handler",
            "second after",
            "first after",
        ]
    );
}

#[tokio::test]
async fn the_auth_guard_runs_before_validation_and_before_any_user_layer_or_handler() {
    let journal = Journal::default();
    let audit = InMemoryAuditLog::default();
    let bus = bus(&journal, &audit);
    let customer = ModuleContext::new("web", Principal::user("mallory", ["customer"]));
    // Invalid AND unauthorised: the guard answers first.
    let error = bus.send(&customer, Refund { cents: 0 }).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
    assert_eq!(error.to_string(), "`mallory` may not send `payments.refund`: requires role `service`");
    let anonymous = ModuleContext::new("web", Principal::anonymous());
    let error = bus.send(&anonymous, Refund { cents: 10 }).await.unwrap_err();
    assert!(error.to_string().contains("authentication required"), "{error}");
    assert!(journal.lock().unwrap().is_empty(), "no user layer and no handler saw a refused message");
}

#[tokio::test]
async fn validation_runs_before_user_layers() {
    let journal = Journal::default();
    let audit = InMemoryAuditLog::default();
    let bus = bus(&journal, &audit);
    let ctx = ModuleContext::new("orders", Principal::service("orders"));
    let error = bus.send(&ctx, Refund { cents: 0 }).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(journal.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_audit_trail_has_one_record_per_message_including_refusals() {
    let journal = Journal::default();
    let audit = InMemoryAuditLog::default();
    let bus = bus(&journal, &audit);
    let service = ModuleContext::new("orders", Principal::service("orders"));
    let customer = ModuleContext::new("web", Principal::user("mallory", ["customer"]));
    bus.send(&service, Refund { cents: 1 }).await.unwrap();
    bus.send(&customer, Refund { cents: 1 }).await.unwrap_err();
    bus.send(&service, Refund { cents: 0 }).await.unwrap_err();

    let records = audit.records();
    let summary: Vec<_> = records
        .iter()
        .map(|r| {
            let outcome = match &r.outcome {
                AuditOutcome::Ok => "ok".to_owned(),
                AuditOutcome::Failed { kind, .. } => kind.clone(),
            };
            format!("{} {} {} {outcome}", r.message, r.source_module, r.principal)
        })
        .collect();
    assert_eq!(
        summary,
        [
            "payments.refund orders orders ok",
            "payments.refund web mallory unauthorized",
            "payments.refund orders orders validation",
        ]
    );
    assert_eq!(records[0].correlation_id, service.correlation_id());
    let json = serde_json::to_string(&records[0]).unwrap();
    assert!(!json.contains("cents"), "the audit trail holds no payload: {json}");
}

#[tokio::test]
async fn a_user_layer_can_stop_a_message() {
    let mut builder = BusBuilder::new();
    builder.command("payments", |cmd: Refund, _ctx: ModuleContext| async move { Ok(cmd.cents) }).layer(
        from_fn("limit", |dispatch: Dispatch, next: Next| async move {
            if dispatch.payload::<Refund>().is_some_and(|r| r.cents > 1000) {
                return Err(BusError::Middleware {
                    middleware: "limit",
                    message: dispatch.info().name,
                    reason: "refunds above 10.00 need a human".into(),
                });
            }
            next.run(dispatch).await
        }),
    );
    let bus = builder.build().unwrap();
    let ctx = ModuleContext::new("orders", Principal::service("orders"));
    assert_eq!(bus.send(&ctx, Refund { cents: 999 }).await.unwrap(), 999);
    let error = bus.send(&ctx, Refund { cents: 5000 }).await.unwrap_err();
    assert!(error.to_string().contains("need a human"), "{error}");
}
