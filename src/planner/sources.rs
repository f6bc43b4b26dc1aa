//! Where depots and stops come from: JSON or CSV files, or the atlas (one drop point inside each
//! RW). Plain functions, no store or HTTP, so the CLI, the API and the bansos progress wiring
//! share them.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{DepotInput, LonLat, StopInput};
use crate::wilayah::{AreaCode, Atlas, Level};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{file}: {reason}")]
    Format { file: String, reason: String },
}

fn format_err(file: &Path, reason: impl std::fmt::Display) -> SourceError {
    SourceError::Format { file: file.display().to_string(), reason: reason.to_string() }
}

/// Reads a list of `T` from a JSON array (`.json`) or a CSV file with a header (anything else);
/// CSV errors name the line.
fn read_list<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, SourceError> {
    let text = std::fs::read_to_string(path).map_err(|e| SourceError::Io(path.display().to_string(), e))?;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        return serde_json::from_str(&text).map_err(|e| format_err(path, e));
    }
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| format_err(path, format!("line {}: {e}", i + 2))))
        .collect()
}

pub fn read_depots(path: &Path) -> Result<Vec<DepotInput>, SourceError> {
    read_list(path)
}

pub fn read_stops(path: &Path) -> Result<Vec<StopInput>, SourceError> {
    read_list(path)
}

/// Packages received per stop (`stop,packages`), for re-planning.
pub fn read_delivered(path: &Path) -> Result<Vec<super::replan::Delivered>, SourceError> {
    read_list(path)
}

/// Packages still owed to an RW: the target minus what its BAST records show delivered, never
/// negative (an over-delivered RW needs nothing more).
pub fn remaining(target: i64, delivered: i64) -> i64 {
    (target - delivered.max(0)).max(0)
}

/// Splits `total` over `weights` in proportion, by largest remainder, so the parts add up to
/// `total` exactly (ties go to the earlier key).
pub fn apportion(total: u64, weights: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let sum: u64 = weights.values().sum();
    if sum == 0 {
        return weights.keys().map(|k| (k.clone(), 0)).collect();
    }
    let mut out = BTreeMap::new();
    let mut rest: Vec<(u128, &String)> = Vec::with_capacity(weights.len());
    let mut given = 0u64;
    for (k, &w) in weights {
        let exact = total as u128 * w as u128;
        let share = (exact / sum as u128) as u64;
        given += share;
        rest.push((exact % sum as u128, k));
        out.insert(k.clone(), share);
    }
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    for (_, k) in rest.into_iter().take((total - given) as usize) {
        if let Some(v) = out.get_mut(k) {
            *v += 1;
        }
    }
    out
}

/// Estimated population per RW code from the demo RW layer's `penduduk_perkiraan` property.
pub fn rw_population(path: &Path) -> Result<BTreeMap<String, u64>, SourceError> {
    let text = std::fs::read_to_string(path).map_err(|e| SourceError::Io(path.display().to_string(), e))?;
    let fc: geojson::FeatureCollection = text.parse::<geojson::GeoJson>().map_err(|e| format_err(path, e))?.try_into().map_err(|e| format_err(path, e))?;
    let mut out = BTreeMap::new();
    for (i, f) in fc.features.iter().enumerate() {
        let kode = f.property("kode").and_then(|v| v.as_str()).ok_or_else(|| format_err(path, format!("feature {i}: no kode")))?;
        let pop = f.property("penduduk_perkiraan").and_then(|v| v.as_u64()).unwrap_or(0);
        out.insert(kode.to_string(), pop);
    }
    Ok(out)
}

/// One stop per RW in the atlas, at the RW's interior point, with `packages(code)` packages;
/// RW for which it gives `None` or nothing positive are left out (already served).
pub fn stops_from_atlas(atlas: &Atlas, packages: impl Fn(&AreaCode) -> Option<i64>) -> Vec<StopInput> {
    let name_of = |code: Option<AreaCode>| code.and_then(|c| atlas.get(&c)).map(|a| a.name.clone());
    let mut stops: Vec<StopInput> = atlas
        .list(Level::Rw, None)
        .into_iter()
        .filter_map(|rw| {
            let n = packages(&rw.code).filter(|&n| n > 0)?;
            let p = atlas.interior_point(&rw.code)?;
            let kelurahan = rw.code.parent();
            let kecamatan = kelurahan.as_ref().and_then(|k| k.parent());
            Some(StopInput {
                id: rw.code.as_str().to_string(),
                name: Some(format!("{}, {}", rw.name, name_of(kelurahan.clone()).unwrap_or_default())),
                lon: p.x(),
                lat: p.y(),
                packages: n,
                window_start: None,
                window_end: None,
                kelurahan: name_of(kelurahan),
                kecamatan: name_of(kecamatan),
                ..Default::default()
            })
        })
        .collect();
    stops.sort_by(|a, b| a.id.cmp(&b.id));
    stops
}

/// A drop point moved by hand (the RW office, a field, the mosque where packages are handed out).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct DropPoint {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
}

pub fn read_drop_points(path: &Path) -> Result<Vec<DropPoint>, SourceError> {
    read_list(path)
}

/// Moves stops to their edited drop points. An id that is not a stop is an error (a typo would
/// otherwise leave the default point silently); a point outside its own RW is moved anyway and
/// reported, since the RW layer is generated and may be wrong where the edit is right.
pub fn apply_drop_points(stops: &mut [StopInput], points: &[DropPoint], atlas: &Atlas) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let Some(stop) = stops.iter_mut().find(|s| s.id == p.id.trim()) else {
            return Err(format!("drop point {} ('{}'): no such stop", i + 1, p.id));
        };
        stop.lon = p.lon;
        stop.lat = p.lat;
        let outside = AreaCode::parse(&stop.id).map(|code| !atlas.contains(&code, p.lon, p.lat)).unwrap_or(false);
        if outside {
            notes.push(format!("drop point of {} ({:.5},{:.5}) lies outside its RW boundary", stop.id, p.lon, p.lat));
        }
    }
    Ok(notes)
}

/// A coordination slot agreed with a kecamatan (seed 002: the distribution schedule is agreed
/// with each kecamatan): its RW receive packages only within it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct KecamatanSlot {
    pub kecamatan: String,
    pub window_start: super::model::ClockTime,
    pub window_end: super::model::ClockTime,
}

pub fn read_slots(path: &Path) -> Result<Vec<KecamatanSlot>, SourceError> {
    read_list(path)
}

/// Gives every stop whose RW code lies in a slot's kecamatan that slot as its window (a window
/// already on the stop is kept). A code that is not a kecamatan, or a kecamatan given twice, is
/// an error naming the slot; returns how many stops got a window.
pub fn apply_slots(stops: &mut [StopInput], slots: &[KecamatanSlot]) -> Result<usize, String> {
    let mut seen = std::collections::HashSet::new();
    let mut codes = Vec::with_capacity(slots.len());
    for (i, slot) in slots.iter().enumerate() {
        let code = AreaCode::parse_level(slot.kecamatan.trim(), Level::Kecamatan).map_err(|e| format!("slot {}: {e}", i + 1))?;
        if slot.window_end <= slot.window_start {
            return Err(format!("slot {}: window end {} must be after window start {}", i + 1, slot.window_end, slot.window_start));
        }
        if !seen.insert(code.clone()) {
            return Err(format!("slot {}: kecamatan {} is given twice", i + 1, code.as_str()));
        }
        codes.push(code);
    }
    let mut given = 0;
    for stop in stops.iter_mut().filter(|s| s.window_start.is_none() && s.window_end.is_none()) {
        let Ok(code) = AreaCode::parse(&stop.id) else { continue };
        if let Some(i) = codes.iter().position(|k| code.is_within(k)) {
            stop.window_start = Some(slots[i].window_start);
            stop.window_end = Some(slots[i].window_end);
            given += 1;
        }
    }
    Ok(given)
}

/// The atlas's answer to "is this point in DKI Jakarta?" for [`super::plan_within`]; with no
/// kelurahan loaded every point passes and the bounding box alone decides.
pub fn atlas_area(atlas: &Atlas) -> impl Fn(LonLat) -> bool + '_ {
    move |p: LonLat| atlas.len(Level::Kelurahan) == 0 || atlas.locate(p.lon, p.lat).map(|l| l.in_jakarta()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_adds_up_and_follows_the_weights() {
        let w: BTreeMap<String, u64> = [("a", 1), ("b", 1), ("c", 1)].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let parts = apportion(10, &w);
        assert_eq!(parts.values().sum::<u64>(), 10);
        assert_eq!(parts["a"], 4);
        assert_eq!(parts["b"], 3);
        let w: BTreeMap<String, u64> = [("x", 3_000), ("y", 1_000)].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(apportion(1_194_633, &w).values().sum::<u64>(), 1_194_633);
        assert_eq!(apportion(1_194_633, &w)["y"], 298_658);
        assert_eq!(apportion(5, &BTreeMap::from([("z".to_string(), 0)]))["z"], 0);
    }

    #[test]
    fn kecamatan_slots_become_windows_of_their_rw() {
        use crate::planner::model::ClockTime;
        let stop = |id: &str| StopInput { id: id.into(), lon: 106.82, lat: -6.18, packages: 10, ..Default::default() };
        let mut stops = vec![stop("31.71.01.1001.001"), stop("31.71.01.1002.004"), stop("31.74.01.1001.001"), stop("gudang-x")];
        stops[1].window_start = Some(ClockTime::hm(13, 0));
        stops[1].window_end = Some(ClockTime::hm(14, 0));
        let slot = |k: &str, a: u32, b: u32| KecamatanSlot { kecamatan: k.into(), window_start: ClockTime::hm(a, 0), window_end: ClockTime::hm(b, 0) };
        assert_eq!(apply_slots(&mut stops, &[slot("31.71.01", 9, 11)]), Ok(1));
        assert_eq!(stops[0].window_start, Some(ClockTime::hm(9, 0)));
        assert_eq!(stops[1].window_start, Some(ClockTime::hm(13, 0)), "a stop's own window wins");
        assert_eq!(stops[2].window_start, None);
        assert!(apply_slots(&mut stops, &[slot("31.71", 9, 11)]).unwrap_err().starts_with("slot 1:"));
        assert!(apply_slots(&mut stops, &[slot("31.74.01", 11, 9)]).unwrap_err().contains("after"));
        assert!(apply_slots(&mut stops, &[slot("31.74.01", 8, 9), slot("31.74.01", 10, 11)]).unwrap_err().contains("twice"));
    }

    #[test]
    fn remaining_never_goes_negative() {
        assert_eq!(remaining(400, 150), 250);
        assert_eq!(remaining(400, 500), 0);
        assert_eq!(remaining(400, -3), 400);
    }

    #[test]
    fn csv_and_json_files_read_alike_and_errors_name_the_line() {
        let dir = std::env::temp_dir().join(format!("sigap_planner_sources_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv_path = dir.join("stops.csv");
        std::fs::write(&csv_path, "id,lon,lat,packages,window_start,window_end\nA,106.82,-6.18,40,,\nB,106.83,-6.19,60,09:00,11:30\n").unwrap();
        let stops = read_stops(&csv_path).unwrap();
        assert_eq!(stops.len(), 2);
        assert_eq!(stops[0].window_start, None);
        assert_eq!(stops[1].window_end.map(|t| t.to_string()), Some("11:30".into()));
        let json_path = dir.join("stops.json");
        std::fs::write(&json_path, serde_json::to_string(&stops).unwrap()).unwrap();
        assert_eq!(read_stops(&json_path).unwrap(), stops);
        std::fs::write(&csv_path, "id,lon,lat,packages\nA,106.82,-6.18,40\nB,106.83,x,60\n").unwrap();
        let e = read_stops(&csv_path).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_shipped_depots_read_alike_from_json_and_csv_and_validate() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo");
        let json = read_depots(&root.join("depots.json")).unwrap();
        let csv = read_depots(&root.join("depots.csv")).unwrap();
        // The JSON file also says where its figures come from (a note the CSV has no column for).
        assert!(json.iter().all(|d| d.note.as_deref().is_some_and(|n| n.starts_with("GENERATED"))));
        let figures: Vec<DepotInput> = json.iter().map(|d| DepotInput { note: None, ..d.clone() }).collect();
        assert_eq!(figures, csv);
        let ids: Vec<&str> = json.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["BALAIKOTA", "DINKES", "GULKARMAT", "DINSOS"]);
        let req = crate::planner::PlanRequest {
            depots: json,
            stops: vec![StopInput { id: "x".into(), lon: 106.82, lat: -6.18, packages: 1, ..Default::default() }],
            ..Default::default()
        };
        let valid = req.validate().unwrap();
        assert!(valid.depots.iter().map(|d| d.stock).sum::<u64>() >= crate::planner::cli::JAKARTA_KK);
    }
}
