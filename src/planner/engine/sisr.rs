//! Distance optimisation by SISR, "Slack Induction by String Removals" (Christiaens & Vanden
//! Berghe 2020, *Slack Induction by String Removals for Vehicle Routing Problems*,
//! Transportation Science 54(2), 417–433), on our own [`RoutingProblem`].
//!
//! Each iteration ruins the current solution by *adjacent string removal* — a seed job, then
//! strings of consecutive stops (a plain string, or a *split string* that keeps a run of stops in
//! the middle) from the routes of its nearest neighbours, `c̄ = 10` jobs removed on average,
//! strings at most `L_max = 10` long — and recreates it by greedy insertion with *blinks* (each
//! position is skipped with probability β = 0.01) in a random, largest-demand-first,
//! farthest-first, closest-first or tightest-window-first order. Simulated annealing accepts the
//! result (temperature falling exponentially from T0 to Tf over the work budget); the best
//! solution under the hierarchical objective — fewest unassigned jobs, fewest routes, shortest
//! distance — is kept. The search never opens more routes than its start solution has, so the
//! trucks saved by route minimisation ([`super::ejection`]) stay saved.
//!
//! Feasibility is the O(1) forward/backward test of [`super::ejection::Ctx::fits`], and the budget
//! is the same work counter, so same problem, start and seed ⇒ same routes, on any machine load.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ejection::{Ctx, Route, Tour};

/// Average number of jobs removed per ruin (the paper's c̄).
const AVG_REMOVED: f64 = 10.0;
/// Longest string removed from one route (the paper's L_max).
const MAX_STRING: f64 = 10.0;
/// Probability that an insertion position is skipped (the paper's β).
const BLINK: f64 = 0.01;
/// Split-string depth: the kept run grows while a draw exceeds this (the paper's α).
const SPLIT_DEPTH: f64 = 0.01;
/// Start and end temperature as multiples of the mean distance from a job to its nearest
/// neighbour. The paper's T0 = 100, Tf = 1 are in the units of Solomon's coordinates, where that
/// mean is about 5–8; ours scale with the instance, and start cooler since the budget is short.
const T0_FACTOR: f64 = 2.0;
const TF_FACTOR: f64 = 0.02;

#[derive(Clone)]
struct State {
    /// One route per vehicle, in vehicle order (empty routes included).
    routes: Vec<Route>,
    /// Distance of each route.
    length: Vec<f64>,
    absent: Vec<usize>,
}

impl State {
    fn used(&self) -> usize {
        self.routes.iter().filter(|r| !r.jobs.is_empty()).count()
    }

    fn distance(&self) -> f64 {
        self.length.iter().sum()
    }
}

/// Improves `tours` (feasible routes; jobs on none are unassigned and tried too) until `ctx` has
/// done `budget` more units of work. Returns the best solution found: never more routes or
/// unassigned jobs than the start, every job at most once, each route feasible.
pub(super) fn optimise(ctx: &Ctx, tours: &[Tour], rng: &mut ChaCha8Rng, budget: u64) -> Vec<Tour> {
    let p = ctx.p;
    let mut on_tour = vec![false; p.jobs.len()];
    let mut routes: Vec<Route> = (0..p.vehicles.len()).map(|v| ctx.route(v, vec![])).collect();
    for t in tours {
        routes[t.vehicle] = ctx.route(t.vehicle, t.jobs.clone());
        for &j in &t.jobs {
            on_tour[j] = true;
        }
    }
    if routes.iter().any(|r| !ctx.feasible(r.vehicle, &r.jobs)) {
        return tours.to_vec();
    }
    let absent: Vec<usize> = (0..p.jobs.len()).filter(|&j| !on_tour[j]).collect();
    let length = routes.iter().map(|r| route_length(ctx, r)).collect();
    let mut current = State { routes, length, absent };
    let max_routes = current.used();
    let mut best = current.clone();

    let scale = mean_nearest(ctx);
    let (t0, tf) = (T0_FACTOR * scale, TF_FACTOR * scale);
    // An unassigned job costs more than any detour, so annealing never trades one for distance.
    let absent_cost = 1.0e3 * t0.max(1.0) + 2.0 * max_round_trip(ctx);
    let cost = |s: &State| s.distance() + absent_cost * s.absent.len() as f64;
    let mut current_cost = cost(&current);

    let start = ctx.work();
    let end = start.saturating_add(budget);
    while ctx.work() < end && !ctx.over_time() {
        let progress = (ctx.work() - start) as f64 / budget.max(1) as f64;
        let temperature = t0 * (tf / t0).powf(progress);
        // Copying the solution counts as a look at each of its routes.
        ctx.add_work(current.routes.len());
        let mut candidate = current.clone();
        ruin(ctx, &mut candidate, rng);
        recreate(ctx, &mut candidate, rng, max_routes);
        let candidate_cost = cost(&candidate);
        let threshold = current_cost - temperature * rng.gen::<f64>().max(f64::MIN_POSITIVE).ln();
        if candidate_cost < threshold {
            if (candidate.absent.len(), candidate.used()) < (best.absent.len(), best.used())
                || ((candidate.absent.len(), candidate.used()) == (best.absent.len(), best.used()) && candidate.distance() < best.distance())
            {
                best = candidate.clone();
            }
            current = candidate;
            current_cost = candidate_cost;
        }
    }
    best.routes.into_iter().filter(|r| !r.jobs.is_empty()).map(|r| Tour { vehicle: r.vehicle, jobs: r.jobs }).collect()
}

fn route_length(ctx: &Ctx, r: &Route) -> f64 {
    if r.jobs.is_empty() {
        return 0.0;
    }
    let v = &ctx.p.vehicles[r.vehicle];
    let mut at = v.start;
    let mut d = 0.0;
    for &j in &r.jobs {
        d += ctx.d(at, ctx.loc(j));
        at = ctx.loc(j);
    }
    d + ctx.d(at, v.end)
}

/// Mean distance from a job to its nearest neighbour: the instance's unit for temperatures.
fn mean_nearest(ctx: &Ctx) -> f64 {
    let jobs = ctx.p.jobs.len();
    let sum: f64 = (0..jobs).map(|j| ctx.neighbours[j].first().map_or(0.0, |&k| ctx.d(ctx.loc(j), ctx.loc(k)))).sum();
    let mean = sum / jobs.max(1) as f64;
    if mean > 0.0 && mean.is_finite() {
        mean
    } else {
        1.0
    }
}

fn max_round_trip(ctx: &Ctx) -> f64 {
    let v = &ctx.p.vehicles[0];
    ctx.p.jobs.iter().map(|j| ctx.d(v.start, j.location) + ctx.d(j.location, v.end)).filter(|d| d.is_finite()).fold(0.0, f64::max)
}

/// Adjacent string removal (the paper's Algorithm 2).
fn ruin(ctx: &Ctx, s: &mut State, rng: &mut ChaCha8Rng) {
    let used: Vec<usize> = (0..s.routes.len()).filter(|&r| !s.routes[r].jobs.is_empty()).collect();
    if used.is_empty() {
        return;
    }
    let assigned: usize = used.iter().map(|&r| s.routes[r].jobs.len()).sum();
    let mean_len = assigned as f64 / used.len() as f64;
    let ls_max = MAX_STRING.min(mean_len);
    let ks_max = 4.0 * AVG_REMOVED / (1.0 + ls_max) - 1.0;
    let ks = (rng.gen_range(1.0..ks_max.max(1.0) + 1.0)).floor() as usize;
    // The route and position of every assigned job.
    let mut place = vec![(usize::MAX, 0usize); ctx.p.jobs.len()];
    for &r in &used {
        for (k, &j) in s.routes[r].jobs.iter().enumerate() {
            place[j] = (r, k);
        }
    }
    let seed = {
        let r = used[rng.gen_range(0..used.len())];
        s.routes[r].jobs[rng.gen_range(0..s.routes[r].jobs.len())]
    };
    let mut ruined: Vec<usize> = Vec::new();
    for &c in std::iter::once(&seed).chain(ctx.neighbours[seed].iter()) {
        if ruined.len() >= ks {
            break;
        }
        let (r, pos) = place[c];
        if r == usize::MAX || ruined.contains(&r) {
            continue;
        }
        ruined.push(r);
        let len = s.routes[r].jobs.len();
        let l_max = (len as f64).min(ls_max);
        let l = (rng.gen_range(1.0..l_max + 1.0).floor() as usize).clamp(1, len);
        let removed: Vec<usize> = if rng.gen_bool(0.5) || l == len {
            string_positions(rng, len, pos, l, 0)
        } else {
            let mut m = 1;
            while l + m < len && rng.gen::<f64>() > SPLIT_DEPTH {
                m += 1;
            }
            string_positions(rng, len, pos, l, m)
        };
        let route = &mut s.routes[r];
        for &k in removed.iter().rev() {
            s.absent.push(route.jobs.remove(k));
        }
        ctx.refresh(route);
        s.length[r] = route_length(ctx, route);
    }
}

/// Positions (ascending) of a string of `l + m` consecutive stops of a route of `len` that
/// contains position `pos`, with a run of `m` kept stops at a random place inside it (the split
/// string; `m = 0` is the plain string).
fn string_positions(rng: &mut ChaCha8Rng, len: usize, pos: usize, l: usize, m: usize) -> Vec<usize> {
    let total = (l + m).min(len);
    let first = pos.saturating_sub(total - 1);
    let last = pos.min(len - total);
    let begin = rng.gen_range(first..=last.max(first));
    if m == 0 {
        return (begin..begin + total).collect();
    }
    let keep_from = begin + rng.gen_range(0..=(total - m));
    (begin..begin + total).filter(|&k| k < keep_from || k >= keep_from + m).collect()
}

/// Greedy insertion with blinks (the paper's Algorithm 3), in one of five orders.
fn recreate(ctx: &Ctx, s: &mut State, rng: &mut ChaCha8Rng, max_routes: usize) {
    let p = ctx.p;
    let mut order = std::mem::take(&mut s.absent);
    order.sort_unstable();
    order.shuffle(rng);
    let depot = p.vehicles[0].start;
    let far = |j: usize| ctx.d(depot, p.jobs[j].location);
    match rng.gen_range(0..13) {
        0..=3 => {}
        4..=7 => order.sort_by(|&a, &b| p.jobs[b].demand.cmp(&p.jobs[a].demand)),
        8..=9 => order.sort_by(|&a, &b| far(b).total_cmp(&far(a))),
        10 => order.sort_by(|&a, &b| far(a).total_cmp(&far(b))),
        _ => {
            let close = |j: usize| p.jobs[j].window.map_or(f64::INFINITY, |w| w.1 - w.0);
            order.sort_by(|&a, &b| close(a).total_cmp(&close(b)));
        }
    }
    let mut used = s.used();
    for j in order {
        let demand = p.jobs[j].demand;
        let loc = p.jobs[j].location;
        let mut best: Option<(f64, usize, usize)> = None;
        ctx.add_work(s.routes.len());
        for (ri, r) in s.routes.iter().enumerate() {
            let v = &p.vehicles[r.vehicle];
            if r.load + demand > v.capacity || (r.jobs.is_empty() && used >= max_routes) {
                continue;
            }
            let mut prev = v.start;
            for pos in 0..=r.jobs.len() {
                let next = r.jobs.get(pos).map_or(v.end, |&k| p.jobs[k].location);
                let skip = rng.gen::<f64>() < BLINK;
                if !skip {
                    let delta = ctx.d(prev, loc) + ctx.d(loc, next) - ctx.d(prev, next);
                    if best.is_none_or(|(b, ..)| delta < b) && ctx.fits(r, j, pos) {
                        best = Some((delta, ri, pos));
                    }
                }
                prev = next;
            }
        }
        match best {
            Some((_, ri, pos)) => {
                let r = &mut s.routes[ri];
                if r.jobs.is_empty() {
                    used += 1;
                }
                r.jobs.insert(pos, j);
                ctx.refresh(r);
                s.length[ri] = route_length(ctx, r);
            }
            None => s.absent.push(j),
        }
    }
    s.absent.sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::engine::{JobSpec, RoutingProblem, VehicleSpec};
    use rand::SeedableRng;

    /// Jobs on a small grid around a central depot, loose windows on every third job.
    fn grid(jobs: usize, vehicles: usize, capacity: u32) -> RoutingProblem {
        let mut rng = ChaCha8Rng::seed_from_u64(jobs as u64);
        let n = jobs + 1;
        let distance = super::super::ejection::tests::random_points(&mut rng, n);
        RoutingProblem {
            n,
            duration: distance.clone(),
            distance,
            vehicles: (0..vehicles).map(|i| VehicleSpec { id: format!("v{i}"), start: 0, end: 0, earliest: 0.0, latest: 1000.0, capacity }).collect(),
            jobs: (1..n)
                .map(|i| JobSpec {
                    id: format!("c{i}"),
                    location: i,
                    demand: 1 + (i as u32 % 3),
                    service: 5.0,
                    window: (i % 3 == 0).then_some((0.0, 200.0 + 10.0 * i as f64)),
                })
                .collect(),
            locks: vec![],
        }
    }

    fn neighbours(p: &RoutingProblem) -> Vec<Vec<usize>> {
        super::super::reproducible::job_neighbours(p)
    }

    fn length(p: &RoutingProblem, tours: &[Tour]) -> f64 {
        let nb = neighbours(p);
        let ctx = Ctx::new(p, &nb, None);
        tours.iter().map(|t| route_length(&ctx, &ctx.route(t.vehicle, t.jobs.clone()))).sum()
    }

    /// The shortest route through `jobs` that is feasible, by trying every order.
    fn brute_force(ctx: &Ctx, vehicle: usize, jobs: &mut Vec<usize>, k: usize, best: &mut f64) {
        if k == jobs.len() {
            if ctx.feasible(vehicle, jobs) {
                *best = best.min(route_length(ctx, &ctx.route(vehicle, jobs.clone())));
            }
            return;
        }
        for i in k..jobs.len() {
            jobs.swap(k, i);
            brute_force(ctx, vehicle, jobs, k + 1, best);
            jobs.swap(k, i);
        }
    }

    #[test]
    fn finds_the_optimal_single_route_and_repeats() {
        // Seven jobs and trucks that each carry them all: fewest routes first, so the answer is
        // the shortest feasible single route, found here by trying all 5,040 orders.
        let p = grid(7, 7, 100);
        let nb = neighbours(&p);
        let ctx = Ctx::new(&p, &nb, None);
        let mut optimum = f64::INFINITY;
        brute_force(&ctx, 0, &mut (0..7).collect(), 0, &mut optimum);
        assert!(optimum.is_finite());
        let start: Vec<Tour> = (0..7).map(|j| Tour { vehicle: j, jobs: vec![j] }).collect();
        let run = |seed| optimise(&Ctx::new(&p, &nb, None), &start, &mut ChaCha8Rng::seed_from_u64(seed), 200_000);
        let a = run(3);
        assert_eq!(a.len(), 1, "{a:?}");
        assert!((length(&p, &a) - optimum).abs() < 1e-9, "{} vs optimum {optimum}", length(&p, &a));
        // Same seed, same routes: the budget is work, not time.
        assert_eq!(run(3), a);
    }

    #[test]
    fn keeps_every_job_once_feasible_within_the_start_fleet() {
        let p = grid(40, 40, 12);
        let nb = neighbours(&p);
        // One job per route to start with: the search may only merge them.
        let start: Vec<Tour> = (0..40).map(|j| Tour { vehicle: j, jobs: vec![j] }).collect();
        let ctx = Ctx::new(&p, &nb, None);
        let out = optimise(&ctx, &start, &mut ChaCha8Rng::seed_from_u64(1), 2_000_000);
        let mut seen: Vec<usize> = out.iter().flat_map(|t| t.jobs.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
        assert!(out.iter().all(|t| ctx.feasible(t.vehicle, &t.jobs)));
        assert!(out.len() < 40 && length(&p, &out) < length(&p, &start));
        // A start with an infeasible route is handed back untouched (bad input).
        let broken = vec![Tour { vehicle: 0, jobs: (0..40).collect() }];
        assert_eq!(optimise(&ctx, &broken, &mut ChaCha8Rng::seed_from_u64(1), 10_000), broken);
        // A job that fits no truck stays unassigned, and the others are still routed.
        let mut heavy = p.clone();
        heavy.jobs[5].demand = 13;
        let ctx = Ctx::new(&heavy, &nb, None);
        let rest: Vec<Tour> = start.iter().filter(|t| t.jobs != [5]).cloned().collect();
        let out = optimise(&ctx, &rest, &mut ChaCha8Rng::seed_from_u64(1), 500_000);
        assert_eq!(out.iter().map(|t| t.jobs.len()).sum::<usize>(), 39);
        assert!(!out.iter().any(|t| t.jobs.contains(&5)));
    }
}
