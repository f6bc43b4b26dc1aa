//! RW layers that carry names instead of codes, such as the 2012 RW layer of mainland Jakarta
//! (kota/kecamatan/kelurahan names and an "RW 01" label per polygon): name → code crosswalk,
//! RW label normalisation, multi-part merge and geometry repair. Pure logic over plain values;
//! `sigap prepare rw` drives it and `fit::fit_to_parent` conflates the result afterwards.
//!
//! Nothing is matched by a fuzzy guess: a kelurahan name joins a 2025 Kemendagri code only when
//! (kecamatan, kelurahan) are equal after `name_key` (case, spaces, punctuation dropped) or when a
//! reviewed row of the crosswalk table (`data/wilayah/rw-crosswalk.csv`, a reason per row) says so.

use super::atlas::{project, Area, Atlas};
use super::code::{AreaCode, Level};
use super::geojson_io::RawFeature;
use super::import::text_prop;
use super::rwgen::name_key;
use geo::{Area as _, BooleanOps, MakeValid, MultiPolygon, Validation};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Which properties of the source hold the names and the label.
#[derive(Debug, Clone)]
pub struct Fields {
    pub kota: String,
    pub kecamatan: String,
    pub kelurahan: String,
    pub label: String,
    /// Feature id shown in the report (the source's OBJECTID); the 1-based position when absent.
    pub id: String,
}

impl Default for Fields {
    /// The field names of the 2012 layer (`rw_jakarta.shp`).
    fn default() -> Fields {
        Fields { kota: "KAB_NAME".into(), kecamatan: "KEC_NAME".into(), kelurahan: "KEL_NAME".into(), label: "RW".into(), id: "OBJECTID".into() }
    }
}

/// One reviewed row of the crosswalk: the source's names, the 2025 kelurahan code, and why.
#[derive(Debug, Clone, Serialize)]
pub struct CrosswalkRow {
    pub kota: String,
    pub kecamatan: String,
    pub kelurahan: String,
    pub kode: AreaCode,
    pub reason: String,
}

/// Reads the crosswalk CSV (`kab_name,kec_name,kel_name,kode,reason`). Every row needs a
/// kelurahan code and a reason; an error names the line.
pub fn read_crosswalk(text: &str) -> Result<Vec<CrosswalkRow>, String> {
    let mut rdr = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let col = |n: &str| headers.iter().position(|h| h.trim() == n).ok_or_else(|| format!("crosswalk: column `{n}` missing"));
    let (kab, kec, kel, kode, reason) = (col("kab_name")?, col("kec_name")?, col("kel_name")?, col("kode")?, col("reason")?);
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("crosswalk line {line}: {e}"))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim().to_string();
        let code = AreaCode::parse_level(&get(kode), Level::Kelurahan).map_err(|e| format!("crosswalk line {line}: {e} (a kelurahan code is expected)"))?;
        let why = get(reason);
        if why.is_empty() {
            return Err(format!("crosswalk line {line}: the reason is empty; every row says why the names map to {code}"));
        }
        if get(kel).is_empty() || get(kec).is_empty() {
            return Err(format!("crosswalk line {line}: kec_name and kel_name are required"));
        }
        rows.push(CrosswalkRow { kota: get(kab), kecamatan: get(kec), kelurahan: get(kel), kode: code, reason: why });
    }
    Ok(rows)
}

/// Normalises an RW label: "RW 1", "RW 01", "RW 010", "RW13", "rw.7" and "7" all give the RW
/// number; blank gives `None`; anything else (a place name, 0, more than three digits) is an error.
pub fn parse_label(raw: Option<&str>) -> Result<Option<u16>, String> {
    let s = raw.unwrap_or("").trim();
    if s.is_empty() {
        return Ok(None);
    }
    let upper = s.to_uppercase();
    let digits = upper.strip_prefix("RW").unwrap_or(&upper).trim_start_matches(|c: char| c == '.' || c == ':' || c.is_whitespace());
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("RW label `{s}` is not an RW number (expected e.g. RW 01, RW 1, RW13)"));
    }
    match digits.parse::<u16>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(format!("RW label `{s}` is not an RW number (RW numbers start at 1)")),
    }
}

/// A kelurahan name triple of the source and how it was matched.
#[derive(Debug, Clone, Serialize)]
pub struct NameMatch {
    pub kota: String,
    pub kecamatan: String,
    pub kelurahan: String,
    /// Source polygons with these names.
    pub polygons: usize,
    pub kode: Option<String>,
    /// `exact` or `crosswalk: <reason>`.
    pub how: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub id: String,
    pub kode: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    pub kode: String,
    pub parts: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Repaired {
    pub id: String,
    pub kode: String,
    pub problem: String,
    pub area_change_m2: f64,
}

/// What assembling the named layer found. `refused` is non-empty when nothing may be written.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SourceReport {
    pub features: usize,
    pub names: Vec<NameMatch>,
    /// Crosswalk rows no source feature used (stale rows are worth a look).
    pub unused_crosswalk: Vec<String>,
    /// Blank and unparseable labels: the polygon is left out and its ground is refilled by the fit.
    pub dropped: Vec<Dropped>,
    pub merged: Vec<Merged>,
    pub repaired: Vec<Repaired>,
    pub refused: Vec<String>,
}

impl SourceReport {
    pub fn ok(&self) -> bool {
        self.refused.is_empty()
    }

    pub fn unmatched(&self) -> impl Iterator<Item = &NameMatch> {
        self.names.iter().filter(|n| n.kode.is_none())
    }
}

/// Turns a named RW layer into coded RW areas (not yet fitted to their kelurahan).
///
/// Refused (empty result, reasons in `refused`): kelurahan names that match neither exactly nor
/// through the crosswalk (all listed), polygons outside Jakarta or unreadable. Reported and left
/// out: blank and unparseable labels. Merged: polygons that share a kelurahan and RW number.
/// Repaired: invalid polygons (MakeValid), with the area change.
pub fn assemble(features: Vec<RawFeature>, fields: &Fields, kelurahan: &Atlas, crosswalk: &[CrosswalkRow]) -> (Vec<Area>, SourceReport) {
    let mut report = SourceReport { features: features.len(), ..SourceReport::default() };
    let mut exact: HashMap<(String, String), AreaCode> = HashMap::new();
    for k in kelurahan.list(Level::Kelurahan, None) {
        let kec = k.parent.as_ref().and_then(|p| kelurahan.get(p)).map(|p| p.name.as_str()).unwrap_or("");
        exact.insert((name_key(kec), name_key(&k.name)), k.code.clone());
    }
    let reviewed: HashMap<(String, String), &CrosswalkRow> =
        crosswalk.iter().map(|r| ((name_key(&r.kecamatan), name_key(&r.kelurahan)), r)).collect();
    for r in crosswalk {
        if kelurahan.get(&r.kode).is_none() {
            report.refused.push(format!("crosswalk row {} / {} → {}: no such kelurahan is loaded", r.kecamatan, r.kelurahan, r.kode));
        }
    }
    let mut used_rows = std::collections::HashSet::new();
    let mut names: BTreeMap<(String, String, String), NameMatch> = BTreeMap::new();
    let mut parts: BTreeMap<AreaCode, Vec<MultiPolygon<f64>>> = BTreeMap::new();
    if features.is_empty() {
        report.refused.push("the layer has no features".into());
    }
    for f in features {
        let id = text_prop(&f, &fields.id).unwrap_or_else(|| format!("#{}", f.index));
        let (kab, kec, kel) = (text_prop(&f, &fields.kota).unwrap_or_default(), text_prop(&f, &fields.kecamatan).unwrap_or_default(), text_prop(&f, &fields.kelurahan).unwrap_or_default());
        let key = (name_key(&kec), name_key(&kel));
        let (kode, how) = match (exact.get(&key), reviewed.get(&key)) {
            (Some(c), _) => (Some(c.clone()), "exact".to_string()),
            (None, Some(r)) => {
                used_rows.insert(key.clone());
                (Some(r.kode.clone()), format!("crosswalk: {}", r.reason))
            }
            (None, None) => (None, "UNMATCHED".to_string()),
        };
        let entry = names.entry((kab.clone(), kec.clone(), kel.clone())).or_insert_with(|| NameMatch {
            kota: kab,
            kecamatan: kec,
            kelurahan: kel,
            polygons: 0,
            kode: kode.as_ref().map(|c| c.to_string()),
            how,
        });
        entry.polygons += 1;
        let geometry = match f.geometry.clone().and_then(|g| super::import::check_coords(&g).map(|()| g)) {
            Ok(g) => g,
            Err(e) => {
                report.refused.push(format!("feature {id}: {e}"));
                continue;
            }
        };
        let Some(kel_code) = kode else { continue };
        let number = match parse_label(text_prop(&f, &fields.label).as_deref()) {
            Ok(Some(n)) => n,
            Ok(None) => {
                report.dropped.push(Dropped { id, kode: Some(kel_code.to_string()), reason: "blank RW label".into() });
                continue;
            }
            Err(e) => {
                report.dropped.push(Dropped { id, kode: Some(kel_code.to_string()), reason: e });
                continue;
            }
        };
        let Ok(code) = AreaCode::parse(&format!("{kel_code}.{number:03}")) else {
            report.refused.push(format!("feature {id}: cannot form an RW code from {kel_code} and {number}"));
            continue;
        };
        let geometry = match geometry.check_validation() {
            Ok(()) => geometry,
            Err(problem) => match geometry.make_valid() {
                Ok(fixed) if fixed.is_valid() && !fixed.0.is_empty() => {
                    let before: f64 = project(&geometry).0.iter().map(|p| p.unsigned_area()).sum();
                    let after = project(&fixed).unsigned_area();
                    report.repaired.push(Repaired { id, kode: code.to_string(), problem: problem.to_string(), area_change_m2: after - before });
                    fixed
                }
                _ => {
                    report.refused.push(format!("feature {id}: invalid geometry that cannot be repaired: {problem}"));
                    continue;
                }
            },
        };
        parts.entry(code).or_default().push(geometry);
    }
    report.names = names.into_values().collect();
    let unmatched: Vec<String> =
        report.unmatched().map(|n| format!("{} / {} / {} ({} polygons)", n.kota, n.kecamatan, n.kelurahan, n.polygons)).collect();
    if !unmatched.is_empty() {
        report.refused.push(format!(
            "{} kelurahan name(s) match no 2025 kelurahan, neither exactly nor through the crosswalk: {}",
            unmatched.len(),
            unmatched.join("; ")
        ));
    }
    report.unused_crosswalk = crosswalk
        .iter()
        .filter(|r| !used_rows.contains(&(name_key(&r.kecamatan), name_key(&r.kelurahan))))
        .map(|r| format!("{} / {} → {}", r.kecamatan, r.kelurahan, r.kode))
        .collect();
    if !report.ok() {
        return (Vec::new(), report);
    }
    let areas = parts
        .into_iter()
        .map(|(code, polys)| {
            if polys.len() > 1 {
                report.merged.push(Merged { kode: code.to_string(), parts: polys.len() });
            }
            let geometry = polys.iter().skip(1).fold(polys[0].clone(), |acc, p| acc.union(p));
            let number = code.as_str().rsplit('.').next().unwrap_or("").to_string();
            Area { name: format!("RW {number}"), level: Level::Rw, parent: code.parent(), geometry, code, generated: false, source: None, year: None }
        })
        .collect();
    (areas, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wilayah::AtlasConfig;
    use geo::polygon;

    #[test]
    fn labels_normalise_to_numbers_and_junk_is_named() {
        for (raw, n) in [("RW 1", 1), ("RW 01", 1), ("RW 010", 10), ("RW13", 13), ("rw.7", 7), (" 7 ", 7), ("RW 999", 999)] {
            assert_eq!(parse_label(Some(raw)), Ok(Some(n)), "{raw}");
        }
        assert_eq!(parse_label(None), Ok(None));
        assert_eq!(parse_label(Some("  ")), Ok(None));
        for bad in ["Kawasan Industri Pulogadung", "RW 0", "RW 1000", "RW 1a", "RW"] {
            let e = parse_label(Some(bad)).unwrap_err();
            assert!(e.contains(bad.trim()), "{e}");
        }
    }

    #[test]
    fn crosswalk_rows_need_a_code_and_a_reason() {
        let ok = "kab_name,kec_name,kel_name,kode,reason\nJAKARTA BARAT,TAMBORA,KREDANG,31.73.04.1005,spelling: Krendang\n";
        assert_eq!(read_crosswalk(ok).unwrap()[0].kode.as_str(), "31.73.04.1005");
        let no_reason = "kab_name,kec_name,kel_name,kode,reason\nJAKARTA BARAT,TAMBORA,KREDANG,31.73.04.1005,\n";
        assert!(read_crosswalk(no_reason).unwrap_err().contains("line 2: the reason is empty"));
        let bad_code = "kab_name,kec_name,kel_name,kode,reason\nJAKARTA BARAT,TAMBORA,KREDANG,31.73.04,x\n";
        assert!(read_crosswalk(bad_code).unwrap_err().contains("line 2"));
        assert!(read_crosswalk("kab_name,kec_name,kel_name,kode\n").unwrap_err().contains("`reason` missing"));
    }

    fn sq(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)]])
    }

    fn atlas() -> Atlas {
        let a = |code: &str, name: &str, g: MultiPolygon<f64>| {
            let code = AreaCode::parse(code).unwrap();
            Area { level: code.level(), parent: code.parent(), code, name: name.into(), geometry: g, generated: false, source: None, year: None }
        };
        Atlas::new(
            vec![
                a("31.73", "Jakarta Barat", sq(106.70, -6.20, 0.1)),
                a("31.73.04", "Tambora", sq(106.70, -6.20, 0.1)),
                a("31.73.04.1001", "Tanah Sereal", sq(106.70, -6.20, 0.05)),
                a("31.73.04.1002", "Jembatan Besi", sq(106.75, -6.20, 0.05)),
            ],
            AtlasConfig::default(),
        )
    }

    fn feature(i: usize, kel: &str, rw: Option<&str>, g: MultiPolygon<f64>) -> RawFeature {
        let mut p = geojson::JsonObject::new();
        p.insert("OBJECTID".into(), i.into());
        p.insert("KAB_NAME".into(), "JAKARTA BARAT".into());
        p.insert("KEC_NAME".into(), "TAMBORA".into());
        p.insert("KEL_NAME".into(), kel.into());
        p.insert("RW".into(), rw.map_or(serde_json::Value::Null, Into::into));
        RawFeature { index: i, properties: p, geometry: Ok(g) }
    }

    fn crosswalk() -> Vec<CrosswalkRow> {
        read_crosswalk("kab_name,kec_name,kel_name,kode,reason\nJAKARTA BARAT,TAMBORA,TANAH SERAL,31.73.04.1001,spelling\n").unwrap()
    }

    #[test]
    fn names_match_exactly_or_through_a_reviewed_row_and_parts_merge() {
        let bowtie = MultiPolygon(vec![polygon![(x: 106.76, y: -6.19), (x: 106.77, y: -6.18), (x: 106.77, y: -6.19), (x: 106.76, y: -6.18), (x: 106.76, y: -6.19)]]);
        let features = vec![
            feature(1, "Jembatan  besi", Some("RW 01"), sq(106.75, -6.20, 0.01)),
            feature(2, "JEMBATAN BESI", Some("RW1"), sq(106.76, -6.20, 0.01)),
            feature(3, "TANAH SERAL", Some("RW 010"), sq(106.70, -6.20, 0.01)),
            feature(4, "TANAH SERAL", None, sq(106.71, -6.20, 0.01)),
            feature(5, "TANAH SERAL", Some("Kawasan Industri"), sq(106.72, -6.20, 0.01)),
            feature(6, "JEMBATAN BESI", Some("RW 02"), bowtie),
        ];
        let (areas, r) = assemble(features, &Fields::default(), &atlas(), &crosswalk());
        assert!(r.ok(), "{:?}", r.refused);
        let codes: Vec<&str> = areas.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["31.73.04.1001.010", "31.73.04.1002.001", "31.73.04.1002.002"]);
        assert_eq!(areas[0].name, "RW 010");
        assert_eq!(areas[1].geometry.0.len(), 1, "two touching parts merge into one polygon");
        assert_eq!(r.merged.len(), 1);
        assert_eq!((r.merged[0].kode.as_str(), r.merged[0].parts), ("31.73.04.1002.001", 2));
        assert_eq!(r.dropped.len(), 2);
        assert!(r.dropped.iter().any(|d| d.id == "5" && d.reason.contains("Kawasan Industri")));
        assert_eq!(r.repaired.len(), 1);
        assert_eq!(r.repaired[0].kode, "31.73.04.1002.002");
        assert!(r.names.iter().any(|n| n.kelurahan == "TANAH SERAL" && n.how == "crosswalk: spelling"));
        assert!(areas.iter().all(|a| !a.generated && a.geometry.is_valid()));
    }

    #[test]
    fn unmatched_names_and_places_outside_jakarta_refuse_the_layer() {
        let features = vec![
            feature(1, "JEMBATAN BESI", Some("RW 01"), sq(106.75, -6.20, 0.01)),
            feature(2, "ANGKE LAMA", Some("RW 01"), sq(106.75, -6.20, 0.01)),
            feature(3, "ANGKE LAMA", Some("RW 02"), sq(106.75, -6.20, 0.01)),
            feature(4, "JEMBATAN BESI", Some("RW 03"), sq(110.75, -7.20, 0.01)),
        ];
        let (areas, r) = assemble(features, &Fields::default(), &atlas(), &[]);
        assert!(areas.is_empty(), "nothing comes out of a refused layer");
        let all = r.refused.join("\n");
        assert!(all.contains("JAKARTA BARAT / TAMBORA / ANGKE LAMA (2 polygons)"), "{all}");
        assert!(!all.contains("TANAH"), "only names that occur are listed: {all}");
        assert!(all.contains("feature 4") && all.contains("outside Jakarta"), "{all}");
        // A reviewed row must point at a loaded kelurahan.
        let stale = read_crosswalk("kab_name,kec_name,kel_name,kode,reason\nX,TAMBORA,ANGKE LAMA,31.73.04.1009,renamed\n").unwrap();
        let (_, r) = assemble(vec![feature(1, "ANGKE LAMA", Some("RW 01"), sq(106.75, -6.20, 0.01))], &Fields::default(), &atlas(), &stale);
        assert!(r.refused.iter().any(|e| e.contains("31.73.04.1009: no such kelurahan")), "{:?}", r.refused);
    }
}
