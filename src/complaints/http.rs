//! HTTP handlers of complaints: thin adapters from typed requests (`ApiJson`, serde with
//! unknown fields refused) to `model` checks and the `ops` writes; `ComplaintError` becomes a
//! problem naming the field. Role checks come before the body is read, so a wrong role with a
//! bad body is a 403, not a 422.

use super::model::{Flag, ForwardRequest, IntakeRequest, Status, StatusRequest, UnitRequest};
use super::intake::{IntakeAccepted, Job, Keyed, Outcome};
use super::ops::{self, ComplaintError, PhotoStored};
use crate::store::idempotency::request_hash;
use super::photo_limits::PhotoLimits;
use super::routing::{Geotag, RouteError};
use super::store::{self as cstore, Attachment, Complaint, Filter, HistoryEntry};
use crate::api::write::{key_conflict, replayed};
use crate::api::{Actor, ApiJson, AppState, IdempotencyKey, Problem, Role};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::Extension;
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The complaint routes, with photo uploads limited at the default rates.
pub fn router() -> OpenApiRouter<AppState> {
    router_with(PhotoLimits::default())
}

/// The complaint routes with the given photo upload limits (a test passes a clock it moves).
pub fn router_with(limits: PhotoLimits) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(intake, list))
        .routes(routes!(one))
        .routes(routes!(change_status))
        .routes(routes!(forward))
        .routes(routes!(relocate))
        .routes(routes!(report))
        .routes(routes!(list_units))
        .routes(routes!(put_unit))
        .routes(routes!(add_photo))
        .routes(routes!(photo))
        .layer(Extension(limits))
}

pub use super::model::MAX_DESCRIPTION;

/// Header carrying a complaint's upload secret on `POST /complaints/{id}/photos`.
pub const UPLOAD_SECRET: HeaderName = HeaderName::from_static("upload-secret");

/// One page of the queue.
#[derive(Serialize, ToSchema)]
struct ComplaintPage {
    page: i64,
    per_page: i64,
    total: i64,
    items: Vec<Complaint>,
}

/// A complaint with its history and photo list.
#[derive(Serialize, ToSchema)]
struct ComplaintDetail {
    #[serde(flatten)]
    complaint: Complaint,
    history: Vec<HistoryEntry>,
    photos: Vec<Attachment>,
}

impl From<RouteError> for Problem {
    fn from(e: RouteError) -> Problem {
        match e {
            RouteError::NoChannelOwner(_) => Problem::internal(e),
            _ => Problem::bad_request(e.field(), e.to_string()),
        }
    }
}

impl From<ComplaintError> for Problem {
    fn from(e: ComplaintError) -> Problem {
        use super::model::InputError;
        let field = e.field().map(str::to_string);
        let p = match e {
            ComplaintError::Input(InputError::DescriptionTooLong) => Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "description-too-long", e.to_string()),
            ComplaintError::Input(_) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", e.to_string()),
            ComplaintError::Route(r) => return r.into(),
            ComplaintError::Transition(_) => Problem::new(StatusCode::CONFLICT, "illegal-transition", e.to_string()),
            ComplaintError::NotFound { .. } => Problem::not_found(e.to_string()),
            ComplaintError::Forbidden { .. } => Problem::forbidden(e.to_string()),
            ComplaintError::Changed | ComplaintError::Conflict { .. } => Problem::conflict(e.to_string()),
            ComplaintError::UnsupportedPhoto => Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-photo", e.to_string()),
            ComplaintError::Store(s) => return s.into(),
            ComplaintError::Attachment(a) => return Problem::internal(a),
        };
        match field {
            Some(f) => p.field(f),
            None => p,
        }
    }
}

/// Intake from any channel. Public (channels submit on behalf of citizens); `Idempotency-Key`
/// makes retries safe. The 201 is sent after the commit, so an accepted complaint is durable.
/// The answer carries `upload_secret`, needed to add photos.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (1..200 characters); same key and body replays the answer")),
    request_body(content = IntakeRequest, content_type = "application/json",
        description = "Requires `Content-Type: application/json` (else 415 naming Content-Type). Unknown fields are refused. \
400: not JSON, or coordinates out of range; 422: a field missing, unknown, of the wrong type, an unknown word, blank or with control characters; 413: description over 5000 characters or body over the limit."),
    responses((status = 201, body = IntakeAccepted, description = "Stored and routed"), (status = 400, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem, description = "Content-Type is not application/json"), (status = 422, body = Problem)))]
async fn intake(State(s): State<AppState>, key: IdempotencyKey, body: Result<ApiJson<IntakeRequest>, Problem>) -> Result<Response, Problem> {
    let body = self::body(body)?;
    let checked = body.check().map_err(ComplaintError::from)?;
    let keyed = match key.0 {
        Some(key) => Some(Keyed { key, request_hash: request_hash(&serde_json::to_vec(&body).map_err(Problem::internal)?) }),
        None => None,
    };
    let (secret, secret_hash) = ops::new_upload_secret();
    let actor = format!("kanal:{}", checked.channel);
    let job = Job { intake: checked, actor, keyed, secret_hash, atlas: s.atlas.current() };
    let key = job.keyed.as_ref().map(|k| k.key.clone());
    match s.intake.submit(job).await? {
        Outcome::Created { answer, .. } => {
            let text = with_secret(&answer, &secret).ok_or_else(|| Problem::internal("intake answer is not a JSON object"))?;
            Ok((StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], text).into_response())
        }
        Outcome::Replayed { status, body } if status == StatusCode::CREATED.as_u16() => {
            // The stored answer never holds a secret; this request's is stored for the complaint too.
            let text = with_secret(&body, &secret).ok_or_else(|| Problem::internal("stored intake answer is not a JSON object"))?;
            Ok(replayed(status, text))
        }
        Outcome::Replayed { status, body } => Ok(replayed(status, body)),
        Outcome::KeyConflict => Err(key_conflict(key.as_deref().unwrap_or_default())),
    }
}

/// A JSON object answer with `"upload_secret"` added as its last member. The secret is hex, so
/// it needs no escaping; the answer is not parsed again.
fn with_secret(answer: &str, secret: &str) -> Option<String> {
    let head = answer.trim_end().strip_suffix('}')?;
    let sep = if head.trim_end().ends_with('{') { "" } else { "," };
    Some(format!("{head}{sep}\"upload_secret\":\"{secret}\"}}"))
}

fn parse_id(id: &str) -> Result<i64, Problem> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| Problem::bad_request("id", format!("id {id:?} must be a positive integer")))
}

async fn load(s: &AppState, id: i64) -> Result<Complaint, Problem> {
    cstore::get(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no complaint {id}")).field("id"))
}

/// One complaint with its history and photos, for the unit holding it (and admin/auditor).
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    responses((status = 200, body = ComplaintDetail), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn one(State(s): State<AppState>, actor: Actor, Path(id): Path<String>) -> Result<Response, Problem> {
    let c = load(&s, parse_id(&id)?).await?;
    ops::may_see(&actor, &c)?;
    let history = cstore::history(&s.store, c.id).await?;
    let photos = cstore::attachments(&s.store, c.id).await?;
    Ok(axum::Json(ComplaintDetail { complaint: c, history, photos }).into_response())
}

fn q_param<T>(q: &HashMap<String, String>, name: &str, parse: impl Fn(&str) -> Option<T>, hint: &str) -> Result<Option<T>, Problem> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => parse(v.trim()).map(Some).ok_or_else(|| Problem::bad_request(name, format!("{name}={v:?}: {hint}"))),
    }
}

/// Queue and search: `unit`, `status`, `since` (RFC 3339), `bbox` (minlon,minlat,maxlon,maxlat),
/// `flag`, `page` (from 1), `per_page` (≤ 200). An operator sees only its unit.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints",
    params(("unit" = Option<String>, Query, description = "Unit id or kelurahan code; an operator may only give its own"),
           ("status" = Option<Status>, Query), ("flag" = Option<Flag>, Query),
           ("since" = Option<String>, Query, description = "RFC 3339, e.g. 2026-10-01T00:00:00+07:00"),
           ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat"),
           ("page" = Option<i64>, Query, description = "From 1 (default 1)"),
           ("per_page" = Option<i64>, Query, description = "1..200 (default 50)")),
    responses((status = 200, body = ComplaintPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list(State(s): State<AppState>, actor: Actor, Query(q): Query<HashMap<String, String>>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Operator, Role::Auditor])?;
    let mut unit = q.get("unit").map(|u| u.trim().to_string());
    if actor.role == Role::Operator {
        let own = actor.unit.clone().ok_or_else(|| Problem::forbidden("operator token has no unit"))?;
        if unit.as_ref().is_some_and(|u| *u != own) {
            return Err(Problem::forbidden(format!("an operator of {own} sees only its own queue")).field("unit"));
        }
        unit = Some(own);
    }
    let status = q_param(&q, "status", Status::parse_loose, &format!("one of {}", Status::choices()))?;
    let flag = q_param(&q, "flag", Flag::parse, &format!("one of {}", Flag::choices()))?;
    let since = q_param(&q, "since", |v| DateTime::parse_from_rfc3339(v).ok().map(|t| t.with_timezone(&Utc)), "RFC 3339 time, e.g. 2026-10-01T00:00:00+07:00")?;
    let bbox = q_param(&q, "bbox", |v| {
        let p: Vec<f64> = v.split(',').map(|x| x.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
        (p.len() == 4 && p.iter().all(|x| x.is_finite()) && p[0] <= p[2] && p[1] <= p[3]).then(|| [p[0], p[1], p[2], p[3]])
    }, "minlon,minlat,maxlon,maxlat (finite, min ≤ max)")?;
    let page = q_param(&q, "page", |v| v.parse::<i64>().ok().filter(|p| *p >= 1 && *p <= 1_000_000), "integer ≥ 1")?.unwrap_or(1);
    let per_page = q_param(&q, "per_page", |v| v.parse::<i64>().ok().filter(|p| (1..=200).contains(p)), "integer 1..200")?.unwrap_or(50);
    let f = Filter { unit, status, since, bbox, flag, limit: per_page, offset: (page - 1) * per_page };
    let (items, total) = cstore::list(&s.store, &f).await?;
    Ok(axum::Json(ComplaintPage { page, per_page, total, items }).into_response())
}

/// The roles that may change complaints; checked before the body is read (403 before 422).
fn may_change(actor: &Actor) -> Result<(), Problem> {
    actor.require(&[Role::Admin, Role::Operator])
}

/// The typed body, or its problem naming `body` when serde named no field (not JSON at all, a
/// JSON value that is not an object), as the complaint endpoints always have.
fn body<T>(r: Result<ApiJson<T>, Problem>) -> Result<T, Problem> {
    crate::api::problem::json_body(r)
}

/// Runs one change through `ops::transition` and answers the complaint as stored after it.
async fn change(s: &AppState, actor: &Actor, id: &str, change: Result<super::model::Change, ComplaintError>) -> Result<Response, Problem> {
    let id = parse_id(id)?;
    let c = ops::transition(&s.store, &s.atlas.current(), actor, id, &change?).await?;
    Ok(axum::Json(c).into_response())
}

/// Moves a complaint along the status machine (operator of the holding unit, or admin).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/status", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    request_body(content = StatusRequest, content_type = "application/json", description = "Requires `Content-Type: application/json`; unknown fields are refused"),
    responses((status = 200, body = Complaint), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn change_status(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<ApiJson<StatusRequest>, Problem>) -> Result<Response, Problem> {
    may_change(&actor)?;
    let req = self::body(body)?;
    change(&s, &actor, &id, req.check().map_err(Into::into)).await
}

/// Hands a complaint to another unit (disposisi), with the reason.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/forward", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    request_body(content = ForwardRequest, content_type = "application/json", description = "Requires `Content-Type: application/json`; unknown fields are refused"),
    responses((status = 200, body = Complaint), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn forward(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<ApiJson<ForwardRequest>, Problem>) -> Result<Response, Problem> {
    may_change(&actor)?;
    let req = self::body(body)?;
    change(&s, &actor, &id, req.check().map_err(Into::into)).await
}

/// Moves the point (`{lon, lat, accuracy_m?}`) and re-routes it through the atlas.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/relocate", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    request_body(content = Geotag, content_type = "application/json", description = "Requires `Content-Type: application/json`; unknown fields are refused"),
    responses((status = 200, body = Complaint), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn relocate(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<ApiJson<Geotag>, Problem>) -> Result<Response, Problem> {
    may_change(&actor)?;
    let g = self::body(body)?;
    change(&s, &actor, &id, Ok(super::model::Change::Relocate(g))).await
}

/// The monthly report (Pergub 39/2019 art. 11): `month=YYYY-MM` (WIB), `format=json|csv`.
/// Admin and auditor only: it covers every unit.
#[utoipa::path(get, path = "/api/v1/reports/complaints", tag = "complaints",
    params(("month" = String, Query, description = "YYYY-MM (WIB)"), ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, description = "The report", content((super::report::Report = "application/json"), (String = "text/csv"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn report(State(s): State<AppState>, actor: Actor, Query(q): Query<HashMap<String, String>>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let m = q.get("month").ok_or_else(|| Problem::bad_request("month", "month=YYYY-MM is required"))?;
    let month = super::report::Month::parse(m).map_err(|e| Problem::bad_request("month", e.to_string()))?;
    let r = ops::report(&s.store, &s.atlas.current(), month).await?;
    match q.get("format").map(String::as_str) {
        None | Some("json") => Ok(axum::Json(r).into_response()),
        Some("csv") => {
            let csv = super::report::to_csv(&r).map_err(Problem::internal)?;
            Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
        }
        Some(f) => Err(Problem::bad_request("format", format!("format={f:?} must be json or csv"))),
    }
}

/// Who may add a photo: the submitter (header `Upload-Secret`, from the intake answer) or an
/// operator of the holding unit / an admin (Bearer token).
/// Returns the name the audit log records.
async fn may_add_photo(s: &AppState, c: &Complaint, actor: Result<Actor, Problem>, headers: &HeaderMap) -> Result<String, Problem> {
    if let Some(v) = headers.get(UPLOAD_SECRET) {
        let secret = v.to_str().map_err(|_| Problem::unauthorized("Upload-Secret is not valid text").field("Upload-Secret"))?;
        return match cstore::upload_secret_matches(&s.store, c.id, &ops::upload_secret_hash(secret)).await? {
            true => Ok("publik:upload-secret".into()),
            false => Err(Problem::forbidden(format!("Upload-Secret is not a secret of complaint {}", c.id)).field("Upload-Secret")),
        };
    }
    match actor {
        Ok(a) => {
            ops::may_act(&a, c)?;
            Ok(a.audit_name())
        }
        Err(p) if headers.contains_key(header::AUTHORIZATION) => Err(p),
        Err(_) => Err(Problem::unauthorized("give the Upload-Secret of the intake answer, or Authorization: Bearer <operator or admin token>").field("Upload-Secret")),
    }
}

/// Adds a photo (raw JPEG/PNG/WebP body, at most the body limit) to an open complaint, at most
/// `MAX_PHOTOS` per complaint and each image once. Allowed with the complaint's `Upload-Secret`
/// (from the intake answer) or an operator/admin token for it. Rate-limited per client IP and
/// per complaint (`photo_limits`): the endpoint is public, so attempts must cost the prober.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/photos", tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id"),
           ("Upload-Secret" = Option<String>, Header, description = "The `upload_secret` of the intake answer; without it, an operator of the holding unit or an admin token (Authorization: Bearer)")),
    request_body(description = "The image bytes (type sniffed from the content)", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
    responses((status = 201, body = PhotoStored), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Closed, already 5 photos, or this image is already attached"), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 429, body = Problem, description = "Over the upload rate: 30 attempts a minute per client IP (IPv6 per /64), 10 uploads a minute per complaint; \
`Retry-After` gives the seconds to wait. Nothing is stored.", headers(("Retry-After" = u64, description = "Seconds until an upload is allowed again")))))]
async fn add_photo(
    State(s): State<AppState>, Extension(limits): Extension<PhotoLimits>, peer: Option<Extension<ConnectInfo<SocketAddr>>>, actor: Result<Actor, Problem>, headers: HeaderMap,
    Path(id): Path<String>, body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    // Every attempt from an address counts, refused ones too (probing ids, guessing secrets).
    if let Err(wait) = limits.check_ip(peer.map(|Extension(ConnectInfo(a))| a.ip())) {
        return Ok(too_many("this address", wait));
    }
    let id = parse_id(&id)?;
    let c = load(&s, id).await?;
    let who = may_add_photo(&s, &c, actor, &headers).await?;
    // Counted once the uploader is authorised, so a stranger cannot use up the submitter's allowance.
    if let Err(wait) = limits.check_complaint(id) {
        return Ok(too_many(&format!("complaint {id}"), wait));
    }
    let bytes = body.map_err(Problem::from)?;
    let stored = ops::add_photo(&s.store, &super::attachments::configured(), id, &bytes, &who).await?;
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}

/// 429 with `Retry-After` in whole seconds (rounded up, at least 1).
fn too_many(whom: &str, wait: Duration) -> Response {
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", format!("too many photo uploads for {whom}; retry in {secs} s"));
    ([(header::RETRY_AFTER, secs.to_string())], p).into_response()
}

/// The photo bytes, for the unit holding the complaint (and admin/auditor). Served with
/// `nosniff`: a browser must not take the bytes for anything but the stated image type.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/photos/{photo}", tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id"), ("photo" = i64, Path, description = "Photo id")),
    responses((status = 200, description = "The image bytes (with X-Content-Type-Options: nosniff)", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn photo(State(s): State<AppState>, actor: Actor, Path((id, photo)): Path<(String, String)>) -> Result<Response, Problem> {
    use super::attachments::{configured, AttachmentStore};
    let c = load(&s, parse_id(&id)?).await?;
    ops::may_see(&actor, &c)?;
    let pid = parse_id(&photo).map_err(|_| Problem::bad_request("photo", format!("photo {photo:?} must be a positive integer")))?;
    let a = cstore::attachments(&s.store, c.id).await?.into_iter().find(|a| a.id == pid)
        .ok_or_else(|| Problem::not_found(format!("complaint {} has no photo {pid}", c.id)).field("photo"))?;
    let bytes = configured().get(&a.storage_key).await.map_err(Problem::internal)?;
    Ok(([(header::CONTENT_TYPE, a.content_type), (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string())], bytes).into_response())
}

/// Seeded SKPD/UKPD/BUMD and channel-owner units (kelurahan units are the atlas's kelurahan).
#[utoipa::path(get, path = "/api/v1/complaint-units", tag = "complaints",
    responses((status = 200, body = Vec<super::model::Unit>)))]
async fn list_units(State(s): State<AppState>) -> Result<Response, Problem> {
    Ok(axum::Json(ops::units(&s.store).await?.seeded).into_response())
}

/// Adds or edits a unit (`{nama, jenis, kanal?, aktif?}`). Admin only; audited.
#[utoipa::path(put, path = "/api/v1/complaint-units/{id}", tag = "complaints",
    params(("id" = String, Path, description = "Unit id, 1..64 of [A-Za-z0-9_-], e.g. dinas-sda")),
    request_body(content = UnitRequest, content_type = "application/json", description = "Requires `Content-Type: application/json`; unknown fields are refused"),
    responses((status = 200, body = super::model::Unit), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn put_unit(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<ApiJson<UnitRequest>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin])?;
    if !super::model::is_editable_unit_id(&id) {
        return Err(Problem::bad_request("id", "unit id must be 1..64 of [A-Za-z0-9_-] (kelurahan come from the atlas)"));
    }
    let req = self::body(body)?;
    let u = req.check(&id).map_err(ComplaintError::from)?;
    ops::put_unit(&s.store, &actor.audit_name(), &u).await?;
    Ok(axum::Json(u).into_response())
}
