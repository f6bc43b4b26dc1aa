//! HTTP handlers of complaints: parse at the edge (every bad field named), call the pure
//! routing/status rules, write in one transaction.

use super::model::{Category, Channel, Flag, ForwardReason, Status, Units};
use super::routing::{route, Geotag, RouteError};
use super::status::{self, TransitionError};
use super::store::{self as cstore, Attachment, Complaint, Filter, HistoryEntry, NewComplaint, NewEvent};
use crate::api::{Actor, AppState, IdempotencyKey, Problem, Role};
use crate::store::audit::{self, AuditEntry};
use crate::api::write::{keyed_write, scope};
use crate::store::idempotency;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
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
}

// Request bodies as the OpenAPI document shows them. The handlers read raw bytes and check the
// fields one by one (so every bad field is named), hence these types are schema only.

/// Intake request. Without `location` the complaint goes to the channel owner's queue.
#[derive(ToSchema)]
#[allow(dead_code)]
struct IntakeRequest {
    channel: super::model::Channel,
    category: super::model::Category,
    /// At most 5000 characters.
    description: String,
    /// Phone or e-mail of the reporter (at most 200 characters); never shown publicly.
    reporter_contact: Option<String>,
    location: Option<Geotag>,
}

/// Status change; `reason` is required for `ditolak`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct StatusRequest {
    /// Target status (`didisposisikan` is accepted for `assigned`).
    to: Status,
    reason: Option<String>,
}

/// Hand-over to another unit (a kelurahan code in the atlas or a seeded unit id).
#[derive(ToSchema)]
#[allow(dead_code)]
struct ForwardRequest {
    unit: String,
    reason: ForwardReason,
    note: Option<String>,
}

/// A unit added or edited by an admin.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UnitRequest {
    nama: String,
    jenis: super::model::UnitKind,
    /// Channels whose unlocated complaints this unit receives; default none.
    kanal: Option<Vec<Channel>>,
    /// Default true.
    aktif: Option<bool>,
}

/// The answer to an accepted intake (also replayed for a repeated `Idempotency-Key`).
#[derive(Serialize, ToSchema)]
struct Accepted {
    id: i64,
    status: Status,
    unit: String,
    routing: super::routing::Routing,
}

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

/// A stored photo.
#[derive(Serialize, ToSchema)]
struct PhotoStored {
    id: i64,
    content_type: &'static str,
    bytes: usize,
    sha256: String,
}

/// Longest description accepted (characters); larger bodies hit the 1 MiB limit first (413).
pub const MAX_DESCRIPTION: usize = 5000;

impl From<RouteError> for Problem {
    fn from(e: RouteError) -> Problem {
        match e {
            RouteError::NoChannelOwner(_) => Problem::internal(e),
            _ => Problem::bad_request(e.field(), e.to_string()),
        }
    }
}

impl From<TransitionError> for Problem {
    fn from(e: TransitionError) -> Problem {
        let field = match e {
            TransitionError::ReasonRequired => "reason",
            TransitionError::SameUnit(_) => "unit",
            _ => "to",
        };
        Problem::new(StatusCode::CONFLICT, "illegal-transition", e.to_string()).field(field)
    }
}

/// The unit list: the shipped CSV, overridden and extended by `complaint_units` (editable by
/// admins); kelurahan units come from the atlas.
pub async fn units(store: &crate::store::Store) -> Result<Units, crate::store::StoreError> {
    // The shipped list is compiled in: parse it once, not on every intake.
    static SHIPPED: std::sync::LazyLock<Vec<super::model::Unit>> =
        std::sync::LazyLock::new(|| super::model::parse_units_csv(super::model::SHIPPED_UNITS_CSV).unwrap_or_default());
    let mut seeded = SHIPPED.clone();
    for u in cstore::stored_units(store).await? {
        match seeded.iter_mut().find(|x| x.id == u.id) {
            Some(x) => *x = u,
            None => seeded.push(u),
        }
    }
    Ok(Units { seeded })
}

fn body_json(body: Result<Bytes, BytesRejection>) -> Result<(Bytes, Map<String, Value>), Problem> {
    let bytes = body.map_err(Problem::from)?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "invalid-body", format!("body is not valid JSON: {e}")).field("body"))?;
    match v {
        Value::Object(m) => Ok((bytes, m)),
        _ => Err(Problem::bad_request("body", "body must be a JSON object")),
    }
}

fn req_str<'a>(m: &'a Map<String, Value>, field: &str) -> Result<&'a str, Problem> {
    match m.get(field) {
        None | Some(Value::Null) => Err(Problem::unprocessable(field, format!("{field} is required"))),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(_) => Err(Problem::unprocessable(field, format!("{field} must be a non-empty string"))),
    }
}

fn opt_str<'a>(m: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, Problem> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => req_str(m, field).map(Some),
    }
}

fn num(v: Option<&Value>, field: &str) -> Result<Option<f64>, Problem> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(|| Problem::bad_request(field, format!("{field} must be a number"))),
        Some(_) => Err(Problem::bad_request(field, format!("{field} must be a finite number"))),
    }
}

fn parse_geotag(m: &Map<String, Value>) -> Result<Option<Geotag>, Problem> {
    let loc = match m.get("location") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(Problem::bad_request("location", "location must be an object {lon, lat, accuracy_m?}")),
    };
    let lon = num(loc.get("lon"), "location.lon")?.ok_or_else(|| Problem::bad_request("location.lon", "location.lon is required"))?;
    let lat = num(loc.get("lat"), "location.lat")?.ok_or_else(|| Problem::bad_request("location.lat", "location.lat is required"))?;
    Ok(Some(Geotag { lon, lat, accuracy_m: num(loc.get("accuracy_m"), "location.accuracy_m")? }))
}

/// A validated intake request.
pub struct Intake {
    pub channel: Channel,
    pub category: Category,
    pub description: String,
    pub reporter_contact: Option<String>,
    pub geotag: Option<Geotag>,
}

fn parse_intake(m: &Map<String, Value>) -> Result<Intake, Problem> {
    let ch = req_str(m, "channel")?;
    let channel = Channel::parse(ch).ok_or_else(|| Problem::unprocessable("channel", format!("unknown channel {ch:?} (one of: {})", Channel::choices())))?;
    let cat = req_str(m, "category")?;
    let category = Category::parse(cat).ok_or_else(|| Problem::unprocessable("category", format!("unknown category {cat:?} (one of: {})", Category::choices())))?;
    let description = req_str(m, "description")?;
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "description-too-long", format!("description has more than {MAX_DESCRIPTION} characters")).field("description"));
    }
    let contact = opt_str(m, "reporter_contact")?;
    if contact.is_some_and(|c| c.len() > 200) {
        return Err(Problem::unprocessable("reporter_contact", "reporter_contact must be at most 200 characters"));
    }
    Ok(Intake { channel, category, description: description.to_string(), reporter_contact: contact.map(String::from), geotag: parse_geotag(m)? })
}

/// Routes and stores one complaint with its intake history and audit entries; the caller commits.
pub async fn create(tx: &mut crate::store::Tx, atlas: &crate::wilayah::Atlas, units: &Units, req: &Intake, actor: &str, at: DateTime<Utc>)
    -> Result<(i64, super::routing::Routing), Problem> {
    let routing = route(atlas, units, req.channel, req.geotag)?;
    let new = NewComplaint {
        channel: req.channel,
        category: req.category,
        description: &req.description,
        reporter_contact: req.reporter_contact.as_deref(),
        reported: req.geotag.map(|g| [g.lon, g.lat]),
        accuracy_m: req.geotag.and_then(|g| g.accuracy_m),
        routing: &routing,
        at,
    };
    let id = cstore::insert(tx, &new).await?;
    cstore::append(tx, &NewEvent {
        complaint_id: id, at, actor, action: "masuk", from_status: None, to_status: routing.status,
        from_unit: None, to_unit: &routing.unit, reason: Some(routing.reason.as_str()), note: Some(&routing.detail),
    }).await?;
    audit::record(tx, AuditEntry { actor, action: "complaint.create", entity: "complaint", entity_id: &id.to_string(), before: None,
        after: Some(json!({"unit": routing.unit, "status": routing.status, "routing": routing})) }).await?;
    Ok((id, routing))
}

/// Intake from any channel. Public (channels submit on behalf of citizens); `Idempotency-Key`
/// makes retries safe. The 201 is sent after the commit, so an accepted complaint is durable.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (1..200 characters); same key and body replays the answer")),
    request_body(content = IntakeRequest, content_type = "application/json", description = "Read field by field: each bad field is named in the problem"),
    responses((status = 201, body = Accepted, description = "Stored and routed"), (status = 400, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn intake(State(s): State<AppState>, key: IdempotencyKey, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    let (_, m) = body_json(body)?;
    let req = parse_intake(&m)?;
    let atlas = s.atlas.current();
    // Read before the transaction: never a second pooled connection while one is held.
    let us = units(&s.store).await?;
    let actor = format!("kanal:{}", req.channel);
    keyed_write(&s.store, &scope("complaints.intake", None), &key, &m, StatusCode::CREATED, async |tx: &mut crate::store::Tx| {
        let (id, routing) = create(tx, &atlas, &us, &req, &actor, Utc::now()).await?;
        Ok::<_, Problem>(Accepted { id, status: routing.status, unit: routing.unit.clone(), routing })
    })
    .await
}

/// Operators see and act on their own unit's queue only.
fn may_see(actor: &Actor, c: &Complaint) -> Result<(), Problem> {
    match actor.role {
        Role::Admin | Role::Auditor => Ok(()),
        Role::Operator if actor.unit.as_deref() == Some(c.unit.as_str()) => Ok(()),
        _ => Err(Problem::forbidden(format!("complaint {} is in the queue of {}, not yours", c.id, c.unit))),
    }
}

fn may_act(actor: &Actor, c: &Complaint) -> Result<(), Problem> {
    actor.require(&[Role::Admin, Role::Operator])?;
    may_see(actor, c)
}

fn view(c: &Complaint) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
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
    may_see(&actor, &c)?;
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

/// Moves a complaint along the status machine (operator of the holding unit, or admin).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/status", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    request_body(content = StatusRequest, content_type = "application/json"),
    responses((status = 200, body = Complaint), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn change_status(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let (_, m) = body_json(body)?;
    let to_s = req_str(&m, "to")?;
    let to = Status::parse_loose(to_s).ok_or_else(|| Problem::unprocessable("to", format!("unknown status {to_s:?} (one of: {})", Status::choices())))?;
    let reason = opt_str(&m, "reason")?;
    let c = load(&s, id).await?;
    may_act(&actor, &c)?;
    status::check(c.status, to, reason)?;
    let name = actor.audit_name();
    let now = Utc::now();
    let mut tx = s.store.begin().await?;
    if !cstore::update_holder(&mut tx, id, (c.status, &c.unit), to, &c.unit, None, now).await? {
        return Err(Problem::conflict("the complaint changed meanwhile; reload and retry"));
    }
    cstore::append(&mut tx, &NewEvent { complaint_id: id, at: now, actor: &name, action: "ubah_status", from_status: Some(c.status), to_status: to,
        from_unit: Some(&c.unit), to_unit: &c.unit, reason, note: None }).await?;
    audit::record(&mut tx, AuditEntry { actor: &name, action: "complaint.status", entity: "complaint", entity_id: &id.to_string(),
        before: Some(json!({"status": c.status})), after: Some(json!({"status": to, "reason": reason})) }).await?;
    tx.commit().await?;
    Ok(axum::Json(view(&load(&s, id).await?)).into_response())
}

/// Unit ids that can receive a complaint: seeded units and kelurahan in the atlas.
async fn known_unit(s: &AppState, id: &str) -> Result<bool, Problem> {
    Ok(units(&s.store).await?.find(id).is_some_and(|u| u.aktif)
        || (super::model::is_kelurahan_code(id)
            && crate::wilayah::AreaCode::parse(id).is_ok_and(|c| s.atlas.current().get(&c).is_some())))
}

/// Hands a complaint to another unit (disposisi), with the reason.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/forward", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    request_body(content = ForwardRequest, content_type = "application/json"),
    responses((status = 200, body = Complaint), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn forward(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let (_, m) = body_json(body)?;
    let to_unit = req_str(&m, "unit")?;
    let r = req_str(&m, "reason")?;
    let reason = ForwardReason::parse(r).ok_or_else(|| Problem::unprocessable("reason", format!("unknown reason {r:?} (one of: {})", ForwardReason::choices())))?;
    let note = opt_str(&m, "note")?;
    if !known_unit(&s, to_unit).await? {
        return Err(Problem::unprocessable("unit", format!("unknown unit {to_unit:?}: not a kelurahan code in the atlas nor a seeded SKPD/UKPD/BUMD")));
    }
    let c = load(&s, id).await?;
    may_act(&actor, &c)?;
    let to = status::check_forward(c.status, &c.unit, to_unit)?;
    let name = actor.audit_name();
    let now = Utc::now();
    let mut tx = s.store.begin().await?;
    if !cstore::update_holder(&mut tx, id, (c.status, &c.unit), to, to_unit, None, now).await? {
        return Err(Problem::conflict("the complaint changed meanwhile; reload and retry"));
    }
    cstore::append(&mut tx, &NewEvent { complaint_id: id, at: now, actor: &name, action: "teruskan", from_status: Some(c.status), to_status: to,
        from_unit: Some(&c.unit), to_unit, reason: Some(reason.as_str()), note }).await?;
    audit::record(&mut tx, AuditEntry { actor: &name, action: "complaint.forward", entity: "complaint", entity_id: &id.to_string(),
        before: Some(json!({"unit": c.unit, "status": c.status})), after: Some(json!({"unit": to_unit, "status": to, "reason": reason})) }).await?;
    tx.commit().await?;
    Ok(axum::Json(view(&load(&s, id).await?)).into_response())
}

/// Moves the point (`{lon, lat, accuracy_m?}`) and re-routes it through the atlas.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/relocate", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    request_body(content = Geotag, content_type = "application/json"),
    responses((status = 200, body = Complaint), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem)))]
async fn relocate(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let (_, m) = body_json(body)?;
    let mut wrapped = Map::new();
    wrapped.insert("location".into(), Value::Object(m));
    let g = parse_geotag(&wrapped)?.ok_or_else(|| Problem::bad_request("location", "lon and lat are required"))?;
    let c = load(&s, id).await?;
    may_act(&actor, &c)?;
    status::check_relocate(c.status)?;
    let routing = route(&s.atlas.current(), &units(&s.store).await?, c.channel, Some(g))?;
    let name = actor.audit_name();
    let now = Utc::now();
    let mut tx = s.store.begin().await?;
    if !cstore::update_holder(&mut tx, id, (c.status, &c.unit), routing.status, &routing.unit, Some((&routing, Some([g.lon, g.lat]), g.accuracy_m)), now).await? {
        return Err(Problem::conflict("the complaint changed meanwhile; reload and retry"));
    }
    cstore::append(&mut tx, &NewEvent { complaint_id: id, at: now, actor: &name, action: "pindah_lokasi", from_status: Some(c.status),
        to_status: routing.status, from_unit: Some(&c.unit), to_unit: &routing.unit, reason: Some(routing.reason.as_str()), note: Some(&routing.detail) }).await?;
    audit::record(&mut tx, AuditEntry { actor: &name, action: "complaint.relocate", entity: "complaint", entity_id: &id.to_string(),
        before: Some(json!({"unit": c.unit, "routing": c.routing})), after: Some(json!({"unit": routing.unit, "routing": routing})) }).await?;
    tx.commit().await?;
    Ok(axum::Json(view(&load(&s, id).await?)).into_response())
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
    let r = super::cli::build_report(&s.store, &s.atlas.current(), month).await?;
    match q.get("format").map(String::as_str) {
        None | Some("json") => Ok(axum::Json(r).into_response()),
        Some("csv") => {
            let csv = super::report::to_csv(&r).map_err(Problem::internal)?;
            Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
        }
        Some(f) => Err(Problem::bad_request("format", format!("format={f:?} must be json or csv"))),
    }
}

/// Adds a photo (raw JPEG/PNG/WebP body, at most the body limit) to an open complaint. Public
/// like intake, at most `MAX_PHOTOS` per complaint. The bytes go to the attachment store first;
/// if the database write then fails they are removed again.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/photos", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    request_body(description = "The image bytes (type sniffed from the content)", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
    responses((status = 201, body = PhotoStored), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem)))]
async fn add_photo(State(s): State<AppState>, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    use super::attachments::{configured, sniff, AttachmentStore, MAX_PHOTOS};
    let id = parse_id(&id)?;
    let bytes = body.map_err(Problem::from)?;
    let (ctype, ext) = sniff(&bytes).ok_or_else(|| {
        Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-photo", "body must be a JPEG, PNG or WebP image").field("body")
    })?;
    let c = load(&s, id).await?;
    if c.status.is_terminal() {
        return Err(Problem::conflict(format!("complaint {id} is {}: no more photos", c.status)).field("id"));
    }
    let sha = idempotency::request_hash(&bytes);
    let key = format!("complaints/{id}/{}.{ext}", &sha[..16]);
    let mut tx = s.store.begin().await?;
    if cstore::attachment_count(&mut tx, id).await? >= MAX_PHOTOS {
        return Err(Problem::conflict(format!("complaint {id} already has {MAX_PHOTOS} photos")).field("photos"));
    }
    let att = configured();
    att.put(&key, &bytes).await.map_err(Problem::internal)?;
    let written: Result<i64, Problem> = async {
        let pid = cstore::add_attachment(&mut tx, id, &key, ctype, bytes.len() as i64, &sha, Utc::now()).await?;
        audit::record(&mut tx, AuditEntry { actor: "publik", action: "complaint.photo", entity: "complaint", entity_id: &id.to_string(),
            before: None, after: Some(json!({"photo": pid, "sha256": sha, "bytes": bytes.len()})) }).await?;
        tx.commit().await?;
        Ok(pid)
    }.await;
    match written {
        Ok(pid) => Ok((StatusCode::CREATED, axum::Json(PhotoStored { id: pid, content_type: ctype, bytes: bytes.len(), sha256: sha })).into_response()),
        Err(p) => {
            let _ = att.delete(&key).await;
            Err(p)
        }
    }
}

/// The photo bytes, for the unit holding the complaint (and admin/auditor).
#[utoipa::path(get, path = "/api/v1/complaints/{id}/photos/{photo}", tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id"), ("photo" = i64, Path, description = "Photo id")),
    responses((status = 200, description = "The image bytes", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn photo(State(s): State<AppState>, actor: Actor, Path((id, photo)): Path<(String, String)>) -> Result<Response, Problem> {
    use super::attachments::{configured, AttachmentStore};
    let c = load(&s, parse_id(&id)?).await?;
    may_see(&actor, &c)?;
    let pid = parse_id(&photo).map_err(|_| Problem::bad_request("photo", format!("photo {photo:?} must be a positive integer")))?;
    let a = cstore::attachments(&s.store, c.id).await?.into_iter().find(|a| a.id == pid)
        .ok_or_else(|| Problem::not_found(format!("complaint {} has no photo {pid}", c.id)).field("photo"))?;
    let bytes = configured().get(&a.storage_key).await.map_err(Problem::internal)?;
    Ok(([(axum::http::header::CONTENT_TYPE, a.content_type)], bytes).into_response())
}

/// Seeded SKPD/UKPD/BUMD and channel-owner units (kelurahan units are the atlas's kelurahan).
#[utoipa::path(get, path = "/api/v1/complaint-units", tag = "complaints",
    responses((status = 200, body = Vec<super::model::Unit>)))]
async fn list_units(State(s): State<AppState>) -> Result<Response, Problem> {
    Ok(axum::Json(units(&s.store).await?.seeded).into_response())
}

/// Adds or edits a unit (`{nama, jenis, kanal?, aktif?}`). Admin only; audited.
#[utoipa::path(put, path = "/api/v1/complaint-units/{id}", tag = "complaints",
    params(("id" = String, Path, description = "Unit id, 1..64 of [A-Za-z0-9_-], e.g. dinas-sda")),
    request_body(content = UnitRequest, content_type = "application/json"),
    responses((status = 200, body = super::model::Unit), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn put_unit(State(s): State<AppState>, actor: Actor, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin])?;
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || super::model::is_kelurahan_code(&id) {
        return Err(Problem::bad_request("id", "unit id must be 1..64 of [A-Za-z0-9_-] (kelurahan come from the atlas)"));
    }
    let (_, m) = body_json(body)?;
    let nama = req_str(&m, "nama")?.to_string();
    let j = req_str(&m, "jenis")?;
    let jenis = super::model::UnitKind::parse(j).ok_or_else(|| Problem::unprocessable("jenis", format!("unknown jenis {j:?} (one of: {})", super::model::UnitKind::choices())))?;
    let kanal = match m.get("kanal") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().and_then(Channel::parse).ok_or_else(|| Problem::unprocessable("kanal", format!("unknown channel {v} (one of: {})", Channel::choices())))).collect::<Result<_, _>>()?,
        Some(_) => return Err(Problem::unprocessable("kanal", "kanal must be an array of channels")),
    };
    let aktif = match m.get("aktif") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Problem::unprocessable("aktif", "aktif must be true or false")),
    };
    let current = units(&s.store).await?;
    let before = current.find(&id).cloned();
    let u = super::model::Unit { id: id.clone(), nama, jenis, kanal, aktif };
    if let Err(orphan) = current.with(u.clone()) {
        let field = if u.aktif { "kanal" } else { "aktif" };
        return Err(Problem::unprocessable(field, format!("channel {} would have no active owner; give it to another unit first", orphan.as_str())));
    }
    let mut tx = s.store.begin().await?;
    cstore::upsert_unit(&mut tx, &u).await?;
    audit::record(&mut tx, AuditEntry { actor: &actor.audit_name(), action: "complaint_unit.put", entity: "complaint_unit", entity_id: &id,
        before: before.map(|b| json!(b)), after: Some(json!(u)) }).await?;
    tx.commit().await?;
    Ok(axum::Json(u).into_response())
}
