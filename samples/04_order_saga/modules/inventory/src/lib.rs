//! The `inventory` module: stock levels and per-order reservations, in its
//! own tables (`inventory_*`). Talks to others only through the bus.

use std::collections::BTreeMap;

use core_di::{Installer, Wiring};
use core_domain::{DomainError, Module};
use core_events::BusBuilder;
use order_contracts::{GetStock, ReleaseStock, ReserveStock, SetStock, StockLine};
use order_sample_kit::{self as kit, stmt, unavailable};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

core_di::module_link_anchor!();

/// The module.
#[derive(Debug, Default)]
pub struct Inventory;

core_di::register_module!(Inventory);

const NAME: &str = "inventory";

impl Module for Inventory {
    fn name(&self) -> &'static str {
        NAME
    }
}

const TABLES: &str = "CREATE TABLE IF NOT EXISTS inventory_stock (
         sku TEXT PRIMARY KEY,
         available INTEGER NOT NULL CHECK (available >= 0));
     CREATE TABLE IF NOT EXISTS inventory_reservations (
         order_id TEXT NOT NULL,
         sku TEXT NOT NULL,
         quantity INTEGER NOT NULL,
         released INTEGER NOT NULL DEFAULT 0,
         PRIMARY KEY (order_id, sku));
     CREATE TABLE IF NOT EXISTS inventory_reserved_orders (
         order_id TEXT PRIMARY KEY);";

impl Installer for Inventory {
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let Some(db) = wiring.resolve::<DatabaseConnection>() else { return };
        kit::create_tables(wiring, &db, TABLES);
        let Some(bus) = wiring.extension::<BusBuilder>() else { return };
        kit::command(bus, NAME, &db, |db, cmd: SetStock| async move { set_stock(&db, cmd).await });
        kit::command(bus, NAME, &db, |db, cmd: ReserveStock| async move { reserve(&db, cmd).await });
        kit::command(
            bus,
            NAME,
            &db,
            |db, cmd: ReleaseStock| async move { release(&db, &cmd.order_id).await },
        );
        kit::command(bus, NAME, &db, |db, _query: GetStock| async move { stock(&db).await });
    }
}

async fn set_stock(db: &DatabaseConnection, cmd: SetStock) -> Result<(), DomainError> {
    let txn = db.begin().await.map_err(unavailable)?;
    for level in cmd.levels {
        txn.execute_raw(stmt(
            &txn,
            "INSERT INTO inventory_stock (sku, available) VALUES (?, ?)
             ON CONFLICT (sku) DO UPDATE SET available = excluded.available",
            [level.sku.into(), level.quantity.into()],
        ))
        .await
        .map_err(unavailable)?;
    }
    txn.commit().await.map_err(unavailable)
}

/// Reserves every line or none. A second call for the same order does nothing.
async fn reserve(db: &DatabaseConnection, cmd: ReserveStock) -> Result<(), DomainError> {
    let mut wanted: BTreeMap<String, i64> = BTreeMap::new();
    for line in &cmd.lines {
        *wanted.entry(line.sku.clone()).or_default() += line.quantity;
    }
    let txn = db.begin().await.map_err(unavailable)?;
    // The first statement of a write transaction must write: on SQLite a
    // transaction that reads first cannot take the write lock once another
    // writer committed (SQLITE_BUSY_SNAPSHOT). This insert is also the
    // idempotency check: a second reservation for the order changes nothing.
    let first = txn
        .execute_raw(stmt(
            &txn,
            "INSERT INTO inventory_reserved_orders (order_id) VALUES (?) ON CONFLICT DO NOTHING",
            [cmd.order_id.clone().into()],
        ))
        .await
        .map_err(unavailable)?;
    if first.rows_affected() == 0 {
        return txn.commit().await.map_err(unavailable);
    }
    for (sku, quantity) in &wanted {
        let updated = txn
            .execute_raw(stmt(
                &txn,
                "UPDATE inventory_stock SET available = available - ? WHERE sku = ? AND available >= ?",
                [(*quantity).into(), sku.clone().into(), (*quantity).into()],
            ))
            .await
            .map_err(unavailable)?;
        if updated.rows_affected() == 0 {
            let available = txn
                .query_one_raw(stmt(
                    &txn,
                    "SELECT available FROM inventory_stock WHERE sku = ?",
                    [sku.clone().into()],
                ))
                .await
                .map_err(unavailable)?
                .map(|row| row.try_get::<i64>("", "available"))
                .transpose()
                .map_err(unavailable)?;
            txn.rollback().await.map_err(unavailable)?;
            return Err(match available {
                None => DomainError::rejected("unknown_sku", format!("{sku} is not sold here")),
                Some(available) => DomainError::rejected(
                    "out_of_stock",
                    format!("{sku} has {available} available, {quantity} requested"),
                ),
            });
        }
        txn.execute_raw(stmt(
            &txn,
            "INSERT INTO inventory_reservations (order_id, sku, quantity) VALUES (?, ?, ?)",
            [cmd.order_id.clone().into(), sku.clone().into(), (*quantity).into()],
        ))
        .await
        .map_err(unavailable)?;
    }
    txn.commit().await.map_err(unavailable)
}

/// Puts an order's reserved stock back. A second call does nothing.
async fn release(db: &DatabaseConnection, order_id: &str) -> Result<(), DomainError> {
    let txn = db.begin().await.map_err(unavailable)?;
    txn.execute_raw(stmt(
        &txn,
        "UPDATE inventory_stock SET available = available + (
             SELECT r.quantity FROM inventory_reservations r
             WHERE r.order_id = ? AND r.sku = inventory_stock.sku AND r.released = 0)
         WHERE sku IN (SELECT sku FROM inventory_reservations WHERE order_id = ? AND released = 0)",
        [order_id.into(), order_id.into()],
    ))
    .await
    .map_err(unavailable)?;
    txn.execute_raw(stmt(
        &txn,
        "UPDATE inventory_reservations SET released = 1 WHERE order_id = ?",
        [order_id.into()],
    ))
    .await
    .map_err(unavailable)?;
    txn.commit().await.map_err(unavailable)
}

async fn stock(db: &DatabaseConnection) -> Result<Vec<StockLine>, DomainError> {
    let rows = db
        .query_all_raw(stmt(db, "SELECT sku, available FROM inventory_stock ORDER BY sku", []))
        .await
        .map_err(unavailable)?;
    rows.into_iter()
        .map(|row| Ok(StockLine { sku: row.try_get("", "sku")?, quantity: row.try_get("", "available")? }))
        .collect::<Result<_, DbErr>>()
        .map_err(unavailable)
}
