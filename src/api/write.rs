//! The one keyed write path every domain's handlers go through: one transaction (a writer from
//! its first statement), the `Idempotency-Key` claimed as its first write, the domain's writes,
//! the answer stored beside them, one commit. See `store::idempotency` for why the key is
//! claimed first and `Store::begin` for why SQLite transactions start as writers.
//!
//! The rules, the same in every domain:
//! - **scope**: the operation and the caller (`bansos.deliveries:token:7`, `complaints.intake:publik`),
//!   so two callers' keys never meet;
//! - **request hash**: SHA-256 of the typed request re-serialised as JSON, so a retry that only
//!   differs in whitespace or field order is the same request;
//! - **replay**: the stored status and body, with `Idempotent-Replayed: true`; the same key with
//!   another request is a 409 naming `Idempotency-Key`.

use super::{IdempotencyKey, Problem};
use crate::store::idempotency::{self, Prior};
use crate::store::{Store, Tx};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Header set on a replayed answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The key scope of operation `op` for a token (`Some(id)`) or the public (`None`).
pub fn scope(op: &str, token_id: Option<i64>) -> String {
    match token_id {
        Some(t) => format!("{op}:token:{t}"),
        None => format!("{op}:publik"),
    }
}

/// Runs `op` in one write transaction with the key's claim and answer; answers `status` with
/// `op`'s result as JSON, or replays the stored answer.
pub async fn keyed_write<T, E>(
    store: &Store,
    scope: &str,
    key: &IdempotencyKey,
    request: &impl Serialize,
    status: StatusCode,
    op: impl AsyncFnOnce(&mut Tx) -> Result<T, E>,
) -> Result<Response, Problem>
where
    T: Serialize,
    E: Into<Problem>,
{
    let hash = idempotency::request_hash(&serde_json::to_vec(request).map_err(Problem::internal)?);
    let mut tx = store.begin().await?;
    if let Some(k) = &key.0 {
        match idempotency::claim(&mut tx, scope, k, &hash).await? {
            Prior::None => {}
            Prior::Same { status, body } => return Ok(replayed(status, body)),
            Prior::Conflict => return Err(key_conflict(k)),
        }
    }
    let out = op(&mut tx).await.map_err(Into::into)?;
    let text = serde_json::to_string(&out).map_err(Problem::internal)?;
    if let Some(k) = &key.0 {
        idempotency::finish(&mut tx, scope, k, status.as_u16(), &text).await?;
    }
    tx.commit().await?;
    Ok((status, [(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// The replay of a stored answer: its status and JSON body, marked `Idempotent-Replayed: true`.
pub fn replayed(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, "application/json"), (REPLAYED, "true")], body).into_response()
}

/// The 409 for a key already used with another request.
pub fn key_conflict(key: &str) -> Problem {
    Problem::conflict(format!("Idempotency-Key {key:?} was already used with a different request")).field("Idempotency-Key")
}
