//! `GET /api/v1/search?q=…`: the public map's search box (see the module doc of `search`).

use super::{parse_coordinate, Hit};
use crate::api::{ApiQuery, AppState, Problem};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Most hits per answer, and the default.
pub const MAX_LIMIT: usize = 50;
const DEFAULT_LIMIT: usize = 10;
/// Longest query accepted (characters).
pub const MAX_QUERY: usize = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// A name (`Kebon Kacang`, `kb kacang`, `rw 8 gambir`) or a coordinate (`-6.1754, 106.8272`).
    pub q: String,
    /// How many hits, 1..=50 (default 10).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchAnswer {
    pub query: String,
    /// `name` or `coordinate`.
    pub kind: &'static str,
    /// For a coordinate: the point searched (lon, lat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<[f64; 2]>,
    /// Best first. For a coordinate: the areas containing it, finest first (RW, kelurahan,
    /// kecamatan, kota); empty outside DKI Jakarta.
    pub results: Vec<Hit>,
}

/// Finds areas by name (typo-tolerant) or by coordinate. Public: names and outlines only.
#[utoipa::path(get, path = "/api/v1/search", params(SearchQuery),
    responses((status = 200, body = SearchAnswer), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn search(State(s): State<AppState>, q: Result<ApiQuery<SearchQuery>, Problem>) -> Result<Json<SearchAnswer>, Problem> {
    let ApiQuery(q) = q?;
    let text = crate::text::required("q", &q.q, MAX_QUERY)?.to_string();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::bad_request("limit", format!("limit must be 1..={MAX_LIMIT}")));
    }
    let atlas = s.atlas.current();
    let cache = s.search.clone();
    let index = tokio::task::spawn_blocking(move || cache.get(atlas)).await.map_err(Problem::internal)?;
    if let Some((lon, lat)) = parse_coordinate(&text) {
        let loc = s.atlas.current().locate(lon, lat)?;
        // Only a point inside a kelurahan names areas; one in a gap or outside answers nothing.
        let inside = loc.distance_m == 0.0;
        let results = [&loc.rw, &loc.kelurahan, &loc.kecamatan, &loc.kota]
            .into_iter()
            .flatten()
            .filter(|_| inside)
            .filter_map(|a| index.by_code(&a.kode))
            .take(limit)
            .collect();
        return Ok(Json(SearchAnswer { query: text, kind: "coordinate", point: Some([lon, lat]), results }));
    }
    let results = index.search(&text, limit);
    Ok(Json(SearchAnswer { query: text, kind: "name", point: None, results }))
}
