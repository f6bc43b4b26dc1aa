//! Complaint intake with **group commit**: one writer task takes the intakes that are queued and
//! stores several in one transaction, so one commit (on GeoPackage one fsync of the WAL, with
//! `synchronous = FULL`) acknowledges many complaints instead of one.
//!
//! Why: every intake used to be its own write transaction. SQLite has one writer, and each
//! commit waits for an fsync, so a GeoPackage saturated at ~1,300–1,450 intakes/s and queued
//! (p99 154 ms at 1,000/s); PostGIS paid a `BEGIN`, a pooled connection and a `COMMIT` per
//! intake on 2 shared cores (p99 35 ms). Batching needs no waiting: the writer takes what is
//! queued when it is free (`recv_many`), so a lone request is written at once and a crowd is
//! written in the batches that formed while the previous commit ran.
//!
//! The promises are those of `api::write::keyed_write`, unchanged:
//! - **durability**: a request is answered only after the transaction holding its complaint
//!   committed; a client that hangs up does not stop its write (the writer owns it);
//! - **idempotency**: the key is claimed as the intake's first write, in the batch's
//!   transaction; the same key twice in one batch stores one complaint and the second gets the
//!   first's answer as a replay; the same key with another request is a conflict (409);
//! - **isolation of failures**: everything a request can be refused for (its input, its key,
//!   its routing) is answered without failing the batch: input is checked before it is queued,
//!   a routing refusal gives back the key claimed for it ([`idempotency::release`]). A store
//!   error of one statement aborts the transaction (PostgreSQL cannot continue one after an
//!   error), so the batch is rolled back and its intakes are written again one transaction
//!   each: the failing one fails alone, its batch-mates are stored. A failed `COMMIT` is not
//!   retried (PostgreSQL may have committed a commit whose answer was lost): every intake of
//!   that batch gets the error, as a lone request did before.
//!
//! Per intake the writer makes two round trips: the key claim, then one query that stores the
//! complaint, its history line, its audit entry, its upload secret and the key's answer
//! (`store::insert_intake`; both prepared and cached per connection); per batch one `BEGIN`,
//! one read of the unit list and one `COMMIT`. What one intake costs and where the
//! 1,000/s limit lies is measured in the README ("Load and crash").

use super::model::{Intake, Status, Units};
use super::ops::{self, ComplaintError};
use super::routing::{route, Routing};
use super::store as cstore;
use crate::store::idempotency::{self, Prior};
use crate::store::{Store, StoreError, Tx};
use crate::wilayah::Atlas;
use chrono::Utc;
use serde::Serialize;
use std::sync::{Arc, LazyLock, OnceLock};
use tokio::sync::{mpsc, oneshot, Mutex};

/// Idempotency scope of the public intake (`api::write::scope("complaints.intake", None)`).
pub const SCOPE: &str = "complaints.intake:publik";

/// Most intakes in one transaction: a batch this size takes a few ms to write, so a request
/// arriving behind it waits at most that long.
pub const MAX_BATCH: usize = 128;

/// Intakes queued beyond this make the submitting request wait for room (back-pressure), so
/// memory stays bounded when the store stalls.
const QUEUE: usize = 8192;

/// Intakes per transaction, observed per batch (registered on `/metrics` by `api::metrics`).
pub static BATCH_SIZE: LazyLock<prometheus::Histogram> = LazyLock::new(|| {
    let opts = prometheus::HistogramOpts::new("sigap_intake_batch_size", "Complaint intakes written per transaction by the intake writer (group commit)")
        .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]);
    prometheus::Histogram::with_opts(opts).unwrap_or_else(|e| unreachable!("static metric definition: {e}"))
});

/// The answer to an accepted intake (also replayed for a repeated `Idempotency-Key`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct IntakeAccepted {
    pub id: i64,
    pub status: Status,
    pub unit: String,
    pub routing: Routing,
    /// Secret for adding photos to this complaint (header `Upload-Secret`). Only its hash is
    /// stored; a replay of the same `Idempotency-Key` answers a new one (both stay valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_secret: Option<String>,
}

/// The key of a keyed intake (scope [`SCOPE`]) and the hash of its request.
pub struct Keyed {
    pub key: String,
    pub request_hash: String,
}

/// One intake for the writer: checked input, the atlas it is routed on, who sent it.
pub struct Job {
    pub intake: Intake,
    /// Audit and history actor (`kanal:jaki`).
    pub actor: String,
    pub keyed: Option<Keyed>,
    /// Hash of the upload secret answered to this request (stored for the complaint, also on a replay).
    pub secret_hash: String,
    pub atlas: Arc<Atlas>,
}

/// What the writer did with one intake.
#[derive(Debug)]
pub enum Outcome {
    /// Stored now. `answer` is the stored answer (JSON of [`IntakeAccepted`] without the secret).
    Created { id: i64, routing: Box<Routing>, answer: String },
    /// The key was answered before (maybe earlier in the same batch): its stored answer.
    Replayed { status: u16, body: String },
    /// The key was used with a different request.
    KeyConflict,
}

struct Queued {
    job: Job,
    reply: oneshot::Sender<Result<Outcome, ComplaintError>>,
}

/// The queue in front of the writer task(s) of one store. Cheap to share (`Arc`); the tasks are
/// started on first use and stop when the last handle is dropped.
pub struct IntakeWriter {
    store: Store,
    queue: OnceLock<mpsc::Sender<Queued>>,
}

impl IntakeWriter {
    pub fn new(store: Store) -> IntakeWriter {
        IntakeWriter { store, queue: OnceLock::new() }
    }

    fn queue(&self) -> &mpsc::Sender<Queued> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            let rx = Arc::new(Mutex::new(rx));
            // SQLite has one writer: a second task would only wait for the lock. PostgreSQL
            // writes transactions side by side: a second task writes one batch while the
            // first commits, which keeps both cores busy.
            let writers = match self.store {
                Store::Gpkg(_) => 1,
                Store::Postgis(_) => 2,
            };
            for _ in 0..writers {
                tokio::spawn(run(self.store.clone(), rx.clone()));
            }
            tx
        })
    }

    /// Queues `job` and waits until its transaction committed (or failed).
    pub async fn submit(&self, job: Job) -> Result<Outcome, ComplaintError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ComplaintError::Store(StoreError::Invalid("the intake writer has stopped".into()));
        self.queue().send(Queued { job, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Intakes waiting for the writer (not yet in a transaction).
    pub fn queued(&self) -> usize {
        self.queue.get().map_or(0, |q| q.max_capacity() - q.capacity())
    }
}

/// One writer task: batches of what is queued, until every handle is gone.
async fn run(store: Store, rx: Arc<Mutex<mpsc::Receiver<Queued>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let got = rx.lock().await.recv_many(&mut batch, MAX_BATCH).await;
        if got == 0 {
            return;
        }
        let (jobs, replies): (Vec<Job>, Vec<_>) = batch.drain(..).map(|q| (q.job, q.reply)).unzip();
        for (reply, outcome) in replies.into_iter().zip(write_batch(&store, &jobs).await) {
            // The client may have hung up: its complaint is stored all the same.
            let _ = reply.send(outcome);
        }
    }
}

/// Why a batch's transaction failed.
enum Failed {
    /// A statement (or `BEGIN`): nothing was written; the intakes can be written again.
    Statement(StoreError),
    /// The `COMMIT`: whether it took effect is unknown on PostgreSQL; not retried.
    Commit(StoreError),
}

/// Writes `jobs` in one transaction and answers each; if a statement fails, writes them again
/// one transaction each, so only the intake at fault fails. Public for the tests of batching.
pub async fn write_batch(store: &Store, jobs: &[Job]) -> Vec<Result<Outcome, ComplaintError>> {
    BATCH_SIZE.observe(jobs.len() as f64);
    match write_together(store, jobs).await {
        Ok(out) => out,
        Err(Failed::Statement(e)) if jobs.len() > 1 => {
            tracing::warn!(error = %e, intakes = jobs.len(), "an intake batch failed; writing its intakes one transaction each");
            let mut out = Vec::with_capacity(jobs.len());
            for job in jobs {
                out.push(match write_together(store, std::slice::from_ref(job)).await {
                    Ok(mut one) => one.pop().unwrap_or_else(|| Err(StoreError::Invalid("intake writer lost an answer".into()).into())),
                    Err(Failed::Statement(e) | Failed::Commit(e)) => Err(e.into()),
                });
            }
            out
        }
        Err(Failed::Statement(e) | Failed::Commit(e)) => {
            let text = e.to_string();
            let mut out = vec![Err(e.into())];
            out.extend((1..jobs.len()).map(|_| Err(StoreError::Invalid(format!("commit of an intake batch failed: {text}")).into())));
            out
        }
    }
}

async fn write_together(store: &Store, jobs: &[Job]) -> Result<Vec<Result<Outcome, ComplaintError>>, Failed> {
    let mut tx = store.begin().await.map_err(Failed::Statement)?;
    let units = ops::units_tx(&mut tx).await.map_err(Failed::Statement)?;
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        match write_one(&mut tx, &units, job).await {
            Ok(o) => out.push(Ok(o)),
            // Dropping `tx` rolls the whole batch back.
            Err(Refused::Store(e)) => return Err(Failed::Statement(e)),
            Err(Refused::Domain(e)) => out.push(Err(e)),
        }
    }
    tx.commit().await.map_err(Failed::Commit)?;
    Ok(out)
}

/// A refusal that leaves the transaction usable (`Domain`: nothing of this intake is written)
/// or one that does not (`Store`).
enum Refused {
    Domain(ComplaintError),
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        Refused::Store(e)
    }
}

async fn write_one(tx: &mut Tx, units: &Units, job: &Job) -> Result<Outcome, Refused> {
    if let Some(k) = &job.keyed {
        match idempotency::claim(tx, SCOPE, &k.key, &k.request_hash).await? {
            Prior::None => {}
            Prior::Same { status, body } => {
                // The replayed complaint gets this request's upload secret too.
                if status == 201 {
                    let id = answered_id(&body).ok_or_else(|| StoreError::Invalid(format!("stored intake answer of key {:?} has no id", k.key)))?;
                    cstore::add_upload_secret(tx, id, &job.secret_hash, Utc::now()).await?;
                }
                return Ok(Outcome::Replayed { status, body });
            }
            Prior::Conflict => return Ok(Outcome::KeyConflict),
        }
    }
    let routing = match route(&job.atlas, units, job.intake.channel, job.intake.geotag) {
        Ok(r) => r,
        Err(e) => {
            if let Some(k) = &job.keyed {
                idempotency::release(tx, SCOPE, &k.key).await?;
            }
            return Err(Refused::Domain(e.into()));
        }
    };
    let at = Utc::now();
    // The answer is stored in the same round trip as the complaint, before its id is known:
    // it is written around a placeholder id (the first member) and joined in SQL.
    let accepted = IntakeAccepted { id: 0, status: routing.status, unit: routing.unit.clone(), routing, upload_secret: None };
    let template = serde_json::to_string(&accepted).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let after = template.strip_prefix(ID_PLACEHOLDER).ok_or_else(|| StoreError::Invalid(format!("intake answer does not start with its id: {template}")))?;
    let new = cstore::NewComplaint::of(&job.intake, &accepted.routing, at);
    let extras = cstore::IntakeExtras {
        actor: &job.actor,
        secret_hash: &job.secret_hash,
        key: job.keyed.as_ref().map(|k| (SCOPE, k.key.as_str())),
        answer: (ANSWER_HEAD, after),
    };
    let id = cstore::insert_intake(tx, &new, &extras).await?;
    let answer = format!("{ANSWER_HEAD}{id}{after}");
    Ok(Outcome::Created { id, routing: Box::new(accepted.routing), answer })
}

/// The stored answer starts with its id: `{"id":` then the number.
const ANSWER_HEAD: &str = "{\"id\":";
const ID_PLACEHOLDER: &str = "{\"id\":0";

/// The complaint id of a stored intake answer.
fn answered_id(body: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    serde_json::from_str::<Id>(body).ok().map(|i| i.id)
}
