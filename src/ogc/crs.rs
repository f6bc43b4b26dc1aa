//! Coordinate reference systems offered by `crs` and `bbox-crs` (OGC API – Features Part 2).
//! Features are kept in CRS84 (lon/lat); other CRS are applied on the way out (and to `bbox` on
//! the way in) with proj4rs, a pure-Rust port of PROJ.4 (no libproj to link; the projections
//! here are plain tmerc/utm/merc, checked against `cs2cs` in `tests/ogc_crs.rs`).
//!
//! Axis order follows the CRS definition, as Part 2 requires: CRS84 is lon, lat; EPSG:4326 is
//! **lat, lon**; the projected ones are easting, northing.

use geo::{Coord, Geometry, MapCoords, Rect};
use proj4rs::proj::Proj;
use std::sync::OnceLock;

/// A CRS the service offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// WGS 84 longitude, latitude: the default and the storage CRS.
    Crs84,
    /// WGS 84 latitude, longitude (the EPSG axis order).
    Epsg4326,
    /// Web Mercator (what web maps draw in).
    Epsg3857,
    /// WGS 84 / UTM zone 48S (Jakarta).
    Epsg32748,
    /// DGN95 / Indonesia TM-3 zone 48.2 (central meridian 106.5° E, k 0.9999, false easting
    /// 200 000 m, false northing 1 500 000 m): the national 3° grid that covers Jakarta.
    Epsg23834,
}

impl Crs {
    pub const ALL: [Crs; 5] = [Crs::Crs84, Crs::Epsg4326, Crs::Epsg3857, Crs::Epsg32748, Crs::Epsg23834];

    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            Crs::Epsg3857 => "http://www.opengis.net/def/crs/EPSG/0/3857",
            Crs::Epsg32748 => "http://www.opengis.net/def/crs/EPSG/0/32748",
            Crs::Epsg23834 => "http://www.opengis.net/def/crs/EPSG/0/23834",
        }
    }

    /// The URI in angle brackets, as the `Content-Crs` header carries it.
    pub fn header(self) -> &'static str {
        match self {
            Crs::Crs84 => "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>",
            Crs::Epsg4326 => "<http://www.opengis.net/def/crs/EPSG/0/4326>",
            Crs::Epsg3857 => "<http://www.opengis.net/def/crs/EPSG/0/3857>",
            Crs::Epsg32748 => "<http://www.opengis.net/def/crs/EPSG/0/32748>",
            Crs::Epsg23834 => "<http://www.opengis.net/def/crs/EPSG/0/23834>",
        }
    }

    /// PROJ.4 definition (from `projinfo EPSG:n -o PROJ`); None for the geographic ones.
    fn proj_string(self) -> Option<&'static str> {
        match self {
            Crs::Crs84 | Crs::Epsg4326 => None,
            Crs::Epsg3857 => Some("+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +no_defs"),
            Crs::Epsg32748 => Some("+proj=utm +zone=48 +south +datum=WGS84 +units=m +no_defs"),
            Crs::Epsg23834 => Some("+proj=tmerc +lat_0=0 +lon_0=106.5 +k=0.9999 +x_0=200000 +y_0=1500000 +ellps=WGS84 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"),
        }
    }

    /// The CRS a URI names: the OGC URI, `EPSG:n` / `OGC:CRS84` and their safe CURIEs `[EPSG:n]`.
    pub fn parse(raw: &str) -> Option<Crs> {
        let s = raw.trim().trim_start_matches('<').trim_end_matches('>').trim_start_matches('[').trim_end_matches(']');
        let s = s.strip_prefix("https://").map(|r| format!("http://{r}")).unwrap_or_else(|| s.to_string());
        Crs::ALL.into_iter().find(|c| {
            let u = c.uri();
            let short = match c {
                Crs::Crs84 => "OGC:CRS84".to_string(),
                other => format!("EPSG:{}", other.uri().rsplit('/').next().unwrap_or("")),
            };
            s == u || s.eq_ignore_ascii_case(&short)
        })
    }

    /// The offered URIs, for error messages.
    pub fn list() -> String {
        Crs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>().join(", ")
    }

    /// The projection, built once per process.
    fn proj(self) -> Option<&'static Proj> {
        static CELLS: [OnceLock<Option<Proj>>; 5] = [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let i = Crs::ALL.iter().position(|c| *c == self)?;
        CELLS[i].get_or_init(|| self.proj_string().and_then(|s| Proj::from_proj_string(s).ok())).as_ref()
    }

    fn wgs84() -> Option<&'static Proj> {
        static W: OnceLock<Option<Proj>> = OnceLock::new();
        W.get_or_init(|| Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").ok()).as_ref()
    }

    /// One lon/lat point in this CRS, in its axis order.
    pub fn point_from_crs84(self, lon: f64, lat: f64) -> Result<(f64, f64), String> {
        match self {
            Crs::Crs84 => Ok((lon, lat)),
            Crs::Epsg4326 => Ok((lat, lon)),
            _ => {
                let (src, dst) = (Crs::wgs84().ok_or("WGS 84 definition")?, self.proj().ok_or("projection definition")?);
                let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
                proj4rs::transform::transform(src, dst, &mut p).map_err(|e| format!("{lon}, {lat} cannot be projected to {}: {e}", self.uri()))?;
                Ok((p.0, p.1))
            }
        }
    }

    /// One point of this CRS (its axis order) as lon/lat.
    pub fn point_to_crs84(self, a: f64, b: f64) -> Result<(f64, f64), String> {
        match self {
            Crs::Crs84 => Ok((a, b)),
            Crs::Epsg4326 => Ok((b, a)),
            _ => {
                let (src, dst) = (self.proj().ok_or("projection definition")?, Crs::wgs84().ok_or("WGS 84 definition")?);
                let mut p = (a, b, 0.0);
                proj4rs::transform::transform(src, dst, &mut p).map_err(|e| format!("{a}, {b} is not a valid point of {}: {e}", self.uri()))?;
                let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
                if !(lon.is_finite() && lat.is_finite()) {
                    return Err(format!("{a}, {b} is not a valid point of {}", self.uri()));
                }
                Ok((lon, lat))
            }
        }
    }

    /// A geometry given in CRS84, in this CRS.
    pub fn from_crs84(self, g: &Geometry<f64>) -> Result<Geometry<f64>, String> {
        match self {
            Crs::Crs84 => Ok(g.clone()),
            _ => g.try_map_coords(|c| self.point_from_crs84(c.x, c.y).map(|(x, y)| Coord { x, y })),
        }
    }

    /// A geometry given in this CRS (its axis order), in CRS84.
    pub fn to_crs84(self, g: &Geometry<f64>) -> Result<Geometry<f64>, String> {
        match self {
            Crs::Crs84 => Ok(g.clone()),
            _ => g.try_map_coords(|c| self.point_to_crs84(c.x, c.y).map(|(x, y)| Coord { x, y })),
        }
    }

    /// A bbox given in this CRS (its axis order), as a CRS84 rectangle: the envelope of its
    /// outline sampled 16 times per side, so a projected box's curved edges are covered.
    pub fn bbox_to_crs84(self, b: [f64; 4]) -> Result<Rect<f64>, String> {
        if self == Crs::Crs84 {
            return Ok(Rect::new(Coord { x: b[0], y: b[1] }, Coord { x: b[2], y: b[3] }));
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        let n = 16;
        for i in 0..=n {
            let t = i as f64 / n as f64;
            let (a, c) = (b[0] + (b[2] - b[0]) * t, b[1] + (b[3] - b[1]) * t);
            for (p, q) in [(a, b[1]), (a, b[3]), (b[0], c), (b[2], c)] {
                let (lon, lat) = self.point_to_crs84(p, q)?;
                x0 = x0.min(lon);
                y0 = y0.min(lat);
                x1 = x1.max(lon);
                y1 = y1.max(lat);
            }
        }
        Ok(Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_curies_parse() {
        for c in Crs::ALL {
            assert_eq!(Crs::parse(c.uri()), Some(c));
            assert_eq!(Crs::parse(c.header()), Some(c));
        }
        assert_eq!(Crs::parse("EPSG:23834"), Some(Crs::Epsg23834));
        assert_eq!(Crs::parse("[EPSG:4326]"), Some(Crs::Epsg4326));
        assert_eq!(Crs::parse("OGC:CRS84"), Some(Crs::Crs84));
        assert_eq!(Crs::parse("EPSG:9999"), None);
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/EPSG/0/23836"), None);
    }

    #[test]
    fn monas_in_every_crs_and_back() {
        // Reference values: cs2cs (PROJ 9) on this machine; tests/ogc_crs.rs re-runs it live.
        let (lon, lat) = (106.8272, -6.1754);
        assert_eq!(Crs::Epsg4326.point_from_crs84(lon, lat).unwrap(), (lat, lon));
        let (e, n) = Crs::Epsg23834.point_from_crs84(lon, lat).unwrap();
        assert!((e - 236_210.354_1).abs() < 0.001 && (n - 817_190.290_2).abs() < 0.001, "{e} {n}");
        for c in Crs::ALL {
            let (a, b) = c.point_from_crs84(lon, lat).unwrap();
            let (x, y) = c.point_to_crs84(a, b).unwrap();
            assert!((x - lon).abs() < 1e-9 && (y - lat).abs() < 1e-9, "{c:?}: {x} {y}");
        }
    }

    #[test]
    fn a_projected_bbox_covers_its_corners() {
        let r = Crs::Epsg32748.bbox_to_crs84([700_000.0, 9_310_000.0, 710_000.0, 9_320_000.0]).unwrap();
        assert!(r.min().x > 106.7 && r.max().x < 107.0 && r.min().y > -6.3 && r.max().y < -6.0, "{r:?}");
    }
}
