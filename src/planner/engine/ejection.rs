//! Route minimisation by an ejection pool, after Nagata & Bräysy (2009, "A powerful route
//! minimization heuristic for the vehicle routing problem with time windows", Operations Research
//! Letters 37(5), 333–338).
//!
//! vrp-core 1.25 has no such operator (its ruin-and-recreate removes a route and reinserts its
//! jobs in one greedy pass, which fails as soon as one job has no feasible place). This one
//! keeps the jobs of a deleted route in an *ejection pool* and inserts them one at a time, last
//! in first out:
//! 1. a feasible insertion if there is one (picked at random among all feasible ones);
//! 2. else a *squeeze*: the insertion that least violates capacity and time windows (penalty =
//!    load excess + time warp), then relocations that lower the penalty until it is zero (kept)
//!    or stops falling (undone);
//! 3. else the job's ejection counter `p[v]` goes up and it is inserted by ejecting up to
//!    `K_MAX` jobs from one route, the set with the smallest sum of counters (jobs that were
//!    hard to place before are ejected last), and the solution is perturbed by random feasible
//!    relocations and exchanges between neighbours so the next attempt meets a different state.
//!
//! The route deletion succeeds when the pool empties; if the attempt's iteration budget runs out,
//! the solution before it is restored and another route is tried, until the whole budget is
//! spent or the fleet reaches the capacity lower bound. Everything is counted in iterations and
//! driven by a seeded generator: same problem, start and seed ⇒ same routes.
//!
//! Time windows: a route keeps, per stop, the earliest service start (forward) and the latest
//! service start that keeps the rest of the route feasible (backward), so whether a job fits
//! between two stops is O(1) (Savelsbergh 1992). Ejection and squeeze moves recompute the one or
//! two routes they touch.

use std::cell::Cell;
use std::time::Instant;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::RoutingProblem;

/// At most this many jobs are ejected from one route to make room (the paper's k_max = 5; its
/// lexicographic search with pruning makes 5 affordable there, here the cost grows with C(n, k),
/// so routes longer than `K3_MAX_LEN` use 2).
const K_MAX: usize = 3;
const K3_MAX_LEN: usize = 25;
/// Random feasible moves per perturbation (the paper's I_rand is 1,000 with cheaper moves).
const PERTURB_MOVES: usize = 100;
/// Squeeze: local-search rounds before giving up.
const SQUEEZE_ROUNDS: usize = 50;

/// One route: the vehicle (index into `RoutingProblem::vehicles`) and its jobs in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tour {
    pub vehicle: usize,
    pub jobs: Vec<usize>,
}

/// A route with its cached load and time slacks (shared with [`super::sisr`]).
#[derive(Debug, Clone)]
pub(super) struct Route {
    pub vehicle: usize,
    pub jobs: Vec<usize>,
    pub load: u32,
    /// Earliest service start at each stop.
    pub start: Vec<f64>,
    /// Latest service start at each stop that keeps the rest of the route feasible.
    pub latest: Vec<f64>,
}

/// The problem as both searches see it, with the work counter that is their budget: one unit
/// per stop looked at (an O(1) insertion test, a stop of a route recomputed). Counting work
/// instead of time or iterations makes a run cost the same and give the same routes on a quiet
/// or a loaded machine, and bounds the expensive steps (ejection sets, squeezes) by what they do.
pub(super) struct Ctx<'a> {
    pub p: &'a RoutingProblem,
    pub neighbours: &'a [Vec<usize>],
    work: Cell<u64>,
    /// The wall-clock safety cap; `capped` remembers that it stopped a search.
    deadline: Option<Instant>,
    capped: Cell<bool>,
}

impl<'a> Ctx<'a> {
    pub fn new(p: &'a RoutingProblem, neighbours: &'a [Vec<usize>], deadline: Option<Instant>) -> Self {
        Ctx { p, neighbours, work: Cell::new(0), deadline, capped: Cell::new(false) }
    }

    /// Work done so far (stops looked at).
    pub fn work(&self) -> u64 {
        self.work.get()
    }

    pub fn add_work(&self, units: usize) {
        self.work.set(self.work.get() + units as u64);
    }

    /// Whether the wall-clock cap has passed (then remembered in [`Ctx::capped`]).
    pub fn over_time(&self) -> bool {
        if self.capped.get() {
            return true;
        }
        let over = self.deadline.is_some_and(|d| Instant::now() >= d);
        self.capped.set(over);
        over
    }

    pub fn capped(&self) -> bool {
        self.capped.get()
    }

    pub fn t(&self, a: usize, b: usize) -> f64 {
        self.p.duration[a * self.p.n + b]
    }

    pub fn d(&self, a: usize, b: usize) -> f64 {
        self.p.distance[a * self.p.n + b]
    }

    fn window(&self, j: usize) -> (f64, f64) {
        self.p.jobs[j].window.unwrap_or((f64::NEG_INFINITY, f64::INFINITY))
    }

    pub fn loc(&self, j: usize) -> usize {
        self.p.jobs[j].location
    }

    pub fn route(&self, vehicle: usize, jobs: Vec<usize>) -> Route {
        let mut r = Route { vehicle, jobs, load: 0, start: vec![], latest: vec![] };
        self.refresh(&mut r);
        r
    }

    /// Recomputes load, forward earliest starts and backward latest starts.
    pub fn refresh(&self, r: &mut Route) {
        let v = &self.p.vehicles[r.vehicle];
        let n = r.jobs.len();
        self.add_work(n + 1);
        r.load = r.jobs.iter().map(|&j| self.p.jobs[j].demand).sum();
        r.start.clear();
        let (mut at, mut time) = (v.start, v.earliest);
        for &j in &r.jobs {
            let s = (time + self.t(at, self.loc(j))).max(self.window(j).0);
            r.start.push(s);
            time = s + self.p.jobs[j].service;
            at = self.loc(j);
        }
        r.latest = vec![0.0; n];
        let (mut next, mut next_latest) = (v.end, v.latest);
        for i in (0..n).rev() {
            let j = r.jobs[i];
            let l = self.window(j).1.min(next_latest - self.t(self.loc(j), next) - self.p.jobs[j].service);
            r.latest[i] = l;
            next = self.loc(j);
            next_latest = l;
        }
    }

    /// Whether job `j` fits before position `pos` of `r` (capacity and time), in O(1).
    pub fn fits(&self, r: &Route, j: usize, pos: usize) -> bool {
        self.add_work(1);
        let v = &self.p.vehicles[r.vehicle];
        if r.load + self.p.jobs[j].demand > v.capacity {
            return false;
        }
        let (prev, depart) = if pos == 0 {
            (v.start, v.earliest)
        } else {
            let k = r.jobs[pos - 1];
            (self.loc(k), r.start[pos - 1] + self.p.jobs[k].service)
        };
        let (e, l) = self.window(j);
        let s = (depart + self.t(prev, self.loc(j))).max(e);
        if s > l {
            return false;
        }
        let done = s + self.p.jobs[j].service;
        if pos == r.jobs.len() {
            done + self.t(self.loc(j), v.end) <= v.latest
        } else {
            done + self.t(self.loc(j), self.loc(r.jobs[pos])) <= r.latest[pos]
        }
    }

    /// Capacity excess and time warp of `jobs` on `vehicle` (zero: feasible), recomputed in
    /// O(n). Time warp (Nagata, Bräysy & Dullaert 2010): arriving after a window closes, the
    /// vehicle "travels back in time" to its end and the difference is the penalty.
    fn penalty(&self, vehicle: usize, jobs: &[usize]) -> f64 {
        self.add_work(jobs.len() + 1);
        let v = &self.p.vehicles[vehicle];
        let load: u32 = jobs.iter().map(|&j| self.p.jobs[j].demand).sum();
        let mut warp = 0.0;
        let (mut at, mut time) = (v.start, v.earliest);
        for &j in jobs {
            let (e, l) = self.window(j);
            let mut s = (time + self.t(at, self.loc(j))).max(e);
            if s > l {
                warp += s - l;
                s = l;
            }
            time = s + self.p.jobs[j].service;
            at = self.loc(j);
        }
        let back = time + self.t(at, v.end);
        if back > v.latest {
            warp += back - v.latest;
        }
        load.saturating_sub(v.capacity) as f64 + warp
    }

    pub fn feasible(&self, vehicle: usize, jobs: &[usize]) -> bool {
        self.penalty(vehicle, jobs) == 0.0
    }
}

/// Whether `jobs` is a feasible route for `vehicle` (capacity, windows, shift end), recomputed
/// from scratch: the reference the O(1) test is checked against.
#[cfg(test)]
fn route_feasible(p: &RoutingProblem, vehicle: usize, jobs: &[usize]) -> bool {
    Ctx::new(p, &[], None).feasible(vehicle, jobs)
}

/// Lower bound on the number of routes when all vehicles carry the same: total demand over
/// capacity, rounded up. With a mixed fleet, 1.
pub(super) fn route_lower_bound(p: &RoutingProblem) -> usize {
    let cap = p.vehicles[0].capacity;
    if p.vehicles.iter().any(|v| v.capacity != cap) {
        return 1;
    }
    let demand: u64 = p.jobs.iter().map(|j| j.demand as u64).sum();
    demand.div_ceil(cap as u64).max(1) as usize
}

/// Minimises the number of routes of a feasible solution `tours` (jobs not on any tour stay
/// unassigned) until `ctx` has done `budget` units of work (see [`Ctx`]) or the fleet reaches the
/// capacity lower bound. Returns tours at most as many as given, every job of the input exactly
/// once, each feasible.
pub(super) fn minimise_routes(ctx: &Ctx, tours: Vec<Tour>, rng: &mut ChaCha8Rng, budget: u64) -> Vec<Tour> {
    let mut routes: Vec<Route> = tours.into_iter().filter(|t| !t.jobs.is_empty()).map(|t| ctx.route(t.vehicle, t.jobs)).collect();
    if routes.iter().any(|r| !ctx.feasible(r.vehicle, &r.jobs)) {
        // Not ours to repair: hand it back untouched.
        return routes.into_iter().map(|r| Tour { vehicle: r.vehicle, jobs: r.jobs }).collect();
    }
    let lower = route_lower_bound(ctx.p);
    let end = ctx.work().saturating_add(budget);
    // Each attempt may use up to half of what is left, at least 1/8 of the whole budget.
    let per_attempt = (budget / 8).max(1);
    while routes.len() > lower && ctx.work() < end && !ctx.over_time() {
        let left = end - ctx.work();
        let attempt = (left / 2).max(per_attempt).min(left);
        delete_route(ctx, &mut routes, rng, ctx.work() + attempt);
    }
    routes.into_iter().map(|r| Tour { vehicle: r.vehicle, jobs: r.jobs }).collect()
}

/// One DeleteRoute attempt (the paper's Fig. 1) until the work counter reaches `until`: on
/// failure `routes` is restored. Returns whether a route was deleted.
fn delete_route(ctx: &Ctx, routes: &mut Vec<Route>, rng: &mut ChaCha8Rng, until: u64) -> bool {
    // Copying the solution and the counters is work too (it dominates when routes are short).
    ctx.add_work(routes.len() + ctx.p.jobs.len());
    let saved = routes.clone();
    let victim = rng.gen_range(0..routes.len());
    let removed = routes.swap_remove(victim);
    let mut pool: Vec<usize> = removed.jobs;
    let mut counter = vec![1u32; ctx.p.jobs.len()];
    while let Some(v) = pool.pop() {
        if ctx.work() >= until || ctx.over_time() {
            pool.push(v);
            break;
        }
        if insert_feasible(ctx, routes, v, rng) || squeeze(ctx, routes, v) {
            continue;
        }
        counter[v] += 1;
        match best_ejection(ctx, routes, v, &counter, rng) {
            Some((ri, jobs, ejected)) => {
                routes[ri].jobs = jobs;
                ctx.refresh(&mut routes[ri]);
                pool.extend(ejected);
            }
            None => {
                // Not even an ejection makes room (a job alone too big for any vehicle):
                // give up on this route.
                pool.push(v);
                break;
            }
        }
        perturb(ctx, routes, rng);
    }
    if pool.is_empty() {
        true
    } else {
        *routes = saved;
        false
    }
}

/// Inserts `v` at a feasible place picked at random among all of them; false if none.
fn insert_feasible(ctx: &Ctx, routes: &mut [Route], v: usize, rng: &mut ChaCha8Rng) -> bool {
    let mut pick = None;
    let mut seen = 0u32;
    for (ri, r) in routes.iter().enumerate() {
        for pos in 0..=r.jobs.len() {
            if ctx.fits(r, v, pos) {
                seen += 1;
                if rng.gen_range(0..seen) == 0 {
                    pick = Some((ri, pos));
                }
            }
        }
    }
    let Some((ri, pos)) = pick else { return false };
    routes[ri].jobs.insert(pos, v);
    ctx.refresh(&mut routes[ri]);
    true
}

/// The squeeze step: insert `v` where the penalty is least, then relocate jobs out of the
/// infeasible route (to any position of another route) while that lowers the total penalty.
/// Kept if the penalty reaches zero, else undone.
fn squeeze(ctx: &Ctx, routes: &mut [Route], v: usize) -> bool {
    let mut best: Option<(f64, usize, usize)> = None;
    let mut buf = Vec::new();
    for (ri, r) in routes.iter().enumerate() {
        for pos in 0..=r.jobs.len() {
            buf.clear();
            buf.extend_from_slice(&r.jobs[..pos]);
            buf.push(v);
            buf.extend_from_slice(&r.jobs[pos..]);
            let pen = ctx.penalty(r.vehicle, &buf);
            if best.is_none_or(|(b, _, _)| pen < b) {
                best = Some((pen, ri, pos));
            }
        }
    }
    let Some((mut bad_pen, bad, pos)) = best else { return false };
    let mut bad_jobs = routes[bad].jobs.clone();
    bad_jobs.insert(pos, v);
    // Routes changed so far (index, jobs, penalty); untouched routes are feasible.
    let mut others: Vec<(usize, Vec<usize>, f64)> = Vec::new();
    let mut others_pen = 0.0;
    for _ in 0..SQUEEZE_ROUNDS {
        let total = bad_pen + others_pen;
        if total == 0.0 {
            break;
        }
        // Best relocation of a job of the infeasible route: (total after, job pos, route, pos, bad route's penalty after, target's penalty after).
        let mut improved: Option<(f64, usize, usize, usize, f64, f64)> = None;
        for (i, &j) in bad_jobs.iter().enumerate() {
            let mut rest = bad_jobs.clone();
            rest.remove(i);
            let rest_pen = ctx.penalty(routes[bad].vehicle, &rest);
            // Only towards routes near job j: those holding one of its nearest neighbours.
            for (ti, t) in routes.iter().enumerate() {
                if ti == bad || !ctx.neighbours[j].iter().take(10).any(|n| t.jobs.contains(n)) {
                    continue;
                }
                let (cur, cur_pen): (&[usize], f64) =
                    others.iter().find(|(k, ..)| *k == ti).map_or((t.jobs.as_slice(), 0.0), |(_, js, pen)| (js.as_slice(), *pen));
                for tp in 0..=cur.len() {
                    let mut cand = cur.to_vec();
                    cand.insert(tp, j);
                    let cand_pen = ctx.penalty(t.vehicle, &cand);
                    let after = rest_pen + others_pen - cur_pen + cand_pen;
                    if after < total - 1e-9 && improved.is_none_or(|(b, ..)| after < b) {
                        improved = Some((after, i, ti, tp, rest_pen, cand_pen));
                    }
                }
            }
        }
        let Some((_, i, ti, tp, rest_pen, cand_pen)) = improved else { break };
        let j = bad_jobs.remove(i);
        bad_pen = rest_pen;
        match others.iter_mut().find(|(k, ..)| *k == ti) {
            Some((_, js, pen)) => {
                js.insert(tp, j);
                others_pen += cand_pen - *pen;
                *pen = cand_pen;
            }
            None => {
                let mut js = routes[ti].jobs.clone();
                js.insert(tp, j);
                others.push((ti, js, cand_pen));
                others_pen += cand_pen;
            }
        }
    }
    // Accept only if every touched route is feasible.
    if !ctx.feasible(routes[bad].vehicle, &bad_jobs) || others.iter().any(|(ti, js, _)| !ctx.feasible(routes[*ti].vehicle, js)) {
        return false;
    }
    routes[bad].jobs = bad_jobs;
    ctx.refresh(&mut routes[bad]);
    for (ti, js, _) in others {
        routes[ti].jobs = js;
        ctx.refresh(&mut routes[ti]);
    }
    true
}

/// The insertion of `v` with ejections of at most `K_MAX` jobs from one route that leaves that
/// route feasible, with the smallest sum of ejection counters (ties: fewer ejected, then at
/// random). Returns (route, its new jobs, the ejected jobs).
fn best_ejection(ctx: &Ctx, routes: &[Route], v: usize, counter: &[u32], rng: &mut ChaCha8Rng) -> Option<(usize, Vec<usize>, Vec<usize>)> {
    // (counter sum, ejected count, route, kept jobs, ejected jobs)
    type Candidate = (u32, usize, usize, Vec<usize>, Vec<usize>);
    let mut best: Option<Candidate> = None;
    let mut ties = 0u32;
    let dv = ctx.p.jobs[v].demand;
    for (ri, r) in routes.iter().enumerate() {
        let cap = ctx.p.vehicles[r.vehicle].capacity;
        let k_max = (if r.jobs.len() <= K3_MAX_LEN { K_MAX } else { 2 }).min(r.jobs.len());
        for pos in 0..=r.jobs.len() {
            let mut seq = r.jobs.clone();
            seq.insert(pos, v);
            // Ejection sets as increasing index lists into seq, never v itself.
            let mut stack: Vec<usize> = Vec::with_capacity(k_max);
            let mut sum = 0u32;
            let mut out_demand = 0u32;
            let mut next = 0usize;
            loop {
                // Try extending the set with index `next`.
                if next < seq.len() && stack.len() < k_max {
                    let i = next;
                    next += 1;
                    if i == pos {
                        continue;
                    }
                    ctx.add_work(1);
                    let c = counter[seq[i]];
                    let bound = best.as_ref().map_or(u32::MAX, |b| b.0);
                    if sum + c > bound {
                        continue;
                    }
                    stack.push(i);
                    sum += c;
                    out_demand += ctx.p.jobs[seq[i]].demand;
                    if r.load + dv <= cap + out_demand {
                        let kept: Vec<usize> = seq.iter().enumerate().filter(|(k, _)| !stack.contains(k)).map(|(_, &j)| j).collect();
                        if ctx.feasible(r.vehicle, &kept) {
                            let key = (sum, stack.len());
                            let better = match &best {
                                None => true,
                                Some(b) => key < (b.0, b.1),
                            };
                            let tie = best.as_ref().is_some_and(|b| key == (b.0, b.1));
                            if better {
                                ties = 1;
                            } else if tie {
                                ties += 1;
                            }
                            if better || (tie && rng.gen_range(0..ties) == 0) {
                                let ejected: Vec<usize> = stack.iter().map(|&k| seq[k]).collect();
                                best = Some((sum, stack.len(), ri, kept, ejected));
                            }
                        }
                    }
                    continue;
                }
                // Backtrack.
                let Some(last) = stack.pop() else { break };
                sum -= counter[seq[last]];
                out_demand -= ctx.p.jobs[seq[last]].demand;
                next = last + 1;
            }
        }
    }
    best.map(|(_, _, ri, kept, ejected)| (ri, kept, ejected))
}

/// Random feasible relocations and exchanges between a job and one of its neighbours, so the
/// next insertion meets a different solution (the paper's Perturb).
fn perturb(ctx: &Ctx, routes: &mut [Route], rng: &mut ChaCha8Rng) {
    let mut place: Vec<(usize, usize)> = vec![(usize::MAX, 0); ctx.p.jobs.len()];
    let index = |routes: &[Route], place: &mut Vec<(usize, usize)>, ri: usize| {
        for (k, &j) in routes[ri].jobs.iter().enumerate() {
            place[j] = (ri, k);
        }
    };
    for ri in 0..routes.len() {
        index(routes, &mut place, ri);
    }
    let assigned: Vec<usize> = routes.iter().flat_map(|r| r.jobs.iter().copied()).collect();
    ctx.add_work(routes.len() + ctx.p.jobs.len());
    if assigned.len() < 2 {
        return;
    }
    for _ in 0..PERTURB_MOVES {
        let u = assigned[rng.gen_range(0..assigned.len())];
        let near = &ctx.neighbours[u];
        if near.is_empty() {
            continue;
        }
        let w = near[rng.gen_range(0..near.len().min(10))];
        let ((ru, iu), (rw, iw)) = (place[u], place[w]);
        if ru == usize::MAX || rw == usize::MAX || ru == rw {
            continue;
        }
        let (mut a, mut b) = (routes[ru].jobs.clone(), routes[rw].jobs.clone());
        if rng.gen_bool(0.5) {
            // Relocate u next to w (after it).
            a.remove(iu);
            b.insert(iw + 1, u);
        } else {
            a[iu] = w;
            b[iw] = u;
        }
        if ctx.feasible(routes[ru].vehicle, &a) && ctx.feasible(routes[rw].vehicle, &b) {
            routes[ru].jobs = a;
            routes[rw].jobs = b;
            ctx.refresh(&mut routes[ru]);
            ctx.refresh(&mut routes[rw]);
            index(routes, &mut place, ru);
            index(routes, &mut place, rw);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rand::SeedableRng;
    use crate::planner::engine::{JobSpec, VehicleSpec};

    /// Euclidean distances among a depot at (50, 50) and `n - 1` random points of 100 × 100.
    pub(in crate::planner::engine) fn random_points(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
        let pts: Vec<(f64, f64)> = (0..n).map(|i| if i == 0 { (50.0, 50.0) } else { (rng.gen_range(0.0..100.0), rng.gen_range(0.0..100.0)) }).collect();
        let mut distance = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                distance[i * n + j] = ((pts[i].0 - pts[j].0).powi(2) + (pts[i].1 - pts[j].1).powi(2)).sqrt();
            }
        }
        distance
    }

    /// A small random VRPTW with tight windows, every job on its own route to start with.
    fn instance(seed: u64, jobs: usize) -> RoutingProblem {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = jobs + 1;
        let distance = random_points(&mut rng, n);
        let job_specs = (1..n)
            .map(|i| {
                // Opens after any truck can reach it (at most 71 from the depot), so every job
                // alone is a feasible route.
                let e = rng.gen_range(75.0..150.0);
                JobSpec { id: format!("c{i}"), location: i, demand: rng.gen_range(1..20), service: 10.0, window: Some((e, e + rng.gen_range(20.0..80.0))) }
            })
            .collect();
        RoutingProblem {
            n,
            duration: distance.clone(),
            distance,
            vehicles: (0..jobs).map(|i| VehicleSpec { id: format!("v{i}"), start: 0, end: 0, earliest: 0.0, latest: 330.0, capacity: 80 }).collect(),
            jobs: job_specs,
            locks: vec![],
        }
    }

    fn neighbours(p: &RoutingProblem) -> Vec<Vec<usize>> {
        (0..p.jobs.len())
            .map(|i| {
                let mut o: Vec<usize> = (0..p.jobs.len()).filter(|&j| j != i).collect();
                o.sort_by(|&a, &b| p.distance[(a + 1) * p.n + i + 1].total_cmp(&p.distance[(b + 1) * p.n + i + 1]).then(a.cmp(&b)));
                o
            })
            .collect()
    }

    /// The pool on `tours` with `budget` units of work and no time cap.
    fn minimise(p: &RoutingProblem, tours: Vec<Tour>, nb: &[Vec<usize>], seed: u64, budget: u64) -> Vec<Tour> {
        let ctx = Ctx::new(p, nb, None);
        minimise_routes(&ctx, tours, &mut ChaCha8Rng::seed_from_u64(seed), budget)
    }

    fn singletons(p: &RoutingProblem) -> Vec<Tour> {
        (0..p.jobs.len()).map(|j| Tour { vehicle: j, jobs: vec![j] }).collect()
    }

    #[test]
    fn the_constant_time_test_agrees_with_recomputation() {
        let p = instance(3, 30);
        let nb = neighbours(&p);
        let ctx = Ctx::new(&p, &nb, None);
        let tours = minimise(&p, singletons(&p), &nb, 1, 200_000);
        let mut checked = 0;
        for t in &tours {
            let r = ctx.route(t.vehicle, t.jobs.clone());
            for j in 0..p.jobs.len() {
                if t.jobs.contains(&j) {
                    continue;
                }
                for pos in 0..=t.jobs.len() {
                    let mut with = t.jobs.clone();
                    with.insert(pos, j);
                    assert_eq!(ctx.fits(&r, j, pos), route_feasible(&p, t.vehicle, &with), "job {j} at {pos} of {:?}", t.jobs);
                    checked += 1;
                }
            }
        }
        assert!(checked > 100);
        // A job whose window closed before any truck can reach it fits nowhere (bad input).
        let mut bad = p.clone();
        bad.jobs[0].window = Some((0.0, 0.5));
        let ctx = Ctx::new(&bad, &nb, None);
        let r = ctx.route(1, vec![1]);
        assert!(!ctx.fits(&r, 0, 0) && !ctx.fits(&r, 0, 1));
        assert!(!route_feasible(&bad, 0, &[0]));
    }

    #[test]
    fn ejection_keeps_every_job_once_feasible_and_repeats() {
        let p = instance(7, 40);
        let nb = neighbours(&p);
        let start = singletons(&p);
        let a = minimise(&p, start.clone(), &nb, 5, 2_000_000);
        assert!(a.len() < start.len() / 2, "{} routes from {}", a.len(), start.len());
        let mut seen: Vec<usize> = a.iter().flat_map(|t| t.jobs.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..p.jobs.len()).collect::<Vec<_>>());
        let mut vehicles: Vec<usize> = a.iter().map(|t| t.vehicle).collect();
        vehicles.dedup();
        assert_eq!(vehicles.len(), a.len(), "a vehicle on two routes");
        assert!(a.iter().all(|t| route_feasible(&p, t.vehicle, &t.jobs)));
        // Same seed, same routes; the budget is counted in work, not time.
        assert_eq!(minimise(&p, start.clone(), &nb, 5, 2_000_000), a);
        // An infeasible start is handed back untouched.
        let mut broken = start.clone();
        broken[0].jobs = (0..p.jobs.len()).collect();
        broken.truncate(1);
        assert_eq!(minimise(&p, broken.clone(), &nb, 5, 2_000_000), broken);
    }
}
