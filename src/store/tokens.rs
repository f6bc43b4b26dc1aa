//! Bearer tokens: only a SHA-256 of each token is stored, the token itself is shown once.
//!
//! Every token has an expiry (default [`DEFAULT_LIFETIME_DAYS`], at most [`MAX_LIFETIME_DAYS`])
//! and can be revoked; issuing and revoking are audited (entity `api_token`). Listing never
//! returns the hash.

use super::audit::{self, AuditEntry};
use super::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::Serialize;
use sqlx::Row;

/// Lifetime of a token when `--expires-in-days` is not given.
pub const DEFAULT_LIFETIME_DAYS: u32 = 90;
/// Longest lifetime a token may be issued with: a leaked token dies within a year at most.
pub const MAX_LIFETIME_DAYS: u32 = 365;

/// A stored token, without its hash.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub role: String,
    pub unit: Option<String>,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    /// None only for rows a hand-made store left without one (the migration gives every
    /// earlier token 90 days).
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

/// Why a stored token no longer opens anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Revoked { id: i64, at: DateTime<Utc>, reason: Option<String> },
    Expired { id: i64, at: DateTime<Utc> },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Revoked { id, at, reason } => {
                write!(f, "token {id} was revoked on {}", at.format("%Y-%m-%d %H:%M UTC"))?;
                match reason {
                    Some(r) => write!(f, " ({r})"),
                    None => Ok(()),
                }
            }
            Refusal::Expired { id, at } => write!(f, "token {id} expired on {}", at.format("%Y-%m-%d %H:%M UTC")),
        }
    }
}

impl Refusal {
    /// The problem type slug of this refusal.
    pub fn slug(&self) -> &'static str {
        match self {
            Refusal::Revoked { .. } => "token-revoked",
            Refusal::Expired { .. } => "token-expired",
        }
    }
}

impl TokenRow {
    /// Whether the token may be used at `now`; revocation is reported before expiry.
    pub fn usable_at(&self, now: DateTime<Utc>) -> Result<(), Refusal> {
        if let Some(at) = self.revoked_at {
            return Err(Refusal::Revoked { id: self.id, at, reason: self.revoked_reason.clone() });
        }
        match self.expires_at {
            Some(at) if at <= now => Err(Refusal::Expired { id: self.id, at }),
            _ => Ok(()),
        }
    }

    fn from_row<R>(r: &R) -> Result<TokenRow, sqlx::Error>
    where
        R: Row,
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(TokenRow {
            id: r.try_get("id")?,
            role: r.try_get("role")?,
            unit: r.try_get("unit")?,
            label: r.try_get("label")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            revoked_at: r.try_get("revoked_at")?,
            revoked_reason: r.try_get("revoked_reason")?,
        })
    }
}

const COLUMNS: &str = "id, role, unit, label, created_at, expires_at, revoked_at, revoked_reason";

/// What `issue` stores; `role` and `unit` are checked by the caller (the CLI checks the unit
/// against the loaded units).
pub struct NewToken<'a> {
    pub role: &'a str,
    pub unit: Option<&'a str>,
    pub label: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

/// Default expiry of a token issued at `now`.
pub fn default_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(DEFAULT_LIFETIME_DAYS.into())
}

/// Stores a new token and its audit entry in one transaction; returns its id and the secret
/// (shown once, never stored).
pub async fn issue(store: &Store, new: &NewToken<'_>, actor: &str) -> Result<(i64, String), StoreError> {
    let mut raw = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = format!("sgp_{}", raw.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let hash = super::idempotency::request_hash(token.as_bytes());
    let now = Utc::now();
    let mut tx = store.begin().await?;
    let id: i64 = crate::on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO api_tokens (token_hash, role, unit, label, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
        .bind(&hash).bind(new.role).bind(new.unit).bind(new.label).bind(now).bind(new.expires_at)
        .fetch_one(c).await)?;
    let after = serde_json::json!({"role": new.role, "unit": new.unit, "label": new.label, "expires_at": new.expires_at});
    audit::record(&mut tx, AuditEntry { actor, action: "issue", entity: "api_token", entity_id: &id.to_string(), before: None, after: Some(after) }).await?;
    tx.commit().await?;
    Ok((id, token))
}

/// A token with the default lifetime (tests and scripts; the CLI uses `issue`).
pub async fn create(store: &Store, role: &str, unit: Option<&str>, label: Option<&str>) -> Result<String, StoreError> {
    let new = NewToken { role, unit, label, expires_at: default_expiry(Utc::now()) };
    issue(store, &new, "cli").await.map(|(_, token)| token)
}

/// The stored row of a presented secret, usable or not (the caller says why not).
pub async fn lookup(store: &Store, token: &str) -> Result<Option<TokenRow>, StoreError> {
    let hash = super::idempotency::request_hash(token.as_bytes());
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1");
    let row = crate::on_pool!(store, p => match sqlx::query(&sql).bind(&hash).fetch_optional(p).await? {
        Some(r) => Some(TokenRow::from_row(&r)?),
        None => None,
    });
    Ok(row)
}

/// Every token, oldest first, without hashes.
pub async fn list(store: &Store) -> Result<Vec<TokenRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id");
    let rows = crate::on_pool!(store, p => sqlx::query(&sql).fetch_all(p).await?.iter().map(TokenRow::from_row).collect::<Result<Vec<_>, _>>())?;
    Ok(rows)
}

#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("no token with id {0}")]
    NotFound(i64),
    #[error("{0}; nothing changed")]
    Already(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RevokeError {
    fn from(e: sqlx::Error) -> Self {
        RevokeError::Store(e.into())
    }
}

/// Revokes token `id` now, audited with its state before and after, in one transaction.
/// Revoking a revoked token is refused (its first revocation stays the one on record).
pub async fn revoke(store: &Store, id: i64, reason: Option<&str>, actor: &str) -> Result<TokenRow, RevokeError> {
    let now = Utc::now();
    let mut tx = store.begin().await?;
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1");
    let before = crate::on_tx!(&mut tx, c => match sqlx::query(&sql).bind(id).fetch_optional(c).await? {
        Some(r) => TokenRow::from_row(&r)?,
        None => return Err(RevokeError::NotFound(id)),
    });
    if let Some(at) = before.revoked_at {
        return Err(RevokeError::Already(Refusal::Revoked { id, at, reason: before.revoked_reason }));
    }
    crate::on_tx!(&mut tx, c => sqlx::query("UPDATE api_tokens SET revoked_at = $1, revoked_reason = $2 WHERE id = $3")
        .bind(now).bind(reason).bind(id).execute(c).await.map(|_| ()))?;
    let after = TokenRow { revoked_at: Some(now), revoked_reason: reason.map(str::to_string), ..before.clone() };
    let to_json = |t: &TokenRow| serde_json::to_value(t).ok();
    audit::record(&mut tx, AuditEntry { actor, action: "revoke", entity: "api_token", entity_id: &id.to_string(), before: to_json(&before), after: to_json(&after) }).await?;
    tx.commit().await?;
    Ok(after)
}

/// Whether `code` is a kelurahan in the store (a token's unit may be one).
pub async fn kelurahan_exists(store: &Store, code: &str) -> Result<bool, StoreError> {
    let n: i64 = crate::on_pool!(store, p => sqlx::query_scalar("SELECT COUNT(*) FROM kelurahan WHERE kode = $1").bind(code).fetch_one(p).await)?;
    Ok(n > 0)
}
