//! HTTP: the router, shared state, auth and the problem+json error shape.
//! Each domain keeps its own handlers (`wilayah::http`, …); this module only assembles them.

pub mod auth;
pub mod headers;
pub mod health;
pub mod metrics;
pub mod problem;
pub mod write;

pub use auth::{Actor, Role};
pub use problem::{ApiJson, ApiQuery, Problem};

use crate::store::Store;
use crate::wilayah::{Atlas, AtlasConfig, AtlasHandle};
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// Service settings; every field has a documented default (README, `sigap serve --help`).
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub atlas: AtlasConfig,
    /// Largest request body accepted, bytes.
    pub body_limit: usize,
    /// Most points in one `POST /api/v1/locate`.
    pub locate_batch_limit: usize,
    pub web_dir: PathBuf,
    /// Tile URL template the web map uses (`{layer}` placeholder): sigap's own or martin's.
    pub tile_url: String,
    /// Optional online raster basemap (tile URL template `https://…/{z}/{x}/{y}.png`); none by
    /// default so the map works offline.
    pub basemap: Option<String>,
    /// How often (ms) the boundaries revision is polled to pick up other processes' edits.
    pub atlas_poll_ms: u64,
    /// Road file of the offline basemap (`/tiles/basemap/…`) and the network HTTP plans drive on;
    /// None draws land and sea only and plans on great-circle distance × circuity.
    pub roads: Option<PathBuf>,
    /// Where plan jobs cache road travel tables (keyed by network and points); None keeps
    /// them in memory only.
    pub roads_cache: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            atlas: AtlasConfig::default(),
            body_limit: 1024 * 1024,
            locate_batch_limit: 10_000,
            web_dir: PathBuf::from("web"),
            tile_url: "/tiles/{layer}/{z}/{x}/{y}.mvt".into(),
            basemap: None,
            atlas_poll_ms: 250,
            roads: Some(PathBuf::from("data/roads/jakarta_roads.geojson")),
            roads_cache: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub atlas: AtlasHandle,
    pub config: Arc<Config>,
    /// Vector tiles rendered from `atlas`, cached; boundary edits invalidate them.
    pub tiles: crate::tiles::TileService,
    /// Held while the atlas is reloaded and swapped, so an edit's reload and the poller's cannot
    /// swap an older atlas over a newer one.
    reload: Arc<tokio::sync::Mutex<()>>,
    /// Prometheus metrics of this app (`/metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// Complaint intakes are written through this queue, several per transaction (group commit).
    pub intake: Arc<crate::complaints::intake::IntakeWriter>,
    /// The name search index of the current atlas (`/api/v1/search`).
    pub search: crate::search::SearchCache,
    /// The KSBB roll-up and site layers (`ksbb::peta`), cached under the KSBB data revision.
    pub ksbb_peta: crate::ksbb::peta::PetaService,
}

impl AppState {
    pub fn new(store: Store, atlas: AtlasHandle, config: Arc<Config>) -> AppState {
        let tiles = crate::tiles::TileService::with_roads(atlas.clone(), crate::tiles::cache::DEFAULT_CAPACITY, config.roads.clone());
        // The metric definitions are static; registering them in a fresh registry cannot clash.
        let metrics = Arc::new(metrics::Metrics::new().unwrap_or_else(|e| unreachable!("metric definitions: {e}")));
        let intake = Arc::new(crate::complaints::intake::IntakeWriter::new(store.clone()));
        let ksbb_peta = crate::ksbb::peta::PetaService::new(store.clone());
        ksbb_peta.install(&tiles);
        AppState { store, atlas, config, tiles, reload: Arc::default(), metrics, intake, search: Default::default(), ksbb_peta }
    }

    /// Reloads every boundary from the store into a fresh atlas, swaps it in, then drops the
    /// cached tiles of every area that changed (in that order: see `TileService::get`). The
    /// progress cache needs nothing: it is keyed by the atlas's serial.
    pub async fn refresh_atlas(&self) -> Result<(), crate::store::StoreError> {
        let _one = self.reload.lock().await;
        self.reload_locked().await
    }

    async fn reload_locked(&self) -> Result<(), crate::store::StoreError> {
        let old = self.atlas.current();
        let fresh = Atlas::load(&self.store, self.config.atlas).await?;
        self.atlas.replace(fresh);
        let new = self.atlas.current();
        let dropped = self.tiles.atlas_changed(&old, &new);
        tracing::info!(revision = new.revision(), tiles_dropped = dropped.len(), "atlas reloaded");
        Ok(())
    }

    /// Reloads the atlas only when the store's boundaries revision differs from the loaded one:
    /// what the poller (`spawn_atlas_sync`) runs. Returns whether it reloaded.
    pub async fn sync_atlas(&self) -> Result<bool, crate::store::StoreError> {
        let stored = crate::store::boundaries::revision(&self.store).await?;
        if stored == self.atlas.current().revision() {
            return Ok(false);
        }
        let _one = self.reload.lock().await;
        // Another reload may have caught up while this one waited.
        if stored == self.atlas.current().revision() {
            return Ok(false);
        }
        self.reload_locked().await?;
        Ok(true)
    }

    /// Keeps this process's atlas, tile cache and progress cache in step with the store when
    /// other processes (or the CLI) write boundaries: polls the boundaries revision every
    /// `config.atlas_poll_ms`. Polling a revision rather than LISTEN/NOTIFY: it is state, not an
    /// event, so nothing is missed across a dropped connection or a restart, it needs no
    /// dedicated connection or reconnect logic, and it works the same on both stores (a CLI
    /// import into the GeoPackage a server has open is picked up too); the price is one
    /// one-row SELECT per interval. Bansos writes need no poller: the progress cache is keyed
    /// by `bansos_revision`, read per request.
    pub fn spawn_atlas_sync(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        let every = std::time::Duration::from_millis(self.config.atlas_poll_ms.max(10));
        tokio::spawn(async move {
            let mut failing = false;
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match state.sync_atlas().await {
                    Ok(_) if failing => {
                        failing = false;
                        tracing::info!("atlas sync recovered");
                    }
                    Ok(_) => {}
                    // Logged once per outage, not every tick; the old atlas keeps serving.
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "atlas sync failed; serving the loaded atlas and retrying");
                    }
                    Err(_) => {}
                }
            }
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "sigap API", version = "1", description = "Spatial backbone of DKI Jakarta's crisis response: wilayah atlas, complaints, bansos progress, tiles, distribution plans."),
    components(schemas(Problem))
)]
pub struct ApiDoc;

/// Optional `Idempotency-Key` header, checked for length once here.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => {
                let k = v.to_str().map_err(|_| Problem::bad_request("Idempotency-Key", "must be visible ASCII"))?.trim();
                if k.is_empty() || k.len() > 200 {
                    return Err(Problem::bad_request("Idempotency-Key", "must be 1..200 characters"));
                }
                Ok(IdempotencyKey(Some(k.to_string())))
            }
        }
    }
}

#[derive(Serialize)]
struct WebConfig<'a> {
    tile_url: &'a str,
    basemap: Option<&'a str>,
}

async fn web_config(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!(WebConfig { tile_url: &s.config.tile_url, basemap: s.config.basemap.as_deref() }))
}

async fn not_found() -> Problem {
    Problem::not_found("no such endpoint")
}

/// A route that exists but not for this method (axum keeps the `Allow` header it computed).
async fn method_not_allowed() -> Problem {
    Problem::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "this endpoint does not take this method; see the Allow header")
}

/// What the web directory does not have: a path no file answers (404), or a write to it (405;
/// the files are read-only). Without this ServeDir answers with an empty body.
async fn web_miss(method: axum::http::Method) -> axum::response::Response {
    use axum::response::IntoResponse;
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return Problem::not_found("no such endpoint or file").into_response();
    }
    ([(axum::http::header::ALLOW, "GET, HEAD")], method_not_allowed().await).into_response()
}

/// `Cache-Control` of the web files, by path. Third-party builds (`/node_modules/`, versioned by
/// `web/package-lock.json`) and the rendered glyphs (`/glyphs/`) change only with a setup, so a
/// browser keeps them a day without asking; the page's own files are revalidated on every load
/// (`no-cache`: a 304 when unchanged), so an edit shows at once.
async fn static_cache_control(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = req.uri().path();
    let kept = path.starts_with("/node_modules/") || path.starts_with("/glyphs/");
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED {
        let value = HeaderValue::from_static(if kept { "public, max-age=86400" } else { "no-cache" });
        res.headers_mut().entry(header::CACHE_CONTROL).or_insert(value);
    }
    res
}

/// The whole service, behind the warm tile path (`tiles::http::WarmTiles`). Router-wide layers: security headers (`headers`) and request metrics
/// (`metrics::track`) on every response, API, tiles, web files and Swagger UI alike.
pub fn router(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(metrics::router())
        .merge(crate::wilayah::http::router())
        .merge(crate::tiles::http::router())
        .merge(crate::bansos::http::router())
        .merge(crate::planner::http::router())
        .merge(crate::complaints::http::router())
        .merge(crate::complaints::open311::router())
        .merge(crate::ogc::http::router())
        .merge(crate::logistics::http::router())
        .merge(crate::search::http::router())
        .merge(crate::ksbb::http::router())
        .merge(crate::ksbb::peta::http::router())
        .merge(crate::recipients::http::router())
        .split_for_parts();
    // `.br`/`.gz` copies made at setup (scripts/precompress.mjs) are sent to browsers that take
    // them: MapLibre's module is 1.1 MB as a file, 0.24 MB in brotli.
    let web = ServeDir::new(&state.config.web_dir)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(axum::handler::HandlerWithoutStateExt::into_service(web_miss));
    let web = tower::ServiceBuilder::new().layer(axum::middleware::from_fn(static_cache_control)).service(web);
    let swagger = Router::from(SwaggerUi::new("/swagger-ui").url("/api-docs/openapi.json", doc))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(headers::SWAGGER_CSP)));
    let full = Router::new()
        .merge(api)
        .merge(swagger)
        .route("/web-config.json", get(web_config))
        // Every route above answers a wrong method with problem+json too (after the routes: it
        // applies to the routes present when it is called).
        .method_not_allowed_fallback(method_not_allowed)
        .nest("/api", Router::new().fallback(not_found))
        .nest("/tiles", Router::new().fallback(not_found))
        .fallback_service(web)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, headers::web_csp_header(&state.config)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state.clone());
    // Cached tiles are answered before all of the above (see `WarmTiles`); the rest goes to it.
    Router::new().fallback_service(crate::tiles::http::WarmTiles::new(&state, full))
}
