//! The `notifications` module: tells customers what happened to their
//! orders. Receives `OrderPlaced` and `OrderCompleted` from `orders`; issues
//! each invoice from a background task, which gets the submitter's
//! `ModuleContext`. Keeps its own tables (`notifications_*`).

use std::sync::Arc;

use core_di::{Installer, Wiring};
use core_domain::{DomainError, Module, ModuleContext};
use core_events::BusBuilder;
use core_tasks::{TaskContext, TaskError, TaskQueue, TaskQueueExt, TaskRegistry};
use order_contracts::{GetNotifications, Invoice, Notifications, OrderCompleted, OrderPlaced, SendInvoice};
use order_sample_kit::{self as kit, stmt, unavailable};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

core_di::module_link_anchor!();

/// The module.
#[derive(Debug, Default)]
pub struct NotificationsModule;

core_di::register_module!(NotificationsModule);

const NAME: &str = "notifications";

impl Module for NotificationsModule {
    fn name(&self) -> &'static str {
        NAME
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["orders"]
    }
}

const TABLES: &str = "CREATE TABLE IF NOT EXISTS notifications_received (
             order_id TEXT PRIMARY KEY,
             email TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS notifications_invoices (
             order_id TEXT PRIMARY KEY,
             email TEXT NOT NULL,
             total_cents INTEGER NOT NULL,
             correlation_id TEXT NOT NULL);";

impl Installer for NotificationsModule {
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let (db, queue) = (wiring.resolve::<DatabaseConnection>(), wiring.resolve::<Arc<dyn TaskQueue>>());
        let (Some(db), Some(queue)) = (db, queue) else { return };
        kit::create_tables(wiring, &db, TABLES);
        if let Some(tasks) = wiring.extension::<TaskRegistry>() {
            let db = db.clone();
            tasks.register(NAME, move |task: SendInvoice, ctx: TaskContext| {
                let db = db.clone();
                async move { send_invoice(&db, task, ctx).await }
            });
        }
        let Some(bus) = wiring.extension::<BusBuilder>() else { return };
        let d = db.clone();
        bus.subscribe(NAME, move |event: OrderPlaced, _ctx: ModuleContext| {
            let db = d.clone();
            async move {
                db.execute_raw(stmt(
                    &db,
                    "INSERT INTO notifications_received (order_id, email) VALUES (?, ?)
                     ON CONFLICT (order_id) DO NOTHING",
                    [event.order_id.into(), event.customer_email.into()],
                ))
                .await
                .map(|_| ())
                .map_err(unavailable)
            }
        });
        bus.subscribe(NAME, move |event: OrderCompleted, ctx: ModuleContext| {
            let queue = queue.clone();
            async move {
                let task = SendInvoice {
                    order_id: event.order_id,
                    customer_email: event.customer_email,
                    total_cents: event.total_cents,
                };
                queue
                    .submit(&ctx, task)
                    .await
                    .map(|_| ())
                    .map_err(|e| DomainError::Unavailable(e.to_string()))
            }
        });
        kit::command(bus, NAME, &db, |db, _query: GetNotifications| async move { notifications(&db).await });
    }
}

/// The background task: "renders" and records the invoice, once per order.
async fn send_invoice(db: &DatabaseConnection, task: SendInvoice, ctx: TaskContext) -> Result<(), TaskError> {
    ctx.progress(10, format!("rendering invoice for order {}", task.order_id));
    ctx.log(format!("requested by module `{}` as `{}`", ctx.module().module(), ctx.module().principal().id));
    db.execute_raw(stmt(
        db,
        "INSERT INTO notifications_invoices (order_id, email, total_cents, correlation_id) VALUES (?, ?, ?, ?)
         ON CONFLICT (order_id) DO NOTHING",
        [
            task.order_id.clone().into(),
            task.customer_email.into(),
            task.total_cents.into(),
            ctx.module().correlation_id().to_string().into(),
        ],
    ))
    .await
    .map_err(|e| TaskError::Retryable(format!("notifications database: {e}")))?;
    ctx.progress(100, format!("invoice for order {} sent", task.order_id));
    Ok(())
}

async fn notifications(db: &DatabaseConnection) -> Result<Notifications, DomainError> {
    let received = db
        .query_all_raw(stmt(db, "SELECT order_id FROM notifications_received ORDER BY order_id", []))
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|row| row.try_get::<String>("", "order_id"))
        .collect::<Result<_, _>>()
        .map_err(unavailable)?;
    let invoices = db
        .query_all_raw(stmt(
            db,
            "SELECT order_id, email, total_cents, correlation_id FROM notifications_invoices ORDER BY order_id",
            [],
        ))
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|row| {
            Ok(Invoice {
                order_id: row.try_get("", "order_id")?,
                customer_email: row.try_get("", "email")?,
                total_cents: row.try_get("", "total_cents")?,
                correlation_id: row.try_get("", "correlation_id")?,
            })
        })
        .collect::<Result<_, DbErr>>()
        .map_err(unavailable)?;
    Ok(Notifications { received, invoices })
}
