//! Road travel table for the Jakarta case (issue 16): the 2,708 RW drop points of the shipped
//! demo RW layer (interior point of each RW's largest part, as `Atlas::interior_point` puts them)
//! and the 4 demo depots — 2,712 points. Prints the network build time, the table cold (no
//! cache) and warm (from the disk cache), reachability, and the distribution of road km against
//! great-circle × 1.4 for the out-and-back route from each RW's nearest depot (by road time),
//! which is the route shape of the 500-package-truck case. Prints the load average, since the
//! shared machine is rarely idle.
//!
//! `cargo bench --bench roads` (or `scripts/bench.sh --bench roads`); ROADS_THREADS (default 2).
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::time::Instant;

use geo::{Area, InteriorPoint, MultiPolygon};
use sigap::planner::model::{LonLat, RoadSettings};
use sigap::planner::network::{RoadMatrix, RoadNetwork};
use sigap::planner::sources::read_depots;
use sigap::planner::travel::{great_circle_m, TravelMatrix};

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn rw_points(path: &Path) -> Vec<LonLat> {
    let text = std::fs::read_to_string(path).expect("demo RW layer");
    let fc: geojson::FeatureCollection = text.parse().expect("GeoJSON");
    fc.features
        .iter()
        .filter_map(|f| {
            let g: geo::Geometry<f64> = f.geometry.as_ref()?.value.clone().try_into().ok()?;
            let mp: MultiPolygon<f64> = match g {
                geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(m) => m,
                _ => return None,
            };
            let biggest = mp.0.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
            let p = biggest.interior_point()?;
            Some(LonLat::new(p.x(), p.y()))
        })
        .collect()
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let threads: usize = std::env::var("ROADS_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    println!("\n## Road travel table, Jakarta case (load average before: {})\n", load());
    let depots: Vec<LonLat> = read_depots(&root.join("data/demo/depots.json")).expect("depots").iter().map(|d| LonLat::new(d.lon, d.lat)).collect();
    let rws = rw_points(&root.join("data/demo/rw.geojson"));
    let mut points = depots.clone();
    points.extend(rws.iter().copied());
    let settings = RoadSettings::default();

    let t = Instant::now();
    let net = RoadNetwork::load(&root.join("data/roads/jakarta_roads.geojson"), &settings).expect("network");
    let build_s = t.elapsed().as_secs_f64();
    let s = &net.stats;
    println!(
        "network: {} drivable segments, {} nodes, {} strongly connected components, largest {} nodes ({:.1} %), {} edges + {} shortcuts, {:.0} km; read + build {:.2} s",
        s.drivable_segments, s.nodes, s.components, s.nodes_kept, 100.0 * s.nodes_kept as f64 / s.nodes as f64, s.edges, s.shortcuts, s.km, build_s
    );

    let cache = std::env::temp_dir().join(format!("sigap-roads-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let factor = settings.mean_factor(sigap::planner::model::ClockTime::hm(7, 0), sigap::planner::model::ClockTime::hm(17, 0));
    let mut cold = RoadMatrix::new(&net, factor, "mean 07:00–17:00", threads);
    let t = Instant::now();
    let hit = cold.prepare(&points, Some(&cache));
    let cold_s = t.elapsed().as_secs_f64();
    let mut warm = RoadMatrix::new(&net, factor, "mean 07:00–17:00", threads);
    let t = Instant::now();
    let warm_hit = warm.prepare(&points, Some(&cache));
    let warm_s = t.elapsed().as_secs_f64();
    assert!(!hit && warm_hit);
    println!(
        "table {} × {} points ({} threads): cold {:.2} s (total with network {:.2} s), from cache {:.2} s",
        points.len(),
        points.len(),
        threads,
        cold_s,
        cold_s + build_s,
        warm_s
    );

    let table = warm.table(&points, &points).expect("table");
    let unreachable: Vec<usize> = (depots.len()..points.len()).filter(|&j| (0..depots.len()).all(|d| table.leg(d, j).is_none())).collect();
    let islands = unreachable.iter().filter(|&&j| points[j].lat >= sigap::planner::model::MAINLAND_NORTH_LIMIT).count();
    let mainland: Vec<f64> = unreachable.iter().filter(|&&j| points[j].lat < sigap::planner::model::MAINLAND_NORTH_LIMIT).filter_map(|&j| net.nearest(points[j]).map(|s| s.distance_m)).collect();
    let mut mainland = mainland;
    mainland.sort_by(f64::total_cmp);
    println!(
        "RW drop points unreachable from every depot: {} (snap limit {} m): {} on Kepulauan Seribu, {} on the mainland{}",
        unreachable.len(),
        settings.max_snap_m,
        islands,
        mainland.len(),
        if mainland.is_empty() {
            String::new()
        } else {
            format!(
                " (nearest road node of the connected network: median {:.0} m, max {:.0} m — the 2012 OSM extract has few residential streets there)",
                pct(&mainland, 0.5),
                mainland[mainland.len() - 1]
            )
        }
    );
    let mut ratios = Vec::new();
    let mut road_km = 0.0;
    let mut gc_km = 0.0;
    for j in depots.len()..points.len() {
        let best = (0..depots.len())
            .filter_map(|d| Some((d, table.leg(d, j)?, table.leg(j, d)?)))
            .min_by(|a, b| (a.1.duration_s + a.2.duration_s).total_cmp(&(b.1.duration_s + b.2.duration_s)));
        let Some((d, go, back)) = best else { continue };
        let road = go.distance_m + back.distance_m;
        let gc = 2.0 * great_circle_m(points[d], points[j]) * 1.4;
        if gc > 0.0 {
            ratios.push(road / gc);
            road_km += road / 1000.0;
            gc_km += gc / 1000.0;
        }
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "out-and-back route from the nearest depot, road km / (great-circle km × 1.4), {} routes: p5 {:.2}, p25 {:.2}, median {:.2}, p75 {:.2}, p95 {:.2}, max {:.2}; total {:.0} km on roads vs {:.0} km estimated ({:+.1} %)",
        ratios.len(),
        pct(&ratios, 0.05),
        pct(&ratios, 0.25),
        pct(&ratios, 0.5),
        pct(&ratios, 0.75),
        pct(&ratios, 0.95),
        ratios[ratios.len() - 1],
        road_km,
        gc_km,
        100.0 * (road_km / gc_km - 1.0)
    );
    let under = ratios.iter().filter(|&&r| r < 1.0).count();
    println!("routes shorter on roads than the estimate: {} of {}", under, ratios.len());
    println!("load average after: {}", load());
    let _ = std::fs::remove_dir_all(&cache);
}
