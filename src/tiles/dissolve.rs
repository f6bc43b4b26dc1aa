//! Display geometry of kota and kecamatan: the dissolve (union) of their kelurahan.
//!
//! The source's kota (768 vertices) and kecamatan (980 vertices for 44 areas) layers are coarse
//! and were simplified independently of the detailed kelurahan layer (13 976 vertices), so drawn
//! as they are they leave white gaps, overlap each other and cut across kelurahan. The tiles
//! therefore draw each kota/kecamatan as the union of the kelurahan whose code it prefixes, with
//! the small interior holes the union leaves where neighbouring kelurahan do not quite meet
//! dropped. The API keeps returning the stored (source) geometry; only the map uses this.

use crate::wilayah::{to_metric, AreaCode, Atlas, Level};
use geo::{unary_union, Area as _, LineString, MapCoords, MultiPolygon, Polygon};
use std::collections::HashMap;

/// Interior holes of a dissolved area smaller than this (m²) are dropped: the source's gap
/// slivers between kelurahan are well below it (thin strips of a few metres), while a real
/// enclave (a kelurahan of another kecamatan, a lake) is far larger. `tiles/martin.sql` uses the
/// same threshold.
pub const MIN_HOLE_M2: f64 = 5_000.0;

/// Interior holes narrower than this on average (m; mean width = 2 × area / perimeter) are
/// dropped too, whatever their area. The white slits the public map showed inside Jakarta Utara
/// and Jakarta Selatan were such holes: 5 m wide and up to 2 km long (5 000–11 500 m²), gaps
/// between neighbouring kelurahan that the area rule alone kept. A real enclave is far wider.
/// `tiles/martin.sql` uses the same rule.
pub const MIN_HOLE_WIDTH_M: f64 = 25.0;

/// Mean width in m of a lon/lat ring (2 × area / perimeter, in the local metric projection).
pub fn ring_mean_width_m(ring: &LineString<f64>) -> f64 {
    use geo::{Euclidean, Length};
    let perimeter = Euclidean.length(&ring.map_coords(|c| to_metric(c.x, c.y)));
    if perimeter > 0.0 {
        2.0 * ring_area_m2(ring) / perimeter
    } else {
        0.0
    }
}

/// Area in m² of a lon/lat ring, in the atlas's local metric projection.
pub fn ring_area_m2(ring: &LineString<f64>) -> f64 {
    Polygon::new(ring.map_coords(|c| to_metric(c.x, c.y)), vec![]).unsigned_area()
}

/// The union of `parts` (lon/lat) without interior holes smaller than `min_hole_m2` or
/// narrower than [`MIN_HOLE_WIDTH_M`].
pub fn union_without_small_holes<'a>(parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>, min_hole_m2: f64) -> MultiPolygon<f64> {
    let union = unary_union(parts);
    MultiPolygon(
        union
            .0
            .into_iter()
            .map(|p| {
                let (exterior, holes) = p.into_inner();
                Polygon::new(exterior, holes.into_iter().filter(|h| ring_area_m2(h) >= min_hole_m2 && ring_mean_width_m(h) >= MIN_HOLE_WIDTH_M).collect())
            })
            .collect(),
    )
}

/// Dissolved geometry of every kota and kecamatan of the atlas that has kelurahan loaded
/// (kecamatan `31.71.01` ← kelurahan `31.71.01.*`, kota `31.71` ← all kelurahan `31.71.*`).
/// Areas without kelurahan are absent: the caller falls back to the stored geometry.
pub fn dissolve(atlas: &Atlas) -> HashMap<AreaCode, MultiPolygon<f64>> {
    let mut groups: HashMap<AreaCode, Vec<&MultiPolygon<f64>>> = HashMap::new();
    for kel in atlas.all().iter().filter(|a| a.level == Level::Kelurahan) {
        for level in [Level::Kota, Level::Kecamatan] {
            if let Some(code) = kel.code.ancestor(level) {
                groups.entry(code).or_default().push(&kel.geometry);
            }
        }
    }
    groups
        .into_iter()
        .filter(|(code, _)| atlas.get(code).is_some())
        .map(|(code, parts)| (code, union_without_small_holes(parts, MIN_HOLE_M2)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wilayah::geojson_io::read_features;
    use crate::wilayah::import::{validate, ImportOptions};
    use crate::wilayah::{Area, AtlasConfig};
    use geo::{polygon, BooleanOps, Contains, InteriorPoint};
    use std::path::Path;

    /// The shipped kota, kecamatan and kelurahan layers, through the real importer.
    fn shipped() -> Atlas {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/wilayah");
        let mut areas: Vec<Area> = Vec::new();
        for (level, file) in [(Level::Kota, "kota"), (Level::Kecamatan, "kecamatan"), (Level::Kelurahan, "kelurahan")] {
            let text = std::fs::read_to_string(dir.join(format!("{file}.geojson"))).unwrap();
            let so_far = Atlas::new(areas.clone(), AtlasConfig::default());
            let (mut more, report) = validate(read_features(&text).unwrap(), &ImportOptions::new(level), &so_far, &|_, _, _| {});
            assert!(report.rejected.is_empty(), "{file}: {:?}", report.rejected);
            areas.append(&mut more);
        }
        Atlas::new(areas, AtlasConfig::default())
    }

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).unwrap()
    }

    fn sq(lon: f64, lat: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]])
    }

    #[test]
    fn small_holes_are_dropped_and_large_ones_kept() {
        // A square with a 0.001° (≈ 12 000 m²) hole, and one with a 0.0005° (≈ 3 000 m²) hole,
        // each cut in two pieces: after the union the first hole stays, the second goes.
        let with_hole = |inner: f64| {
            let outer = sq(106.80, -6.20, 0.01);
            let hole = sq(106.805 - inner / 2.0, -6.195 - inner / 2.0, inner);
            let donut = outer.difference(&hole);
            // Split the donut in two halves so the union really has to merge them.
            let left = donut.intersection(&sq(106.70, -6.30, 0.105));
            let right = donut.difference(&sq(106.70, -6.30, 0.105));
            union_without_small_holes([&left, &right], MIN_HOLE_M2)
        };
        let kept = with_hole(0.001);
        assert_eq!(kept.0.len(), 1);
        assert_eq!(kept.0[0].interiors().len(), 1, "a ≈12 000 m² hole is a real enclave");
        assert!(ring_area_m2(&kept.0[0].interiors()[0]) > MIN_HOLE_M2);
        let filled = with_hole(0.0005);
        assert_eq!(filled.0.len(), 1);
        assert!(filled.0[0].interiors().is_empty(), "a ≈3 000 m² hole is a sliver");
    }

    #[test]
    fn a_long_thin_hole_is_a_slit_and_is_dropped_whatever_its_area() {
        // A 0.00005° (≈ 5.5 m) × 0.02° (≈ 2.2 km) hole: ≈ 12 000 m², above MIN_HOLE_M2, but a slit.
        let outer = sq(106.80, -6.20, 0.03);
        let slit = MultiPolygon(vec![polygon![(x: 106.805, y: -6.19), (x: 106.825, y: -6.19), (x: 106.825, y: -6.18995), (x: 106.805, y: -6.18995), (x: 106.805, y: -6.19)]]);
        let donut = outer.difference(&slit);
        assert!(ring_area_m2(donut.0[0].interiors().first().unwrap()) > MIN_HOLE_M2);
        assert!(ring_mean_width_m(donut.0[0].interiors().first().unwrap()) < MIN_HOLE_WIDTH_M);
        let left = donut.intersection(&sq(106.70, -6.30, 0.115));
        let right = donut.difference(&sq(106.70, -6.30, 0.115));
        let u = union_without_small_holes([&left, &right], MIN_HOLE_M2);
        assert_eq!(u.0.len(), 1);
        assert!(u.0[0].interiors().is_empty(), "the slit is filled");
    }

    #[test]
    fn shipped_dissolve_has_no_slit_left() {
        let holes: Vec<String> = dissolve(&shipped())
            .iter()
            .flat_map(|(code, g)| g.0.iter().flat_map(|p| p.interiors()).map(move |h| format!("{code}: {:.0} m², {:.1} m wide", ring_area_m2(h), ring_mean_width_m(h))))
            .collect();
        assert!(holes.is_empty(), "holes left: {holes:?}");
    }

    #[test]
    fn an_area_without_kelurahan_is_not_dissolved() {
        let a = |c: &str, g| {
            let c = code(c);
            Area { level: c.level(), parent: c.parent(), code: c, name: "X".into(), geometry: g, generated: false, source: None, year: None }
        };
        let atlas = Atlas::new(
            vec![a("31.71", sq(106.7, -6.3, 0.3)), a("31.72", sq(107.0, -6.3, 0.1)), a("31.71.01", sq(106.8, -6.2, 0.05)), a("31.71.01.1001", sq(106.80, -6.20, 0.01)), a("31.71.01.1002", sq(106.81, -6.20, 0.01))],
            AtlasConfig::default(),
        );
        let d = dissolve(&atlas);
        let mut codes: Vec<&str> = d.keys().map(AreaCode::as_str).collect();
        codes.sort();
        assert_eq!(codes, ["31.71", "31.71.01"], "31.72 has no kelurahan");
        let two = &d[&code("31.71.01")];
        assert_eq!(two.0.len(), 1, "touching squares merge into one polygon");
        assert!((ring_area_m2(two.0[0].exterior()) - 2.0 * ring_area_m2(sq(106.8, -6.2, 0.01).0[0].exterior())).abs() < 1.0);
    }

    #[test]
    fn shipped_gambir_covers_its_kelurahan_and_every_kelurahan_is_inside_its_parents() {
        let atlas = shipped();
        let d = dissolve(&atlas);
        assert_eq!(d.len(), atlas.len(Level::Kota) + atlas.len(Level::Kecamatan), "every kota and kecamatan has kelurahan");

        let gambir = &d[&code("31.71.01")];
        let kel: Vec<&Area> = atlas.list(Level::Kelurahan, Some(&code("31.71.01")));
        assert!(kel.len() >= 6, "{}", kel.len());
        let raw = unary_union(kel.iter().map(|k| &k.geometry));
        // Covers the union: nothing of the kelurahan is left outside (up to float noise).
        let outside: f64 = raw.difference(gambir).0.iter().map(|p| ring_area_m2(p.exterior())).sum();
        assert!(outside < 1.0, "{outside} m² of Gambir's kelurahan outside the dissolve");
        for p in &gambir.0 {
            for h in p.interiors() {
                assert!(ring_area_m2(h) >= MIN_HOLE_M2, "a hole of {} m² was kept", ring_area_m2(h));
            }
            assert!(p.interiors().is_empty(), "Gambir has no real enclave, so no hole at all");
        }
        // Much finer than the stored, independently simplified kecamatan.
        let vertices = |g: &MultiPolygon<f64>| g.0.iter().map(|p| p.exterior().0.len()).sum::<usize>();
        assert!(vertices(gambir) > vertices(&atlas.get(&code("31.71.01")).unwrap().geometry));

        for k in atlas.list(Level::Kelurahan, None) {
            let pt = k.geometry.interior_point().unwrap();
            for level in [Level::Kecamatan, Level::Kota] {
                let parent = k.code.ancestor(level).unwrap();
                assert!(d[&parent].contains(&pt), "{} {:?} not inside dissolved {parent}", k.code, pt);
            }
        }
    }
}
