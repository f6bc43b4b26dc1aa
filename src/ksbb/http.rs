//! HTTP handlers of KSBB: thin adapters from requests to `model` and `ops`. Who may do what is in
//! `src/ksbb/README.md` (role matrix); the role is checked before the body is read.

use super::model::{csv_table, jakarta_year, parse_if_match, parse_kelurahan, parse_kode, Dinas, Jenis, KolaboratorInput, KonfirmasiInput, KsbbError, ReviewInput, SiteInput, StatusVerifikasi, Table};
use super::ops::{self, ImportMode, ImportReport, Konfirmasi, OpError};
use super::store::{self as kstore, KolaboratorRecord, KonfirmasiRow, SiteFilter, SitePublic, SiteRecord, UmkmFilter, UmkmRow};
use super::model::{mask_name, mask_phone};
use crate::api::problem::json_body;
use crate::api::write::{keyed_write, scope};
use crate::api::{Actor, ApiJson, ApiQuery, AppState, IdempotencyKey, Problem, Role};
use crate::store::audit::{self, AuditEntry, AuditRecord};
use crate::store::Tx;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Who manages the site layers.
const SITE_EDITORS: &[Role] = &[Role::Citata, Role::Admin];
/// Who reads site history (it holds the penanggung jawab contact).
const SITE_READERS: &[Role] = &[Role::Citata, Role::BidangKolaborasi, Role::Admin, Role::Auditor];
/// Who imports UMKM target data.
const UMKM_IMPORTERS: &[Role] = &[Role::BidangKolaborasi, Role::Admin];
/// Who lists UMKM (masked).
const UMKM_READERS: &[Role] = &[Role::BidangKolaborasi, Role::Citata, Role::Admin, Role::Auditor];
/// Who reviews collaborators.
const REVIEWERS: &[Role] = &[Role::BidangKolaborasi, Role::Admin];
/// Who lists collaborators (contacts masked).
const KOLAB_READERS: &[Role] = &[Role::BidangKolaborasi, Role::Admin, Role::Auditor];
/// Who may read an UMKM's personal data in full (each read is audited).
const UMKM_PERSONAL: &[Role] = &[Role::BidangKolaborasi, Role::Admin];

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Rate limit of the public collaborator registration: the form needs no token, so attempts are
/// counted per client IP (IPv6 per /64) with the complaints' `governor` limiter — 30 a minute (as photo uploads), the
/// minute's allowance usable at once (an office registering several organisations).
#[derive(Clone)]
pub struct RegisterLimits(pub crate::complaints::photo_limits::PhotoLimits);

impl RegisterLimits {
    pub fn new(per_minute: std::num::NonZeroU32, clock: crate::complaints::photo_limits::PhotoClock) -> RegisterLimits {
        use crate::complaints::photo_limits::{PhotoLimits, PhotoRate};
        RegisterLimits(PhotoLimits::new(PhotoRate { per_ip: per_minute, per_complaint: std::num::NonZeroU32::MIN }, clock))
    }
}

impl Default for RegisterLimits {
    fn default() -> Self {
        RegisterLimits::new(std::num::NonZeroU32::new(30).unwrap_or(std::num::NonZeroU32::MIN), crate::complaints::photo_limits::PhotoClock::Real(std::time::Instant::now()))
    }
}

/// The KSBB routes with the default registration limit.
pub fn router() -> OpenApiRouter<AppState> {
    router_with(RegisterLimits::default())
}

/// The KSBB routes with the given registration limit (a test passes a clock it moves).
pub fn router_with(limits: RegisterLimits) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, put_site))
        .routes(routes!(retire_site))
        .routes(routes!(site_history))
        .routes(routes!(import_umkm))
        .routes(routes!(list_umkm))
        .routes(routes!(get_umkm))
        .routes(routes!(register_kolaborator, list_kolaborator))
        .routes(routes!(review_kolaborator))
        .routes(routes!(public_kolaborator))
        .routes(routes!(submit_konfirmasi, list_konfirmasi))
        .routes(routes!(submit_realisasi, list_realisasi))
        .routes(routes!(add_lampiran))
        .routes(routes!(get_lampiran))
        .routes(routes!(submit_verifikasi, list_verifikasi))
        .routes(routes!(list_flags))
        .routes(routes!(resolve_flag))
        .layer(axum::Extension(limits))
}

impl From<KsbbError> for Problem {
    fn from(e: KsbbError) -> Problem {
        let field = e.field().to_string();
        let (status, slug) = match &e {
            KsbbError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-field"),
            KsbbError::Place { reason, .. } => (StatusCode::UNPROCESSABLE_ENTITY, match *reason {
                "di_laut" => "site-at-sea",
                "koordinat_tertukar" => "coordinates-swapped",
                _ => "site-outside-jakarta",
            }),
            KsbbError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found"),
            KsbbError::Duplicate { .. } => (StatusCode::CONFLICT, "conflict"),
            KsbbError::Stale { .. } => (StatusCode::PRECONDITION_FAILED, "stale-version"),
            KsbbError::PreconditionRequired { .. } => (StatusCode::PRECONDITION_REQUIRED, "precondition-required"),
            KsbbError::Rows { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-rows"),
            KsbbError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
        };
        Problem::new(status, slug, e.to_string()).field(field)
    }
}

impl From<OpError> for Problem {
    fn from(e: OpError) -> Problem {
        match e {
            OpError::Ksbb(k) => k.into(),
            OpError::Store(s) => s.into(),
        }
    }
}

fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct SiteQuery {
    /// lokbin | loksem | promosi
    jenis: Option<Jenis>,
    /// Only sites in this kelurahan, e.g. 31.71.01.1001
    kelurahan: Option<String>,
    /// Include retired (nonaktif) sites.
    #[serde(default)]
    nonaktif: bool,
}

/// A GeoJSON FeatureCollection of sites (properties: [`SitePublic`] without lon/lat).
#[derive(Serialize, ToSchema)]
struct SiteCollection {
    #[serde(rename = "type")]
    kind: &'static str,
    #[schema(value_type = Vec<Object>)]
    features: Vec<serde_json::Value>,
}

fn feature(s: &SitePublic) -> serde_json::Value {
    let mut props = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = props.as_object_mut() {
        o.remove("footprint");
    }
    serde_json::json!({"type": "Feature", "id": s.kode, "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]}, "properties": props, "footprint": s.footprint})
}

/// The KSBB sites (lokbin, loksem, lokasi promosi) as GeoJSON points. Public: no contact person,
/// no personal data; `umkm` is the number of UMKM of the target data trading at each site.
#[utoipa::path(get, path = "/api/v1/ksbb/sites", params(SiteQuery),
    responses((status = 200, body = SiteCollection, content_type = "application/geo+json"), (status = 400, body = Problem)))]
async fn list_sites(State(s): State<AppState>, ApiQuery(q): ApiQuery<SiteQuery>) -> Result<Response, Problem> {
    let kelurahan = q.kelurahan.as_deref().map(|k| parse_kelurahan("kelurahan", k)).transpose().map_err(|e| Problem::bad_request("kelurahan", e.to_string()))?;
    let f = SiteFilter { jenis: q.jenis, kelurahan: kelurahan.map(|k| k.to_string()), include_retired: q.nonaktif };
    let features = kstore::sites(&s.store, &f).await?.iter().map(|(site, n)| feature(&site.public(*n))).collect();
    let body = serde_json::to_string(&SiteCollection { kind: "FeatureCollection", features }).map_err(Problem::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// Request of a site create, as hashed for `Idempotency-Key`.
#[derive(Serialize)]
struct SiteWrite<'a> {
    kode: &'a str,
    if_match: Option<i64>,
    body: &'a SiteInput,
}

/// Creates a site (Citata or admin). The point must lie on land in DKI Jakarta (the province
/// outline of the atlas); the kelurahan is taken from the atlas. `Idempotency-Key` makes a retry safe.
#[utoipa::path(post, path = "/api/v1/ksbb/sites", request_body = SiteInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; same key and body replays the answer")),
    responses((status = 201, body = SiteRecord), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_site(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<SiteInput>, Problem>) -> Result<Response, Problem> {
    actor.require(SITE_EDITORS)?;
    let input = json_body(input)?;
    let kode = parse_kode("kode", input.kode.as_deref().unwrap_or(""))?;
    let site = input.check()?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let req = SiteWrite { kode: &kode, if_match: None, body: &input };
    keyed_write(&s.store, &scope("ksbb.sites.create", Some(actor.token_id)), &key, &req, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::create_site(tx, &atlas, &kode, &site, &who, false).await
    })
    .await
}

/// One site (public view) with its version as `ETag`; `If-None-Match` answers 304.
#[utoipa::path(get, path = "/api/v1/ksbb/sites/{kode}", params(("kode" = String, Path, description = "Site code")),
    responses((status = 200, body = SitePublic), (status = 304, description = "Not modified"), (status = 404, body = Problem)))]
async fn get_site(State(s): State<AppState>, Path(kode): Path<String>, headers: HeaderMap) -> Result<Response, Problem> {
    let site = kstore::site(&s.store, &kode).await?.ok_or_else(|| Problem::not_found(format!("no site {kode}")).field("kode"))?;
    let tag = etag(site.version);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == tag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let f = UmkmFilter { lokasi: Some(site.kode.clone()), limit: 0, ..UmkmFilter::default() };
    let umkm = kstore::umkm_list(&s.store, &f).await?.1;
    Ok(([(header::ETAG, tag)], Json(site.public(umkm))).into_response())
}

fn if_match(headers: &HeaderMap) -> Result<i64, Problem> {
    Ok(parse_if_match(headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()))?)
}

/// Replaces a site: edit or move (Citata or admin). Needs `If-Match` with the version read
/// (`ETag` of GET): a stale version is a 412 and nothing is written, so two editors never
/// overwrite each other; no `If-Match` is a 428. The move is checked like a create. Audited
/// (`ksbb.site.edit` / `ksbb.site.move`, before and after).
#[utoipa::path(put, path = "/api/v1/ksbb/sites/{kode}", request_body = SiteInput,
    params(("kode" = String, Path, description = "Site code"), ("If-Match" = String, Header, description = "ETag (version) of the site as read"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = SiteRecord), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn put_site(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(kode): Path<String>,
    headers: HeaderMap,
    input: Result<ApiJson<SiteInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(SITE_EDITORS)?;
    let input = json_body(input)?;
    let expected = if_match(&headers)?;
    if input.kode.as_deref().is_some_and(|k| k.trim() != kode) {
        return Err(Problem::unprocessable("kode", "kode in the body differs from the path; a site's code does not change"));
    }
    let site = input.check()?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let req = SiteWrite { kode: &kode, if_match: Some(expected), body: &input };
    keyed_write(&s.store, &scope("ksbb.sites.put", Some(actor.token_id)), &key, &req, StatusCode::OK, async |tx: &mut Tx| {
        ops::update_site(tx, &atlas, &kode, expected, &site, &who).await
    })
    .await
}

/// Request body of a site retirement.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireInput {
    /// Why the site is retired (e.g. "lokasi ditutup, pedagang pindah ke LOKBIN-3171-002").
    pub alasan: String,
}

/// Retires a site (status `nonaktif`; Citata or admin; `If-Match` as for PUT). It stays on
/// record with its history and takes no new UMKM or Konfirmasi.
#[utoipa::path(post, path = "/api/v1/ksbb/sites/{kode}/retire", request_body = RetireInput,
    params(("kode" = String, Path, description = "Site code"), ("If-Match" = String, Header, description = "ETag (version) of the site as read"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = SiteRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn retire_site(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(kode): Path<String>,
    headers: HeaderMap,
    input: Result<ApiJson<RetireInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(SITE_EDITORS)?;
    let input = json_body(input)?;
    let expected = if_match(&headers)?;
    let alasan = crate::text::required("alasan", &input.alasan, 2000).map_err(KsbbError::from)?.to_string();
    let who = actor.audit_name();
    #[derive(Serialize)]
    struct Req<'a> {
        kode: &'a str,
        if_match: i64,
        alasan: &'a str,
    }
    let req = Req { kode: &kode, if_match: expected, alasan: &alasan };
    keyed_write(&s.store, &scope("ksbb.sites.retire", Some(actor.token_id)), &key, &req, StatusCode::OK, async |tx: &mut Tx| {
        ops::retire_site(tx, &kode, expected, &alasan, &who).await
    })
    .await
}

/// A site's history: every create, edit, move and retirement with who, when, before and after
/// (from the audit log). Citata, Bidang Kolaborasi, admin, auditor.
#[utoipa::path(get, path = "/api/v1/ksbb/sites/{kode}/history", params(("kode" = String, Path, description = "Site code")),
    responses((status = 200, body = Vec<AuditRecord>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn site_history(State(s): State<AppState>, actor: Actor, Path(kode): Path<String>) -> Result<Json<Vec<AuditRecord>>, Problem> {
    actor.require(SITE_READERS)?;
    let h = audit::history(&s.store, "ksbb_site", &kode).await?;
    if h.is_empty() {
        return Err(Problem::not_found(format!("no site {kode}")).field("kode"));
    }
    Ok(Json(h))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    /// Check and report every row; store nothing.
    #[serde(default)]
    dry_run: bool,
    /// Store the good rows and report the bad ones (default: one bad row rejects the file).
    #[serde(default)]
    skip_invalid: bool,
}

/// Request of an import, as hashed for `Idempotency-Key`: the file by its digest.
#[derive(Serialize)]
struct ImportReq<'a> {
    content_type: &'a str,
    sha256: String,
    dry_run: bool,
    skip_invalid: bool,
}

/// Reads an uploaded table: CSV (`text/csv`, UTF-8) or XLSX (first sheet).
pub fn read_table(content_type: &str, body: &[u8]) -> Result<Table, Problem> {
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match ct.as_str() {
        "text/csv" => {
            let text = std::str::from_utf8(body).map_err(|e| Problem::unprocessable("body", format!("the CSV is not UTF-8: {e}")))?;
            Ok(csv_table(text)?)
        }
        XLSX => Ok(super::model::xlsx_table(body)?),
        _ => Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", format!("Content-Type {ct:?}: send text/csv or {XLSX}")).field("Content-Type")),
    }
}

/// Imports UMKM target data (Bidang Kolaborasi or admin) from CSV or XLSX with the columns
/// `kode,nama_usaha,nama_pemilik,telepon,sektor,dinas,status_verifikasi,kelurahan,lokasi`
/// (insert or replace by `kode`). Answers every row's verdict; one bad row rejects the file
/// (422 naming `rows`, nothing stored) unless `skip_invalid=true`; `dry_run=true` only checks.
#[utoipa::path(post, path = "/api/v1/ksbb/umkm/import", params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    request_body(content = String, content_type = "text/csv", description = "CSV (UTF-8) or XLSX (first sheet), header row first"),
    responses((status = 200, body = ImportReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn import_umkm(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    actor.require(UMKM_IMPORTERS)?;
    let body = body.map_err(|e| Problem::new(e.status(), "invalid-body", e.body_text()).field("body"))?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let table = read_table(ct, &body)?;
    let mode = ImportMode { dry_run: q.dry_run, skip_invalid: q.skip_invalid };
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let req = ImportReq { content_type: ct, sha256: format!("{:x}", Sha256::digest(&body)), dry_run: q.dry_run, skip_invalid: q.skip_invalid };
    keyed_write(&s.store, &scope("ksbb.umkm.import", Some(actor.token_id)), &key, &req, StatusCode::OK, async |tx: &mut Tx| {
        ops::import_umkm(tx, &atlas, &table, mode, &who, false, &|_, _| {}).await
    })
    .await
}

/// An UMKM as listed: the owner's name and phone masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UmkmView {
    pub kode: String,
    pub nama_usaha: String,
    /// Masked ("B*** S***") unless read with `pribadi=true` by a role allowed to.
    pub nama_pemilik: String,
    pub telepon: Option<String>,
    pub sektor: String,
    pub dinas: String,
    pub status_verifikasi: String,
    pub kelurahan: Option<String>,
    pub lokasi: Option<String>,
    pub generated: bool,
    /// True when the personal fields are shown in full (and the read was audited).
    pub pribadi: bool,
}

impl UmkmView {
    fn of(r: UmkmRow, full: bool) -> UmkmView {
        UmkmView {
            nama_pemilik: if full { r.nama_pemilik } else { mask_name(&r.nama_pemilik) },
            telepon: if full { r.telepon } else { r.telepon.as_deref().map(mask_phone) },
            kode: r.kode,
            nama_usaha: r.nama_usaha,
            sektor: r.sektor,
            dinas: r.dinas,
            status_verifikasi: r.status_verifikasi,
            kelurahan: r.kelurahan,
            lokasi: r.lokasi,
            generated: r.generated,
            pribadi: full,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct UmkmQuery {
    kelurahan: Option<String>,
    /// Site code
    lokasi: Option<String>,
    dinas: Option<Dinas>,
    status_verifikasi: Option<StatusVerifikasi>,
    /// 1-based page of `per_page` (default 100, at most 1000)
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct UmkmPage {
    total: i64,
    page: i64,
    per_page: i64,
    items: Vec<UmkmView>,
}

/// The UMKM target data, masked (Bidang Kolaborasi, Citata, admin, auditor).
#[utoipa::path(get, path = "/api/v1/ksbb/umkm", params(UmkmQuery),
    responses((status = 200, body = UmkmPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_umkm(State(s): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<UmkmQuery>) -> Result<Json<UmkmPage>, Problem> {
    actor.require(UMKM_READERS)?;
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(100);
    if page < 1 {
        return Err(Problem::bad_request("page", "page starts at 1"));
    }
    if !(1..=1000).contains(&per_page) {
        return Err(Problem::bad_request("per_page", "per_page must be 1..1000"));
    }
    let kelurahan = q.kelurahan.as_deref().map(|k| parse_kelurahan("kelurahan", k)).transpose().map_err(|e| Problem::bad_request("kelurahan", e.to_string()))?;
    let f = UmkmFilter {
        kelurahan: kelurahan.map(|k| k.to_string()),
        lokasi: q.lokasi,
        dinas: q.dinas,
        status_verifikasi: q.status_verifikasi,
        limit: per_page,
        offset: (page - 1).saturating_mul(per_page),
    };
    let (rows, total) = kstore::umkm_list(&s.store, &f).await?;
    Ok(Json(UmkmPage { total, page, per_page, items: rows.into_iter().map(|r| UmkmView::of(r, false)).collect() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct PersonalQuery {
    /// Show the owner's name and phone in full (Bidang Kolaborasi, admin); the read is audited.
    #[serde(default)]
    pribadi: bool,
}

/// One UMKM, masked; `pribadi=true` shows the personal fields to Bidang Kolaborasi or admin and
/// records the read in the audit log (`ksbb.umkm.read_personal`).
#[utoipa::path(get, path = "/api/v1/ksbb/umkm/{kode}", params(("kode" = String, Path, description = "UMKM code"), PersonalQuery),
    responses((status = 200, body = UmkmView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_umkm(State(s): State<AppState>, actor: Actor, Path(kode): Path<String>, ApiQuery(q): ApiQuery<PersonalQuery>) -> Result<Json<UmkmView>, Problem> {
    actor.require(UMKM_READERS)?;
    if q.pribadi {
        actor.require(UMKM_PERSONAL)?;
    }
    let row = kstore::umkm(&s.store, &kode).await?.ok_or_else(|| Problem::not_found(format!("no UMKM {kode}")).field("kode"))?;
    if q.pribadi {
        let mut tx = s.store.begin().await?;
        let who = actor.audit_name();
        audit::record(&mut tx, AuditEntry { actor: &who, action: "ksbb.umkm.read_personal", entity: "ksbb_umkm", entity_id: &kode, before: None, after: None }).await?;
        tx.commit().await?;
    }
    Ok(Json(UmkmView::of(row, q.pribadi)))
}

/// Applies to Bidang Kolaborasi as donatur, agregator (pengelola dana) or fintech (public form,
/// `Idempotency-Key`). The seed's requirements are checked: agregator — badan hukum and izin;
/// fintech — badan hukum and the OJK number; a legal-entity number registers once (409). The
/// answer (and its stored replay) shows the contact masked.
#[utoipa::path(post, path = "/api/v1/ksbb/kolaborator", request_body = KolaboratorInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = KolaboratorRecord), (status = 400, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem, description = "Over 30 attempts a minute from this address (IPv6 per /64); `Retry-After` gives the seconds to wait. Nothing is stored.",
            headers(("Retry-After" = u64, description = "Seconds until an attempt is allowed again")))))]
async fn register_kolaborator(
    State(s): State<AppState>,
    axum::Extension(limits): axum::Extension<RegisterLimits>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    key: IdempotencyKey,
    input: Result<ApiJson<KolaboratorInput>, Problem>,
) -> Result<Response, Problem> {
    // Every attempt counts, refused ones too: a public form must cost the one who floods it.
    if let Err(wait) = limits.0.check_ip(peer.map(|axum::Extension(axum::extract::ConnectInfo(a))| a.ip())) {
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", format!("too many registrations from this address; retry in {secs} s"));
        return Ok(([(header::RETRY_AFTER, secs.to_string())], p).into_response());
    }
    let input = json_body(input)?;
    let k = input.check()?;
    keyed_write(&s.store, &scope("ksbb.kolaborator.register", None), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::register_kolaborator(tx, &k, "publik").await.map(|r| r.masked())
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct KolabQuery {
    /// diajukan | disetujui | ditolak
    status: Option<String>,
}

/// Collaborators with their status and PKS, contacts masked (Bidang Kolaborasi, admin, auditor).
#[utoipa::path(get, path = "/api/v1/ksbb/kolaborator", params(KolabQuery),
    responses((status = 200, body = Vec<KolaboratorRecord>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_kolaborator(State(s): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<KolabQuery>) -> Result<Json<Vec<KolaboratorRecord>>, Problem> {
    actor.require(KOLAB_READERS)?;
    if let Some(st) = q.status.as_deref() {
        if !matches!(st, "diajukan" | "disetujui" | "ditolak") {
            return Err(Problem::bad_request("status", format!("status {st:?} is not one of diajukan, disetujui, ditolak")));
        }
    }
    Ok(Json(kstore::kolaborators(&s.store, q.status.as_deref()).await?.iter().map(KolaboratorRecord::masked).collect()))
}

/// Bidang Kolaborasi's review: `setujui` with the PKS (number, dates) or `tolak` with `alasan`.
/// Only a pending application is decided (409 otherwise); audited.
#[utoipa::path(post, path = "/api/v1/ksbb/kolaborator/{id}/review", request_body = ReviewInput,
    params(("id" = i64, Path, description = "Collaborator id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = KolaboratorRecord), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn review_kolaborator(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    input: Result<ApiJson<ReviewInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(REVIEWERS)?;
    let input = json_body(input)?;
    let review = input.check()?;
    let who = actor.audit_name();
    #[derive(Serialize)]
    struct Req<'a> {
        id: i64,
        body: &'a ReviewInput,
    }
    keyed_write(&s.store, &scope("ksbb.kolaborator.review", Some(actor.token_id)), &key, &Req { id, body: &input }, StatusCode::OK, async |tx: &mut Tx| {
        ops::review_kolaborator(tx, id, &review, &who).await.map(|r| r.masked())
    })
    .await
}

/// A collaborator as the public page shows it: approved, and agreed to be shown.
#[derive(Debug, Serialize, ToSchema)]
struct PublicKolaborator {
    nama: String,
    jenis: String,
}

/// The approved collaborators who agreed to be shown (name and kind only). Public.
#[utoipa::path(get, path = "/api/v1/ksbb/kolaborator/publik", responses((status = 200, body = Vec<PublicKolaborator>)))]
async fn public_kolaborator(State(s): State<AppState>) -> Result<Json<Vec<PublicKolaborator>>, Problem> {
    let all = kstore::kolaborators(&s.store, Some("disetujui")).await?;
    Ok(Json(all.into_iter().filter(|k| k.tampil_publik).map(|k| PublicKolaborator { nama: k.nama, jenis: k.jenis }).collect()))
}

/// The collaborator a `kolaborator` token acts for (its unit).
fn own_kolaborator(actor: &Actor) -> Result<i64, Problem> {
    actor
        .unit
        .as_deref()
        .and_then(|u| u.parse::<i64>().ok())
        .ok_or_else(|| Problem::forbidden("this kolaborator token names no collaborator (its unit must be the collaborator id)"))
}

/// Formulir Konfirmasi (collaborator token): goods/training with value per package, schedule and
/// distributor, or a capital loan with amount, fees, akad date and draft e-contract; at one or
/// more active sites. Answers the **ID kolaborasi** (`KSBB-YYYY-NNNNNN`) and the penanggung jawab
/// of each site. `Idempotency-Key` makes a retry return the same ID instead of a second one.
#[utoipa::path(post, path = "/api/v1/ksbb/konfirmasi", request_body = KonfirmasiInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = Konfirmasi), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn submit_konfirmasi(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<KonfirmasiInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Kolaborator])?;
    let kolaborator = own_kolaborator(&actor)?;
    let input = json_body(input)?;
    let k = input.check()?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("ksbb.konfirmasi", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::submit_konfirmasi(tx, kolaborator, &k, jakarta_year(), &who).await
    })
    .await
}

/// Konfirmasi on record: a collaborator token sees its own; Bidang Kolaborasi, admin and auditor all.
#[utoipa::path(get, path = "/api/v1/ksbb/konfirmasi",
    responses((status = 200, body = Vec<KonfirmasiRow>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_konfirmasi(State(s): State<AppState>, actor: Actor) -> Result<Json<Vec<KonfirmasiRow>>, Problem> {
    let only = if actor.role == Role::Kolaborator {
        Some(own_kolaborator(&actor)?)
    } else {
        actor.require(KOLAB_READERS)?;
        None
    };
    Ok(Json(kstore::konfirmasi(&s.store, only).await?))
}

// ---------------------------------------------------------------- Realisasi

/// Formulir Realisasi (collaborator token): a BAST / BA of goods or training (per UMKM the
/// packages or participants), or for a loan a disbursement (invoice, e-contract; per UMKM the
/// rupiah paid out), a repayment report for a period (per UMKM what was repaid, lancar /
/// terlambat / gagal_bayar with the reason), or the final transfer of the funds to an agregator.
/// Checked against the Konfirmasi and the reports before it (see `ops::submit_realisasi`). The
/// documents follow through `POST /api/v1/ksbb/realisasi/{id}/lampiran`; `kurang` lists the
/// kinds still missing.
#[utoipa::path(post, path = "/api/v1/ksbb/realisasi", request_body = super::model::RealisasiInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = ops::Realisasi), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn submit_realisasi(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<super::model::RealisasiInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Kolaborator])?;
    let pelapor = own_kolaborator(&actor)?;
    let input = json_body(input)?;
    let r = input.check()?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("ksbb.realisasi", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::submit_realisasi(tx, pelapor, &r, &who).await
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct RealisasiQuery {
    /// Only the reports of this ID kolaborasi.
    id_kolaborasi: Option<String>,
}

/// Realisasi reports with their UMKM lines and documents: a collaborator sees those it filed and
/// those under its own IDs; Bidang Kolaborasi, admin and auditor all.
#[utoipa::path(get, path = "/api/v1/ksbb/realisasi", params(RealisasiQuery),
    responses((status = 200, body = Vec<ops::Realisasi>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_realisasi(State(s): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<RealisasiQuery>) -> Result<Json<Vec<ops::Realisasi>>, Problem> {
    let only = if actor.role == Role::Kolaborator {
        Some(own_kolaborator(&actor)?)
    } else {
        actor.require(KOLAB_READERS)?;
        None
    };
    Ok(Json(ops::realisasi_list(&s.store, only, q.id_kolaborasi.as_deref()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct LampiranQuery {
    /// bast | foto | econtract | invoice | bukti_serah_terima | lainnya
    jenis: String,
}

/// Attaches a document to one's own Realisasi: the raw bytes (PDF, or a JPEG/PNG/WebP image; a
/// `foto` must be an image), recognised by content; at most 20 per report, each once. Stored in
/// the AttachmentStore; the record keeps its SHA-256.
#[utoipa::path(post, path = "/api/v1/ksbb/realisasi/{id}/lampiran", params(("id" = i64, Path, description = "Realisasi id"), LampiranQuery),
    request_body(description = "The document bytes (type recognised from the content)", content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
    responses((status = 201, body = kstore::Lampiran), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn add_lampiran(
    State(s): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<LampiranQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Kolaborator])?;
    let pelapor = own_kolaborator(&actor)?;
    let jenis = super::model::JenisLampiran::parse(&q.jenis)
        .ok_or_else(|| Problem::unprocessable("jenis", format!("jenis {:?} is not one of bast, foto, econtract, invoice, bukti_serah_terima, lainnya", q.jenis)))?;
    let body = body.map_err(|e| Problem::new(e.status(), "invalid-body", e.body_text()).field("body"))?;
    let stored = ops::add_lampiran(&s.store, &crate::complaints::attachments::configured(), id, pelapor, jenis, &body, &actor.audit_name()).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// A document's bytes, for the collaborator who filed the report or owns the ID, Bidang
/// Kolaborasi, admin and auditor. Served with `nosniff`.
#[utoipa::path(get, path = "/api/v1/ksbb/realisasi/{id}/lampiran/{lampiran}",
    params(("id" = i64, Path, description = "Realisasi id"), ("lampiran" = i64, Path, description = "Document id")),
    responses((status = 200, description = "The document bytes", content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_lampiran(State(s): State<AppState>, actor: Actor, Path((id, lampiran)): Path<(i64, i64)>) -> Result<Response, Problem> {
    use crate::complaints::attachments::AttachmentStore;
    let only = if actor.role == Role::Kolaborator {
        Some(own_kolaborator(&actor)?)
    } else {
        actor.require(KOLAB_READERS)?;
        None
    };
    if !kstore::realisasi(&s.store, only, None).await?.iter().any(|h| h.id == id) {
        return Err(Problem::not_found(format!("no realisasi {id} of yours")).field("id"));
    }
    let doc = kstore::lampiran_of(&s.store, &[id]).await?.into_iter().find(|l| l.id == lampiran)
        .ok_or_else(|| Problem::not_found(format!("realisasi {id} has no document {lampiran}")).field("lampiran"))?;
    let bytes = crate::complaints::attachments::configured().get(&doc.storage_key).await.map_err(Problem::internal)?;
    Ok(([(header::CONTENT_TYPE, doc.content_type), (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string())], bytes).into_response())
}

// ---------------------------------------------------------------- pendamping checks

/// The scope of a pendamping token (its unit: a dinas or a kecamatan code).
fn pendamping_scope(actor: &Actor) -> Result<(super::model::Pendamping, String), Problem> {
    let unit = actor.unit.clone().unwrap_or_default();
    super::model::Pendamping::parse(&unit)
        .map(|p| (p, unit))
        .ok_or_else(|| Problem::forbidden("this pendamping token names no dinas or kecamatan (its unit)"))
}

/// A pendamping's check with the owner (Sudin of the UMKM's dinas, or Kasatpel of its kecamatan):
/// `diterima`, `tidak_diterima` or `sebagian` with `jumlah_diterima`, for one UMKM under one ID
/// kolaborasi for which something was reported. Once per UMKM and ID; audited.
#[utoipa::path(post, path = "/api/v1/ksbb/verifikasi", request_body = super::model::VerifikasiInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = kstore::VerifikasiRow), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn submit_verifikasi(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<super::model::VerifikasiInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Pendamping])?;
    let (scope, unit) = pendamping_scope(&actor)?;
    let input = json_body(input)?;
    let v = input.check()?;
    let who = actor.audit_name();
    keyed_write(&s.store, &crate::api::write::scope("ksbb.verifikasi", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::verify(tx, &scope, &unit, &v, &who).await
    })
    .await
}

/// Pendamping checks: a pendamping sees its own unit's, a collaborator those under its IDs,
/// Bidang Kolaborasi, admin and auditor all.
#[utoipa::path(get, path = "/api/v1/ksbb/verifikasi", params(RealisasiQuery),
    responses((status = 200, body = Vec<kstore::VerifikasiRow>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_verifikasi(State(s): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<RealisasiQuery>) -> Result<Json<Vec<kstore::VerifikasiRow>>, Problem> {
    let (unit, kolaborator) = match actor.role {
        Role::Pendamping => (Some(pendamping_scope(&actor)?.1), None),
        Role::Kolaborator => (None, Some(own_kolaborator(&actor)?)),
        _ => {
            actor.require(KOLAB_READERS)?;
            (None, None)
        }
    };
    Ok(Json(kstore::verifikasi(&s.store, unit.as_deref(), kolaborator, q.id_kolaborasi.as_deref()).await?))
}

// ---------------------------------------------------------------- discrepancy flags

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct FlagQuery {
    /// terbuka | selesai
    status: Option<String>,
    /// Only this collaborator's flags (Bidang Kolaborasi's list per collaborator).
    kolaborator: Option<i64>,
}

/// Discrepancy flags (Lampiran I step 27), grouped by collaborator: every difference between the
/// reports under an ID with both figures. Bidang Kolaborasi, admin and auditor see all (or one
/// collaborator's); a collaborator its own (its dashboard).
#[utoipa::path(get, path = "/api/v1/ksbb/flags", params(FlagQuery),
    responses((status = 200, body = Vec<kstore::FlagRow>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_flags(State(s): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<FlagQuery>) -> Result<Json<Vec<kstore::FlagRow>>, Problem> {
    let only = if actor.role == Role::Kolaborator {
        Some(own_kolaborator(&actor)?)
    } else {
        actor.require(KOLAB_READERS)?;
        q.kolaborator
    };
    if let Some(st) = q.status.as_deref().filter(|st| !matches!(*st, "terbuka" | "selesai")) {
        return Err(Problem::bad_request("status", format!("status {st:?} is not one of terbuka, selesai")));
    }
    Ok(Json(kstore::flags(&s.store, only, q.status.as_deref()).await?))
}

/// How a flag was settled.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// What was found and decided (required).
    pub catatan: String,
}

/// Resolves an open flag with a note (Bidang Kolaborasi, admin); it is never deleted. A resolved
/// flag is 409.
#[utoipa::path(post, path = "/api/v1/ksbb/flags/{id}/resolve", request_body = ResolveInput,
    params(("id" = i64, Path, description = "Flag id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = kstore::FlagRow), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn resolve_flag(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<i64>, input: Result<ApiJson<ResolveInput>, Problem>) -> Result<Response, Problem> {
    actor.require(REVIEWERS)?;
    let input = json_body(input)?;
    let catatan = crate::text::required("catatan", &input.catatan, 2000).map_err(KsbbError::from)?.to_string();
    let who = actor.audit_name();
    #[derive(Serialize)]
    struct Req<'a> {
        id: i64,
        body: &'a ResolveInput,
    }
    keyed_write(&s.store, &scope("ksbb.flag.resolve", Some(actor.token_id)), &key, &Req { id, body: &input }, StatusCode::OK, async |tx: &mut Tx| {
        ops::resolve_flag(tx, id, &catatan, &who).await
    })
    .await
}
