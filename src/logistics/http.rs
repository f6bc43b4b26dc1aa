//! HTTP handlers of logistics: thin adapters from requests to `model`, `ops` and `store`.
//! Every write goes through `api::write::keyed_write` (one transaction, `Idempotency-Key`).

use super::model::{BarangInput, CatatanInput, GudangInput, Jenis, JenisCatatan, KebutuhanVsStok, LogistikError};
use super::komitmen::{KolaboratorLinkInput, KomitmenInput, Status, StatusInput};
use super::ops::{self, Catatan, FotoStored, Gerak, Komitmen, Mutasi, OpError, Penerimaan, Permintaan, Saldo};
use super::permintaan::{AjukanInput, KirimInput, PermintaanInput, Status as PStatus, TerimaInput, VerifikasiInput};
use super::stok::MutasiInput;
use super::penerimaan::PenerimaanInput;
use super::store::{self as lstore, BarangRecord, GudangRecord, KomitmenRow, PenerimaanRow};
use crate::api::problem::json_body;
use crate::api::write::{keyed_write, scope};
use crate::api::{Actor, ApiJson, AppState, IdempotencyKey, Problem, Role};
use crate::store::Tx;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of logistics.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_barang, post_barang))
        .routes(routes!(get_barang, put_barang))
        .routes(routes!(list_gudang, post_gudang))
        .routes(routes!(get_gudang, put_gudang))
        .routes(routes!(put_catatan, delete_catatan))
        .routes(routes!(get_unit))
        .routes(routes!(kebutuhan_vs_stok))
        .routes(routes!(list_komitmen, post_komitmen))
        .routes(routes!(get_komitmen))
        .routes(routes!(post_komitmen_status))
        .routes(routes!(post_komitmen_kolaborator))
        .routes(routes!(list_penerimaan, post_penerimaan))
        .routes(routes!(get_penerimaan))
        .routes(routes!(post_penerimaan_foto))
        .routes(routes!(get_penerimaan_foto))
        .routes(routes!(list_mutasi, post_mutasi))
        .routes(routes!(get_stok))
        .routes(routes!(get_stok_kedaluwarsa))
        .routes(routes!(list_permintaan, post_permintaan))
        .routes(routes!(get_permintaan))
        .routes(routes!(post_verifikasi))
        .routes(routes!(post_kirim))
        .routes(routes!(post_terima))
        .routes(routes!(post_ajukan))
        .routes(routes!(post_permintaan_foto))
        .routes(routes!(get_permintaan_foto))
        .routes(routes!(get_laporan))
        .routes(routes!(get_rekap))
        .routes(routes!(get_rekap_html))
}

impl From<LogistikError> for Problem {
    fn from(e: LogistikError) -> Problem {
        let field = e.field().to_string();
        let (status, slug) = match &e {
            LogistikError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-field"),
            LogistikError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found"),
            LogistikError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            LogistikError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            LogistikError::Unsupported { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        };
        Problem::new(status, slug, e.to_string()).field(field)
    }
}

impl From<OpError> for Problem {
    fn from(e: OpError) -> Problem {
        match e {
            OpError::Logistik(l) => l.into(),
            OpError::Store(s) => s.into(),
            OpError::Attachment(e) => Problem::internal(e),
        }
    }
}

/// Catalog and gudang are kept by the Bidang Logistik as a whole (a gudang-scoped token keeps
/// its own gudang's stock, not the province's lists) and by admins.
pub(crate) fn require_pusat(actor: &Actor) -> Result<(), Problem> {
    actor.require(&[Role::Admin, Role::Logistik])?;
    if actor.role == Role::Logistik && actor.unit.is_some() {
        return Err(Problem::forbidden("a gudang-scoped logistik token may not change the catalog or the gudang list; use an unscoped Bidang Logistik token"));
    }
    Ok(())
}

const KEY_DOC: &str = "Retry-safe key; same key and body replays the answer";

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct BarangQuery {
    /// Only items of this jenis.
    jenis: Option<Jenis>,
}

/// The catalog of items (public: no personal data; kolaborator read it to pledge).
#[utoipa::path(get, path = "/api/v1/logistik/barang", params(BarangQuery),
    responses((status = 200, body = [BarangRecord]), (status = 400, body = Problem)))]
async fn list_barang(State(s): State<AppState>, q: Result<crate::api::ApiQuery<BarangQuery>, Problem>) -> Result<Json<Vec<BarangRecord>>, Problem> {
    let crate::api::ApiQuery(q) = q?;
    Ok(Json(lstore::list_barang(&s.store, q.jenis).await?))
}

/// One item of the catalog, with its `versi` for an edit.
#[utoipa::path(get, path = "/api/v1/logistik/barang/{kode}", params(("kode" = String, Path, description = "Catalog code")),
    responses((status = 200, body = BarangRecord), (status = 404, body = Problem)))]
async fn get_barang(State(s): State<AppState>, Path(kode): Path<String>) -> Result<Json<BarangRecord>, Problem> {
    let b = lstore::get_barang(&s.store, &kode).await?.ok_or_else(|| Problem::not_found(format!("no barang {kode}")).field("kode"))?;
    Ok(Json(b))
}

/// Adds an item to the catalog (Bidang Logistik or admin). 409 naming `kode` if it exists.
#[utoipa::path(post, path = "/api/v1/logistik/barang", request_body = BarangInput,
    params(("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 201, body = BarangRecord), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_barang(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<BarangInput>, Problem>) -> Result<Response, Problem> {
    require_pusat(&actor)?;
    let input = json_body(input)?;
    if input.versi.is_some() {
        return Err(Problem::unprocessable("versi", "versi is for edits (PUT); a new item starts at versi 1"));
    }
    let b = input.check()?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.barang.create", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::create_barang(tx, &b, &who, false).await
    })
    .await
}

/// Edits an item (Bidang Logistik or admin): the whole record with the `versi` it was read at;
/// 409 naming `versi` when it changed since. Audited with the record before and after.
#[utoipa::path(put, path = "/api/v1/logistik/barang/{kode}", request_body = BarangInput,
    params(("kode" = String, Path, description = "Catalog code"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = BarangRecord), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn put_barang(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(kode): Path<String>, input: Result<ApiJson<BarangInput>, Problem>) -> Result<Response, Problem> {
    require_pusat(&actor)?;
    let input = json_body(input)?;
    let b = input.check()?;
    if b.kode != kode {
        return Err(Problem::unprocessable("kode", format!("kode {} differs from the path's {kode}; a code cannot be renamed", b.kode)));
    }
    let versi = input.versi.ok_or_else(|| Problem::unprocessable("versi", "versi is required: the version the edit is based on (GET the item)"))?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.barang.update", Some(actor.token_id)), &key, &input, StatusCode::OK, async |tx: &mut Tx| {
        ops::update_barang(tx, &b, versi, &who).await
    })
    .await
}

/// The storage locations (gudang) with their kelurahan (public: the seed's Lampiran A.3 list).
#[utoipa::path(get, path = "/api/v1/logistik/gudang", responses((status = 200, body = [GudangRecord])))]
async fn list_gudang(State(s): State<AppState>) -> Result<Json<Vec<GudangRecord>>, Problem> {
    Ok(Json(lstore::list_gudang(&s.store).await?))
}

/// One gudang, with its `versi` for an edit.
#[utoipa::path(get, path = "/api/v1/logistik/gudang/{kode}", params(("kode" = String, Path, description = "Gudang code")),
    responses((status = 200, body = GudangRecord), (status = 404, body = Problem)))]
async fn get_gudang(State(s): State<AppState>, Path(kode): Path<String>) -> Result<Json<GudangRecord>, Problem> {
    let g = lstore::get_gudang(&s.store, &kode).await?.ok_or_else(|| Problem::not_found(format!("no gudang {kode}")).field("kode"))?;
    Ok(Json(g))
}

/// Adds a gudang (Bidang Logistik or admin), located by the atlas: a point outside Jakarta is a
/// 422 naming `lon` (saying when lon and lat look swapped).
#[utoipa::path(post, path = "/api/v1/logistik/gudang", request_body = GudangInput,
    params(("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 201, body = GudangRecord), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_gudang(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<GudangInput>, Problem>) -> Result<Response, Problem> {
    require_pusat(&actor)?;
    let input = json_body(input)?;
    if input.versi.is_some() {
        return Err(Problem::unprocessable("versi", "versi is for edits (PUT); a new gudang starts at versi 1"));
    }
    let g = input.check()?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let res = keyed_write(&s.store, &scope("logistik.gudang.create", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::create_gudang(tx, &atlas, &g, &who, false).await
    })
    .await;
    peta_berubah(&s, res).await
}

/// Edits or moves a gudang (Bidang Logistik or admin) at the `versi` it was read at.
#[utoipa::path(put, path = "/api/v1/logistik/gudang/{kode}", request_body = GudangInput,
    params(("kode" = String, Path, description = "Gudang code"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = GudangRecord), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn put_gudang(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(kode): Path<String>, input: Result<ApiJson<GudangInput>, Problem>) -> Result<Response, Problem> {
    require_pusat(&actor)?;
    let input = json_body(input)?;
    let g = input.check()?;
    if g.kode != kode {
        return Err(Problem::unprocessable("kode", format!("kode {} differs from the path's {kode}; a code cannot be renamed", g.kode)));
    }
    let versi = input.versi.ok_or_else(|| Problem::unprocessable("versi", "versi is required: the version the edit is based on (GET the gudang)"))?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let res = keyed_write(&s.store, &scope("logistik.gudang.update", Some(actor.token_id)), &key, &input, StatusCode::OK, async |tx: &mut Tx| {
        ops::update_gudang(tx, &atlas, &g, versi, &who).await
    })
    .await;
    peta_berubah(&s, res).await
}

/// Roles that read every unit's figures and the needs-vs-stock view.
const READERS: [Role; 6] = [Role::Admin, Role::Logistik, Role::Sekretariat, Role::BidangKolaborasi, Role::Auditor, Role::Penerima];

/// A penerima token acts for its own unit only (403 naming `unit`); admins for any unit.
fn require_own_unit(actor: &Actor, unit: &str, roles: &[Role]) -> Result<(), Problem> {
    actor.require(roles)?;
    if actor.role == Role::Penerima && actor.unit.as_deref() != Some(unit) {
        return Err(Problem::forbidden(format!("this token acts for unit {}, not {unit}", actor.unit.as_deref().unwrap_or("-"))).field("unit"));
    }
    Ok(())
}

/// The unit must be one sigap knows: a kelurahan in the store or a unit of the unit list.
async fn known_unit(s: &AppState, unit: &str) -> Result<(), Problem> {
    if crate::cli::token::known_unit(&s.store, unit).await.map_err(Problem::internal)? {
        Ok(())
    } else {
        Err(Problem::not_found(format!("unknown unit {unit:?}: give a kelurahan code or a unit id from GET /api/v1/complaint-units")).field("unit"))
    }
}

fn jenis_catatan(s: &str) -> Result<JenisCatatan, Problem> {
    JenisCatatan::parse(s).ok_or_else(|| Problem::not_found(format!("{s:?} is neither kebutuhan nor ketersediaan")).field("catatan"))
}

/// Sets a unit's need (kebutuhan) or availability (ketersediaan) of one item, replacing the
/// previous figure (audited). The penerima token of the unit, or admin. Quantity in the item's
/// satuan or one of its packing units.
#[utoipa::path(put, path = "/api/v1/logistik/unit/{unit}/{catatan}/{barang}", request_body = CatatanInput,
    params(("unit" = String, Path, description = "Unit: kelurahan code or unit id"), ("catatan" = String, Path, description = "kebutuhan | ketersediaan"),
        ("barang" = String, Path, description = "Catalog code"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Catatan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn put_catatan(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path((unit, catatan, barang)): Path<(String, String, String)>,
    input: Result<ApiJson<CatatanInput>, Problem>,
) -> Result<Response, Problem> {
    require_own_unit(&actor, &unit, &[Role::Admin, Role::Penerima])?;
    let input = json_body(input)?;
    let jenis = jenis_catatan(&catatan)?;
    input.check()?;
    known_unit(&s, &unit).await?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let request = (&unit, &catatan, &barang, &input);
    keyed_write(&s.store, &scope("logistik.catatan.set", Some(actor.token_id)), &key, &request, StatusCode::OK, async |tx: &mut Tx| {
        ops::set_catatan(tx, &atlas, &unit, &barang, jenis, &input, &who).await
    })
    .await
}

/// Clears a unit's figure for one item (the need is met). The unit's penerima token, or admin.
#[utoipa::path(delete, path = "/api/v1/logistik/unit/{unit}/{catatan}/{barang}",
    params(("unit" = String, Path, description = "Unit"), ("catatan" = String, Path, description = "kebutuhan | ketersediaan"),
        ("barang" = String, Path, description = "Catalog code"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Catatan, description = "The figure that was cleared"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_catatan(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path((unit, catatan, barang)): Path<(String, String, String)>) -> Result<Response, Problem> {
    require_own_unit(&actor, &unit, &[Role::Admin, Role::Penerima])?;
    let jenis = jenis_catatan(&catatan)?;
    let who = actor.audit_name();
    let request = (&unit, &catatan, &barang);
    keyed_write(&s.store, &scope("logistik.catatan.clear", Some(actor.token_id)), &key, &request, StatusCode::OK, async |tx: &mut Tx| {
        ops::clear_catatan(tx, &unit, &barang, jenis, &who).await
    })
    .await
}

/// A unit's needs and availability, every item. Its own penerima token, or a reader role.
#[utoipa::path(get, path = "/api/v1/logistik/unit/{unit}", params(("unit" = String, Path, description = "Unit")),
    responses((status = 200, body = [Catatan]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_unit(State(s): State<AppState>, actor: Actor, Path(unit): Path<String>) -> Result<Json<Vec<Catatan>>, Problem> {
    require_own_unit(&actor, &unit, &READERS)?;
    known_unit(&s, &unit).await?;
    Ok(Json(lstore::list_catatan(&s.store, Some(&unit), None).await?.into_iter().map(Catatan::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct KebutuhanQuery {
    /// Only this item.
    barang: Option<String>,
    /// Only items of this jenis.
    jenis: Option<Jenis>,
}

/// Needs against stock per item: what the units need beyond what they have, the dispatchable
/// stock per gudang (expired lots excluded), what is short and at which units. Any token.
#[utoipa::path(get, path = "/api/v1/logistik/kebutuhan", params(KebutuhanQuery),
    responses((status = 200, body = [KebutuhanVsStok]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn kebutuhan_vs_stok(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<KebutuhanQuery>, Problem>) -> Result<Json<Vec<KebutuhanVsStok>>, Problem> {
    actor.require(&READERS)?;
    let crate::api::ApiQuery(q) = q?;
    Ok(Json(ops::kebutuhan_vs_stok(&s.store, q.jenis, q.barang.as_deref()).await?))
}

/// Roles that read pledges (not penerima: pledges are the Setgas's dealings with kolaborator).
const KOMITMEN_READERS: [Role; 5] = [Role::Admin, Role::Logistik, Role::Sekretariat, Role::BidangKolaborasi, Role::Auditor];

/// Records a pledge agreed in principle with a kolaborator, in `draf` (Bidang Kolaborasi or admin).
#[utoipa::path(post, path = "/api/v1/logistik/komitmen", request_body = KomitmenInput,
    params(("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 201, body = Komitmen), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_komitmen(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<KomitmenInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::BidangKolaborasi])?;
    let input = json_body(input)?;
    input.check()?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.komitmen.create", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::create_komitmen(tx, &input, &who, false).await
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct KomitmenQuery {
    /// Only pledges in this status.
    status: Option<Status>,
    /// Only pledges of this registered collaborator (the KSBB registry id).
    kolaborator_id: Option<i64>,
}

/// Pledges, newest first (without lines; GET one for them).
#[utoipa::path(get, path = "/api/v1/logistik/komitmen", params(KomitmenQuery),
    responses((status = 200, body = [KomitmenRow]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_komitmen(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<KomitmenQuery>, Problem>) -> Result<Json<Vec<KomitmenRow>>, Problem> {
    actor.require(&KOMITMEN_READERS)?;
    let crate::api::ApiQuery(q) = q?;
    Ok(Json(lstore::list_komitmen_of(&s.store, q.status.map(Status::as_str), q.kolaborator_id).await?))
}

/// One pledge with its lines (pledged and received) and its status history.
#[utoipa::path(get, path = "/api/v1/logistik/komitmen/{id}", params(("id" = i64, Path, description = "Pledge id")),
    responses((status = 200, body = Komitmen), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_komitmen(State(s): State<AppState>, actor: Actor, Path(id): Path<String>) -> Result<Json<Komitmen>, Problem> {
    actor.require(&KOMITMEN_READERS)?;
    let id: i64 = id.parse().map_err(|_| Problem::bad_request("id", format!("{id:?} is not a pledge id")))?;
    let rows = lstore::get_komitmen(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no komitmen {id}")).field("id"))?;
    Ok(Json(Komitmen::from_rows(rows)))
}

/// Agrees (`disepakati`) or cancels (`batal`, with `alasan`) a pledge at the `versi` read
/// (Bidang Kolaborasi or admin). The receipt states follow receipts, never this route.
#[utoipa::path(post, path = "/api/v1/logistik/komitmen/{id}/status", request_body = StatusInput,
    params(("id" = i64, Path, description = "Pledge id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Komitmen), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_komitmen_status(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<String>, input: Result<ApiJson<StatusInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::BidangKolaborasi])?;
    let id: i64 = id.parse().map_err(|_| Problem::bad_request("id", format!("{id:?} is not a pledge id")))?;
    let input = json_body(input)?;
    input.check()?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.komitmen.status", Some(actor.token_id)), &key, &(id, &input), StatusCode::OK, async |tx: &mut Tx| {
        ops::komitmen_status(tx, id, &input, &who).await
    })
    .await
}

/// Names the registered collaborator of a pledge recorded before the registry was shared (one the
/// migration left unlinked), at the `versi` read (Bidang Kolaborasi or admin); the typed name stays.
#[utoipa::path(post, path = "/api/v1/logistik/komitmen/{id}/kolaborator", request_body = KolaboratorLinkInput,
    params(("id" = i64, Path, description = "Pledge id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Komitmen), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_komitmen_kolaborator(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<String>, input: Result<ApiJson<KolaboratorLinkInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::BidangKolaborasi])?;
    let id: i64 = id.parse().map_err(|_| Problem::bad_request("id", format!("{id:?} is not a pledge id")))?;
    let input = json_body(input)?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.komitmen.kolaborator", Some(actor.token_id)), &key, &(id, &input), StatusCode::OK, async |tx: &mut Tx| {
        ops::link_kolaborator(tx, id, &input, &who).await
    })
    .await
}

/// A gudang-scoped logistik token acts at its own gudang only (403 naming `gudang`).
fn require_gudang(actor: &Actor, gudang: &str) -> Result<(), Problem> {
    actor.require(&[Role::Admin, Role::Logistik])?;
    match actor.unit.as_deref() {
        Some(own) if actor.role == Role::Logistik && own != gudang => {
            Err(Problem::forbidden(format!("this token acts for gudang {own}, not {gudang}")).field("gudang"))
        }
        _ => Ok(()),
    }
}

fn parse_id(field: &str, s: &str) -> Result<i64, Problem> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| Problem::bad_request(field, format!("{s:?} is not an id (a positive integer)")))
}

/// Books goods arriving at a gudang (Bidang Logistik of that gudang, or admin): the BAST, and per
/// line the lot, expiry, quantity announced, accepted and refused (with a reason). Only accepted
/// quantities enter stock; a pledge named by `komitmen_id` follows.
#[utoipa::path(post, path = "/api/v1/logistik/penerimaan", request_body = PenerimaanInput,
    params(("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 201, body = Penerimaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "BAST number used, pledge not agreed, a lot with another expiry"), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_penerimaan(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<PenerimaanInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Logistik])?;
    let input = json_body(input)?;
    let today = super::model::jakarta_today();
    let p = input.check(today)?;
    require_gudang(&actor, &p.gudang)?;
    let who = actor.audit_name();
    let res = keyed_write(&s.store, &scope("logistik.penerimaan.create", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::create_penerimaan(tx, &input, today, &who, false).await
    })
    .await;
    peta_berubah(&s, res).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct PenerimaanQuery {
    /// Only receipts at this gudang.
    gudang: Option<String>,
}

/// Receipts, newest first (without lines; GET one for them). The Setgas's readers.
#[utoipa::path(get, path = "/api/v1/logistik/penerimaan", params(PenerimaanQuery),
    responses((status = 200, body = [PenerimaanRow]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_penerimaan(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<PenerimaanQuery>, Problem>) -> Result<Json<Vec<PenerimaanRow>>, Problem> {
    actor.require(&KOMITMEN_READERS)?;
    let crate::api::ApiQuery(q) = q?;
    Ok(Json(lstore::list_penerimaan(&s.store, q.gudang.as_deref()).await?))
}

/// One receipt with its checked lines and its photos' records.
#[utoipa::path(get, path = "/api/v1/logistik/penerimaan/{id}", params(("id" = i64, Path, description = "Receipt id")),
    responses((status = 200, body = Penerimaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_penerimaan(State(s): State<AppState>, actor: Actor, Path(id): Path<String>) -> Result<Json<Penerimaan>, Problem> {
    actor.require(&KOMITMEN_READERS)?;
    let id = parse_id("id", &id)?;
    let rows = lstore::get_penerimaan(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no penerimaan {id}")).field("id"))?;
    Ok(Json(Penerimaan::from_rows(rows)))
}

/// Adds a photo of the goods or the hand-over (raw JPEG/PNG/WebP body, type recognised by its
/// content, at most the body limit) to a receipt; each image once, at most 10. Bidang Logistik of
/// the receipt's gudang, or admin. The bytes are stored first under a content-hash key; if the
/// record is not written (refused, replayed, failed) this upload's file is removed again.
#[utoipa::path(post, path = "/api/v1/logistik/penerimaan/{id}/foto",
    params(("id" = i64, Path, description = "Receipt id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    request_body(description = "The image bytes (type sniffed from the content)", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
    responses((status = 201, body = FotoStored), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Already attached, or 10 photos"), (status = 413, body = Problem), (status = 415, body = Problem)))]
async fn post_penerimaan_foto(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(id): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Logistik])?;
    let id = parse_id("id", &id)?;
    let (head, _, _) = lstore::get_penerimaan(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no penerimaan {id}")).field("id"))?;
    require_gudang(&actor, &head.gudang)?;
    upload_foto(&s, &actor, &key, "penerimaan", id, body).await
}

/// Stages a photo of a paper in the AttachmentStore, records it by a keyed write, and removes
/// this upload's own file when no record points to it (shared by receipts and confirmations).
async fn upload_foto(
    s: &AppState,
    actor: &Actor,
    key: &IdempotencyKey,
    dokumen: &'static str,
    id: i64,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Problem> {
    let bytes = body.map_err(Problem::from)?;
    let att = crate::complaints::attachments::configured();
    let staged = ops::stage_foto(&att, dokumen, id, &bytes).await?;
    let who = actor.audit_name();
    let res = keyed_write(&s.store, &scope(&format!("logistik.{dokumen}.foto"), Some(actor.token_id)), key, &(id, &staged.sha256), StatusCode::CREATED, async |tx: &mut Tx| {
        ops::record_foto(tx, dokumen, id, &staged, &who).await
    })
    .await;
    let fresh = matches!(&res, Ok(r) if r.status() == StatusCode::CREATED && !r.headers().contains_key(crate::api::write::REPLAYED));
    keep_or_discard(&att, &staged, fresh).await;
    res
}

/// The bytes of one photo of a paper, served with `nosniff`.
async fn serve_foto(s: &AppState, dokumen: &str, id: i64, foto: &str) -> Result<Response, Problem> {
    use crate::complaints::attachments::AttachmentStore;
    use axum::http::header;
    use axum::response::IntoResponse;
    let fid = parse_id("foto", foto)?;
    let f = lstore::fotos(&s.store, dokumen, id).await?.into_iter().find(|f| f.id == fid)
        .ok_or_else(|| Problem::not_found(format!("{dokumen} {id} has no photo {fid}")).field("foto"))?;
    let bytes = crate::complaints::attachments::configured().get(&f.storage_key).await.map_err(Problem::internal)?;
    Ok(([(header::CONTENT_TYPE, f.content_type), (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string())], bytes).into_response())
}

/// The bytes of one photo of a receipt (served with `nosniff`).
#[utoipa::path(get, path = "/api/v1/logistik/penerimaan/{id}/foto/{foto}",
    params(("id" = i64, Path, description = "Receipt id"), ("foto" = i64, Path, description = "Photo id")),
    responses((status = 200, description = "The image bytes (with X-Content-Type-Options: nosniff)", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_penerimaan_foto(State(s): State<AppState>, actor: Actor, Path((id, foto)): Path<(String, String)>) -> Result<Response, Problem> {
    actor.require(&KOMITMEN_READERS)?;
    let id = parse_id("id", &id)?;
    serve_foto(&s, "penerimaan", id, &foto).await
}

/// After the keyed write of a staged photo: a fresh 201 keeps the file; anything else (a refusal,
/// a replay of an earlier upload, a failed commit) removes this upload's own file, which no
/// record points to.
async fn keep_or_discard(att: &dyn crate::complaints::attachments::AttachmentStore, f: &ops::StagedFoto, fresh: bool) {
    if !fresh {
        if let Err(e) = att.delete(&f.key).await {
            tracing::warn!(key = f.key, error = %e, "could not remove the file of a photo that was not recorded");
        }
    }
}

/// Books a movement by hand (Bidang Logistik of the gudang, or admin; `jenis` selects it):
/// `penyesuaian` after a stock count (`lot`, `jumlah_hitung`, `alasan`), `penghapusan` for expiry
/// or damage (`lot`, `jumlah`, `alasan_hapus`), `transfer` to `ke_gudang` (FEFO unless `lot` is
/// named), `retur` back into stock (`lot`, `jumlah`, `alasan`, `kedaluwarsa` for a new lot). A movement out of more than a lot holds or than is available is a 409 saying how
/// much there is. Dispatches leave with a request (not here).
#[utoipa::path(post, path = "/api/v1/logistik/mutasi", request_body = MutasiInput,
    params(("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 201, body = [Gerak]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "More than the lot holds or than is available; a lot with another expiry"), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_mutasi(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<MutasiInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Logistik])?;
    let input = json_body(input)?;
    let c = input.check()?;
    require_gudang(&actor, &c.gudang)?;
    let today = super::model::jakarta_today();
    let who = actor.audit_name();
    let res = keyed_write(&s.store, &scope("logistik.mutasi", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::book_mutasi(tx, &input, today, &who).await
    })
    .await;
    peta_berubah(&s, res).await
}

/// Most ledger rows one page answers.
const MAX_MUTASI: i64 = 1000;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct MutasiQuery {
    gudang: Option<String>,
    barang: Option<String>,
    lot: Option<String>,
    /// Only movements with a smaller id (the last id of the previous page).
    sebelum: Option<i64>,
    /// Rows per page, 1–1000 (default 200).
    limit: Option<i64>,
}

/// The stock ledger, newest first: every movement with who, when, why and its reference.
#[utoipa::path(get, path = "/api/v1/logistik/mutasi", params(MutasiQuery),
    responses((status = 200, body = [Mutasi]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_mutasi(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<MutasiQuery>, Problem>) -> Result<Json<Vec<Mutasi>>, Problem> {
    actor.require(&KOMITMEN_READERS)?;
    let crate::api::ApiQuery(q) = q?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=MAX_MUTASI).contains(&limit) {
        return Err(Problem::bad_request("limit", format!("limit is {limit}; give 1 to {MAX_MUTASI}")));
    }
    let f = lstore::MutasiFilter { gudang: q.gudang.as_deref(), barang: q.barang.as_deref(), lot: q.lot.as_deref(), sebelum: q.sebelum };
    Ok(Json(lstore::list_mutasi(&s.store, &f, limit).await?.into_iter().map(Mutasi::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct StokQuery {
    gudang: Option<String>,
    barang: Option<String>,
    /// Look-ahead in days for `segera` (default 30).
    hari: Option<i64>,
}

fn hari(h: Option<i64>) -> Result<i64, Problem> {
    super::stok::parse_hari(h).map_err(|e| Problem::bad_request("hari", e.to_string()))
}

/// Stock per gudang × item × lot, each lot flagged `kedaluwarsa` (not dispatched), `segera`
/// (expiring within `hari` days) or `baik`. Any token of the Setgas or a unit.
#[utoipa::path(get, path = "/api/v1/logistik/stok", params(StokQuery),
    responses((status = 200, body = [Saldo]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn get_stok(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<StokQuery>, Problem>) -> Result<Json<Vec<Saldo>>, Problem> {
    actor.require(&READERS)?;
    let crate::api::ApiQuery(q) = q?;
    let h = hari(q.hari)?;
    Ok(Json(ops::saldo(&s.store, q.gudang.as_deref(), q.barang.as_deref(), h, false, super::model::jakarta_today()).await?))
}

/// The near-expiry report: lots expired or expiring within `hari` days (default 30), soonest
/// first per gudang and item — what to dispatch first or write off.
#[utoipa::path(get, path = "/api/v1/logistik/stok/kedaluwarsa", params(StokQuery),
    responses((status = 200, body = [Saldo]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn get_stok_kedaluwarsa(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<StokQuery>, Problem>) -> Result<Json<Vec<Saldo>>, Problem> {
    actor.require(&READERS)?;
    let crate::api::ApiQuery(q) = q?;
    let h = hari(q.hari)?;
    Ok(Json(ops::saldo(&s.store, q.gudang.as_deref(), q.barang.as_deref(), h, true, super::model::jakarta_today()).await?))
}

/// A unit requests goods for a delivery point (its penerima token, or admin): lines of catalog
/// items; the point located by the atlas (a kelurahan unit without one stands in its kelurahan).
#[utoipa::path(post, path = "/api/v1/logistik/permintaan", request_body = PermintaanInput,
    params(("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 201, body = Permintaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn post_permintaan(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<PermintaanInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Penerima])?;
    let input = json_body(input)?;
    let unit = input.unit.trim().to_string();
    require_own_unit(&actor, &unit, &[Role::Admin, Role::Penerima])?;
    input.check()?;
    known_unit(&s, &unit).await?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.permintaan.create", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::create_permintaan(tx, &atlas, &input, &who, false).await
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct PermintaanQuery {
    status: Option<PStatus>,
    /// Only this unit's (a penerima token sees its own unit's only).
    unit: Option<String>,
}

/// Requests, newest first: the Setgas's readers see all, a penerima token its own unit's.
#[utoipa::path(get, path = "/api/v1/logistik/permintaan", params(PermintaanQuery),
    responses((status = 200, body = [super::store::PermintaanRow]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_permintaan(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<PermintaanQuery>, Problem>) -> Result<Json<Vec<super::store::PermintaanRow>>, Problem> {
    actor.require(&READERS)?;
    let crate::api::ApiQuery(q) = q?;
    let unit = match (actor.role, q.unit) {
        (Role::Penerima, Some(u)) => {
            require_own_unit(&actor, &u, &READERS)?;
            Some(u)
        }
        (Role::Penerima, None) => actor.unit.clone(),
        (_, u) => u,
    };
    Ok(Json(lstore::list_permintaan(&s.store, q.status.map(PStatus::as_str), unit.as_deref()).await?))
}

async fn load_permintaan(s: &AppState, id: &str) -> Result<lstore::PermintaanRows, Problem> {
    let id = parse_id("id", id)?;
    lstore::get_permintaan(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no permintaan {id}")).field("id"))
}

/// One request with its lines through their stages, its history and its dispatched lots.
#[utoipa::path(get, path = "/api/v1/logistik/permintaan/{id}", params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = Permintaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_permintaan(State(s): State<AppState>, actor: Actor, Path(id): Path<String>) -> Result<Json<Permintaan>, Problem> {
    let rows = load_permintaan(&s, &id).await?;
    require_own_unit(&actor, &rows.0.unit, &READERS)?;
    let foto = lstore::fotos(&s.store, "permintaan", rows.0.id).await?;
    Ok(Json(Permintaan::from_rows(rows).with_foto(foto)))
}

/// The Bidang Logistik approves (all, or part with an `alasan`; from the named gudang or the
/// nearest one holding every approved quantity) or returns a request with an `alasan`, at the
/// `versi` read. A gudang-scoped token approves from its own gudang only.
#[utoipa::path(post, path = "/api/v1/logistik/permintaan/{id}/verifikasi", request_body = VerifikasiInput,
    params(("id" = i64, Path, description = "Request id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Permintaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_verifikasi(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<String>, input: Result<ApiJson<VerifikasiInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Logistik])?;
    let id = parse_id("id", &id)?;
    let input = json_body(input)?;
    input.check()?;
    let scope_gudang = if actor.role == Role::Logistik { actor.unit.clone() } else { None };
    let today = super::model::jakarta_today();
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.permintaan.verifikasi", Some(actor.token_id)), &key, &(id, &input), StatusCode::OK, async |tx: &mut Tx| {
        ops::verifikasi(tx, id, &input, scope_gudang.as_deref(), today, &who).await
    })
    .await
}

/// The Sekretariat dispatches an approved request: stock leaves FEFO (the answer's `kiriman` are
/// the surat jalan's lots). Not enough left: 409 naming `jumlah` with what is available.
#[utoipa::path(post, path = "/api/v1/logistik/permintaan/{id}/kirim", request_body = KirimInput,
    params(("id" = i64, Path, description = "Request id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Permintaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_kirim(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<String>, input: Result<ApiJson<KirimInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Sekretariat])?;
    let id = parse_id("id", &id)?;
    let input = json_body(input)?;
    input.check()?;
    let today = super::model::jakarta_today();
    let who = actor.audit_name();
    let res = keyed_write(&s.store, &scope("logistik.permintaan.kirim", Some(actor.token_id)), &key, &(id, &input), StatusCode::OK, async |tx: &mut Tx| {
        ops::kirim(tx, id, &input, today, &who).await
    })
    .await;
    peta_berubah(&s, res).await
}

/// The receiving unit confirms a dispatched request with its BAST and, per line, what arrived,
/// damaged or short (its penerima token, or admin). Confirming twice is a 409 naming `status`.
#[utoipa::path(post, path = "/api/v1/logistik/permintaan/{id}/terima", request_body = TerimaInput,
    params(("id" = i64, Path, description = "Request id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Permintaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_terima(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<String>, input: Result<ApiJson<TerimaInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Penerima])?;
    let rows = load_permintaan(&s, &id).await?;
    require_own_unit(&actor, &rows.0.unit, &[Role::Admin, Role::Penerima])?;
    let id = rows.0.id;
    let input = json_body(input)?;
    let today = super::model::jakarta_today();
    input.check(today)?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.permintaan.terima", Some(actor.token_id)), &key, &(id, &input), StatusCode::OK, async |tx: &mut Tx| {
        ops::terima(tx, id, &input, today, &who).await
    })
    .await
}

/// The unit resubmits a request the Bidang Logistik returned (`dikembalikan → diajukan`, a new
/// `versi` and a history entry), optionally with corrected lines. Its penerima token, or admin;
/// another unit's request is a 403 naming `unit`.
#[utoipa::path(post, path = "/api/v1/logistik/permintaan/{id}/ajukan", request_body = AjukanInput,
    params(("id" = i64, Path, description = "Request id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    responses((status = 200, body = Permintaan), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_ajukan(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, Path(id): Path<String>, input: Result<ApiJson<AjukanInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Penerima])?;
    let rows = load_permintaan(&s, &id).await?;
    require_own_unit(&actor, &rows.0.unit, &[Role::Admin, Role::Penerima])?;
    let id = rows.0.id;
    let input = json_body(input)?;
    input.check()?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("logistik.permintaan.ajukan", Some(actor.token_id)), &key, &(id, &input), StatusCode::OK, async |tx: &mut Tx| {
        ops::ajukan_ulang(tx, id, &input, &who).await
    })
    .await
}

/// Adds a photo of the hand-over to a dispatched or confirmed request (raw JPEG/PNG/WebP body,
/// recognised by content: else 415 naming `body`; over the body limit 413; each image once, at
/// most 10). The receiving unit's penerima token (another unit's: 403 naming `unit`), or admin.
/// Before dispatch: 409 naming `status`.
#[utoipa::path(post, path = "/api/v1/logistik/permintaan/{id}/foto",
    params(("id" = i64, Path, description = "Request id"), ("Idempotency-Key" = Option<String>, Header, description = KEY_DOC)),
    request_body(description = "The image bytes (type sniffed from the content)", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
    responses((status = 201, body = FotoStored), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Not dispatched yet, already attached, or 10 photos"), (status = 413, body = Problem), (status = 415, body = Problem)))]
async fn post_permintaan_foto(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(id): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Penerima])?;
    let rows = load_permintaan(&s, &id).await?;
    require_own_unit(&actor, &rows.0.unit, &[Role::Admin, Role::Penerima])?;
    upload_foto(&s, &actor, &key, "permintaan", rows.0.id, body).await
}

/// The bytes of one photo of a request's hand-over (`nosniff`): the unit's own token or a reader.
#[utoipa::path(get, path = "/api/v1/logistik/permintaan/{id}/foto/{foto}",
    params(("id" = i64, Path, description = "Request id"), ("foto" = i64, Path, description = "Photo id")),
    responses((status = 200, description = "The image bytes (with X-Content-Type-Options: nosniff)", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_permintaan_foto(State(s): State<AppState>, actor: Actor, Path((id, foto)): Path<(String, String)>) -> Result<Response, Problem> {
    let rows = load_permintaan(&s, &id).await?;
    require_own_unit(&actor, &rows.0.unit, &READERS)?;
    serve_foto(&s, "permintaan", rows.0.id, &foto).await
}

/// After a write that changes a gudang or its stock: the public map's gudang layer is read again.
async fn peta_berubah(s: &AppState, res: Result<Response, Problem>) -> Result<Response, Problem> {
    if matches!(&res, Ok(r) if r.status().is_success() && !r.headers().contains_key(crate::api::write::REPLAYED)) {
        super::peta::refresh(&s.store, &s.tiles).await;
    }
    res
}

/// Who receives the logistics reports: the Ketua Harian, the Bidang Akuntabilitas dan
/// Pengawasan, auditors and admins, and the Setgas's own bidang that book what is reported.
const LAPORAN_READERS: [Role; 7] = [Role::Admin, Role::KetuaHarian, Role::Akuntabilitas, Role::Auditor, Role::Logistik, Role::Sekretariat, Role::BidangKolaborasi];

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct LaporanQuery {
    /// First day, YYYY-MM-DD (default: the first of the month of `sampai`).
    dari: Option<String>,
    /// Last day, YYYY-MM-DD, not after today (default: today, Jakarta time).
    sampai: Option<String>,
    /// json (default), csv or xlsx.
    format: Option<super::laporan::Format>,
}

/// The logistics report of a period: availability at its end, receipts and dispatches within it,
/// per item, per gudang, per kota and per unit — as JSON, CSV (one table with a `bagian` column)
/// or XLSX (a sheet per table). For the Ketua Harian, the Bidang Akuntabilitas dan Pengawasan,
/// auditors and the Setgas's bidang.
#[utoipa::path(get, path = "/api/v1/logistik/laporan", params(LaporanQuery),
    responses((status = 200, body = super::laporan::Laporan, content_type = "application/json"),
        (status = 200, description = "format=csv", content_type = "text/csv"),
        (status = 200, description = "format=xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn get_laporan(State(s): State<AppState>, actor: Actor, q: Result<crate::api::ApiQuery<LaporanQuery>, Problem>) -> Result<Response, Problem> {
    use axum::http::header;
    use axum::response::IntoResponse;
    actor.require(&LAPORAN_READERS)?;
    let crate::api::ApiQuery(q) = q?;
    let today = super::model::jakarta_today();
    let periode = super::laporan::Periode::parse(q.dari.as_deref(), q.sampai.as_deref(), today)?;
    let laporan = ops::laporan(&s.store, &s.atlas.current(), periode, today).await?;
    let format = q.format.unwrap_or(super::laporan::Format::Json);
    let bytes = super::laporan::render(&laporan, format).map_err(|e| Problem::internal(std::io::Error::other(e.to_string())))?;
    let name = format!("attachment; filename=\"laporan-logistik-{}-{}.{}\"", periode.dari, periode.sampai, format.ext());
    Ok(([(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, name)], bytes).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct RekapQuery {
    /// First day, YYYY-MM-DD (default: since records began).
    dari: Option<String>,
    /// Last day, YYYY-MM-DD, not after today (default: today).
    sampai: Option<String>,
}

async fn rekap(s: &AppState, q: RekapQuery) -> Result<super::laporan::Rekap, Problem> {
    let today = super::model::jakarta_today();
    let awal = super::laporan::AWAL.to_string();
    let periode = super::laporan::Periode::parse(Some(q.dari.as_deref().unwrap_or(&awal)), q.sampai.as_deref(), today)?;
    Ok(ops::laporan(&s.store, &s.atlas.current(), periode, today).await?.into())
}

/// The public recap (Bidang Data → kolaborator): availability, receipt and distribution totals per
/// item and per kota. No units, no people, no kolaborator names. No token needed.
#[utoipa::path(get, path = "/api/v1/publik/logistik/rekap", params(RekapQuery),
    responses((status = 200, body = super::laporan::Rekap), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn get_rekap(State(s): State<AppState>, q: Result<crate::api::ApiQuery<RekapQuery>, Problem>) -> Result<Json<super::laporan::Rekap>, Problem> {
    let crate::api::ApiQuery(q) = q?;
    Ok(Json(rekap(&s, q).await?))
}

/// The public recap as a small page in Indonesian (the public map links to it).
#[utoipa::path(get, path = "/publik/logistik", params(RekapQuery),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn get_rekap_html(State(s): State<AppState>, q: Result<crate::api::ApiQuery<RekapQuery>, Problem>) -> Result<axum::response::Html<String>, Problem> {
    let crate::api::ApiQuery(q) = q?;
    Ok(axum::response::Html(super::laporan::html(&rekap(&s, q).await?)))
}
