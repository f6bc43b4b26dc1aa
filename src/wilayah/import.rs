//! Validation of a boundary layer before it is stored: pure logic over plain values, so the
//! same checks serve the CLI importer, the HTTP API and the tests.

use super::atlas::{project, Area, Atlas};
use super::code::{AreaCode, Level};
use super::geojson_io::RawFeature;
use geo::{Area as _, BooleanOps, BoundingRect, CoordsIter, MakeValid, MultiPolygon, Validation};
use rstar::{RTree, RTreeObject, AABB};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Loose box around DKI Jakarta including Kepulauan Seribu: a first sanity check that catches
/// lat/lon order and wrong projections with a helpful message. It holds Bekasi, Depok and
/// Tangerang; the precise check against the loaded province is `territory::check`.
pub const JAKARTA_BBOX: (f64, f64, f64, f64) = (106.2, -6.6, 107.2, -5.0);

pub fn in_jakarta_bbox(lon: f64, lat: f64) -> bool {
    let (x0, y0, x1, y1) = JAKARTA_BBOX;
    (x0..=x1).contains(&lon) && (y0..=y1).contains(&lat)
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub level: Level,
    pub code_field: String,
    pub name_field: String,
    /// Set for layers our generator made (demo RW), so they are labelled everywhere. A feature
    /// whose `generated` property is `true` is marked generated whatever this says, so one file
    /// can hold real RW and the generated RW of the kelurahan that have no real ones.
    pub generated: bool,
    /// Fit the layer to its parents before checking it (`fit::fit_to_parent`): clip each area
    /// to its parent and hand uncovered ground to the neighbour with the longest shared edge.
    pub fit_to_parent: bool,
    /// Measure the layer-wide figures of the report (sibling overlaps, gaps, share outside the
    /// parent). They never reject a layer, only describe it, and cost most of an RW import:
    /// `sigap init` skips them for the shipped layers, whose committed reports hold them.
    pub diagnostics: bool,
    /// Source key (`check_source`) for features without a `sumber` property of their own;
    /// generated features without one get `SOURCE_GENERATED`.
    pub source: Option<String>,
    /// Year of the source (`check_year`) for features without a `tahun` property of their own.
    pub year: Option<i32>,
}

impl ImportOptions {
    pub fn new(level: Level) -> ImportOptions {
        ImportOptions { level, code_field: "kode".into(), name_field: "nama".into(), generated: false, fit_to_parent: false, diagnostics: true, source: None, year: None }
    }
}

/// The source key of RW made by sigap's generator.
pub const SOURCE_GENERATED: &str = "generated";

/// A source key names where a boundary comes from (`inasafe-osm-2012`, `generated`,
/// `dukcapil-2025`): a short identifier, not a citation, so maps, tiles and filters can match
/// on it; the full credit of each key is in `data/wilayah/SOURCE.md` and the README.
pub fn check_source(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.');
    if s.is_empty() || s.len() > 64 || !s.chars().all(ok_char) || !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("source {raw:?} is not a source key: 1–64 characters a–z, 0–9, '-', '_' or '.', e.g. inasafe-osm-2012"));
    }
    Ok(s.to_string())
}

/// The year a boundary source describes: from 1900 (older maps are not boundaries sigap can
/// use) to this year (a later one is a typo).
pub fn check_year(year: i64) -> Result<i32, String> {
    use chrono::Datelike;
    let now = i64::from(chrono::Utc::now().year());
    if (1900..=now).contains(&year) {
        Ok(year as i32)
    } else {
        Err(format!("year {year} is outside 1900..{now}"))
    }
}

/// A feature's source and year: its own `sumber`/`tahun` properties, else the import's options,
/// else `SOURCE_GENERATED` for a generated feature. The error names the property at fault.
fn provenance(f: &RawFeature, opts: &ImportOptions, generated: bool) -> Result<(Option<String>, Option<i32>), String> {
    use serde_json::Value;
    let source = match f.properties.get("sumber") {
        None | Some(Value::Null) => match &opts.source {
            Some(s) => Some(check_source(s)?),
            None => generated.then(|| SOURCE_GENERATED.to_string()),
        },
        Some(Value::String(s)) => Some(check_source(s).map_err(|e| format!("property `sumber`: {e}"))?),
        Some(v) => return Err(format!("property `sumber` must be a text source key, found {v}")),
    };
    let year = match f.properties.get("tahun") {
        None | Some(Value::Null) => opts.year.map(|y| check_year(y.into())).transpose()?,
        Some(Value::Number(n)) if n.as_i64().is_some() => Some(check_year(n.as_i64().unwrap_or_default()).map_err(|e| format!("property `tahun`: {e}"))?),
        Some(v) => return Err(format!("property `tahun` must be a whole year, found {v}")),
    };
    Ok((source, year))
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub feature: usize,
    pub kode: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Repair {
    pub kode: String,
    pub problem: String,
    /// Area change caused by the repair, m².
    pub area_change_m2: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    pub area_m2: f64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub count: usize,
    pub total_m2: f64,
    pub largest_m2: f64,
}

impl Summary {
    fn add(&mut self, a: f64) {
        self.count += 1;
        self.total_m2 += a;
        self.largest_m2 = self.largest_m2.max(a);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outside {
    pub kode: String,
    pub parent: String,
    pub area_outside_m2: f64,
    pub share: f64,
}

/// What the importer found; printed by the CLI and committed for the shipped layer.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub level: Level,
    pub features: usize,
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
    pub repaired: Vec<Repair>,
    pub vertices: usize,
    pub area_km2: f64,
    /// Pairs of features of the layer (same level) whose polygons overlap by more than `SLIVER_M2`.
    pub overlaps: Summary,
    pub largest_overlaps: Vec<Pair>,
    /// Holes in the union of the layer that no feature covers (slivers between neighbours).
    pub gaps: Summary,
    /// Children with more than 1 % of their area outside their parent.
    pub outside_parent: Vec<Outside>,
    /// False when the layer-wide figures (overlaps, gaps, outside parent) were not measured.
    pub diagnostics: bool,
    /// What `--fit-to-parent` did, when asked for.
    pub fit: Option<super::fit::FitReport>,
}

/// Overlaps and gaps below this are floating-point noise, not data problems.
const SLIVER_M2: f64 = 1.0;

impl Report {
    pub fn ok(&self) -> bool {
        self.rejected.is_empty()
    }

    /// Human summary, in the order a Citata reviewer reads it.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "Import report, level {}", self.level);
        let _ = writeln!(
            s,
            "  features: {}  accepted: {}  rejected: {}  repaired: {}",
            self.features,
            self.accepted,
            self.rejected.len(),
            self.repaired.len()
        );
        let _ = writeln!(s, "  vertices: {}  area: {:.1} km²", self.vertices, self.area_km2);
        for r in &self.rejected {
            let _ = writeln!(s, "  REJECTED feature #{} {}: {}", r.feature, r.kode.as_deref().unwrap_or("-"), r.reason);
        }
        for r in &self.repaired {
            let _ = writeln!(s, "  repaired {}: {} (area change {:.0} m²)", r.kode, r.problem, r.area_change_m2);
        }
        if !self.diagnostics {
            let _ = writeln!(s, "  overlaps, gaps and outside-parent shares: not measured (see the layer's committed report)");
        } else {
            let _ = writeln!(
                s,
                "  overlaps between siblings: {} pairs, {:.0} m² total, largest {:.0} m²",
                self.overlaps.count, self.overlaps.total_m2, self.overlaps.largest_m2
            );
            for p in &self.largest_overlaps {
                let _ = writeln!(s, "    {} × {}: {:.0} m²", p.a, p.b, p.area_m2);
            }
            let _ = writeln!(
                s,
                "  gaps between features: {}, {:.0} m² total, largest {:.0} m²",
                self.gaps.count, self.gaps.total_m2, self.gaps.largest_m2
            );
            let _ = writeln!(s, "  children with >1% outside their parent: {}", self.outside_parent.len());
            for o in self.outside_parent.iter().take(10) {
                let _ = writeln!(s, "    {} outside {}: {:.0} m² ({:.1}%)", o.kode, o.parent, o.area_outside_m2, o.share * 100.0);
            }
        }
        if let Some(f) = &self.fit {
            let moved: f64 = f.kelurahan.iter().map(|k| k.moved_m2()).sum();
            let filled: usize = f.kelurahan.iter().map(|k| k.fill_parts).sum();
            let slivers: usize = f.kelurahan.iter().map(|k| k.slivers).sum();
            let _ = writeln!(
                s,
                "  fitted to parents: {} parents, {:.0} m² moved, {} uncovered parts filled ({} slivers < {:.0} m²), worst residual gap {:.1} m²",
                f.kelurahan.len(),
                moved,
                filled,
                slivers,
                super::fit::SLIVER_PART_M2,
                f.worst_residual_gap_m2()
            );
            let _ = writeln!(
                s,
                "  unassigned parts > {:.0} m²: {} ({:.0} m²); mostly in another parent: {}; emptied by the fit: {}",
                super::fit::LARGE_GAP_M2,
                f.unassigned.len(),
                f.unassigned.iter().map(|u| u.area_m2).sum::<f64>(),
                f.elsewhere.len(),
                f.emptied.len()
            );
        }
        let _ = writeln!(s, "  verdict: {}", if self.ok() { "accepted" } else { "REJECTED, nothing was changed" });
        s
    }
}

/// Hook for a progress bar: (stage, done, total).
pub type Progress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// An area's box in an R-tree, by its index in the caller's list (also used by `fit`).
pub(crate) struct Env {
    pub(crate) idx: usize,
    pub(crate) env: AABB<[f64; 2]>,
}
impl RTreeObject for Env {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

pub(crate) fn check_coords(g: &MultiPolygon<f64>) -> Result<(), String> {
    for c in g.coords_iter() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err("coordinate is not a finite number".into());
        }
        if in_jakarta_bbox(c.x, c.y) {
            continue;
        }
        if in_jakarta_bbox(c.y, c.x) {
            return Err(format!("coordinate ({}, {}) is outside Jakarta; it looks like lat, lon order: GeoJSON is lon, lat", c.x, c.y));
        }
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(format!("coordinate ({}, {}) is outside lon −180..180 / lat −90..90", c.x, c.y));
        }
        return Err(format!("coordinate ({}, {}) is outside Jakarta (lon 106.2..107.2, lat −6.6..−5.0)", c.x, c.y));
    }
    if g.0.is_empty() {
        return Err("geometry is empty".into());
    }
    Ok(())
}

pub(crate) fn text_prop(f: &RawFeature, field: &str) -> Option<String> {
    f.properties.get(field).and_then(|v| match v {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Validates a layer. `existing` supplies parents (and the RW layer's kelurahan); the layer being
/// imported replaces features of the same code.
pub fn validate(
    features: Vec<RawFeature>,
    opts: &ImportOptions,
    existing: &Atlas,
    progress: Progress,
) -> (Vec<Area>, Report) {
    let total = features.len();
    let mut rejected = Vec::new();
    let mut repaired = Vec::new();
    let mut seen = HashSet::new();
    let mut areas = Vec::new();
    // Feature position per code, to name the feature when a fitted area is rejected.
    let mut indices = std::collections::HashMap::new();
    let mut territory = super::territory::Checker::new(existing);
    if total == 0 {
        rejected.push(Rejection { feature: 0, kode: None, reason: "the layer has no features".into() });
    }
    for (n, f) in features.into_iter().enumerate() {
        progress("memeriksa fitur", n + 1, total);
        let kode = text_prop(&f, &opts.code_field);
        let generated = opts.generated || f.properties.get("generated") == Some(&serde_json::Value::Bool(true));
        let reject = |reason: String| Rejection { feature: f.index, kode: kode.clone(), reason };
        let Some(raw_code) = kode.clone() else {
            rejected.push(reject(format!("property `{}` (area code) is missing", opts.code_field)));
            continue;
        };
        let code = match AreaCode::parse(&raw_code) {
            Ok(c) if c.level() == opts.level => c,
            Ok(c) => {
                rejected.push(reject(format!("code {raw_code} is a {} code, this import is level {}", c.level(), opts.level)));
                continue;
            }
            Err(e) => {
                rejected.push(reject(e.to_string()));
                continue;
            }
        };
        if !seen.insert(code.clone()) {
            rejected.push(reject(format!("duplicate code {code}")));
            continue;
        }
        let parent = code.parent();
        if let Some(p) = &parent {
            if existing.get(p).is_none() {
                rejected.push(reject(format!("parent {p} is not loaded; import level {} first", p.level())));
                continue;
            }
        }
        let name = match text_prop(&f, &opts.name_field) {
            Some(n) if !n.is_empty() => n,
            _ => {
                rejected.push(reject(format!("property `{}` (name) is missing", opts.name_field)));
                continue;
            }
        };
        let (source, year) = match provenance(&f, opts, generated) {
            Ok(p) => p,
            Err(e) => {
                rejected.push(reject(e));
                continue;
            }
        };
        let geometry = match f.geometry {
            Ok(g) => g,
            Err(e) => {
                rejected.push(reject(e));
                continue;
            }
        };
        if let Err(e) = check_coords(&geometry) {
            rejected.push(reject(e));
            continue;
        }
        let geometry = if let Err(problem) = geometry.check_validation() {
            match geometry.make_valid() {
                Ok(fixed) if fixed.is_valid() && !fixed.0.is_empty() => {
                    let before = project(&geometry).0.iter().map(|p| p.unsigned_area()).sum::<f64>();
                    let after = project(&fixed).unsigned_area();
                    repaired.push(Repair { kode: code.to_string(), problem: problem.to_string(), area_change_m2: after - before });
                    fixed
                }
                _ => {
                    rejected.push(reject(format!("invalid geometry that cannot be repaired: {problem}")));
                    continue;
                }
            }
        } else {
            geometry
        };
        // A layer to be fitted is checked once fitted: before, its areas may reach past their
        // parent by more than the tolerance, which is what the fit repairs.
        if !opts.fit_to_parent {
            if let Err(e) = territory.check(&code, &geometry) {
                rejected.push(reject(e.to_string()));
                continue;
            }
        }
        indices.insert(code.clone(), f.index);
        areas.push(Area { code, name, level: opts.level, parent, geometry, generated, source, year });
    }
    let fit = if opts.fit_to_parent && rejected.is_empty() {
        let (fitted, fit) = super::fit::fit_to_parent(std::mem::take(&mut areas), existing, progress);
        for a in fitted {
            if let Err(e) = territory.check(&a.code, &a.geometry) {
                let feature = indices.get(&a.code).copied().unwrap_or(0);
                rejected.push(Rejection { feature, kode: Some(a.code.to_string()), reason: format!("after the fit: {e}") });
                continue;
            }
            areas.push(a);
        }
        Some(fit)
    } else {
        None
    };
    let metric: Vec<MultiPolygon<f64>> = areas.iter().map(|a| project(&a.geometry)).collect();
    let ((overlaps, largest_overlaps), gaps, outside_parent) = if opts.diagnostics {
        (sibling_overlaps(&areas, &metric, progress), gaps(&metric, progress), outside_parent(&areas, &metric, existing))
    } else {
        ((Summary::default(), Vec::new()), Summary::default(), Vec::new())
    };
    let report = Report {
        level: opts.level,
        features: total,
        accepted: if rejected.is_empty() { areas.len() } else { 0 },
        rejected,
        repaired,
        vertices: areas.iter().map(|a| a.geometry.coords_count()).sum(),
        area_km2: metric.iter().map(|m| m.unsigned_area()).sum::<f64>() / 1e6,
        overlaps,
        largest_overlaps,
        gaps,
        outside_parent,
        diagnostics: opts.diagnostics,
        fit,
    };
    (areas, report)
}

fn sibling_overlaps(areas: &[Area], metric: &[MultiPolygon<f64>], progress: Progress) -> (Summary, Vec<Pair>) {
    let tree = RTree::bulk_load(
        metric
            .iter()
            .enumerate()
            .filter_map(|(idx, m)| {
                m.bounding_rect().map(|r| Env { idx, env: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]) })
            })
            .collect(),
    );
    let mut summary = Summary::default();
    let mut pairs = Vec::new();
    for (i, e) in tree.iter().enumerate() {
        progress("memeriksa tumpang tindih", i + 1, areas.len());
        for other in tree.locate_in_envelope_intersecting(&e.env) {
            if other.idx <= e.idx {
                continue;
            }
            let a = metric[e.idx].intersection(&metric[other.idx]).unsigned_area();
            if a > SLIVER_M2 {
                summary.add(a);
                pairs.push(Pair { a: areas[e.idx].code.to_string(), b: areas[other.idx].code.to_string(), area_m2: a });
            }
        }
    }
    pairs.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    pairs.truncate(10);
    (summary, pairs)
}

fn gaps(metric: &[MultiPolygon<f64>], progress: Progress) -> Summary {
    progress("memeriksa celah", 0, 1);
    let union = geo::unary_union(metric.iter());
    let mut s = Summary::default();
    for p in &union.0 {
        for hole in p.interiors() {
            let a = geo::Polygon::new(hole.clone(), vec![]).unsigned_area();
            if a > SLIVER_M2 {
                s.add(a);
            }
        }
    }
    progress("memeriksa celah", 1, 1);
    s
}

fn outside_parent(areas: &[Area], metric: &[MultiPolygon<f64>], existing: &Atlas) -> Vec<Outside> {
    let mut parents: BTreeMap<String, MultiPolygon<f64>> = BTreeMap::new();
    let mut out = Vec::new();
    for (a, m) in areas.iter().zip(metric) {
        let Some(p) = &a.parent else { continue };
        let Some(parent) = existing.get(p) else { continue };
        let pm = parents.entry(p.to_string()).or_insert_with(|| project(&parent.geometry));
        let outside = m.difference(pm).unsigned_area();
        let total = m.unsigned_area();
        if total > 0.0 && outside / total > 0.01 {
            out.push(Outside { kode: a.code.to_string(), parent: p.to_string(), area_outside_m2: outside, share: outside / total });
        }
    }
    out.sort_by(|a, b| b.area_outside_m2.total_cmp(&a.area_outside_m2));
    out
}

/// One boundary edited by a person (the native `PUT /api/v1/wilayah/{code}`, and OGC API
/// create/replace): the importer's checks — territory included (inside DKI Jakarta, inside its
/// parent, overlapping its old footprint) — on a single feature. `kept` is the stored area being
/// replaced: the edit keeps its generated flag, source and year (who changed it is in the audit
/// log); a new area is official with no source recorded. Returns the area to write, or the field
/// at fault (`nama` or `geometry`) and why.
pub fn check_edit(atlas: &Atlas, code: &AreaCode, nama: &str, geometry: Result<MultiPolygon<f64>, String>, kept: Option<&Area>) -> Result<Vec<Area>, (&'static str, String)> {
    let mut properties = geojson::JsonObject::new();
    properties.insert("kode".into(), code.to_string().into());
    properties.insert("nama".into(), nama.into());
    let feature = RawFeature { index: 1, properties, geometry };
    let opts = ImportOptions {
        generated: kept.is_some_and(|a| a.generated),
        source: kept.and_then(|a| a.source.clone()),
        year: kept.and_then(|a| a.year),
        ..ImportOptions::new(code.level())
    };
    let (areas, report) = validate(vec![feature], &opts, atlas, &|_, _, _| {});
    match report.rejected.first() {
        Some(r) => Err((if r.reason.contains("name") { "nama" } else { "geometry" }, r.reason.clone())),
        None => Ok(areas),
    }
}

#[cfg(test)]
mod provenance_tests {
    use super::*;

    #[test]
    fn source_keys_and_years() {
        assert_eq!(check_source(" inasafe-osm-2012 ").as_deref(), Ok("inasafe-osm-2012"));
        assert_eq!(check_source("dukcapil_2025.v2").as_deref(), Ok("dukcapil_2025.v2"));
        for bad in ["", "  ", "InaSAFE", "a b", "-lead", "sumber\u{0}", &"x".repeat(65)] {
            assert!(check_source(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_year(2012), Ok(2012));
        for bad in [1899, 3000, -2012] {
            assert!(check_year(bad).is_err(), "{bad}");
        }
    }
}
