//! Plan jobs in either store: created queued with the request, marked running, finished with the
//! plan or the error. Each change commits with its audit entry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::audit::{self, AuditEntry};
use crate::store::{Store, StoreError, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }
}

/// The stored status column, read through `#[sqlx(try_from = "String")]`.
impl TryFrom<String> for JobStatus {
    type Error = StoreError;

    fn try_from(s: String) -> Result<JobStatus, StoreError> {
        match s.as_str() {
            "queued" => Ok(JobStatus::Queued),
            "running" => Ok(JobStatus::Running),
            "done" => Ok(JobStatus::Done),
            "failed" => Ok(JobStatus::Failed),
            other => Err(StoreError::Invalid(format!("plan job status '{other}'"))),
        }
    }
}

/// One stored job. `request` and `result` are JSON columns (`jsonb` / `TEXT`), read as JSON on
/// both stores (see [`crate::store::Json`]).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub request: Value,
    pub result: Option<Value>,
    pub error: Option<String>,
}

/// Stores a new queued job and its audit entry in one transaction.
/// Stores a queued job and its audit entry in a transaction of its own.
pub async fn create(store: &Store, id: &str, actor: &str, request: &Value) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    create_in(&mut tx, id, actor, request).await?;
    tx.commit().await
}

/// Stores a queued job and its audit entry inside the caller's write transaction (the HTTP
/// handler's keyed write, so a retried POST with the same `Idempotency-Key` makes no second job).
pub async fn create_in(tx: &mut Tx, id: &str, actor: &str, request: &Value) -> Result<(), StoreError> {
    let now = Utc::now();
    crate::on_tx!(tx, c => {
        sqlx::query("INSERT INTO plan_jobs (id, status, created_by, created_at, request) VALUES ($1, 'queued', $2, $3, $4)")
            .bind(id).bind(actor).bind(now).bind(request)
            .execute(c)
            .await
            .map(|_| ())
    })?;
    let summary = serde_json::json!({
        "status": "queued",
        "depots": request["depots"].as_array().map_or(0, |a| a.len()),
        "stops": request["stops"].as_array().map_or(0, |a| a.len()),
    });
    audit::record(tx, AuditEntry { actor, action: "plan.create", entity: "plan", entity_id: id, before: None, after: Some(summary) }).await
}

pub async fn mark_running(store: &Store, id: &str) -> Result<(), StoreError> {
    let now = Utc::now();
    crate::on_pool!(store, p => sqlx::query("UPDATE plan_jobs SET status = 'running', started_at = $2 WHERE id = $1").bind(id).bind(now).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Stores the plan (or the error) and the audit entry together.
pub async fn finish(store: &Store, id: &str, outcome: Result<Value, String>) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let now = Utc::now();
    let (status, result, error) = match &outcome {
        Ok(plan) => (JobStatus::Done, Some(plan), None),
        Err(e) => (JobStatus::Failed, None, Some(e)),
    };
    let sql = "UPDATE plan_jobs SET status = $2, finished_at = $3, result = $4, error = $5 WHERE id = $1";
    crate::on_tx!(&mut tx, c => sqlx::query(sql).bind(id).bind(status.as_str()).bind(now).bind(result).bind(error).execute(c).await.map(|_| ()))?;
    let after = match &outcome {
        Ok(plan) => serde_json::json!({ "status": status.as_str(), "totals": plan["totals"].clone() }),
        Err(e) => serde_json::json!({ "status": status.as_str(), "error": e }),
    };
    audit::record(&mut tx, AuditEntry { actor: "system:planner", action: "plan.finish", entity: "plan", entity_id: id, before: None, after: Some(after) }).await?;
    tx.commit().await
}

pub async fn get(store: &Store, id: &str) -> Result<Option<JobRow>, StoreError> {
    let sql = "SELECT id, status, created_by, created_at, started_at, finished_at, request, result, error FROM plan_jobs WHERE id = $1";
    let row = crate::on_pool!(store, p => sqlx::query_as::<_, JobRow>(sql).bind(id).fetch_optional(p).await)?;
    Ok(row)
}

/// Jobs left `queued` or `running` by a stopped service can never finish: marks them failed so
/// clients polling them get an answer. Call once at start-up, before serving; returns how many.
pub async fn fail_interrupted(store: &Store) -> Result<u64, StoreError> {
    let now = Utc::now();
    let sql = "UPDATE plan_jobs SET status = 'failed', finished_at = $1, error = 'the service stopped before this plan finished; submit it again' WHERE status IN ('queued', 'running')";
    let n = crate::on_pool!(store, p => sqlx::query(sql).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n)
}
