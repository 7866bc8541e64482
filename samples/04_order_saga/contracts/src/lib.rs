//! The published language of the order-saga sample: every command, event
//! and task that crosses a module boundary. Modules depend on this crate
//! and on `core-*`, never on each other.

use core_domain::{Command, Event, Message};
use core_tasks::Task;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// Stock-keeping unit.
    #[garde(length(min = 1, max = 64))]
    pub sku: String,
    /// How many.
    #[garde(range(min = 1, max = 1000))]
    pub quantity: i32,
    /// Price of one unit, in cents (at most 1,000,000.00: with at most 100
    /// lines of 1000 units, a total always fits an `i64`).
    #[garde(range(min = 1, max = 100_000_000))]
    pub unit_price_cents: i64,
}

/// A customer places an order (handled by `orders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// The order's id, unique.
    #[garde(length(min = 1, max = 64))]
    pub order_id: String,
    /// Where the confirmation and invoice go.
    #[garde(email)]
    pub customer_email: String,
    /// What is ordered.
    #[garde(length(min = 1, max = 100), dive)]
    pub lines: Vec<OrderLine>,
    /// A token from the payment provider (never a card number).
    #[garde(length(min = 1, max = 128))]
    pub payment_token: String,
    /// ISO 3166 alpha-2 country code.
    #[garde(length(min = 2, max = 2), alphanumeric)]
    pub shipping_country: String,
}

impl PlaceOrder {
    /// The order's total, in cents.
    pub fn total_cents(&self) -> i64 {
        // Saturating: an unvalidated order must not overflow before the bus rejects it.
        self.lines
            .iter()
            .map(|l| i64::from(l.quantity).saturating_mul(l.unit_price_cents))
            .fold(0, i64::saturating_add)
    }
}

impl Message for PlaceOrder {
    const NAME: &'static str = "orders.place_order";
}
impl Command for PlaceOrder {
    type Reply = OrderOutcome;
}

/// How an order ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Stock reserved, paid, shipping scheduled.
    Completed,
    /// A step failed; the earlier ones were undone.
    Compensated,
    /// A compensation failed: an operator must act.
    Failed,
}

/// The reply to [`PlaceOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderOutcome {
    /// The order.
    pub order_id: String,
    /// How it ended.
    pub status: OrderStatus,
    /// Why it was compensated or failed (`<step>: <reason>`).
    pub reason: Option<String>,
    /// Steps undone, in the order they were compensated.
    pub undone: Vec<String>,
    /// The order's total, in cents.
    pub total_cents: i64,
}

/// An order was accepted and its saga started (published by `orders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct OrderPlaced {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
    /// The customer.
    #[garde(email)]
    pub customer_email: String,
    /// Total in cents.
    #[garde(range(min = 1))]
    pub total_cents: i64,
}
impl Message for OrderPlaced {
    const NAME: &'static str = "orders.order_placed";
}
impl Event for OrderPlaced {}

/// An order was reserved, paid and scheduled for shipping (published by `orders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct OrderCompleted {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
    /// The customer.
    #[garde(email)]
    pub customer_email: String,
    /// Total charged in cents.
    #[garde(range(min = 1))]
    pub total_cents: i64,
}
impl Message for OrderCompleted {
    const NAME: &'static str = "orders.order_completed";
}
impl Event for OrderCompleted {}

/// One SKU and a quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockLine {
    /// Stock-keeping unit.
    #[garde(length(min = 1))]
    pub sku: String,
    /// How many.
    #[garde(range(min = 0))]
    pub quantity: i64,
}

/// Sets the available stock of SKUs (an operator loading inventory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct SetStock {
    /// New levels.
    #[garde(dive)]
    pub levels: Vec<StockLine>,
}
impl Message for SetStock {
    const NAME: &'static str = "inventory.set_stock";
}
impl Command for SetStock {
    type Reply = ();
}

/// Reserves stock for an order, all lines or none (handled by `inventory`).
/// Idempotent per order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct ReserveStock {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
    /// What to reserve.
    #[garde(length(min = 1), dive)]
    pub lines: Vec<StockLine>,
}
impl Message for ReserveStock {
    const NAME: &'static str = "inventory.reserve_stock";
}
impl Command for ReserveStock {
    type Reply = ();
}

/// Releases an order's reservation (compensation). Idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct ReleaseStock {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
}
impl Message for ReleaseStock {
    const NAME: &'static str = "inventory.release_stock";
}
impl Command for ReleaseStock {
    type Reply = ();
}

/// Reads the available stock of every SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct GetStock {}
impl Message for GetStock {
    const NAME: &'static str = "inventory.get_stock";
}
impl Command for GetStock {
    type Reply = Vec<StockLine>;
}

/// Charges the customer (handled by `payments`). Idempotent per order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct ChargePayment {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
    /// Payment provider token.
    #[garde(length(min = 1))]
    pub payment_token: String,
    /// Amount in cents.
    #[garde(range(min = 1))]
    pub amount_cents: i64,
}
impl Message for ChargePayment {
    const NAME: &'static str = "payments.charge_payment";
}
impl Command for ChargePayment {
    /// The payment id.
    type Reply = String;
}

/// Refunds an order's charge (compensation). Idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct RefundPayment {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
}
impl Message for RefundPayment {
    const NAME: &'static str = "payments.refund_payment";
}
impl Command for RefundPayment {
    type Reply = ();
}

/// Totals of the payments ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentLedger {
    /// Sum of every charge, in cents.
    pub charged_cents: i64,
    /// Sum of every refund, in cents.
    pub refunded_cents: i64,
    /// Number of charges.
    pub charges: i64,
    /// Number of refunds.
    pub refunds: i64,
}

/// Reads the payments ledger totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct GetPaymentLedger {}
impl Message for GetPaymentLedger {
    const NAME: &'static str = "payments.get_ledger";
}
impl Command for GetPaymentLedger {
    type Reply = PaymentLedger;
}

/// Schedules the shipment of an order (handled by `shipping`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct ScheduleShipment {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
    /// Destination country (ISO alpha-2).
    #[garde(length(min = 2, max = 2))]
    pub country: String,
    /// Number of items.
    #[garde(range(min = 1))]
    pub items: i64,
}
impl Message for ScheduleShipment {
    const NAME: &'static str = "shipping.schedule_shipment";
}
impl Command for ScheduleShipment {
    /// The shipment id.
    type Reply = String;
}

/// Cancels an order's shipment (compensation). Idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct CancelShipment {
    /// The order.
    #[garde(length(min = 1))]
    pub order_id: String,
}
impl Message for CancelShipment {
    const NAME: &'static str = "shipping.cancel_shipment";
}
impl Command for CancelShipment {
    type Reply = ();
}

/// One invoice issued by the background task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Invoice {
    /// The order.
    pub order_id: String,
    /// Sent to.
    pub customer_email: String,
    /// Amount in cents.
    pub total_cents: i64,
    /// The conversation that produced it (the task got its context).
    pub correlation_id: String,
}

/// Lists issued invoices and received-order notices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct GetNotifications {}
impl Message for GetNotifications {
    const NAME: &'static str = "notifications.get_notifications";
}
impl Command for GetNotifications {
    type Reply = Notifications;
}

/// What `notifications` has sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Notifications {
    /// Order ids for which an "order received" notice went out.
    pub received: Vec<String>,
    /// Invoices issued.
    pub invoices: Vec<Invoice>,
}

/// Background task: render and send an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendInvoice {
    /// The order.
    pub order_id: String,
    /// The customer.
    pub customer_email: String,
    /// Amount in cents.
    pub total_cents: i64,
}
impl Task for SendInvoice {
    const NAME: &'static str = "notifications.send_invoice";
}
