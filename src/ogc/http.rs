//! HTTP of OGC API – Features at `/ogc`: thin handlers over `model` (selection, paging, GeoJSON),
//! `doc` (the OpenAPI 3.0 document the standard asks for) and `html` (pages for a browser).
//! Format by `f=json|html` (`geojson` too for features), else by `Accept`; errors are
//! problem+json naming the parameter at fault.

use super::collections::{Collection, Editor, Registry};
use super::crs::Crs;
use super::model::{self, link, GEOJSON, HTML};
use super::{doc, html};
use crate::api::{Actor, AppState, Problem};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(landing))
        .routes(routes!(conformance))
        .routes(routes!(api))
        .routes(routes!(collections))
        .routes(routes!(collection))
        .routes(routes!(items, create))
        .routes(routes!(item, replace, patch, delete))
        .routes(routes!(queryables))
        .layer(Extension(Arc::new(Registry::new())))
}

/// Conformance classes served, declared only for what is implemented and tested.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

/// What every OGC handler needs from the request: the query pairs (decoded, in order), the
/// format asked for, and the absolute URL of `/ogc` (links must be absolute for GDAL).
pub struct OgcRequest {
    pub pairs: Vec<(String, String)>,
    pub format: Format,
    pub base: String,
}

impl OgcRequest {
    /// Refuses parameters other than `allowed` (and `f`): OGC API – Features 1 answers an
    /// unknown parameter with 400 rather than ignoring it.
    fn only(&self, allowed: &[&str]) -> Result<(), Problem> {
        match self.pairs.iter().find(|(k, _)| k != "f" && !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(Problem::bad_request(k, format!("unknown parameter {k:?} here"))),
            None => Ok(()),
        }
    }
}

/// `f=` first, then `Accept` (highest q; on a tie the earlier type); JSON when neither says.
fn negotiate(pairs: &[(String, String)], headers: &HeaderMap) -> Result<Format, Problem> {
    if let Some((_, f)) = pairs.iter().find(|(k, _)| k == "f") {
        return match f.as_str() {
            "json" | "geojson" => Ok(Format::Json),
            "html" => Ok(Format::Html),
            other => Err(Problem::bad_request("f", format!("f={other:?}: use json or html"))),
        };
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut best: Option<(f32, Format)> = None;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let media = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|v| v.trim().parse::<f32>().ok()).unwrap_or(1.0);
        let format = match media.as_str() {
            "text/html" | "application/xhtml+xml" => Format::Html,
            "application/json" | "application/geo+json" | "application/*" | "*/*" => Format::Json,
            m if m.ends_with("+json") => Format::Json,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, format));
        }
    }
    Ok(best.map_or(Format::Json, |(_, f)| f))
}

impl<S: Send + Sync> FromRequestParts<S> for OgcRequest {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(pairs) = axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state).await.map_err(Problem::from)?;
        let format = negotiate(&pairs, &parts.headers)?;
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()));
        let proto = parts.headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|p| *p == "https").unwrap_or("http");
        let base = match host {
            Some(h) => format!("{proto}://{h}/ogc"),
            None => "/ogc".to_string(),
        };
        Ok(OgcRequest { pairs, format, base })
    }
}

fn json_as(v: &Value, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], v.to_string()).into_response()
}

fn page(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn collection_of<'r>(reg: &'r Registry, id: &str) -> Result<&'r dyn Collection, Problem> {
    reg.get(id).ok_or_else(|| Problem::not_found(format!("no collection {id:?}; the collections are {}", reg.ids().join(", "))).field("collectionId"))
}

/// Landing page: links to the API definition, conformance and collections.
#[utoipa::path(get, path = "/ogc", tag = "ogc", params(("f" = Option<String>, Query, description = "json | html")),
    responses((status = 200, description = "Landing page (JSON or HTML)"), (status = 400, body = Problem)))]
async fn landing(r: OgcRequest) -> Result<Response, Problem> {
    r.only(&[])?;
    let b = &r.base;
    let v = json!({
        "title": "sigap OGC API – Features",
        "description": "DKI Jakarta's administrative boundaries (kota, kecamatan, kelurahan, generated RW) with bansos progress, and public complaints.",
        "links": [
            link(format!("{b}?f=json"), "self", "application/json", "this document"),
            link(format!("{b}?f=html"), "alternate", HTML, "this document as HTML"),
            link(format!("{b}/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "the API definition"),
            link(format!("{b}/api?f=html"), "service-doc", HTML, "the API documentation"),
            link(format!("{b}/conformance"), "conformance", "application/json", "conformance classes"),
            link(format!("{b}/collections"), "data", "application/json", "the collections"),
        ]
    });
    Ok(match r.format {
        Format::Json => json_as(&v, "application/json"),
        Format::Html => page(html::landing(&v)),
    })
}

/// The conformance classes implemented.
#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc", params(("f" = Option<String>, Query, description = "json | html")),
    responses((status = 200, description = "conformsTo list"), (status = 400, body = Problem)))]
async fn conformance(r: OgcRequest) -> Result<Response, Problem> {
    r.only(&[])?;
    let v = json!({"conformsTo": CONFORMANCE});
    Ok(match r.format {
        Format::Json => json_as(&v, "application/json"),
        Format::Html => page(html::conformance(CONFORMANCE)),
    })
}

/// The OpenAPI 3.0 definition of the OGC API (one path per collection, as OGC clients expect;
/// separate from sigap's own OpenAPI 3.1 document at /api-docs/openapi.json).
#[utoipa::path(get, path = "/ogc/api", tag = "ogc", params(("f" = Option<String>, Query, description = "json | html")),
    responses((status = 200, description = "OpenAPI 3.0 document"), (status = 400, body = Problem)))]
async fn api(r: OgcRequest, Extension(reg): Extension<Arc<Registry>>) -> Result<Response, Problem> {
    r.only(&[])?;
    let infos: Vec<_> = reg.all().map(|c| c.info().clone()).collect();
    let v = doc::openapi(&r.base, &infos);
    Ok(match r.format {
        Format::Json => json_as(&v, "application/vnd.oai.openapi+json;version=3.0"),
        Format::Html => page(html::api(&v)),
    })
}

/// A collection's description: links, extent, CRS.
async fn describe(r: &OgcRequest, c: &dyn Collection, s: &AppState) -> Result<Value, Problem> {
    let info = c.info();
    let snap = c.features(s).await?;
    let b = format!("{}/collections/{}", r.base, info.id);
    let mut v = json!({
        "id": info.id,
        "title": info.title,
        "description": info.description,
        "itemType": "feature",
        "generated": snap.generated,
        "links": [
            link(format!("{b}?f=json"), "self", "application/json", "this collection"),
            link(format!("{b}?f=html"), "alternate", HTML, "this collection as HTML"),
            link(format!("{b}/items?f=json"), "items", GEOJSON, "the features"),
            link(format!("{b}/items?f=html"), "items", HTML, "the features as HTML"),
            link(format!("{b}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "queryables"),
        ],
        "crs": Crs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>(),
        "storageCrs": Crs::Crs84.uri(),
    });
    if let Some(e) = model::extent(&snap.features) {
        v["extent"] = json!({"spatial": {"bbox": [[e.min().x, e.min().y, e.max().x, e.max().y]], "crs": Crs::Crs84.uri()}});
    }
    Ok(v)
}

/// Every collection.
#[utoipa::path(get, path = "/ogc/collections", tag = "ogc", params(("f" = Option<String>, Query, description = "json | html")),
    responses((status = 200, description = "The collections"), (status = 400, body = Problem)))]
async fn collections(State(s): State<AppState>, r: OgcRequest, Extension(reg): Extension<Arc<Registry>>) -> Result<Response, Problem> {
    r.only(&[])?;
    let mut list = Vec::new();
    for c in reg.all() {
        list.push(describe(&r, c, &s).await?);
    }
    let b = format!("{}/collections", r.base);
    let v = json!({
        "links": [link(format!("{b}?f=json"), "self", "application/json", "the collections"), link(format!("{b}?f=html"), "alternate", HTML, "as HTML")],
        "collections": list,
        "crs": Crs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>(),
    });
    Ok(match r.format {
        Format::Json => json_as(&v, "application/json"),
        Format::Html => page(html::collections(&v)),
    })
}

/// One collection.
#[utoipa::path(get, path = "/ogc/collections/{collectionId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "kota, kecamatan, kelurahan, rw, pengaduan, …"), ("f" = Option<String>, Query, description = "json | html")),
    responses((status = 200, description = "The collection"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn collection(State(s): State<AppState>, r: OgcRequest, Extension(reg): Extension<Arc<Registry>>, Path(id): Path<String>) -> Result<Response, Problem> {
    let c = collection_of(&reg, &id)?;
    r.only(&[])?;
    let v = describe(&r, c, &s).await?;
    Ok(match r.format {
        Format::Json => json_as(&v, "application/json"),
        Format::Html => page(html::collection(&v)),
    })
}

fn content_crs(crs: Crs) -> (header::HeaderName, HeaderValue) {
    (header::HeaderName::from_static("content-crs"), HeaderValue::from_static(crs.header()))
}

/// Features of a collection, one page: `bbox`, `datetime`, `limit` (1..10 000, default 10),
/// `offset`, `property=value` on the queryables and a CQL2 `filter`; `next`/`prev` links page
/// through all.
#[utoipa::path(get, path = "/ogc/collections/{collectionId}/items", tag = "ogc",
    params(("collectionId" = String, Path, description = "collection id"),
           ("bbox" = Option<String>, Query, description = "minx,miny,maxx,maxy (CRS84 unless bbox-crs)"),
           ("limit" = Option<u32>, Query, description = "1..10000, default 10"),
           ("offset" = Option<u32>, Query, description = "features to skip (the next link sets it)"),
           ("datetime" = Option<String>, Query, description = "instant or interval (a/b, ../b, a/..) on the collection's time property"),
           ("crs" = Option<String>, Query, description = "output CRS URI"),
           ("bbox-crs" = Option<String>, Query, description = "CRS URI of bbox"),
           ("filter" = Option<String>, Query, description = "CQL2 filter (Basic CQL2 + S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT) on the queryables"),
           ("filter-lang" = Option<String>, Query, description = "cql2-text (default) | cql2-json"),
           ("filter-crs" = Option<String>, Query, description = "CRS URI of the filter's geometry literals (default CRS84)"),
           ("f" = Option<String>, Query, description = "json | geojson | html")),
    responses((status = 200, description = "GeoJSON FeatureCollection with numberMatched, numberReturned and links"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn items(State(s): State<AppState>, r: OgcRequest, Extension(reg): Extension<Arc<Registry>>, Path(id): Path<String>) -> Result<Response, Problem> {
    let c = collection_of(&reg, &id)?;
    let info = c.info();
    let q = model::parse_items(&r.pairs, info).map_err(|e| Problem::bad_request(&e.param, e.detail))?;
    let snap = c.features(&s).await?;
    let (matched, page_items) = model::select(&snap.features, &q, info);
    let items_url = format!("{}/collections/{}/items", r.base, info.id);
    let links = model::page_links(&items_url, &q, matched, page_items.len());
    let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(match r.format {
        Format::Json => {
            // Written as text around each feature's cached GeoJSON: no tree per request.
            let head = json!({"type": "FeatureCollection", "numberMatched": matched, "numberReturned": page_items.len(), "timeStamp": stamp, "links": links}).to_string();
            let mut body = String::with_capacity(head.len() + page_items.len() * 2048);
            body.push_str(&head[..head.len() - 1]);
            body.push_str(",\"features\":[");
            for (i, f) in page_items.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                f.write_json(q.crs, &mut body);
            }
            body.push_str("]}");
            ([content_crs(q.crs), (header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], body).into_response()
        }
        Format::Html => {
            let features: Vec<Value> = page_items.iter().map(|f| model::feature_json(f, q.crs, &items_url, false)).collect();
            let v = json!({"numberMatched": matched, "numberReturned": features.len(), "links": links, "features": features});
            ([content_crs(q.crs)], page(html::items(info, &v))).into_response()
        }
    })
}

/// One feature.
#[utoipa::path(get, path = "/ogc/collections/{collectionId}/items/{featureId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "collection id"), ("featureId" = String, Path, description = "feature id (area code, complaint id)"),
           ("crs" = Option<String>, Query, description = "output CRS URI"), ("f" = Option<String>, Query, description = "json | geojson | html")),
    responses((status = 200, description = "GeoJSON Feature"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn item(State(s): State<AppState>, r: OgcRequest, Extension(reg): Extension<Arc<Registry>>, Path((id, fid)): Path<(String, String)>) -> Result<Response, Problem> {
    let c = collection_of(&reg, &id)?;
    r.only(&["crs"])?;
    let crs = match r.pairs.iter().find(|(k, _)| k == "crs") {
        None => Crs::Crs84,
        Some((_, v)) => Crs::parse(v).ok_or_else(|| Problem::bad_request("crs", format!("unknown crs {v:?}; offered: {}", Crs::list())))?,
    };
    let snap = c.features(&s).await?;
    let f = snap
        .features
        .iter()
        .find(|f| f.id == fid)
        .ok_or_else(|| Problem::not_found(format!("no feature {fid:?} in collection {id}")).field("featureId"))?;
    let items_url = format!("{}/collections/{}/items", r.base, c.info().id);
    let v = model::feature_json(f, crs, &items_url, true);
    let mut res = match r.format {
        Format::Json => ([content_crs(crs), (header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))], v.to_string()).into_response(),
        Format::Html => ([content_crs(crs)], page(html::item(c.info(), &v))).into_response(),
    };
    if let Some(tag) = c.editor().and_then(|e| HeaderValue::from_str(&e.etag(f)).ok()) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    Ok(res)
}

// ---- Part 4: create, replace, update, delete ----

/// The collection and its editor for a write, in the order of the answers: unknown collection
/// (404), read-only (405), role (403), stray query parameters (400).
fn editable<'r>(reg: &'r Registry, id: &str, actor: &Actor, r: &OgcRequest) -> Result<(&'r dyn Collection, &'r dyn Editor), Problem> {
    let c = collection_of(reg, id)?;
    let e = c.editor().ok_or_else(|| {
        Problem::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, "read-only", format!("collection {} is read-only through OGC API", c.info().id)).field("collectionId")
    })?;
    actor.require(e.roles())?;
    r.only(&[])?;
    Ok((c, e))
}

/// The ETags of `If-Match`, required on replace, update and delete: without one a client
/// could overwrite an edit it never saw (428 naming `If-Match`).
fn if_match(headers: &HeaderMap) -> Result<Vec<String>, Problem> {
    let raw = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let raw = raw.ok_or_else(|| {
        Problem::new(axum::http::StatusCode::PRECONDITION_REQUIRED, "if-match-required", "send If-Match with the ETag of the feature as you read it (GET …/items/{featureId})").field("If-Match")
    })?;
    if raw == "*" {
        return Err(Problem::new(axum::http::StatusCode::PRECONDITION_REQUIRED, "if-match-required", "If-Match: * would overwrite whatever is stored; send the ETag you read").field("If-Match"));
    }
    Ok(raw.split(',').map(|t| t.trim().trim_start_matches("W/").to_string()).collect())
}

/// The request body as a Feature, in the CRS of `Content-Crs` (default CRS84).
fn feature_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>, patch_of: Option<Value>) -> Result<model::FeatureBody, Problem> {
    let crs = match headers.get("content-crs").map(|v| v.to_str().unwrap_or("")) {
        None => Crs::Crs84,
        Some(v) => Crs::parse(v).ok_or_else(|| Problem::bad_request("Content-Crs", format!("unknown CRS {v:?}; offered: {}", Crs::list())))?,
    };
    let bytes = body.map_err(Problem::from)?;
    let mut v: Value = serde_json::from_slice(&bytes).map_err(|e| Problem::bad_request("body", format!("not JSON: {e}")))?;
    if let Some(mut current) = patch_of {
        model::merge_patch(&mut current, &v);
        v = current;
    }
    model::parse_feature_body(&v, crs).map_err(|e| Problem::unprocessable(&e.param, e.detail))
}

/// The feature as stored after a write, with its new ETag (and 201 + Location for a create).
async fn written(s: &AppState, r: &OgcRequest, c: &dyn Collection, id: &str, created: bool) -> Result<Response, Problem> {
    let snap = c.features(s).await?;
    let f = snap.features.iter().find(|f| f.id == id).ok_or_else(|| Problem::internal(format!("{id} vanished after its write")))?;
    let items_url = format!("{}/collections/{}/items", r.base, c.info().id);
    let v = model::feature_json(f, Crs::Crs84, &items_url, true);
    let etag = c.editor().map(|e| e.etag(f)).unwrap_or_default();
    let status = if created { axum::http::StatusCode::CREATED } else { axum::http::StatusCode::OK };
    let mut res = (status, [(header::CONTENT_TYPE, GEOJSON)], v.to_string()).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    if created {
        if let Ok(loc) = HeaderValue::from_str(&format!("{items_url}/{}", model::encode(id))) {
            res.headers_mut().insert(header::LOCATION, loc);
        }
    }
    Ok(res)
}

/// Adds a feature (Part 4). Editable: `kelurahan`, `rw` (admin token); the body is a GeoJSON
/// Feature with `properties.kode` and `nama`, coordinates in `Content-Crs` (default CRS84);
/// the importer's checks apply (inside DKI Jakarta and its parent). 201 with Location and ETag.
#[utoipa::path(post, path = "/ogc/collections/{collectionId}/items", tag = "ogc",
    params(("collectionId" = String, Path, description = "kelurahan or rw"), ("Content-Crs" = Option<String>, Header, description = "CRS of the body (default CRS84)")),
    request_body(content = Object, content_type = "application/geo+json", description = "GeoJSON Feature"),
    responses((status = 201, description = "Created; Location and ETag"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 405, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(s): State<AppState>,
    r: OgcRequest,
    actor: Actor,
    Extension(reg): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let (c, e) = editable(&reg, &id, &actor, &r)?;
    let b = feature_body(&headers, body, None)?;
    let fid = e.create(&s, actor.audit_name(), b).await?;
    written(&s, &r, c, &fid, true).await
}

/// Replaces a feature (Part 4): `If-Match` with the ETag read is required (428 without, 412
/// when the feature changed since). Same checks, audit and atlas/tile refresh as
/// `PUT /api/v1/wilayah/{code}`.
#[utoipa::path(put, path = "/ogc/collections/{collectionId}/items/{featureId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "kelurahan or rw"), ("featureId" = String, Path, description = "area code"),
           ("If-Match" = String, Header, description = "ETag of the feature as read"), ("Content-Crs" = Option<String>, Header, description = "CRS of the body (default CRS84)")),
    request_body(content = Object, content_type = "application/geo+json", description = "GeoJSON Feature"),
    responses((status = 200, description = "The feature as stored; new ETag"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 405, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn replace(
    State(s): State<AppState>,
    r: OgcRequest,
    actor: Actor,
    Extension(reg): Extension<Arc<Registry>>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let (c, e) = editable(&reg, &id, &actor, &r)?;
    let tags = if_match(&headers)?;
    let b = feature_body(&headers, body, None)?;
    e.replace(&s, actor.audit_name(), &fid, tags, b).await?;
    written(&s, &r, c, &fid, false).await
}

/// Updates a feature with a JSON merge patch (RFC 7386) of its GeoJSON (Part 4 update), e.g.
/// `{"properties": {"nama": "…"}}`; then as replace (`If-Match` required).
#[utoipa::path(patch, path = "/ogc/collections/{collectionId}/items/{featureId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "kelurahan or rw"), ("featureId" = String, Path, description = "area code"),
           ("If-Match" = String, Header, description = "ETag of the feature as read"), ("Content-Crs" = Option<String>, Header, description = "CRS of the patch's geometry (default CRS84)")),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "JSON merge patch of the Feature"),
    responses((status = 200, description = "The feature as stored; new ETag"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 405, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn patch(
    State(s): State<AppState>,
    r: OgcRequest,
    actor: Actor,
    Extension(reg): Extension<Arc<Registry>>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let (c, e) = editable(&reg, &id, &actor, &r)?;
    let tags = if_match(&headers)?;
    let snap = c.features(&s).await?;
    let current = snap.features.iter().find(|f| f.id == fid).ok_or_else(|| Problem::not_found(format!("no feature {fid:?} in collection {id}")).field("featureId"))?;
    // The patch applies to the feature as served in the body's CRS; derived properties in it
    // are ignored by the editor.
    let crs = headers.get("content-crs").and_then(|v| v.to_str().ok()).and_then(Crs::parse).unwrap_or(Crs::Crs84);
    let base = model::feature_json(current, crs, "", false);
    let b = feature_body(&headers, body, Some(base))?;
    e.replace(&s, actor.audit_name(), &fid, tags, b).await?;
    written(&s, &r, c, &fid, false).await
}

/// Deletes a feature (Part 4): `If-Match` required; refused (409) while anything depends on it
/// (a kelurahan's RW, an RW's bansos records). Audited.
#[utoipa::path(delete, path = "/ogc/collections/{collectionId}/items/{featureId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "kelurahan or rw"), ("featureId" = String, Path, description = "area code"),
           ("If-Match" = String, Header, description = "ETag of the feature as read")),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 405, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)))]
async fn delete(
    State(s): State<AppState>,
    r: OgcRequest,
    actor: Actor,
    Extension(reg): Extension<Arc<Registry>>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (_, e) = editable(&reg, &id, &actor, &r)?;
    let tags = if_match(&headers)?;
    e.delete(&s, actor.audit_name(), &fid, tags).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// The properties a client may filter on (`?name=value`), as JSON Schema.
#[utoipa::path(get, path = "/ogc/collections/{collectionId}/queryables", tag = "ogc",
    params(("collectionId" = String, Path, description = "collection id"), ("f" = Option<String>, Query, description = "json | html")),
    responses((status = 200, description = "JSON Schema of the queryables"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn queryables(r: OgcRequest, Extension(reg): Extension<Arc<Registry>>, Path(id): Path<String>) -> Result<Response, Problem> {
    let c = collection_of(&reg, &id)?;
    r.only(&[])?;
    let v = doc::queryables(&r.base, c.info());
    Ok(match r.format {
        Format::Json => json_as(&v, "application/schema+json"),
        Format::Html => page(html::queryables(c.info())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Format {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        negotiate(&[], &h).unwrap()
    }

    #[test]
    fn format_by_f_then_accept() {
        assert_eq!(accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), Format::Html);
        assert_eq!(accept("application/geo+json, application/json"), Format::Json);
        assert_eq!(accept("*/*"), Format::Json);
        assert_eq!(accept("application/json;q=0.5, text/html"), Format::Html);
        assert_eq!(accept("text/html;q=0.1, application/json"), Format::Json);
        assert_eq!(negotiate(&[], &HeaderMap::new()).unwrap(), Format::Json);
        let f = |v: &str| negotiate(&[("f".into(), v.into())], &HeaderMap::new());
        assert_eq!(f("html").unwrap(), Format::Html);
        assert_eq!(f("geojson").unwrap(), Format::Json);
        assert_eq!(f("xml").unwrap_err().field.as_deref(), Some("f"));
    }
}
