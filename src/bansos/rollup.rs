//! Progress rolled up from RW to kelurahan, kecamatan, kota and the province: plain sums over
//! the RW figures, so every level agrees with the one below it by construction.

use crate::wilayah::{AreaCode, Level};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Code and name of the province, the top of the roll-up.
pub const PROVINSI_CODE: &str = "31";
pub const PROVINSI_NAME: &str = "DKI Jakarta";

/// A level of the progress roll-up: the atlas levels plus the province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProgressLevel {
    Provinsi,
    Kota,
    Kecamatan,
    Kelurahan,
    Rw,
}

impl ProgressLevel {
    pub fn parse(s: &str) -> Option<ProgressLevel> {
        Some(match s {
            "provinsi" => ProgressLevel::Provinsi,
            "kota" => ProgressLevel::Kota,
            "kecamatan" => ProgressLevel::Kecamatan,
            "kelurahan" => ProgressLevel::Kelurahan,
            "rw" => ProgressLevel::Rw,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProgressLevel::Provinsi => "provinsi",
            ProgressLevel::Kota => "kota",
            ProgressLevel::Kecamatan => "kecamatan",
            ProgressLevel::Kelurahan => "kelurahan",
            ProgressLevel::Rw => "rw",
        }
    }

    /// The atlas level, `None` for the province (which the atlas does not hold).
    pub fn atlas_level(self) -> Option<Level> {
        match self {
            ProgressLevel::Provinsi => None,
            ProgressLevel::Kota => Some(Level::Kota),
            ProgressLevel::Kecamatan => Some(Level::Kecamatan),
            ProgressLevel::Kelurahan => Some(Level::Kelurahan),
            ProgressLevel::Rw => Some(Level::Rw),
        }
    }

    /// The code of the area at this level that contains `rw`.
    pub fn key_of(self, rw: &AreaCode) -> Option<String> {
        match self.atlas_level() {
            None => Some(PROVINSI_CODE.to_string()),
            Some(l) => rw.ancestor(l).map(|c| c.to_string()),
        }
    }
}

/// Sums for one area. Counts only records not replaced by a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Figures {
    pub target_kk: u64,
    pub served_kk: u64,
    pub packages_received: u64,
    pub packages_damaged: u64,
    pub packages_returned: u64,
    /// Good packages left for households (`PackageCounts::usable` summed per record).
    pub packages_usable: u64,
    /// True when any of it is generated demo data.
    pub generated: bool,
    /// When a record or target of the area was last written (the map's "diperbarui" date).
    pub updated_at: Option<DateTime<Utc>>,
}

impl std::ops::AddAssign for Figures {
    fn add_assign(&mut self, o: Figures) {
        self.target_kk += o.target_kk;
        self.served_kk += o.served_kk;
        self.packages_received += o.packages_received;
        self.packages_damaged += o.packages_damaged;
        self.packages_returned += o.packages_returned;
        self.packages_usable += o.packages_usable;
        self.generated |= o.generated;
        self.updated_at = self.updated_at.max(o.updated_at);
    }
}

/// One area in the progress response (the shape the web map reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaProgress {
    pub nama: String,
    pub target_kk: u64,
    pub served_kk: u64,
    pub packages_received: u64,
    pub packages_damaged: u64,
    pub packages_returned: u64,
    /// served_kk / target_kk × 100, one decimal; null when the area has no target.
    pub percent: Option<f64>,
    /// Last write of a record or target in the area; null when it has none.
    pub updated_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/bansos/progress` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    pub level: ProgressLevel,
    pub parent: Option<String>,
    /// True when the numbers include generated demo data.
    pub generated: bool,
    pub areas: BTreeMap<String, AreaProgress>,
}

/// Percent served, rounded to one decimal so the JSON stays small and stable.
pub fn percent(served: u64, target: u64) -> Option<f64> {
    (target > 0).then(|| (served as f64 * 1000.0 / target as f64).round() / 10.0)
}

/// Rolls the RW figures up to `level`, for the `areas` (code, name) listed at that level (areas
/// without records get zeros, so the map shows them as "not started" rather than missing).
pub fn progress(level: ProgressLevel, parent: Option<&AreaCode>, areas: &[(String, String)], rw: &BTreeMap<AreaCode, Figures>) -> Progress {
    let mut sums: BTreeMap<String, Figures> = BTreeMap::new();
    for (code, f) in rw {
        if parent.is_some_and(|p| !code.is_within(p)) {
            continue;
        }
        if let Some(k) = level.key_of(code) {
            *sums.entry(k).or_default() += *f;
        }
    }
    let mut generated = false;
    let areas = areas
        .iter()
        .map(|(code, nama)| {
            let f = sums.get(code).copied().unwrap_or_default();
            generated |= f.generated;
            let p = AreaProgress {
                nama: nama.clone(),
                target_kk: f.target_kk,
                served_kk: f.served_kk,
                packages_received: f.packages_received,
                packages_damaged: f.packages_damaged,
                packages_returned: f.packages_returned,
                percent: percent(f.served_kk, f.target_kk),
                updated_at: f.updated_at,
            };
            (code.clone(), p)
        })
        .collect();
    Progress { level, parent: parent.map(|p| p.to_string()), generated, areas }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).unwrap()
    }

    fn at(day: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap().and_hms_opt(8, 0, 0).unwrap().and_utc()
    }

    fn fig(target: u64, served: u64, received: u64) -> Figures {
        Figures { target_kk: target, served_kk: served, packages_received: received, packages_damaged: 1, packages_returned: 1, packages_usable: received, generated: false, updated_at: None }
    }

    fn sample() -> BTreeMap<AreaCode, Figures> {
        [
            (code("31.71.01.1001.001"), Figures { updated_at: Some(at(3)), ..fig(100, 50, 60) }),
            (code("31.71.01.1001.002"), fig(200, 0, 0)),
            (code("31.71.01.1002.001"), Figures { updated_at: Some(at(1)), ..fig(300, 300, 300) }),
            (code("31.72.01.1001.001"), Figures { generated: true, updated_at: Some(at(5)), ..fig(400, 100, 150) }),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn every_level_sums_the_level_below() {
        let rw = sample();
        let kel = progress(
            ProgressLevel::Kelurahan,
            None,
            &[("31.71.01.1001".into(), "Gambir".into()), ("31.71.01.1002".into(), "Cideng".into()), ("31.72.01.1001".into(), "X".into())],
            &rw,
        );
        assert_eq!(kel.areas["31.71.01.1001"].target_kk, 300);
        assert_eq!(kel.areas["31.71.01.1001"].served_kk, 50);
        assert_eq!(kel.areas["31.71.01.1001"].packages_damaged, 2);
        assert_eq!(kel.areas["31.71.01.1001"].percent, Some(16.7));
        assert_eq!(kel.areas["31.71.01.1002"].percent, Some(100.0));
        assert!(kel.generated, "one RW is generated");

        let kota = progress(ProgressLevel::Kota, None, &[("31.71".into(), "Jakarta Pusat".into()), ("31.72".into(), "Jakarta Utara".into())], &rw);
        let kel_sum: u64 = kel.areas.values().map(|a| a.target_kk).sum();
        let kota_sum: u64 = kota.areas.values().map(|a| a.target_kk).sum();
        assert_eq!(kel_sum, kota_sum);
        assert_eq!(kota.areas["31.71"].served_kk, 350);

        let prov = progress(ProgressLevel::Provinsi, None, &[(PROVINSI_CODE.into(), PROVINSI_NAME.into())], &rw);
        let p = &prov.areas["31"];
        assert_eq!((p.target_kk, p.served_kk, p.packages_received), (1000, 450, 510));
        assert_eq!(p.percent, Some(45.0));
        assert_eq!(p.updated_at, Some(at(5)), "the latest write of any RW below");
        assert_eq!(kota.areas["31.71"].updated_at, Some(at(3)));
    }

    #[test]
    fn parent_filters_and_empty_areas_get_zeros() {
        let rw = sample();
        let parent = code("31.71.01.1001");
        let areas = vec![("31.71.01.1001.001".into(), "RW 001".into()), ("31.71.01.1001.002".into(), "RW 002".into()), ("31.71.01.1001.003".into(), "RW 003".into())];
        let p = progress(ProgressLevel::Rw, Some(&parent), &areas, &rw);
        assert_eq!(p.parent.as_deref(), Some("31.71.01.1001"));
        assert_eq!(p.areas.len(), 3);
        assert_eq!(p.areas["31.71.01.1001.002"].percent, Some(0.0));
        assert_eq!(p.areas["31.71.01.1001.003"].target_kk, 0);
        assert_eq!(p.areas["31.71.01.1001.003"].percent, None, "no target, no percent");
        assert_eq!(p.areas["31.71.01.1001.003"].updated_at, None, "never written");
        assert!(!p.generated, "the generated RW is outside the parent");
    }

    #[test]
    fn levels_parse_and_serialise_lowercase() {
        for s in ["provinsi", "kota", "kecamatan", "kelurahan", "rw"] {
            let l = ProgressLevel::parse(s).unwrap();
            assert_eq!(l.as_str(), s);
            assert_eq!(serde_json::to_value(l).unwrap(), s);
        }
        assert_eq!(ProgressLevel::parse("desa"), None);
        assert_eq!(ProgressLevel::Provinsi.key_of(&code("31.75.01.1001.001")).as_deref(), Some("31"));
    }
}
