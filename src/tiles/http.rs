//! HTTP adapters: `GET /tiles/{layer}/{z}/{x}/{y}.mvt` and the TileJSON `GET /tiles/{layer}.json`.

use super::cache::RenderedTile;
use super::tile::{TileId, MAX_ZOOM};
use crate::api::{AppState, Problem};
use crate::wilayah::Level;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::{Json, Router};
use prometheus::Histogram;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use utoipa_axum::{router::OpenApiRouter, routes};

pub const MVT_CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tile)).routes(routes!(tilejson))
}

/// A layer by URL name (the MVT layer inside each tile has the same name).
enum Layer {
    Area(Level),
    /// The offline basemap (`basemap`: sea, land, roads).
    Basemap,
    Site(String),
}

fn layer(s: &AppState, name: &str) -> Result<Layer, Problem> {
    match name.parse::<Level>() {
        Ok(level) => Ok(Layer::Area(level)),
        Err(_) if name == super::basemap::LAYER => Ok(Layer::Basemap),
        Err(_) if s.tiles.has_site_layer(name) => Ok(Layer::Site(name.to_string())),
        Err(_) => Err(Problem::not_found(format!("no tile layer `{name}`; layers: kota, kecamatan, kelurahan, rw, basemap")).field("layer")),
    }
}

impl From<super::TileError> for Problem {
    fn from(e: super::TileError) -> Problem {
        Problem::bad_request(e.field(), e.to_string())
    }
}

/// One vector tile. The last segment is `{y}.mvt`. Empty tiles are 204; responses carry an
/// ETag (304 on `If-None-Match`) and are gzipped when the client accepts it.
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}",
    params(("layer" = String, Path, description = "kota | kecamatan | kelurahan | rw | basemap (MVT layers sea, land, roads, places) | a registered site layer"),
        ("z" = u8, Path, description = "zoom 0..=20"), ("x" = u32, Path), ("y" = String, Path, description = "row, with `.mvt`, e.g. `527.mvt`")),
    responses((status = 200, description = "Mapbox Vector Tile", content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "no feature in this tile"), (status = 304, description = "not modified"),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn tile(
    State(s): State<AppState>,
    Path((layer_name, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let layer = layer(&s, &layer_name)?;
    let y = y.strip_suffix(".mvt").ok_or_else(|| Problem::not_found("tiles are served as {z}/{x}/{y}.mvt").field("y"))?;
    let id = TileId::parse(&z, &x, y)?;
    // Warm path: a cached tile is answered here, without a hop to the blocking pool (which
    // costs a thread hand-off per request and queues behind renders under load).
    let hit = match &layer {
        Layer::Area(level) => s.tiles.hit(*level, id),
        Layer::Basemap => s.tiles.hit_basemap(id),
        Layer::Site(_) => None,
    };
    if let Some(t) = hit {
        return Ok(respond(&t, &headers));
    }
    if let Layer::Site(name) = &layer {
        s.tiles.refresh_site(name).await;
    }
    // Rendering is CPU work (clipping, encoding, gzip): keep it off the async workers.
    let svc = s.tiles.clone();
    let gzip = accepts_gzip(&headers);
    let t = tokio::task::spawn_blocking(move || {
        let t = match layer {
            Layer::Area(level) => Some(svc.get(level, id)),
            Layer::Basemap => Some(svc.get_basemap(id)),
            Layer::Site(name) => svc.get_site(&name, id),
        };
        if let Some(t) = t.as_ref().filter(|_| gzip) {
            t.gzip();
        }
        t
    })
    .await
    .map_err(Problem::internal)?
    .ok_or_else(|| Problem::not_found(format!("no tile layer `{layer_name}`")).field("layer"))?;
    Ok(respond(&t, &headers))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or("");
        let q = parts.find_map(|p| p.strip_prefix("q=")).map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
    })
}

/// True when `If-None-Match` names this tile in either encoding (weak comparison, RFC 9110).
fn not_modified(headers: &HeaderMap, hash: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|tag| {
        let tag = tag.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
        tag == "*" || tag == hash || tag.strip_suffix("-gz") == Some(hash)
    })
}

/// The headers of a tile answer: with `etag`, those of a 200 (gzip-encoded when `gzip`);
/// without, those of the empty tile's 204. `X-Content-Type-Options` is set here as well as by
/// the router-wide layer, because the warm path (`WarmTiles`) answers before that layer.
pub(super) fn tile_head(etag: Option<&HeaderValue>, gzip: bool) -> HeaderMap {
    let mut h = HeaderMap::with_capacity(8);
    if let Some(etag) = etag {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT_CONTENT_TYPE));
        h.insert(header::ETAG, etag.clone());
    }
    common_head(&mut h);
    if etag.is_some() && gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h
}

/// What every tile answer carries, 200, 204 and 304 alike.
fn common_head(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // A tile is data, never a document: the short data policy, not the web map's.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::api::headers::DATA_CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

/// The answer for a rendered tile: 204 when empty, 304 when `If-None-Match` names it, else the
/// bytes (gzip when accepted) with the header block made at render time. Shared by the warm
/// path and the handler, so a cached and a freshly rendered tile are answered alike.
fn respond(t: &RenderedTile, headers: &HeaderMap) -> Response {
    let mut res = Response::new(Body::empty());
    let Some(body) = &t.body else {
        *res.status_mut() = StatusCode::NO_CONTENT;
        *res.headers_mut() = t.head.clone();
        return res;
    };
    let gzip = accepts_gzip(headers);
    if not_modified(headers, &t.hash) {
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        let h = res.headers_mut();
        h.insert(header::ETAG, if gzip { t.etag_gz.clone() } else { t.etag.clone() });
        common_head(h);
        return res;
    }
    let (bytes, head) = match t.gzip().filter(|_| gzip) {
        Some(gz) => (gz, &t.head_gz),
        None => (body, &t.head),
    };
    // A `Bytes` clone shares the cached buffer (a reference count), it copies nothing.
    *res.body_mut() = Body::from(bytes.clone());
    *res.headers_mut() = head.clone();
    res
}

/// The route template of tile requests, as the router's `MatchedPath` names it in metrics.
pub const TILE_ROUTE: &str = "/tiles/{layer}/{z}/{x}/{y}";

/// The warm path of `GET /tiles/{layer}/{z}/{x}/{y}.mvt`, put in front of the whole router
/// (`api::router`): a boundary or basemap tile already in the cache is answered here, before
/// routing, extractors and the router-wide layers, which together were about a third of the
/// server's CPU per warm tile (perf, issue 17). Anything else — a miss, a site layer, an odd
/// or percent-encoded path, HEAD, a bad address — goes to the router unchanged, so it is
/// rendered, validated and answered exactly as before (and the next request for it is warm).
///
/// Kept from the layers it skips: the security headers (in the tile's header block), the
/// request histogram of the tile route (observed here, on handles resolved once, so a warm
/// tile pays a few atomic adds and no label lookup) and the cache-hit counter. The request
/// log: `TraceLayer` logs at DEBUG (off by default); here a DEBUG event per warm tile
/// (target `sigap::tiles::http`) stands for it.
#[derive(Clone)]
pub struct WarmTiles {
    warm: Arc<Warm>,
    inner: Router,
}

struct Warm {
    tiles: super::TileService,
    ok: Histogram,
    empty: Histogram,
    not_modified: Histogram,
}

impl WarmTiles {
    /// `inner` is the complete router (it answers whatever the warm path does not).
    pub fn new(state: &AppState, inner: Router) -> WarmTiles {
        let m = &state.metrics;
        let warm = Warm {
            tiles: state.tiles.clone(),
            ok: m.route_histogram(&Method::GET, TILE_ROUTE, StatusCode::OK),
            empty: m.route_histogram(&Method::GET, TILE_ROUTE, StatusCode::NO_CONTENT),
            not_modified: m.route_histogram(&Method::GET, TILE_ROUTE, StatusCode::NOT_MODIFIED),
        };
        WarmTiles { warm: Arc::new(warm), inner }
    }
}

impl Warm {
    /// The answer when `req` asks for a cached boundary or basemap tile; None otherwise.
    fn answer(&self, req: &Request) -> Option<Response> {
        if req.method() != Method::GET {
            return None;
        }
        let start = Instant::now();
        let (layer, id) = warm_address(req.uri().path())?;
        let t = match layer {
            Some(level) => self.tiles.hit(level, id),
            None => self.tiles.hit_basemap(id),
        }?;
        let res = respond(&t, req.headers());
        let histogram = match res.status() {
            StatusCode::NO_CONTENT => &self.empty,
            StatusCode::NOT_MODIFIED => &self.not_modified,
            _ => &self.ok,
        };
        histogram.observe(start.elapsed().as_secs_f64());
        tracing::debug!(status = res.status().as_u16(), "tile from cache");
        Some(res)
    }
}

/// Layer (None: the basemap) and tile of a `/tiles/{layer}/{z}/{x}/{y}.mvt` path the warm path
/// may answer; None for anything the router must see (site layers, bad addresses, `%`-escapes).
fn warm_address(path: &str) -> Option<(Option<Level>, TileId)> {
    let mut parts = path.strip_prefix("/tiles/")?.split('/');
    let (layer, z, x, y) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let layer = match layer.parse::<Level>() {
        Ok(level) => Some(level),
        Err(_) if layer == super::basemap::LAYER => None,
        Err(_) => return None,
    };
    Some((layer, TileId::parse(z, x, y.strip_suffix(".mvt")?).ok()?))
}

impl tower::Service<Request> for WarmTiles {
    type Response = Response;
    type Error = Infallible;
    type Future = WarmFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The router is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> WarmFuture {
        match self.warm.answer(&req) {
            Some(res) => WarmFuture::Ready(std::future::ready(Ok(res))),
            None => WarmFuture::Router(tower::Service::call(&mut self.inner, req)),
        }
    }
}

/// The warm answer, or the router's future: no boxing on either path.
pub enum WarmFuture {
    Ready(std::future::Ready<Result<Response, Infallible>>),
    Router(RouteFuture<Infallible>),
}

impl Future for WarmFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            WarmFuture::Ready(r) => Pin::new(r).poll(cx),
            WarmFuture::Router(f) => Pin::new(f).poll(cx),
        }
    }
}

/// TileJSON 3.0 of one layer, with absolute tile URLs on the host the client used.
#[utoipa::path(get, path = "/tiles/{file}",
    params(("file" = String, Path, description = "`{layer}.json`, e.g. `kelurahan.json`")),
    responses((status = 200, description = "TileJSON 3.0.0"), (status = 404, body = Problem)))]
async fn tilejson(State(s): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Result<Json<serde_json::Value>, Problem> {
    let name = file.strip_suffix(".json").ok_or_else(|| Problem::not_found("TileJSON is served as /tiles/{layer}.json").field("layer"))?;
    let layer = layer(&s, name)?;
    let base = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .map(|h| format!("http://{h}"))
        .unwrap_or_default();
    let level = match layer {
        Layer::Area(level) => level,
        Layer::Basemap => {
            return Ok(Json(serde_json::json!({
                "tilejson": "3.0.0", "name": super::basemap::LAYER, "scheme": "xyz",
                "description": "Peta dasar luring: jalan OpenStreetMap 2012 (ODbL), darat dan laut dari batas wilayah",
                "attribution": "© OpenStreetMap contributors (ODbL)",
                "tiles": [format!("{base}/tiles/basemap/{{z}}/{{x}}/{{y}}.mvt")],
                "minzoom": 0, "maxzoom": MAX_ZOOM,
                "vector_layers": [
                    {"id": "sea", "fields": {}},
                    {"id": "land", "fields": {}},
                    {"id": "roads", "fields": {"class": "String: motorway, trunk, primary, secondary, tertiary, unclassified, residential, living_street, service, path, construction, other",
                        "link": "Boolean: a ramp (`*_link`)", "name": "String: street name"}},
                    {"id": "places", "fields": {"level": "String: kota, kecamatan, kelurahan or rw", "kode": "String: Kemendagri code", "label": "String: name to show"}},
                ],
            })))
        }
        Layer::Site(name) => {
            return Ok(Json(serde_json::json!({
                "tilejson": "3.0.0", "name": name, "scheme": "xyz",
                "tiles": [format!("{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt")],
                "minzoom": 0, "maxzoom": MAX_ZOOM,
                "vector_layers": [{"id": name, "fields": {}, "minzoom": 0, "maxzoom": MAX_ZOOM}],
            })))
        }
    };
    let index = tokio::task::spawn_blocking({
        let svc = s.tiles.clone();
        move || svc.index()
    })
    .await
    .map_err(Problem::internal)?;
    let bounds = index.bounds(level).map(|b| b.to_lonlat()).unwrap_or([106.3, -6.4, 107.0, -5.1]);
    let mut fields = serde_json::json!({"kode": "String: Kemendagri code, e.g. 31.71.01.1001", "nama": "String: name"});
    let mut description = format!("Batas {level} DKI Jakarta (Kemendagri via cahyadsn/wilayah, MIT)");
    if level == Level::Rw {
        fields["generated"] = "Boolean: true when the boundary is generated demo data, not official".into();
        fields["sumber"] = "String: source key (inasafe-osm-2012 for the real RW, generated)".into();
        fields["tahun"] = "Number: year the source describes (2012); absent for generated RW".into();
        description = "Batas RW DKI Jakarta: RW 2012 (InaSAFE, sumber OpenStreetMap, ODbL, belum diverifikasi) disesuaikan dengan kelurahan 2025; RW dibangkitkan (generated) di kelurahan tanpa data RW".into();
    }
    Ok(Json(serde_json::json!({
        "tilejson": "3.0.0",
        "name": level.as_str(),
        "description": description,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{level}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        // Monas, not the middle of the bounds: Kepulauan Seribu pulls that out to sea.
        "center": [106.8272, -6.1754, 11],
        "vector_layers": [{"id": level.as_str(), "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM}],
    })))
}
