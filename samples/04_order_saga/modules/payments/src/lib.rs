//! The `payments` module: charges and refunds in its own ledger table
//! (`payments_ledger`). Talks to others only through the bus.
//!
//! Payment tokens stand in for a provider: `tok_declined` and
//! `tok_insufficient_funds` are refused; any other token is charged.

use core_di::{Installer, Wiring};
use core_domain::{DomainError, Module};
use core_events::BusBuilder;
use order_contracts::{ChargePayment, GetPaymentLedger, PaymentLedger, RefundPayment};
use order_sample_kit::{self as kit, stmt, unavailable};
use sea_orm::{ConnectionTrait, DatabaseConnection};

core_di::module_link_anchor!();

/// The module.
#[derive(Debug, Default)]
pub struct Payments;

core_di::register_module!(Payments);

const NAME: &str = "payments";

impl Module for Payments {
    fn name(&self) -> &'static str {
        NAME
    }
}

const TABLES: &str = "CREATE TABLE IF NOT EXISTS payments_ledger (
         id TEXT PRIMARY KEY,
         order_id TEXT NOT NULL,
         kind TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
         amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
         UNIQUE (order_id, kind));";

impl Installer for Payments {
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let Some(db) = wiring.resolve::<DatabaseConnection>() else { return };
        kit::create_tables(wiring, &db, TABLES);
        let Some(bus) = wiring.extension::<BusBuilder>() else { return };
        kit::command(bus, NAME, &db, |db, cmd: ChargePayment| async move { charge(&db, cmd).await });
        kit::command(
            bus,
            NAME,
            &db,
            |db, cmd: RefundPayment| async move { refund(&db, &cmd.order_id).await },
        );
        kit::command(bus, NAME, &db, |db, _query: GetPaymentLedger| async move { ledger(&db).await });
    }
}

/// Charges once per order: a repeated charge returns the first payment's id.
async fn charge(db: &DatabaseConnection, cmd: ChargePayment) -> Result<String, DomainError> {
    match cmd.payment_token.as_str() {
        "tok_declined" => return Err(DomainError::rejected("card_declined", "the card was declined")),
        "tok_insufficient_funds" => {
            return Err(DomainError::rejected("insufficient_funds", "the account has insufficient funds"));
        }
        _ => {}
    }
    let id = format!("pay_{}", cmd.order_id);
    db.execute_raw(stmt(
        db,
        "INSERT INTO payments_ledger (id, order_id, kind, amount_cents) VALUES (?, ?, 'charge', ?)
         ON CONFLICT (order_id, kind) DO NOTHING",
        [id.clone().into(), cmd.order_id.into(), cmd.amount_cents.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(id)
}

/// Refunds an order's charge once; without a charge there is nothing to refund.
async fn refund(db: &DatabaseConnection, order_id: &str) -> Result<(), DomainError> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO payments_ledger (id, order_id, kind, amount_cents)
         SELECT 'ref_' || order_id, order_id, 'refund', amount_cents FROM payments_ledger
         WHERE order_id = ? AND kind = 'charge'
         ON CONFLICT (order_id, kind) DO NOTHING",
        [order_id.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(())
}

async fn ledger(db: &DatabaseConnection) -> Result<PaymentLedger, DomainError> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT
                 COALESCE(SUM(CASE WHEN kind = 'charge' THEN amount_cents END), 0) AS charged,
                 COALESCE(SUM(CASE WHEN kind = 'refund' THEN amount_cents END), 0) AS refunded,
                 COUNT(CASE WHEN kind = 'charge' THEN 1 END) AS charges,
                 COUNT(CASE WHEN kind = 'refund' THEN 1 END) AS refunds
             FROM payments_ledger",
            [],
        ))
        .await
        .map_err(unavailable)?
        .ok_or_else(|| DomainError::Unavailable("payments ledger query returned no row".into()))?;
    let get = |column: &str| row.try_get::<i64>("", column).map_err(unavailable);
    Ok(PaymentLedger {
        charged_cents: get("charged")?,
        refunded_cents: get("refunded")?,
        charges: get("charges")?,
        refunds: get("refunds")?,
    })
}
