//! HTTP handlers of bansos: thin adapters from requests to `model`, `ops` and `rollup`.

use super::model::{jakarta_today, DeliveryInput, HandoutInput, NewDelivery, NewHandout, RecordError};
use super::ops::{self, OpError, Written};
use super::rollup::{self, Progress, ProgressLevel, PROVINSI_CODE, PROVINSI_NAME};
use super::{export, trend};
use super::store::{self as bstore, DeliveryRecord, HandoutRecord};
use crate::api::problem::json_body;
use crate::api::{Actor, ApiJson, AppState, IdempotencyKey, Problem, Role};
use crate::api::write::{keyed_write, scope};
use crate::store::Tx;
use crate::wilayah::AreaCode;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Progress answers keyed by (data revision, atlas serial, level, parent). A write bumps the
/// revision in its transaction, so after it commits no reader can hit an older entry; the
/// entries of older revisions are dropped on write and age out otherwise.
#[derive(Clone)]
pub struct ProgressCache(moka::future::Cache<(i64, u64, ProgressLevel, Option<String>), Arc<Progress>>);

impl ProgressCache {
    pub fn new() -> ProgressCache {
        ProgressCache(moka::future::Cache::builder().max_capacity(2_000).time_to_idle(Duration::from_secs(600)).build())
    }

    pub fn entry_count(&self) -> u64 {
        self.0.entry_count()
    }

    fn invalidate(&self) {
        self.0.invalidate_all();
    }
}

impl Default for ProgressCache {
    fn default() -> Self {
        ProgressCache::new()
    }
}

/// Routes of bansos; each router gets its own progress cache.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(progress))
        .routes(routes!(post_delivery))
        .routes(routes!(post_handout))
        .routes(routes!(rw_records))
        .routes(routes!(trend))
        .routes(routes!(progress_export))
        .layer(Extension(ProgressCache::new()))
}

impl From<RecordError> for Problem {
    fn from(e: RecordError) -> Problem {
        let field = e.field().to_string();
        let (status, slug) = match &e {
            RecordError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-field"),
            RecordError::Exceeds { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "totals-exceeded"),
            RecordError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found"),
            RecordError::Conflict { .. } => (StatusCode::CONFLICT, "already-corrected"),
        };
        Problem::new(status, slug, e.to_string()).field(field)
    }
}

impl From<OpError> for Problem {
    fn from(e: OpError) -> Problem {
        match e {
            OpError::Record(r) => r.into(),
            OpError::Store(s) => s.into(),
        }
    }
}

/// Progress of every area of a level (optionally inside `parent`), keyed by area code.
/// Public: only aggregate counts, no names of people.
#[utoipa::path(get, path = "/api/v1/bansos/progress",
    params(("level" = String, Query, description = "provinsi | kota | kecamatan | kelurahan | rw"),
           ("parent" = Option<String>, Query, description = "Only areas inside this code, e.g. 31.71.01.1001")),
    responses((status = 200, body = Progress), (status = 304, description = "Not modified (ETag)"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn progress(
    State(s): State<AppState>,
    Extension(cache): Extension<ProgressCache>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (body, etag) = match progress_of(&s, &cache, &q, Some(&headers)).await? {
        Answer::NotModified(etag) => return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()),
        Answer::Body(body, etag) => (body, etag),
    };
    Ok(([(header::ETAG, etag), (header::CACHE_CONTROL, "no-cache".to_string())], Json(body.as_ref().clone())).into_response())
}

/// A progress answer, or "the client's copy is current".
enum Answer {
    NotModified(String),
    Body(Arc<Progress>, String),
}

/// The progress roll-up asked for by `level` and `parent` (checked, named in the problem), from
/// the cache keyed by data revision and atlas serial; with `headers`, a matching If-None-Match
/// is answered without computing anything.
async fn progress_of(s: &AppState, cache: &ProgressCache, q: &HashMap<String, String>, headers: Option<&HeaderMap>) -> Result<Answer, Problem> {
    let raw = q.get("level").map(|l| l.trim()).ok_or_else(|| Problem::bad_request("level", "level is required: provinsi, kota, kecamatan, kelurahan or rw"))?;
    let level = ProgressLevel::parse(raw).ok_or_else(|| Problem::bad_request("level", format!("level {raw:?} is not one of provinsi, kota, kecamatan, kelurahan, rw")))?;
    let atlas = s.atlas.current();
    let parent = match q.get("parent").map(|p| p.trim()).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => {
            let code = AreaCode::parse(p).map_err(|e| Problem::bad_request("parent", e.to_string()))?;
            let above = level.atlas_level().is_some_and(|l| code.level() < l);
            if !above {
                return Err(Problem::bad_request("parent", format!("parent {code} is a {}; it must be above level {}", code.level(), level.as_str())));
            }
            if atlas.get(&code).is_none() {
                return Err(Problem::not_found(format!("no area with code {code}")).field("parent"));
            }
            Some(code)
        }
    };
    let rev = bstore::revision(&s.store).await?;
    // The serial, not the address: a later atlas may be allocated where a dropped one was.
    let atlas_id = atlas.serial();
    let etag = format!("W/\"bansos-{rev}-{atlas_id:x}\"");
    if headers.is_some_and(|h| not_modified(h, &etag)) {
        return Ok(Answer::NotModified(etag));
    }
    let key = (rev, atlas_id, level, parent.as_ref().map(|p| p.to_string()));
    let store = s.store.clone();
    crate::api::metrics::cache_lookup("progress", cache.0.contains_key(&key));
    let body = cache
        .0
        .try_get_with(key, async move {
            let figures = bstore::rw_figures(&store).await?;
            let areas: Vec<(String, String)> = match level.atlas_level() {
                None => vec![(PROVINSI_CODE.to_string(), PROVINSI_NAME.to_string())],
                Some(l) => atlas.list(l, parent.as_ref()).into_iter().map(|a| (a.code.to_string(), a.name.clone())).collect(),
            };
            Ok::<_, crate::store::StoreError>(Arc::new(rollup::progress(level, parent.as_ref(), &areas, &figures)))
        })
        .await
        .map_err(Problem::internal)?;
    Ok(Answer::Body(body, etag))
}

/// Open-data download of the progress of one level (optionally inside `parent`) as CSV or
/// GeoJSON (with the boundaries): the numbers of `/api/v1/bansos/progress`, the licences and
/// the "data contoh" label in the file. Public: aggregates per area only.
#[utoipa::path(get, path = "/api/v1/bansos/progress/export",
    params(("level" = String, Query, description = "provinsi | kota | kecamatan | kelurahan | rw"),
           ("parent" = Option<String>, Query, description = "Only areas inside this code, e.g. 31.71.01"),
           ("format" = String, Query, description = "csv | geojson")),
    responses((status = 200, description = "text/csv or application/geo+json, as an attachment"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn progress_export(
    State(s): State<AppState>,
    Extension(cache): Extension<ProgressCache>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    let format = match q.get("format").map(|f| f.trim()) {
        Some("csv") => "csv",
        Some("geojson") => "geojson",
        Some(other) => return Err(Problem::bad_request("format", format!("format {other:?} is not csv or geojson"))),
        None => return Err(Problem::bad_request("format", "format is required: csv or geojson")),
    };
    let Answer::Body(p, etag) = progress_of(&s, &cache, &q, None).await? else {
        return Err(Problem::internal("progress answered 304 without a conditional request"));
    };
    let atlas = s.atlas.current();
    let area = |code: &str| AreaCode::parse(code).ok().and_then(|c| atlas.get(&c));
    let (body, mime) = if format == "csv" {
        let bytes = export::csv(&p, &|c| area(c).is_some_and(|a| a.generated)).map_err(Problem::internal)?;
        (bytes, "text/csv; charset=utf-8")
    } else {
        let fc = export::geojson(&p, &|c| area(c).map(|a| (&a.geometry, a.generated)));
        (serde_json::to_vec(&fc).map_err(Problem::internal)?, "application/geo+json")
    };
    let disposition = format!("attachment; filename=\"{}\"", export::file_name(&p, format));
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition), (header::ETAG, etag), (header::CACHE_CONTROL, "no-cache".to_string())], body).into_response())
}

/// True when the client already holds the answer tagged `etag` (If-None-Match).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

/// `GET /api/v1/bansos/trend` body: one area's numbers now and day by day.
#[derive(Serialize, ToSchema)]
struct Trend {
    area: String,
    nama: String,
    level: ProgressLevel,
    /// True when the numbers include generated demo data.
    generated: bool,
    /// The area as in `/api/v1/bansos/progress` (same roll-up).
    now: rollup::AreaProgress,
    /// Days with records, oldest first, with running totals.
    days: Vec<trend::Day>,
}

/// Progress over time of one area (`31` for the province, a kota, kecamatan, kelurahan or RW):
/// packages received and KK served per day from the delivery and hand-out records (corrected
/// records replaced by their correction), with running totals. Public: aggregates only.
#[utoipa::path(get, path = "/api/v1/bansos/trend",
    params(("area" = Option<String>, Query, description = "Area code, e.g. 31.71 (default 31, the province)")),
    responses((status = 200, body = Trend), (status = 304, description = "Not modified (ETag)"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn trend(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Result<Response, Problem> {
    let atlas = s.atlas.current();
    let raw = q.get("area").map(|a| a.trim()).filter(|a| !a.is_empty()).unwrap_or(PROVINSI_CODE);
    let (code, nama, level) = if raw == PROVINSI_CODE {
        (PROVINSI_CODE.to_string(), PROVINSI_NAME.to_string(), ProgressLevel::Provinsi)
    } else {
        let code = AreaCode::parse(raw).map_err(|e| Problem::bad_request("area", e.to_string()))?;
        let area = atlas.get(&code).ok_or_else(|| Problem::not_found(format!("no area with code {code}")).field("area"))?;
        let level = ProgressLevel::parse(code.level().as_str()).ok_or_else(|| Problem::bad_request("area", format!("{code} is not an area with progress")))?;
        (code.to_string(), area.name.clone(), level)
    };
    let rev = bstore::revision(&s.store).await?;
    let etag = format!("W/\"bansos-trend-{rev}-{:x}\"", atlas.serial());
    if not_modified(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let (deliveries, handouts) = bstore::daily(&s.store, &code).await?;
    let figures = bstore::rw_figures(&s.store).await?;
    let mut p = rollup::progress(level, None, &[(code.clone(), nama.clone())], &figures);
    let now = p.areas.remove(&code).ok_or_else(|| Problem::internal(format!("roll-up lost {code}")))?;
    let body = Trend { area: code, nama, level, generated: p.generated, now, days: trend::series(&deliveries, &handouts) };
    Ok(([(header::ETAG, etag), (header::CACHE_CONTROL, "no-cache".to_string())], Json(body)).into_response())
}

/// Runs one write (revision bump, record, audit) through the shared keyed write path.
async fn write(s: &AppState, cache: &ProgressCache, actor: &Actor, key: &IdempotencyKey, body: &impl Serialize, op: Op) -> Result<Response, Problem> {
    let name = match op {
        Op::Delivery(_) => "bansos.deliveries",
        Op::Handout(_) => "bansos.handouts",
    };
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let out = keyed_write(&s.store, &scope(name, Some(actor.token_id)), key, body, StatusCode::CREATED, async |tx: &mut Tx| {
        bstore::bump_revision(tx).await?;
        match &op {
            Op::Delivery(d) => ops::record_delivery(tx, &atlas, d, &who, false).await,
            Op::Handout(h) => ops::record_handout(tx, &atlas, h, &who, false).await,
        }
    })
    .await?;
    cache.invalidate();
    Ok(out)
}

/// A checked write request.
enum Op {
    Delivery(NewDelivery),
    Handout(NewHandout),
}

/// Records a delivery of packages to an RW drop point (from its BAST). Role planner or admin.
/// `corrects` replaces an earlier delivery in all totals (the old record stays, marked).
#[utoipa::path(post, path = "/api/v1/bansos/deliveries", request_body = DeliveryInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; same key and body replays the answer")),
    responses((status = 201, body = Written), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_delivery(
    State(s): State<AppState>,
    Extension(cache): Extension<ProgressCache>,
    actor: Actor,
    key: IdempotencyKey,
    input: Result<ApiJson<DeliveryInput>, Problem>,
) -> Result<Response, Problem> {
    // The role before the body: a wrong role with a bad body is a 403.
    actor.require(&[Role::Planner, Role::Admin])?;
    let input = json_body(input)?;
    let d = input.check(jakarta_today())?;
    write(&s, &cache, &actor, &key, &input, Op::Delivery(d)).await
}

/// Records KK (households) served from an RW's packages. Role planner or admin. Totals never
/// exceed the good packages received nor the RW's target.
#[utoipa::path(post, path = "/api/v1/bansos/handouts", request_body = HandoutInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; same key and body replays the answer")),
    responses((status = 201, body = Written), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_handout(
    State(s): State<AppState>,
    Extension(cache): Extension<ProgressCache>,
    actor: Actor,
    key: IdempotencyKey,
    input: Result<ApiJson<HandoutInput>, Problem>,
) -> Result<Response, Problem> {
    // The role before the body: a wrong role with a bad body is a 403.
    actor.require(&[Role::Planner, Role::Admin])?;
    let input = json_body(input)?;
    let h = input.check(jakarta_today())?;
    write(&s, &cache, &actor, &key, &input, Op::Handout(h)).await
}

#[derive(Serialize, ToSchema)]
struct RwRecords {
    rw: String,
    nama: String,
    deliveries: Vec<DeliveryRecord>,
    handouts: Vec<HandoutRecord>,
}

/// Every delivery and hand-out of one RW, corrected ones included (with `corrected_by`).
/// Roles admin, planner, auditor.
#[utoipa::path(get, path = "/api/v1/bansos/rw/{code}/records", params(("code" = String, Path, description = "RW code, e.g. 31.71.01.1001.008")),
    responses((status = 200, body = RwRecords), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn rw_records(State(s): State<AppState>, actor: Actor, Path(code): Path<String>) -> Result<Json<RwRecords>, Problem> {
    actor.require(&[Role::Planner, Role::Admin, Role::Auditor])?;
    let rw = super::model::parse_rw("code", &code).map_err(|e| Problem::bad_request("code", e.to_string()))?;
    let atlas = s.atlas.current();
    let area = atlas.get(&rw).ok_or_else(|| Problem::not_found(format!("no RW with code {rw}")).field("code"))?;
    let (deliveries, handouts) = bstore::records(&s.store, &rw).await?;
    Ok(Json(RwRecords { rw: rw.to_string(), nama: area.name.clone(), deliveries, handouts }))
}
