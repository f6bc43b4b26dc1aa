//! Append-only audit log: who changed what, when, with the record before and after.
//! Both stores refuse UPDATE and DELETE on the table (triggers), so history cannot be rewritten.

use super::{Store, StoreError, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One stored entry. `before` and `after` are JSON columns (`jsonb` / `TEXT`), read as JSON on
/// both stores (see [`super::Json`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Records one change inside the caller's transaction, so the change and its audit entry
/// commit together or not at all.
pub async fn record(tx: &mut Tx, e: AuditEntry<'_>) -> Result<(), StoreError> {
    let now = Utc::now();
    crate::on_tx!(tx, c => {
        sqlx::query("INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(now).bind(e.actor).bind(e.action).bind(e.entity).bind(e.entity_id).bind(&e.before).bind(&e.after)
            .execute(c)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// History of one entity, oldest first.
pub async fn history(store: &Store, entity: &str, entity_id: &str) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id";
    let rows = crate::on_pool!(store, p => sqlx::query_as::<_, AuditRecord>(sql).bind(entity).bind(entity_id).fetch_all(p).await)?;
    Ok(rows)
}
