//! The order saga sample end to end: every outcome of the input file, the
//! books checked independently in the database, and repeat runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use order_saga::{AppProfile, Outcome, RunOptions, run};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

fn input() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/orders.json")
}

fn options(profile: AppProfile, db: &Path) -> RunOptions {
    RunOptions { input: input(), db: db.to_path_buf(), profile, progress: false, print: false }
}

/// What each order of `data/orders.json` must come to, worked out by hand.
fn expected() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ORD-001", "completed"),
        ("ORD-002", "completed"),
        ("ORD-003", "completed"),
        ("ORD-004", "completed"),
        (
            "ORD-005",
            "compensated (reserve_stock: out_of_stock: SKU-DOCK has 1 available, 2 requested; undone: nothing)",
        ),
        (
            "ORD-006",
            "compensated (charge_payment: card_declined: the card was declined; undone: reserve_stock)",
        ),
        (
            "ORD-007",
            "compensated (schedule_shipping: destination_not_served: no carrier ships to CH; undone: charge_payment, reserve_stock)",
        ),
        (
            "ORD-008",
            "compensated (schedule_shipping: destination_not_served: no carrier ships to JP; undone: charge_payment, reserve_stock)",
        ),
        ("ORD-009", "rejected (lines[0].quantity: lower than 1)"),
        ("ORD-010", "rejected (customer_email: not a valid email: domain contains unexpected characters)"),
        ("ORD-011", "rejected (lines[0].sku: length is lower than 1)"),
        ("ORD-003", "rejected (order_id: order ORD-003 was already placed)"),
        ("ORD-012", "completed"),
        (
            "ORD-013",
            "compensated (reserve_stock: out_of_stock: SKU-MONITOR has 0 available, 1 requested; undone: nothing)",
        ),
        (
            "ORD-014",
            "compensated (charge_payment: insufficient_funds: the account has insufficient funds; undone: reserve_stock)",
        ),
        ("ORD-015", "completed"),
        ("ORD-016", "completed"),
        ("ORD-017", "completed"),
        ("ORD-018", "rejected (lines: length is lower than 1)"),
        ("ORD-019", "rejected (shipping_country: length is greater than 2)"),
        (
            "ORD-020",
            "compensated (reserve_stock: unknown_sku: SKU-TOASTER is not sold here; undone: nothing)",
        ),
        ("ORD-021", "completed"),
        ("ORD-022", "completed"),
        ("ORD-023", "completed"),
        (
            "ORD-024",
            "compensated (reserve_stock: out_of_stock: SKU-WEBCAM has 1 available, 2 requested; undone: nothing)",
        ),
        ("ORD-025", "rejected (payment_token: length is lower than 1)"),
        ("ORD-026", "rejected (lines[0].unit_price_cents: lower than 1)"),
        (
            "ORD-027",
            "compensated (charge_payment: card_declined: the card was declined; undone: reserve_stock)",
        ),
        (
            "ORD-028",
            "compensated (schedule_shipping: destination_not_served: no carrier ships to MX; undone: charge_payment, reserve_stock)",
        ),
        ("ORD-029", "completed"),
    ]
}

fn lines(report: &order_saga::RunReport) -> Vec<(String, String)> {
    report
        .orders
        .iter()
        .map(|o| {
            let line = o.to_string();
            let outcome = line.split_once(": ").map(|(_, rest)| rest.to_owned()).unwrap_or_default();
            (o.order_id.clone(), outcome)
        })
        .collect()
}

fn assert_expected_outcomes(report: &order_saga::RunReport) {
    let expected: Vec<(String, String)> =
        expected().into_iter().map(|(id, outcome)| (id.to_owned(), outcome.to_owned())).collect();
    assert_eq!(lines(report), expected);
    assert_eq!(
        report.summary.to_string(),
        "summary: 30 orders, 12 completed, 10 compensated, 8 rejected, 0 failed"
    );
    assert!(report.ok(), "ledger: {:?}", report.ledger);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_of_the_input_ends_as_designed_in_memory() {
    let report = run(&options(AppProfile::Memory, Path::new("unused.db"))).await.unwrap();
    assert_expected_outcomes(&report);
}

async fn query_i64(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<(String, i64)> {
    db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.try_get_by_index::<String>(0).unwrap(), row.try_get_by_index::<i64>(1).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_embedded_defaults_the_books_balance_in_every_modules_tables() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("order_saga.db");
    let report = run(&options(AppProfile::Sqlite, &db_path)).await.unwrap();
    assert_expected_outcomes(&report);
    assert_eq!(report.transient_failures, 0, "no module transaction hit a database lock");

    // Read each module's own tables directly, not through the sample's checks.
    let db = adapters_sql::open_sqlite(&db_path).await.unwrap();
    let stock = query_i64(&db, "SELECT sku, available FROM inventory_stock ORDER BY sku").await;
    let stock: Vec<(&str, i64)> = stock.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    assert_eq!(
        stock,
        [
            ("SKU-CABLE", 33),
            ("SKU-DOCK", 1),
            ("SKU-HEADSET", 2),
            ("SKU-KEYBOARD", 5),
            ("SKU-MONITOR", 0),
            ("SKU-MOUSE", 15),
            ("SKU-WEBCAM", 1),
        ],
        "stock reserved by compensated orders was released"
    );
    let refunds = query_i64(
        &db,
        "SELECT order_id, amount_cents FROM payments_ledger WHERE kind = 'refund' ORDER BY order_id",
    )
    .await;
    assert_eq!(
        refunds,
        [("ORD-007".into(), 7999), ("ORD-008".into(), 9998), ("ORD-028".into(), 4999)],
        "shipping refused after payment: refunded"
    );
    let charges =
        query_i64(&db, "SELECT kind, COUNT(*) FROM payments_ledger GROUP BY kind ORDER BY kind").await;
    assert_eq!(charges, [("charge".into(), 15), ("refund".into(), 3)]);
    let released =
        query_i64(&db, "SELECT order_id, SUM(quantity) FROM inventory_reservations WHERE released = 1 GROUP BY order_id ORDER BY order_id").await;
    let released: Vec<&str> = released.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(released, ["ORD-006", "ORD-007", "ORD-008", "ORD-014", "ORD-027", "ORD-028"]);
    let invoices =
        query_i64(&db, "SELECT order_id, total_cents FROM notifications_invoices ORDER BY order_id").await;
    assert_eq!(invoices.len(), 12);
    assert_eq!(invoices[0], ("ORD-001".into(), 4999 + 1999));
    let sagas =
        query_i64(&db, "SELECT state, COUNT(*) FROM saga_instances GROUP BY state ORDER BY state").await;
    assert_eq!(sagas, [("compensated".into(), 10), ("completed".into(), 12)]);
    let orders = query_i64(&db, "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status").await;
    assert_eq!(orders, [("compensated".into(), 10), ("completed".into(), 12)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_twice_in_a_row_on_the_same_files_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("order_saga.db");
    let first = run(&options(AppProfile::Sqlite, &db_path)).await.unwrap();
    let second = run(&options(AppProfile::Sqlite, &db_path)).await.unwrap();
    assert_eq!(lines(&first), lines(&second));
    assert!(second.ok(), "{:?}", second.ledger);
}

#[tokio::test]
async fn a_missing_or_malformed_input_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut missing = options(AppProfile::Memory, Path::new("unused.db"));
    missing.input = dir.path().join("nope.json");
    let error = run(&missing).await.unwrap_err();
    assert!(error.to_string().starts_with("cannot read input"), "{error}");

    let malformed = dir.path().join("bad.json");
    std::fs::write(&malformed, r#"{ "stock": [], "orders": "#).unwrap();
    let mut bad = options(AppProfile::Memory, Path::new("unused.db"));
    bad.input = malformed;
    let error = run(&bad).await.unwrap_err();
    assert!(error.to_string().contains("EOF"), "{error}");
}

#[tokio::test]
async fn orders_with_no_id_or_the_wrong_shape_are_rejected_not_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.json");
    std::fs::write(
        &path,
        r#"{ "stock": [], "orders": [ 42, { "order_id": "X-1", "lines": "many" }, { "order_id": "X-2", "surprise": true } ] }"#,
    )
    .unwrap();
    let mut odd = options(AppProfile::Memory, Path::new("unused.db"));
    odd.input = path;
    let report = run(&odd).await.unwrap();
    assert_eq!(report.summary.rejected, 3, "{:?}", report.orders);
    assert!(report.orders.iter().all(|o| matches!(o.outcome, Outcome::Rejected { .. })));
    assert_eq!(report.orders[0].order_id, "<no id>");
    let text = report.orders[1].to_string();
    assert!(text.starts_with("order X-1: rejected (lines: "), "{text}");
    assert!(report.ok());
}

fn run_input(dir: &tempfile::TempDir, json: &str) -> RunOptions {
    let path = dir.path().join("input.json");
    std::fs::write(&path, json).unwrap();
    let mut options = options(AppProfile::Memory, Path::new("unused.db"));
    options.input = path;
    options
}

#[tokio::test]
async fn huge_prices_are_rejected_not_overflowed() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{ "sku": "SKU-B", "quantity": 2, "unit_price_cents": 9223372036854775807 }"#;
    let order = |id: &str| {
        format!(
            r#"{{ "order_id": "{id}", "customer_email": "a@example.com", "lines": [{line}],
                 "payment_token": "tok_visa", "shipping_country": "FR" }}"#
        )
    };
    let json = format!(
        r#"{{ "stock": [{{ "sku": "SKU-B", "quantity": 9 }}], "orders": [{}, {}] }}"#,
        order("OV1"),
        order("OV2")
    );
    let report = run(&run_input(&dir, &json)).await.unwrap();
    let lines: Vec<String> = report.orders.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "order OV1: rejected (lines[0].unit_price_cents: greater than 100000000)",
            "order OV2: rejected (lines[0].unit_price_cents: greater than 100000000)",
        ]
    );
    assert!(report.ok());
}

#[tokio::test]
async fn a_bad_stock_list_is_refused_with_its_path_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (stock, expected) in [
        (
            r#"[{ "sku": "SKU-B", "quantity": 5 }, { "sku": "SKU-B", "quantity": 1 }]"#,
            "stock[1].sku: SKU-B is listed twice",
        ),
        (r#"[{ "sku": "SKU-B", "quantity": -3 }]"#, "stock[0].quantity: lower than 0"),
        (r#"[{ "sku": "SKU-B", "quantity": 5, "junk": 1 }]"#, "unknown field `junk`"),
    ] {
        let json = format!(r#"{{ "stock": {stock}, "orders": [] }}"#);
        let error = run(&run_input(&dir, &json)).await.unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[tokio::test]
async fn a_missing_field_is_named_in_the_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let json = r#"{ "stock": [], "orders": [ { "order_id": "M1" }, { "order_id": 7 } ] }"#;
    let report = run(&run_input(&dir, json)).await.unwrap();
    let lines: Vec<String> = report.orders.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "order M1: rejected (customer_email: missing field `customer_email`)",
            "order 7: rejected (order_id: invalid type: integer `7`, expected a string)",
        ]
    );
}
