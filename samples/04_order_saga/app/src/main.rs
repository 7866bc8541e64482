//! `order-saga`: runs the order saga sample. See `--help`.

use std::{path::PathBuf, process::ExitCode};

use order_saga::{AppProfile, RunOptions, run};

const USAGE: &str =
    "usage: order-saga [--input FILE] [--db PATH] [--report FILE] [--profile sqlite|memory] [--no-progress]

Places every order of FILE (default: samples/04_order_saga/data/orders.json)
through five modules talking over the bus, prints each order's outcome and a
summary, checks that stock, payments and invoices add up.

  --input FILE     orders and initial stock (JSON)
  --db PATH        SQLite file for module tables and sagas; recreated on each
                   run (default: target/order-saga/order_saga.db); background
                   tasks use PATH.tasks beside it
  --report FILE    also write the outcomes as JSON
  --profile NAME   sqlite (embedded defaults, default) or memory
  --no-progress    no progress bar

Exit status: 0 when the engine behaved (business failures are outcomes),
1 when the ledger check fails or an order hit an engine error, 2 on a usage
error, 3 when the engine cannot run (bad input file, database, boot).";

struct Args {
    options: RunOptions,
    report: Option<PathBuf>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let mut options = RunOptions {
        input: root.join("samples/04_order_saga/data/orders.json"),
        db: root.join("target/order-saga/order_saga.db"),
        profile: AppProfile::Sqlite,
        progress: true,
        print: true,
    };
    let mut report = None;
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--input" => options.input = value("--input")?.into(),
            "--db" => options.db = value("--db")?.into(),
            "--report" => report = Some(value("--report")?.into()),
            "--profile" => {
                options.profile = match value("--profile")?.as_str() {
                    "sqlite" => AppProfile::Sqlite,
                    "memory" => AppProfile::Memory,
                    other => return Err(format!("unknown profile `{other}`: use sqlite or memory")),
                }
            }
            "--no-progress" => options.progress = false,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(Args { options, report }))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("error: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Make sure the report can be written before doing the work.
    if let Some(dir) = args.report.as_deref().and_then(|p| p.parent()).filter(|d| !d.as_os_str().is_empty())
        && let Err(error) = std::fs::create_dir_all(dir)
    {
        eprintln!("error: cannot create the report's directory `{}`: {error}", dir.display());
        return ExitCode::from(2);
    }
    let report = match run(&args.options).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(3);
        }
    };
    for check in &report.ledger.checks {
        println!("ledger ok: {check}");
    }
    for error in &report.ledger.errors {
        println!("ledger MISMATCH: {error}");
    }
    for error in &report.engine_errors {
        println!("engine ERROR: {error}");
    }
    println!(
        "audit: {} messages recorded while placing orders, {} transient failures retried",
        report.audited_messages, report.transient_failures
    );
    println!("{}", report.summary);
    if let Some(path) = &args.report {
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(path, json + "\n").map_err(|e| e.to_string()));
        if let Err(error) = written {
            eprintln!("error: cannot write report `{}`: {error}", path.display());
            return ExitCode::from(3);
        }
    }
    if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
