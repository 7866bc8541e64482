use std::{future::Future, pin::Pin};

use crate::{BootProblem, BootReport, Extension};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type StartupFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// Async work modules need done once before the application serves
/// (creating their tables, warming caches). A [`Extension`]: modules add
/// hooks while wiring; the composition root runs them after boot.
///
/// ```
/// use core_di::StartupHooks;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut hooks = StartupHooks::default();
/// hooks.add("inventory", "create tables", async { Ok(()) });
/// hooks.add("payments", "create tables", async { Err("disk full".into()) });
/// let report = hooks.run().await.unwrap_err();
/// assert!(report.to_string().contains("module `payments`: startup hook `create tables` failed: disk full"));
/// # });
/// ```
#[derive(Default)]
pub struct StartupHooks {
    hooks: Vec<(&'static str, &'static str, StartupFuture)>,
}

impl std::fmt::Debug for StartupHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.hooks.iter().map(|(m, n, _)| format!("{m}: {n}")).collect();
        f.debug_struct("StartupHooks").field("hooks", &names).finish()
    }
}

impl StartupHooks {
    /// Adds `module`'s hook named `name`.
    pub fn add(
        &mut self,
        module: &'static str,
        name: &'static str,
        hook: impl Future<Output = Result<(), BoxError>> + Send + 'static,
    ) -> &mut Self {
        self.hooks.push((module, name, Box::pin(hook)));
        self
    }

    /// Runs every hook in the order added, and reports every failure at once.
    ///
    /// # Errors
    /// A [`BootReport`] with one problem per failed hook.
    pub async fn run(self) -> Result<(), BootReport> {
        let mut report = BootReport::default();
        for (module, name, hook) in self.hooks {
            if let Err(error) = hook.await {
                report.push(BootProblem::Invalid {
                    module: module.into(),
                    message: format!("startup hook `{name}` failed: {error}"),
                });
            }
        }
        if report.is_empty() { Ok(()) } else { Err(report) }
    }
}

impl Extension for StartupHooks {}
