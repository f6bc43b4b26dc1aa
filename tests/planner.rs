//! Multi-day planning through the public API: every stop is either routed or reported with a
//! reason, routes respect trucks, shifts and windows, and the same input gives the same plan.

use std::collections::BTreeMap;

use sigap::planner::model::{Budget, ClockTime, FrozenRoute};
use sigap::planner::{plan, DepotInput, GreatCircle, Plan, PlanRequest, PlanSettings, PlannerError, Reason, StopInput};

fn depot(id: &str, lon: f64, lat: f64, trucks: i64, capacity: i64, stock: i64) -> DepotInput {
    DepotInput {
        id: id.into(),
        name: id.into(),
        lon,
        lat,
        stock,
        trucks,
        truck_capacity: capacity,
        shift_start: ClockTime::hm(7, 0),
        shift_end: ClockTime::hm(17, 0),
        cost_per_km: Some(5_000.0),
        note: None,
        items: Default::default(),
    }
}

fn stop(id: &str, lon: f64, lat: f64, packages: i64) -> StopInput {
    StopInput { id: id.into(), lon, lat, packages, kecamatan: Some("Gambir".into()), ..Default::default() }
}

/// Fifteen drop points across mainland Jakarta.
fn stops() -> Vec<StopInput> {
    [
        ("gambir", 106.8166, -6.1766, 120),
        ("tanah-abang", 106.8110, -6.2000, 90),
        ("menteng", 106.8330, -6.1960, 150),
        ("senen", 106.8450, -6.1770, 60),
        ("cempaka-putih", 106.8690, -6.1780, 110),
        ("kemayoran", 106.8560, -6.1620, 80),
        ("tebet", 106.8540, -6.2260, 130),
        ("setiabudi", 106.8300, -6.2180, 70),
        ("grogol", 106.7900, -6.1620, 140),
        ("kebayoran-baru", 106.7990, -6.2440, 100),
        ("pasar-minggu", 106.8440, -6.2850, 90),
        ("cakung", 106.9500, -6.1850, 160),
        ("penjaringan", 106.7850, -6.1270, 75),
        ("kalideres", 106.7000, -6.1400, 95),
        ("ciracas", 106.8700, -6.3250, 85),
    ]
    .into_iter()
    .map(|(id, lon, lat, p)| stop(id, lon, lat, p))
    .collect()
}

fn settings(days: i64) -> PlanSettings {
    PlanSettings { days, seed: 11, budget: Budget { generations: 60, max_seconds: None }, ..Default::default() }
}

fn request(days: i64) -> PlanRequest {
    PlanRequest {
        depots: vec![
            depot("BKT", 106.8286, -6.1818, 4, 400, 50_000),
            depot("DINSOS", 106.8380, -6.1650, 3, 400, 50_000),
        ],
        stops: stops(),
        settings: settings(days),
        frozen: vec![],
    }
}

fn run(req: PlanRequest) -> Plan {
    let travel = GreatCircle::new(req.settings.travel);
    plan(req, &travel, &|_| {}).expect("plan")
}

/// The invariants every plan must keep, checked from the request alone.
fn check(plan: &Plan, req: &PlanRequest) {
    let depots: BTreeMap<&str, &DepotInput> = req.depots.iter().map(|d| (d.id.as_str(), d)).collect();
    let stops: BTreeMap<&str, &StopInput> = req.stops.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut delivered: BTreeMap<&str, i64> = BTreeMap::new();
    for day in &plan.days {
        let mut per_depot: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
        let mut trips = std::collections::BTreeSet::new();
        for r in &day.routes {
            let d = depots[r.depot.as_str()];
            assert!(trips.insert((r.truck.clone(), r.trip)), "truck {} trip {} used twice on day {}", r.truck, r.trip, day.day);
            per_depot.entry(&r.depot).or_default().insert(&r.truck);
            assert!(r.packages as i64 <= d.truck_capacity, "{} overloaded", r.truck);
            assert_eq!(r.packages, r.stops.iter().map(|v| v.packages).sum::<u32>());
            assert!(r.back <= d.shift_end, "{} back at {} after shift end", r.truck, r.back);
            let mut t = r.depart;
            for v in &r.stops {
                assert!(v.arrival >= t && v.start >= v.arrival && v.departure >= v.start);
                let s = stops[v.stop.as_str()];
                if let (Some(a), Some(b)) = (s.window_start, s.window_end) {
                    assert!(v.start >= a && v.start <= b, "{} served at {} outside {a}-{b}", v.stop, v.start);
                }
                *delivered.entry(stops[v.stop.as_str()].id.as_str()).or_default() += v.packages as i64;
                t = v.departure;
            }
        }
        for (id, trucks) in per_depot {
            let n = trucks.len();
            assert!(n as i64 <= depots[id].trucks, "depot {id} uses {n} trucks on day {}", day.day);
        }
    }
    for u in &plan.unassigned {
        *delivered.entry(stops[u.stop.as_str()].id.as_str()).or_default() += u.packages as i64;
    }
    for s in &req.stops {
        assert_eq!(delivered.get(s.id.as_str()).copied(), Some(s.packages), "packages of {} not accounted for", s.id);
    }
    assert_eq!(plan.totals.packages_planned + plan.totals.packages_unassigned, plan.totals.packages_requested);
}

#[test]
fn a_small_city_is_fully_planned_in_one_day() {
    let req = request(1);
    let p = run(req.clone());
    check(&p, &req);
    assert!(p.unassigned.is_empty(), "{:?}", p.unassigned);
    assert_eq!(p.totals.stops_planned, 15);
    assert_eq!(p.totals.packages_planned, req.stops.iter().map(|s| s.packages as u64).sum::<u64>());
    assert!(p.totals.distance_m > 20_000 && p.totals.distance_m < 400_000, "{}", p.totals.distance_m);
    assert_eq!(p.totals.cost, Some(p.routes().map(|r| r.cost.unwrap()).sum()));
}

#[test]
fn the_same_request_gives_the_same_plan() {
    let a = run(request(2)).to_json().unwrap();
    let b = run(request(2)).to_json().unwrap();
    assert_eq!(a, b);
}

#[test]
fn trucks_reload_and_make_several_trips_within_the_shift() {
    // Two small trucks (120 packages) and many stops: one trip a day needs several days.
    let small = |mut r: PlanRequest| {
        r.depots = vec![depot("BKT", 106.8286, -6.1818, 2, 120, 50_000)];
        r
    };
    let one = run(small(request(10)));
    let mut req = small(request(10));
    req.settings.reload = sigap::planner::model::ReloadSettings { max_trips: 4, reload_min: 30.0 };
    let multi = run(req.clone());
    check(&multi, &req);
    assert_eq!(one.totals.trips, one.totals.truck_days, "one trip per truck-day");
    assert!(multi.totals.trips > multi.totals.truck_days, "{:?}", multi.totals);
    assert!(multi.totals.days_used < one.totals.days_used, "{} vs {}", multi.totals.days_used, one.totals.days_used);
    assert_eq!(multi.totals.packages_planned, one.totals.packages_planned);
    // A truck's trips follow each other with the reload in between, all within the shift.
    for day in &multi.days {
        let mut by_truck: std::collections::BTreeMap<&str, Vec<&sigap::planner::plan::TruckRoute>> = Default::default();
        for r in &day.routes {
            by_truck.entry(r.truck.as_str()).or_default().push(r);
        }
        for trips in by_truck.values() {
            for (k, r) in trips.iter().enumerate() {
                assert_eq!(r.trip as usize, k + 1);
                assert!(r.back <= ClockTime::hm(17, 0), "{} trip {} back {}", r.truck, r.trip, r.back);
                if k > 0 {
                    assert!(r.depart.seconds() >= trips[k - 1].back.seconds() + 30 * 60, "{} trip {}", r.truck, r.trip);
                }
            }
        }
    }
    let csv = {
        let mut buf = Vec::new();
        multi.write_csv(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    };
    assert!(csv.lines().next().unwrap().ends_with(",packages,trip"));
    assert!(csv.lines().any(|l| l.ends_with(",2")), "some visit is on a second trip");
}

#[test]
fn a_time_cap_that_bites_is_reported_in_the_plan() {
    let plain = run(request(2));
    assert!(plain.meta.time_capped.is_empty());
    assert!(!plain.to_json().unwrap().contains("time_capped"), "an uncapped plan keeps its old shape");
    let mut req = request(2);
    req.settings.budget = Budget { generations: 100_000, max_seconds: Some(1e-9) };
    let cut = run(req);
    assert!(!cut.meta.time_capped.is_empty());
    assert!(cut.meta.time_capped[0].starts_with("day 1 "), "{:?}", cut.meta.time_capped);
    assert!(cut.warnings.iter().any(|w| w.contains("time cap") && w.contains("may differ")), "{:?}", cut.warnings);
    assert!(cut.meta.solver.contains("time cap"), "{}", cut.meta.solver);
}

#[test]
fn a_stop_larger_than_a_truck_is_split_into_deliveries() {
    let mut req = request(2);
    req.stops[0].packages = 1_000; // trucks carry 400
    let p = run(req.clone());
    check(&p, &req);
    assert_eq!(p.splits.len(), 1);
    assert_eq!(p.splits[0].deliveries, 3);
    let parts: Vec<(u32, u32, u32)> =
        p.routes().flat_map(|r| r.stops.iter()).filter(|v| v.stop == "gambir").map(|v| (v.part, v.parts, v.packages)).collect();
    assert_eq!(parts.iter().map(|x| x.2).sum::<u32>(), 1_000);
    assert!(parts.iter().all(|x| x.1 == 3));
}

#[test]
fn without_splitting_a_large_stop_gets_reason_capacity() {
    let mut req = request(1);
    req.stops[0].packages = 1_000;
    req.settings.split_large = false;
    let p = run(req.clone());
    check(&p, &req);
    let u = p.unassigned.iter().find(|u| u.stop == "gambir").expect("gambir unassigned");
    assert_eq!(u.reason, Reason::Capacity);
    assert!(u.detail.contains("1.000"), "{}", u.detail);
}

#[test]
fn stops_outside_jakarta_or_on_islands_get_a_reason() {
    let mut req = request(1);
    req.stops.push(stop("karawang", 107.30, -6.30, 50));
    req.stops.push(stop("untung-jawa", 106.7066, -5.9760, 40));
    let p = run(req.clone());
    check(&p, &req);
    let reason = |id: &str| p.unassigned.iter().find(|u| u.stop == id).map(|u| u.reason);
    assert_eq!(reason("karawang"), Some(Reason::OutsideArea));
    assert_eq!(reason("untung-jawa"), Some(Reason::Unreachable));
    let detail = &p.unassigned.iter().find(|u| u.stop == "untung-jawa").unwrap().detail;
    assert!(detail.contains("Kepulauan Seribu"), "{detail}");
}

#[test]
fn a_window_no_truck_can_meet_gets_reason_time_window() {
    let mut req = request(1);
    req.stops[3].window_start = Some(ClockTime::hm(5, 0));
    req.stops[3].window_end = Some(ClockTime::hm(6, 30)); // before the 07:00 shift starts
    req.stops[4].window_start = Some(ClockTime::hm(13, 0));
    req.stops[4].window_end = Some(ClockTime::hm(14, 0));
    let p = run(req.clone());
    check(&p, &req);
    let u = p.unassigned.iter().find(|u| u.stop == "senen").expect("senen unassigned");
    assert_eq!(u.reason, Reason::TimeWindow);
    let served = p.routes().flat_map(|r| r.stops.iter()).find(|v| v.stop == "cempaka-putih").expect("served");
    assert!(served.start >= ClockTime::hm(13, 0) && served.start <= ClockTime::hm(14, 0));
}

#[test]
fn what_does_not_fit_the_horizon_gets_reason_horizon() {
    let mut req = request(1);
    req.depots = vec![depot("BKT", 106.8286, -6.1818, 1, 400, 50_000)];
    let p = run(req.clone());
    check(&p, &req);
    assert!(p.totals.packages_planned <= 400);
    assert!(p.unassigned.iter().all(|u| u.reason == Reason::Horizon), "{:?}", p.unassigned);
    assert!(!p.unassigned.is_empty());
    // With enough days the same fleet serves everyone.
    req.settings.days = 6;
    let p = run(req.clone());
    check(&p, &req);
    assert!(p.unassigned.is_empty(), "{:?}", p.unassigned);
    assert!(p.totals.days_used >= 4);
}

#[test]
fn missing_stock_gets_reason_stock() {
    let mut req = request(1);
    req.depots = vec![depot("BKT", 106.8286, -6.1818, 4, 400, 1_000), depot("DINSOS", 106.8380, -6.1650, 3, 400, 0)];
    let p = run(req.clone());
    check(&p, &req);
    assert_eq!(p.totals.packages_planned, 1_000);
    assert_eq!(p.totals.packages_unassigned, 555);
    assert!(p.unassigned.iter().all(|u| u.reason == Reason::Stock));
    assert!(p.warnings.iter().any(|w| w.contains("DINSOS")), "{:?}", p.warnings);
}

#[test]
fn frozen_stops_stay_on_their_truck_on_day_one() {
    let mut req = request(2);
    req.frozen = vec![FrozenRoute { depot: "DINSOS".into(), truck: "DINSOS-T03".into(), stops: vec!["kalideres".into(), "ciracas".into()] }];
    let p = run(req.clone());
    check(&p, &req);
    let r = p.days[0].routes.iter().find(|r| r.truck == "DINSOS-T03").expect("frozen truck on day 1");
    assert!(r.frozen);
    let ids: Vec<&str> = r.stops.iter().map(|v| v.stop.as_str()).collect();
    assert!(ids.contains(&"kalideres") && ids.contains(&"ciracas"), "{ids:?}");
}

#[test]
fn bad_requests_are_errors_not_plans() {
    let mut req = request(0);
    let travel = GreatCircle::new(req.settings.travel);
    assert!(matches!(plan(req.clone(), &travel, &|_| {}), Err(PlannerError::Invalid(_))));
    req.settings.days = 1;
    req.depots[0].truck_capacity = -3;
    let e = plan(req, &travel, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("depots[0].truck_capacity"), "{e}");
}

#[test]
fn serialisers_agree_with_the_plan() {
    let p = run(request(2));
    let visits = p.routes().map(|r| r.stops.len()).sum::<usize>();
    let mut csv = Vec::new();
    p.write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.lines().count(), visits + 1);
    assert!(text.starts_with("day,date,depot,truck,seq,stop,"));
    let gj = p.to_geojson();
    assert_eq!(gj.features.len(), p.routes().count());
    let first = &gj.features[0];
    match &first.geometry.as_ref().unwrap().value {
        geojson::Value::LineString(c) => assert_eq!(c.len(), p.routes().next().unwrap().stops.len() + 2),
        other => panic!("{other:?}"),
    }
    let back: Plan = serde_json::from_str(&p.to_json().unwrap()).unwrap();
    assert_eq!(back, p);
}

/// Issue item 7, one case after the other: each bad input is an error naming its field, or a
/// stop left out with a reason, never a silent plan.
#[test]
fn each_bad_input_gets_a_clear_error_or_reason() {
    let travel = GreatCircle::new(PlanSettings::default().travel);
    let err = |req: PlanRequest| match plan(req, &travel, &|_| {}) {
        Err(PlannerError::Invalid(e)) => (e.field(), e.to_string()),
        other => panic!("expected a validation error, got {other:?}"),
    };

    let mut r = request(1);
    r.depots.clear();
    assert_eq!(err(r), ("depots".into(), "no depots given: at least one warehouse is needed".into()));

    let mut r = request(1);
    r.settings.days = 0;
    let (field, text) = err(r);
    assert_eq!(field, "settings.days");
    assert!(text.contains("at least 1 working day"), "{text}");

    for capacity in [0, -400] {
        let mut r = request(1);
        r.depots[1].truck_capacity = capacity;
        let (field, text) = err(r);
        assert_eq!(field, "depots[1].truck_capacity");
        assert!(text.contains("positive") && text.contains(&capacity.to_string()), "{text}");
    }

    let mut r = request(1);
    r.stops[4].id = "gambir".into();
    assert_eq!(err(r), ("stops[4].id".into(), "stops[4].id: id 'gambir' is used twice".into()));
    let mut r = request(1);
    r.depots[1].id = "BKT".into();
    assert_eq!(err(r).0, "depots[1].id");

    let mut r = request(1);
    r.stops[2].lon = f64::INFINITY;
    assert_eq!(err(r).0, "stops[2].lon");

    // A stop outside Jakarta is a reason, not an error: the rest of the city still gets its plan.
    let mut r = request(1);
    r.stops.push(stop("bogor", 106.7990, -6.5950, 30));
    let p = run(r.clone());
    check(&p, &r);
    let u = p.unassigned.iter().find(|u| u.stop == "bogor").expect("bogor left out");
    assert_eq!(u.reason, Reason::OutsideArea);
    assert!(u.detail.contains("outside DKI Jakarta"), "{}", u.detail);
    assert_eq!(p.totals.stops_planned, 15);

    // Tangerang lies inside the bounding box; the caller's area test (the atlas) catches it.
    let mut r = request(1);
    r.stops.push(stop("tangerang", 106.6300, -6.1780, 30));
    let in_city = |p: sigap::planner::model::LonLat| p.lon > 106.68;
    let p = sigap::planner::plan_within(r.clone(), &travel, &in_city, &|_| {}).expect("plan");
    check(&p, &r);
    assert_eq!(p.unassigned.iter().find(|u| u.stop == "tangerang").map(|u| u.reason), Some(Reason::OutsideArea));

    // Demand above every truck: split by default, a capacity reason when splitting is off.
    let mut r = request(1);
    r.stops[0].packages = 900;
    let p = run(r.clone());
    check(&p, &r);
    assert_eq!(p.splits.iter().map(|s| (s.stop.as_str(), s.deliveries)).collect::<Vec<_>>(), [("gambir", 3)]);
    r.settings.split_large = false;
    let p = run(r.clone());
    assert_eq!(p.unassigned.iter().find(|u| u.stop == "gambir").map(|u| u.reason), Some(Reason::Capacity));
}

/// A small version of the Jakarta-size run (README: 2,708 RW, 1,194,633 packages): 300 drop
/// points on a grid over mainland Jakarta, the four shipped depots with a smaller fleet, over
/// several days. Every package is planned or has a reason, and the plan repeats.
#[test]
fn a_small_city_wide_case_over_several_days() {
    let depots = sigap::planner::sources::read_depots(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/depots.json"))
        .unwrap()
        .into_iter()
        .map(|d| DepotInput { trucks: 6, truck_capacity: 600, stock: 20_000, ..d })
        .collect();
    let mut stops = Vec::new();
    for i in 0..20 {
        for j in 0..15 {
            let lon = 106.70 + 0.012 * i as f64;
            let lat = -6.33 + 0.014 * j as f64;
            stops.push(stop(&format!("rw-{i:02}-{j:02}"), lon, lat, 60 + ((i * 7 + j * 13) % 9) as i64 * 40));
        }
    }
    let total: i64 = stops.iter().map(|s| s.packages).sum();
    let req = PlanRequest { depots, stops, settings: PlanSettings { days: 40, ..settings(40) }, frozen: vec![] };
    let p = run(req.clone());
    check(&p, &req);
    assert!(p.unassigned.is_empty(), "{:?}", &p.unassigned[..p.unassigned.len().min(3)]);
    assert_eq!(p.totals.packages_planned as i64, total);
    // 24 trucks of 600 a day carry at most 14,400 packages: at least ceil(total / 14,400) days.
    assert!(p.totals.days_used as i64 >= (total + 14_399) / 14_400, "{} days", p.totals.days_used);
    assert!(p.routes().any(|r| r.stops.len() >= 2), "some trucks visit several RW");
    assert_eq!(run(req).to_json().unwrap(), p.to_json().unwrap());
}

#[test]
fn solving_depot_days_in_parallel_gives_the_same_plan() {
    let one = run(request(2));
    let mut req = request(2);
    req.settings.threads = 2;
    let mut two = run(req);
    assert_eq!(two.meta.settings.threads, 2);
    two.meta.settings.threads = 1;
    assert_eq!(two.to_json().unwrap(), one.to_json().unwrap());
}
