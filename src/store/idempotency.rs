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

/// [`claim`] for many keys in one statement (plus one read when some were claimed before): the
/// complaint intake writer claims the keys of a whole batch at once. `keys` are distinct (key,
/// request hash) pairs; the answer is in their order. Keys are inserted in sorted order, so two
/// transactions claiming overlapping keys wait for each other in the same order on PostgreSQL
/// and cannot deadlock. `None`: claimed now by this transaction; else what the key holds (the
/// caller compares request hashes, as several requests of a batch may share a key). As with [`claim`], a key another transaction is claiming makes this one
/// wait for it (PostgreSQL) and then read its committed answer in a second statement: a new
/// statement sees what committed meanwhile, a single one would not.
pub async fn claim_all(tx: &mut Tx, scope: &str, keys: &[(&str, &str)]) -> Result<Vec<Option<Answered>>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let mut sorted: Vec<(&str, &str)> = keys.to_vec();
    sorted.sort_unstable();
    let (ks, hs): (Vec<&str>, Vec<&str>) = sorted.into_iter().unzip();
    let claimed: Vec<String> = match tx {
        Tx::Postgis(t) => sqlx::query_scalar(
            "INSERT INTO idempotency (scope, key, request_hash, status, response, created_at)
             SELECT $1, k, h, 0, '', $2 FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS t(k, h, n) ORDER BY n
             ON CONFLICT (scope, key) DO NOTHING RETURNING key")
            .bind(scope).bind(now).bind(&ks).bind(&hs).fetch_all(&mut **t).await?,
        Tx::Gpkg(t) => {
            let rows = (0..ks.len()).map(|i| format!("($1, ${}, ${}, 0, '', $2)", 3 + 2 * i, 4 + 2 * i)).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES {rows} ON CONFLICT (scope, key) DO NOTHING RETURNING key");
            let mut q = sqlx::query_scalar(&sql).bind(scope).bind(now);
            for (k, h) in ks.iter().zip(&hs) {
                q = q.bind(*k).bind(*h);
            }
            q.fetch_all(&mut **t).await?
        }
    };
    let claimed: std::collections::HashSet<String> = claimed.into_iter().collect();
    let earlier: Vec<&str> = keys.iter().map(|k| k.0).filter(|k| !claimed.contains(*k)).collect();
    let mut stored: std::collections::HashMap<String, (String, i32, String)> = std::collections::HashMap::new();
    if !earlier.is_empty() {
        let rows: Vec<(String, String, i32, String)> = match tx {
            Tx::Postgis(t) => sqlx::query_as("SELECT key, request_hash, status, response FROM idempotency WHERE scope = $1 AND key = ANY($2)")
                .bind(scope).bind(&earlier).fetch_all(&mut **t).await?,
            Tx::Gpkg(t) => {
                let sql = format!("SELECT key, request_hash, status, response FROM idempotency WHERE scope = $1 AND key IN ({})", placeholders(2, earlier.len()));
                let mut q = sqlx::query_as(&sql).bind(scope);
                for k in &earlier {
                    q = q.bind(*k);
                }
                q.fetch_all(&mut **t).await?
            }
        };
        stored.extend(rows.into_iter().map(|(k, h, s, r)| (k, (h, s, r))));
    }
    keys.iter()
        .map(|(key, _)| {
            if claimed.contains(*key) {
                return Ok(None);
            }
            match stored.remove(*key) {
                None => Err(StoreError::Invalid(format!("idempotency key {key:?} vanished while claimed"))),
                Some((request_hash, status, body)) => Ok(Some(Answered { request_hash, status: status as u16, body })),
            }
        })
        .collect()
}

/// What a key claimed before holds (see [`claim_all`]).
#[derive(Debug, PartialEq)]
pub struct Answered {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// `$from, $from+1, …` (`n` numbered placeholders) for an `IN (…)` list on SQLite.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Gives back keys claimed in this transaction whose writes were refused, so the refusals are
/// not replayed. For writers that keep going in the same transaction after a refusal (the
/// complaint intake writer commits several requests together); others roll back instead.
pub async fn release_all(tx: &mut Tx, scope: &str, keys: &[&str]) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    match tx {
        Tx::Postgis(t) => {
            sqlx::query("DELETE FROM idempotency WHERE scope = $1 AND status = 0 AND key = ANY($2)").bind(scope).bind(keys).execute(&mut **t).await?;
        }
        Tx::Gpkg(t) => {
            let sql = format!("DELETE FROM idempotency WHERE scope = $1 AND status = 0 AND key IN ({})", placeholders(2, keys.len()));
            let mut q = sqlx::query(&sql).bind(scope);
            for k in keys {
                q = q.bind(*k);
            }
            q.execute(&mut **t).await?;
        }
    }
    Ok(())
}
