//! The `shipping` module: shipments in its own table (`shipping_shipments`).
//! Ships to a fixed list of countries; any other destination is refused.

use core_di::{Installer, Wiring};
use core_domain::{DomainError, Module};
use core_events::BusBuilder;
use order_contracts::{CancelShipment, ScheduleShipment};
use order_sample_kit::{self as kit, stmt, unavailable};
use sea_orm::{ConnectionTrait, DatabaseConnection};

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

const TABLES: &str = "CREATE TABLE IF NOT EXISTS shipping_shipments (
         order_id TEXT PRIMARY KEY,
         country TEXT NOT NULL,
         items INTEGER NOT NULL,
         status TEXT NOT NULL);";

impl Installer for Shipping {
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let Some(db) = wiring.resolve::<DatabaseConnection>() else { return };
        kit::create_tables(wiring, &db, TABLES);
        let Some(bus) = wiring.extension::<BusBuilder>() else { return };
        kit::command(bus, NAME, &db, |db, cmd: ScheduleShipment| async move { schedule(&db, cmd).await });
        kit::command(bus, NAME, &db, |db, cmd: CancelShipment| async move {
            let cancel = stmt(
                &db,
                "UPDATE shipping_shipments SET status = 'cancelled' WHERE order_id = ?",
                [cmd.order_id.into()],
            );
            db.execute_raw(cancel).await.map(|_| ()).map_err(unavailable)
        });
    }
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
