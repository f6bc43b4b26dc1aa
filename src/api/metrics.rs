//! Prometheus metrics at `/metrics` (text format 0.0.4), with the `prometheus` crate.
//!
//! Labels carry only bounded, non-personal values: the matched route template
//! (`/api/v1/complaints/{id}`, never the raw URL with its ids), the method and the status.
//! Pool and atlas gauges are read at scrape time; cache lookups are counted where they happen.

use super::AppState;
use crate::wilayah::Level;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use std::sync::LazyLock;
use std::time::Instant;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Cache lookups by cache and result, counted by the caches themselves (tile and progress
/// caches live in their domains). Process-wide: one sigap process serves one app.
static CACHE_LOOKUPS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    IntCounterVec::new(Opts::new("sigap_cache_lookups_total", "Cache lookups by cache (tiles, site_tiles, progress) and result (hit, miss)"), &["cache", "result"])
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"))
});

/// Counts one lookup of `cache`.
pub fn cache_lookup(cache: &'static str, hit: bool) {
    CACHE_LOOKUPS.with_label_values(&[cache, if hit { "hit" } else { "miss" }]).inc();
}

/// The hit and miss counters of one cache, looked up by label once: a hot cache (a warm tile at
/// tens of thousands of requests a second) then pays one atomic add per lookup, not a hash of
/// its labels and a lock on the label map.
pub struct CacheCounter {
    hit: prometheus::IntCounter,
    miss: prometheus::IntCounter,
}

impl CacheCounter {
    pub fn new(cache: &'static str) -> CacheCounter {
        CacheCounter { hit: CACHE_LOOKUPS.with_label_values(&[cache, "hit"]), miss: CACHE_LOOKUPS.with_label_values(&[cache, "miss"]) }
    }

    /// Counts one lookup.
    pub fn lookup(&self, hit: bool) {
        if hit { &self.hit } else { &self.miss }.inc();
    }
}

/// The metrics of one app.
pub struct Metrics {
    registry: Registry,
    requests: HistogramVec,
    pool: IntGaugeVec,
    begin_waiting: IntGauge,
    intake_queue: IntGauge,
    atlas_revision: IntGauge,
    atlas_areas: IntGaugeVec,
}

/// Latency buckets, seconds: most answers take well under 10 ms, writes and plans longer.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = HistogramVec::new(
            HistogramOpts::new("sigap_http_request_duration_seconds", "Time to the response head, by method, matched route template and status").buckets(BUCKETS.to_vec()),
            &["method", "route", "status"],
        )?;
        let pool = IntGaugeVec::new(Opts::new("sigap_db_pool_connections", "Store pool connections by state (in_use, idle, max)"), &["state"])?;
        let begin_waiting = IntGauge::new("sigap_db_begin_waiting", "Write transactions waiting to start: for a pooled connection, and on GeoPackage for the write lock (sqlx does not expose its pool's waiters)")?;
        let intake_queue = IntGauge::new("sigap_intake_queue_depth", "Complaint intakes queued for the intake writer, not yet in a transaction")?;
        let atlas_revision = IntGauge::new("sigap_atlas_revision", "Boundaries revision of the loaded atlas (the store's counter, bumped by every boundary write)")?;
        let atlas_areas = IntGaugeVec::new(Opts::new("sigap_atlas_areas", "Areas in the in-memory atlas by level"), &["level"])?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(begin_waiting.clone()))?;
        registry.register(Box::new(intake_queue.clone()))?;
        registry.register(Box::new(crate::complaints::intake::BATCH_SIZE.clone()))?;
        registry.register(Box::new(crate::complaints::intake::PHASE_SECONDS.clone()))?;
        registry.register(Box::new(crate::complaints::intake::ROUND_TRIPS.clone()))?;
        registry.register(Box::new(atlas_revision.clone()))?;
        registry.register(Box::new(atlas_areas.clone()))?;
        registry.register(Box::new(CACHE_LOOKUPS.clone()))?;
        Ok(Metrics { registry, requests, pool, begin_waiting, intake_queue, atlas_revision, atlas_areas })
    }

    fn observe(&self, method: &Method, route: &str, status: StatusCode, seconds: f64) {
        self.route_histogram(method, route, status).observe(seconds);
    }

    /// The request histogram of one method, route template and status, looked up once by a
    /// hot path that observes it itself (the warm tile path, `tiles::http::WarmTiles`).
    pub fn route_histogram(&self, method: &Method, route: &str, status: StatusCode) -> prometheus::Histogram {
        // Only the standard methods are labels; anything else is one bucket, so a client
        // cannot grow the label set.
        let m = match *method {
            Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => method.as_str(),
            _ => "OTHER",
        };
        self.requests.with_label_values(&[m, route, status.as_str()])
    }
}

/// Router-wide layer: one histogram observation per request, labelled by the route template.
/// Requests no route matched (web files, unknown paths) share the label `fallback`.
pub async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    // A clone of the matched path (a shared string), not a copy of it, on every request.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let start = Instant::now();
    let res = next.run(req).await;
    s.metrics.observe(&method, route.as_ref().map_or("fallback", MatchedPath::as_str), res.status(), start.elapsed().as_secs_f64());
    res
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Prometheus metrics: request latency per route, store pool and write waiters, intake queue
/// and batch sizes, atlas, cache lookups. No
/// personal data and no ids in any label.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String, description = "Prometheus text exposition format")))]
async fn metrics(State(s): State<AppState>) -> Response {
    let m = &s.metrics;
    let (size, idle, max) = crate::on_pool!(&s.store, p => (p.size() as i64, p.num_idle() as i64, p.options().get_max_connections() as i64));
    m.pool.with_label_values(&["in_use"]).set((size - idle).max(0));
    m.pool.with_label_values(&["idle"]).set(idle);
    m.pool.with_label_values(&["max"]).set(max);
    m.begin_waiting.set(crate::store::begin_waiting());
    m.intake_queue.set(s.intake.queued() as i64);
    let atlas = s.atlas.current();
    m.atlas_revision.set(atlas.revision());
    for l in Level::ALL {
        m.atlas_areas.with_label_values(&[l.as_str()]).set(atlas.len(l) as i64);
    }
    let mut buf = Vec::new();
    let encoder = TextEncoder::new();
    match encoder.encode(&m.registry.gather(), &mut buf) {
        Ok(()) => ([(header::CONTENT_TYPE, encoder.format_type().to_string())], buf).into_response(),
        Err(e) => super::Problem::internal(e).into_response(),
    }
}
