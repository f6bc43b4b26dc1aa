//! `Idempotency-Key` support for writes that clients may retry: the first response is stored
//! with a hash of the request, a retry with the same body gets the same response, and the same
//! key with a different body is a conflict.

use super::{StoreError, Tx};
use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::Row;

#[derive(Debug, PartialEq)]
pub enum Prior {
    /// First time this key is seen in this scope.
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

/// Looks the key up inside the caller's transaction.
pub async fn lookup(tx: &mut Tx, scope: &str, key: &str, hash: &str) -> Result<Prior, StoreError> {
    let row: Option<(String, i32, String)> = crate::on_tx!(tx, c => match sqlx::query("SELECT request_hash, status, response FROM idempotency WHERE scope = $1 AND key = $2")
        .bind(scope).bind(key).fetch_optional(c).await? {
            Some(r) => Some((r.try_get("request_hash")?, r.try_get("status")?, r.try_get("response")?)),
            None => None,
        });
    Ok(match row {
        None => Prior::None,
        Some((stored, _, _)) if stored != hash => Prior::Conflict,
        Some((_, status, body)) => Prior::Same { status: status as u16, body },
    })
}

/// Stores the response in the same transaction as the write it answers.
pub async fn save(tx: &mut Tx, scope: &str, key: &str, hash: &str, status: u16, body: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(scope).bind(key).bind(hash).bind(status as i32).bind(body).bind(Utc::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}
