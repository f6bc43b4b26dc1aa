//! Liveness (`/healthz`) and readiness (`/readyz`), kept apart on purpose.
//!
//! Liveness answers from memory only: it never touches the store, so it cannot queue behind
//! writes holding the pool (a load balancer must not kill a busy node). Readiness pings the
//! store with a short timeout and checks the atlas is loaded, so a node is taken out of
//! rotation while its store is unreachable or before `sigap init` has loaded boundaries.

use super::{AppState, Problem};
use crate::wilayah::Level;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// How long readiness waits for the store before answering 503.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
    store: &'static str,
    /// Areas per level in the in-memory atlas.
    areas: HashMap<String, usize>,
}

/// Liveness: the process answers. From memory only (no store access), so it stays fast under
/// any write load.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz(State(s): State<AppState>) -> Json<Health> {
    let atlas = s.atlas.current();
    let areas = Level::ALL.iter().map(|l| (l.as_str().to_string(), atlas.len(*l))).collect();
    Json(Health { status: "ok", store: s.store.kind(), areas })
}

#[derive(Serialize, ToSchema)]
struct Ready {
    status: &'static str,
    store: &'static str,
    kelurahan: usize,
}

fn unavailable(slug: &str, detail: String) -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, slug, detail)
}

/// Readiness: the store answers within 2 s and the atlas holds kelurahan; 503 problem+json
/// naming which is missing otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Ready), (status = 503, body = Problem, description = "store unreachable or atlas empty")))]
async fn readyz(State(s): State<AppState>) -> Result<Json<Ready>, Problem> {
    match tokio::time::timeout(READY_TIMEOUT, s.store.ping()).await {
        Err(_) => return Err(unavailable("store-down", format!("the {} store did not answer within {} s", s.store.kind(), READY_TIMEOUT.as_secs()))),
        Ok(Err(e)) => return Err(unavailable("store-down", format!("the {} store does not answer: {e}", s.store.kind()))),
        Ok(Ok(())) => {}
    }
    let kelurahan = s.atlas.current().len(Level::Kelurahan);
    if kelurahan == 0 {
        return Err(unavailable("atlas-empty", "no kelurahan loaded in the atlas; run `sigap init`".into()));
    }
    Ok(Json(Ready { status: "ready", store: s.store.kind(), kelurahan }))
}
