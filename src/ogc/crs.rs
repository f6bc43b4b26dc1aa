//! Coordinate reference systems offered by `crs` and `bbox-crs` (OGC API – Features Part 2).
//! Features are kept in CRS84 (lon/lat); other CRS are applied on the way out (and to `bbox`
//! on the way in).

use geo::{Geometry, Rect};

/// A CRS the service offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// WGS 84 longitude, latitude: the default.
    Crs84,
}

impl Crs {
    pub const ALL: [Crs; 1] = [Crs::Crs84];

    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        }
    }

    /// The URI in angle brackets, as the `Content-Crs` header carries it.
    pub fn header(self) -> &'static str {
        match self {
            Crs::Crs84 => "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>",
        }
    }

    /// The CRS a URI (or `[URI]` safe CURIE) names, if offered.
    pub fn parse(raw: &str) -> Option<Crs> {
        let s = raw.trim().trim_start_matches('<').trim_end_matches('>').trim_start_matches('[').trim_end_matches(']');
        Crs::ALL.into_iter().find(|c| c.uri() == s)
    }

    /// The offered URIs, for error messages.
    pub fn list() -> String {
        Crs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>().join(", ")
    }

    /// A geometry given in CRS84, in this CRS.
    pub fn from_crs84(self, g: &Geometry<f64>) -> Result<Geometry<f64>, String> {
        match self {
            Crs::Crs84 => Ok(g.clone()),
        }
    }

    /// A bbox given in this CRS (its axis order), as a CRS84 rectangle.
    pub fn bbox_to_crs84(self, b: [f64; 4]) -> Result<Rect<f64>, String> {
        match self {
            Crs::Crs84 => Ok(Rect::new(geo::coord! {x: b[0], y: b[1]}, geo::coord! {x: b[2], y: b[3]})),
        }
    }
}
