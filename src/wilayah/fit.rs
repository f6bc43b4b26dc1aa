//! Conflation of an RW layer with the kelurahan layer it belongs to (`--fit-to-parent`).
//!
//! The 2012 RW polygons and the 2025 kelurahan come from different sources, so their edges
//! disagree by metres to hundreds of metres. Fitting makes the RW of each kelurahan tile it:
//! each RW is clipped to its kelurahan, overlaps between sibling RW go to the RW with the lower
//! code, and every part of the kelurahan no RW covers goes to the sibling RW sharing the longest
//! edge with it (the nearest sibling when none touches). Parts larger than `LARGE_GAP_M2` are not
//! handed to a neighbour but reported as unassigned: a hole that size is missing data (a blank
//! label, an RW the source never had), and growing a neighbour over it would misstate that RW.
//! RW that lie mostly in another kelurahan than their code says are reported and still clipped to
//! their own kelurahan: a name is evidence, so they are not silently moved.
//!
//! Pure logic in the local metric projection; the CLI (`sigap prepare rw`, `sigap import
//! boundaries --level rw --fit-to-parent`) drives it.

use super::atlas::{project, unproject, Area, Atlas};
use super::code::{AreaCode, Level};
use super::import::{Env, Progress};
use geo::{Area as _, BooleanOps, BoundingRect, Distance, Euclidean, InteriorPoint, Length, Line, MultiPolygon, Point, Polygon};
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use serde::Serialize;
use std::collections::BTreeMap;

/// After the fit, the RW of a kelurahan leave at most this much of it uncovered (m², outside the
/// reported unassigned parts) and overlap each other by at most this much: floating-point noise.
pub const FIT_TOLERANCE_M2: f64 = 1.0;
/// Uncovered parts below this (m²) are counted as slivers in the report.
pub const SLIVER_PART_M2: f64 = 100.0;
/// Uncovered parts above this (m², 2 ha ≈ a city block) are reported as unassigned, not filled ...
pub const LARGE_GAP_M2: f64 = 20_000.0;
/// ... and at least this wide on average (2 × area / perimeter, m): a long thin strip where the
/// two sources draw the same edge differently is a disagreement to fill, not missing data.
pub const LARGE_GAP_WIDTH_M: f64 = 30.0;
/// An edge of an uncovered part within this distance (m) of an RW edge is shared with that RW.
const SHARED_EDGE_M: f64 = 0.05;
/// An RW with less than this share of its area inside its own kelurahan is reported.
pub const ELSEWHERE_SHARE: f64 = 0.5;

#[derive(Debug, Clone, Serialize)]
pub struct KelurahanFit {
    pub kode: String,
    pub nama: String,
    pub rw: usize,
    pub area_m2: f64,
    /// RW area outside the kelurahan, cut off.
    pub clipped_m2: f64,
    /// Area two sibling RW both claimed, given to the lower code.
    pub overlap_m2: f64,
    /// Uncovered ground handed to a neighbouring RW.
    pub filled_m2: f64,
    pub fill_parts: usize,
    /// Filled parts below `SLIVER_PART_M2`.
    pub slivers: usize,
    pub unassigned_m2: f64,
    /// Ground left uncovered beyond the unassigned parts (must stay under `FIT_TOLERANCE_M2`).
    pub residual_gap_m2: f64,
}

impl KelurahanFit {
    /// Area the fit moved: cut off, de-duplicated and filled in.
    pub fn moved_m2(&self) -> f64 {
        self.clipped_m2 + self.overlap_m2 + self.filled_m2
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Elsewhere {
    pub rw: String,
    /// Share of the RW (as drawn) inside the kelurahan its code names.
    pub own_share: f64,
    pub mostly_in: Option<String>,
    pub share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unassigned {
    pub kelurahan: String,
    pub area_m2: f64,
    /// A point inside the part (lon, lat), to find it on a map.
    pub at: (f64, f64),
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct FitReport {
    pub kelurahan: Vec<KelurahanFit>,
    pub elsewhere: Vec<Elsewhere>,
    pub unassigned: Vec<Unassigned>,
    /// RW with nothing left inside their kelurahan (dropped).
    pub emptied: Vec<String>,
    /// RW whose kelurahan is not loaded: passed through unfitted (validation rejects them).
    pub orphans: Vec<String>,
}

impl FitReport {
    pub fn worst_residual_gap_m2(&self) -> f64 {
        self.kelurahan.iter().map(|k| k.residual_gap_m2).fold(0.0, f64::max)
    }
}

fn aabb(m: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    m.bounding_rect().map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

/// One RW edge, tagged with the RW (index among its siblings) it bounds.
struct Edge {
    line: Line<f64>,
    owner: usize,
}
impl RTreeObject for Edge {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners([self.line.start.x, self.line.start.y], [self.line.end.x, self.line.end.y])
    }
}
impl PointDistance for Edge {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let d = Euclidean.distance(&Point::new(p[0], p[1]), &self.line);
        d * d
    }
}

fn rings(p: &Polygon<f64>) -> impl Iterator<Item = Line<f64>> + '_ {
    std::iter::once(p.exterior()).chain(p.interiors()).flat_map(|r| r.lines())
}

/// Length of the boundary of `part` shared with each sibling (by index).
fn shared_edges(part: &Polygon<f64>, edges: &RTree<Edge>, n: usize) -> Vec<f64> {
    let mut lens = vec![0.0; n];
    for line in rings(part) {
        let mid = [(line.start.x + line.end.x) / 2.0, (line.start.y + line.end.y) / 2.0];
        let nearest = edges
            .locate_within_distance(mid, SHARED_EDGE_M * SHARED_EDGE_M)
            .min_by(|a, b| a.distance_2(&mid).total_cmp(&b.distance_2(&mid)));
        if let Some(e) = nearest {
            lens[e.owner] += Euclidean.length(&line);
        }
    }
    lens
}

/// Fits `rws` to the kelurahan of `parents` (see the module doc). Returns the fitted RW (WGS84)
/// and what the fit did per kelurahan.
pub fn fit_to_parent(rws: Vec<Area>, parents: &Atlas, progress: Progress) -> (Vec<Area>, FitReport) {
    let mut report = FitReport::default();
    let kel_codes: Vec<AreaCode> = parents.list(Level::Kelurahan, None).into_iter().map(|k| k.code.clone()).collect();
    let kel_tree = RTree::bulk_load(
        kel_codes.iter().enumerate().filter_map(|(idx, c)| Some(Env { idx, env: aabb(parents.metric(c)?)? })).collect(),
    );
    let mut groups: BTreeMap<AreaCode, Vec<Area>> = BTreeMap::new();
    let mut out = Vec::new();
    for rw in rws {
        match rw.parent.clone().filter(|p| parents.metric(p).is_some()) {
            Some(p) => groups.entry(p).or_default().push(rw),
            None => {
                report.orphans.push(rw.code.to_string());
                out.push(rw);
            }
        }
    }
    let total = groups.len();
    for (n, (kel, mut group)) in groups.into_iter().enumerate() {
        progress("menyesuaikan RW", n + 1, total);
        let Some(k) = parents.metric(&kel) else { continue };
        group.sort_by(|a, b| a.code.cmp(&b.code));
        let mut fit = KelurahanFit {
            kode: kel.to_string(),
            nama: parents.get(&kel).map(|a| a.name.clone()).unwrap_or_default(),
            rw: group.len(),
            area_m2: k.unsigned_area(),
            clipped_m2: 0.0,
            overlap_m2: 0.0,
            filled_m2: 0.0,
            fill_parts: 0,
            slivers: 0,
            unassigned_m2: 0.0,
            residual_gap_m2: 0.0,
        };
        let mut taken = MultiPolygon::<f64>(vec![]);
        let mut own = Vec::with_capacity(group.len());
        for rw in &group {
            let m = project(&rw.geometry);
            let drawn = m.unsigned_area();
            let inside = m.intersection(k);
            let inside_a = inside.unsigned_area();
            fit.clipped_m2 += (drawn - inside_a).max(0.0);
            if drawn > 0.0 && inside_a / drawn < ELSEWHERE_SHARE {
                report.elsewhere.push(elsewhere(rw, &m, drawn, inside_a, parents, (&kel_tree, &kel_codes)));
            }
            let mine = if taken.0.is_empty() { inside } else { inside.difference(&taken) };
            fit.overlap_m2 += (inside_a - mine.unsigned_area()).max(0.0);
            taken = if taken.0.is_empty() { mine.clone() } else { taken.union(&mine) };
            own.push(mine);
        }
        let edges = RTree::bulk_load(
            own.iter().enumerate().flat_map(|(owner, m)| m.0.iter().flat_map(rings).map(move |line| Edge { line, owner })).collect(),
        );
        let rest = k.difference(&taken);
        let mut fills: Vec<Vec<Polygon<f64>>> = vec![Vec::new(); own.len()];
        for part in rest.0 {
            let a = part.unsigned_area();
            if a <= 0.0 {
                continue;
            }
            let width = 2.0 * a / rings(&part).map(|l| Euclidean.length(&l)).sum::<f64>().max(f64::MIN_POSITIVE);
            let target = if a > LARGE_GAP_M2 && width > LARGE_GAP_WIDTH_M {
                None
            } else {
                let lens = shared_edges(&part, &edges, own.len());
                let best = lens.iter().enumerate().filter(|(_, l)| **l > 0.0).max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i);
                best.or_else(|| {
                    let p = part.interior_point()?;
                    own.iter()
                        .enumerate()
                        .filter(|(_, m)| !m.0.is_empty())
                        .min_by(|a, b| Euclidean.distance(&p, a.1).total_cmp(&Euclidean.distance(&p, b.1)))
                        .map(|(i, _)| i)
                })
            };
            match target {
                Some(i) => {
                    fit.filled_m2 += a;
                    fit.fill_parts += 1;
                    if a < SLIVER_PART_M2 {
                        fit.slivers += 1;
                    }
                    fills[i].push(part);
                }
                None => {
                    fit.unassigned_m2 += a;
                    let at = part.interior_point().map(|p| super::atlas::from_metric(p.0)).map(|c| (c.x, c.y)).unwrap_or_default();
                    report.unassigned.push(Unassigned { kelurahan: kel.to_string(), area_m2: a, at });
                }
            }
        }
        let mut covered = 0.0;
        for ((mut rw, mine), extra) in group.into_iter().zip(own).zip(fills) {
            let fitted = if extra.is_empty() { mine } else { mine.union(&MultiPolygon(extra)) };
            let a = fitted.unsigned_area();
            if a < FIT_TOLERANCE_M2 {
                report.emptied.push(rw.code.to_string());
                continue;
            }
            covered += a;
            rw.geometry = unproject(&fitted);
            out.push(rw);
        }
        fit.residual_gap_m2 = (fit.area_m2 - covered - fit.unassigned_m2).max(0.0);
        report.kelurahan.push(fit);
    }
    (out, report)
}

/// Where an RW drawn mostly outside its kelurahan lies instead (`kelurahan`: tree and codes).
fn elsewhere(rw: &Area, m: &MultiPolygon<f64>, drawn: f64, inside: f64, parents: &Atlas, kelurahan: (&RTree<Env>, &[AreaCode])) -> Elsewhere {
    let (tree, codes) = kelurahan;
    let best = aabb(m).and_then(|env| {
        tree.locate_in_envelope_intersecting(&env)
            .map(|e| &codes[e.idx])
            .filter(|c| Some(*c) != rw.parent.as_ref())
            .filter_map(|c| Some((c.to_string(), m.intersection(parents.metric(c)?).unsigned_area())))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    });
    Elsewhere {
        rw: rw.code.to_string(),
        own_share: inside / drawn,
        mostly_in: best.as_ref().map(|b| b.0.clone()),
        share: best.map_or(0.0, |b| b.1 / drawn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wilayah::AtlasConfig;
    use geo::{polygon, Contains};

    /// A square in metres around Jakarta's origin, returned in lon/lat.
    fn sq(x: f64, y: f64, w: f64, h: f64) -> MultiPolygon<f64> {
        unproject(&MultiPolygon(vec![polygon![(x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + h), (x: x, y: y + h), (x: x, y: y)]]))
    }

    fn area(code: &str, g: MultiPolygon<f64>) -> Area {
        let code = AreaCode::parse(code).unwrap();
        Area { level: code.level(), parent: code.parent(), name: code.to_string(), code, geometry: g, generated: false, source: None, year: None }
    }

    fn parents() -> Atlas {
        // Two 1 km × 1 km kelurahan side by side.
        Atlas::new(
            vec![
                area("31.71", sq(0.0, 0.0, 2000.0, 1000.0)),
                area("31.71.01", sq(0.0, 0.0, 2000.0, 1000.0)),
                area("31.71.01.1001", sq(0.0, 0.0, 1000.0, 1000.0)),
                area("31.71.01.1002", sq(1000.0, 0.0, 1000.0, 1000.0)),
            ],
            AtlasConfig::default(),
        )
    }

    #[test]
    fn rw_tile_their_kelurahan_after_the_fit() {
        let rws = vec![
            // Reaches 30 m into the next kelurahan and 20 m beyond the south edge.
            area("31.71.01.1001.001", sq(0.0, -20.0, 530.0, 520.0)),
            // Overlaps RW 001 by 30 m × 100 m; leaves a 10 m strip along the north edge.
            area("31.71.01.1001.002", sq(0.0, 470.0, 1000.0, 520.0)),
            // Leaves a 10 m gap (x 530..540) to RW 001.
            area("31.71.01.1001.003", sq(540.0, 0.0, 460.0, 470.0)),
            // Drawn almost entirely in 1001 although its code says 1002.
            area("31.71.01.1002.001", sq(100.0, 100.0, 300.0, 300.0)),
            area("31.71.01.1002.002", sq(1000.0, 0.0, 1000.0, 1000.0)),
        ];
        let p = parents();
        let (fitted, r) = fit_to_parent(rws, &p, &|_, _, _| {});
        let k1 = r.kelurahan.iter().find(|k| k.kode == "31.71.01.1001").unwrap();
        assert_eq!(k1.rw, 3);
        assert!((k1.clipped_m2 - (530.0 * 20.0 + 0.0)).abs() < 1.0, "{k1:?}");
        assert!(k1.filled_m2 > 1000.0 * 10.0 - 1.0, "the north strip and the 10 m gap are filled: {k1:?}");
        assert!(k1.overlap_m2 > 0.0);
        assert!(k1.residual_gap_m2 < FIT_TOLERANCE_M2, "{k1:?}");
        assert_eq!(k1.unassigned_m2, 0.0);
        // The 10 m strip between RW 001 and RW 003 (x 530..540) touches both along 470 m
        // and RW 002 along 10 m: it goes to one of the long sides, never to RW 002.
        let get = |c: &str| project(&fitted.iter().find(|a| a.code.as_str() == c).unwrap().geometry);
        let strip = Point::new(535.0, 200.0);
        assert!(get("31.71.01.1001.001").contains(&strip) || get("31.71.01.1001.003").contains(&strip));
        // Sum of the fitted RW is the kelurahan.
        let sum: f64 = ["31.71.01.1001.001", "31.71.01.1001.002", "31.71.01.1001.003"].iter().map(|c| get(c).unsigned_area()).sum();
        assert!((sum - 1_000_000.0).abs() < FIT_TOLERANCE_M2 * 3.0, "{sum}");
        // The misplaced RW is reported, not moved: what is left of it sits in 1002 (nothing),
        // so it is emptied and listed.
        assert_eq!(r.elsewhere.len(), 1);
        assert_eq!(r.elsewhere[0].mostly_in.as_deref(), Some("31.71.01.1001"));
        assert!(r.elsewhere[0].share > 0.99);
        assert_eq!(r.emptied, vec!["31.71.01.1002.001".to_string()]);
    }

    #[test]
    fn a_large_hole_is_reported_unassigned_and_an_orphan_passes_through() {
        let rws = vec![
            area("31.71.01.1001.001", sq(0.0, 0.0, 1000.0, 500.0)),
            area("31.71.01.1001.002", sq(0.0, 500.0, 1000.0, 300.0)),
            // 31.71.01.1003 is not loaded.
            area("31.71.01.1003.001", sq(0.0, 0.0, 10.0, 10.0)),
        ];
        let (fitted, r) = fit_to_parent(rws, &parents(), &|_, _, _| {});
        let k1 = r.kelurahan.iter().find(|k| k.kode == "31.71.01.1001").unwrap();
        assert_eq!(r.unassigned.len(), 1, "{r:?}");
        assert!((r.unassigned[0].area_m2 - 200_000.0).abs() < 1.0);
        assert!((k1.unassigned_m2 - 200_000.0).abs() < 1.0);
        assert!(k1.residual_gap_m2 < FIT_TOLERANCE_M2);
        assert_eq!(r.orphans, vec!["31.71.01.1003.001".to_string()]);
        assert_eq!(fitted.len(), 3);
    }
}
