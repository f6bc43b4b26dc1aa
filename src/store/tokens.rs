//! Bearer tokens: only a SHA-256 of each token is stored, the token itself is shown once.

use super::{Store, StoreError};
use chrono::Utc;
use rand::RngCore;
use sqlx::Row;

pub struct TokenRow {
    pub id: i64,
    pub role: String,
    pub unit: Option<String>,
}

pub async fn create(store: &Store, role: &str, unit: Option<&str>, label: Option<&str>) -> Result<String, StoreError> {
    let mut raw = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = format!("sgp_{}", raw.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let hash = super::idempotency::request_hash(token.as_bytes());
    crate::on_pool!(store, p => sqlx::query("INSERT INTO api_tokens (token_hash, role, unit, label, created_at) VALUES ($1,$2,$3,$4,$5)")
        .bind(&hash).bind(role).bind(unit).bind(label).bind(Utc::now()).execute(p).await.map(|_| ()))?;
    Ok(token)
}

pub async fn lookup(store: &Store, token: &str) -> Result<Option<TokenRow>, StoreError> {
    let hash = super::idempotency::request_hash(token.as_bytes());
    let row = crate::on_pool!(store, p => match sqlx::query("SELECT id, role, unit FROM api_tokens WHERE token_hash = $1")
        .bind(&hash).fetch_optional(p).await? {
            Some(r) => Some(TokenRow { id: r.try_get("id")?, role: r.try_get("role")?, unit: r.try_get("unit")? }),
            None => None,
        });
    Ok(row)
}
