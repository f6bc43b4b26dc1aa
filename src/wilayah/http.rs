//! HTTP handlers of the atlas: thin adapters from requests to `Atlas`.

use super::{geojson_io, AreaCode, Level, Location};
use crate::api::{Actor, ApiJson, AppState, Problem, Role};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one, update))
        .routes(routes!(locate_get, locate_post))
}

/// Parses a query parameter, naming it in the error.
pub fn query_param<T: std::str::FromStr>(q: &HashMap<String, String>, name: &str) -> Result<Option<T>, Problem>
where
    T::Err: std::fmt::Display,
{
    match q.get(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|e| Problem::bad_request(name, format!("{name}={v:?}: {e}"))),
    }
}

#[derive(Serialize, ToSchema)]
struct AreaItem {
    kode: String,
    nama: String,
    level: Level,
    induk: Option<String>,
    /// True when the boundary was generated (the demo RW layer), not official.
    generated: bool,
    /// Source key of the boundary (`inasafe-osm-2012` for the real RW, `generated`); null when
    /// the layer did not say.
    sumber: Option<String>,
    /// Year the source describes (2012 for the real RW); null when unknown.
    tahun: Option<i32>,
}

#[derive(Serialize, ToSchema)]
struct AreaList {
    level: Level,
    parent: Option<String>,
    count: usize,
    /// True when any listed boundary is generated demo data.
    generated: bool,
    items: Vec<AreaItem>,
}

#[derive(Deserialize, IntoParams)]
#[allow(dead_code)]
struct ListParams {
    /// kota | kecamatan | kelurahan | rw. Required, as on every endpoint that takes a level
    /// (`/api/v1/bansos/progress` too): a missing level is a 400 naming `level`, not a guess.
    level: String,
    /// Only areas inside this code.
    parent: Option<String>,
}

/// Lists areas of a level, optionally inside a parent.
#[utoipa::path(get, path = "/api/v1/wilayah", params(ListParams), responses((status = 200, body = AreaList), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn list(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<AreaList>, Problem> {
    let level: Level = query_param(&q, "level")?.ok_or_else(|| Problem::bad_request("level", "level is required: kota, kecamatan, kelurahan or rw"))?;
    let parent = match q.get("parent") {
        None => None,
        Some(p) => Some(AreaCode::parse(p).map_err(|e| Problem::bad_request("parent", e.to_string()))?),
    };
    let atlas = s.atlas.current();
    if let Some(p) = &parent {
        if atlas.get(p).is_none() {
            return Err(Problem::not_found(format!("no area with code {p}")).field("parent"));
        }
    }
    let items: Vec<AreaItem> = atlas
        .list(level, parent.as_ref())
        .into_iter()
        .map(|a| AreaItem {
            kode: a.code.to_string(),
            nama: a.name.clone(),
            level: a.level,
            induk: a.parent.as_ref().map(|p| p.to_string()),
            generated: a.generated,
            sumber: a.source.clone(),
            tahun: a.year,
        })
        .collect();
    Ok(Json(AreaList {
        level,
        parent: parent.map(|p| p.to_string()),
        count: items.len(),
        generated: items.iter().any(|i| i.generated),
        items,
    }))
}

/// One area as a GeoJSON Feature, with its parent chain and child count.
#[utoipa::path(get, path = "/api/v1/wilayah/{code}", params(("code" = String, Path, description = "Kemendagri code, e.g. 31.71.01.1001")),
    responses((status = 200, description = "GeoJSON Feature"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn one(State(s): State<AppState>, Path(code): Path<String>) -> Result<Json<serde_json::Value>, Problem> {
    let code = AreaCode::parse(&code).map_err(|e| Problem::bad_request("code", e.to_string()))?;
    let atlas = s.atlas.current();
    let area = atlas.get(&code).ok_or_else(|| Problem::not_found(format!("no area with code {code}")).field("code"))?;
    let mut feature = geojson_io::area_feature(area);
    let mut chain = Vec::new();
    let mut cur = area.parent.clone();
    while let Some(c) = cur {
        if let Some(p) = atlas.get(&c) {
            chain.push(serde_json::json!({"kode": p.code.to_string(), "nama": p.name, "level": p.level}));
        }
        cur = c.parent();
    }
    chain.reverse();
    if let Some(props) = feature.properties.as_mut() {
        props.insert("induk_rantai".into(), chain.into());
        props.insert("jumlah_anak".into(), atlas.children(&code).len().into());
    }
    feature.id = Some(geojson::feature::Id::String(code.to_string()));
    serde_json::to_value(feature).map(Json).map_err(Problem::internal)
}

#[derive(Deserialize, IntoParams)]
#[allow(dead_code)]
struct LocateParams {
    /// Longitude, WGS84 (e.g. 106.8272)
    lon: f64,
    /// Latitude, WGS84 (e.g. -6.1754)
    lat: f64,
}

/// Which kota, kecamatan, kelurahan and RW a point is in, and how that was decided.
#[utoipa::path(get, path = "/api/v1/locate", params(LocateParams), responses((status = 200, body = Location), (status = 400, body = Problem)))]
async fn locate_get(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Location>, Problem> {
    let lon: f64 = query_param(&q, "lon")?.ok_or_else(|| Problem::bad_request("lon", "lon is required"))?;
    let lat: f64 = query_param(&q, "lat")?.ok_or_else(|| Problem::bad_request("lat", "lat is required"))?;
    let atlas = s.atlas.current();
    Ok(Json(atlas.locate(lon, lat).map_err(|e| with_swap_hint(&atlas, lon, lat, e.into()))?))
}

/// A rejected point that lies in Jakarta once lon and lat are exchanged was sent lat-first (the
/// complaint router corrects such points and flags `koordinat_tertukar`; here, as in the
/// planner, the caller is told so in the problem's detail).
fn with_swap_hint(atlas: &super::Atlas, lon: f64, lat: f64, mut problem: Problem) -> Problem {
    if atlas.locate(lat, lon).is_ok_and(|l| l.in_jakarta()) {
        problem.detail.push_str("; lon and lat look swapped: send the longitude (≈ 106.8) first, then the latitude (≈ -6.2), as GeoJSON does");
    }
    problem
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchPoint {
    /// Caller's id, echoed back.
    #[serde(default)]
    id: Option<serde_json::Value>,
    lon: f64,
    lat: f64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    points: Vec<BatchPoint>,
}

#[derive(Serialize, ToSchema)]
struct BatchItem {
    id: Option<serde_json::Value>,
    #[serde(flatten)]
    location: Location,
}

#[derive(Serialize, ToSchema)]
struct BatchResponse {
    count: usize,
    results: Vec<BatchItem>,
}

/// Locates many points at once (at most `locate_batch_limit`, default 10 000). A bad point
/// rejects the whole batch, naming it (`points[3].lat`).
#[utoipa::path(post, path = "/api/v1/locate", request_body = BatchRequest,
    responses((status = 200, body = BatchResponse), (status = 400, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn locate_post(State(s): State<AppState>, ApiJson(req): ApiJson<BatchRequest>) -> Result<Json<BatchResponse>, Problem> {
    let limit = s.config.locate_batch_limit;
    if req.points.len() > limit {
        return Err(Problem::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "batch-too-large", format!("{} points; at most {limit} per request", req.points.len())).field("points"));
    }
    let atlas = s.atlas.current();
    // Up to `locate_batch_limit` lookups are CPU work: run them off the async workers, which
    // would otherwise stall every other request meanwhile — writers holding the store's write
    // lock between two statements included (measured by the load suite: complaint intake fell
    // from ~1,100/s to ~350/s beside 10 batch clients on 2 cores).
    let results = tokio::task::spawn_blocking(move || {
        req.points
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                atlas.locate(p.lon, p.lat).map(|location| BatchItem { id: p.id, location }).map_err(|e| {
                    let mut pr = with_swap_hint(&atlas, p.lon, p.lat, e.into());
                    pr.field = pr.field.map(|f| format!("points[{i}].{f}"));
                    pr
                })
            })
            .collect::<Result<Vec<_>, Problem>>()
    })
    .await
    .map_err(Problem::internal)??;
    Ok(Json(BatchResponse { count: results.len(), results }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AreaUpdate {
    /// New name; the stored one is kept when absent.
    #[serde(default)]
    nama: Option<String>,
    /// GeoJSON Polygon or MultiPolygon, WGS84 lon/lat.
    #[schema(value_type = Object)]
    geometry: geojson::Geometry,
}

/// Replaces one boundary (Citata editing). Same checks as the importer, the territory ones
/// included (`territory::check`: inside DKI Jakarta, inside its parent, overlapping its old
/// footprint; a refusal is a 422 naming `geometry` and writes nothing). On success the atlas is
/// refreshed, the tiles it touches dropped, and the change is in the audit log. Role admin.
#[utoipa::path(put, path = "/api/v1/wilayah/{code}", request_body = AreaUpdate,
    params(("code" = String, Path, description = "Kemendagri code")),
    responses((status = 200, description = "GeoJSON Feature as stored"), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(s): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    body: Result<ApiJson<AreaUpdate>, Problem>,
) -> Result<Json<serde_json::Value>, Problem> {
    // The role before the body: a wrong role with a bad body is a 403.
    actor.require(&[Role::Admin])?;
    let body = crate::api::problem::json_body(body)?;
    let code = AreaCode::parse(&code).map_err(|e| Problem::bad_request("code", e.to_string()))?;
    let atlas = s.atlas.current();
    let existing = atlas.get(&code).ok_or_else(|| Problem::not_found(format!("no area with code {code}")).field("code"))?;
    let nama = body.nama.clone().unwrap_or_else(|| existing.name.clone());
    let areas = super::import::check_edit(&atlas, &code, &nama, geojson_io::to_multipolygon(body.geometry), Some(existing))
        .map_err(|(field, reason)| Problem::unprocessable(field, reason))?;
    // Everything the write needs was read above: no pool call while the transaction is held.
    let mut tx = s.store.begin().await?;
    crate::store::boundaries::upsert(&mut tx, &areas, &actor.audit_name(), &|_| {}).await?;
    tx.commit().await?;
    s.refresh_atlas().await?;
    let atlas = s.atlas.current();
    let stored = atlas.get(&code).ok_or_else(|| Problem::internal("updated area vanished"))?;
    serde_json::to_value(geojson_io::area_feature(stored)).map(Json).map_err(Problem::internal)
}
