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
//!   a routing refusal gives back the key claimed for it ([`idempotency::release_all`]). A store
//!   error of one statement aborts the transaction (PostgreSQL cannot continue one after an
//!   error), so the batch is rolled back and its intakes are written again one transaction
//!   each: the failing one fails alone, its batch-mates are stored. A failed `COMMIT` is not
//!   retried (PostgreSQL may have committed a commit whose answer was lost): every intake of
//!   that batch gets the error, as a lone request did before.
//!
//! A batch costs a constant number of statements, not a number per intake: `BEGIN`, the unit
//! list, one multi-row claim of all its keys ([`idempotency::claim_all`]), one statement storing
//! every new complaint with its history line, audit entry, upload secret and key answer
//! (`store::insert_intakes`), and `COMMIT` — 5; a key answered before adds a read, replays a
//! multi-row insert of their upload secrets, keys given back a delete. Each phase's time and the
//! round trips are on `/metrics` ([`PHASE_SECONDS`], [`ROUND_TRIPS`]); what limits the 1,000/s
//! figure is measured in the README ("Group commit").

use super::model::{Intake, Status};
use super::ops::{self, ComplaintError};
use super::routing::{route, Routing};
use std::time::Instant;
use super::store as cstore;
use crate::store::idempotency::{self, Answered};
use crate::store::{Store, StoreError};
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

/// Seconds per phase of a batch's transaction (`begin`, `units`, `claim`, `write`, `extras`,
/// `commit`, and `total`), to show where the write cycle goes (registered by `api::metrics`).
pub static PHASE_SECONDS: LazyLock<prometheus::HistogramVec> = LazyLock::new(|| {
    let opts = prometheus::HistogramOpts::new("sigap_intake_phase_seconds", "Time per phase of an intake batch's transaction (begin, units, claim, write, extras, commit, total)")
        .buckets(vec![0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]);
    prometheus::HistogramVec::new(opts, &["phase"]).unwrap_or_else(|e| unreachable!("static metric definition: {e}"))
});

/// Statements sent to the store per batch (`BEGIN` and `COMMIT` included): constant, not per intake.
pub static ROUND_TRIPS: LazyLock<prometheus::Histogram> = LazyLock::new(|| {
    let opts = prometheus::HistogramOpts::new("sigap_intake_round_trips", "Statements (round trips) per intake batch, BEGIN and COMMIT included")
        .buckets(vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 16.0, 64.0]);
    prometheus::Histogram::with_opts(opts).unwrap_or_else(|e| unreachable!("static metric definition: {e}"))
});

/// The clock of one batch: each phase's time and round trips go to [`PHASE_SECONDS`] and
/// [`ROUND_TRIPS`] (only for a batch that committed, so the figures describe the write cycle).
struct Phases {
    start: Instant,
    last: Instant,
    laps: Vec<(&'static str, f64)>,
    trips: usize,
}

impl Phases {
    fn start() -> Phases {
        let now = Instant::now();
        Phases { start: now, last: now, laps: Vec::with_capacity(6), trips: 0 }
    }

    fn lap(&mut self, phase: &'static str, trips: usize) {
        let now = Instant::now();
        self.laps.push((phase, (now - self.last).as_secs_f64()));
        self.last = now;
        self.trips += trips;
    }

    fn done(mut self) -> BatchTrace {
        self.laps.push(("total", self.start.elapsed().as_secs_f64()));
        for (phase, s) in &self.laps {
            PHASE_SECONDS.with_label_values(&[phase]).observe(*s);
        }
        ROUND_TRIPS.observe(self.trips as f64);
        BatchTrace { round_trips: self.trips, phases: self.laps }
    }
}

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
    write_batch_traced(store, jobs).await.0
}

/// What one batch cost: its round trips (statements, `BEGIN` and `COMMIT` included) and the
/// time of each phase, in seconds. Also on `/metrics`.
#[derive(Debug, Clone)]
pub struct BatchTrace {
    pub round_trips: usize,
    pub phases: Vec<(&'static str, f64)>,
}

/// [`write_batch`] that also tells what the batch's transaction cost (`None` when it did not
/// commit as one, e.g. written again one intake at a time).
pub async fn write_batch_traced(store: &Store, jobs: &[Job]) -> (Vec<Result<Outcome, ComplaintError>>, Option<BatchTrace>) {
    BATCH_SIZE.observe(jobs.len() as f64);
    match write_together(store, jobs).await {
        Ok((out, trace)) => (out, Some(trace)),
        Err(Failed::Statement(e)) if jobs.len() > 1 => {
            tracing::warn!(error = %e, intakes = jobs.len(), "an intake batch failed; writing its intakes one transaction each");
            let mut out = Vec::with_capacity(jobs.len());
            for job in jobs {
                out.push(match write_together(store, std::slice::from_ref(job)).await {
                    Ok((mut one, _)) => one.pop().unwrap_or_else(|| Err(StoreError::Invalid("intake writer lost an answer".into()).into())),
                    Err(Failed::Statement(e) | Failed::Commit(e)) => Err(e.into()),
                });
            }
            (out, None)
        }
        Err(Failed::Statement(e) | Failed::Commit(e)) => {
            let text = e.to_string();
            let mut out = vec![Err(e.into())];
            out.extend((1..jobs.len()).map(|_| Err(StoreError::Invalid(format!("commit of an intake batch failed: {text}")).into())));
            (out, None)
        }
    }
}

async fn write_together(store: &Store, jobs: &[Job]) -> Result<(Vec<Result<Outcome, ComplaintError>>, BatchTrace), Failed> {
    let mut clock = Phases::start();
    let mut tx = store.begin().await.map_err(Failed::Statement)?;
    clock.lap("begin", 1);
    let units = ops::units_tx(&mut tx).await.map_err(Failed::Statement)?;
    clock.lap("units", 1);

    // 1. Every key of the batch claimed in one statement (the first request of a key claims it).
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for k in jobs.iter().filter_map(|j| j.keyed.as_ref()) {
        if !keys.iter().any(|(key, _)| *key == k.key) {
            keys.push((&k.key, &k.request_hash));
        }
    }
    let priors = idempotency::claim_all(&mut tx, SCOPE, &keys).await.map_err(Failed::Statement)?;
    let mut state: std::collections::HashMap<&str, KeyState> = keys.iter().map(|(k, _)| *k).zip(priors.into_iter().map(KeyState::from)).collect();
    clock.lap("claim", if keys.is_empty() { 0 } else if state.values().all(|s| matches!(s, KeyState::Ours)) { 1 } else { 2 });

    // 2. Each intake in order, as if alone: a replay, a conflict, a routing refusal or a new row.
    let at = Utc::now();
    let mut plans = Vec::with_capacity(jobs.len());
    let mut routed: Vec<(usize, Routing)> = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        let key = job.keyed.as_ref();
        let st = key.and_then(|k| state.get(k.key.as_str()));
        plans.push(match (key, st) {
            (Some(k), Some(KeyState::Earlier { hash, status, body })) => match *hash == k.request_hash {
                true => Plan::Replay { status: *status, body: body.clone() },
                false => Plan::Done(Ok(Outcome::KeyConflict)),
            },
            (Some(k), Some(KeyState::Created { hash, row })) => match *hash == k.request_hash {
                true => Plan::ReplayRow(*row),
                false => Plan::Done(Ok(Outcome::KeyConflict)),
            },
            // Unkeyed, or a key this batch claimed that no intake took yet (or whose taker was refused).
            _ => match route(&job.atlas, &units, job.intake.channel, job.intake.geotag) {
                Ok(r) => {
                    if let Some(k) = key {
                        state.insert(&k.key, KeyState::Created { hash: &k.request_hash, row: routed.len() });
                    }
                    routed.push((j, r));
                    Plan::New(routed.len() - 1)
                }
                Err(e) => Plan::Done(Err(e.into())),
            },
        });
    }

    // 3. The new complaints and everything beside them, in one statement.
    let mut answers = Vec::with_capacity(routed.len());
    for (_, r) in &routed {
        // The answer is stored in the same statement as the complaint, before its id is known:
        // it is written around a placeholder id (the first member) and joined in SQL.
        let accepted = IntakeAccepted { id: 0, status: r.status, unit: r.unit.clone(), routing: r.clone(), upload_secret: None };
        let template = serde_json::to_string(&accepted).map_err(|e| Failed::Statement(StoreError::Invalid(e.to_string())))?;
        match template.strip_prefix(ID_PLACEHOLDER) {
            Some(after) => answers.push(after.to_string()),
            None => return Err(Failed::Statement(StoreError::Invalid(format!("intake answer does not start with its id: {template}")))),
        }
    }
    let rows: Vec<cstore::IntakeRow> = routed
        .iter()
        .zip(&answers)
        .map(|((j, r), after)| {
            let job = &jobs[*j];
            cstore::IntakeRow {
                complaint: cstore::NewComplaint::of(&job.intake, r, at),
                actor: &job.actor,
                secret_hash: &job.secret_hash,
                key: job.keyed.as_ref().map(|k| (k.key.as_str(), k.request_hash.as_str())),
                answer_after: after,
            }
        })
        .collect();
    let ids = cstore::insert_intakes(&mut tx, SCOPE, ANSWER_HEAD, &rows).await.map_err(Failed::Statement)?;
    clock.lap("write", usize::from(!rows.is_empty()));

    // 4. Replays get their own upload secret; keys whose every taker was refused are given back.
    let mut secrets: Vec<(i64, &str)> = Vec::new();
    for (plan, job) in plans.iter().zip(jobs) {
        let id = match plan {
            Plan::Replay { status: 201, body } => {
                answered_id(body).ok_or_else(|| Failed::Statement(StoreError::Invalid(format!("stored intake answer of a key has no id: {body}"))))?
            }
            Plan::ReplayRow(row) => ids[*row],
            _ => continue,
        };
        secrets.push((id, &job.secret_hash));
    }
    cstore::add_upload_secrets(&mut tx, &secrets, at).await.map_err(Failed::Statement)?;
    let free: Vec<&str> = state.iter().filter(|(_, s)| matches!(s, KeyState::Ours)).map(|(k, _)| *k).collect();
    idempotency::release_all(&mut tx, SCOPE, &free).await.map_err(Failed::Statement)?;
    clock.lap("extras", usize::from(!secrets.is_empty()) + usize::from(!free.is_empty()));

    tx.commit().await.map_err(Failed::Commit)?;
    clock.lap("commit", 1);
    let trace = clock.done();

    let mut routed = routed.into_iter().map(|(_, r)| Some(r)).collect::<Vec<_>>();
    let out = plans
        .into_iter()
        .map(|plan| match plan {
            Plan::Done(o) => o,
            Plan::Replay { status, body } => Ok(Outcome::Replayed { status, body }),
            Plan::ReplayRow(row) => Ok(Outcome::Replayed { status: 201, body: format!("{ANSWER_HEAD}{}{}", ids[row], answers[row]) }),
            Plan::New(row) => match routed[row].take() {
                Some(routing) => Ok(Outcome::Created { id: ids[row], routing: Box::new(routing), answer: format!("{ANSWER_HEAD}{}{}", ids[row], answers[row]) }),
                None => Err(StoreError::Invalid("intake writer answered a row twice".into()).into()),
            },
        })
        .collect();
    Ok((out, trace))
}

/// What the batch knows of one key.
enum KeyState<'a> {
    /// Claimed by this batch, no intake stored under it (yet): the next intake with the key takes
    /// it, whatever its request (as it would after a refusal when alone); given back if none does.
    Ours,
    /// Answered before this batch.
    Earlier { hash: String, status: u16, body: String },
    /// Stored in this batch, as row `row`, for a request with hash `hash`.
    Created { hash: &'a str, row: usize },
}

impl From<Option<Answered>> for KeyState<'_> {
    fn from(a: Option<Answered>) -> Self {
        match a {
            None => KeyState::Ours,
            Some(a) => KeyState::Earlier { hash: a.request_hash, status: a.status, body: a.body },
        }
    }
}

/// What one intake of a batch gets.
enum Plan {
    Done(Result<Outcome, ComplaintError>),
    /// The stored answer of a key answered before this batch.
    Replay { status: u16, body: String },
    /// The answer of the key stored in this batch as row n.
    ReplayRow(usize),
    /// Stored as row n.
    New(usize),
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
