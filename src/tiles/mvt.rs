//! From world-coordinate polygons to Mapbox Vector Tile bytes, and back (for tests and the
//! martin comparison).
//!
//! The pipeline per feature and tile: scale into tile units → simplify (Douglas–Peucker with a
//! fixed tolerance in tile units, so the ground tolerance halves with every zoom) → clip to the
//! buffered tile square with geo's `BooleanOps` → round to the integer grid (rounding, as PostGIS
//! `ST_AsMVTGeom` does; geozero's writer floors) → drop rings that collapsed → orient rings as
//! MVT 2.1 wants (exterior positive area in y-down tile space) → command-encode. Simplifying the
//! whole feature before clipping keeps neighbouring tiles seamless: both clip the same shape.
//! The protobuf types are geozero's (prost), so no second MVT crate is needed.

use super::tile::{TileId, WorldRect, BUFFER, EXTENT};
use geo::{BooleanOps, BoundingRect, Coord, LineString, MapCoords, MultiLineString, MultiPolygon, Polygon, Rect, Simplify};
use geozero::mvt::tile::{Feature as MvtFeature, GeomType, Layer, Value};
use geozero::mvt::{Message, Tile};

/// Douglas–Peucker tolerance in tile units: 1/8 px on a 512 px tile, invisible on screen.
pub const SIMPLIFY_UNITS: f64 = 1.0;

/// A property value as MVT carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    Str(String),
    Bool(bool),
    Int(i64),
    Double(f64),
}

impl Prop {
    fn to_value(&self) -> Value {
        match self {
            Prop::Str(s) => Value { string_value: Some(s.clone()), ..Default::default() },
            Prop::Bool(b) => Value { bool_value: Some(*b), ..Default::default() },
            Prop::Int(i) => Value { sint_value: Some(*i), ..Default::default() },
            Prop::Double(d) => Value { double_value: Some(*d), ..Default::default() },
        }
    }

    fn from_value(v: &Value) -> Option<Prop> {
        if let Some(s) = &v.string_value {
            return Some(Prop::Str(s.clone()));
        }
        if let Some(b) = v.bool_value {
            return Some(Prop::Bool(b));
        }
        if let Some(i) = v.sint_value.or(v.int_value) {
            return Some(Prop::Int(i));
        }
        if let Some(u) = v.uint_value {
            return Some(Prop::Int(u as i64));
        }
        v.double_value.or(v.float_value.map(f64::from)).map(Prop::Double)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Prop::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Builds one MVT layer feature by feature.
pub struct LayerBuilder {
    layer: Layer,
    values: Vec<Value>,
}

impl LayerBuilder {
    pub fn new(name: &str) -> LayerBuilder {
        LayerBuilder {
            layer: Layer { version: 2, name: name.to_string(), extent: Some(EXTENT), ..Default::default() },
            values: Vec::new(),
        }
    }

    fn key(&mut self, k: &str) -> u32 {
        match self.layer.keys.iter().position(|x| x == k) {
            Some(i) => i as u32,
            None => {
                self.layer.keys.push(k.to_string());
                (self.layer.keys.len() - 1) as u32
            }
        }
    }

    fn value(&mut self, v: Value) -> u32 {
        match self.values.iter().position(|x| *x == v) {
            Some(i) => i as u32,
            None => {
                self.values.push(v);
                (self.values.len() - 1) as u32
            }
        }
    }

    /// Adds a polygon feature given in world coordinates; returns false (and adds nothing)
    /// when nothing of it is left in the buffered tile.
    pub fn add_polygon(&mut self, tile: TileId, world: &MultiPolygon<f64>, id: u64, props: &[(&str, Prop)]) -> bool {
        self.add_simplified_polygon(tile, &simplify_for_zoom(world, tile.z), id, props)
    }

    /// `add_polygon` for a feature already simplified for the tile's zoom (`simplify_for_zoom`),
    /// which the tile index keeps per feature and zoom instead of redoing it for every tile.
    pub fn add_simplified_polygon(&mut self, tile: TileId, simplified: &MultiPolygon<f64>, id: u64, props: &[(&str, Prop)]) -> bool {
        let Some(rings) = clip_rings(tile, simplified) else { return false };
        let tags = self.tags(props);
        self.layer.features.push(MvtFeature {
            id: Some(id),
            tags,
            r#type: Some(GeomType::Polygon as i32),
            geometry: encode_rings(&rings),
        });
        true
    }

    /// Adds a line feature given in world coordinates (the basemap's roads); false (nothing
    /// added) when nothing of it is left in the buffered tile.
    pub fn add_line(&mut self, tile: TileId, world: &LineString<f64>, id: u64, props: &[(&str, Prop)]) -> bool {
        let lines = tile_lines(tile, world);
        if lines.is_empty() {
            return false;
        }
        let tags = self.tags(props);
        self.layer.features.push(MvtFeature { id: Some(id), tags, r#type: Some(GeomType::Linestring as i32), geometry: encode_lines(&lines) });
        true
    }

    /// Adds a point feature given in world coordinates; false (nothing added) when it lies
    /// outside the buffered tile.
    pub fn add_point(&mut self, tile: TileId, world: (f64, f64), id: u64, props: &[(&str, Prop)]) -> bool {
        let e = EXTENT as f64;
        let (x, y) = ((world.0 * tile.n() - tile.x as f64) * e, (world.1 * tile.n() - tile.y as f64) * e);
        let b = BUFFER as f64;
        if !(x >= -b && x <= e + b && y >= -b && y <= e + b) {
            return false;
        }
        let tags = self.tags(props);
        self.layer.features.push(MvtFeature {
            id: Some(id),
            tags,
            r#type: Some(GeomType::Point as i32),
            geometry: vec![command(MOVE_TO, 1), zigzag(x.round() as i32), zigzag(y.round() as i32)],
        });
        true
    }

    fn tags(&mut self, props: &[(&str, Prop)]) -> Vec<u32> {
        let mut tags = Vec::with_capacity(props.len() * 2);
        for (k, v) in props {
            let k = self.key(k);
            let v = self.value(v.to_value());
            tags.extend([k, v]);
        }
        tags
    }

    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    pub fn finish(mut self) -> Layer {
        self.layer.values = self.values;
        self.layer
    }
}

/// The tile with the given layers, as bytes; None when no layer has a feature (served as 204).
pub fn encode_tile(layers: Vec<Layer>) -> Option<Vec<u8>> {
    let layers: Vec<Layer> = layers.into_iter().filter(|l| !l.features.is_empty()).collect();
    (!layers.is_empty()).then(|| Tile { layers }.encode_to_vec())
}

/// The feature's rings in integer tile coordinates, already clipped, simplified and oriented
/// (exterior first, then its holes); None when nothing is left.
pub fn tile_rings(tile: TileId, world: &MultiPolygon<f64>) -> Option<Vec<Vec<(i32, i32)>>> {
    clip_rings(tile, &simplify_for_zoom(world, tile.z))
}

/// The feature simplified as every tile of zoom `z` draws it: Douglas–Peucker with
/// `SIMPLIFY_UNITS` tile units, done in world coordinates (the tolerance divided by the tile
/// units per world unit, a power of two, so the same points are kept as in tile units). The
/// same for every tile of the zoom, so it can be done once per feature and zoom.
pub fn simplify_for_zoom(world: &MultiPolygon<f64>, z: u8) -> MultiPolygon<f64> {
    let units = TileId { z, x: 0, y: 0 }.n() * EXTENT as f64;
    world.simplify(SIMPLIFY_UNITS / units)
}

/// A feature simplified for the tile's zoom (`simplify_for_zoom`), in integer tile coordinates,
/// clipped and oriented (exterior first, then its holes); None when nothing is left.
pub fn clip_rings(tile: TileId, simplified: &MultiPolygon<f64>) -> Option<Vec<Vec<(i32, i32)>>> {
    let n = tile.n();
    let e = EXTENT as f64;
    let (ox, oy) = (tile.x as f64, tile.y as f64);
    let b = BUFFER as f64;
    // Only the parts that reach the buffered tile are scaled and clipped (an island group or a
    // far-away piece of a dissolved kota is skipped by its bounding box).
    let reach = WorldRect { min_x: (ox - b / e) / n, min_y: (oy - b / e) / n, max_x: (ox + 1.0 + b / e) / n, max_y: (oy + 1.0 + b / e) / n };
    let near: Vec<Polygon<f64>> = simplified
        .0
        .iter()
        .filter(|p| p.bounding_rect().is_some_and(|r| reach.intersects(&WorldRect { min_x: r.min().x, min_y: r.min().y, max_x: r.max().x, max_y: r.max().y })))
        .map(|p| p.map_coords(|c| Coord { x: (c.x * n - ox) * e, y: (c.y * n - oy) * e }))
        .collect();
    if near.is_empty() {
        return None;
    }
    let simplified = MultiPolygon(near);
    let bounds = Rect::new(Coord { x: -b, y: -b }, Coord { x: e + b, y: e + b });
    let inside = simplified.bounding_rect().is_some_and(|r| {
        WorldRect { min_x: -b, min_y: -b, max_x: e + b, max_y: e + b }.contains(&WorldRect {
            min_x: r.min().x,
            min_y: r.min().y,
            max_x: r.max().x,
            max_y: r.max().y,
        })
    });
    let clipped = if inside { simplified } else { simplified.intersection(&bounds.to_polygon()) };
    let mut out = Vec::new();
    for poly in &clipped.0 {
        let Some(ext) = grid_ring(poly.exterior(), true) else { continue };
        out.push(ext);
        out.extend(poly.interiors().iter().filter_map(|r| grid_ring(r, false)));
    }
    (!out.is_empty()).then_some(out)
}

/// The line's parts in integer tile coordinates: simplified with the same tolerance as polygons,
/// clipped to the buffered tile (geo's `clip`, skipped when the line lies inside), rounded to the
/// grid, repeated points dropped; parts that collapse to one point are dropped.
pub fn tile_lines(tile: TileId, world: &LineString<f64>) -> Vec<Vec<(i32, i32)>> {
    let (n, e) = (tile.n(), EXTENT as f64);
    let (ox, oy) = (tile.x as f64, tile.y as f64);
    let local = world.map_coords(|c| Coord { x: (c.x * n - ox) * e, y: (c.y * n - oy) * e }).simplify(SIMPLIFY_UNITS);
    let b = BUFFER as f64;
    let square = WorldRect { min_x: -b, min_y: -b, max_x: e + b, max_y: e + b };
    let Some(r) = local.bounding_rect() else { return Vec::new() };
    let bbox = WorldRect { min_x: r.min().x, min_y: r.min().y, max_x: r.max().x, max_y: r.max().y };
    if !square.intersects(&bbox) {
        return Vec::new();
    }
    let parts = if square.contains(&bbox) {
        MultiLineString(vec![local])
    } else {
        Rect::new(Coord { x: -b, y: -b }, Coord { x: e + b, y: e + b }).to_polygon().clip(&MultiLineString(vec![local]), false)
    };
    parts
        .0
        .iter()
        .filter_map(|ls| {
            let mut pts: Vec<(i32, i32)> = Vec::with_capacity(ls.0.len());
            for c in &ls.0 {
                let p = (c.x.round() as i32, c.y.round() as i32);
                if pts.last() != Some(&p) {
                    pts.push(p);
                }
            }
            (pts.len() >= 2).then_some(pts)
        })
        .collect()
}

/// Rounds a ring to the grid, drops repeated points, and orients it; None if it collapsed.
fn grid_ring(ring: &LineString<f64>, exterior: bool) -> Option<Vec<(i32, i32)>> {
    let mut pts: Vec<(i32, i32)> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let p = (c.x.round() as i32, c.y.round() as i32);
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return None;
    }
    let area2 = signed_area2(&pts);
    if area2 == 0 {
        return None;
    }
    // Exterior rings have positive area in y-down tile space (clockwise on screen), holes negative.
    if (area2 > 0) != exterior {
        pts.reverse();
    }
    Some(pts)
}

/// Twice the signed area by the surveyor's formula, as the MVT spec defines ring orientation.
pub fn signed_area2(pts: &[(i32, i32)]) -> i64 {
    let n = pts.len();
    (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            a.0 as i64 * b.1 as i64 - b.0 as i64 * a.1 as i64
        })
        .sum()
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn unzigzag(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

fn command(id: u32, count: u32) -> u32 {
    (id & 7) | (count << 3)
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn encode_rings(rings: &[Vec<(i32, i32)>]) -> Vec<u32> {
    let mut out = Vec::new();
    let (mut cx, mut cy) = (0i32, 0i32);
    for ring in rings {
        out.push(command(MOVE_TO, 1));
        for (i, &(x, y)) in ring.iter().enumerate() {
            if i == 1 {
                out.push(command(LINE_TO, ring.len() as u32 - 1));
            }
            out.push(zigzag(x - cx));
            out.push(zigzag(y - cy));
            (cx, cy) = (x, y);
        }
        out.push(command(CLOSE_PATH, 1));
    }
    out
}

fn encode_lines(lines: &[Vec<(i32, i32)>]) -> Vec<u32> {
    let mut out = Vec::new();
    let (mut cx, mut cy) = (0i32, 0i32);
    for line in lines {
        for (i, &(x, y)) in line.iter().enumerate() {
            match i {
                0 => out.push(command(MOVE_TO, 1)),
                1 => out.push(command(LINE_TO, line.len() as u32 - 1)),
                _ => {}
            }
            out.push(zigzag(x - cx));
            out.push(zigzag(y - cy));
            (cx, cy) = (x, y);
        }
    }
    out
}

/// A decoded feature: what a client sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub id: Option<u64>,
    pub geom_type: i32,
    pub props: Vec<(String, Prop)>,
    /// Rings in tile units, each without the closing point.
    pub rings: Vec<Vec<(i32, i32)>>,
}

impl Decoded {
    pub fn prop(&self, key: &str) -> Option<&Prop> {
        self.props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Polygons rebuilt from the rings by the MVT orientation rule (exterior positive area).
    pub fn polygons(&self) -> MultiPolygon<f64> {
        let ls = |r: &Vec<(i32, i32)>| LineString::from(r.iter().map(|&(x, y)| (x as f64, y as f64)).collect::<Vec<_>>());
        let mut polys: Vec<Polygon<f64>> = Vec::new();
        for r in &self.rings {
            if signed_area2(r) > 0 {
                polys.push(Polygon::new(ls(r), vec![]));
            } else if let Some(p) = polys.last_mut() {
                p.interiors_push(ls(r));
            }
        }
        MultiPolygon(polys)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a vector tile: {0}")]
    Protobuf(String),
    #[error("layer {layer}, feature {feature}: {reason}")]
    Geometry { layer: String, feature: usize, reason: &'static str },
}

/// Decodes a tile into (layer name, extent, features).
pub fn decode(bytes: &[u8]) -> Result<Vec<(String, u32, Vec<Decoded>)>, DecodeError> {
    let tile = Tile::decode(bytes).map_err(|e| DecodeError::Protobuf(e.to_string()))?;
    let mut out = Vec::new();
    for layer in tile.layers {
        let mut feats = Vec::new();
        for (fi, f) in layer.features.iter().enumerate() {
            let err = |reason| DecodeError::Geometry { layer: layer.name.clone(), feature: fi, reason };
            let mut props = Vec::new();
            for pair in f.tags.chunks(2) {
                let [k, v] = pair else { return Err(err("odd number of tags")) };
                let key = layer.keys.get(*k as usize).ok_or_else(|| err("tag key out of range"))?;
                let val = layer.values.get(*v as usize).and_then(Prop::from_value).ok_or_else(|| err("tag value out of range"))?;
                props.push((key.clone(), val));
            }
            feats.push(Decoded { id: f.id, geom_type: f.r#type.unwrap_or(0), props, rings: decode_rings(&f.geometry).map_err(err)? });
        }
        out.push((layer.name, layer.extent.unwrap_or(4096), feats));
    }
    Ok(out)
}

fn decode_rings(g: &[u32]) -> Result<Vec<Vec<(i32, i32)>>, &'static str> {
    let mut rings = Vec::new();
    let mut cur: Vec<(i32, i32)> = Vec::new();
    let (mut x, mut y) = (0i32, 0i32);
    let mut i = 0;
    while i < g.len() {
        let (id, count) = (g[i] & 7, g[i] >> 3);
        i += 1;
        match id {
            MOVE_TO | LINE_TO => {
                if id == MOVE_TO && !cur.is_empty() {
                    rings.push(std::mem::take(&mut cur));
                }
                for _ in 0..count {
                    let (dx, dy) = (g.get(i).ok_or("truncated geometry")?, g.get(i + 1).ok_or("truncated geometry")?);
                    x += unzigzag(*dx);
                    y += unzigzag(*dy);
                    cur.push((x, y));
                    i += 2;
                }
            }
            CLOSE_PATH => rings.push(std::mem::take(&mut cur)),
            _ => return Err("unknown command"),
        }
    }
    if !cur.is_empty() {
        rings.push(cur);
    }
    Ok(rings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::tile::to_world;
    use geo::{polygon, Area};

    /// A lon/lat square projected to world coordinates.
    fn world_square(lon: f64, lat: f64, d: f64) -> MultiPolygon<f64> {
        let p = polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)];
        MultiPolygon(vec![p]).map_coords(|c| {
            let (x, y) = to_world(c.x, c.y);
            Coord { x, y }
        })
    }

    fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
        let (x, y) = to_world(lon, lat);
        let n = (1u64 << z) as f64;
        TileId { z, x: (x * n) as u32, y: (y * n) as u32 }
    }

    #[test]
    fn zigzag_round_trips() {
        for v in [0, 1, -1, 2, -2, 4095, -4096, i32::MAX / 2, i32::MIN / 2] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn a_small_square_inside_one_tile_round_trips_unclipped() {
        let t = tile_of(106.8272, -6.1754, 14);
        let b = t.world_bounds(0);
        // A square a quarter of the tile wide in the middle of the tile, directly in world coords.
        let (w, h) = (b.max_x - b.min_x, b.max_y - b.min_y);
        let sq = MultiPolygon(vec![polygon![
            (x: b.min_x + w * 0.25, y: b.min_y + h * 0.25), (x: b.min_x + w * 0.75, y: b.min_y + h * 0.25),
            (x: b.min_x + w * 0.75, y: b.min_y + h * 0.75), (x: b.min_x + w * 0.25, y: b.min_y + h * 0.75),
            (x: b.min_x + w * 0.25, y: b.min_y + h * 0.25)]]);
        let mut lb = LayerBuilder::new("kelurahan");
        assert!(lb.add_polygon(t, &sq, 3171011001, &[("kode", Prop::Str("31.71.01.1001".into())), ("nama", Prop::Str("Gambir".into()))]));
        let bytes = encode_tile(vec![lb.finish()]).expect("non-empty");
        let layers = decode(&bytes).unwrap();
        assert_eq!(layers.len(), 1);
        let (name, extent, feats) = &layers[0];
        assert_eq!((name.as_str(), *extent), ("kelurahan", 4096));
        assert_eq!(feats.len(), 1);
        let f = &feats[0];
        assert_eq!(f.id, Some(3171011001));
        assert_eq!(f.geom_type, GeomType::Polygon as i32);
        assert_eq!(f.prop("kode").and_then(Prop::as_str), Some("31.71.01.1001"));
        assert_eq!(f.prop("nama").and_then(Prop::as_str), Some("Gambir"));
        assert_eq!(f.rings.len(), 1);
        let mut r = f.rings[0].clone();
        r.sort();
        assert_eq!(r, vec![(1024, 1024), (1024, 3072), (3072, 1024), (3072, 3072)]);
        assert!(signed_area2(&f.rings[0]) > 0, "exterior must have positive area in tile space");
    }

    #[test]
    fn a_big_polygon_is_clipped_to_the_buffered_tile() {
        // 0.5° square around Monas: far larger than a z14 tile, so the tile is fully covered.
        let big = world_square(106.6, -6.4, 0.5);
        let t = tile_of(106.8272, -6.1754, 14);
        let rings = tile_rings(t, &big).expect("covered");
        assert_eq!(rings.len(), 1);
        let b = BUFFER as i32;
        let e = EXTENT as i32;
        let mut r = rings[0].clone();
        r.sort();
        assert_eq!(r, vec![(-b, -b), (-b, e + b), (e + b, -b), (e + b, e + b)]);
        // Far away: nothing.
        assert!(tile_rings(tile_of(110.0, -7.0, 14), &big).is_none());
    }

    #[test]
    fn a_hole_stays_a_hole_with_the_opposite_orientation() {
        let t = tile_of(106.8272, -6.1754, 12);
        let b = t.world_bounds(0);
        let (w, h) = (b.max_x - b.min_x, b.max_y - b.min_y);
        let at = |fx: f64, fy: f64| Coord { x: b.min_x + w * fx, y: b.min_y + h * fy };
        let ring = |a: f64, z: f64| LineString::from(vec![at(a, a), at(z, a), at(z, z), at(a, z), at(a, a)]);
        let donut = MultiPolygon(vec![Polygon::new(ring(0.1, 0.9), vec![ring(0.4, 0.6)])]);
        let mut lb = LayerBuilder::new("kota");
        assert!(lb.add_polygon(t, &donut, 3171, &[("kode", Prop::Str("31.71".into()))]));
        let feats = &decode(&encode_tile(vec![lb.finish()]).unwrap()).unwrap()[0].2;
        let f = &feats[0];
        assert_eq!(f.rings.len(), 2);
        assert!(signed_area2(&f.rings[0]) > 0);
        assert!(signed_area2(&f.rings[1]) < 0);
        let area = f.polygons().unsigned_area();
        let expect = (0.8f64.powi(2) - 0.2f64.powi(2)) * 4096.0 * 4096.0;
        assert!((area - expect).abs() / expect < 0.001, "{area} vs {expect}");
    }

    #[test]
    fn simplification_is_per_zoom() {
        // A zig-zag edge with 2 m teeth: kept at z18 (1 unit ≈ 0.04 m), gone at z12 (≈ 9.5 m).
        let (lon0, lat0) = (106.80, -6.20);
        let mut pts = Vec::new();
        for i in 0..=100 {
            let lon = lon0 + i as f64 * 0.0001;
            let lat = lat0 + if i % 2 == 0 { 0.0 } else { 0.000018 };
            pts.push(to_world(lon, lat));
        }
        pts.push(to_world(lon0 + 0.01, lat0 + 0.005));
        pts.push(to_world(lon0, lat0 + 0.005));
        pts.push(pts[0]);
        let g = MultiPolygon(vec![Polygon::new(LineString::from(pts), vec![])]);
        // Total vertices over every tile the shape touches at zoom z.
        let count = |z: u8| -> usize {
            let w = g.bounding_rect().unwrap();
            let n = (1u64 << z) as f64;
            let mut total = 0;
            for x in (w.min().x * n) as u32..=(w.max().x * n) as u32 {
                for y in (w.min().y * n) as u32..=(w.max().y * n) as u32 {
                    total += tile_rings(TileId { z, x, y }, &g).map_or(0, |r| r.iter().map(Vec::len).sum::<usize>());
                }
            }
            total
        };
        assert!(count(12) < 12, "teeth simplified away at z12: {}", count(12));
        assert!(count(18) > 100, "teeth kept at z18: {}", count(18));
    }

    #[test]
    fn an_empty_tile_encodes_to_none_and_garbage_does_not_decode() {
        assert_eq!(encode_tile(vec![LayerBuilder::new("rw").finish()]), None);
        assert!(decode(b"\xff\xff\xff garbage").is_err());
    }
}
