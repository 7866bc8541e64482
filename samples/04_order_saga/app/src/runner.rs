//! Runs an input file of orders through the application and checks the ledger.

use std::{
    collections::BTreeMap,
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use core_domain::{Message, ModuleContext, Principal};
use core_events::AuditOutcome;
use order_contracts::{
    GetNotifications, GetPaymentLedger, GetStock, OrderStatus, PlaceOrder, SetStock, StockLine,
};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, AppProfile, tasks_path};

/// The input file: initial stock and orders (kept as raw JSON: invalid
/// orders are part of the input and must be rejected with their field path).
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    /// Stock to load before the first order.
    pub stock: Vec<StockLine>,
    /// Orders, in the order they are placed.
    pub orders: Vec<serde_json::Value>,
}

impl Input {
    /// Reads and parses an input file.
    ///
    /// # Errors
    /// [`AppError::Input`] when the file is missing or malformed.
    pub fn load(path: &Path) -> Result<Self, AppError> {
        let error = |reason: String| AppError::Input { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let input: Self = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for (i, line) in input.stock.iter().enumerate() {
            core_domain::validate_payload(line).map_err(|report| {
                error(
                    report
                        .violations()
                        .iter()
                        .map(|v| format!("stock[{i}].{v}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
            if !seen.insert(line.sku.as_str()) {
                return Err(error(format!("stock[{i}].sku: {} is listed twice", line.sku)));
            }
        }
        Ok(input)
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The input file.
    pub input: PathBuf,
    /// The SQLite file (recreated on each run), for the sqlite profile.
    pub db: PathBuf,
    /// Adapters.
    pub profile: AppProfile,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Print one line per order on stdout.
    pub print: bool,
}

/// How one order ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Reserved, paid, shipping scheduled.
    Completed,
    /// A step failed and the earlier ones were undone.
    Compensated {
        /// `<step>: <reason>`.
        reason: String,
        /// Steps undone, in order.
        undone: Vec<String>,
    },
    /// Refused before any step: invalid payload or duplicate id.
    Rejected {
        /// Each violation as `<field path>: <message>`.
        violations: Vec<String>,
    },
    /// The saga needs an operator (a compensation failed), or the engine failed.
    Failed {
        /// Why.
        reason: String,
    },
}

/// One order's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderReport {
    /// The order's id as given in the input.
    pub order_id: String,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl std::fmt::Display for OrderReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "order {}: ", self.order_id)?;
        match &self.outcome {
            Outcome::Completed => write!(f, "completed"),
            Outcome::Compensated { reason, undone } => {
                let undone = if undone.is_empty() { "nothing".to_owned() } else { undone.join(", ") };
                write!(f, "compensated ({reason}; undone: {undone})")
            }
            Outcome::Rejected { violations } => write!(f, "rejected ({})", violations.join("; ")),
            Outcome::Failed { reason } => write!(f, "failed ({reason})"),
        }
    }
}

/// Counts per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Orders in the input.
    pub orders: usize,
    /// Completed.
    pub completed: usize,
    /// Compensated.
    pub compensated: usize,
    /// Rejected.
    pub rejected: usize,
    /// Failed.
    pub failed: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "summary: {} orders, {} completed, {} compensated, {} rejected, {} failed",
            self.orders, self.completed, self.compensated, self.rejected, self.failed
        )
    }
}

/// The ledger check: what the modules hold against what the outcomes imply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// Every mismatch found (empty when the books balance).
    pub errors: Vec<String>,
    /// Human-readable lines of what was checked.
    pub checks: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// One entry per input order, in input order.
    pub orders: Vec<OrderReport>,
    /// Counts.
    pub summary: Summary,
    /// The ledger check.
    pub ledger: Ledger,
    /// Messages audited while the orders were placed.
    pub audited_messages: usize,
    /// Of those, how many failed transiently and were retried (a healthy
    /// run has none: each would be a database lock or a timeout).
    pub transient_failures: usize,
    /// Orders that hit an engine error (not a business outcome).
    pub engine_errors: Vec<String>,
}

impl RunReport {
    /// Whether the engine behaved: the ledger balances and no order hit an
    /// engine error.
    pub fn ok(&self) -> bool {
        self.ledger.errors.is_empty() && self.engine_errors.is_empty()
    }
}

fn operator() -> ModuleContext {
    ModuleContext::new("order-saga", Principal::user("operator", ["operator"]))
}

/// Runs the sample: boots, loads stock, places every order, waits for the
/// invoice tasks, checks the ledger.
///
/// # Errors
/// [`AppError`] when the engine cannot run (bad input file, database,
/// boot problems). Business failures are outcomes in the report.
pub async fn run(options: &RunOptions) -> Result<RunReport, AppError> {
    let input = Input::load(&options.input)?;
    if options.profile == AppProfile::Sqlite {
        reset_files(&options.db)?;
    }
    let app = App::boot(options.profile, &options.db).await?;
    let result = place_all(&app, &input, options).await;
    app.shutdown().await;
    result
}

async fn place_all(app: &App, input: &Input, options: &RunOptions) -> Result<RunReport, AppError> {
    app.bus.send(&operator(), SetStock { levels: input.stock.clone() }).await?;
    let mut bar = ProgressBar::new(input.orders.len(), options.progress);
    let mut reports = Vec::with_capacity(input.orders.len());
    let mut accepted: Vec<(PlaceOrder, OrderStatus)> = Vec::new();
    let mut engine_errors = Vec::new();
    for raw in &input.orders {
        let (report, placed) = place(app, raw).await;
        match placed {
            Placed::Accepted(order, status) => accepted.push((order, status)),
            Placed::EngineError => engine_errors.push(report.to_string()),
            Placed::Rejected => {}
        }
        bar.clear();
        if options.print {
            println!("{report}");
        }
        reports.push(report);
        bar.advance();
    }
    bar.finish();

    let audited = app.audit.records();
    let audited_messages = audited.len();
    let transient_failures = audited
        .iter()
        .filter(|r| matches!(&r.outcome, AuditOutcome::Failed { kind, .. } if kind == "unavailable" || kind == "timeout"))
        .count();
    let mut summary = Summary { orders: reports.len(), ..Summary::default() };
    for report in &reports {
        match report.outcome {
            Outcome::Completed => summary.completed += 1,
            Outcome::Compensated { .. } => summary.compensated += 1,
            Outcome::Rejected { .. } => summary.rejected += 1,
            Outcome::Failed { .. } => summary.failed += 1,
        }
    }
    let ledger = check_ledger(app, input, &accepted, &reports).await?;
    Ok(RunReport { orders: reports, summary, ledger, audited_messages, transient_failures, engine_errors })
}

/// What placing an order did, for the ledger check.
enum Placed {
    /// The orders module took it; its saga ended with this status.
    Accepted(PlaceOrder, OrderStatus),
    /// Refused before any step.
    Rejected,
    /// The engine failed: its effects are unknown.
    EngineError,
}

/// Places one raw order as its customer would.
async fn place(app: &App, raw: &serde_json::Value) -> (OrderReport, Placed) {
    let order_id = match raw.get("order_id") {
        Some(serde_json::Value::String(id)) => id.clone(),
        Some(other) => other.to_string(),
        None => "<no id>".to_owned(),
    };
    let report = |outcome| OrderReport { order_id: order_id.clone(), outcome };
    // Invalid payloads are rejections; any other bus error is the engine's.
    let refused = |error: core_events::BusError| match error.validation_report() {
        Some(invalid) => {
            let violations = invalid.violations().iter().map(ToString::to_string).collect();
            (report(Outcome::Rejected { violations }), Placed::Rejected)
        }
        None => (report(Outcome::Failed { reason: error.to_string() }), Placed::EngineError),
    };
    let Ok(order) = serde_json::from_value::<PlaceOrder>(raw.clone()) else {
        // Not even the right shape: the schema registry says where (the path
        // a distributed transport takes for raw JSON).
        return match app.bus.registry().validate_json(PlaceOrder::NAME, PlaceOrder::VERSION, raw.clone()) {
            Err(error) => refused(error),
            Ok(()) => {
                let reason = "decodes through the registry but not directly".to_owned();
                (report(Outcome::Failed { reason }), Placed::EngineError)
            }
        };
    };
    let customer =
        ModuleContext::new("storefront", Principal::user(order.customer_email.clone(), ["customer"]));
    match app.bus.send(&customer, order.clone()).await {
        Ok(reply) => {
            let outcome = match reply.status {
                OrderStatus::Completed => Outcome::Completed,
                OrderStatus::Compensated => {
                    Outcome::Compensated { reason: reply.reason.unwrap_or_default(), undone: reply.undone }
                }
                OrderStatus::Failed => Outcome::Failed { reason: reply.reason.unwrap_or_default() },
            };
            (report(outcome), Placed::Accepted(order, reply.status))
        }
        Err(error) => refused(error),
    }
}

/// Compares what the modules hold with what the outcomes imply.
async fn check_ledger(
    app: &App,
    input: &Input,
    accepted: &[(PlaceOrder, OrderStatus)],
    reports: &[OrderReport],
) -> Result<Ledger, AppError> {
    let mut ledger = Ledger::default();
    let completed: Vec<&PlaceOrder> =
        accepted.iter().filter(|(_, s)| *s == OrderStatus::Completed).map(|(o, _)| o).collect();

    // Stock: initial minus the quantities of completed orders.
    let mut expected: BTreeMap<String, i64> =
        input.stock.iter().map(|s| (s.sku.clone(), s.quantity)).collect();
    for order in &completed {
        for line in &order.lines {
            *expected.entry(line.sku.clone()).or_default() -= i64::from(line.quantity);
        }
    }
    let actual: BTreeMap<String, i64> =
        app.bus.send(&operator(), GetStock {}).await?.into_iter().map(|s| (s.sku, s.quantity)).collect();
    if actual == expected {
        ledger.checks.push(format!("stock: {} SKUs = initial - completed orders", actual.len()));
    } else {
        ledger.errors.push(format!("stock: expected {expected:?}, inventory holds {actual:?}"));
    }

    // Money: net charged equals the totals of completed orders; every order
    // whose payment was undone was refunded.
    let completed_total = completed.iter().map(|o| o.total_cents()).fold(0, i64::saturating_add);
    let refunds_expected = reports
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Compensated { undone, .. } if undone.iter().any(|s| s == "charge_payment")))
        .count();
    let payments = app.bus.send(&operator(), GetPaymentLedger {}).await?;
    let net = payments.charged_cents - payments.refunded_cents;
    if net == completed_total && usize::try_from(payments.refunds).ok() == Some(refunds_expected) {
        ledger.checks.push(format!(
            "payments: charged {}, refunded {} ({} refunds), net {} = completed totals",
            money(payments.charged_cents),
            money(payments.refunded_cents),
            payments.refunds,
            money(net)
        ));
    } else {
        ledger.errors.push(format!(
            "payments: net {} with {} refunds, expected {} with {refunds_expected} refunds",
            money(net),
            payments.refunds,
            money(completed_total)
        ));
    }

    // Notifications: every accepted order was received by `notifications`;
    // every completed order got its invoice from the background task.
    let expected_invoices: Vec<(String, i64)> = completed
        .iter()
        .map(|o| (o.order_id.clone(), o.total_cents()))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    let notifications = wait_for_invoices(app, expected_invoices.len()).await?;
    let invoices: Vec<(String, i64)> =
        notifications.invoices.iter().map(|i| (i.order_id.clone(), i.total_cents)).collect();
    if invoices == expected_invoices {
        ledger.checks.push(format!(
            "invoices: {} issued by the background task, one per completed order",
            invoices.len()
        ));
    } else {
        ledger.errors.push(format!("invoices: expected {expected_invoices:?}, issued {invoices:?}"));
    }
    let mut received_expected: Vec<String> = accepted.iter().map(|(o, _)| o.order_id.clone()).collect();
    received_expected.sort();
    if notifications.received == received_expected {
        ledger.checks.push(format!(
            "notifications: {} orders received by the notifications module",
            received_expected.len()
        ));
    } else {
        ledger.errors.push(format!(
            "notifications: expected {received_expected:?} received, got {:?}",
            notifications.received
        ));
    }
    Ok(ledger)
}

/// Invoices are issued asynchronously (event → background task): wait for
/// them, up to a deadline.
async fn wait_for_invoices(app: &App, expected: usize) -> Result<order_contracts::Notifications, AppError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let notifications = app.bus.send(&operator(), GetNotifications {}).await?;
        if notifications.invoices.len() >= expected || tokio::time::Instant::now() >= deadline {
            return Ok(notifications);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// Removes the files of an earlier run: each run starts from its input.
fn reset_files(db: &Path) -> Result<(), AppError> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
            action: "cannot create directory",
            path: dir.display().to_string(),
            source,
        })?;
    }
    for base in [db.to_path_buf(), tasks_path(db)] {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = base.clone().into_os_string();
            name.push(suffix);
            let path = PathBuf::from(name);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(AppError::Io {
                        action: "cannot remove",
                        path: path.display().to_string(),
                        source,
                    });
                }
            }
        }
    }
    Ok(())
}

/// A progress bar on stderr, redrawn in place on a terminal.
struct ProgressBar {
    total: usize,
    done: usize,
    enabled: bool,
    terminal: bool,
}

impl ProgressBar {
    fn new(total: usize, enabled: bool) -> Self {
        let bar = Self { total, done: 0, enabled, terminal: std::io::stderr().is_terminal() };
        bar.draw();
        bar
    }

    fn draw(&self) {
        // In a log (not a terminal), one line per tenth of the work.
        let tenth = |n: usize| (n * 10).checked_div(self.total).unwrap_or(10);
        let logged = self.done == 0 || tenth(self.done) != tenth(self.done - 1);
        if !self.enabled || (!self.terminal && !logged) {
            return;
        }
        const WIDTH: usize = 30;
        let filled = (self.done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let line = format!(
            "[{}{}] {}/{} orders",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.done,
            self.total
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal { write!(err, "\r{line}") } else { writeln!(err, "{line}") };
        let _ = err.flush();
    }

    fn clear(&self) {
        if self.enabled && self.terminal {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }

    fn advance(&mut self) {
        self.done += 1;
        self.draw();
    }

    fn finish(&self) {
        if self.enabled && self.terminal {
            let _ = writeln!(std::io::stderr().lock());
        }
    }
}
