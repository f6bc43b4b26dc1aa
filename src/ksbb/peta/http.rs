//! `GET /api/v1/ksbb/rekap`: the public roll-up per kota or kelurahan, from the cached roll-up.

use super::rekap::Angka;
use crate::api::{ApiQuery, AppState, Problem};
use crate::wilayah::{AreaCode, Level};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rekap))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
enum Tingkat {
    #[default]
    Kota,
    Kelurahan,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct RekapQuery {
    /// kota (default) | kelurahan
    tingkat: Option<Tingkat>,
    /// Only the areas in this kota, e.g. 31.71
    kota: Option<String>,
}

/// One area's numbers.
#[derive(Debug, Serialize, ToSchema)]
struct Wilayah {
    kode: String,
    nama: String,
    #[serde(flatten)]
    angka: Angka,
}

/// The roll-up: the province total and one row per area (every area of the atlas, zeros included).
#[derive(Debug, Serialize, ToSchema)]
struct RekapAnswer {
    /// The data revision these numbers are at.
    revision: i64,
    tingkat: Tingkat,
    total: Angka,
    wilayah: Vec<Wilayah>,
    /// True when the numbers include generated demo sites and UMKM (`sigap init`): not real data.
    generated: bool,
}

/// Targets, pledges (Konfirmasi) and realisation per kota or kelurahan (public; no personal data).
/// Answered from the roll-up cached under the data revision, recomputed once after a write; `ETag`
/// is the revision and atlas version (304 on `If-None-Match`). What each number counts:
/// `src/ksbb/README.md` ("Map and roll-up").
#[utoipa::path(get, path = "/api/v1/ksbb/rekap", params(RekapQuery),
    responses((status = 200, body = RekapAnswer), (status = 304, description = "not modified"), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn rekap(State(s): State<AppState>, q: Result<ApiQuery<RekapQuery>, Problem>, headers: HeaderMap) -> Result<Response, Problem> {
    let ApiQuery(q) = q?;
    let tingkat = q.tingkat.unwrap_or_default();
    let atlas = s.atlas.current();
    let kota = match q.kota.as_deref() {
        None => None,
        Some(k) => {
            let code = AreaCode::parse_level(k, Level::Kota).map_err(|e| Problem::bad_request("kota", format!("not a kota code (e.g. 31.71): {e}")))?;
            if atlas.get(&code).is_none() {
                return Err(Problem::not_found(format!("no kota {k}")).field("kota"));
            }
            Some(code)
        }
    };
    let (rekap, changed) = s.ksbb_peta.refresh().await?;
    s.tiles.sites_changed_in(&changed);
    let etag = format!("\"{}-{}-{:?}-{}\"", rekap.revision, atlas.serial(), tingkat, kota.as_ref().map_or("", |k| k.as_str()));
    let etag_value = HeaderValue::from_str(&etag).map_err(Problem::internal)?;
    let no_cache = HeaderValue::from_static("no-cache");
    if headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| t.trim() == etag || t.trim() == "*") {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value), (header::CACHE_CONTROL, no_cache)]).into_response());
    }
    let (level, numbers) = match tingkat {
        Tingkat::Kota => (Level::Kota, &rekap.kota),
        Tingkat::Kelurahan => (Level::Kelurahan, &rekap.kelurahan),
    };
    let mut wilayah: Vec<Wilayah> = atlas
        .all()
        .iter()
        .filter(|a| a.level == level && kota.as_ref().is_none_or(|k| a.code.as_str().starts_with(k.as_str())))
        .map(|a| Wilayah { kode: a.code.as_str().to_string(), nama: a.name.clone(), angka: numbers.get(a.code.as_str()).cloned().unwrap_or_default() })
        .collect();
    wilayah.sort_by(|a, b| a.kode.cmp(&b.kode));
    let total = match &kota {
        Some(k) => rekap.kota.get(k.as_str()).cloned().unwrap_or_default(),
        None => rekap.total.clone(),
    };
    let body = RekapAnswer { revision: rekap.revision, tingkat, total, wilayah, generated: rekap.generated };
    Ok(([(header::ETAG, etag_value), (header::CACHE_CONTROL, no_cache)], Json(body)).into_response())
}
