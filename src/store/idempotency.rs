//! `Idempotency-Key` support for writes that clients may retry: the first response is stored
//! with a hash of the request, a retry with the same body gets the same response, and the same
//! key with a different body is a conflict.
//!
//! The key is claimed as the transaction's **first write** (`INSERT … ON CONFLICT DO NOTHING`),
//! not looked up and saved at the end: two requests with the same key at the same moment then
//! meet on the primary key. On PostgreSQL the second insert waits for the first transaction and
//! inserts nothing once it commits; on SQLite writers are serialised by `BEGIN IMMEDIATE`. Either
//! way the loser reads the winner's committed answer instead of failing on the unique constraint.
//! A claim whose write fails rolls back with it, so errors are never replayed.

use super::{StoreError, Tx};
use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::Row;

#[derive(Debug, PartialEq)]
pub enum Prior {
    /// First time this key is seen in this scope: the key is now claimed by this transaction.
    None,
    /// The stored response to replay.
    Same { status: u16, body: String },
    /// The key was used for a different request.
    Conflict,
}

pub fn request_hash(body: &[u8]) -> String {
    let d = Sha256::digest(body);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Claims `key` in `scope` inside the caller's transaction, or tells what an earlier request
/// with that key was answered.
pub async fn claim(tx: &mut Tx, scope: &str, key: &str, hash: &str) -> Result<Prior, StoreError> {
    let claimed = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES ($1,$2,$3,0,'',$4) ON CONFLICT (scope, key) DO NOTHING")
        .bind(scope).bind(key).bind(hash).bind(Utc::now()).execute(c).await.map(|r| r.rows_affected()))?
        == 1;
    if claimed {
        return Ok(Prior::None);
    }
    let row: Option<(String, i32, String)> = crate::on_tx!(tx, c => match sqlx::query("SELECT request_hash, status, response FROM idempotency WHERE scope = $1 AND key = $2")
        .bind(scope).bind(key).fetch_optional(c).await? {
            Some(r) => Some((r.try_get("request_hash")?, r.try_get("status")?, r.try_get("response")?)),
            None => None,
        });
    Ok(match row {
        // Deleted between the insert and the read: nothing does that, but never guess.
        None => return Err(StoreError::Invalid(format!("idempotency key {key:?} vanished while claimed"))),
        Some((stored, _, _)) if stored != hash => Prior::Conflict,
        Some((_, status, body)) => Prior::Same { status: status as u16, body },
    })
}

/// Stores the answer to a claimed key, in the same transaction as the write it answers.
pub async fn finish(tx: &mut Tx, scope: &str, key: &str, status: u16, body: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE idempotency SET status = $3, response = $4 WHERE scope = $1 AND key = $2")
        .bind(scope).bind(key).bind(status as i32).bind(body).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Gives back a key claimed in this transaction whose write was refused, so the refusal is not
/// replayed. For writers that keep going in the same transaction after a refusal (the
/// complaint intake writer commits several requests together); others roll back instead.
pub async fn release(tx: &mut Tx, scope: &str, key: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("DELETE FROM idempotency WHERE scope = $1 AND key = $2 AND status = 0")
        .bind(scope).bind(key).execute(c).await.map(|_| ()))?;
    Ok(())
}
