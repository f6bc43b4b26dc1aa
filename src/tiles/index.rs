//! The atlas re-indexed for tiles: every area projected once into world (Web Mercator)
//! coordinates, in one R-tree per level keyed by its world bounding box. Kota and kecamatan are
//! drawn as the dissolve of their kelurahan (see `dissolve`), computed here, once per atlas.

use super::basemap::{Places, Shores};
use super::dissolve::dissolve;
use super::mvt::{encode_tile, simplify_for_zoom, LayerBuilder, Prop};
use super::tile::{to_world, TileId, WorldRect, BUFFER};
use crate::wilayah::{Area, Atlas, Level};
use geo::{Coord, MapCoords, MultiPolygon};
use rstar::{RTree, RTreeObject, AABB};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The numeric MVT feature id of an area: its code's digits (`31.71.01.1001` → 3171011001).
/// Stable across rebuilds and the same in `tiles/martin.sql`, so either tile source joins alike.
pub fn feature_id(code: &str) -> u64 {
    code.bytes().filter(u8::is_ascii_digit).fold(0u64, |acc, b| acc.wrapping_mul(10).wrapping_add((b - b'0') as u64))
}

pub fn world_geometry(lonlat: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    lonlat.map_coords(|c| {
        let (x, y) = to_world(c.x, c.y);
        Coord { x, y }
    })
}

struct Entry {
    id: u64,
    kode: String,
    nama: String,
    generated: bool,
    source: Option<String>,
    year: Option<i32>,
    world: MultiPolygon<f64>,
    bbox: WorldRect,
    /// `world` simplified for each zoom up to `MEMO_ZOOMS - 1`, made by the first tile of that
    /// zoom that shows the area: Douglas–Peucker over a whole kota (thousands of vertices) was
    /// the largest cost of a cold tile, and it is the same for every tile of a zoom.
    simplified: [OnceLock<MultiPolygon<f64>>; MEMO_ZOOMS],
}

/// Zooms whose simplified geometry is kept (0..=16, the map's deepest source zoom; deeper tiles
/// are overzoomed by the page and rare, so they simplify per tile). At most one more copy of the
/// atlas per zoom used, fewer vertices at low zoom.
const MEMO_ZOOMS: usize = 17;

impl Entry {
    fn simplified(&self, z: u8) -> std::borrow::Cow<'_, MultiPolygon<f64>> {
        match self.simplified.get(z as usize) {
            Some(memo) => std::borrow::Cow::Borrowed(memo.get_or_init(|| simplify_for_zoom(&self.world, z))),
            None => std::borrow::Cow::Owned(simplify_for_zoom(&self.world, z)),
        }
    }
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.bbox.envelope()
    }
}

pub struct TileIndex {
    trees: HashMap<Level, RTree<Entry>>,
    bounds: HashMap<Level, WorldRect>,
    /// The basemap's land and sea, from the same kota outlines the map draws.
    pub shores: Shores,
    /// The basemap's label points, inside the outlines the map draws.
    pub places: Places,
}

impl TileIndex {
    pub fn new(atlas: &Atlas) -> TileIndex {
        let mut per: HashMap<Level, Vec<Entry>> = HashMap::new();
        let dissolved = dissolve(atlas);
        for a in atlas.all() {
            if let Some(e) = entry(a, dissolved.get(&a.code).unwrap_or(&a.geometry)) {
                per.entry(a.level).or_default().push(e);
            }
        }
        let bounds = per
            .iter()
            .filter_map(|(l, v)| Some((*l, v.iter().map(|e| e.bbox).reduce(|a, b| a.union(&b))?)))
            .collect();
        let trees = per.into_iter().map(|(l, v)| (l, RTree::bulk_load(v))).collect();
        let kota = atlas.all().iter().filter(|a| a.level == Level::Kota).map(|a| dissolved.get(&a.code).unwrap_or(&a.geometry));
        let shores = Shores::new(kota);
        TileIndex { trees, bounds, shores, places: Places::new(atlas, &dissolved) }
    }

    /// World bounds of everything in a level (TileJSON `bounds`).
    pub fn bounds(&self, level: Level) -> Option<WorldRect> {
        self.bounds.get(&level).copied()
    }

    /// Encodes one tile of an area layer; None when it has no feature.
    pub fn render(&self, level: Level, tile: TileId) -> Option<Vec<u8>> {
        let tree = self.trees.get(&level)?;
        let b = tile.world_bounds(BUFFER);
        let env = b.envelope();
        let mut hits: Vec<&Entry> = tree.locate_in_envelope_intersecting(&env).collect();
        // Code order, so the same data always gives the same bytes (and the same ETag).
        hits.sort_by(|a, b| a.kode.cmp(&b.kode));
        let mut layer = LayerBuilder::new(level.as_str());
        for e in hits {
            let mut props = vec![("kode", Prop::Str(e.kode.clone())), ("nama", Prop::Str(e.nama.clone()))];
            if level == Level::Rw {
                props.push(("generated", Prop::Bool(e.generated)));
                // Absent when unknown, as PostGIS's ST_AsMVT leaves out NULLs (tiles/martin.sql).
                if let Some(s) = &e.source {
                    props.push(("sumber", Prop::Str(s.clone())));
                }
                if let Some(y) = e.year {
                    props.push(("tahun", Prop::Int(y.into())));
                }
            }
            layer.add_simplified_polygon(tile, &e.simplified(tile.z), e.id, &props);
        }
        encode_tile(vec![layer.finish()])
    }
}

/// `display` is the geometry drawn: the dissolved kelurahan for kota/kecamatan, else the stored one.
fn entry(a: &Area, display: &MultiPolygon<f64>) -> Option<Entry> {
    let world = world_geometry(display);
    let bbox = WorldRect::of_lonlat(display)?;
    Some(Entry {
        id: feature_id(a.code.as_str()),
        kode: a.code.to_string(),
        nama: a.name.clone(),
        generated: a.generated,
        source: a.source.clone(),
        year: a.year,
        world,
        bbox,
        simplified: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::mvt::decode;
    use crate::wilayah::{AreaCode, AtlasConfig};
    use geo::polygon;

    fn area(code: &str, name: &str, lon: f64, lat: f64, d: f64, generated: bool) -> Area {
        let code = AreaCode::parse(code).unwrap();
        let g = MultiPolygon(vec![polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]]);
        Area { level: code.level(), parent: code.parent(), code, name: name.into(), geometry: g, generated, source: None, year: None }
    }

    fn atlas() -> Atlas {
        Atlas::new(
            vec![
                area("31.71", "Jakarta Pusat", 106.70, -6.30, 0.30, false),
                area("31.71.01.1001", "Gambir", 106.80, -6.20, 0.01, false),
                area("31.71.01.1002", "Cideng", 106.81, -6.20, 0.01, false),
                area("31.71.01.1001.001", "RW 001", 106.80, -6.20, 0.005, true),
            ],
            AtlasConfig::default(),
        )
    }

    fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
        let (x, y) = to_world(lon, lat);
        let n = (1u64 << z) as f64;
        TileId { z, x: (x * n) as u32, y: (y * n) as u32 }
    }

    #[test]
    fn feature_ids_are_the_code_digits() {
        assert_eq!(feature_id("31.71"), 3171);
        assert_eq!(feature_id("31.71.01.1001.008"), 3171011001008);
    }

    #[test]
    fn layers_carry_codes_names_and_the_generated_flag_on_rw() {
        let idx = TileIndex::new(&atlas());
        let t = tile_of(106.805, -6.195, 13);
        let kel = decode(&idx.render(Level::Kelurahan, t).unwrap()).unwrap();
        assert_eq!(kel.len(), 1);
        assert_eq!(kel[0].0, "kelurahan");
        let codes: Vec<_> = kel[0].2.iter().map(|f| f.prop("kode").and_then(Prop::as_str).unwrap()).collect();
        assert_eq!(codes, ["31.71.01.1001", "31.71.01.1002"]);
        assert_eq!(kel[0].2[0].id, Some(3171011001));
        assert!(kel[0].2[0].prop("generated").is_none(), "only rw has `generated`");
        let rw = decode(&idx.render(Level::Rw, t).unwrap()).unwrap();
        assert_eq!(rw[0].0, "rw");
        assert_eq!(rw[0].2[0].prop("generated"), Some(&Prop::Bool(true)));
        assert_eq!(rw[0].2[0].prop("nama").and_then(Prop::as_str), Some("RW 001"));
        // A kecamatan layer with no areas, and a tile far from Jakarta, are empty.
        assert!(idx.render(Level::Kecamatan, t).is_none());
        assert!(idx.render(Level::Kota, tile_of(120.0, 0.0, 13)).is_none());
        // The same data gives the same bytes.
        assert_eq!(idx.render(Level::Kelurahan, t), TileIndex::new(&atlas()).render(Level::Kelurahan, t));
    }
}
