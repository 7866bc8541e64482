//! The `shipping` module: shipments in its own table (`shipping_shipments`).
//! Ships to a fixed list of countries; any other destination is refused.

use core_di::{Installer, StartupHooks, Wiring};
use core_domain::{DomainError, Module, ModuleContext};
use core_events::BusBuilder;
use order_contracts::{CancelShipment, ScheduleShipment};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};

core_di::module_link_anchor!();

/// Countries the carrier serves.
pub const SERVED_COUNTRIES: &[&str] = &["BE", "CA", "DE", "ES", "FR", "GB", "IT", "NL", "US"];

/// The module.
#[derive(Debug, Default)]
pub struct Shipping;

core_di::register_module!(Shipping);

const NAME: &str = "shipping";

impl Module for Shipping {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl Installer for Shipping {
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let Some(db) = wiring.resolve::<DatabaseConnection>() else { return };
        if let Some(hooks) = wiring.extension::<StartupHooks>() {
            let db = db.clone();
            hooks.add(
                NAME,
                "create shipping tables",
                async move { create_tables(&db).await.map_err(Into::into) },
            );
        }
        let Some(bus) = wiring.extension::<BusBuilder>() else { return };
        let d = db.clone();
        bus.command(NAME, move |cmd: ScheduleShipment, _ctx: ModuleContext| {
            let db = d.clone();
            async move { schedule(&db, cmd).await }
        });
        bus.command(NAME, move |cmd: CancelShipment, _ctx: ModuleContext| {
            let db = db.clone();
            async move {
                db.execute_raw(stmt(
                    &db,
                    "UPDATE shipping_shipments SET status = 'cancelled' WHERE order_id = ?",
                    [cmd.order_id.into()],
                ))
                .await
                .map(|_| ())
                .map_err(unavailable)
            }
        });
    }
}

fn unavailable(error: DbErr) -> DomainError {
    DomainError::Unavailable(format!("shipping database: {error}"))
}

fn stmt(db: &impl ConnectionTrait, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

async fn create_tables(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS shipping_shipments (
             order_id TEXT PRIMARY KEY,
             country TEXT NOT NULL,
             items INTEGER NOT NULL,
             status TEXT NOT NULL);",
    )
    .await
    .map(|_| ())
}

/// Schedules once per order.
async fn schedule(db: &DatabaseConnection, cmd: ScheduleShipment) -> Result<String, DomainError> {
    if !SERVED_COUNTRIES.contains(&cmd.country.as_str()) {
        return Err(DomainError::rejected(
            "destination_not_served",
            format!("no carrier ships to {}", cmd.country),
        ));
    }
    db.execute_raw(stmt(
        db,
        "INSERT INTO shipping_shipments (order_id, country, items, status) VALUES (?, ?, ?, 'scheduled')
         ON CONFLICT (order_id) DO NOTHING",
        [cmd.order_id.clone().into(), cmd.country.into(), cmd.items.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(format!("shp_{}", cmd.order_id))
}
