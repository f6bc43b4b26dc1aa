//! The offline basemap: one tile layer `basemap` with the MVT layers `sea` and `land` from the
//! atlas, `roads` from the OSM road network (`crate::roads`, read once), and `places` (a label
//! point per area) — so the public map shows where things are, and what they are called,
//! without any online tile server (`SIGAP_BASEMAP` can still put an online raster under it).
//!
//! **Places.** One point per kota, kecamatan, kelurahan and RW, inside its drawn outline (geo's
//! `InteriorPoint` of its largest part: always inside, unlike a centroid), with `level`, `kode`
//! and `label` (the name without "Kota/Kabupaten Administrasi"). A level's points are in the
//! tiles from [`place_min_zoom`] on, each in the one tile that contains it (no buffer copies,
//! so a label is never placed twice); the page shows each level's labels at the zooms where
//! that level is the choropleth and lets MapLibre's collision detection thin them.
//!
//! **Roads by zoom.** A road appears from the zoom where it stops being clutter
//! ([`road_min_zoom`]): motorway, trunk and primary from the start, secondary from 11, tertiary
//! from 12, residential streets from 13, service roads and paths from 14. Geometry is simplified
//! per tile like the boundary layers (Douglas–Peucker, one tile unit), so a z10 tile carries the
//! arterial network in a few kB while z14+ carries every street. Street names ride along for the
//! map's labels.
//!
//! **Land and sea from the atlas.** `land` is the union of every kota as the map draws it (the
//! dissolved kelurahan, islands of Kepulauan Seribu included). The atlas knows DKI only, not the
//! neighbouring provinces, so `sea` is built as what lies north of the mainland's coast: for each
//! longitude step the northernmost boundary point of the mainland is taken as the coast (pushed
//! [`SEA_OVERLAP_DEG`] inland so no sliver shows between sea and land, which is drawn over it),
//! closed northwards, plus the open Java Sea around Kepulauan Seribu north of
//! [`OPEN_SEA_SOUTH`]. Land outside DKI is the map's neutral background.

use super::index::world_geometry;
use super::mvt::{encode_tile, LayerBuilder, Prop};
use super::tile::{to_world, TileId, WorldRect, BUFFER};
use crate::roads::{RoadClass, RoadSegment};
use crate::wilayah::{AreaCode, Atlas, Level};
use geo::{Area as _, BooleanOps, BoundingRect, Coord, InteriorPoint, LineString, MapCoords, MultiPolygon, Polygon};
use std::collections::HashMap;
use rstar::{RTree, RTreeObject, AABB};

/// Name of the basemap in tile URLs (`/tiles/basemap/{z}/{x}/{y}.mvt`); not a site layer name.
pub const LAYER: &str = "basemap";

/// The first zoom at which a road class is drawn (`_link` ramps one zoom after their road).
pub fn road_min_zoom(class: RoadClass, link: bool) -> u8 {
    let z = match class {
        RoadClass::Motorway | RoadClass::Trunk | RoadClass::Primary => 0,
        RoadClass::Secondary => 11,
        RoadClass::Tertiary => 12,
        RoadClass::Unclassified | RoadClass::Residential | RoadClass::LivingStreet | RoadClass::Construction | RoadClass::Other => 13,
        RoadClass::Service | RoadClass::Path => 14,
    };
    if link {
        z.max(11) + 1
    } else {
        z
    }
}

/// Degrees the sea polygon reaches inland past the coast, hidden under `land`.
pub const SEA_OVERLAP_DEG: f64 = 0.002;
/// Longitude step of the coast trace (≈ 55 m).
pub const COAST_STEP_DEG: f64 = 0.0005;
/// South edge of the open sea drawn around Kepulauan Seribu, west and east of the mainland's
/// coast: north of it the Java Sea is open water from Tangerang to Bekasi (the coasts of Banten
/// and West Java stay south of about -5.93°).
pub const OPEN_SEA_SOUTH: f64 = -5.97;
const OPEN_SEA: [f64; 4] = [106.2, OPEN_SEA_SOUTH, 106.98, -5.0];
const NORTH_EDGE: f64 = -5.0;

struct Road {
    order: u64,
    class: RoadClass,
    link: bool,
    name: Option<String>,
    min_zoom: u8,
    world: LineString<f64>,
    bbox: WorldRect,
}

impl RTreeObject for Road {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.bbox.envelope()
    }
}

/// The road network projected to world coordinates in one R-tree; built once per process (the
/// road file does not change while sigap runs).
pub struct RoadIndex {
    tree: RTree<Road>,
}

impl RoadIndex {
    pub fn new(segments: &[RoadSegment]) -> RoadIndex {
        let roads = segments
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let world = s.line.map_coords(|c| {
                    let (x, y) = to_world(c.x, c.y);
                    Coord { x, y }
                });
                let r = world.bounding_rect()?;
                Some(Road {
                    order: i as u64 + 1,
                    class: s.class,
                    link: s.link,
                    name: s.name.clone(),
                    min_zoom: road_min_zoom(s.class, s.link),
                    bbox: WorldRect { min_x: r.min().x, min_y: r.min().y, max_x: r.max().x, max_y: r.max().y },
                    world,
                })
            })
            .collect();
        RoadIndex { tree: RTree::bulk_load(roads) }
    }

    pub fn empty() -> RoadIndex {
        RoadIndex { tree: RTree::new() }
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The `roads` MVT layer of one tile: the roads drawn at this zoom, in file order (the same
    /// data gives the same bytes), each with `class` (`motorway` … `path`), `link` when it is a
    /// ramp, and `name` when the source has one.
    fn layer(&self, tile: TileId) -> LayerBuilder {
        let b = tile.world_bounds(BUFFER);
        let env = b.envelope();
        let mut hits: Vec<&Road> = self.tree.locate_in_envelope_intersecting(&env).filter(|r| r.min_zoom <= tile.z).collect();
        hits.sort_by_key(|r| r.order);
        let mut layer = LayerBuilder::new("roads");
        for r in hits {
            let mut props = vec![("class", Prop::Str(r.class.as_str().to_string()))];
            if r.link {
                props.push(("link", Prop::Bool(true)));
            }
            if let Some(n) = &r.name {
                props.push(("name", Prop::Str(n.clone())));
            }
            layer.add_line(tile, &r.world, r.order, &props);
        }
        layer
    }
}

/// The first zoom whose basemap tiles carry the label points of a level.
pub fn place_min_zoom(level: Level) -> u8 {
    match level {
        Level::Kota => 0,
        Level::Kecamatan => 10,
        Level::Kelurahan => 12,
        Level::Rw => 14,
    }
}

struct Place {
    id: u64,
    level: Level,
    kode: String,
    label: String,
    world: (f64, f64),
}

impl RTreeObject for Place {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point([self.world.0, self.world.1])
    }
}

/// The label points of one atlas (see the module doc).
pub struct Places {
    tree: RTree<Place>,
}

/// The name a map label shows: without the "Kota Administrasi " / "Kabupaten Administrasi " prefix.
pub fn short_label(name: &str) -> &str {
    name.strip_prefix("Kota Administrasi ").or_else(|| name.strip_prefix("Kabupaten Administrasi ")).unwrap_or(name)
}

impl Places {
    /// `display` holds the drawn geometry of the areas that are drawn dissolved (kota, kecamatan).
    pub fn new(atlas: &Atlas, display: &HashMap<AreaCode, MultiPolygon<f64>>) -> Places {
        let places = atlas
            .all()
            .iter()
            .filter_map(|a| {
                let g = display.get(&a.code).unwrap_or(&a.geometry);
                let largest = g.0.iter().max_by(|x, y| x.unsigned_area().total_cmp(&y.unsigned_area()))?;
                let p = largest.interior_point()?;
                Some(Place {
                    id: super::index::feature_id(a.code.as_str()),
                    level: a.level,
                    kode: a.code.to_string(),
                    label: short_label(&a.name).to_string(),
                    world: to_world(p.x(), p.y()),
                })
            })
            .collect();
        Places { tree: RTree::bulk_load(places) }
    }

    pub fn empty() -> Places {
        Places { tree: RTree::new() }
    }

    /// The `places` MVT layer of one tile: the points inside the tile (not its buffer) of the
    /// levels shown at this zoom, coarse levels first, then by code.
    fn layer(&self, tile: TileId) -> LayerBuilder {
        let b = tile.world_bounds(0);
        let env = b.envelope();
        let mut hits: Vec<&Place> = self
            .tree
            .locate_in_envelope(&env)
            // Half-open, so a point on a tile edge belongs to exactly one tile.
            .filter(|p| place_min_zoom(p.level) <= tile.z && p.world.0 < b.max_x && p.world.1 < b.max_y)
            .collect();
        hits.sort_by(|a, b| (a.level, &a.kode).cmp(&(b.level, &b.kode)));
        let mut layer = LayerBuilder::new("places");
        for p in hits {
            let props = [("level", Prop::Str(p.level.as_str().to_string())), ("kode", Prop::Str(p.kode.clone())), ("label", Prop::Str(p.label.clone()))];
            layer.add_point(tile, p.world, p.id, &props);
        }
        layer
    }
}

/// Land and sea in world coordinates, made from one atlas (see the module doc).
pub struct Shores {
    land: MultiPolygon<f64>,
    sea: MultiPolygon<f64>,
}

impl Shores {
    /// `kota` are the kota geometries as the map draws them (lon/lat).
    pub fn new<'a>(kota: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> Shores {
        let land = geo::unary_union(kota);
        let sea = sea_north_of(&land);
        Shores { land: world_geometry(&land), sea: world_geometry(&sea) }
    }

    pub fn empty() -> Shores {
        Shores { land: MultiPolygon(vec![]), sea: MultiPolygon(vec![]) }
    }
}

/// The sea north of the largest polygon of `land` (the mainland), joined with the open sea box;
/// empty when there is no land.
pub fn sea_north_of(land: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let Some(mainland) = land.0.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area())) else {
        return MultiPolygon(vec![]);
    };
    let Some(r) = mainland.bounding_rect() else { return MultiPolygon(vec![]) };
    let edges: Vec<(Coord<f64>, Coord<f64>)> = mainland.exterior().lines().map(|l| (l.start, l.end)).collect();
    let steps = ((r.max().x - r.min().x) / COAST_STEP_DEG).ceil().max(1.0) as usize;
    let mut coast: Vec<Coord<f64>> = Vec::with_capacity(steps + 3);
    for i in 0..=steps {
        let x = (r.min().x + i as f64 * COAST_STEP_DEG).min(r.max().x);
        // The northernmost crossing of this meridian with the mainland's outline.
        let north = edges
            .iter()
            .filter(|(a, b)| (a.x.min(b.x)..=a.x.max(b.x)).contains(&x))
            .map(|(a, b)| if a.x == b.x { a.y.max(b.y) } else { a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x) })
            .fold(f64::NEG_INFINITY, f64::max);
        if north.is_finite() {
            coast.push(Coord { x, y: north - SEA_OVERLAP_DEG });
        }
    }
    let (Some(first), Some(last)) = (coast.first().copied(), coast.last().copied()) else { return MultiPolygon(vec![]) };
    coast.push(Coord { x: last.x, y: NORTH_EDGE });
    coast.push(Coord { x: first.x, y: NORTH_EDGE });
    coast.push(first);
    let strip = Polygon::new(LineString::new(coast), vec![]);
    let [w, s, e, n] = OPEN_SEA;
    let open = geo::Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n }).to_polygon();
    strip.union(&open)
}

/// Encodes one basemap tile: `sea`, `land`, `roads` and `places`, in drawing order; None when empty.
pub fn render(roads: &RoadIndex, shores: &Shores, places: &Places, tile: TileId) -> Option<Vec<u8>> {
    let mut layers = Vec::with_capacity(4);
    for (name, g) in [("sea", &shores.sea), ("land", &shores.land)] {
        let mut l = LayerBuilder::new(name);
        l.add_polygon(tile, g, 1, &[]);
        layers.push(l.finish());
    }
    layers.push(roads.layer(tile).finish());
    layers.push(places.layer(tile).finish());
    encode_tile(layers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::mvt::decode;
    use geo::{polygon, Contains, Point};

    fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
        let (x, y) = to_world(lon, lat);
        let n = (1u64 << z) as f64;
        TileId { z, x: (x * n) as u32, y: (y * n) as u32 }
    }

    fn seg(class: &str, name: Option<&str>, pts: &[(f64, f64)]) -> RoadSegment {
        let (class, link) = RoadClass::from_osm(class);
        RoadSegment { class, link, name: name.map(str::to_string), oneway: crate::roads::Oneway::Both, lanes: None, line: LineString::from(pts.to_vec()) }
    }

    #[test]
    fn roads_appear_by_class_and_zoom_with_names() {
        let roads = RoadIndex::new(&[
            seg("primary", Some("Jalan Medan Merdeka Barat"), &[(106.820, -6.170), (106.822, -6.180)]),
            seg("residential", Some("Jalan Kebon Sirih"), &[(106.825, -6.176), (106.828, -6.177)]),
            seg("motorway_link", None, &[(106.823, -6.175), (106.824, -6.176)]),
        ]);
        let classes = |z: u8| -> Vec<String> {
            let Some(bytes) = render(&roads, &Shores::empty(), &Places::empty(), tile_of(106.824, -6.176, z)) else { return vec![] };
            let layers = decode(&bytes).unwrap();
            let roads = layers.iter().find(|l| l.0 == "roads").unwrap();
            roads.2.iter().map(|f| f.prop("class").and_then(Prop::as_str).unwrap().to_string()).collect()
        };
        assert_eq!(classes(10), ["primary"]);
        assert_eq!(classes(12), ["primary", "motorway"], "the ramp from 12, after its road");
        assert_eq!(classes(14), ["primary", "residential", "motorway"]);
        let layers = decode(&render(&roads, &Shores::empty(), &Places::empty(), tile_of(106.824, -6.176, 14)).unwrap()).unwrap();
        let f = &layers[0].2;
        assert_eq!(f[0].prop("name").and_then(Prop::as_str), Some("Jalan Medan Merdeka Barat"));
        assert_eq!(f[0].geom_type, geozero::mvt::tile::GeomType::Linestring as i32);
        assert_eq!(f[2].prop("link"), Some(&Prop::Bool(true)));
        assert!(f[2].prop("name").is_none());
        // Far from every road and shore: nothing.
        assert!(render(&roads, &Shores::empty(), &Places::empty(), tile_of(110.0, -7.0, 14)).is_none());
    }

    #[test]
    fn a_long_road_is_clipped_to_each_tile_and_continues_in_the_next() {
        let roads = RoadIndex::new(&[seg("primary", None, &[(106.70, -6.20), (106.95, -6.20)])]);
        let t = tile_of(106.8, -6.2, 14);
        let layers = decode(&render(&roads, &Shores::empty(), &Places::empty(), t).unwrap()).unwrap();
        let line = &layers[0].2[0].rings[0];
        let (e, b) = (crate::tiles::tile::EXTENT as i32, BUFFER as i32);
        assert_eq!(line.len(), 2);
        assert!(line.iter().all(|&(x, _)| x == -b || x == e + b), "ends on the buffered edges: {line:?}");
        let next = TileId { x: t.x + 1, ..t };
        assert!(render(&roads, &Shores::empty(), &Places::empty(), next).is_some());
    }

    #[test]
    fn each_label_point_is_in_exactly_one_tile_from_its_level_s_zoom() {
        use crate::wilayah::{Area, AtlasConfig};
        let area = |code: &str, name: &str, lon: f64, lat: f64, d: f64| {
            let code = AreaCode::parse(code).unwrap();
            let g = MultiPolygon(vec![polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]]);
            Area { level: code.level(), parent: code.parent(), code, name: name.into(), geometry: g, generated: false, source: None, year: None }
        };
        let atlas = Atlas::new(
            vec![
                area("31.71", "Kota Administrasi Jakarta Pusat", 106.00, -6.60, 0.30),
                area("31.71.01.1001", "Gambir", 106.80, -6.20, 0.02),
                area("31.71.01.1001.001", "RW 001", 106.80, -6.20, 0.004),
            ],
            AtlasConfig::default(),
        );
        let places = Places::new(&atlas, &HashMap::new());
        let labels = |t: TileId| -> Vec<(String, String)> {
            let Some(bytes) = render(&RoadIndex::empty(), &Shores::empty(), &places, t) else { return vec![] };
            decode(&bytes).unwrap().iter().filter(|l| l.0 == "places").flat_map(|l| l.2.iter()).map(|f| {
                (f.prop("level").and_then(Prop::as_str).unwrap().to_string(), f.prop("label").and_then(Prop::as_str).unwrap().to_string())
            }).collect()
        };
        // Every label of the level shown at z, summed over a block of tiles around them: once each.
        let count = |z: u8| -> Vec<(String, String)> {
            let c = tile_of(106.80, -6.20, z);
            let mut all: Vec<_> = (c.x - 4..=c.x + 4).flat_map(|x| (c.y - 4..=c.y + 4).map(move |y| TileId { z, x, y })).flat_map(labels).collect();
            all.sort();
            all
        };
        assert!(count(11).is_empty() || count(11).iter().all(|(l, _)| l == "kota"));
        let z12 = count(12);
        assert_eq!(z12, [("kelurahan".to_string(), "Gambir".to_string())], "the kota point lies outside the block; no RW before 14");
        let z14 = count(14);
        assert_eq!(z14.iter().filter(|(l, _)| l == "rw").count(), 1, "{z14:?}");
        assert_eq!(z14.iter().filter(|(_, n)| n == "Gambir").count(), 1, "{z14:?}");
        // The kota's point, wherever it is, is labelled without "Kota Administrasi".
        let kota = places.tree.iter().find(|p| p.level == Level::Kota).unwrap();
        assert_eq!(kota.label, "Jakarta Pusat");
        assert_eq!(short_label("Kabupaten Administrasi Kepulauan Seribu"), "Kepulauan Seribu");
    }

    #[test]
    fn the_sea_lies_north_of_the_coast_and_not_over_land_inland() {
        // A mainland whose north coast is a diagonal, and one small island far north-west.
        let mainland = MultiPolygon(vec![polygon![(x: 106.70, y: -6.40), (x: 106.95, y: -6.40), (x: 106.95, y: -6.05), (x: 106.70, y: -6.10), (x: 106.70, y: -6.40)]]);
        let sea = sea_north_of(&mainland);
        assert!(sea.contains(&Point::new(106.80, -6.00)), "north of the coast is sea");
        assert!(sea.contains(&Point::new(106.50, -5.60)), "the open sea around Kepulauan Seribu");
        assert!(!sea.contains(&Point::new(106.80, -6.20)), "inland is not sea");
        assert!(!sea.contains(&Point::new(106.50, -6.20)), "land outside DKI, west, is not sea");
        // The coast at 106.80 is at -6.08; the sea reaches half the overlap under it.
        assert!(sea.contains(&Point::new(106.80, -6.08 - SEA_OVERLAP_DEG / 2.0)), "the sea reaches under the coast");
        assert!(sea_north_of(&MultiPolygon(vec![])).0.is_empty());
    }
}
