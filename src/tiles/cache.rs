//! The tile service: renders tiles from the current atlas and keeps them in a moka cache.
//!
//! A boundary edit drops exactly the cached tiles whose buffered square meets the edited area's
//! old or new bounding box, at every zoom, in that area's layer — the same rule `render` uses to
//! pick features, so no tile that could show the area survives and no other tile is dropped.
//! A generation counter stops a render that started before an edit from caching stale bytes.

use super::index::TileIndex;
use super::tile::{TileId, WorldRect, BUFFER};
use crate::wilayah::{Atlas, AtlasHandle, Level};
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use super::basemap::{self, RoadIndex};
use super::sites::{self, SiteSource};
use std::collections::HashMap;
use std::path::PathBuf;
use crate::api::metrics::CacheCounter;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock};

/// A rendered tile: the MVT bytes and, made on first use, their gzip encoding.
#[derive(Debug)]
pub struct RenderedTile {
    /// `Bytes`, not `Vec`: a response shares the cached buffer instead of copying it (warm path).
    pub body: Option<Bytes>,
    /// Compressed when a client first asks for gzip, not at render: a client that does not take
    /// gzip (a tile seeder, another server) then costs no compression, and a cold tile is
    /// answered sooner.
    gzip: OnceLock<Option<Bytes>>,
    /// Content hash; the ETag is this, quoted, with `-gz` for the gzip representation.
    pub hash: String,
    /// The two ETag header values, made once per rendered tile rather than once per request.
    pub etag: HeaderValue,
    pub etag_gz: HeaderValue,
    /// The whole header block of the 200 (or 204) answer, identity and gzip, built once per
    /// rendered tile: a warm answer clones it (two allocations, no header name hashed) instead
    /// of assembling seven headers per request.
    pub(super) head: HeaderMap,
    pub(super) head_gz: HeaderMap,
}

impl RenderedTile {
    fn new(body: Option<Vec<u8>>) -> RenderedTile {
        let hash = match &body {
            Some(b) => Sha256::digest(b).iter().take(12).map(|x| format!("{x:02x}")).collect(),
            None => "empty".to_string(),
        };
        let etag = HeaderValue::from_str(&format!("\"{hash}\"")).unwrap_or(HeaderValue::from_static("\"0\""));
        let etag_gz = HeaderValue::from_str(&format!("\"{hash}-gz\"")).unwrap_or(HeaderValue::from_static("\"0-gz\""));
        let empty = body.is_none();
        let head = super::http::tile_head((!empty).then_some(&etag), false);
        let head_gz = super::http::tile_head((!empty).then_some(&etag_gz), true);
        RenderedTile { body: body.map(Bytes::from), gzip: OnceLock::new(), hash, etag, etag_gz, head, head_gz }
    }

    /// The gzip encoding of `body` (None for an empty tile), compressed on the first call.
    pub fn gzip(&self) -> Option<&Bytes> {
        self.gzip
            .get_or_init(|| {
                let b = self.body.as_ref()?;
                let mut enc = GzEncoder::new(Vec::with_capacity(b.len() / 2 + 64), flate2::Compression::fast());
                enc.write_all(b).ok()?;
                enc.finish().ok().map(Bytes::from)
            })
            .as_ref()
    }
}

static TILE_LOOKUPS: LazyLock<CacheCounter> = LazyLock::new(|| CacheCounter::new("tiles"));
static BASEMAP_LOOKUPS: LazyLock<CacheCounter> = LazyLock::new(|| CacheCounter::new("basemap_tiles"));
static SITE_LOOKUPS: LazyLock<CacheCounter> = LazyLock::new(|| CacheCounter::new("site_tiles"));

pub type CacheKey = (Level, TileId);
pub type SiteKey = (String, TileId);

struct Inner {
    atlas: AtlasHandle,
    cache: moka::sync::Cache<CacheKey, Arc<RenderedTile>>,
    /// The index of the atlas it was built from; rebuilt when the handle holds a new atlas.
    index: Mutex<Option<(Arc<Atlas>, Arc<TileIndex>)>>,
    generation: AtomicU64,
    /// Held for writing while invalidating, for reading while inserting.
    gate: RwLock<()>,
    sites: RwLock<HashMap<String, Arc<dyn SiteSource>>>,
    site_cache: moka::sync::Cache<SiteKey, Arc<RenderedTile>>,
    /// The road file of the basemap (None: a basemap of land and sea only).
    roads_path: Option<PathBuf>,
    /// The roads, read on first use (`warm_basemap` at start) and kept: the file never changes.
    roads: OnceLock<Arc<RoadIndex>>,
    /// Basemap tiles; all dropped when any area changed (land, sea, label points).
    basemap_cache: moka::sync::Cache<TileId, Arc<RenderedTile>>,
}

#[derive(Clone)]
pub struct TileService(Arc<Inner>);

/// Default number of tiles kept (they are small: a few kB each).
pub const DEFAULT_CAPACITY: u64 = 20_000;

impl TileService {
    pub fn new(atlas: AtlasHandle, capacity: u64) -> TileService {
        TileService::with_roads(atlas, capacity, None)
    }

    /// A tile service whose basemap draws the roads of `roads` (`crate::roads` format).
    pub fn with_roads(atlas: AtlasHandle, capacity: u64, roads: Option<PathBuf>) -> TileService {
        TileService(Arc::new(Inner {
            atlas,
            cache: moka::sync::Cache::new(capacity),
            index: Mutex::new(None),
            generation: AtomicU64::new(0),
            gate: RwLock::new(()),
            sites: RwLock::new(HashMap::new()),
            site_cache: moka::sync::Cache::new(capacity),
            roads_path: roads,
            roads: OnceLock::new(),
            basemap_cache: moka::sync::Cache::new(capacity),
        }))
    }

    /// The road index, read from the road file on first use. A missing or broken file is logged
    /// once and gives a basemap without roads rather than failing the map.
    pub fn roads(&self) -> Arc<RoadIndex> {
        self.0
            .roads
            .get_or_init(|| {
                let Some(path) = &self.0.roads_path else { return Arc::new(RoadIndex::empty()) };
                match crate::roads::read_roads(path) {
                    Ok(segments) => Arc::new(RoadIndex::new(&segments)),
                    Err(e) => {
                        tracing::warn!(error = %e, "basemap without roads");
                        Arc::new(RoadIndex::empty())
                    }
                }
            })
            .clone()
    }

    /// Reads the roads and indexes the atlas now, so the first visitor does not wait for it.
    pub fn warm_basemap(&self) {
        self.roads();
        self.index();
    }

    /// A basemap tile if it is cached (a hit is counted; a miss is counted by `get_basemap`).
    /// Cheap and non-blocking: the HTTP handler answers hits on the async worker itself.
    pub fn hit_basemap(&self, tile: TileId) -> Option<Arc<RenderedTile>> {
        let t = self.0.basemap_cache.get(&tile);
        if t.is_some() {
            BASEMAP_LOOKUPS.lookup(true);
        }
        t
    }

    /// A basemap tile (land, sea, roads) from the cache, or rendered now and cached.
    pub fn get_basemap(&self, tile: TileId) -> Arc<RenderedTile> {
        if let Some(t) = self.hit_basemap(tile) {
            return t;
        }
        BASEMAP_LOOKUPS.lookup(false);
        let generation = self.0.generation.load(Ordering::SeqCst);
        let rendered = Arc::new(RenderedTile::new({
            let index = self.index();
            basemap::render(&self.roads(), &index.shores, &index.places, tile)
        }));
        let _gate = self.0.gate.read();
        if self.0.generation.load(Ordering::SeqCst) == generation {
            self.0.basemap_cache.insert(tile, rendered.clone());
        }
        rendered
    }

    /// The tile index of the current atlas (built on first use after a change).
    pub fn index(&self) -> Arc<TileIndex> {
        let atlas = self.0.atlas.current();
        let mut g = match self.0.index.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match &*g {
            Some((a, idx)) if Arc::ptr_eq(a, &atlas) => idx.clone(),
            _ => {
                let idx = Arc::new(TileIndex::new(&atlas));
                *g = Some((atlas, idx.clone()));
                idx
            }
        }
    }

    /// A boundary tile if it is cached (a hit is counted; a miss is counted by `get`). Cheap and
    /// non-blocking: the HTTP handler answers hits on the async worker itself.
    pub fn hit(&self, level: Level, tile: TileId) -> Option<Arc<RenderedTile>> {
        let t = self.0.cache.get(&(level, tile));
        if t.is_some() {
            TILE_LOOKUPS.lookup(true);
        }
        t
    }

    /// The tile from the cache, or rendered now and cached.
    pub fn get(&self, level: Level, tile: TileId) -> Arc<RenderedTile> {
        let key = (level, tile);
        if let Some(t) = self.hit(level, tile) {
            return t;
        }
        TILE_LOOKUPS.lookup(false);
        // Read the generation before the atlas: an edit committed after this point bumps it.
        let generation = self.0.generation.load(Ordering::SeqCst);
        let rendered = Arc::new(RenderedTile::new(self.index().render(level, tile)));
        let _gate = self.0.gate.read();
        if self.0.generation.load(Ordering::SeqCst) == generation {
            self.0.cache.insert(key, rendered.clone());
        }
        rendered
    }

    /// Drops the cached tiles of `levels` whose buffered square meets any of `boxes`; returns them.
    pub fn invalidate(&self, levels: &[Level], boxes: &[WorldRect]) -> Vec<CacheKey> {
        self.drop_where(!boxes.is_empty(), |(l, t)| levels.contains(l) && boxes.iter().any(|b| t.world_bounds(BUFFER).intersects(b)))
    }

    /// Drops the cached tiles matching `doomed` (and every basemap tile when an area changed)
    /// under the gate, bumping the generation so no
    /// render that started earlier caches what it drew from the old atlas.
    fn drop_where(&self, basemap_changed: bool, doomed: impl Fn(&CacheKey) -> bool) -> Vec<CacheKey> {
        let _gate = self.0.gate.write();
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        let doomed: Vec<CacheKey> = self.0.cache.iter().map(|(k, _)| *k).filter(|k| doomed(k)).collect();
        // The basemap draws every area's label point, and land and sea as the union of every kota
        // with the coast traced along it (an outline change can move the coast anywhere along
        // that meridian): any area change drops every basemap tile (they are re-rendered in a
        // few ms; boundary edits are rare).
        if basemap_changed {
            self.0.basemap_cache.invalidate_all();
        }
        for k in &doomed {
            self.0.cache.invalidate(k);
        }
        doomed
    }

    /// Call after a boundary of `level` changed from `old` to `new` (lon/lat geometries).
    /// A kelurahan edit also drops the kecamatan and kota tiles over its boxes: those layers draw
    /// the dissolve of their kelurahan (see `dissolve`), which changes only there.
    pub fn boundary_changed(&self, level: Level, old: Option<&geo::MultiPolygon<f64>>, new: Option<&geo::MultiPolygon<f64>>) -> Vec<CacheKey> {
        let boxes: Vec<WorldRect> = [old, new].into_iter().flatten().filter_map(WorldRect::of_lonlat).collect();
        self.invalidate(&affected_layers(level), &boxes)
    }

    /// Call after the atlas was swapped from `old` to `new` (a reload: this process's edit, another
    /// process's, an import): drops, in one pass, the tiles of every area added, removed or
    /// reshaped or renamed between the two, by the same rule as `boundary_changed`. Returns them.
    pub fn atlas_changed(&self, old: &Atlas, new: &Atlas) -> Vec<CacheKey> {
        let mut boxes: HashMap<Level, Vec<WorldRect>> = HashMap::new();
        let mut add = |level: Level, g: &geo::MultiPolygon<f64>| {
            if let Some(r) = WorldRect::of_lonlat(g) {
                for l in affected_layers(level) {
                    boxes.entry(l).or_default().push(r);
                }
            }
        };
        for a in new.all() {
            match old.get(&a.code) {
                // Tiles carry the name, the generated flag, source and year too.
                Some(o) if o.geometry == a.geometry && o.name == a.name && o.generated == a.generated && o.source == a.source && o.year == a.year => {}
                Some(o) => {
                    add(a.level, &o.geometry);
                    add(a.level, &a.geometry);
                }
                None => add(a.level, &a.geometry),
            }
        }
        for o in old.all().iter().filter(|o| new.get(&o.code).is_none()) {
            add(o.level, &o.geometry);
        }
        if boxes.is_empty() {
            return Vec::new();
        }
        self.drop_where(true, |(l, t)| boxes.get(l).is_some_and(|bs| bs.iter().any(|b| t.world_bounds(BUFFER).intersects(b))))
    }

    /// Plugs a point layer into /tiles (see `sites`); replaces one of the same name.
    pub fn register_site_layer(&self, name: &str, source: Arc<dyn SiteSource>) -> Result<(), String> {
        if !sites::valid_name(name) {
            return Err(format!("`{name}` cannot name a site layer (lowercase a-z, 0-9, _; not a boundary layer)"));
        }
        let mut g = self.0.sites.write().unwrap_or_else(|p| p.into_inner());
        g.insert(name.to_string(), source);
        drop(g);
        let _gate = self.0.gate.write();
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        for (k, _) in self.0.site_cache.iter() {
            if k.0 == name {
                self.0.site_cache.invalidate(&*k);
            }
        }
        Ok(())
    }

    pub fn has_site_layer(&self, name: &str) -> bool {
        self.0.sites.read().unwrap_or_else(|p| p.into_inner()).contains_key(name)
    }

    /// A tile of a registered site layer; None when no such layer is registered.
    pub fn get_site(&self, name: &str, tile: TileId) -> Option<Arc<RenderedTile>> {
        let source = self.0.sites.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()?;
        let key = (name.to_string(), tile);
        if let Some(t) = self.0.site_cache.get(&key) {
            SITE_LOOKUPS.lookup(true);
            return Some(t);
        }
        SITE_LOOKUPS.lookup(false);
        let generation = self.0.generation.load(Ordering::SeqCst);
        let rendered = Arc::new(RenderedTile::new(sites::render(name, source.as_ref(), tile)));
        let _gate = self.0.gate.read();
        if self.0.generation.load(Ordering::SeqCst) == generation {
            self.0.site_cache.insert(key, rendered.clone());
        }
        Some(rendered)
    }

    /// Lets the source of a site layer catch up with its store (`SiteSource::refresh`) and drops
    /// the cached tiles around what changed; called before a site tile is served.
    pub async fn refresh_site(&self, name: &str) {
        let Some(source) = self.0.sites.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned() else { return };
        let changed = source.refresh().await;
        self.sites_changed_in(&changed);
    }

    /// `sites_changed` for points of several layers: (layer, lon, lat).
    pub fn sites_changed_in(&self, changed: &[(String, f64, f64)]) {
        let mut layers: Vec<&str> = changed.iter().map(|c| c.0.as_str()).collect();
        layers.sort_unstable();
        layers.dedup();
        for layer in layers {
            let points: Vec<(f64, f64)> = changed.iter().filter(|c| c.0 == layer).map(|c| (c.1, c.2)).collect();
            self.sites_changed(layer, &points);
        }
    }

    /// Call after sites of a layer were added, moved (old and new position) or removed.
    pub fn sites_changed(&self, name: &str, points: &[(f64, f64)]) -> Vec<SiteKey> {
        let _gate = self.0.gate.write();
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        let world: Vec<(f64, f64)> = points.iter().map(|&(lon, lat)| super::tile::to_world(lon, lat)).collect();
        let doomed: Vec<SiteKey> = self
            .0
            .site_cache
            .iter()
            .filter(|(k, _)| {
                let b = k.1.world_bounds(BUFFER);
                k.0 == name && world.iter().any(|&(x, y)| b.intersects(&WorldRect { min_x: x, min_y: y, max_x: x, max_y: y }))
            })
            .map(|(k, _)| (*k).clone())
            .collect();
        for k in &doomed {
            self.0.site_cache.invalidate(k);
        }
        doomed
    }

    /// How many basemap tiles are cached now (for tests and diagnostics).
    pub fn cached_basemap(&self) -> u64 {
        self.0.basemap_cache.run_pending_tasks();
        self.0.basemap_cache.entry_count()
    }

    /// What is cached now (for tests and diagnostics).
    pub fn cached(&self) -> Vec<CacheKey> {
        self.0.cache.run_pending_tasks();
        let mut v: Vec<CacheKey> = self.0.cache.iter().map(|(k, _)| *k).collect();
        v.sort();
        v
    }
}

/// The tile layers whose drawing depends on a boundary of `level`.
pub fn affected_layers(level: Level) -> Vec<Level> {
    match level {
        Level::Kelurahan => vec![Level::Kelurahan, Level::Kecamatan, Level::Kota],
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::tile::to_world;
    use crate::wilayah::{Area, AreaCode, AtlasConfig};
    use geo::{polygon, MultiPolygon};

    fn sq(lon: f64, lat: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]])
    }

    fn kel(code: &str, g: MultiPolygon<f64>) -> Area {
        let code = AreaCode::parse(code).unwrap();
        Area { level: code.level(), parent: code.parent(), code, name: "K".into(), geometry: g, generated: false, source: None, year: None }
    }

    fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
        let (x, y) = to_world(lon, lat);
        let n = (1u64 << z) as f64;
        TileId { z, x: (x * n) as u32, y: (y * n) as u32 }
    }

    #[test]
    fn an_edit_drops_exactly_the_tiles_of_the_old_and_new_box() {
        let a = sq(106.80, -6.20, 0.01);
        let b = sq(106.90, -6.30, 0.01);
        // The stored kota is a coarse square; its tiles draw the dissolve of A and B instead.
        let kota = kel("31.71", sq(106.70, -6.40, 0.30));
        let handle = AtlasHandle::new(Atlas::new(vec![kota.clone(), kel("31.71.01.1001", a.clone()), kel("31.71.01.1002", b.clone())], AtlasConfig::default()));
        let svc = TileService::new(handle.clone(), 1000);
        let mut keys = Vec::new();
        for z in [10u8, 12, 14, 16] {
            for (lon, lat) in [(106.8005, -6.195), (106.905, -6.295), (106.85, -6.25)] {
                for level in [Level::Kelurahan, Level::Kota, Level::Rw] {
                    keys.push((level, tile_of(lon, lat, z)));
                }
            }
        }
        keys.sort();
        keys.dedup();
        for (l, t) in &keys {
            svc.get(*l, *t);
        }
        assert_eq!(svc.cached(), keys);
        let before = svc.get(Level::Kelurahan, tile_of(106.8005, -6.195, 16)).hash.clone();
        let kota_before = svc.get(Level::Kota, tile_of(106.8005, -6.195, 16)).hash.clone();
        let land_before = svc.get_basemap(tile_of(106.8005, -6.195, 16)).hash.clone();
        svc.get_basemap(tile_of(106.95, -6.35, 12));
        assert_eq!(svc.cached_basemap(), 2);

        // Move A 0.002° east; B untouched.
        let moved = sq(106.802, -6.20, 0.01);
        handle.replace(Atlas::new(vec![kota, kel("31.71.01.1001", moved.clone()), kel("31.71.01.1002", b)], AtlasConfig::default()));
        let dropped = svc.boundary_changed(Level::Kelurahan, Some(&a), Some(&moved));
        let boxes = [WorldRect::of_lonlat(&a).unwrap(), WorldRect::of_lonlat(&moved).unwrap()];
        let expect: Vec<CacheKey> = keys
            .iter()
            .copied()
            .filter(|(l, t)| *l != Level::Rw && boxes.iter().any(|b| t.world_bounds(BUFFER).intersects(b)))
            .collect();
        assert!(!expect.is_empty() && expect.len() < keys.len());
        assert!(expect.iter().any(|(l, _)| *l == Level::Kota), "the kota drawn from the kelurahan is redrawn too");
        let mut got = dropped.clone();
        got.sort();
        assert_eq!(got, expect);
        let kept: Vec<CacheKey> = keys.iter().copied().filter(|k| !expect.contains(k)).collect();
        assert_eq!(svc.cached(), kept, "nothing else is dropped (rw tiles, B's tiles, the empty middle)");
        // The re-rendered tile shows the new boundary.
        assert_ne!(svc.get(Level::Kelurahan, tile_of(106.8005, -6.195, 16)).hash, before);
        assert_ne!(svc.get(Level::Kota, tile_of(106.8005, -6.195, 16)).hash, kota_before, "and so does the dissolved kota");
        // Land and sea follow the kota outlines: every basemap tile was dropped and redraws.
        assert_eq!(svc.cached_basemap(), 0);
        assert_ne!(svc.get_basemap(tile_of(106.8005, -6.195, 16)).hash, land_before);
    }

    struct Posko(Mutex<Vec<(f64, f64)>>);

    impl SiteSource for Posko {
        fn sites(&self, b: [f64; 4]) -> Vec<sites::Site> {
            let g = self.0.lock().unwrap();
            g.iter()
                .enumerate()
                .filter(|(_, p)| p.0 >= b[0] && p.0 <= b[2] && p.1 >= b[1] && p.1 <= b[3])
                .map(|(i, p)| sites::Site { id: i as u64 + 1, lon: p.0, lat: p.1, props: vec![("nama".into(), crate::tiles::mvt::Prop::Str(format!("Posko {}", i + 1)))] })
                .collect()
        }
    }

    #[test]
    fn site_layers_plug_in_render_points_and_invalidate_around_changed_points() {
        let svc = TileService::new(AtlasHandle::new(Atlas::empty()), 100);
        let posko = Arc::new(Posko(Mutex::new(vec![(106.8272, -6.1754), (106.90, -6.30)])));
        assert!(svc.register_site_layer("kelurahan", posko.clone()).is_err(), "boundary layer names are taken");
        assert!(svc.register_site_layer("Posko!", posko.clone()).is_err());
        assert!(svc.get_site("posko", tile_of(106.8272, -6.1754, 14)).is_none());
        svc.register_site_layer("posko", posko.clone()).unwrap();
        let t = tile_of(106.8272, -6.1754, 14);
        let far = tile_of(106.90, -6.30, 14);
        let layers = crate::tiles::mvt::decode(svc.get_site("posko", t).unwrap().body.as_ref().unwrap()).unwrap();
        assert_eq!(layers[0].0, "posko");
        let f = &layers[0].2;
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].geom_type, geozero::mvt::tile::GeomType::Point as i32);
        assert_eq!(f[0].id, Some(1));
        assert!(f[0].rings[0][0].0 >= 0 && f[0].rings[0][0].0 < 4096);
        assert!(svc.get_site("posko", far).unwrap().body.is_some());
        assert!(svc.get_site("posko", tile_of(106.5, -6.5, 14)).unwrap().body.is_none());
        // Moving the first posko drops its old and new tiles only.
        posko.0.lock().unwrap()[0] = (106.8500, -6.1754);
        let mut dropped = svc.sites_changed("posko", &[(106.8272, -6.1754), (106.8500, -6.1754)]);
        dropped.sort();
        assert_eq!(dropped, vec![("posko".to_string(), t)]);
        assert!(svc.get_site("posko", t).unwrap().body.is_none(), "re-rendered without the moved posko");
    }
}
