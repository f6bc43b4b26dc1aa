//! Persistence: one behaviour over two stores.
//!
//! The embedded default is a GeoPackage file (SQLite) so `sigap serve` needs no set-up and
//! Citata can open the same file in QGIS; PostGIS is the production store (and what martin
//! serves tiles from). Every store test runs against both.

pub mod audit;
pub mod boundaries;
pub mod geom;
pub mod idempotency;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokens;

use sqlx::postgres::{PgPoolOptions, Postgres};
use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored geometry of {0} cannot be read: {1}")]
    Geometry(String, String),
    #[error("stored value is invalid: {0}")]
    Invalid(String),
    #[error("cannot create the store directory {0}: {1}")]
    Dir(String, std::io::Error),
    #[error("store task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the store's writer stayed busy for more than {0:?}; try again")]
    Busy(std::time::Duration),
}

impl StoreError {
    /// A unique constraint refused the write (on either store): another writer stored the same
    /// key first, which a domain answers as a conflict rather than a server error.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation())
    }
}

/// The store behind the service; cheap to clone (pools are reference counted).
#[derive(Clone, Debug)]
pub enum Store {
    Gpkg(SqlitePool),
    Postgis(PgPool),
}

/// A transaction on either store, so a request's writes (its rows, audit entries, idempotency
/// record) commit or roll back together.
pub enum Tx {
    Gpkg(GpkgTx),
    Postgis(Transaction<'static, Postgres>),
}

/// A GeoPackage write transaction with its place in the file's writer queue ([`writer_turn`]):
/// the turn is given back when the transaction commits, or is dropped (rolled back). Derefs to
/// the connection, so `&mut **t` of a `Tx::Gpkg(t)` is the connection as for PostGIS.
pub struct GpkgTx {
    tx: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedSemaphorePermit,
}

impl std::ops::Deref for GpkgTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for GpkgTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// A JSON column on either store: PostgreSQL `jsonb`, SQLite `TEXT` holding the JSON text.
///
/// sqlx encodes and decodes `Json<T>` (and `serde_json::Value`, which is `Json<Value>` under the
/// hood) for both dialects: bound as `jsonb` on PostgreSQL and as text on SQLite, read from
/// either. So SQL that stores or reads JSON is portable as written: no `$1::jsonb` cast on
/// insert, no `col::text` on select, no branch on the store. Bind a `Value` or an
/// `Option<Value>` (`None` is SQL NULL, `Some(Value::Null)` is JSON `null`) and read `Value` /
/// `Option<Value>` columns directly, e.g. in a `#[derive(sqlx::FromRow)]` row struct; wrap a
/// typed value in `Json` to bind or read it without going through `Value`.
pub use sqlx::types::Json;

/// Runs the same expression on either store's pool when the SQL is portable.
#[macro_export]
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Gpkg($p) => $body,
            $crate::store::Store::Postgis($p) => $body,
        }
    };
}

/// Runs the same expression on either transaction's connection when the SQL is portable.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Gpkg(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::Postgis(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// How long a GeoPackage writer waits for its turn (in this process: [`writer_turn`]; for
/// another process's writer, e.g. a bulk import: SQLite's busy timeout) before it gives up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The writer queue of a GeoPackage file in this process: one turn (SQLite has one writer).
///
/// Why: a writer used to wait for SQLite's write lock inside `BEGIN IMMEDIATE`, holding a pooled
/// connection while SQLite's busy handler slept and retried (sleeps growing to 100 ms, no order
/// among the waiters). With a hand-out burst and the intake writer, all 4 pooled connections
/// were held by writers asleep in that loop, so everything else (token look-ups, the intake
/// writer, the checkpointer) waited in the pool: up to 0.9 s per `BEGIN` and, once in the
/// load-and-crash suite under a busy CI machine, 2.1 s for a connection (sqlx's slow-acquire
/// warning). Waiting here instead, writers queue first come first served, wake the moment the
/// previous one commits, and hold no connection while they wait: the other 3 stay free for
/// reads. SQLite's own lock (and busy timeout) still orders this process against others.
/// Keyed by the file name as given to [`Store::open`] (pools opened on one file share it).
async fn writer_turn(pool: &SqlitePool, within: std::time::Duration) -> Result<tokio::sync::OwnedSemaphorePermit, StoreError> {
    static QUEUES: LazyLock<Mutex<HashMap<std::path::PathBuf, Arc<tokio::sync::Semaphore>>>> = LazyLock::new(Default::default);
    let queue = {
        let mut queues = QUEUES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        queues.entry(pool.connect_options().get_filename().to_path_buf()).or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(1))).clone()
    };
    match tokio::time::timeout(within, queue.acquire_owned()).await {
        Ok(Ok(turn)) => Ok(turn),
        // The semaphore is never closed; a closed one would mean no writer can ever run.
        Ok(Err(_)) | Err(_) => Err(StoreError::Busy(within)),
    }
}

/// Connection settings of the GeoPackage store. WAL lets readers run beside the one writer.
/// Commits wait for the WAL's fsync (`synchronous = FULL`) so a write acknowledged with a 2xx
/// survives power loss and an OS crash, as the README promises, not only a crash of sigap
/// (all that NORMAL guarantees). `SIGAP_GPKG_SYNCHRONOUS=normal` trades that for throughput;
/// the measured cost of each is in the README ("Durability", `cargo bench --bench durability`).
pub fn gpkg_options(path: &str) -> Result<SqliteConnectOptions, StoreError> {
    let synchronous = match std::env::var("SIGAP_GPKG_SYNCHRONOUS").as_deref().map(str::to_ascii_lowercase).as_deref() {
        Err(_) | Ok("full") => SqliteSynchronous::Full,
        Ok("normal") => SqliteSynchronous::Normal,
        Ok(other) => return Err(StoreError::Invalid(format!("SIGAP_GPKG_SYNCHRONOUS={other:?}: use full (default) or normal"))),
    };
    Ok(SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // One writer at a time: under a burst, opening a connection or a statement can wait for the
        // write lock (bounded by the busy timeout above) for longer than sqlx's 1 s default alarm.
        // That wait is the designed behaviour and shows in the latency histograms; warn only when
        // it reaches half the busy timeout, where it is a real sign of trouble.
        .log_slow_statements(log::LevelFilter::Warn, std::time::Duration::from_secs(5)))
    // Not here: the GeoPackage identity (`application_id`, `user_version`) is written once by
    // [`Store::open`]. Set on every new connection, it wrote the file header each time, so a
    // connection opened while a writer held the lock waited for it (a read on a fresh pooled
    // connection behind a long write failed with `database is locked` after the busy timeout).
}

/// GeoPackage 1.3 identity: GDAL and QGIS check these two header fields.
const GPKG_IDENTITY: [(&str, i64); 2] = [("application_id", 1_196_444_487), ("user_version", 10_300)];

/// Whether the GeoPackage's WAL is copied back into the database file by a background task
/// (the default) or by SQLite's automatic checkpoint (`SIGAP_GPKG_CHECKPOINT=auto`).
///
/// Why: SQLite's automatic checkpoint runs inside the `COMMIT` that pushes the WAL past 1,000
/// pages, so that commit (and every request waiting on it, a whole intake batch) also pays for
/// copying ~4 MB into the database file and its fsync. Under 1,000 intakes/s that was every
/// ~0.6 s. In the background the copy runs beside the writer (a PASSIVE checkpoint never blocks
/// it), and commits only append to the WAL and fsync it. Durability is the same: a commit is
/// acknowledged after the WAL's fsync either way. The measured difference is in the README
/// ("Group commit").
fn checkpoint_in_background() -> Result<bool, StoreError> {
    checkpoint_mode(std::env::var("SIGAP_GPKG_CHECKPOINT").ok().as_deref())
}

/// `SIGAP_GPKG_CHECKPOINT` read: true for background (the default), false for auto.
pub fn checkpoint_mode(value: Option<&str>) -> Result<bool, StoreError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("background") => Ok(true),
        Some("auto") => Ok(false),
        Some(other) => Err(StoreError::Invalid(format!("SIGAP_GPKG_CHECKPOINT={other:?}: use background (default) or auto"))),
    }
}

/// Pages of WAL past which the background checkpoint also restarts the WAL (~16 MiB): see
/// [`checkpointer`].
pub const WAL_RESTART_PAGES: i64 = 4096;

/// The background checkpoint of a GeoPackage store: every 200 ms a PASSIVE checkpoint copies
/// what the WAL holds into the database file without waiting for or blocking the writer. The WAL
/// starts over from its beginning only when a writer finds it fully copied; under a steady
/// stream of commits that moment may not come, so once the WAL passes [`WAL_RESTART_PAGES`] and
/// a PASSIVE copied all of it, a RESTART checkpoint makes it: it waits (busy timeout) for the
/// writer in flight, holds the next one back while it copies the few frames committed since and
/// syncs, and resets the WAL (which keeps its size and is overwritten in place). Stops when the
/// pool is closed.
async fn checkpointer(pool: SqlitePool) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        match checkpoint_step(&pool, WAL_RESTART_PAGES).await {
            Ok(_) => {}
            Err(e) if pool.is_closed() => return tracing::debug!(error = %e, "checkpointer stops with its pool"),
            Err(e) => tracing::warn!(error = %e, "GeoPackage background checkpoint failed; retried on the next tick"),
        }
    }
}

/// What one [`checkpoint_step`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checkpointed {
    /// Frames in the WAL when the PASSIVE checkpoint ran.
    pub wal_frames: i64,
    /// Of those, copied into the database file.
    pub copied: i64,
    /// Whether the WAL was also restarted (it held more frames than asked).
    pub restarted: bool,
}

/// One tick of [`checkpointer`]: a PASSIVE checkpoint, then a RESTART one if the WAL held more
/// than `restart_above` frames (the task uses [`WAL_RESTART_PAGES`]; public for its test).
pub async fn checkpoint_step(pool: &SqlitePool, restart_above: i64) -> Result<Checkpointed, StoreError> {
    // (busy, frames in the WAL, frames copied)
    let (_, wal_frames, copied) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await?;
    // Only once the PASSIVE caught up: the RESTART then has (almost) nothing left to copy, so the
    // writer it holds back waits for a sync, not for a long copy (e.g. behind a bulk load).
    let restarted = wal_frames > restart_above && copied == wal_frames;
    if restarted {
        // In the writer queue like a writer: the writers behind it wait their turn there, holding
        // no pooled connection, instead of in SQLite's busy loop.
        let _turn = writer_turn(pool, BUSY_TIMEOUT).await?;
        let (busy, _, _) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)").fetch_one(pool).await?;
        if busy != 0 {
            return Err(StoreError::Invalid("WAL restart checkpoint found the database busy past the busy timeout".into()));
        }
    }
    Ok(Checkpointed { wal_frames, copied, restarted })
}

impl Store {
    /// Opens (creating if needed) the store named by `url` and runs its migrations.
    /// `postgres://…` selects PostGIS; anything else is a GeoPackage path (`sqlite://` optional).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            Ok(Store::Postgis(pool))
        } else {
            let path = url.trim_start_matches("sqlite://");
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Dir(dir.display().to_string(), e))?;
                }
            }
            let background = checkpoint_in_background()?;
            let mut opts = gpkg_options(path)?;
            if background {
                opts = opts.pragma("wal_autocheckpoint", "0");
            }
            // No liveness ping before handing out a connection: a SQLite connection is a file
            // handle in this process and cannot go stale, and the ping is one more round trip
            // to the connection's worker thread on every transaction (the intake writer's
            // `begin` phase included).
            let pool = SqlitePoolOptions::new().max_connections(4).test_before_acquire(false).connect_with(opts).await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            for (pragma, value) in GPKG_IDENTITY {
                let stored: i64 = sqlx::query_scalar(&format!("PRAGMA {pragma}")).fetch_one(&pool).await?;
                if stored != value {
                    sqlx::query(&format!("PRAGMA {pragma} = {value}")).execute(&pool).await?;
                }
            }
            if background {
                tokio::spawn(checkpointer(pool.clone()));
            }
            Ok(Store::Gpkg(pool))
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Gpkg(_) => "geopackage",
            Store::Postgis(_) => "postgis",
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first (an idempotency lookup, a ledger)
    /// cannot upgrade to a writer once another connection has committed (SQLITE_BUSY_SNAPSHOT,
    /// which `busy_timeout` does not wait out); an immediate one waits its turn instead. The
    /// turn is first taken in this process's writer queue ([`writer_turn`]) before a pooled
    /// connection, so waiting writers hold none.
    /// Never acquire a second pooled connection while holding the returned transaction: read
    /// what the write needs first, or read it through the transaction.
    ///
    /// The `BEGIN` runs in its own task, so it cannot be cancelled half way. axum drops a
    /// handler's future when the client hangs up; dropped between the driver running `BEGIN` and
    /// handing back the transaction, sqlx returned the connection to the pool still inside a
    /// transaction that nobody owns: on SQLite every later `BEGIN IMMEDIATE` on it failed
    /// ("begin_with at non-zero transaction depth", 339 × 500 after 3,000 aborted POSTs), on
    /// PostgreSQL the next request's `BEGIN` ran inside the orphan ("already a transaction in
    /// progress"). In a task, the transaction always reaches an owner: the caller, or the task's
    /// dropped output, which rolls it back.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        self.begin_within(BUSY_TIMEOUT).await
    }

    /// [`Store::begin`] that gives up with [`StoreError::Busy`] when the GeoPackage's writer
    /// queue has not come to it `within` this time (on PostGIS, where writers do not queue for
    /// one lock, the pool's own timeout applies). `begin` waits [`BUSY_TIMEOUT`].
    pub async fn begin_within(&self, within: std::time::Duration) -> Result<Tx, StoreError> {
        // Counted while waiting for a pooled connection (and, on SQLite, for the write lock),
        // for `/metrics`: sqlx does not say how many wait for its pool.
        let _waiting = Waiting::start();
        Ok(match self {
            Store::Gpkg(p) => {
                let p = p.clone();
                // The turn is taken in the task too: a caller cancelled after it was given drops
                // the task's output, which gives the turn back with the rolled-back transaction.
                Tx::Gpkg(
                    tokio::spawn(async move {
                        let turn = writer_turn(&p, within).await?;
                        Ok::<_, StoreError>(GpkgTx { tx: p.begin_with("BEGIN IMMEDIATE").await?, _turn: turn })
                    })
                    .await??,
                )
            }
            Store::Postgis(p) => {
                let p = p.clone();
                Tx::Postgis(tokio::spawn(async move { p.begin().await }).await??)
            }
        })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

/// Write transactions waiting to start in this process (see [`Store::begin`]).
static BEGIN_WAITING: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// How many [`Store::begin`] calls are waiting for a connection or the write lock right now.
pub fn begin_waiting() -> i64 {
    BEGIN_WAITING.load(std::sync::atomic::Ordering::Relaxed)
}

/// One waiter of [`BEGIN_WAITING`], counted down when dropped (also when the caller is cancelled).
struct Waiting;

impl Waiting {
    fn start() -> Waiting {
        BEGIN_WAITING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        BEGIN_WAITING.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Tx {
    /// Commits in its own task (like [`Store::begin`]), so a client hanging up cannot cut the
    /// `COMMIT` off from the transaction's bookkeeping: it finishes, and its result stands.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            // The writer's turn goes to the next one once the COMMIT returned.
            Tx::Gpkg(GpkgTx { tx, _turn }) => {
                tokio::spawn(async move {
                    let done = tx.commit().await;
                    drop(_turn);
                    done
                })
                .await??
            }
            Tx::Postgis(t) => tokio::spawn(t.commit()).await??,
        }
        Ok(())
    }
}
