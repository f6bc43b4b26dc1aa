use std::sync::OnceLock;

use geo::LineString;

use super::*;
use crate::planner::model::{ClockTime, DepotInput, PlanRequest, PlanSettings, StopInput};
use crate::planner::{plan, Reason};

fn seg(class: RoadClass, oneway: Oneway, pts: &[(f64, f64)]) -> RoadSegment {
    RoadSegment { class, link: false, name: None, oneway, lanes: None, line: LineString::from(pts.to_vec()) }
}

/// A 3×3 grid of residential streets ~1.1 km apart around (106.80, -6.20), the middle row
/// one-way eastward, plus a lone road 5 km east that is not connected to it.
fn grid() -> Vec<RoadSegment> {
    let step = 0.01;
    let (x0, y0) = (106.80, -6.20);
    let mut out = Vec::new();
    for r in 0..3 {
        let y = y0 - r as f64 * step;
        let oneway = if r == 1 { Oneway::Forward } else { Oneway::Both };
        out.push(seg(RoadClass::Residential, oneway, &[(x0, y), (x0 + step, y), (x0 + 2.0 * step, y)]));
    }
    for c in 0..3 {
        let x = x0 + c as f64 * step;
        out.push(seg(RoadClass::Primary, Oneway::Both, &[(x, y0), (x, y0 - step), (x, y0 - 2.0 * step)]));
    }
    out.push(seg(RoadClass::Residential, Oneway::Both, &[(106.85, -6.20), (106.851, -6.20)]));
    out
}

fn grid_net() -> RoadNetwork {
    RoadNetwork::build(&grid(), &RoadSettings::default()).expect("grid builds")
}

#[test]
fn grid_keeps_the_largest_component_and_respects_one_way() {
    let net = grid_net();
    assert_eq!(net.stats.nodes, 11);
    assert_eq!(net.stats.nodes_kept, 9, "the lone road is dropped");
    assert!(net.stats.components >= 2);
    let west_mid = net.snap(LonLat::new(106.80, -6.21)).unwrap().node;
    let east_mid = net.snap(LonLat::new(106.82, -6.21)).unwrap().node;
    let t = net.node_table(&[west_mid, east_mid], &[west_mid, east_mid], 2);
    let (east_ms, east_m) = t[1].unwrap();
    let (west_ms, west_m) = t[2].unwrap();
    assert!((east_m - 2.0 * 1105.0).abs() < 20.0, "eastward along the one-way row: {east_m}");
    assert!(west_m > 3.9 * 1105.0, "westward must go round by a two-way row: {west_m}");
    assert!(west_ms > east_ms);
    assert_eq!(t[0], Some((0, 0.0)));
}

#[test]
fn bucket_table_matches_fast_paths_queries() {
    let net = shipped();
    let points: Vec<u32> = (0..40u32).map(|i| (i * 1_511) % net.stats.nodes_kept as u32).collect();
    let t = net.node_table(&points, &points, 2);
    let mut calc = fast_paths::create_calculator(&net.ch);
    for (i, &a) in points.iter().enumerate() {
        for (j, &b) in points.iter().enumerate() {
            let want = calc.calc_path(&net.ch, a as usize, b as usize).map(|p| p.get_weight() as u64);
            assert_eq!(t[i * points.len() + j].map(|x| x.0), want, "{a} -> {b}");
        }
    }
    // Metres follow the path: the unpacked path's length equals the table's metres.
    let (a, b) = (points[3], points[17]);
    let line = net.path_nodes(a, b).unwrap();
    let along: f64 = line.windows(2).map(|w| great_circle_m(w[0], w[1])).sum();
    let m = t[3 * points.len() + 17].unwrap().1;
    assert!((along - m).abs() < 1.0, "{along} vs {m}");
}

#[test]
fn no_drivable_road_is_refused() {
    let footways = vec![seg(RoadClass::Path, Oneway::Both, &[(106.80, -6.20), (106.81, -6.20)])];
    let e = RoadNetwork::build(&footways, &RoadSettings::default()).err().expect("refused");
    assert!(e.to_string().contains("no usable roads"), "{e}");
    // A class without a speed is not driven either.
    let settings = RoadSettings { speeds_kmh: [(RoadClass::Primary, 40.0)].into_iter().collect(), ..Default::default() };
    assert!(matches!(RoadNetwork::build(&grid()[..3], &settings), Err(NetworkError::NoDrivable { segments: 3 })));
    // A file that is not a road file is the reader's error, named by the file.
    let e = RoadNetwork::load(Path::new("/nonexistent/roads.geojson"), &RoadSettings::default()).err().expect("missing");
    assert!(e.to_string().contains("/nonexistent/roads.geojson"), "{e}");
}

#[test]
fn far_point_is_unreachable_with_its_distance() {
    let net = grid_net();
    let near = LonLat::new(106.8101, -6.2001);
    let far = LonLat::new(106.80, -6.25); // ~3.3 km south of the grid
    assert!(net.snap(near).is_ok());
    let d = net.snap(far).unwrap_err();
    assert!((3000.0..3500.0).contains(&d), "{d}");
    let m = RoadMatrix::new(&net, 1.0, "free flow", 1);
    let t = m.table(&[near, far], &[near, far]).unwrap();
    assert!(t.leg(0, 1).is_none() && t.leg(1, 0).is_none());
    assert_eq!(t.leg(1, 1).map(|l| l.distance_m), Some(0.0));
    let why = m.unreachable_reason(far).expect("reason");
    assert!(why.contains("m from the nearest road") && why.contains("500 m"), "{why}");
    assert!(m.unreachable_reason(near).is_none());
}

#[test]
fn congestion_divides_free_flow_time() {
    let net = grid_net();
    let a = LonLat::new(106.80, -6.20);
    let b = LonLat::new(106.82, -6.22);
    let free = RoadMatrix::new(&net, 1.0, "free flow", 1).table(&[a], &[b]).unwrap().leg(0, 0).unwrap();
    let peak = RoadMatrix::new(&net, 0.5, "peak", 1).table(&[a], &[b]).unwrap().leg(0, 0).unwrap();
    assert!((peak.duration_s - 2.0 * free.duration_s).abs() < 1e-6);
    assert_eq!(peak.distance_m, free.distance_m);
    // 2.2 km across on a residential row at 20 km/h and 2.2 km down a primary street at 40 km/h.
    let across = great_circle_m(a, LonLat::new(106.82, -6.20));
    let down = great_circle_m(LonLat::new(106.82, -6.20), b);
    assert!((free.duration_s - (across / (20.0 / 3.6) + down / (40.0 / 3.6))).abs() < 2.0, "{free:?}");
    let s = RoadSettings::default();
    assert!((s.mean_factor(ClockTime::hm(7, 0), ClockTime::hm(17, 0)) - 0.62).abs() < 1e-9);
    assert_eq!(s.factor_at(ClockTime::hm(3, 0)), 1.0);
}

#[test]
fn prepared_table_is_cached_on_disk_and_equal() {
    let net = grid_net();
    let dir = std::env::temp_dir().join(format!("sigap-roadcache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pts = [LonLat::new(106.80, -6.20), LonLat::new(106.815, -6.205), LonLat::new(106.82, -6.22), LonLat::new(106.80, -6.30)];
    let mut cold = RoadMatrix::new(&net, 0.62, "test", 1);
    assert!(!cold.prepare(&pts, Some(&dir)), "first run computes");
    let mut warm = RoadMatrix::new(&net, 0.62, "test", 1);
    assert!(warm.prepare(&pts, Some(&dir)), "second run reads the cache");
    let (a, b) = (cold.table(&pts, &pts).unwrap(), warm.table(&pts, &pts).unwrap());
    for i in 0..pts.len() {
        for j in 0..pts.len() {
            assert_eq!(a.leg(i, j), b.leg(i, j));
        }
    }
    assert!(a.leg(0, 3).is_none(), "the far point stays unreachable");
    // Other points: another file. A damaged file is ignored and recomputed.
    let file = cache::path(&dir, net.fingerprint(), &pts);
    std::fs::write(&file, b"SIGAPRT1 broken").unwrap();
    assert!(!RoadMatrix::new(&net, 0.62, "test", 1).prepare(&pts, Some(&dir)));
    assert!(RoadMatrix::new(&net, 0.62, "test", 1).prepare(&pts, Some(&dir)));
    assert!(!RoadMatrix::new(&net, 0.62, "test", 1).prepare(&pts[..3], Some(&dir)));
    let _ = std::fs::remove_dir_all(&dir);
}

fn shipped() -> &'static RoadNetwork {
    static NET: OnceLock<RoadNetwork> = OnceLock::new();
    NET.get_or_init(|| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/roads/jakarta_roads.geojson");
        RoadNetwork::load(&p, &RoadSettings::default()).expect("shipped network")
    })
}

#[test]
fn shipped_network_routes_mainland_and_not_the_islands() {
    let net = shipped();
    // SOURCE.md: the largest component holds 97 % of the vertices (undirected); one-way streets
    // make the strongly connected one a little smaller.
    assert!(net.stats.nodes_kept as f64 > 0.85 * net.stats.nodes as f64, "{:?}", net.stats);
    assert!(net.stats.km > 3_000.0, "{:?}", net.stats);
    let m = RoadMatrix::new(net, 0.62, "mean 07:00–17:00", 2);
    let balaikota = LonLat::new(106.8275, -6.1818);
    let dinsos = LonLat::new(106.8386, -6.1590);
    let untung_jawa = LonLat::new(106.7066, -5.9760);
    let t = m.table(&[balaikota, dinsos, untung_jawa], &[balaikota, dinsos, untung_jawa]).unwrap();
    let leg = t.leg(0, 1).expect("Balaikota to Dinas Sosial");
    let ratio = leg.distance_m / great_circle_m(balaikota, dinsos);
    assert!((1.0..2.5).contains(&ratio), "road/straight {ratio}");
    assert!(t.leg(0, 2).is_none() && t.leg(2, 0).is_none(), "Kepulauan Seribu by truck");
    assert!(m.unreachable_reason(untung_jawa).unwrap().contains("m from the nearest road"));
    let line = m.path(balaikota, dinsos).expect("path");
    assert_eq!((line[0], *line.last().unwrap()), (balaikota, dinsos));
    assert!(line.len() > 10, "follows the streets: {} points", line.len());
}

fn depot(id: &str, lon: f64, lat: f64) -> DepotInput {
    DepotInput {
        id: id.into(),
        name: String::new(),
        lon,
        lat,
        stock: 1000,
        trucks: 2,
        truck_capacity: 100,
        shift_start: ClockTime::hm(7, 0),
        shift_end: ClockTime::hm(17, 0),
        cost_per_km: None,
        note: None,
        items: Default::default(),
    }
}

fn stop(id: &str, lon: f64, lat: f64) -> StopInput {
    StopInput { id: id.into(), lon, lat, packages: 30, ..Default::default() }
}

#[test]
fn plan_on_roads_follows_them_and_reports_far_stops_and_a_cut_off_depot() {
    let net = grid_net();
    let m = RoadMatrix::new(&net, 1.0, "free flow", 1);
    let request = PlanRequest {
        // The second depot stands on the lone road 5 km away, cut off from the grid.
        depots: vec![depot("A", 106.80, -6.20), depot("CUT", 106.8505, -6.20)],
        stops: vec![stop("s1", 106.82, -6.22), stop("s2", 106.81, -6.21), stop("far", 106.80, -6.25)],
        settings: PlanSettings { budget: crate::planner::model::Budget { generations: 20, max_seconds: None }, ..Default::default() },
        frozen: vec![],
    };
    let p = plan(request, &m, &|_| {}).expect("plans");
    assert_eq!(p.totals.stops_planned, 2, "{:?}", p.unassigned);
    let far = p.unassigned.iter().find(|u| u.stop == "far").expect("far is unassigned");
    assert_eq!(far.reason, Reason::Unreachable);
    assert!(far.detail.contains("m from the nearest road"), "{}", far.detail);
    assert!(p.warnings.iter().any(|w| w.contains("depot CUT") && w.contains("nearest road")), "{:?}", p.warnings);
    assert!(p.meta.travel.starts_with("roads"), "{}", p.meta.travel);
    let route = p.routes().next().expect("a route");
    let line = route.road_line().expect("road geometry");
    assert_eq!(crate::planner::plan::TruckRoute::encode_line(&line).as_ref(), route.polyline6.as_ref(), "the encoding reads back exactly at 1e-6 degrees");
    assert!(line.len() > route.stops.len() + 2, "turns at the street corners: {line:?}");
    let gj = p.to_geojson();
    let props = gj.features[0].properties.as_ref().unwrap();
    assert_eq!(props["follows_roads"], serde_json::json!(true));
}
