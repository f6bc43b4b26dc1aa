//! Routing at intake and on re-location: plain values in, a decision and its explanation out.
//! No SQL or HTTP here, so every rule is a unit test against a small synthetic atlas.

use super::model::{Channel, Flag, RouteReason, Status, Units};
use crate::wilayah::{check_lon_lat, AreaRef, Atlas, LocateError, Method};
use serde::{Deserialize, Serialize};

/// A geotag as reported by the channel (also the body of `relocate`); unknown fields are refused.
/// Only a JSON object is one: serde's derive would also take `[lon, lat]` for the struct, an
/// order nothing checks, so the derive is kept as `Geotag::deserialize` (`remote = "Self"`) and
/// the trait impl below hands it a map only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct Geotag {
    pub lon: f64,
    pub lat: f64,
    /// GPS accuracy radius in metres, when the channel reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

impl Serialize for Geotag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Geotag::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Geotag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Geotag, D::Error> {
        struct MapOnly;
        impl<'de> serde::de::Visitor<'de> for MapOnly {
            type Value = Geotag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object {\"lon\", \"lat\", \"accuracy_m\"?}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<Geotag, A::Error> {
                Geotag::deserialize(serde::de::value::MapAccessDeserializer::new(m))
            }
        }
        d.deserialize_map(MapOnly)
    }
}

/// The routing decision, stored with the complaint as `routing`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Routing {
    /// Unit whose queue now holds the complaint.
    pub unit: String,
    pub status: Status,
    pub reason: RouteReason,
    /// Human-readable explanation (Indonesian) of `reason`.
    pub detail: String,
    pub flags: Vec<Flag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kelurahan: Option<AreaRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rw: Option<AreaRef>,
    /// The other kelurahan that could be responsible (near boundary / overlap / the nearest one
    /// for an unclear location), for the operator to confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kandidat_lain: Option<AreaRef>,
    /// Distance from the point to the chosen (or nearest) kelurahan, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// The coordinates used (after a swap correction), lon/lat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<[f64; 2]>,
    /// True when lon/lat arrived swapped and were corrected.
    pub swapped: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RouteError {
    #[error(transparent)]
    Coordinate(#[from] LocateError),
    #[error("accuracy_m = {0} must be a finite number ≥ 0")]
    Accuracy(f64),
    #[error("channel {0} has no owner unit; add one to the unit list")]
    NoChannelOwner(Channel),
}

impl RouteError {
    pub fn field(&self) -> &'static str {
        match self {
            RouteError::Coordinate(e) => e.field().unwrap_or("location"),
            RouteError::Accuracy(_) => "location.accuracy_m",
            RouteError::NoChannelOwner(_) => "channel",
        }
    }
}

/// Accuracy radius above which the point alone cannot be trusted to pick a kelurahan.
pub const LOW_ACCURACY_M: f64 = 100.0;

/// Decides who must act on a complaint from `channel` with an optional geotag.
pub fn route(atlas: &Atlas, units: &Units, channel: Channel, geotag: Option<Geotag>) -> Result<Routing, RouteError> {
    let owner = units.channel_owner(channel).map(|u| u.id.clone()).ok_or(RouteError::NoChannelOwner(channel));
    let Some(g) = geotag else {
        return Ok(Routing {
            unit: owner?,
            status: Status::Diterima,
            reason: RouteReason::PenanggungJawabKanal,
            detail: format!("tanpa geotag: antrean penanggung jawab kanal {channel} untuk didisposisikan manual"),
            flags: vec![Flag::TanpaGeotag],
            method: None,
            kelurahan: None,
            rw: None,
            kandidat_lain: None,
            distance_m: None,
            point: None,
            swapped: false,
        });
    };
    for (field, v) in [("location.lon", g.lon), ("location.lat", g.lat)] {
        if !v.is_finite() {
            return Err(LocateError::NotFinite { field: if field.ends_with("lon") { "location.lon" } else { "location.lat" } }.into());
        }
    }
    if let Some(a) = g.accuracy_m {
        if !a.is_finite() || a < 0.0 {
            return Err(RouteError::Accuracy(a));
        }
    }
    // As given first; if that is out of range or outside Jakarta, try the swapped pair, which
    // is how a lat,lon-ordered client shows up (lat 106.8 is out of range, lon -6.2 is at sea).
    let given = check_lon_lat(g.lon, g.lat).ok().map(|_| atlas.locate(g.lon, g.lat)).transpose()?;
    let (loc, swapped) = match given {
        Some(l) if l.in_jakarta() => (l, false),
        _ => {
            let swapped = check_lon_lat(g.lat, g.lon).ok().map(|_| atlas.locate(g.lat, g.lon)).transpose()?;
            match (swapped, given) {
                (Some(s), _) if s.in_jakarta() => (s, true),
                (_, Some(l)) => (l, false),
                // Out of range both ways: report the field as given.
                (_, None) => {
                    return Err(match check_lon_lat(g.lon, g.lat) {
                        Err(LocateError::OutOfRange { field, value, min, max }) => LocateError::OutOfRange {
                            field: if field == "lon" { "location.lon" } else { "location.lat" },
                            value,
                            min,
                            max,
                        },
                        Err(e) => e,
                        Ok(()) => LocateError::Empty,
                    }
                    .into())
                }
            }
        }
    };
    let mut flags = Vec::new();
    if swapped {
        flags.push(Flag::KoordinatTertukar);
    }
    if g.accuracy_m.is_some_and(|a| a > LOW_ACCURACY_M) {
        flags.push(Flag::AkurasiRendah);
    }
    let swap_note = if swapped { " (lon/lat tertukar, sudah dibalik)" } else { "" };
    let point = Some([loc.lon, loc.lat]);
    let kel_name = loc.kelurahan.as_ref().map(|k| format!("{} {}", k.kode, k.nama)).unwrap_or_default();
    let (unit, status, reason, detail, kandidat) = match (loc.method, &loc.kelurahan) {
        (Method::Outside, _) | (_, None) => {
            flags.push(Flag::LokasiTidakJelas);
            (
                owner?,
                Status::Diterima,
                RouteReason::LokasiTidakJelas,
                format!("titik di luar Jakarta ({:.0} m dari kelurahan terdekat {kel_name}){swap_note}: antrean penanggung jawab kanal {channel}", loc.distance_m),
                loc.kelurahan.clone(),
            )
        }
        (Method::Gap, Some(k)) => {
            flags.push(Flag::PerluKonfirmasi);
            flags.push(Flag::LokasiTidakJelas);
            (k.kode.clone(), Status::Assigned, RouteReason::CelahTerdekat,
             format!("titik di celah antarbatas, {:.0} m dari kelurahan terdekat {kel_name}{swap_note}", loc.distance_m), None)
        }
        (Method::Overlap, Some(k)) => {
            flags.push(Flag::PerluKonfirmasi);
            let other = loc.others.first().cloned();
            let others = loc.others.iter().map(|o| format!("{} {}", o.kode, o.nama)).collect::<Vec<_>>().join(", ");
            (k.kode.clone(), Status::Assigned, RouteReason::TumpangTindih,
             format!("titik di dua poligon kelurahan; dipilih {kel_name}, juga {others}{swap_note}"), other)
        }
        (Method::Inside, Some(k)) => match &loc.near_boundary {
            Some(n) => {
                flags.push(Flag::PerluKonfirmasi);
                (k.kode.clone(), Status::Assigned, RouteReason::DekatBatas,
                 format!("di dalam {kel_name}, {:.0} m dari batas {} {}{swap_note}", n.distance_m, n.kode, n.nama),
                 Some(AreaRef { kode: n.kode.clone(), nama: n.nama.clone() }))
            }
            None => (k.kode.clone(), Status::Assigned, RouteReason::DalamKelurahan, format!("di dalam kelurahan {kel_name}{swap_note}"), None),
        },
    };
    // Near-boundary info is also worth keeping on gap/overlap points when the atlas has it.
    let kandidat_lain = kandidat.or_else(|| loc.near_boundary.as_ref().map(|n| AreaRef { kode: n.kode.clone(), nama: n.nama.clone() }));
    let assigned = status == Status::Assigned;
    Ok(Routing {
        unit,
        status,
        reason,
        detail,
        flags,
        method: Some(loc.method),
        kelurahan: if assigned { loc.kelurahan.clone() } else { None },
        rw: if assigned { loc.rw.clone() } else { None },
        kandidat_lain,
        distance_m: Some(loc.distance_m),
        point,
        swapped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complaints::model::{parse_units_csv, SHIPPED_UNITS_CSV};
    use crate::wilayah::{Area, AreaCode, AtlasConfig, Level};
    use geo::{polygon, MultiPolygon};

    fn sq(lon: f64, lat: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]])
    }

    fn area(code: &str, name: &str, level: Level, g: MultiPolygon<f64>) -> Area {
        let code = AreaCode::parse(code).unwrap();
        Area { parent: code.parent(), code, name: name.into(), level, geometry: g, generated: false, source: None, year: None }
    }

    /// Two kelurahan side by side with a 0.001° (~110 m) gap, a third overlapping the first.
    fn atlas() -> Atlas {
        Atlas::new(
            vec![
                area("31.71", "Jakarta Pusat", Level::Kota, sq(106.80, -6.20, 0.06)),
                area("31.71.01", "Gambir", Level::Kecamatan, sq(106.80, -6.20, 0.06)),
                area("31.71.01.1001", "Gambir", Level::Kelurahan, sq(106.80, -6.20, 0.02)),
                area("31.71.01.1002", "Cideng", Level::Kelurahan, sq(106.821, -6.20, 0.02)),
                area("31.71.01.1003", "Petojo", Level::Kelurahan, sq(106.815, -6.19, 0.02)),
            ],
            AtlasConfig::default(),
        )
    }

    fn units() -> Units {
        Units { seeded: parse_units_csv(SHIPPED_UNITS_CSV).unwrap() }
    }

    fn at(lon: f64, lat: f64) -> Option<Geotag> {
        Some(Geotag { lon, lat, accuracy_m: None })
    }

    #[test]
    fn inside_is_assigned_to_the_kelurahan() {
        let r = route(&atlas(), &units(), Channel::Jaki, at(106.805, -6.195)).unwrap();
        assert_eq!((r.unit.as_str(), r.status, r.reason), ("31.71.01.1001", Status::Assigned, RouteReason::DalamKelurahan));
        assert!(r.flags.is_empty());
        assert!(!r.swapped);
    }

    #[test]
    fn near_boundary_is_assigned_and_flagged_with_the_other_candidate() {
        // 10 m west of the Gambir/Petojo overlap edge at lon 106.815, inside Gambir only.
        let r = route(&atlas(), &units(), Channel::Qlue, at(106.8149, -6.185)).unwrap();
        assert_eq!(r.unit, "31.71.01.1001");
        assert_eq!(r.reason, RouteReason::DekatBatas);
        assert_eq!(r.flags, vec![Flag::PerluKonfirmasi]);
        assert_eq!(r.kandidat_lain.unwrap().kode, "31.71.01.1003");
    }

    #[test]
    fn overlap_is_assigned_and_flagged_with_the_other_polygon() {
        let r = route(&atlas(), &units(), Channel::Web, at(106.8175, -6.185)).unwrap();
        assert_eq!(r.reason, RouteReason::TumpangTindih);
        assert_eq!(r.status, Status::Assigned);
        assert!(r.flags.contains(&Flag::PerluKonfirmasi));
        let chosen = r.unit.clone();
        let other = r.kandidat_lain.unwrap().kode;
        assert_ne!(chosen, other);
        assert!([chosen, other].contains(&"31.71.01.1003".to_string()));
    }

    #[test]
    fn gap_goes_to_the_nearest_and_is_flagged() {
        // Between Gambir (ends 106.820) and Cideng (starts 106.821), closer to Cideng.
        let r = route(&atlas(), &units(), Channel::Sms, at(106.8208, -6.199)).unwrap();
        assert_eq!(r.unit, "31.71.01.1002");
        assert_eq!(r.reason, RouteReason::CelahTerdekat);
        assert!(r.flags.contains(&Flag::PerluKonfirmasi) && r.flags.contains(&Flag::LokasiTidakJelas));
    }

    #[test]
    fn outside_goes_to_the_channel_owner_as_unclear() {
        let r = route(&atlas(), &units(), Channel::Email, at(106.65, -6.30)).unwrap();
        assert_eq!(r.unit, "diskominfotik");
        assert_eq!((r.status, r.reason), (Status::Diterima, RouteReason::LokasiTidakJelas));
        assert_eq!(r.flags, vec![Flag::LokasiTidakJelas]);
        assert!(r.kelurahan.is_none());
    }

    #[test]
    fn swapped_coordinates_are_corrected_and_recorded() {
        let r = route(&atlas(), &units(), Channel::Jaki, at(-6.195, 106.805)).unwrap();
        assert!(r.swapped);
        assert_eq!(r.unit, "31.71.01.1001");
        assert_eq!(r.point, Some([106.805, -6.195]));
        assert!(r.flags.contains(&Flag::KoordinatTertukar));
        assert!(r.detail.contains("tertukar"));
    }

    #[test]
    fn no_geotag_goes_to_the_channel_owner() {
        let r = route(&atlas(), &units(), Channel::Jaki, None).unwrap();
        assert_eq!((r.unit.as_str(), r.reason, r.status), ("upjsc", RouteReason::PenanggungJawabKanal, Status::Diterima));
        assert_eq!(r.flags, vec![Flag::TanpaGeotag]);
    }

    #[test]
    fn bad_coordinates_and_accuracy_name_the_field() {
        let a = atlas();
        let u = units();
        assert_eq!(route(&a, &u, Channel::Jaki, at(f64::NAN, -6.2)).unwrap_err().field(), "location.lon");
        assert_eq!(route(&a, &u, Channel::Jaki, at(106.8, f64::INFINITY)).unwrap_err().field(), "location.lat");
        assert_eq!(route(&a, &u, Channel::Jaki, at(106.8, 95.0)).unwrap_err().field(), "location.lat");
        assert_eq!(route(&a, &u, Channel::Jaki, at(200.0, 120.0)).unwrap_err().field(), "location.lon");
        let neg = Some(Geotag { lon: 106.805, lat: -6.195, accuracy_m: Some(-1.0) });
        assert_eq!(route(&a, &u, Channel::Jaki, neg).unwrap_err(), RouteError::Accuracy(-1.0));
        let low = Some(Geotag { lon: 106.805, lat: -6.195, accuracy_m: Some(500.0) });
        assert!(route(&a, &u, Channel::Jaki, low).unwrap().flags.contains(&Flag::AkurasiRendah));
        assert_eq!(route(&a, &Units::default(), Channel::Jaki, None).unwrap_err(), RouteError::NoChannelOwner(Channel::Jaki));
    }
}
