//! Tile addressing: z/x/y in the XYZ (Google/OSM) scheme over Web Mercator, and the projection
//! of lon/lat into a "world" square [0, 1]² (x east, y south) in which every tile is an aligned
//! sub-square. All tile maths is done there, so clipping and bounding boxes are plain
//! rectangles and no projection library is needed.

use std::f64::consts::PI;

/// Tile coordinate units per tile side (the MVT default; PostGIS `ST_AsMVT` and martin use it too).
pub const EXTENT: u32 = 4096;
/// Geometry kept beyond each tile edge, in tile units, so that strokes and fills join seamlessly
/// across tiles (martin's default; the same value goes into `tiles/martin.sql`).
pub const BUFFER: u32 = 64;
/// Highest zoom served. At z20 one tile unit is ~1 cm over Jakarta; beyond that nothing changes.
pub const MAX_ZOOM: u8 = 20;
/// Web Mercator's latitude limit; points beyond it cannot be placed on a square world.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TileError {
    #[error("{field} = {value:?} is not a whole number")]
    NotANumber { field: &'static str, value: String },
    #[error("z = {0} is out of range (0..={MAX_ZOOM})")]
    Zoom(u64),
    #[error("{field} = {value} is out of range for zoom {z} (0..={max})")]
    OutOfRange { field: &'static str, value: u64, z: u8, max: u64 },
}

impl TileError {
    /// The request field at fault, for problem+json.
    pub fn field(&self) -> &'static str {
        match self {
            TileError::NotANumber { field, .. } | TileError::OutOfRange { field, .. } => field,
            TileError::Zoom(_) => "z",
        }
    }
}

fn number(field: &'static str, text: &str) -> Result<u64, TileError> {
    // Digits only: no sign, no spaces, no "1e3"; and short enough not to overflow.
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TileError::NotANumber { field, value: text.to_string() });
    }
    text.parse().map_err(|_| TileError::NotANumber { field, value: text.to_string() })
}

impl TileId {
    /// Parses the three path segments, checking that x and y exist at zoom z.
    pub fn parse(z: &str, x: &str, y: &str) -> Result<TileId, TileError> {
        let zn = number("z", z)?;
        if zn > MAX_ZOOM as u64 {
            return Err(TileError::Zoom(zn));
        }
        let z = zn as u8;
        let max = (1u64 << z) - 1;
        let xn = number("x", x)?;
        let yn = number("y", y)?;
        for (field, value) in [("x", xn), ("y", yn)] {
            if value > max {
                return Err(TileError::OutOfRange { field, value, z, max });
            }
        }
        Ok(TileId { z, x: xn as u32, y: yn as u32 })
    }

    /// Tiles per world side at this zoom.
    pub fn n(self) -> f64 {
        (1u64 << self.z) as f64
    }

    /// The tile's square in world coordinates, widened by `buffer` tile units on every side.
    pub fn world_bounds(self, buffer: u32) -> WorldRect {
        let n = self.n();
        let b = buffer as f64 / EXTENT as f64;
        WorldRect {
            min_x: (self.x as f64 - b) / n,
            min_y: (self.y as f64 - b) / n,
            max_x: (self.x as f64 + 1.0 + b) / n,
            max_y: (self.y as f64 + 1.0 + b) / n,
        }
    }

    /// Every tile of zoom `z` whose square widened by `buffer` meets `r` (clamped to the world).
    pub fn covering(z: u8, r: &WorldRect, buffer: u32) -> impl Iterator<Item = TileId> {
        let n = (1u64 << z) as f64;
        let b = buffer as f64 / EXTENT as f64;
        let last = (1u64 << z) as i64 - 1;
        let lo = |v: f64| ((v * n - 1.0 - b).ceil() as i64).clamp(0, last) as u32;
        let hi = |v: f64| ((v * n + b).floor() as i64).clamp(0, last) as u32;
        let (x0, x1, y0, y1) = (lo(r.min_x), hi(r.max_x), lo(r.min_y), hi(r.max_y));
        (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| TileId { z, x, y }))
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// An axis-aligned rectangle in world coordinates (y grows southwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldRect {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl WorldRect {
    /// Closed intersection: a shape touching the buffered edge still counts, so that the
    /// invalidation of a boundary edit and the features put in a tile use the same rule.
    pub fn intersects(&self, o: &WorldRect) -> bool {
        self.min_x <= o.max_x && o.min_x <= self.max_x && self.min_y <= o.max_y && o.min_y <= self.max_y
    }

    pub fn contains(&self, o: &WorldRect) -> bool {
        self.min_x <= o.min_x && o.max_x <= self.max_x && self.min_y <= o.min_y && o.max_y <= self.max_y
    }

    pub fn union(&self, o: &WorldRect) -> WorldRect {
        WorldRect {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
        }
    }

    /// Bounding box of a lon/lat geometry, in world coordinates.
    pub fn of_lonlat(g: &geo::MultiPolygon<f64>) -> Option<WorldRect> {
        use geo::BoundingRect;
        let r = g.bounding_rect()?;
        let (a, b) = (to_world(r.min().x, r.max().y), to_world(r.max().x, r.min().y));
        Some(WorldRect { min_x: a.0, min_y: a.1, max_x: b.0, max_y: b.1 })
    }

    /// The rectangle as an R-tree envelope (the tile index and the basemap's road index).
    pub fn envelope(&self) -> rstar::AABB<[f64; 2]> {
        rstar::AABB::from_corners([self.min_x, self.min_y], [self.max_x, self.max_y])
    }

    /// West, south, east, north in degrees (TileJSON `bounds`).
    pub fn to_lonlat(&self) -> [f64; 4] {
        let (w, n) = from_world(self.min_x, self.min_y);
        let (e, s) = from_world(self.max_x, self.max_y);
        [w, s, e, n]
    }
}

/// Spherical Web Mercator (EPSG:3857), scaled to the unit square.
pub fn to_world(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    (x, y)
}

pub fn from_world(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monas_is_in_the_expected_tiles() {
        // Monas (106.8272, -6.1754): z10 tile 815/529, z16 52215/33894 (the OSM wiki formula, asinh form).
        let (x, y) = to_world(106.8272, -6.1754);
        for (z, tx, ty) in [(10u8, 815u32, 529u32), (16, 52215, 33894)] {
            let n = (1u64 << z) as f64;
            assert_eq!(((x * n) as u32, (y * n) as u32), (tx, ty), "zoom {z}");
        }
        let (lon, lat) = from_world(x, y);
        assert!((lon - 106.8272).abs() < 1e-9 && (lat + 6.1754).abs() < 1e-9);
    }

    #[test]
    fn parse_checks_every_segment_and_names_it() {
        assert_eq!(TileId::parse("10", "815", "527"), Ok(TileId { z: 10, x: 815, y: 527 }));
        assert_eq!(TileId::parse("0", "0", "0"), Ok(TileId { z: 0, x: 0, y: 0 }));
        assert_eq!(TileId::parse("21", "0", "0").unwrap_err().field(), "z");
        assert_eq!(TileId::parse("-1", "0", "0").unwrap_err().field(), "z");
        assert_eq!(TileId::parse("1.5", "0", "0").unwrap_err().field(), "z");
        assert_eq!(TileId::parse("", "0", "0").unwrap_err().field(), "z");
        assert_eq!(TileId::parse("1", "2", "0").unwrap_err().field(), "x");
        assert_eq!(TileId::parse("1", "0", "2").unwrap_err().field(), "y");
        assert_eq!(TileId::parse("3", "0", "99999999999999999999").unwrap_err().field(), "y");
        assert_eq!(TileId::parse("3", " 1", "0").unwrap_err().field(), "x");
        assert_eq!(TileId::parse("3", "+1", "0").unwrap_err().field(), "x");
    }

    #[test]
    fn covering_matches_buffered_bounds() {
        let r = TileId { z: 12, x: 3261, y: 2110 }.world_bounds(0);
        // A box strictly inside one tile touches only that tile without buffer…
        let inner = WorldRect {
            min_x: r.min_x + (r.max_x - r.min_x) * 0.4,
            min_y: r.min_y + (r.max_y - r.min_y) * 0.4,
            max_x: r.min_x + (r.max_x - r.min_x) * 0.6,
            max_y: r.min_y + (r.max_y - r.min_y) * 0.6,
        };
        assert_eq!(TileId::covering(12, &inner, 0).count(), 1);
        // …and with a buffer, still one (it is far from the edges), but near an edge, two.
        assert_eq!(TileId::covering(12, &inner, BUFFER).count(), 1);
        let edge = WorldRect { max_x: r.max_x - 1e-12, ..inner };
        let got: Vec<_> = TileId::covering(12, &edge, BUFFER).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        // Brute force agrees with `covering` on every tile of a neighbourhood.
        for z in [11u8, 12, 13] {
            let n = (1u64 << z) as f64;
            let (cx, cy) = ((edge.min_x * n) as u32, (edge.min_y * n) as u32);
            let mut all: Vec<_> = (cx - 3..=cx + 3)
                .flat_map(|x| (cy - 3..=cy + 3).map(move |y| TileId { z, x, y }))
                .filter(|t| t.world_bounds(BUFFER).intersects(&edge))
                .collect();
            let mut cov: Vec<_> = TileId::covering(z, &edge, BUFFER).collect();
            all.sort();
            cov.sort();
            assert_eq!(all, cov, "zoom {z}");
        }
    }
}
