//! Is an edited boundary still a boundary of DKI Jakarta? Pure checks over the loaded atlas,
//! shared by the importer (`import::validate`) and so by `PUT /api/v1/wilayah/{code}`.
//!
//! The shipped layers are not topologically clean: the kecamatan and kota polygons are much
//! coarser than the kelurahan (979 vertices for 44 kecamatan against 13,976 for 267
//! kelurahan), so a kelurahan sticks out of its own kecamatan by up to 60 % of its area. An
//! area share cannot tell that apart from an edit into Bekasi; a distance can: the coarse
//! polygon cuts corners by a few hundred metres, an edit into Bekasi, Depok, Tangerang or the
//! sea reaches kilometres out. So "lies within" means: no point of the boundary (densified to
//! `STEP_M`) is farther than the tolerance from the territory. The tolerances are the worst case
//! measured on the shipped layers (test `shipped_layers_fit_the_tolerances`) rounded up.

use super::atlas::{project, Atlas};
use super::code::{AreaCode, Level};
use geo::{Area as _, BooleanOps, CoordsIter, Densify, Distance, Euclidean, Line, MultiPolygon, Point};
use rstar::{PointDistance, RTree, RTreeObject, AABB};

/// How far (m) a kecamatan, kelurahan or RW may reach outside its parent's stored polygon.
/// Measured worst case on the shipped layers: see the README ("Boundary edits").
pub const PARENT_TOLERANCE_M: f64 = 600.0;
/// How far (m) any boundary below kota may reach outside the province outline (the union of
/// the loaded kota). Measured worst case on the shipped layers: see the README.
pub const PROVINCE_TOLERANCE_M: f64 = 600.0;
/// A replacement must overlap its old footprint by at least this share of the old area or of
/// the new area (whichever is met): growing, shrinking and moving an edge pass; a shape drawn
/// somewhere else does not.
pub const MIN_FOOTPRINT_OVERLAP: f64 = 0.5;
/// Boundaries are densified to this segment length (m) before measuring, so a long edge that
/// cuts across the outside is seen, not only its end points.
pub const STEP_M: f64 = 50.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TerritoryError {
    #[error("the boundary reaches {reach_m:.0} m outside DKI Jakarta (the union of the {kota} loaded kota); at most {PROVINCE_TOLERANCE_M:.0} m is allowed")]
    OutsideProvince { reach_m: f64, kota: usize },
    #[error("the boundary reaches {reach_m:.0} m outside its {level} {parent}; at most {PARENT_TOLERANCE_M:.0} m is allowed")]
    OutsideParent { reach_m: f64, parent: AreaCode, level: Level },
    #[error("the boundary overlaps only {:.0} % of the old boundary of {code} (and {:.0} % of itself); at least {:.0} % of either is required — a replacement edits the area, it does not move it", old_share * 100.0, new_share * 100.0, MIN_FOOTPRINT_OVERLAP * 100.0)]
    Footprint { code: AreaCode, old_share: f64, new_share: f64 },
}

/// One edge of an outline, indexed by its box.
struct Edge(Line<f64>);

impl RTreeObject for Edge {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners([self.0.start.x, self.0.start.y], [self.0.end.x, self.0.end.y])
    }
}

impl PointDistance for Edge {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let d = Euclidean.distance(&Point::new(p[0], p[1]), &self.0);
        d * d
    }
}

/// A territory (metric coordinates) with its edges in an R-tree, so "how far outside is this
/// point" costs a tree walk, not a pass over every vertex of the province (thousands of RW are
/// checked against it on an import).
pub struct Outline {
    edges: RTree<Edge>,
}

impl Outline {
    pub fn new(territory: &MultiPolygon<f64>) -> Outline {
        let edges = territory
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|ring| ring.lines())
            .map(Edge)
            .collect();
        Outline { edges: RTree::bulk_load(edges) }
    }

    /// Even-odd ray cast to +x over the edges the ray can meet (holes count as outside).
    fn contains(&self, p: [f64; 2]) -> bool {
        let ray = AABB::from_corners(p, [f64::MAX, p[1]]);
        self.edges
            .locate_in_envelope_intersecting(&ray)
            .filter(|e| {
                let (a, b) = (e.0.start, e.0.end);
                (a.y > p[1]) != (b.y > p[1]) && a.x + (p[1] - a.y) / (b.y - a.y) * (b.x - a.x) > p[0]
            })
            .count()
            % 2
            == 1
    }

    /// Metres from `p` to the territory: 0 inside.
    pub fn distance(&self, p: [f64; 2]) -> f64 {
        if self.edges.size() == 0 {
            return f64::INFINITY;
        }
        if self.contains(p) {
            return 0.0;
        }
        self.edges.nearest_neighbor_iter_with_distance_2(&p).next().map_or(f64::INFINITY, |(_, d2)| d2.sqrt())
    }

    /// The farthest (m) any point of `shape` (metric; densified to `STEP_M`) lies outside.
    pub fn reach(&self, shape: &MultiPolygon<f64>) -> f64 {
        Euclidean.densify(shape, STEP_M).coords_iter().map(|c| self.distance([c.x, c.y])).fold(0.0, f64::max)
    }
}

/// The farthest (m) any point of `shape` lies outside `territory`; both in metric coordinates.
/// 0 when `shape` is inside.
pub fn reach_outside(shape: &MultiPolygon<f64>, territory: &MultiPolygon<f64>) -> f64 {
    Outline::new(territory).reach(shape)
}

/// Shares of the old and the new area that the two overlap (metric coordinates).
pub fn footprint_overlap(old: &MultiPolygon<f64>, new: &MultiPolygon<f64>) -> (f64, f64) {
    let both = old.intersection(new).unsigned_area();
    let share = |a: f64| if a > 0.0 { both / a } else { 0.0 };
    (share(old.unsigned_area()), share(new.unsigned_area()))
}

/// Checks a new boundary of `code` (lon/lat) against the territory in `atlas`: the province
/// outline, its parent, and — when it replaces a loaded area that is not generated — its old
/// footprint. Kota are not checked against the province (they define it) but are against their
/// footprint.
pub fn check(atlas: &Atlas, code: &AreaCode, geometry: &MultiPolygon<f64>) -> Result<(), TerritoryError> {
    Checker::new(atlas).check(code, geometry)
}

/// `check` for many boundaries against one atlas: each parent's outline is indexed once, not
/// once per child (an RW layer checks ~2,600 RW against ~270 kelurahan).
pub struct Checker<'a> {
    atlas: &'a Atlas,
    parents: std::collections::HashMap<AreaCode, Outline>,
}

impl<'a> Checker<'a> {
    pub fn new(atlas: &'a Atlas) -> Checker<'a> {
        Checker { atlas, parents: std::collections::HashMap::new() }
    }

    pub fn check(&mut self, code: &AreaCode, geometry: &MultiPolygon<f64>) -> Result<(), TerritoryError> {
        let atlas = self.atlas;
        let metric = project(geometry);
        if code.level() != Level::Kota {
            if let Some(province) = atlas.province() {
                let reach_m = province.reach(&metric);
                if reach_m > PROVINCE_TOLERANCE_M {
                    return Err(TerritoryError::OutsideProvince { reach_m, kota: atlas.len(Level::Kota) });
                }
            }
        }
        if let Some(parent) = code.parent() {
            if let Some(pm) = atlas.metric(&parent) {
                let outline = self.parents.entry(parent.clone()).or_insert_with(|| Outline::new(pm));
                let reach_m = outline.reach(&metric);
                if reach_m > PARENT_TOLERANCE_M {
                    return Err(TerritoryError::OutsideParent { reach_m, level: parent.level(), parent });
                }
            }
        }
        // A generated area (the demo RW cells) is a placeholder, not a boundary anyone drew: a
        // real boundary replacing it may lie anywhere in the parent, so its footprint does not bind.
        let placeholder = atlas.get(code).is_some_and(|a| a.generated);
        if let Some(old) = atlas.metric(code).filter(|_| !placeholder) {
            let (old_share, new_share) = footprint_overlap(old, &metric);
            if old_share.max(new_share) < MIN_FOOTPRINT_OVERLAP {
                return Err(TerritoryError::Footprint { code: code.clone(), old_share, new_share });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wilayah::geojson_io::read_features;
    use crate::wilayah::{Area, AtlasConfig};
    use geo::polygon;

    fn sq(lon: f64, lat: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]])
    }

    fn area(code: &str, g: MultiPolygon<f64>) -> Area {
        let code = AreaCode::parse(code).unwrap();
        Area { level: code.level(), parent: code.parent(), code, name: "X".into(), geometry: g, generated: false, source: None, year: None }
    }

    /// A kota of 0.2°, one kecamatan of 0.1° in it, one kelurahan of 0.02° in that.
    fn atlas() -> Atlas {
        Atlas::new(
            vec![
                area("31.71", sq(106.70, -6.30, 0.2)),
                area("31.71.01", sq(106.75, -6.25, 0.1)),
                area("31.71.01.1001", sq(106.78, -6.22, 0.02)),
            ],
            AtlasConfig::default(),
        )
    }

    #[test]
    fn reach_counts_the_middle_of_long_edges() {
        // A triangle whose corners are inside a square but whose middle is not: a thin "U".
        let territory = project(&MultiPolygon(vec![polygon![(x: 106.80, y: -6.20), (x: 106.81, y: -6.20), (x: 106.81, y: -6.19), (x: 106.80, y: -6.19), (x: 106.80, y: -6.20)]]));
        assert_eq!(reach_outside(&territory, &territory), 0.0);
        let far = project(&sq(106.90, -6.20, 0.001));
        let d = reach_outside(&far, &territory);
        assert!((d - 0.091 * 110_668.7).abs() < 200.0, "{d}");
    }

    #[test]
    fn outline_distance_agrees_with_geo_inside_outside_and_in_holes() {
        // A 1000 m square with a 200 m hole, two parts.
        let outer = geo::LineString::from(vec![(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0), (0.0, 1000.0), (0.0, 0.0)]);
        let hole = geo::LineString::from(vec![(400.0, 400.0), (600.0, 400.0), (600.0, 600.0), (400.0, 600.0), (400.0, 400.0)]);
        let far = geo::LineString::from(vec![(3000.0, 0.0), (3100.0, 0.0), (3100.0, 100.0), (3000.0, 100.0), (3000.0, 0.0)]);
        let mp = MultiPolygon(vec![geo::Polygon::new(outer, vec![hole]), geo::Polygon::new(far, vec![])]);
        let o = Outline::new(&mp);
        for p in [[500.0, 500.0], [450.0, 500.0], [100.0, 100.0], [-50.0, 500.0], [2000.0, 50.0], [3050.0, 50.0], [1000.0, 500.0], [500.0, 1400.0]] {
            let expect = Euclidean.distance(&Point::new(p[0], p[1]), &mp);
            assert!((o.distance(p) - expect).abs() < 1e-9, "{p:?}: {} vs {expect}", o.distance(p));
        }
    }

    #[test]
    fn a_small_edit_passes_and_each_kind_of_wrong_place_is_named() {
        let a = atlas();
        let code = AreaCode::parse("31.71.01.1001").unwrap();
        // Grown by 0.002° (≈ 220 m) on one side: still in, overlaps ≥ 50 % of the old.
        assert_eq!(check(&a, &code, &sq(106.78, -6.22, 0.022)), Ok(()));
        // Shrunk to a quarter: overlaps 100 % of the new.
        assert_eq!(check(&a, &code, &sq(106.78, -6.22, 0.01)), Ok(()));
        // Moved inside the kecamatan to where it never was.
        assert!(matches!(check(&a, &code, &sq(106.76, -6.24, 0.01)), Err(TerritoryError::Footprint { .. })));
        // 2 km beyond the kota.
        let e = check(&a, &code, &sq(106.92, -6.22, 0.01)).unwrap_err();
        assert!(matches!(e, TerritoryError::OutsideProvince { .. }), "{e}");
        assert!(e.to_string().contains("outside DKI Jakarta"), "{e}");
        // Inside the kota, 1.1 km outside the kecamatan.
        let e = check(&a, &code, &MultiPolygon(vec![polygon![(x: 106.78, y: -6.22), (x: 106.87, y: -6.22), (x: 106.87, y: -6.20), (x: 106.78, y: -6.20), (x: 106.78, y: -6.22)]])).unwrap_err();
        assert!(matches!(e, TerritoryError::OutsideParent { .. }), "{e}");
    }

    /// A shipped layer as stored (repaired like the importer repairs it), without the checks
    /// under measurement.
    fn shipped(level: Level) -> Vec<Area> {
        use geo::{MakeValid, Validation};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let path = match level {
            Level::Rw => root.join("wilayah/rw.geojson"),
            l => root.join(format!("wilayah/{}.geojson", l.as_str())),
        };
        read_features(&std::fs::read_to_string(path).unwrap())
            .unwrap()
            .into_iter()
            .map(|f| {
                let g = f.geometry.unwrap();
                let g = if g.is_valid() { g } else { g.make_valid().unwrap() };
                area(f.properties["kode"].as_str().unwrap(), g)
            })
            .collect()
    }

    /// The measurement behind the two tolerances: the worst reach of each shipped layer outside
    /// its parent and outside the province, printed (run with `--nocapture`) and held under the
    /// tolerances so the shipped data always imports.
    #[test]
    #[allow(clippy::print_stdout)] // a test may print what it measured (shown with --nocapture)
    fn shipped_layers_fit_the_tolerances() {
        let mut all = Vec::new();
        let mut worst_parent = (0.0f64, String::new());
        let mut worst_province = (0.0f64, String::new());
        for level in Level::ALL {
            let existing = Atlas::new(all.clone(), AtlasConfig::default());
            let areas = shipped(level);
            let (mut lp, mut lv) = ((0.0f64, String::new()), (0.0f64, String::new()));
            for a in &areas {
                let m = project(&a.geometry);
                if let Some(pm) = a.parent.as_ref().and_then(|p| existing.metric(p)) {
                    let r = reach_outside(&m, pm);
                    if r > lp.0 {
                        lp = (r, a.code.to_string());
                    }
                }
                if level != Level::Kota {
                    if let Some(prov) = existing.province() {
                        let r = prov.reach(&m);
                        if r > lv.0 {
                            lv = (r, a.code.to_string());
                        }
                    }
                }
            }
            println!("{level:<10} {:>5} areas: worst outside parent {:>6.0} m ({}), worst outside province {:>6.0} m ({})", areas.len(), lp.0, lp.1, lv.0, lv.1);
            if lp.0 > worst_parent.0 {
                worst_parent = lp;
            }
            if lv.0 > worst_province.0 {
                worst_province = lv;
            }
            all.extend(areas);
        }
        assert!(worst_parent.0 <= PARENT_TOLERANCE_M, "{worst_parent:?}");
        assert!(worst_province.0 <= PROVINCE_TOLERANCE_M, "{worst_province:?}");
    }
}
