//! Generator of the demo RW layer.
//!
//! No real RW polygons are available for Jakarta here, so the demo layer partitions each
//! kelurahan into Voronoi-like cells around seeded random points, with an RW count from the
//! kelurahan's 2024 population. It is deterministic for a seed and always marked generated.
//! Real RW polygons import through the same `sigap import boundaries --level rw`.

use super::atlas::{project, unproject, Area};
use super::code::{AreaCode, Level};
use geo::{Area as _, BooleanOps, BoundingRect, Centroid, Contains, Coord, InteriorPoint, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// People per RW: 11,038,216 inhabitants (2024) over the ~2,700 RW of DKI Jakarta.
pub const PEOPLE_PER_RW: f64 = 4_088.0;

/// Normalises kecamatan/kelurahan names the way the population table and the boundary layer
/// can be joined: letters only, upper case.
pub fn name_key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_uppercase).collect()
}

/// Reads the population table (year,city,district,subdistrict,population,…) into
/// (kecamatan key, kelurahan key) → population.
pub fn read_population(csv_text: &str) -> anyhow::Result<HashMap<(String, String), u64>> {
    let text = csv_text.trim_start_matches('\u{feff}');
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| anyhow::anyhow!("column {name} missing"));
    let (d, s, p) = (col("district")?, col("subdistrict")?, col("population")?);
    let mut out = HashMap::new();
    for rec in rdr.records() {
        let rec = rec?;
        let pop: u64 = rec.get(p).unwrap_or("").trim().parse()?;
        out.insert((name_key(rec.get(d).unwrap_or("")), name_key(rec.get(s).unwrap_or(""))), pop);
    }
    Ok(out)
}

/// Population per kelurahan code, joined on names; missing ones get the mean.
pub fn population_by_code(kelurahan: &[&Area], kecamatan_names: &HashMap<AreaCode, String>, table: &HashMap<(String, String), u64>) -> (HashMap<AreaCode, u64>, Vec<String>) {
    let mean = if table.is_empty() { 40_000 } else { table.values().sum::<u64>() / table.len() as u64 };
    let mut missing = Vec::new();
    let map = kelurahan
        .iter()
        .map(|k| {
            let kec = k.parent.as_ref().and_then(|p| kecamatan_names.get(p)).map(|n| name_key(n)).unwrap_or_default();
            let pop = table.get(&(kec, name_key(&k.name))).copied().unwrap_or_else(|| {
                missing.push(k.code.to_string());
                mean
            });
            (k.code.clone(), pop)
        })
        .collect();
    (map, missing)
}

/// Clips a convex polygon (as a closed ring) to the half-plane of points closer to `a` than to `b`.
fn clip_half_plane(ring: &[Coord<f64>], a: Coord<f64>, b: Coord<f64>) -> Vec<Coord<f64>> {
    let m = Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 };
    let n = Coord { x: b.x - a.x, y: b.y - a.y };
    let side = |p: Coord<f64>| (p.x - m.x) * n.x + (p.y - m.y) * n.y; // <= 0 keeps
    let mut out = Vec::new();
    for i in 0..ring.len() {
        let (p, q) = (ring[i], ring[(i + 1) % ring.len()]);
        let (sp, sq) = (side(p), side(q));
        if sp <= 0.0 {
            out.push(p);
        }
        if (sp < 0.0 && sq > 0.0) || (sp > 0.0 && sq < 0.0) {
            let t = sp / (sp - sq);
            out.push(Coord { x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) });
        }
    }
    out
}

/// Voronoi cells of `seeds` clipped to `shape` (all metric).
fn cells(shape: &MultiPolygon<f64>, seeds: &[Coord<f64>]) -> Vec<MultiPolygon<f64>> {
    let Some(r) = shape.bounding_rect() else { return Vec::new() };
    let pad = 10.0;
    let bbox = vec![
        Coord { x: r.min().x - pad, y: r.min().y - pad },
        Coord { x: r.max().x + pad, y: r.min().y - pad },
        Coord { x: r.max().x + pad, y: r.max().y + pad },
        Coord { x: r.min().x - pad, y: r.max().y + pad },
    ];
    seeds
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let mut ring = bbox.clone();
            for (j, &o) in seeds.iter().enumerate() {
                if i != j && ring.len() >= 3 {
                    ring = clip_half_plane(&ring, s, o);
                }
            }
            if ring.len() < 3 {
                return MultiPolygon(vec![]);
            }
            let cell = Polygon::new(LineString::from(ring), vec![]);
            shape.intersection(&MultiPolygon(vec![cell]))
        })
        .collect()
}

fn sample_inside(shape: &MultiPolygon<f64>, rng: &mut ChaCha8Rng) -> Option<Coord<f64>> {
    let r = shape.bounding_rect()?;
    for _ in 0..20_000 {
        let c = Coord { x: rng.gen_range(r.min().x..=r.max().x), y: rng.gen_range(r.min().y..=r.max().y) };
        if shape.contains(&Point::from(c)) {
            return Some(c);
        }
    }
    shape.interior_point().map(|p| p.0)
}

/// Generates the RW layer of one kelurahan: `count` cells, numbered 001.. north-west to south-east.
pub fn generate_kelurahan(kel: &Area, count: usize, seed: u64) -> Vec<Area> {
    let shape = project(&kel.geometry);
    let digits: u64 = kel.code.as_str().chars().filter(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ digits.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let count = count.max(1);
    let mut seeds: Vec<Coord<f64>> = (0..count).filter_map(|_| sample_inside(&shape, &mut rng)).collect();
    // Two Lloyd steps make the cells look like neighbourhoods rather than shards.
    for _ in 0..2 {
        let cs = cells(&shape, &seeds);
        for (s, c) in seeds.iter_mut().zip(&cs) {
            if let Some(ct) = c.centroid() {
                if shape.contains(&ct) {
                    *s = ct.0;
                }
            }
        }
    }
    let mut parts: Vec<(Coord<f64>, MultiPolygon<f64>)> =
        seeds.iter().copied().zip(cells(&shape, &seeds)).filter(|(_, c)| c.unsigned_area() > 0.0).collect();
    // Row-major from the north-west, in ~500 m bands, so numbering reads like a map.
    parts.sort_by(|a, b| {
        let band = |c: &Coord<f64>| (-(c.y / 500.0).floor()) as i64;
        band(&a.0).cmp(&band(&b.0)).then(a.0.x.total_cmp(&b.0.x))
    });
    parts
        .into_iter()
        .enumerate()
        .filter_map(|(i, (_, cell))| {
            let code = AreaCode::parse(&format!("{}.{:03}", kel.code, i + 1)).ok()?;
            Some(Area {
                name: format!("RW {:03}", i + 1),
                level: Level::Rw,
                parent: Some(kel.code.clone()),
                geometry: unproject(&cell),
                code,
                generated: true,
                source: Some(super::import::SOURCE_GENERATED.into()),
                year: None,
            })
        })
        .collect()
}

/// RW count for a kelurahan of `population` people.
pub fn rw_count(population: u64) -> usize {
    ((population as f64 / PEOPLE_PER_RW).round() as usize).clamp(1, 60)
}
