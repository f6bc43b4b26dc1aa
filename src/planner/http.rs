//! `POST /api/v1/plans` (async job) and `GET /api/v1/plans/{id}`: thin adapters from HTTP to the
//! planner and the plan store. The request is validated before it is accepted, so a bad body is
//! a 422 naming the field and nothing is stored; a valid one is planned on a blocking thread,
//! one plan at a time (two cores are shared with the rest of the service).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::model::PlanRequest;
use super::plan::Plan;
use super::replan::{self, Delivered, ReplanRequest};
use super::store::{self, JobStatus};
use super::network::{RoadMatrix, RoadNetwork};
use super::{plan_within, sources, GreatCircle, PlanError, TravelMatrix};
use crate::api::problem::json_body;
use crate::api::write::{keyed_write, scope, REPLAYED};
use crate::api::{Actor, ApiJson, AppState, IdempotencyKey, Problem, Role};
use crate::store::Tx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(status)).routes(routes!(replan)).routes(routes!(from_logistics))
}

impl From<PlanError> for Problem {
    fn from(e: PlanError) -> Problem {
        Problem::unprocessable(&e.field(), e.to_string())
    }
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub id: String,
    pub status: JobStatus,
    /// Where to poll for the result.
    pub href: String,
}

#[derive(Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub status: JobStatus,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub error: Option<String>,
    /// The plan when status is `done`: days, routes, unassigned stops with reasons, totals.
    #[schema(value_type = Object)]
    pub result: Option<serde_json::Value>,
}

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(1))
}

fn new_id() -> String {
    format!("plan-{:016x}", rand::random::<u64>())
}

/// The last road network built, with the file and road settings it was built from: building
/// takes seconds, and plans come one at a time with the same settings mostly.
type LoadedNetwork = (std::path::PathBuf, String, Arc<RoadNetwork>);

fn network_slot() -> &'static Mutex<Option<LoadedNetwork>> {
    static NET: OnceLock<Mutex<Option<LoadedNetwork>>> = OnceLock::new();
    NET.get_or_init(|| Mutex::new(None))
}

/// The road network of the server's road file under the request's road settings, or `None`
/// when the server has no road file (then plans fall back to great-circle × circuity, and the
/// plan's `meta.travel` says so). A file that is there but unusable fails the plan.
fn network_for(path: Option<&std::path::Path>, request: &PlanRequest) -> Result<Option<Arc<RoadNetwork>>, String> {
    let Some(path) = path.filter(|p| p.exists()) else { return Ok(None) };
    let key = serde_json::to_string(&request.settings.roads).map_err(|e| e.to_string())?;
    let mut slot = network_slot().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((p, k, net)) = slot.as_ref() {
        if p == path && *k == key {
            return Ok(Some(net.clone()));
        }
    }
    let net = Arc::new(RoadNetwork::load(path, &request.settings.roads).map_err(|e| format!("road network {}: {e}", path.display()))?);
    *slot = Some((path.to_path_buf(), key, net.clone()));
    Ok(Some(net))
}

/// Plans in the background: queued → running → done (with the plan) or failed (with the reason).
/// Plans drive on the server's road network like `sigap plan --roads` (the same matrix,
/// cached in `Config::roads_cache`), great-circle only when the server has no road file.
async fn run_job(state: AppState, id: String, request: PlanRequest) {
    let _slot = slots().acquire().await;
    if let Err(e) = store::mark_running(&state.store, &id).await {
        tracing::error!(plan = %id, error = %e, "cannot mark plan running");
    }
    let atlas = state.atlas.current();
    let config = state.config.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let network = network_for(config.roads.as_deref(), &request)?;
        let roads = network.as_deref().map(|net| RoadMatrix::for_request(net, &request, config.roads_cache.as_deref()).0);
        let great_circle = GreatCircle::new(request.settings.travel);
        let travel: &dyn TravelMatrix = match &roads {
            Some(m) => m,
            None => &great_circle,
        };
        let inside = sources::atlas_area(&atlas);
        plan_within(request, travel, &inside, &|_| {})
            .map_err(|e| e.to_string())
            .and_then(|p| serde_json::to_value(&p).map_err(|e| e.to_string()))
    })
    .await
    .unwrap_or_else(|e| Err(format!("planner stopped: {e}")));
    if let Err(e) = store::finish(&state.store, &id, outcome).await {
        tracing::error!(plan = %id, error = %e, "cannot store plan result");
    }
}

/// Starts a plan. Roles planner or admin. Answers 202 with the job id; poll `GET /api/v1/plans/{id}`.
#[utoipa::path(post, path = "/api/v1/plans",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; the same key and body answer the same job instead of starting another")),
    responses(
    (status = 202, body = Accepted), (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 403, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn create(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, body: Result<ApiJson<PlanRequest>, Problem>) -> Result<Response, Problem> {
    // The role before the body: a wrong role with a bad body is a 403.
    actor.require(&[Role::Planner, Role::Admin])?;
    let body = json_body(body)?;
    start(&s, &actor, &key, "plans.create", body).await
}

/// Starts a plan of the approved, not yet dispatched logistics requests from the gudang that
/// approved them, against each gudang's real stock (`crate::logistics::rencana`): a request its
/// gudang cannot cover is unassigned with reason `stock`. Roles planner or admin. No approved
/// request: 409 naming `permintaan`; an unknown `barang`: 422. The key is matched against the
/// request built from the store, so a retry after the stock moved is a 409, not a second job.
#[utoipa::path(post, path = "/api/v1/plans/logistik",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    request_body = crate::logistics::rencana::RencanaInput,
    responses((status = 202, body = Accepted), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn from_logistics(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    body: Result<ApiJson<crate::logistics::rencana::RencanaInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Planner, Role::Admin])?;
    let body = json_body(body)?;
    let request = crate::logistics::rencana::from_store(&s.store, &body, crate::logistics::model::jakarta_today()).await?;
    start(&s, &actor, &key, "plans.logistik", request).await
}

/// Validates, stores the queued job (keyed) and starts it; a replayed key starts nothing.
async fn start(s: &AppState, actor: &Actor, key: &IdempotencyKey, op: &str, body: PlanRequest) -> Result<Response, Problem> {
    body.clone().validate()?;
    let id = new_id();
    let stored = serde_json::to_value(&body).map_err(Problem::internal)?;
    let href = format!("/api/v1/plans/{id}");
    let who = actor.audit_name();
    let mut res = keyed_write(&s.store, &scope(op, Some(actor.token_id)), key, &body, StatusCode::ACCEPTED, async |tx: &mut Tx| {
        store::create_in(tx, &id, &who, &stored).await?;
        Ok::<_, Problem>(Accepted { id: id.clone(), status: JobStatus::Queued, href: href.clone() })
    })
    .await?;
    if res.headers().contains_key(REPLAYED) {
        // The job of the first request runs (or ran) already; its id is in the replayed body.
        return Ok(res);
    }
    tokio::spawn(run_job(s.clone(), id, body));
    if let Ok(v) = header::HeaderValue::from_str(&href) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplanBody {
    /// Packages received per stop since the plan was made (BAST).
    #[serde(default)]
    delivered: Vec<Delivered>,
    /// Day of the finished plan whose routes are on the road now: they stay on their trucks.
    #[serde(default)]
    freeze_day: Option<u32>,
}

/// Re-plans a finished plan from delivery progress as a new job: served stops drop out, partly
/// served keep the remainder, routes of `freeze_day` stay on their trucks on day 1.
#[utoipa::path(post, path = "/api/v1/plans/{id}/replan", params(("id" = String, Path, description = "a finished plan"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; the same key and body answer the same new job")),
    responses((status = 202, body = Accepted), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn replan(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<String>, body: Result<ApiJson<ReplanBody>, Problem>) -> Result<Response, Problem> {
    // The role before the body: a wrong role with a bad body is a 403.
    actor.require(&[Role::Planner, Role::Admin])?;
    let body = json_body(body)?;
    let job = store::get(&s.store, &id).await?.ok_or_else(|| Problem::not_found(format!("no plan {id}")))?;
    let Some(result) = job.result else {
        return Err(Problem::conflict(format!("plan {id} is {}; it can be re-planned once it is done", job.status.as_str())));
    };
    let request: PlanRequest = serde_json::from_value(job.request).map_err(Problem::internal)?;
    let previous: Plan = serde_json::from_value(result).map_err(Problem::internal)?;
    let (next, _) = replan::remaining(ReplanRequest { request, delivered: body.delivered, previous: Some(previous), freeze_day: body.freeze_day })?;
    start(&s, &actor, &key, &format!("plans.replan.{id}"), next).await
}

/// Status of a plan job and, when done, the plan. `?format=csv` gives one row per stop visit,
/// `?format=geojson` one line per truck-day. Roles planner, admin or auditor.
#[utoipa::path(get, path = "/api/v1/plans/{id}", params(("id" = String, Path, description = "job id from POST /api/v1/plans"),
    ("format" = Option<String>, Query, description = "json (default), csv or geojson")),
    responses((status = 200, body = JobView), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn status(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, Problem> {
    actor.require(&[Role::Planner, Role::Admin, Role::Auditor])?;
    let format = q.get("format").map(|f| f.trim().to_ascii_lowercase()).unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv" | "geojson") {
        return Err(Problem::bad_request("format", format!("format={format:?}: expected json, csv or geojson")));
    }
    let job = store::get(&s.store, &id).await?.ok_or_else(|| Problem::not_found(format!("no plan {id}")))?;
    if format == "json" {
        let view = JobView {
            id: job.id,
            status: job.status,
            created_by: job.created_by,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            error: job.error,
            result: job.result,
        };
        return Ok(axum::Json(view).into_response());
    }
    let Some(result) = job.result else {
        return Err(Problem::conflict(format!("plan {id} is {}; {format} is available once it is done", job.status.as_str())));
    };
    let plan: Plan = serde_json::from_value(result).map_err(Problem::internal)?;
    if format == "csv" {
        let mut out = Vec::new();
        plan.write_csv(&mut out).map_err(Problem::internal)?;
        Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
    } else {
        let body = serde_json::to_string(&plan.to_geojson()).map_err(Problem::internal)?;
        Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
    }
}
