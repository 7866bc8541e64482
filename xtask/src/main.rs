//! `cargo xtask`: the project's commands.
//!
//! - `cargo xtask sample order_saga [ARGS…]`: runs the order saga sample
//!   (ARGS go to the sample; see `cargo xtask sample order_saga --help`).
//! - `cargo xtask test`: every check CI runs: formatting, clippy with
//!   warnings denied, the whole test suite (unit, integration, doc tests),
//!   rustdoc without warnings, and the sample end to end.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

const USAGE: &str = "usage:
  cargo xtask sample order_saga [ARGS...]   run the order saga sample (ARGS: see --help)
  cargo xtask test                          run every check CI runs";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["sample", "order_saga", rest @ ..] => sample(rest),
        ["sample", other, ..] => Err(format!("unknown sample `{other}`: the samples are: order_saga")),
        ["test"] => test(),
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("unknown command `{}`\n{USAGE}", args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs `command`, failing with `what` when it does not succeed.
fn run(what: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let status = command.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

/// Where build outputs go: `CARGO_TARGET_DIR` when set, else `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Runs the sample, passing its exit status through (see its `--help`).
fn sample(args: &[&str]) -> Result<(), String> {
    let mut command = cargo();
    command.args(["run", "--quiet", "--package", "order-saga", "--"]).args(args);
    if !args.contains(&"--db") {
        command.arg("--db").arg(target_dir().join("order-saga/order_saga.db"));
    }
    let status = command.status().map_err(|e| format!("cannot start cargo: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => std::process::exit(code),
        None => Err(format!("the order saga sample was killed ({status})")),
    }
}

fn test() -> Result<(), String> {
    run("formatting (cargo fmt --check)", cargo().args(["fmt", "--all", "--check"]))?;
    run(
        "lints (cargo clippy -D warnings)",
        cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]),
    )?;
    run("tests (cargo test --workspace)", cargo().args(["test", "--workspace", "--locked"]))?;
    run(
        "rustdoc without warnings (cargo doc)",
        cargo().args(["doc", "--workspace", "--no-deps", "--locked"]).env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    let out = target_dir().join("xtask");
    run(
        "the order saga sample, end to end",
        cargo()
            .args(["run", "--quiet", "--locked", "--package", "order-saga", "--", "--no-progress", "--db"])
            .arg(out.join("order_saga.db"))
            .arg("--report")
            .arg(out.join("order_saga_report.json")),
    )?;
    eprintln!("xtask: every check passed");
    Ok(())
}
