//! The `orders` module: accepts orders and runs the order saga
//! (reserve stock → charge payment → schedule shipping), compensating in
//! reverse order when a step fails for good. Keeps its own `orders` table.

use core_di::{Installer, Wiring};
use core_domain::{DomainError, Module, ModuleContext, ValidationReport};
use core_events::{BusBuilder, EventBus};
use core_saga::{RetryPolicy, Saga, SagaCoordinator, SagaDefinition, SagaState};
use order_contracts::{
    CancelShipment, ChargePayment, OrderCompleted, OrderOutcome, OrderPlaced, OrderStatus, PlaceOrder,
    RefundPayment, ReleaseStock, ReserveStock, ScheduleShipment, StockLine,
};
use order_sample_kit::{self as kit, stmt, unavailable};
use sea_orm::{ConnectionTrait, DatabaseConnection, SqlErr};
use serde::{Deserialize, Serialize};
use std::time::Duration;

core_di::module_link_anchor!();

/// The module.
#[derive(Debug, Default)]
pub struct Orders;

core_di::register_module!(Orders);

const NAME: &str = "orders";

/// The order saga's name, as stored with every instance.
pub const ORDER_SAGA: &str = "order_fulfilment";

impl Module for Orders {
    fn name(&self) -> &'static str {
        NAME
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["inventory", "payments", "shipping"]
    }
}

/// What the order saga carries from step to step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSagaData {
    /// The order.
    pub order: PlaceOrder,
    /// Set once payment succeeded.
    pub payment_id: Option<String>,
    /// Set once shipping is scheduled.
    pub shipment_id: Option<String>,
}

/// The order saga: reserve stock, charge payment, schedule shipping.
pub fn order_saga() -> Result<SagaDefinition<OrderSagaData>, core_saga::SagaError> {
    let retry = RetryPolicy::exponential(3, Duration::from_millis(20));
    SagaDefinition::builder(ORDER_SAGA)
        .owner(NAME)
        .step("reserve_stock", |ctx, data: OrderSagaData| async move {
            let lines = data
                .order
                .lines
                .iter()
                .map(|l| StockLine { sku: l.sku.clone(), quantity: i64::from(l.quantity) })
                .collect();
            ctx.send(ReserveStock { order_id: data.order.order_id.clone(), lines }).await?;
            Ok(data)
        })
        .compensate(|ctx, data| async move {
            ctx.send(ReleaseStock { order_id: data.order.order_id.clone() }).await
        })
        .retry(retry)
        .timeout(Duration::from_secs(10))
        .step("charge_payment", |ctx, mut data| async move {
            let payment = ChargePayment {
                order_id: data.order.order_id.clone(),
                payment_token: data.order.payment_token.clone(),
                amount_cents: data.order.total_cents(),
            };
            data.payment_id = Some(ctx.send(payment).await?);
            Ok(data)
        })
        .compensate(|ctx, data| async move {
            ctx.send(RefundPayment { order_id: data.order.order_id.clone() }).await
        })
        .retry(retry)
        .timeout(Duration::from_secs(10))
        .step("schedule_shipping", |ctx, mut data| async move {
            let items = data.order.lines.iter().map(|l| i64::from(l.quantity)).sum();
            let shipment = ScheduleShipment {
                order_id: data.order.order_id.clone(),
                country: data.order.shipping_country.clone(),
                items,
            };
            data.shipment_id = Some(ctx.send(shipment).await?);
            Ok(data)
        })
        .compensate(|ctx, data| async move {
            ctx.send(CancelShipment { order_id: data.order.order_id.clone() }).await
        })
        .retry(retry)
        .timeout(Duration::from_secs(10))
        .build()
}

const TABLES: &str = "CREATE TABLE IF NOT EXISTS orders (
             order_id TEXT PRIMARY KEY,
             customer_email TEXT NOT NULL,
             total_cents INTEGER NOT NULL,
             status TEXT NOT NULL,
             reason TEXT);";

impl Installer for Orders {
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let (db, coordinator, bus) = (
            wiring.resolve::<DatabaseConnection>(),
            wiring.resolve::<SagaCoordinator>(),
            wiring.resolve::<EventBus>(),
        );
        let (Some(db), Some(coordinator), Some(bus)) = (db, coordinator, bus) else { return };
        let saga = match order_saga().and_then(|definition| coordinator.register(definition)) {
            Ok(saga) => saga,
            Err(error) => {
                wiring.problem(error.to_string());
                return;
            }
        };
        kit::create_tables(wiring, &db, TABLES);
        let Some(builder) = wiring.extension::<BusBuilder>() else { return };
        builder.publishes::<OrderPlaced>(NAME).publishes::<OrderCompleted>(NAME);
        builder.command(NAME, move |order: PlaceOrder, ctx: ModuleContext| {
            let (db, bus, saga) = (db.clone(), bus.clone(), saga.clone());
            async move { place_order(&db, &bus, &saga, order, ctx).await }
        });
    }
}

async fn place_order(
    db: &DatabaseConnection,
    bus: &EventBus,
    saga: &Saga<OrderSagaData>,
    order: PlaceOrder,
    ctx: ModuleContext,
) -> Result<OrderOutcome, DomainError> {
    let total = order.total_cents();
    let inserted = db
        .execute_raw(stmt(
            db,
            "INSERT INTO orders (order_id, customer_email, total_cents, status) VALUES (?, ?, ?, 'placed')",
            [order.order_id.clone().into(), order.customer_email.clone().into(), total.into()],
        ))
        .await;
    match inserted {
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(DomainError::Invalid(ValidationReport::single(
                "order_id",
                "duplicate",
                format!("order {} was already placed", order.order_id),
            )));
        }
        other => other.map_err(unavailable)?,
    };
    let placed = OrderPlaced {
        order_id: order.order_id.clone(),
        customer_email: order.customer_email.clone(),
        total_cents: total,
    };
    bus.publish(&ctx, placed).await.map_err(|e| DomainError::Unavailable(e.to_string()))?;

    let data = OrderSagaData { order, payment_id: None, shipment_id: None };
    let outcome = saga.start(&ctx, data).await.map_err(|e| DomainError::Unavailable(e.to_string()))?;
    let status = match outcome.state {
        SagaState::Completed => OrderStatus::Completed,
        SagaState::Compensated => OrderStatus::Compensated,
        _ => OrderStatus::Failed,
    };
    let order = outcome.data.order;
    let stored_status = serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned));
    db.execute_raw(stmt(
        db,
        "UPDATE orders SET status = ?, reason = ? WHERE order_id = ?",
        [
            stored_status.unwrap_or_default().into(),
            outcome.error.clone().into(),
            order.order_id.clone().into(),
        ],
    ))
    .await
    .map_err(unavailable)?;
    if status == OrderStatus::Completed {
        let completed = OrderCompleted {
            order_id: order.order_id.clone(),
            customer_email: order.customer_email.clone(),
            total_cents: total,
        };
        bus.publish(&ctx, completed).await.map_err(|e| DomainError::Unavailable(e.to_string()))?;
    }
    Ok(OrderOutcome {
        order_id: order.order_id,
        status,
        reason: outcome.error,
        undone: outcome.compensated,
        total_cents: total,
    })
}
