//! Multi-day planning: which depot serves each stop, on which day, on which truck, in which order.
//! [`plan_valid`] runs these phases, one function each:
//!
//! 1. [`feasible_depots`]: stops outside Jakarta, unreachable by road, or whose window cannot be
//!    met from any depot within a shift are set aside with their reason.
//! 2. [`assign_depots`]: each stop goes to a depot: candidates in order of distance (R-tree
//!    nearest-neighbour over the depots), the nearest one with capacity left over the horizon
//!    and stock. Stops that lose most by not getting their nearest depot (largest regret)
//!    choose first.
//! 3. [`truck_deliveries`]: a stop with more packages than a truck carries becomes several
//!    truck-sized deliveries.
//! 4. [`sweep_depots`]: each depot's deliveries are swept by angle around the depot and packed
//!    into the depot's trucks, day after day ([`sweep_days`]): every day covers one sector.
//! 5. [`route_days`]: day by day, each depot's deliveries for that day plus what the previous day
//!    could not take are routed by vrp-core ([`solve_day`], times recomputed by [`simulate`]);
//!    what is left is carried to the next day. [`beyond_horizon`] reports what is left after the
//!    last day with reason `horizon`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::engine::{self, EngineError, JobSpec, LockSpec, RoutingProblem, SearchMode, SolveOptions, Unserved, VehicleSpec};
use super::model::{truck_id, truck_number, ClockTime, Depot, LonLat, PlanError, PlanRequest, Stop, ValidRequest, JAKARTA_BBOX, MAINLAND_NORTH_LIMIT};
use super::plan::{
    id_number, DayPlan, DepotTotals, Plan, PlanMeta, Reason, SplitNote, Totals, TruckRoute, UnassignedStop, Visit,
};
use super::travel::{TravelError, TravelMatrix, TravelTable};
use crate::wilayah::to_metric;

#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    #[error(transparent)]
    Invalid(#[from] PlanError),
    #[error(transparent)]
    Travel(#[from] TravelError),
    #[error("day {day}, depot {depot}: {source}")]
    Engine { day: u32, depot: String, source: EngineError },
}

/// Reported after each depot-day is routed.
#[derive(Debug, Clone)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub day: u32,
    pub depot: String,
    pub routes: usize,
}

/// Validates `request` and plans it; stops outside the Jakarta bounding box get reason
/// `outside_area`.
pub fn plan(request: PlanRequest, matrix: &dyn TravelMatrix, progress: &(dyn Fn(&Progress) + Sync)) -> Result<Plan, PlannerError> {
    plan_within(request, matrix, &|p| JAKARTA_BBOX.contains(p), progress)
}

/// Like [`plan`], with the caller deciding what lies inside the service area. The bounding box
/// alone lets Tangerang, Depok and Bekasi through; with the atlas loaded, the HTTP and CLI
/// layers pass "the atlas does not place it `outside`".
pub fn plan_within(
    request: PlanRequest,
    matrix: &dyn TravelMatrix,
    inside: &dyn Fn(LonLat) -> bool,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Plan, PlannerError> {
    let valid = request.validate()?;
    plan_valid(&valid, matrix, inside, progress)
}

/// One truck-sized (or smaller) delivery of a stop from a depot.
#[derive(Debug, Clone)]
struct Delivery {
    stop: usize,
    depot: usize,
    packages: u32,
    part: u32,
    parts: u32,
    /// Truck number (1-based) this delivery stays on for day 1.
    frozen_truck: Option<u32>,
    /// Why the solver left it out on the last day it was tried.
    last_miss: Option<Unserved>,
}

/// Local planar metres around Jakarta, good enough to rank depots and sweep angles: the atlas's
/// projection ([`to_metric`]), so the planner and the atlas agree on distances, as an R-tree point.
fn planar(p: LonLat) -> [f64; 2] {
    let c = to_metric(p.lon, p.lat);
    [c.x, c.y]
}

fn service_s(v: &ValidRequest, packages: u32) -> f64 {
    v.settings.service.seconds(packages)
}

enum Feasibility {
    Ok,
    Unreachable(String),
    TimeWindow(String),
}

/// Can a truck of `depot` leave at shift start, unload `packages` at `stop` within its window
/// and be back before shift end?
fn feasibility(v: &ValidRequest, matrix: &dyn TravelMatrix, out: &TravelTable, back: &TravelTable, d: usize, s: usize, packages: u32) -> Feasibility {
    let depot = &v.depots[d];
    let stop = &v.stops[s];
    let (Some(go), Some(ret)) = (out.leg(d, s), back.leg(s, d)) else {
        let islands = v.settings.travel.mainland_only && stop.pos.lat >= MAINLAND_NORTH_LIMIT;
        return Feasibility::Unreachable(if islands {
            "Kepulauan Seribu: no truck road from any depot (deliver by boat, or set travel.mainland_only = false)".to_string()
        } else if let Some(why) = matrix.unreachable_reason(stop.pos) {
            format!("the stop is {why}")
        } else if let Some(why) = matrix.unreachable_reason(depot.pos) {
            format!("depot {} is {why}", depot.id)
        } else {
            format!("no road between {} and the stop", depot.id)
        });
    };
    let shift = (depot.shift_start.seconds() as f64, depot.shift_end.seconds() as f64);
    let service = service_s(v, packages);
    let arrival = shift.0 + go.duration_s;
    if arrival + service + ret.duration_s > shift.1 {
        return Feasibility::Unreachable(format!(
            "a round trip from {} ({:.0} min driving + {:.0} min unloading) does not fit the {}–{} shift",
            depot.id,
            (go.duration_s + ret.duration_s) / 60.0,
            service / 60.0,
            depot.shift_start,
            depot.shift_end
        ));
    }
    if let Some(w) = stop.window {
        let start = arrival.max(w.start.seconds() as f64);
        if start > w.end.seconds() as f64 || start + service + ret.duration_s > shift.1 {
            return Feasibility::TimeWindow(format!(
                "window {}–{} cannot be met from {} (earliest arrival {})",
                w.start,
                w.end,
                depot.id,
                clock(arrival)
            ));
        }
    }
    Feasibility::Ok
}

fn clock(seconds: f64) -> ClockTime {
    ClockTime(seconds.max(0.0).round() as u32)
}

struct Assignment {
    depot: usize,
    packages: u32,
}

/// Plans a validated request, phase by phase (see the module documentation): each phase is a
/// function below, so that a change to one rule (how depots are chosen, how days are cut) can be
/// read and tested without the others. Stops a phase cannot serve are added to `unassigned` with
/// their reason in phase order; the final sort is stable, so that order is part of the output.
pub fn plan_valid(
    v: &ValidRequest,
    matrix: &dyn TravelMatrix,
    inside: &dyn Fn(LonLat) -> bool,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Plan, PlannerError> {
    let mut unassigned: Vec<UnassignedStop> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let depot_pts: Vec<LonLat> = v.depots.iter().map(|d| d.pos).collect();
    let stop_pts: Vec<LonLat> = v.stops.iter().map(|s| s.pos).collect();
    let out = matrix.table(&depot_pts, &stop_pts)?;
    let back = matrix.table(&stop_pts, &depot_pts)?;

    for d in v.depots.iter().filter(|d| d.stock == 0) {
        warnings.push(format!("depot {} has no stock; no stop is served from it", d.id));
    }
    let frozen_depot = frozen_depots(v);
    for d in v.depots.iter() {
        if let Some(why) = matrix.unreachable_reason(d.pos) {
            warnings.push(format!("depot {} is {why}: no stop is served from it", d.id));
        }
    }
    let candidates = feasible_depots(v, matrix, &out, &back, inside, &frozen_depot, &mut unassigned);
    let assignments = assign_depots(v, &candidates, &frozen_depot, &mut unassigned);
    let (mut per_depot, splits) = truck_deliveries(v, &assignments);
    freeze(v, &mut per_depot);
    let (mut clusters, frozen) = sweep_depots(v, per_depot);
    let mut time_capped = Vec::new();
    let (day_plans, carry) = route_days(v, matrix, &mut clusters, frozen, progress, &mut warnings, &mut time_capped)?;
    if !time_capped.is_empty() {
        warnings.push(format!(
            "the time cap (settings.budget.max_seconds = {}) stopped the search before its {} generations on {} depot-day(s): this plan may differ from a re-run with the same seed",
            v.settings.budget.max_seconds.unwrap_or_default(),
            v.settings.budget.generations,
            time_capped.len()
        ));
    }
    beyond_horizon(v, carry, clusters, &mut unassigned);
    unassigned.sort_by(|a, b| a.stop.cmp(&b.stop).then(a.reason.cmp(&b.reason)));

    let totals = totals(v, &day_plans, &unassigned);
    Ok(Plan {
        meta: PlanMeta {
            horizon_days: v.days,
            seed: v.settings.seed,
            travel: matrix.name(),
            solver: format!(
                "reproducible: vrp-core 1.25 start, ejection pool (Nagata & Bräysy 2009), SISR (Christiaens & Vanden Berghe 2020); {} generations of work per depot-day{}",
                v.settings.budget.generations,
                v.settings.budget.max_seconds.map(|s| format!(" (time cap {s} s)")).unwrap_or_default()
            ),
            settings: v.settings.clone(),
            time_capped,
        },
        days: day_plans,
        unassigned,
        splits,
        totals,
        warnings,
    })
}

/// The depot each frozen stop is on a truck of: those stops may only be served from there.
fn frozen_depots(v: &ValidRequest) -> BTreeMap<&str, usize> {
    v.frozen
        .iter()
        .flat_map(|r| {
            let d = v.depots.iter().position(|d| d.id == r.depot).unwrap_or(0);
            r.stops.iter().map(move |s| (s.as_str(), d))
        })
        .collect()
}

/// Phase 1: for each stop, the depots that can serve it within a shift (and its window), nearest
/// first with their planar distance; a stop with none is unassigned here with the reason that
/// rules it out (outside the area, time window before unreachable), so later phases only see
/// stops some truck can reach. An R-tree over the depots gives the nearest-first order.
fn feasible_depots(
    v: &ValidRequest,
    matrix: &dyn TravelMatrix,
    out: &TravelTable,
    back: &TravelTable,
    inside: &dyn Fn(LonLat) -> bool,
    frozen_depot: &BTreeMap<&str, usize>,
    unassigned: &mut Vec<UnassignedStop>,
) -> Vec<Vec<(usize, f64)>> {
    let tree = RTree::bulk_load(v.depots.iter().enumerate().map(|(i, d)| GeomWithData::new(planar(d.pos), i)).collect());
    let mut candidates: Vec<Vec<(usize, f64)>> = vec![Vec::new(); v.stops.len()];
    for (s, stop) in v.stops.iter().enumerate() {
        if !JAKARTA_BBOX.contains(stop.pos) || !inside(stop.pos) {
            unassigned.push(UnassignedStop {
                stop: stop.id.clone(),
                packages: stop.packages,
                reason: Reason::OutsideArea,
                detail: format!("{:.5},{:.5} lies outside DKI Jakarta", stop.pos.lon, stop.pos.lat),
                depot: None,
            });
            continue;
        }
        let mut time_window: Option<String> = None;
        let mut unreachable: Option<String> = None;
        let here = planar(stop.pos);
        for nn in tree.nearest_neighbor_iter_with_distance_2(&here) {
            let d = nn.0.data;
            if let Some(&fd) = frozen_depot.get(stop.id.as_str()) {
                if fd != d {
                    continue;
                }
            }
            if stop.depot.is_some_and(|pd| pd != d) {
                continue;
            }
            let load = stop.packages.min(v.depots[d].capacity);
            match feasibility(v, matrix, out, back, d, s, load) {
                Feasibility::Ok => candidates[s].push((d, nn.1.sqrt())),
                Feasibility::TimeWindow(m) => time_window = time_window.or(Some(m)),
                Feasibility::Unreachable(m) => unreachable = unreachable.or(Some(m)),
            }
        }
        if candidates[s].is_empty() {
            let (reason, detail) = match (time_window, unreachable) {
                (Some(m), _) => (Reason::TimeWindow, m),
                (None, Some(m)) => (Reason::Unreachable, m),
                (None, None) => (Reason::Unreachable, "no depot can reach this stop".into()),
            };
            unassigned.push(UnassignedStop { stop: stop.id.clone(), packages: stop.packages, reason, detail, depot: None });
        }
    }
    candidates
}

/// Phase 2: one depot per stop, the nearest feasible one with truck capacity left over the
/// horizon and stock (else the nearest with stock, else the one with the most stock, which
/// serves part). Frozen stops choose first (they are already on a truck), then stops by regret
/// (what they lose by not getting their nearest depot), so a stop with only one good depot is
/// not crowded out of it by one that has alternatives. Stops too large for any truck (with
/// splitting off) or without stock anywhere are unassigned here.
fn assign_depots(
    v: &ValidRequest,
    candidates: &[Vec<(usize, f64)>],
    frozen_depot: &BTreeMap<&str, usize>,
    unassigned: &mut Vec<UnassignedStop>,
) -> Vec<Option<Assignment>> {
    let mut horizon_left: Vec<u64> = v
        .depots
        .iter()
        .map(|d| (d.trucks as f64 * v.settings.reload.max_trips as f64 * d.capacity as f64 * v.days as f64 * v.settings.day_fill).floor() as u64)
        .collect();
    let mut stock_left: Vec<u64> = v.depots.iter().map(|d| d.stock).collect();
    let mut items_left: Vec<BTreeMap<String, u64>> = v.depots.iter().map(|d| d.items.clone()).collect();
    let mut order: Vec<usize> = (0..v.stops.len()).filter(|&s| !candidates[s].is_empty()).collect();
    let regret = |s: usize| -> f64 {
        let c = &candidates[s];
        if c.len() < 2 {
            f64::MAX
        } else {
            c[1].1 - c[0].1
        }
    };
    order.sort_by(|&a, &b| {
        let fa = frozen_depot.contains_key(v.stops[a].id.as_str());
        let fb = frozen_depot.contains_key(v.stops[b].id.as_str());
        fb.cmp(&fa).then(regret(b).total_cmp(&regret(a))).then(v.stops[a].id.cmp(&v.stops[b].id))
    });
    let mut assignments: Vec<Option<Assignment>> = (0..v.stops.len()).map(|_| None).collect();
    for s in order {
        let stop = &v.stops[s];
        let want = stop.packages as u64;
        let fits_truck = |d: usize| v.settings.split_large || v.depots[d].capacity >= stop.packages;
        let cands: Vec<usize> = candidates[s].iter().map(|c| c.0).filter(|&d| fits_truck(d)).collect();
        if cands.is_empty() {
            let largest = candidates[s].iter().map(|c| v.depots[c.0].capacity).max().unwrap_or(0);
            unassigned.push(UnassignedStop {
                stop: stop.id.clone(),
                packages: stop.packages,
                reason: Reason::Capacity,
                detail: format!(
                    "{} packages exceed the largest truck ({}) and splitting is off",
                    id_number(want),
                    id_number(largest as u64)
                ),
                depot: None,
            });
            continue;
        }
        // A stop with items goes whole from one depot holding all of them, or not at all.
        let short = |d: usize| stop.items.iter().find(|(k, &n)| items_left[d].get(*k).copied().unwrap_or(0) < n);
        let pick = cands
            .iter()
            .copied()
            .find(|&d| horizon_left[d] >= want && stock_left[d] >= want && short(d).is_none())
            .or_else(|| cands.iter().copied().find(|&d| stock_left[d] >= want && short(d).is_none()));
        if pick.is_none() && !stop.items.is_empty() {
            let d = cands[0];
            let detail = match short(d) {
                Some((k, &n)) => format!(
                    "depot {} holds {} of {k}, the stop needs {}",
                    v.depots[d].id,
                    id_number(items_left[d].get(k).copied().unwrap_or(0)),
                    id_number(n)
                ),
                None => format!("depot {} runs out of stock", v.depots[d].id),
            };
            unassigned.push(UnassignedStop { stop: stop.id.clone(), packages: stop.packages, reason: Reason::Stock, detail, depot: Some(v.depots[d].id.clone()) });
            continue;
        }
        let (d, take) = match pick {
            Some(d) => (d, want),
            None => match cands.iter().copied().max_by_key(|&d| (stock_left[d], std::cmp::Reverse(d))) {
                Some(d) if stock_left[d] > 0 => (d, stock_left[d]),
                _ => {
                    unassigned.push(UnassignedStop {
                        stop: stop.id.clone(),
                        packages: stop.packages,
                        reason: Reason::Stock,
                        detail: "no reachable depot has packages left".into(),
                        depot: None,
                    });
                    continue;
                }
            },
        };
        if take < want {
            unassigned.push(UnassignedStop {
                stop: stop.id.clone(),
                packages: (want - take) as u32,
                reason: Reason::Stock,
                detail: format!("depot {} runs out of stock", v.depots[d].id),
                depot: Some(v.depots[d].id.clone()),
            });
        }
        stock_left[d] -= take;
        for (k, n) in &stop.items {
            if let Some(left) = items_left[d].get_mut(k) {
                *left = left.saturating_sub(*n);
            }
        }
        horizon_left[d] = horizon_left[d].saturating_sub(take);
        assignments[s] = Some(Assignment { depot: d, packages: take as u32 });
    }
    assignments
}

/// Phase 3: each assigned stop as truck-sized deliveries, per depot. The solver routes whole
/// jobs, so a stop larger than a truck must become several jobs before routing; the split is
/// reported so the plan says why a stop appears on several trucks.
fn truck_deliveries(v: &ValidRequest, assignments: &[Option<Assignment>]) -> (Vec<Vec<Delivery>>, Vec<SplitNote>) {
    let mut splits = Vec::new();
    let mut per_depot: Vec<Vec<Delivery>> = vec![Vec::new(); v.depots.len()];
    for (s, a) in assignments.iter().enumerate() {
        let Some(a) = a else { continue };
        let cap = v.depots[a.depot].capacity;
        let parts = a.packages.div_ceil(cap);
        if parts > 1 {
            splits.push(SplitNote { stop: v.stops[s].id.clone(), packages: a.packages, truck_capacity: cap, deliveries: parts });
        }
        for part in 1..=parts {
            let packages = if part < parts { cap } else { a.packages - cap * (parts - 1) };
            per_depot[a.depot].push(Delivery { stop: s, depot: a.depot, packages, part, parts, frozen_truck: None, last_miss: None });
        }
    }
    (per_depot, splits)
}

/// Phase 4: each depot's deliveries cut into days by sweep ([`sweep_days`]), with the frozen
/// ones set apart for day 1. Routing a whole horizon at once is far beyond the solver's budget;
/// a day per sector keeps each solve small and each truck's day compact. Trucks already carrying
/// frozen stops are not counted on day 1.
fn sweep_depots(v: &ValidRequest, per_depot: Vec<Vec<Delivery>>) -> (Vec<Vec<Vec<Delivery>>>, Vec<Vec<Delivery>>) {
    let mut clusters: Vec<Vec<Vec<Delivery>>> = Vec::with_capacity(v.depots.len());
    let mut frozen: Vec<Vec<Delivery>> = Vec::with_capacity(v.depots.len());
    for (d, deliveries) in per_depot.into_iter().enumerate() {
        let (fz, rest): (Vec<Delivery>, Vec<Delivery>) = deliveries.into_iter().partition(|x| x.frozen_truck.is_some());
        let frozen_trucks = {
            let mut t: Vec<u32> = fz.iter().filter_map(|x| x.frozen_truck).collect();
            t.dedup();
            t.len() as u32
        };
        clusters.push(sweep_days(v, d, rest, frozen_trucks));
        frozen.push(fz);
    }
    (clusters, frozen)
}

/// Phase 5: day by day, every depot's deliveries for that day (plus the frozen ones on day 1,
/// plus what the previous day could not take) are routed by [`solve_day`]. The sweep only
/// estimates what fits; the solver decides, and what it leaves out is carried to the next day
/// rather than dropped. Takes the days it routes out of `clusters` (days beyond the horizon stay)
/// and returns the day plans and what is still carried after the last day.
fn route_days(
    v: &ValidRequest,
    matrix: &dyn TravelMatrix,
    clusters: &mut [Vec<Vec<Delivery>>],
    mut frozen: Vec<Vec<Delivery>>,
    progress: &(dyn Fn(&Progress) + Sync),
    warnings: &mut Vec<String>,
    time_capped: &mut Vec<String>,
) -> Result<(Vec<DayPlan>, Vec<Vec<Delivery>>), PlannerError> {
    let total = v.days as usize * v.depots.len();
    let done = AtomicUsize::new(0);
    let mut carry: Vec<Vec<Delivery>> = vec![Vec::new(); v.depots.len()];
    let mut day_plans = Vec::new();
    for day in 1..=v.days {
        let mut work: Vec<Vec<Delivery>> = Vec::with_capacity(v.depots.len());
        for d in 0..v.depots.len() {
            let mut jobs = std::mem::take(&mut carry[d]);
            if day == 1 {
                jobs.extend(std::mem::take(&mut frozen[d]));
            }
            if let Some(today) = clusters[d].get_mut(day as usize - 1) {
                jobs.append(today);
            }
            work.push(jobs);
        }
        let results = solve_day(v, matrix, day, &work, &done, total, progress)?;
        let mut routes = Vec::new();
        for (d, (day_routes, missed, capped)) in results.into_iter().enumerate() {
            if capped {
                time_capped.push(format!("day {day} {}", v.depots[d].id));
            }
            routes.extend(day_routes);
            carry[d] = missed;
        }
        for r in routes.iter().filter(|r| r.frozen) {
            let depot = &v.depots[v.depots.iter().position(|d| d.id == r.depot).unwrap_or(0)];
            if r.back > depot.shift_end {
                warnings.push(format!("frozen route {} is back at {}, after the shift ends ({})", r.truck, r.back, depot.shift_end));
            }
        }
        day_plans.push(DayPlan { day, date: v.settings.date_of(day), routes });
    }
    Ok((day_plans, carry))
}

/// Whatever is still carried after the last day, or swept into a day beyond the horizon, is
/// unassigned with reason `horizon`, one entry per stop and depot (its parts summed), saying why
/// the solver left it out the last time it was tried.
fn beyond_horizon(v: &ValidRequest, mut carry: Vec<Vec<Delivery>>, mut clusters: Vec<Vec<Vec<Delivery>>>, unassigned: &mut Vec<UnassignedStop>) {
    let mut left: BTreeMap<(usize, usize), (u32, Option<Unserved>)> = BTreeMap::new();
    for d in 0..v.depots.len() {
        let rest = carry[d].drain(..).chain(clusters[d].drain(..).flatten());
        for x in rest {
            let e = left.entry((x.stop, x.depot)).or_insert((0, None));
            e.0 += x.packages;
            e.1 = e.1.or(x.last_miss);
        }
    }
    for ((s, d), (packages, miss)) in left {
        let why = match miss {
            Some(Unserved::TimeWindow) => "; on the last day tried its window could not be fitted",
            Some(Unserved::Capacity) => "; on the last day tried the trucks were full",
            _ => "",
        };
        unassigned.push(UnassignedStop {
            stop: v.stops[s].id.clone(),
            packages,
            reason: Reason::Horizon,
            detail: format!("not reached within {} working day(s) from depot {}{why}", v.days, v.depots[d].id),
            depot: Some(v.depots[d].id.clone()),
        });
    }
}

/// Marks the first delivery of each frozen stop with its truck, as long as the truck has room.
fn freeze(v: &ValidRequest, per_depot: &mut [Vec<Delivery>]) {
    for r in &v.frozen {
        let Some(d) = v.depots.iter().position(|d| d.id == r.depot) else { continue };
        let Some(number) = truck_number(&r.depot, &r.truck) else { continue };
        let mut room = v.depots[d].capacity;
        for stop_id in &r.stops {
            let Some(s) = v.stops.iter().position(|s| &s.id == stop_id) else { continue };
            if let Some(x) = per_depot[d].iter_mut().find(|x| x.stop == s && x.frozen_truck.is_none()) {
                if x.packages <= room {
                    room -= x.packages;
                    x.frozen_truck = Some(number);
                }
            }
        }
    }
}

/// Sweeps deliveries by angle around the depot and packs them into trucks, day after day.
/// The sweep starts after the widest empty sector so that no day straddles a dense area.
fn sweep_days(v: &ValidRequest, d: usize, mut deliveries: Vec<Delivery>, frozen_trucks: u32) -> Vec<Vec<Delivery>> {
    if deliveries.is_empty() {
        return vec![];
    }
    let depot = &v.depots[d];
    let origin = planar(depot.pos);
    let angle = |x: &Delivery| {
        let p = planar(v.stops[x.stop].pos);
        (p[1] - origin[1]).atan2(p[0] - origin[0])
    };
    deliveries.sort_by(|a, b| angle(a).total_cmp(&angle(b)).then(v.stops[a.stop].id.cmp(&v.stops[b.stop].id)).then(a.part.cmp(&b.part)));
    let angles: Vec<f64> = deliveries.iter().map(angle).collect();
    let mut widest = (0usize, -1.0f64);
    for i in 0..angles.len() {
        let next = if i + 1 < angles.len() { angles[i + 1] } else { angles[0] + std::f64::consts::TAU };
        let gap = next - angles[i];
        if gap > widest.1 {
            widest = (i + 1, gap);
        }
    }
    let count = deliveries.len();
    deliveries.rotate_left(widest.0 % count);

    let room = ((depot.capacity as f64) * v.settings.day_fill).floor().max(1.0) as u32;
    let mut days: Vec<Vec<Delivery>> = vec![Vec::new()];
    // A "truck" of the sweep is one trip: with reloads a truck carries up to max_trips loads a day.
    let trips = v.settings.reload.max_trips;
    let mut trucks_today = (depot.trucks * trips).saturating_sub(frozen_trucks);
    let mut truck = 0u32;
    let mut load = 0u32;
    for x in deliveries {
        loop {
            let fits = truck < trucks_today && (load == 0 || load + x.packages <= room);
            if fits {
                load += x.packages;
                break;
            }
            if truck < trucks_today && load > 0 {
                truck += 1;
                load = 0;
                continue;
            }
            // The day is full: next day, first truck.
            days.push(Vec::new());
            trucks_today = depot.trucks * trips;
            truck = 0;
            load = 0;
        }
        if let Some(today) = days.last_mut() {
            today.push(x);
        }
    }
    days
}

/// Routes, deliveries left for the next day, and whether the time cap cut the search.
type DayResult = (Vec<TruckRoute>, Vec<Delivery>, bool);

/// Routes every depot for one day, `threads` depots at a time.
fn solve_day(
    v: &ValidRequest,
    matrix: &dyn TravelMatrix,
    day: u32,
    work: &[Vec<Delivery>],
    done: &AtomicUsize,
    total: usize,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Vec<DayResult>, PlannerError> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<DayResult, PlannerError>>>> = Mutex::new((0..work.len()).map(|_| None).collect());
    let threads = v.settings.threads.min(work.len()).max(1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let d = next.fetch_add(1, Ordering::SeqCst);
                if d >= work.len() {
                    break;
                }
                let result = solve_depot_day(v, matrix, day, d, &work[d]);
                let routes = result.as_ref().map(|r| r.0.len()).unwrap_or(0);
                if let Ok(mut slots) = results.lock() {
                    slots[d] = Some(result);
                }
                let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
                progress(&Progress { done: finished, total, day, depot: v.depots[d].id.clone(), routes });
            });
        }
    });
    let slots = results.into_inner().unwrap_or_else(|p| p.into_inner());
    slots
        .into_iter()
        .enumerate()
        .map(|(d, r)| {
            r.unwrap_or_else(|| {
                Err(PlannerError::Engine { day, depot: v.depots[d].id.clone(), source: EngineError::Solver("worker stopped".into()) })
            })
        })
        .collect()
}

fn solve_depot_day(v: &ValidRequest, matrix: &dyn TravelMatrix, day: u32, d: usize, jobs: &[Delivery]) -> Result<DayResult, PlannerError> {
    if jobs.is_empty() {
        return Ok((vec![], vec![], false));
    }
    let depot = &v.depots[d];
    let mut points = vec![depot.pos];
    points.extend(jobs.iter().map(|x| v.stops[x.stop].pos));
    let table = matrix.table(&points, &points)?;
    let n = points.len();
    let mut distance = vec![0.0; n * n];
    let mut duration = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let leg = table.leg(i, j);
            distance[i * n + j] = leg.map_or(f64::MAX, |l| l.distance_m);
            duration[i * n + j] = leg.map_or(f64::MAX, |l| l.duration_s);
        }
    }
    let problem = RoutingProblem {
        n,
        distance: distance.iter().map(|x| x.min(1.0e9)).collect(),
        duration: duration.iter().map(|x| x.min(1.0e9)).collect(),
        // One vehicle per possible trip (trip slot k / trucks of truck k % trucks + 1): the trips
        // are chained onto the trucks afterwards ([`chain_trips`]).
        vehicles: (0..depot.trucks * v.settings.reload.max_trips)
            .map(|k| VehicleSpec {
                id: format!("{}#{}", truck_id(&depot.id, k % depot.trucks + 1), k / depot.trucks + 1),
                start: 0,
                end: 0,
                earliest: depot.shift_start.seconds() as f64,
                latest: depot.shift_end.seconds() as f64,
                capacity: depot.capacity,
            })
            .collect(),
        jobs: jobs
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let stop = &v.stops[x.stop];
                JobSpec {
                    id: format!("{}#{}", stop.id, x.part),
                    location: i + 1,
                    demand: x.packages,
                    service: service_s(v, x.packages),
                    window: stop.window.map(|w| (w.start.seconds() as f64, w.end.seconds() as f64)),
                }
            })
            .collect(),
        locks: {
            let mut locks: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (i, x) in jobs.iter().enumerate() {
                if let (Some(t), 1) = (x.frozen_truck, day) {
                    locks.entry(t).or_default().push(i);
                }
            }
            locks.into_iter().map(|(t, jobs)| LockSpec { vehicle: t as usize - 1, jobs }).collect()
        },
    };
    let options = SolveOptions {
        seed: v.settings.seed ^ ((day as u64) << 32) ^ d as u64,
        generations: v.settings.budget.generations,
        max_seconds: v.settings.budget.max_seconds,
        mode: SearchMode::Reproducible,
    };
    let solution = engine::solve(&problem, &options).map_err(|source| PlannerError::Engine { day, depot: depot.id.clone(), source })?;
    let (routes, unfit) = chain_trips(v, depot, day, jobs, &solution.routes, &problem);
    let routes = routes
        .into_iter()
        .map(|mut route| {
            route.polyline6 = road_line(matrix, &route).and_then(|l| TruckRoute::encode_line(&l));
            route
        })
        .collect();
    let missed = solution
        .unassigned
        .iter()
        .copied()
        .chain(unfit.into_iter().map(|i| (i, Unserved::Capacity)))
        .map(|(i, why)| {
            let mut x = jobs[i].clone();
            x.last_miss = Some(why);
            x.frozen_truck = None;
            x
        })
        .collect();
    Ok((routes, missed, solution.time_capped))
}

/// Puts the solver's trips onto the depot's trucks, one after another within the shift, with
/// `settings.reload.reload_min` at the gudang between two trips of a truck. A trip goes to its own
/// truck (the vehicle's truck number) when that truck is still free, else to the truck that is
/// free earliest on which it still meets every window and the shift end when it leaves after the
/// reload; frozen trips stay first on their truck. A trip no truck can take goes back to the
/// next day (its job indices are returned). With one trip a day this is the plain mapping
/// vehicle → truck.
fn chain_trips(
    v: &ValidRequest,
    depot: &Depot,
    day: u32,
    jobs: &[Delivery],
    routes: &[engine::RouteSolution],
    p: &RoutingProblem,
) -> (Vec<TruckRoute>, Vec<usize>) {
    let trucks = depot.trucks as usize;
    let shift_start = depot.shift_start.seconds() as f64;
    let shift_end = depot.shift_end.seconds() as f64;
    let reload = v.settings.reload.reload_min * 60.0;
    let frozen_vehicles: Vec<usize> = p.locks.iter().map(|l| l.vehicle).collect();
    let mut free_at = vec![shift_start; trucks];
    let mut trips = vec![0u32; trucks];
    let mut out = Vec::new();
    let mut unfit = Vec::new();
    let mut order: Vec<&engine::RouteSolution> = routes.iter().collect();
    order.sort_by_key(|r| (!frozen_vehicles.contains(&r.vehicle), r.vehicle));
    for r in order {
        let own = r.vehicle % trucks;
        let frozen = frozen_vehicles.contains(&r.vehicle);
        let mut candidates: Vec<usize> = (0..trucks).filter(|&t| t != own).collect();
        candidates.sort_by(|&a, &b| free_at[a].total_cmp(&free_at[b]).then(a.cmp(&b)));
        candidates.insert(0, own);
        let mut placed = false;
        for t in candidates {
            if trips[t] >= v.settings.reload.max_trips || (frozen && t != own) {
                continue;
            }
            let depart = if trips[t] == 0 { shift_start } else { free_at[t] + reload };
            let route = simulate(v, depot, day, t as u32 + 1, frozen, jobs, &r.jobs, p, depart, trips[t] + 1);
            let windows_met = route.stops.iter().zip(&r.jobs).all(|(visit, &i)| {
                v.stops[jobs[i].stop].window.is_none_or(|w| visit.start <= w.end)
            });
            if frozen || (route.back.seconds() as f64 <= shift_end && windows_met) {
                free_at[t] = route.back.seconds() as f64;
                trips[t] += 1;
                out.push(route);
                placed = true;
                break;
            }
        }
        if !placed {
            unfit.extend(r.jobs.iter().copied());
        }
    }
    out.sort_by(|a, b| a.truck.cmp(&b.truck).then(a.trip.cmp(&b.trip)));
    (out, unfit)
}

/// The route's line along the roads (depot, stops, depot), when the matrix has road geometry for
/// every leg.
fn road_line(matrix: &dyn TravelMatrix, r: &TruckRoute) -> Option<Vec<[f64; 2]>> {
    let mut points = vec![r.depot_pos];
    points.extend(r.stops.iter().map(|s| s.pos));
    points.push(r.depot_pos);
    let mut line: Vec<[f64; 2]> = Vec::new();
    for w in points.windows(2) {
        for p in matrix.path(w[0], w[1])? {
            let c = [(p.lon * 1e6).round() / 1e6, (p.lat * 1e6).round() / 1e6];
            if line.last() != Some(&c) {
                line.push(c);
            }
        }
    }
    Some(line)
}

/// Times, loads and distances along a route leaving the depot at `depart`, recomputed from the
/// matrix.
#[allow(clippy::too_many_arguments)]
fn simulate(
    v: &ValidRequest,
    depot: &Depot,
    day: u32,
    truck: u32,
    frozen: bool,
    jobs: &[Delivery],
    order: &[usize],
    p: &RoutingProblem,
    depart: f64,
    trip: u32,
) -> TruckRoute {
    let load: u32 = order.iter().map(|&i| jobs[i].packages).sum();
    let mut t = depart;
    let mut at = 0usize;
    let mut left = load;
    let mut total = 0.0;
    let mut stops = Vec::with_capacity(order.len());
    for (seq, &i) in order.iter().enumerate() {
        let x = &jobs[i];
        let stop: &Stop = &v.stops[x.stop];
        let loc = i + 1;
        let leg_d = p.distance[at * p.n + loc];
        t += p.duration[at * p.n + loc];
        let arrival = t;
        let start = stop.window.map_or(arrival, |w| arrival.max(w.start.seconds() as f64));
        t = start + service_s(v, x.packages);
        left -= x.packages;
        total += leg_d;
        stops.push(Visit {
            seq: seq as u32 + 1,
            stop: stop.id.clone(),
            part: x.part,
            parts: x.parts,
            name: stop.name.clone(),
            kelurahan: stop.kelurahan.clone(),
            kecamatan: stop.kecamatan.clone(),
            pos: stop.pos,
            arrival: clock(arrival),
            start: clock(start),
            departure: clock(t),
            packages: x.packages,
            load_after: left,
            distance_from_prev_m: leg_d.round() as u64,
        });
        at = loc;
    }
    total += p.distance[at * p.n];
    t += p.duration[at * p.n];
    TruckRoute {
        depot: depot.id.clone(),
        truck: truck_id(&depot.id, truck),
        day,
        trip,
        depart: clock(depart),
        back: clock(t),
        packages: load,
        distance_m: total.round() as u64,
        cost: depot.cost_per_km.map(|c| (c * total / 1000.0).round() as u64),
        frozen,
        depot_pos: depot.pos,
        stops,
        polyline6: None,
    }
}

fn totals(v: &ValidRequest, days: &[DayPlan], unassigned: &[UnassignedStop]) -> Totals {
    let routes: Vec<&TruckRoute> = days.iter().flat_map(|d| d.routes.iter()).collect();
    let mut planned_per_stop: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &routes {
        for s in &r.stops {
            *planned_per_stop.entry(s.stop.as_str()).or_default() += s.packages as u64;
        }
    }
    let missing: BTreeMap<&str, u64> = unassigned.iter().fold(BTreeMap::new(), |mut m, u| {
        *m.entry(u.stop.as_str()).or_default() += u.packages as u64;
        m
    });
    let stops_planned = v.stops.iter().filter(|s| planned_per_stop.contains_key(s.id.as_str()) && !missing.contains_key(s.id.as_str())).count();
    let stops_partly = v.stops.iter().filter(|s| planned_per_stop.contains_key(s.id.as_str()) && missing.contains_key(s.id.as_str())).count();
    let cost = if v.depots.iter().any(|d| d.cost_per_km.is_some()) { Some(routes.iter().filter_map(|r| r.cost).sum()) } else { None };
    let depots = v
        .depots
        .iter()
        .map(|d| {
            let mine: Vec<&&TruckRoute> = routes.iter().filter(|r| r.depot == d.id).collect();
            let planned: u64 = mine.iter().map(|r| r.packages as u64).sum();
            DepotTotals {
                depot: d.id.clone(),
                packages_planned: planned,
                stock_left: d.stock.saturating_sub(planned),
                truck_days: mine.iter().map(|r| (r.day, r.truck.as_str())).collect::<std::collections::BTreeSet<_>>().len(),
                distance_m: mine.iter().map(|r| r.distance_m).sum(),
            }
        })
        .collect();
    Totals {
        stops: v.stops.len(),
        stops_planned,
        stops_partly_planned: stops_partly,
        stops_unassigned: v.stops.len() - stops_planned - stops_partly,
        packages_requested: v.stops.iter().map(|s| s.packages as u64).sum(),
        packages_planned: planned_per_stop.values().sum(),
        packages_unassigned: missing.values().sum(),
        truck_days: routes.iter().map(|r| (r.day, r.truck.as_str())).collect::<std::collections::BTreeSet<_>>().len(),
        trips: routes.len(),
        days_used: days.iter().filter(|d| !d.routes.is_empty()).map(|d| d.day).max().unwrap_or(0),
        distance_m: routes.iter().map(|r| r.distance_m).sum(),
        cost,
        depots,
    }
}
