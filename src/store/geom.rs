//! Geometry encodings at the store edge (geozero): GeoPackage blobs for SQLite, WKB for PostGIS.

use geo::{BoundingRect, Geometry, MultiPolygon};
use geozero::wkb::{GpkgWkb, Wkb, WkbDialect};
use geozero::{CoordDimensions, ToGeo, ToWkb};

/// GeoPackage geometry blob with srs_id 4326 and an envelope, as GDAL writes it.
pub fn to_gpkg(g: &MultiPolygon<f64>) -> Result<Vec<u8>, String> {
    let env = g.bounding_rect().map(|r| vec![r.min().x, r.max().x, r.min().y, r.max().y]).unwrap_or_default();
    Geometry::MultiPolygon(g.clone())
        .to_wkb_dialect(WkbDialect::Geopackage, CoordDimensions::xy(), Some(4326), env)
        .map_err(|e| e.to_string())
}

pub fn to_wkb(g: &MultiPolygon<f64>) -> Result<Vec<u8>, String> {
    Geometry::MultiPolygon(g.clone()).to_wkb(CoordDimensions::xy()).map_err(|e| e.to_string())
}

fn multi(g: Geometry<f64>) -> Result<MultiPolygon<f64>, String> {
    match g {
        Geometry::MultiPolygon(m) => Ok(m),
        Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        other => Err(format!("expected a (multi)polygon, found {other:?}").chars().take(80).collect()),
    }
}

pub fn from_gpkg(blob: &[u8]) -> Result<MultiPolygon<f64>, String> {
    multi(GpkgWkb(blob).to_geo().map_err(|e| e.to_string())?)
}

pub fn from_wkb(blob: &[u8]) -> Result<MultiPolygon<f64>, String> {
    multi(Wkb(blob).to_geo().map_err(|e| e.to_string())?)
}

/// A stored boundary blob of either store: a GeoPackage blob starts with its magic `GP`
/// (GeoPackage 1.3 §2.1.3), a WKB with the byte-order byte 0 or 1.
pub fn from_stored(blob: &[u8]) -> Result<MultiPolygon<f64>, String> {
    if blob.starts_with(b"GP") {
        from_gpkg(blob)
    } else {
        from_wkb(blob)
    }
}
