//! Open-data downloads of the progress roll-up: one level (optionally inside a parent) as CSV or
//! GeoJSON, with the same numbers as `GET /api/v1/bansos/progress`. Aggregates per area only —
//! no record, no person, no actor. Each file carries its licences and, when the numbers include
//! generated demo data, the "data contoh (dibangkitkan)" label (CSV: columns on every row, so
//! the label survives any filtering in a spreadsheet; GeoJSON: on the collection and each feature).

use super::rollup::{Progress, ProgressLevel};
use geo::MultiPolygon;
use serde_json::{json, Value};

/// The label the public page uses for generated data.
pub const GENERATED: &str = "data contoh (dibangkitkan)";

/// Licence of the progress numbers published by sigap.
pub const NUMBERS_LICENCE: &str = "Angka progres: CC BY 4.0 (sigap)";

/// Licence of the boundaries a level's rows are drawn from (names and, in GeoJSON, geometry).
pub fn boundary_licence(level: ProgressLevel) -> &'static str {
    match level {
        ProgressLevel::Rw => "Batas RW: © kontributor OpenStreetMap via InaSAFE, ODbL 1.0 (sumber belum diverifikasi); RW bertanda batas_dibangkitkan: data contoh (dibangkitkan)",
        _ => "Batas wilayah: Kemendagri via cahyadsn/wilayah_boundaries (MIT)",
    }
}

/// The full licence line of a file of this level.
pub fn licence(level: ProgressLevel) -> String {
    format!("{NUMBERS_LICENCE}; {}", boundary_licence(level))
}

/// Download file name, e.g. `bansos-progres-kelurahan-31.71.01.csv`.
pub fn file_name(p: &Progress, ext: &str) -> String {
    match &p.parent {
        Some(parent) => format!("bansos-progres-{}-{parent}.{ext}", p.level.as_str()),
        None => format!("bansos-progres-{}.{ext}", p.level.as_str()),
    }
}

/// One row per area, sorted by code (the `areas` map is ordered). `boundary_generated` says
/// which areas' boundaries are generated (the demo RW); their rows say so too.
pub fn csv(p: &Progress, boundary_generated: &dyn Fn(&str) -> bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "kode", "nama", "level", "target_kk", "served_kk", "percent", "packages_received", "packages_damaged", "packages_returned",
        "updated_at", "generated", "batas_dibangkitkan", "catatan", "lisensi",
    ])?;
    let licence = licence(p.level);
    for (code, a) in &p.areas {
        let bgen = boundary_generated(code);
        let note = if p.generated || bgen { GENERATED } else { "" };
        w.write_record([
            code.as_str(),
            a.nama.as_str(),
            p.level.as_str(),
            &a.target_kk.to_string(),
            &a.served_kk.to_string(),
            &a.percent.map(|v| v.to_string()).unwrap_or_default(),
            &a.packages_received.to_string(),
            &a.packages_damaged.to_string(),
            &a.packages_returned.to_string(),
            &a.updated_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            if p.generated { "true" } else { "false" },
            if bgen { "true" } else { "false" },
            note,
            &licence,
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Rounds to 6 decimals (≈ 0.1 m): the boundaries are not more precise, and it halves the file.
fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn geometry(g: &MultiPolygon<f64>) -> Value {
    let ring = |r: &geo::LineString<f64>| r.0.iter().map(|c| json!([round(c.x), round(c.y)])).collect::<Vec<_>>();
    let polys: Vec<Value> = g
        .0
        .iter()
        .map(|p| Value::Array(std::iter::once(p.exterior()).chain(p.interiors()).map(|r| Value::Array(ring(r))).collect()))
        .collect();
    json!({ "type": "MultiPolygon", "coordinates": polys })
}

/// The boundary of an area by code, and whether it is generated (`None`: no boundary).
pub type Boundary<'a> = dyn Fn(&str) -> Option<(&'a MultiPolygon<f64>, bool)> + 'a;

/// A FeatureCollection: one feature per area with its boundary (null for the province, which the
/// atlas does not hold) and the CSV's columns as properties; licence and labels as foreign members.
pub fn geojson<'a>(p: &Progress, boundary: &Boundary<'a>) -> Value {
    let features: Vec<Value> = p
        .areas
        .iter()
        .map(|(code, a)| {
            let b = boundary(code);
            let bgen = b.is_some_and(|(_, g)| g);
            json!({
                "type": "Feature",
                "id": code,
                "geometry": b.map(|(g, _)| geometry(g)),
                "properties": {
                    "kode": code, "nama": a.nama, "level": p.level,
                    "target_kk": a.target_kk, "served_kk": a.served_kk, "percent": a.percent,
                    "packages_received": a.packages_received, "packages_damaged": a.packages_damaged,
                    "packages_returned": a.packages_returned, "updated_at": a.updated_at,
                    "generated": p.generated, "batas_dibangkitkan": bgen,
                    "catatan": if p.generated || bgen { GENERATED } else { "" },
                }
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "name": file_name(p, "geojson").trim_end_matches(".geojson"),
        "level": p.level,
        "parent": p.parent,
        "generated": p.generated,
        "catatan": if p.generated { format!("Target dan penyaluran: {GENERATED}.") } else { String::new() },
        "license": licence(p.level),
        "features": features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bansos::rollup::AreaProgress;
    use geo::polygon;

    fn sample(generated: bool) -> Progress {
        let area = |nama: &str, t, s| AreaProgress {
            nama: nama.into(), target_kk: t, served_kk: s, packages_received: s + 2, packages_damaged: 1, packages_returned: 0,
            percent: super::super::rollup::percent(s, t), updated_at: None,
        };
        Progress {
            level: ProgressLevel::Kelurahan,
            parent: Some("31.71.01".into()),
            generated,
            areas: [("31.71.01.1001".to_string(), area("Gambir, \"Pusat\"", 300, 150)), ("31.71.01.1002".to_string(), area("Cideng", 0, 0))].into(),
        }
    }

    #[test]
    fn csv_has_every_area_licence_and_label_on_every_row() {
        let out = String::from_utf8(csv(&sample(true), &|_| false).unwrap()).unwrap();
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][1], "Gambir, \"Pusat\"", "quoted, not broken");
        assert_eq!((&rows[0][3], &rows[0][4], &rows[0][5]), ("300", "150", "50"));
        assert_eq!(&rows[1][5], "", "no target, no percent");
        assert!(rows.iter().all(|x| &x[12] == GENERATED && x[13].contains("CC BY 4.0") && x[13].contains("MIT")));
        assert_eq!(file_name(&sample(true), "csv"), "bansos-progres-kelurahan-31.71.01.csv");
    }

    #[test]
    fn real_numbers_are_not_labelled_and_geojson_carries_geometry_and_licence() {
        let out = String::from_utf8(csv(&sample(false), &|c| c == "31.71.01.1002").unwrap()).unwrap();
        let line = out.lines().nth(1).unwrap();
        assert!(!line.contains(GENERATED), "{line}");
        assert!(out.lines().nth(2).unwrap().contains(GENERATED), "a generated boundary is labelled even with real numbers");

        let g: MultiPolygon<f64> = polygon![(x: 106.8123456789, y: -6.17), (x: 106.83, y: -6.17), (x: 106.83, y: -6.18)].into();
        let fc = geojson(&sample(false), &|c| (c == "31.71.01.1001").then_some((&g, false)));
        assert_eq!(fc["type"], "FeatureCollection");
        assert!(fc["license"].as_str().unwrap().contains("MIT"));
        assert_eq!(fc["features"][0]["geometry"]["coordinates"][0][0][0][0], 106.812346);
        assert_eq!(fc["features"][0]["properties"]["served_kk"], 150);
        assert_eq!(fc["features"][1]["geometry"], Value::Null, "no boundary: null geometry");
        assert_eq!(fc["generated"], false);
    }
}
