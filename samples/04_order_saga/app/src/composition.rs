//! The composition root: chooses adapters for the profile, boots every
//! module linked into the binary, and starts the bus and the task worker.

use std::{path::Path, sync::Arc, time::Duration};

use adapters_apalis::{SqliteTaskQueue, WorkerHandle, WorkerOptions};
use adapters_sql::{SqlSagaStore, open_sqlite, open_sqlite_in_memory};
use core_di::{Boot, Profile, StartupHooks};
use core_domain::Message as _;
use core_events::{BusBuilder, EventBus, InMemoryAuditLog, RolePolicy};
use core_saga::{InMemorySagaStore, SagaCoordinator, SagaStore};
use core_tasks::{InMemoryProgress, InMemoryTaskQueue, TaskMonitor, TaskQueue, TaskRegistry};
use order_contracts as c;
use sea_orm::DatabaseConnection;

use crate::AppError;

// Every module crate must be linked for its registration to be discovered.
core_di::link_modules!(orders, inventory_module, payments, shipping, notifications);

/// Which adapters run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppProfile {
    /// Everything in memory (module tables in an in-memory SQLite).
    Memory,
    /// Embedded defaults: SQLite file for module tables and sagas,
    /// apalis-sqlite (its own file) for background tasks.
    Sqlite,
}

impl AppProfile {
    /// The profile's name, as `core-di` knows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite => "sqlite",
        }
    }
}

/// Who may send what: customers place orders, modules talk among
/// themselves as services, operators load stock and read ledgers.
pub fn authorization_policy() -> RolePolicy {
    let service = [
        c::ReserveStock::NAME,
        c::ReleaseStock::NAME,
        c::ChargePayment::NAME,
        c::RefundPayment::NAME,
        c::ScheduleShipment::NAME,
        c::CancelShipment::NAME,
    ];
    let operator =
        [c::SetStock::NAME, c::GetStock::NAME, c::GetPaymentLedger::NAME, c::GetNotifications::NAME];
    let mut policy = RolePolicy::new().require(c::PlaceOrder::NAME, "customer");
    for name in service {
        policy = policy.require(name, "service");
    }
    for name in operator {
        policy = policy.require(name, "operator");
    }
    policy
}

enum QueueKind {
    Apalis(SqliteTaskQueue),
    Memory(InMemoryTaskQueue),
}

/// The adapters a profile chooses.
struct Adapters {
    connection: DatabaseConnection,
    sagas: Arc<dyn SagaStore>,
    queue: Arc<dyn TaskQueue>,
    monitor: Arc<dyn TaskMonitor>,
    queue_kind: QueueKind,
}

impl Adapters {
    async fn open(profile: AppProfile, db: &Path) -> Result<Self, AppError> {
        Ok(match profile {
            AppProfile::Memory => {
                let queue = InMemoryTaskQueue::new();
                Self {
                    connection: open_sqlite_in_memory().await?,
                    sagas: Arc::new(InMemorySagaStore::new()),
                    queue: Arc::new(queue.clone()),
                    monitor: Arc::new(queue.clone()),
                    queue_kind: QueueKind::Memory(queue),
                }
            }
            AppProfile::Sqlite => {
                let connection = open_sqlite(db).await?;
                let queue = SqliteTaskQueue::open(&tasks_path(db), "order-saga").await?.with_max_attempts(3);
                Self {
                    sagas: Arc::new(SqlSagaStore::new(connection.clone())),
                    connection,
                    queue: Arc::new(queue.clone()),
                    monitor: Arc::new(queue.clone()),
                    queue_kind: QueueKind::Apalis(queue),
                }
            }
        })
    }
}

enum Worker {
    Apalis(WorkerHandle),
    Memory(tokio::task::JoinHandle<()>),
}

/// A booted application.
pub struct App {
    /// The bus.
    pub bus: EventBus,
    /// The audit trail of every message.
    pub audit: InMemoryAuditLog,
    /// Task state.
    pub tasks: Arc<dyn TaskMonitor>,
    /// Task progress and logs.
    pub progress: InMemoryProgress,
    /// Modules that booted.
    pub modules: Vec<&'static str>,
    /// The saga store.
    pub sagas: Arc<dyn SagaStore>,
    worker: Worker,
    db: DatabaseConnection,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("modules", &self.modules).finish_non_exhaustive()
    }
}

impl App {
    /// Boots the application for `profile`; `db` is the SQLite file (sqlite
    /// profile), the task queue uses `<db>.tasks` beside it.
    ///
    /// # Errors
    /// [`AppError`] when a database cannot be opened or boot finds problems.
    pub async fn boot(profile: AppProfile, db: &Path) -> Result<Self, AppError> {
        let Adapters { connection, sagas, queue, monitor, queue_kind } = Adapters::open(profile, db).await?;

        let audit = InMemoryAuditLog::default();
        let mut bus_builder = BusBuilder::new();
        bus_builder.authorization(authorization_policy()).audit(Arc::new(audit.clone()));
        let bus = bus_builder.handle();
        let coordinator = SagaCoordinator::new(sagas.clone(), bus.clone());

        let mut boot = Boot::new(Profile::new(profile.name()));
        boot.bind("app", |b| {
            b.instance(connection.clone())
                .instance(bus.clone())
                .instance(coordinator.clone())
                .instance::<Arc<dyn TaskQueue>>(queue.clone());
        })
        .extension(bus_builder)
        .extension(TaskRegistry::new())
        .extension(StartupHooks::default());
        let mut booted = boot.run()?;
        let vanished = |what: &str| {
            let message = format!("the {what} extension vanished after boot");
            AppError::Boot(
                std::iter::once(core_di::BootProblem::Invalid { module: "app".into(), message }).collect(),
            )
        };
        booted.take_extension::<StartupHooks>().ok_or_else(|| vanished("startup hooks"))?.run().await?;
        let registry = booted.take_extension::<TaskRegistry>().ok_or_else(|| vanished("task registry"))?;
        booted.take_extension::<BusBuilder>().ok_or_else(|| vanished("bus builder"))?.build()?;

        // The recovery scan: resume every saga a crash left unfinished.
        for (id, result) in coordinator.recover().await.map_err(|e| AppError::Recovery(e.to_string()))? {
            match result {
                Ok(state) => tracing::info!(%id, %state, "recovered saga"),
                Err(error) => {
                    tracing::error!(%id, %error, "saga could not be recovered; it needs an operator")
                }
            }
        }
        let (worker, progress) = match queue_kind {
            QueueKind::Apalis(q) => {
                let progress = InMemoryProgress::new();
                let options = WorkerOptions {
                    name: "order-saga".into(),
                    max_attempts: 3,
                    poll_interval: Duration::from_millis(20),
                };
                (Worker::Apalis(q.start_worker(registry, Arc::new(progress.clone()), options)), progress)
            }
            QueueKind::Memory(q) => (Worker::Memory(q.start(registry)), q.progress().clone()),
        };
        Ok(Self {
            bus,
            audit,
            tasks: monitor,
            progress,
            modules: booted.modules().to_vec(),
            sagas,
            worker,
            db: connection,
        })
    }

    /// Stops the task worker and closes the database.
    pub async fn shutdown(self) {
        match self.worker {
            Worker::Apalis(handle) => handle.shutdown().await,
            Worker::Memory(handle) => handle.abort(),
        }
        if let Err(error) = self.db.close().await {
            tracing::warn!(%error, "closing the database failed");
        }
    }
}

/// The task queue's database file, beside the main one.
pub fn tasks_path(db: &Path) -> std::path::PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tasks");
    db.with_file_name(name)
}
