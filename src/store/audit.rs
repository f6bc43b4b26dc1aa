//! Append-only audit log: who changed what, when, with the record before and after.
//! Both stores refuse UPDATE and DELETE on the table (triggers), so history cannot be rewritten.

use super::{Store, StoreError, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    let before = e.before.map(|v| v.to_string());
    let after = e.after.map(|v| v.to_string());
    let now = Utc::now();
    match tx {
        Tx::Gpkg(t) => {
            sqlx::query("INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) VALUES ($1,$2,$3,$4,$5,$6,$7)")
                .bind(now).bind(e.actor).bind(e.action).bind(e.entity).bind(e.entity_id).bind(before).bind(after)
                .execute(&mut **t)
                .await?;
        }
        Tx::Postgis(t) => {
            sqlx::query("INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7::jsonb)")
                .bind(now).bind(e.actor).bind(e.action).bind(e.entity).bind(e.entity_id).bind(before).bind(after)
                .execute(&mut **t)
                .await?;
        }
    }
    Ok(())
}

/// History of one entity, oldest first.
pub async fn history(store: &Store, entity: &str, entity_id: &str) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = match store {
        Store::Gpkg(_) => "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        Store::Postgis(_) => "SELECT id, at, actor, action, entity, entity_id, before::text AS before, after::text AS after FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id",
    };
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    crate::on_pool!(store, p => {
        let rows = sqlx::query(sql).bind(entity).bind(entity_id).fetch_all(p).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    before: parse(r.try_get("before")?),
                    after: parse(r.try_get("after")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })
    .map_err(StoreError::from)
}
