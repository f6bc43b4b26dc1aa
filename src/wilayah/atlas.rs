//! The in-memory atlas: every boundary in rstar R-trees, so locating a point never goes to SQL.
//!
//! All geometry is kept twice: in lon/lat for output, and in a local metric projection
//! (equirectangular around Jakarta) so that distances and tolerances are in metres without a
//! projection library. Over Jakarta's extent (lat −5.2…−6.4) the scale error of that
//! projection is below 0.3 %, far below the tolerances used here.

use super::code::{AreaCode, Level};
use geo::{
    BoundingRect, Contains, Coord, Distance, Euclidean, InteriorPoint, Intersects, LineString, MapCoords,
    MultiLineString, MultiPolygon, Point,
};
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Source of `Atlas::serial`: every atlas built in this process gets a new number.
static SERIAL: AtomicU64 = AtomicU64::new(1);

const LAT0: f64 = -6.2;
const LON0: f64 = 106.8;
const M_PER_DEG_LAT: f64 = 110_574.0;
/// cos(6.2°) × 111 320 m.
const M_PER_DEG_LON: f64 = 110_668.7;

/// Projects lon/lat to local metres (x east, y north) around Jakarta. The one local projection
/// of the crate: the atlas, the tile dissolve and the planner (depot ranking, sweep angles) all
/// use it, so they agree on what a metre is.
pub fn to_metric(lon: f64, lat: f64) -> Coord<f64> {
    Coord { x: (lon - LON0) * M_PER_DEG_LON, y: (lat - LAT0) * M_PER_DEG_LAT }
}

pub fn from_metric(c: Coord<f64>) -> Coord<f64> {
    Coord { x: c.x / M_PER_DEG_LON + LON0, y: c.y / M_PER_DEG_LAT + LAT0 }
}

pub fn project(g: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    g.map_coords(|c| to_metric(c.x, c.y))
}

pub fn unproject(g: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    g.map_coords(from_metric)
}

/// One boundary of the administrative hierarchy.
#[derive(Debug, Clone)]
pub struct Area {
    pub code: AreaCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<AreaCode>,
    /// WGS84 lon/lat.
    pub geometry: MultiPolygon<f64>,
    /// True for layers made by our generator (the demo RW layer), never for official boundaries.
    pub generated: bool,
    /// Where the boundary comes from, as a short key (`inasafe-osm-2012`, `generated`); None when
    /// the layer did not say. Kept per feature because one RW layer mixes real and generated RW.
    pub source: Option<String>,
    /// Year the source describes (2012 for the InaSAFE RW); None when unknown (generated RW).
    pub year: Option<i32>,
}

/// Tuning of the decisions `locate` makes; defaults are documented in the README.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct AtlasConfig {
    /// A point in no kelurahan but within this many metres of one is a `gap` (slivers between
    /// neighbours, piers, small islands); beyond it is `outside`.
    pub gap_tolerance_m: f64,
    /// A point within this many metres of another kelurahan is flagged `near_boundary`.
    pub near_boundary_m: f64,
}

impl Default for AtlasConfig {
    fn default() -> Self {
        AtlasConfig { gap_tolerance_m: 250.0, near_boundary_m: 25.0 }
    }
}

/// How `locate` decided on the kelurahan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Inside exactly one kelurahan.
    Inside,
    /// Inside two or more (the source layer is not topologically clean); the tie-break picks the
    /// kelurahan the point is deepest inside, then the smallest code.
    Overlap,
    /// Inside none, but within the gap tolerance of the nearest one, which is chosen.
    Gap,
    /// Beyond the tolerance (Tangerang, Bekasi, open sea): the nearest kelurahan is reported but
    /// the point is not in Jakarta.
    Outside,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaRef {
    pub kode: String,
    pub nama: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Neighbour {
    pub kode: String,
    pub nama: String,
    pub distance_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
    pub method: Method,
    pub kota: Option<AreaRef>,
    pub kecamatan: Option<AreaRef>,
    pub kelurahan: Option<AreaRef>,
    pub rw: Option<AreaRef>,
    /// Distance in metres from the point to the chosen kelurahan (0 when inside).
    pub distance_m: f64,
    /// Another kelurahan within `near_boundary_m`, the closest one.
    pub near_boundary: Option<Neighbour>,
    /// The other kelurahan that also contain the point (`overlap` only).
    pub others: Vec<AreaRef>,
}

impl Location {
    /// Inside Jakarta for routing purposes: everything but `outside`.
    pub fn in_jakarta(&self) -> bool {
        self.method != Method::Outside
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LocateError {
    #[error("{field} must be a finite number")]
    NotFinite { field: &'static str },
    #[error("{field} = {value} is out of range ({min}..{max})")]
    OutOfRange { field: &'static str, value: f64, min: f64, max: f64 },
    #[error("the atlas has no kelurahan loaded")]
    Empty,
}

impl LocateError {
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LocateError::NotFinite { field } | LocateError::OutOfRange { field, .. } => Some(field),
            LocateError::Empty => None,
        }
    }
}

/// Distances are reported to the centimetre: the boundaries are not more exact than that, and
/// 13 decimals of a metre only look precise.
fn to_cm(m: f64) -> f64 {
    (m * 100.0).round() / 100.0
}

/// Checks a WGS84 coordinate pair; shared by every entry point that takes lon/lat.
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<(), LocateError> {
    for (field, v, lim) in [("lon", lon, 180.0), ("lat", lat, 90.0)] {
        if !v.is_finite() {
            return Err(LocateError::NotFinite { field });
        }
        if !(-lim..=lim).contains(&v) {
            return Err(LocateError::OutOfRange { field, value: v, min: -lim, max: lim });
        }
    }
    Ok(())
}

/// R-tree entry: the projected shape of one area and its index in `Atlas::areas`.
struct Shape {
    idx: usize,
    metric: MultiPolygon<f64>,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Shape {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl PointDistance for Shape {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let d = Euclidean.distance(&Point::new(p[0], p[1]), &self.metric);
        d * d
    }
    fn contains_point(&self, p: &[f64; 2]) -> bool {
        self.metric.intersects(&Point::new(p[0], p[1]))
    }
}

fn envelope(g: &MultiPolygon<f64>) -> AABB<[f64; 2]> {
    match g.bounding_rect() {
        Some(r) => AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
        None => AABB::from_point([f64::NAN, f64::NAN]),
    }
}

fn boundary(g: &MultiPolygon<f64>) -> MultiLineString<f64> {
    let rings: Vec<LineString<f64>> = g
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned()))
        .collect();
    MultiLineString(rings)
}

pub struct Atlas {
    areas: Vec<Area>,
    by_code: HashMap<AreaCode, usize>,
    trees: HashMap<Level, RTree<Shape>>,
    metric: Vec<MultiPolygon<f64>>,
    children: HashMap<Option<AreaCode>, Vec<usize>>,
    config: AtlasConfig,
    /// The boundaries revision of the store this atlas was loaded at (0 when built from values).
    revision: i64,
    serial: u64,
    /// Union of the kota (metric), built on first use: the province outline edits are held to.
    province: OnceLock<Option<super::territory::Outline>>,
}

impl Atlas {
    pub fn new(areas: Vec<Area>, config: AtlasConfig) -> Atlas {
        Atlas::at_revision(areas, config, 0)
    }

    /// An atlas of the areas stored at boundaries revision `revision` (see `Atlas::load`).
    pub fn at_revision(mut areas: Vec<Area>, config: AtlasConfig, revision: i64) -> Atlas {
        areas.sort_by(|a, b| a.code.cmp(&b.code));
        let by_code = areas.iter().enumerate().map(|(i, a)| (a.code.clone(), i)).collect();
        let mut per_level: HashMap<Level, Vec<Shape>> = HashMap::new();
        let mut children: HashMap<Option<AreaCode>, Vec<usize>> = HashMap::new();
        let metric: Vec<MultiPolygon<f64>> = areas.iter().map(|a| project(&a.geometry)).collect();
        for (idx, a) in areas.iter().enumerate() {
            let envelope = envelope(&metric[idx]);
            per_level.entry(a.level).or_default().push(Shape { idx, metric: metric[idx].clone(), envelope });
            children.entry(a.parent.clone()).or_default().push(idx);
        }
        let trees = per_level.into_iter().map(|(l, v)| (l, RTree::bulk_load(v))).collect();
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        Atlas { areas, by_code, trees, metric, children, config, revision, serial, province: OnceLock::new() }
    }

    /// The boundaries revision this atlas was loaded at; a store at a higher one has changes.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// A number no other atlas of this process has: a cache key that, unlike the address,
    /// cannot be reused by a later atlas.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// An area in the local metric projection.
    pub fn metric(&self, code: &AreaCode) -> Option<&MultiPolygon<f64>> {
        self.by_code.get(code).map(|&i| &self.metric[i])
    }

    /// The outline of DKI Jakarta as loaded: the union of the kota (metric); None without kota.
    pub fn province(&self) -> Option<&super::territory::Outline> {
        self.province
            .get_or_init(|| {
                use geo::orient::{Direction, Orient};
                // unary_union reads the winding of the first ring as "outer": orient them all
                // alike, or a kota drawn clockwise would be taken for a hole.
                let kota: Vec<MultiPolygon<f64>> = self
                    .areas
                    .iter()
                    .zip(&self.metric)
                    .filter(|(a, _)| a.level == Level::Kota)
                    .map(|(_, m)| m.orient(Direction::Default))
                    .collect();
                (!kota.is_empty()).then(|| super::territory::Outline::new(&geo::unary_union(&kota)))
            })
            .as_ref()
    }

    pub fn empty() -> Atlas {
        Atlas::new(Vec::new(), AtlasConfig::default())
    }

    pub fn config(&self) -> AtlasConfig {
        self.config
    }

    pub fn get(&self, code: &AreaCode) -> Option<&Area> {
        self.by_code.get(code).map(|&i| &self.areas[i])
    }

    pub fn len(&self, level: Level) -> usize {
        self.trees.get(&level).map_or(0, |t| t.size())
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Areas of `level`, optionally only those directly under `parent`, in code order.
    pub fn list(&self, level: Level, parent: Option<&AreaCode>) -> Vec<&Area> {
        self.areas
            .iter()
            .filter(|a| a.level == level && parent.is_none_or(|p| a.code.is_within(p)))
            .collect()
    }

    pub fn children(&self, code: &AreaCode) -> Vec<&Area> {
        self.children
            .get(&Some(code.clone()))
            .map(|v| v.iter().map(|&i| &self.areas[i]).collect())
            .unwrap_or_default()
    }

    pub fn all(&self) -> &[Area] {
        &self.areas
    }

    /// A point guaranteed to lie inside the area (default RW drop point, label anchor).
    pub fn interior_point(&self, code: &AreaCode) -> Option<Point<f64>> {
        let area = self.get(code)?;
        // The largest part, so a drop point never lands on a tiny islet of a multipolygon.
        let biggest = area
            .geometry
            .0
            .iter()
            .max_by(|a, b| geo::Area::unsigned_area(*a).total_cmp(&geo::Area::unsigned_area(*b)))?;
        biggest.interior_point()
    }

    fn area_ref(&self, code: &AreaCode) -> Option<AreaRef> {
        self.get(code).map(|a| AreaRef { kode: a.code.to_string(), nama: a.name.clone() })
    }

    /// Finds the kota, kecamatan, kelurahan and RW of a point and says how it decided.
    pub fn locate(&self, lon: f64, lat: f64) -> Result<Location, LocateError> {
        check_lon_lat(lon, lat)?;
        let tree = self.trees.get(&Level::Kelurahan).ok_or(LocateError::Empty)?;
        let c = to_metric(lon, lat);
        let p = [c.x, c.y];
        let pt = Point::from(c);

        let mut hits: Vec<&Shape> = tree
            .locate_in_envelope_intersecting(&AABB::from_point(p))
            .filter(|s| s.metric.intersects(&pt))
            .collect();
        let (chosen, method, distance_m) = match hits.len() {
            0 => {
                let (s, d2) = tree.nearest_neighbor_iter_with_distance_2(&p).next().ok_or(LocateError::Empty)?;
                let d = d2.sqrt();
                let m = if d <= self.config.gap_tolerance_m { Method::Gap } else { Method::Outside };
                (s, m, d)
            }
            1 => (hits[0], Method::Inside, 0.0),
            _ => {
                // Deepest first, then smallest code: deterministic and independent of tree order.
                let depth = |s: &Shape| Euclidean.distance(&pt, &boundary(&s.metric));
                hits.sort_by(|a, b| depth(b).total_cmp(&depth(a)).then(a.idx.cmp(&b.idx)));
                (hits[0], Method::Overlap, 0.0)
            }
        };
        let kel = &self.areas[chosen.idx];
        let others: Vec<AreaRef> = if method == Method::Overlap {
            hits[1..].iter().filter_map(|s| self.area_ref(&self.areas[s.idx].code)).collect()
        } else {
            Vec::new()
        };
        let near_boundary = if method == Method::Outside {
            None
        } else {
            let r = self.config.near_boundary_m;
            tree.locate_within_distance(p, r * r)
                .filter(|s| s.idx != chosen.idx)
                .map(|s| (s, s.distance_2(&p).sqrt()))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.idx.cmp(&b.0.idx)))
                .map(|(s, d)| Neighbour {
                    kode: self.areas[s.idx].code.to_string(),
                    nama: self.areas[s.idx].name.clone(),
                    distance_m: to_cm(d),
                })
        };
        let rw = self.rw_of(&kel.code, p, &pt);
        Ok(Location {
            lon,
            lat,
            method,
            kota: kel.code.ancestor(Level::Kota).and_then(|c| self.area_ref(&c)),
            kecamatan: kel.code.ancestor(Level::Kecamatan).and_then(|c| self.area_ref(&c)),
            kelurahan: self.area_ref(&kel.code),
            rw,
            distance_m: to_cm(distance_m),
            near_boundary,
            others,
        })
    }

    /// The RW of the chosen kelurahan that holds the point, else its nearest RW, so that an RW
    /// is always consistent with the kelurahan decision.
    fn rw_of(&self, kel: &AreaCode, p: [f64; 2], pt: &Point<f64>) -> Option<AreaRef> {
        let tree = self.trees.get(&Level::Rw)?;
        let in_kel = |s: &&Shape| self.areas[s.idx].parent.as_ref() == Some(kel);
        let inside = tree
            .locate_in_envelope_intersecting(&AABB::from_point(p))
            .filter(in_kel)
            .filter(|s| s.metric.intersects(pt))
            .min_by_key(|s| s.idx);
        let idx = match inside {
            Some(s) => s.idx,
            None => self
                .children
                .get(&Some(kel.clone()))?
                .iter()
                .filter(|&&i| self.areas[i].level == Level::Rw)
                .map(|&i| (i, Euclidean.distance(pt, &self.metric[i])))
                .min_by(|a, b| a.1.total_cmp(&b.1))?
                .0,
        };
        self.area_ref(&self.areas[idx].code)
    }

    /// True when the point (lon/lat) is inside the area's polygon.
    pub fn contains(&self, code: &AreaCode, lon: f64, lat: f64) -> bool {
        self.get(code).is_some_and(|a| a.geometry.contains(&Point::new(lon, lat)))
    }
}

/// The atlas shared by the server; swapped whole when boundaries change so readers never see a
/// half-refreshed index.
#[derive(Clone)]
pub struct AtlasHandle(Arc<RwLock<Arc<Atlas>>>);

impl AtlasHandle {
    pub fn new(atlas: Atlas) -> AtlasHandle {
        AtlasHandle(Arc::new(RwLock::new(Arc::new(atlas))))
    }

    pub fn current(&self) -> Arc<Atlas> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, atlas: Atlas) {
        let mut g = match self.0.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *g = Arc::new(atlas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    /// A square of `d` degrees with its south-west corner at (lon, lat).
    fn sq(lon: f64, lat: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]])
    }

    fn area(code: &str, name: &str, g: MultiPolygon<f64>) -> Area {
        let code = AreaCode::parse(code).unwrap();
        Area { level: code.level(), parent: code.parent(), code, name: name.into(), geometry: g, generated: false, source: None, year: None }
    }

    /// Two kelurahan side by side that overlap by 0.001° (≈110 m), a third separated by a 0.001° gap.
    fn atlas() -> Atlas {
        Atlas::new(
            vec![
                area("31.71", "Kota", sq(106.7, -6.3, 0.3)),
                area("31.71.01", "Kec", sq(106.7, -6.3, 0.3)),
                area("31.71.01.1001", "A", sq(106.80, -6.20, 0.010)),
                area("31.71.01.1002", "B", sq(106.809, -6.20, 0.010)),
                area("31.71.01.1003", "C", sq(106.820, -6.20, 0.010)),
                area("31.71.01.1001.001", "RW 001", sq(106.80, -6.20, 0.005)),
                area("31.71.01.1001.002", "RW 002", sq(106.805, -6.20, 0.005)),
            ],
            AtlasConfig { gap_tolerance_m: 250.0, near_boundary_m: 25.0 },
        )
    }

    #[test]
    fn inside_with_parent_chain_and_rw() {
        let l = atlas().locate(106.8020, -6.1950).unwrap();
        assert_eq!(l.method, Method::Inside);
        assert_eq!(l.kelurahan.unwrap().nama, "A");
        assert_eq!(l.kecamatan.unwrap().kode, "31.71.01");
        assert_eq!(l.kota.unwrap().kode, "31.71");
        assert_eq!(l.rw.unwrap().kode, "31.71.01.1001.001");
        assert_eq!(l.near_boundary, None);
    }

    #[test]
    fn overlap_picks_the_deeper_polygon() {
        // In both A (ends 106.810) and B (starts 106.809), deeper inside B.
        let l = atlas().locate(106.8098, -6.1950).unwrap();
        assert_eq!(l.method, Method::Overlap);
        assert_eq!(l.kelurahan.as_ref().unwrap().nama, "B", "0.0008° inside B, 0.0002° inside A");
        assert_eq!(l.others.len(), 1);
        assert_eq!(l.others[0].nama, "A");
        assert_eq!(l.near_boundary.as_ref().unwrap().nama, "A");
    }

    #[test]
    fn gap_takes_the_nearest_within_tolerance_and_outside_beyond() {
        // Between B (ends 106.819) and C (starts 106.820): 0.0003° ≈ 33 m from B.
        let l = atlas().locate(106.8193, -6.1950).unwrap();
        assert_eq!(l.method, Method::Gap);
        assert_eq!(l.kelurahan.as_ref().unwrap().nama, "B");
        assert!((l.distance_m - 33.2).abs() < 1.0, "{}", l.distance_m);
        let far = atlas().locate(106.8500, -6.1950).unwrap();
        assert_eq!(far.method, Method::Outside);
        assert_eq!(far.kelurahan.unwrap().nama, "C");
        assert!((far.distance_m - 2213.0).abs() < 20.0, "{}", far.distance_m);
        assert!(far.near_boundary.is_none());
    }

    #[test]
    fn near_boundary_flags_the_other_kelurahan() {
        // In C, 0.0001° (≈11 m) east of its west edge; B ends 0.0011° away (≈122 m): not near.
        let l = atlas().locate(106.8201, -6.1950).unwrap();
        assert_eq!(l.method, Method::Inside);
        assert_eq!(l.near_boundary, None);
        // In A, 0.0001° west of B's west edge (overlap starts at 106.809): near B.
        let l = atlas().locate(106.8089, -6.1950).unwrap();
        assert_eq!(l.method, Method::Inside);
        let nb = l.near_boundary.unwrap();
        assert_eq!(nb.nama, "B");
        assert!((nb.distance_m - 11.1).abs() < 0.5, "{}", nb.distance_m);
    }

    #[test]
    fn bad_coordinates_name_the_field() {
        let a = atlas();
        assert_eq!(a.locate(f64::NAN, -6.2).unwrap_err().field(), Some("lon"));
        assert_eq!(a.locate(106.8, f64::INFINITY).unwrap_err().field(), Some("lat"));
        assert_eq!(a.locate(181.0, -6.2).unwrap_err().field(), Some("lon"));
        assert_eq!(a.locate(106.8, -91.0).unwrap_err().field(), Some("lat"));
        assert_eq!(Atlas::empty().locate(106.8, -6.2).unwrap_err(), LocateError::Empty);
    }

    #[test]
    fn rw_falls_back_to_the_nearest_rw_of_the_chosen_kelurahan() {
        // In A's northern half, which no RW covers.
        let l = atlas().locate(106.8070, -6.1920).unwrap();
        assert_eq!(l.rw.unwrap().kode, "31.71.01.1001.002");
    }
}
