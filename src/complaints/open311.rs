//! Open311 GeoReport v2 (JSON) over the same complaints, so existing Open311 clients can submit
//! and read. Public reads never show the reporter contact, and coordinates are rounded to
//! 3 decimals (about 110 m), enough to see the neighbourhood but not the reporter's doorstep.

use super::model::{Category, Channel, Intake, MAX_CONTACT};
use super::intake::{Job, Outcome};
use super::ops::{self, ComplaintError};
use super::routing::Geotag;
use super::store::{self as cstore, Complaint, Filter};
use crate::api::{AppState, Problem};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(services)).routes(routes!(requests, submit)).routes(routes!(one))
}

// Shapes of the GeoReport v2 answers for the OpenAPI document; the handlers build the same JSON.

/// One service (a complaint category).
#[derive(ToSchema)]
#[allow(dead_code)]
struct Service {
    service_code: super::model::Category,
    service_name: String,
    description: String,
    metadata: bool,
    /// Always `realtime`.
    #[schema(rename = "type")]
    kind: String,
    keywords: String,
    /// Always `pengaduan`.
    group: String,
}

/// The public view of a complaint: no reporter contact, point rounded to 3 decimals.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ServiceRequest {
    service_request_id: String,
    /// `open` or `closed`.
    status: String,
    /// The complaint status word (`diterima`, `assigned`, …).
    status_notes: super::model::Status,
    service_name: String,
    service_code: super::model::Category,
    description: String,
    agency_responsible: String,
    requested_datetime: DateTime<Utc>,
    updated_datetime: DateTime<Utc>,
    /// Kelurahan name.
    address: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
}

/// A service request submission (`application/x-www-form-urlencoded`). `email` (or `phone`) is
/// kept as the reporter contact.
#[derive(ToSchema)]
#[allow(dead_code)]
struct SubmitForm {
    service_code: super::model::Category,
    /// At most 5000 characters (longer: 413); control characters other than tab and line breaks: 422.
    description: String,
    /// Latitude; required with `long`.
    lat: Option<f64>,
    /// Longitude; required with `lat`.
    long: Option<f64>,
    /// At most 200 characters, no control characters (422 naming `email`).
    email: Option<String>,
    /// Used when `email` is absent; at most 200 characters, no control characters (422 naming `phone`).
    phone: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Submitted {
    service_request_id: String,
    /// How the request was routed (Indonesian).
    service_notice: String,
    /// Always null.
    account_id: Option<String>,
    /// Secret for `POST /api/v1/complaints/{id}/photos` (header `Upload-Secret`); only its hash is stored.
    upload_secret: String,
}

/// A GeoReport v2 error, with the field at fault.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Open311Error {
    /// The HTTP status.
    code: u16,
    description: String,
    field: Option<String>,
}

#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311",
    responses((status = 200, body = Vec<Service>, description = "One service per complaint category")))]
async fn services() -> Json<Value> {
    Json(Value::Array(
        Category::ALL
            .iter()
            .map(|c| json!({"service_code": c.as_str(), "service_name": c.label(), "description": c.label(), "metadata": false, "type": "realtime", "keywords": c.as_str(), "group": "pengaduan"}))
            .collect(),
    ))
}

/// `application/x-www-form-urlencoded` as GeoReport v2 clients send it.
fn parse_form(body: &[u8]) -> HashMap<String, String> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                        Ok(v) => {
                            out.push(v);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

fn err311(p: Problem) -> Response {
    // GeoReport v2 errors are an array of {code, description}; the problem fields are kept too.
    let code = p.status;
    (p.status_code(), Json(json!([{"code": code, "description": p.detail, "field": p.field}]))).into_response()
}

fn coord(f: &HashMap<String, String>, name: &str, field: &'static str) -> Result<Option<f64>, Problem> {
    match f.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<f64>().map(Some).map_err(|_| Problem::bad_request(field, format!("{name}={v:?} must be a number"))),
    }
}

#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    request_body(content = SubmitForm, content_type = "application/x-www-form-urlencoded", description = "As GeoReport v2 clients send it"),
    responses((status = 201, body = Vec<Submitted>), (status = 400, body = Vec<Open311Error>), (status = 413, body = Vec<Open311Error>), (status = 422, body = Vec<Open311Error>)))]
async fn submit(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    match submit_inner(&s, body).await {
        Ok(r) => r,
        Err(p) => err311(p),
    }
}

async fn submit_inner(s: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    let bytes = body.map_err(Problem::from)?;
    let f = parse_form(&bytes);
    let code = f.get("service_code").map(|s| s.trim()).filter(|s| !s.is_empty()).ok_or_else(|| Problem::bad_request("service_code", "service_code is required"))?;
    let category = Category::parse(code).ok_or_else(|| Problem::bad_request("service_code", format!("unknown service_code {code:?}; see services.json")))?;
    let description = f.get("description").map(|s| s.as_str()).filter(|s| !s.trim().is_empty()).ok_or_else(|| Problem::bad_request("description", "description is required"))?;
    let lat = coord(&f, "lat", "lat")?;
    let lon = coord(&f, "long", "long")?;
    let geotag = match (lon, lat) {
        (Some(lon), Some(lat)) => Some(Geotag { lon, lat, accuracy_m: None }),
        (None, None) => None,
        (None, Some(_)) => return Err(Problem::bad_request("long", "long is required with lat")),
        (Some(_), None) => return Err(Problem::bad_request("lat", "lat is required with long")),
    };
    // The contact is `email`, else `phone`; each is checked under its own name, with the same
    // cap as the JSON intake's `reporter_contact`.
    let email = crate::text::optional("email", f.get("email").map(String::as_str), MAX_CONTACT)?;
    let phone = crate::text::optional("phone", f.get("phone").map(String::as_str), MAX_CONTACT)?;
    let contact = email.map(|e| ("email", e)).or(phone.map(|p| ("phone", p)));
    let req = Intake::new(Channel::Open311, category, description, contact, geotag).map_err(ComplaintError::from)?;
    let (secret, secret_hash) = ops::new_upload_secret();
    let job = Job { intake: req, actor: "kanal:open311".into(), keyed: None, secret_hash, atlas: s.atlas.current() };
    let (id, routing) = match s.intake.submit(job).await {
        Ok(Outcome::Created { id, routing, .. }) => (id, routing),
        Ok(other) => return Err(Problem::internal(format!("unkeyed Open311 intake answered {other:?}"))),
        Err(e) => {
            let mut p = Problem::from(e);
            // Open311 names the coordinates lat/long.
            p.field = p.field.map(|f| f.replace("location.lon", "long").replace("location.lat", "lat"));
            return Err(p);
        }
    };
    let answer = json!([{"service_request_id": id.to_string(), "service_notice": routing.detail, "account_id": null, "upload_secret": secret}]);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

fn round3(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 1000.0).round() / 1000.0)
}

/// The public Open311 view: no contact, rounded point.
fn public(c: &Complaint) -> Value {
    let open = !c.status.is_terminal();
    json!({
        "service_request_id": c.id.to_string(),
        "status": if open { "open" } else { "closed" },
        "status_notes": c.status.as_str(),
        "service_name": c.category.label(),
        "service_code": c.category.as_str(),
        "description": c.description,
        "agency_responsible": c.unit,
        "requested_datetime": c.created_at.to_rfc3339(),
        "updated_datetime": c.updated_at.to_rfc3339(),
        "address": c.routing.get("kelurahan").and_then(|k| k.get("nama")).cloned(),
        "lat": round3(c.lat),
        "long": round3(c.lon),
    })
}

/// Public list of service requests (at most 1000, newest first).
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311",
    params(("service_request_id" = Option<String>, Query, description = "Comma-separated ids; the other filters are then ignored"),
           ("service_code" = Option<super::model::Category>, Query), ("status" = Option<String>, Query, description = "open or closed"),
           ("start_date" = Option<String>, Query, description = "RFC 3339")),
    responses((status = 200, body = Vec<ServiceRequest>), (status = 400, body = Vec<Open311Error>)))]
async fn requests(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let r: Result<Response, Problem> = async {
        let since = match q.get("start_date") {
            None => None,
            Some(v) => Some(DateTime::parse_from_rfc3339(v).map_err(|_| Problem::bad_request("start_date", "start_date must be RFC 3339"))?.with_timezone(&Utc)),
        };
        if let Some(v) = q.get("status").filter(|v| *v != "open" && *v != "closed") {
            return Err(Problem::bad_request("status", format!("status={v:?} must be open or closed")));
        }
        let f = Filter { since, limit: 1000, ..Filter::default() };
        if let Some(ids) = q.get("service_request_id") {
            let mut out = Vec::new();
            for id in ids.split(',') {
                let id: i64 = id.trim().parse().map_err(|_| Problem::bad_request("service_request_id", format!("{id:?} is not an id")))?;
                if let Some(c) = cstore::get(&s.store, id).await? {
                    out.push(public(&c));
                }
            }
            return Ok(Json(Value::Array(out)).into_response());
        }
        if let Some(code) = q.get("service_code") {
            Category::parse(code).ok_or_else(|| Problem::bad_request("service_code", format!("unknown service_code {code:?}")))?;
        }
        let (items, _) = cstore::list(&s.store, &f).await?;
        let want_open = q.get("status").map(|v| v == "open");
        let out: Vec<Value> = items
            .iter()
            .filter(|c| q.get("service_code").is_none_or(|code| c.category.as_str() == code))
            .filter(|c| want_open.is_none_or(|o| o != c.status.is_terminal()))
            .map(public)
            .collect();
        Ok(Json(Value::Array(out)).into_response())
    }
    .await;
    r.unwrap_or_else(err311)
}

#[utoipa::path(get, path = "/open311/v2/requests/{file}", tag = "open311",
    params(("file" = String, Path, description = "`{id}.json`, e.g. 42.json")),
    responses((status = 200, body = Vec<ServiceRequest>, description = "A one-element array"), (status = 400, body = Vec<Open311Error>), (status = 404, body = Vec<Open311Error>)))]
async fn one(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let r: Result<Response, Problem> = async {
        let id = file.strip_suffix(".json").ok_or_else(|| Problem::not_found("only the .json format is served"))?;
        let id: i64 = id.parse().map_err(|_| Problem::bad_request("service_request_id", format!("{id:?} is not an id")))?;
        let c = cstore::get(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no service request {id}")))?;
        Ok(Json(json!([public(&c)])).into_response())
    }
    .await;
    r.unwrap_or_else(err311)
}
