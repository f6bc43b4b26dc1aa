//! Solomon VRPTW instances: a reader, an independent feasibility checker and the benchmark run
//! against the best known solutions (`bks.csv`).
//!
//! The checker does not trust the solver: it recomputes loads, arrival times and Euclidean
//! (unrounded) distances from the instance file alone.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use super::engine::{self, EngineError, JobSpec, RoutingProblem, SearchMode, SolveOptions, VehicleSpec};

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: u32,
    pub x: f64,
    pub y: f64,
    pub demand: u32,
    pub ready: f64,
    pub due: f64,
    pub service: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub name: String,
    pub vehicles: usize,
    pub capacity: u32,
    pub depot: Customer,
    pub customers: Vec<Customer>,
}

#[derive(Debug, thiserror::Error)]
pub enum SolomonError {
    #[error("{file}: line {line}: {reason}")]
    Parse { file: String, line: usize, reason: String },
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{instance}: {source}")]
    Engine { instance: String, source: EngineError },
}

/// Reads the classic Solomon text format (name, VEHICLE section, CUSTOMER section; customer 0 is
/// the depot).
pub fn parse(file: &str, text: &str) -> Result<Instance, SolomonError> {
    let err = |line: usize, reason: String| SolomonError::Parse { file: file.to_string(), line, reason };
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).collect();
    let name = lines.iter().find(|(_, l)| !l.is_empty()).map(|(_, l)| l.to_string()).ok_or_else(|| err(1, "empty file".into()))?;
    let numbers = |(n, l): &(usize, &str)| -> Result<Vec<f64>, SolomonError> {
        l.split_whitespace()
            .map(|t| t.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| err(*n, format!("'{t}' is not a number"))))
            .collect()
    };
    let numeric = |l: &str| l.split_whitespace().next().is_some_and(|t| t.parse::<f64>().is_ok());
    let vehicle_at = lines.iter().position(|(_, l)| l.eq_ignore_ascii_case("VEHICLE")).ok_or_else(|| err(1, "no VEHICLE section".into()))?;
    let fleet_line = lines[vehicle_at..].iter().find(|(_, l)| numeric(l)).ok_or_else(|| err(vehicle_at + 1, "no vehicle number and capacity".into()))?;
    let fleet = numbers(fleet_line)?;
    if fleet.len() != 2 || fleet[0] < 1.0 || fleet[1] < 1.0 || fleet.iter().any(|v| v.fract() != 0.0) {
        return Err(err(fleet_line.0, "expected two positive whole numbers: vehicles and capacity".into()));
    }
    let customer_at = lines.iter().position(|(_, l)| l.eq_ignore_ascii_case("CUSTOMER")).ok_or_else(|| err(1, "no CUSTOMER section".into()))?;
    let mut rows = Vec::new();
    for entry in lines[customer_at..].iter().filter(|(_, l)| numeric(l)) {
        let v = numbers(entry)?;
        if v.len() != 7 {
            return Err(err(entry.0, format!("expected 7 fields, got {}", v.len())));
        }
        if v[0] < 0.0 || v[0].fract() != 0.0 || v[3] < 0.0 || v[3].fract() != 0.0 || v[6] < 0.0 || v[5] < v[4] {
            return Err(err(entry.0, "bad id, demand, service time or time window".into()));
        }
        rows.push(Customer { id: v[0] as u32, x: v[1], y: v[2], demand: v[3] as u32, ready: v[4], due: v[5], service: v[6] });
    }
    if rows.len() < 2 {
        return Err(err(customer_at + 1, "need a depot and at least one customer".into()));
    }
    let depot = rows.remove(0);
    let mut ids: Vec<u32> = rows.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) || ids.contains(&depot.id) {
        return Err(err(customer_at + 1, "customer ids are not unique".into()));
    }
    Ok(Instance { name, vehicles: fleet[0] as usize, capacity: fleet[1] as u32, depot, customers: rows })
}

pub fn read(path: &Path) -> Result<Instance, SolomonError> {
    let text = std::fs::read_to_string(path).map_err(|e| SolomonError::Io(path.display().to_string(), e))?;
    parse(&path.display().to_string(), &text)
}

fn euclid(a: &Customer, b: &Customer) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

impl Instance {
    /// The instance as a routing problem: location 0 is the depot, customer i is location i+1;
    /// travel time equals Euclidean distance.
    pub fn to_routing(&self) -> RoutingProblem {
        let points: Vec<&Customer> = std::iter::once(&self.depot).chain(self.customers.iter()).collect();
        let n = points.len();
        let mut distance = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                distance[i * n + j] = euclid(points[i], points[j]);
            }
        }
        RoutingProblem {
            n,
            duration: distance.clone(),
            distance,
            vehicles: (0..self.vehicles)
                .map(|i| VehicleSpec {
                    id: format!("v{}", i + 1),
                    start: 0,
                    end: 0,
                    earliest: self.depot.ready,
                    latest: self.depot.due,
                    capacity: self.capacity,
                })
                .collect(),
            jobs: self
                .customers
                .iter()
                .enumerate()
                .map(|(i, c)| JobSpec {
                    id: c.id.to_string(),
                    location: i + 1,
                    demand: c.demand,
                    service: c.service,
                    window: Some((c.ready, c.due)),
                })
                .collect(),
            locks: vec![],
        }
    }
}

/// Routes as customer ids in visiting order.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub routes: Vec<Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub vehicles: usize,
    pub distance: f64,
    pub violations: Vec<String>,
}

impl Check {
    pub fn feasible(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Independent check: fleet size, capacity, time windows (service may start no later than the
/// due date; waiting is allowed), return to the depot by its due date, every customer exactly once.
pub fn check(inst: &Instance, sol: &Solution) -> Check {
    let mut violations = Vec::new();
    let used: Vec<&Vec<u32>> = sol.routes.iter().filter(|r| !r.is_empty()).collect();
    if used.len() > inst.vehicles {
        violations.push(format!("{} routes but only {} vehicles", used.len(), inst.vehicles));
    }
    let mut visits = vec![0usize; inst.customers.len()];
    let mut total = 0.0;
    for (ri, route) in used.iter().enumerate() {
        let mut at = &inst.depot;
        let mut t = inst.depot.ready;
        let mut load = 0u32;
        let mut dist = 0.0;
        for &id in route.iter() {
            let Some(ci) = inst.customers.iter().position(|c| c.id == id) else {
                violations.push(format!("route {}: unknown customer {id}", ri + 1));
                continue;
            };
            let c = &inst.customers[ci];
            visits[ci] += 1;
            let leg = euclid(at, c);
            dist += leg;
            t = (t + leg).max(c.ready);
            if t > c.due + 1e-6 {
                violations.push(format!("route {}: customer {id} served at {t:.2}, due {}", ri + 1, c.due));
            }
            t += c.service;
            load += c.demand;
            at = c;
        }
        let leg = euclid(at, &inst.depot);
        dist += leg;
        t += leg;
        if t > inst.depot.due + 1e-6 {
            violations.push(format!("route {}: back at the depot at {t:.2}, due {}", ri + 1, inst.depot.due));
        }
        if load > inst.capacity {
            violations.push(format!("route {}: load {load} over capacity {}", ri + 1, inst.capacity));
        }
        total += dist;
    }
    for (ci, n) in visits.iter().enumerate() {
        match n {
            1 => {}
            0 => violations.push(format!("customer {} not served", inst.customers[ci].id)),
            n => violations.push(format!("customer {} served {n} times", inst.customers[ci].id)),
        }
    }
    Check { vehicles: used.len(), distance: total, violations }
}

/// Solves an instance with the planner's engine.
pub fn solve(inst: &Instance, options: &SolveOptions) -> Result<Solution, SolomonError> {
    solve_capped(inst, options).map(|s| s.0)
}

/// Like [`solve`], also saying whether the time cap stopped the search before its work budget
/// (then a reproducible run may not repeat).
pub fn solve_capped(inst: &Instance, options: &SolveOptions) -> Result<(Solution, bool), SolomonError> {
    let problem = inst.to_routing();
    let s = engine::solve(&problem, options).map_err(|source| SolomonError::Engine { instance: inst.name.clone(), source })?;
    let mut routes: Vec<Vec<u32>> = s.routes.iter().map(|r| r.jobs.iter().map(|&j| inst.customers[j].id).collect()).collect();
    // Unassigned customers are kept out of the routes; the checker reports them as not served.
    routes.retain(|r| !r.is_empty());
    Ok((Solution { routes }, s.time_capped))
}

/// Best known solution of an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Bks {
    pub instance: String,
    pub vehicles: usize,
    pub distance: f64,
}

pub fn read_bks(path: &Path) -> Result<Vec<Bks>, SolomonError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SolomonError::Io(file.clone(), e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').collect();
        let bad = || SolomonError::Parse { file: file.clone(), line: i + 1, reason: "expected instance,vehicles,distance,...".into() };
        if cols.len() < 3 {
            return Err(bad());
        }
        out.push(Bks {
            instance: cols[0].trim().to_string(),
            vehicles: cols[1].trim().parse().map_err(|_| bad())?,
            distance: cols[2].trim().parse().map_err(|_| bad())?,
        });
    }
    Ok(out)
}

/// How long each instance may run: a wall-clock cap, and for the reproducible mode a
/// generation budget (the result only repeats if the generations finish before the cap).
#[derive(Debug, Clone, Copy)]
pub struct BenchBudget {
    pub seconds: f64,
    pub generations: Option<usize>,
    pub mode: SearchMode,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    pub instance: String,
    pub vehicles: usize,
    pub distance: f64,
    pub bks_vehicles: usize,
    pub bks_distance: f64,
    /// Vehicles above the best known (hierarchical objective: vehicles first).
    pub vehicle_gap: i64,
    /// Distance gap in percent to the best known.
    pub distance_gap_pct: f64,
    pub feasible: bool,
    pub violations: Vec<String>,
    pub seconds: f64,
    /// The wall-clock cap stopped a reproducible run before its generations were done.
    pub time_capped: bool,
}

/// Solves one instance within `budget` and checks the answer against the instance file and its
/// best known solution.
pub fn bench_one(inst: &Instance, bks: &Bks, budget: BenchBudget) -> Result<(BenchRow, Solution), SolomonError> {
    let options = SolveOptions {
        seed: budget.seed,
        generations: budget.generations.unwrap_or(usize::MAX / 2),
        max_seconds: Some(budget.seconds),
        mode: budget.mode,
    };
    let started = Instant::now();
    let (sol, time_capped) = solve_capped(inst, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let c = check(inst, &sol);
    let row = BenchRow {
        instance: bks.instance.clone(),
        vehicles: c.vehicles,
        distance: c.distance,
        bks_vehicles: bks.vehicles,
        bks_distance: bks.distance,
        vehicle_gap: c.vehicles as i64 - bks.vehicles as i64,
        distance_gap_pct: (c.distance - bks.distance) / bks.distance * 100.0,
        feasible: c.feasible(),
        violations: c.violations,
        seconds,
        time_capped: time_capped && budget.generations.is_some(),
    };
    Ok((row, sol))
}

/// Solves every instance listed in `dir/bks.csv` that has a file `dir/NAME.txt`.
pub fn run_all(dir: &Path, budget: BenchBudget, mut on_row: impl FnMut(&BenchRow)) -> Result<Vec<BenchRow>, SolomonError> {
    let bks = read_bks(&dir.join("bks.csv"))?;
    let mut rows = Vec::new();
    for b in bks {
        let path = dir.join(format!("{}.txt", b.instance));
        if !path.exists() {
            continue;
        }
        let (row, _) = bench_one(&read(&path)?, &b, budget)?;
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// Routes in the usual text form of published Solomon solutions, one line per vehicle
/// (`Route 1: 5 3 7`), with the checker's verdict as comment lines; [`parse_routes`] reads it back.
pub fn routes_text(inst: &Instance, sol: &Solution) -> String {
    let c = check(inst, sol);
    let mut out = format!("# {}: {} vehicles, distance {:.2}, checker: {}\n", inst.name, c.vehicles, c.distance, if c.feasible() { "feasible" } else { "INFEASIBLE" });
    for v in &c.violations {
        let _ = writeln!(out, "# {v}");
    }
    for (i, r) in sol.routes.iter().enumerate() {
        let ids: Vec<String> = r.iter().map(u32::to_string).collect();
        let _ = writeln!(out, "Route {}: {}", i + 1, ids.join(" "));
    }
    out
}

/// Reads routes written as `Route N: id id …` (other lines, such as `#` comments, `Cost …` or
/// blank ones, are skipped); a bad customer id is an error naming the line.
pub fn parse_routes(file: &str, text: &str) -> Result<Solution, SolomonError> {
    let mut routes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("Route").filter(|r| r.starts_with(' ') || r.starts_with(char::is_numeric)) else { continue };
        let Some((_, ids)) = rest.split_once(':') else {
            return Err(SolomonError::Parse { file: file.to_string(), line: i + 1, reason: "expected 'Route N: ids'".into() });
        };
        let route = ids
            .split_whitespace()
            .map(|t| t.parse::<u32>().map_err(|_| SolomonError::Parse { file: file.to_string(), line: i + 1, reason: format!("'{t}' is not a customer id") }))
            .collect::<Result<Vec<u32>, _>>()?;
        routes.push(route);
    }
    if routes.is_empty() {
        return Err(SolomonError::Parse { file: file.to_string(), line: 1, reason: "no 'Route N:' lines".into() });
    }
    Ok(Solution { routes })
}

/// One line of the per-family summary.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilySummary {
    pub family: String,
    pub instances: usize,
    /// Instances with more vehicles than the best known.
    pub above_bks_vehicles: usize,
    /// Sum of the extra vehicles.
    pub extra_vehicles: i64,
    /// Mean distance gap (%) over the instances at the best known vehicle count.
    pub mean_gap_matching: Option<f64>,
    /// Instances at the best known: same vehicles, distance within 0.01 %.
    pub at_bks: usize,
    pub infeasible: usize,
    pub time_capped: usize,
}

/// The family of an instance: `R101` → `R1`, `RC208` → `RC2`, Homberger `C1_2_1` → `C1_2`.
pub fn family(instance: &str) -> String {
    if let Some((head, _)) = instance.rsplit_once('_') {
        return head.to_string();
    }
    let letters: String = instance.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let series = instance[letters.len()..].chars().next().map(String::from).unwrap_or_default();
    format!("{letters}{series}")
}

fn summarise(family: String, rows: &[&BenchRow]) -> FamilySummary {
    let matching: Vec<f64> = rows.iter().filter(|r| r.vehicle_gap == 0).map(|r| r.distance_gap_pct).collect();
    FamilySummary {
        family,
        instances: rows.len(),
        above_bks_vehicles: rows.iter().filter(|r| r.vehicle_gap > 0).count(),
        extra_vehicles: rows.iter().map(|r| r.vehicle_gap.max(0)).sum(),
        mean_gap_matching: (!matching.is_empty()).then(|| matching.iter().sum::<f64>() / matching.len() as f64),
        at_bks: rows.iter().filter(|r| r.vehicle_gap <= 0 && r.distance_gap_pct < 0.01).count(),
        infeasible: rows.iter().filter(|r| !r.feasible).count(),
        time_capped: rows.iter().filter(|r| r.time_capped).count(),
    }
}

/// Per family in order of first appearance, then `all`.
pub fn summary(rows: &[BenchRow]) -> Vec<FamilySummary> {
    let mut families: Vec<String> = Vec::new();
    for r in rows {
        let f = family(&r.instance);
        if !families.contains(&f) {
            families.push(f);
        }
    }
    let mut out: Vec<FamilySummary> =
        families.into_iter().map(|f| summarise(f.clone(), &rows.iter().filter(|r| family(&r.instance) == f).collect::<Vec<_>>())).collect();
    out.push(summarise("all".into(), &rows.iter().collect::<Vec<_>>()));
    out
}

/// Markdown table of [`summary`].
pub fn summary_table(rows: &[BenchRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| family | instances | above BKS vehicles | extra vehicles | mean gap % where vehicles match | at BKS | infeasible | time cap hit |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for f in summary(rows) {
        let gap = f.mean_gap_matching.map_or("—".to_string(), |g| format!("{g:.2}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:+} | {} | {} | {} | {} |",
            f.family, f.instances, f.above_bks_vehicles, f.extra_vehicles, gap, f.at_bks, f.infeasible, f.time_capped
        );
    }
    out
}

/// The folder with the six sample instances and `bks.csv`: `SOLOMON_DIR`, else the copy shipped
/// in `data/testdata/vrp-sample`.
pub fn sample_dir() -> Option<std::path::PathBuf> {
    let manifest = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("SOLOMON_DIR")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([manifest.join("data/testdata/vrp-sample")])
        .find(|p| p.join("bks.csv").exists())
}

/// Markdown table of benchmark rows.
pub fn table(rows: &[BenchRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| instance | vehicles | distance | BKS vehicles | BKS distance | Δ vehicles | gap % | checker | seconds | time cap hit |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|---:|---|");
    for r in rows {
        let verdict = if r.feasible { "feasible".to_string() } else { format!("INFEASIBLE: {}", r.violations.join("; ")) };
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {} | {:.2} | {:+} | {:+.2} | {} | {:.1} | {} |",
            r.instance,
            r.vehicles,
            r.distance,
            r.bks_vehicles,
            r.bks_distance,
            r.vehicle_gap,
            r.distance_gap_pct,
            verdict,
            r.seconds,
            if r.time_capped { "yes: not repeatable" } else { "no" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "TINY\n\nVEHICLE\nNUMBER     CAPACITY\n  2         10\n\nCUSTOMER\nCUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n\n    0      0   0   0   0   100   0\n    1      3   4   5   0   50    2\n    2      6   8   5   10  60    2\n    3      0   5   6   0   90    1\n";

    #[test]
    fn reads_the_format() {
        let i = parse("tiny", TINY).unwrap();
        assert_eq!(i.name, "TINY");
        assert_eq!((i.vehicles, i.capacity), (2, 10));
        assert_eq!(i.customers.len(), 3);
        assert_eq!(i.customers[1], Customer { id: 2, x: 6.0, y: 8.0, demand: 5, ready: 10.0, due: 60.0, service: 2.0 });
    }

    #[test]
    fn malformed_rows_name_their_line() {
        let bad = TINY.replace("    2      6   8   5   10  60    2", "    2      6   x   5   10  60    2");
        match parse("tiny", &bad) {
            Err(SolomonError::Parse { line, .. }) => assert_eq!(line, 12),
            other => panic!("{other:?}"),
        }
        assert!(parse("tiny", "").is_err());
        assert!(parse("tiny", &TINY.replace("  2         10", "  2")).is_err());
    }

    #[test]
    fn checker_accepts_a_feasible_solution_and_counts_distance() {
        let i = parse("tiny", TINY).unwrap();
        let c = check(&i, &Solution { routes: vec![vec![1, 2], vec![3]] });
        assert!(c.feasible(), "{:?}", c.violations);
        assert_eq!(c.vehicles, 2);
        assert!((c.distance - (5.0 + 5.0 + 10.0 + 10.0)).abs() < 1e-9, "{}", c.distance);
    }

    #[test]
    fn checker_finds_each_kind_of_violation() {
        let i = parse("tiny", TINY).unwrap();
        let v = |routes: Vec<Vec<u32>>| check(&i, &Solution { routes }).violations.join(" | ");
        assert!(v(vec![vec![1, 2, 3]]).contains("over capacity"));
        assert!(v(vec![vec![1, 2]]).contains("customer 3 not served"));
        assert!(v(vec![vec![1, 2], vec![3, 1]]).contains("served 2 times"));
        assert!(v(vec![vec![1], vec![2], vec![3]]).contains("3 routes but only 2 vehicles"));
        let mut late = i.clone();
        late.customers[0].due = 4.0; // customer 1 is 5 away
        assert!(check(&late, &Solution { routes: vec![vec![1, 2], vec![3]] }).violations.join(" ").contains("customer 1 served at"));
        let mut home = i.clone();
        home.depot.due = 20.0;
        assert!(check(&home, &Solution { routes: vec![vec![1, 2], vec![3]] }).violations.join(" ").contains("back at the depot"));
    }

    #[test]
    fn routes_text_reads_back_and_bad_ids_name_their_line() {
        let i = parse("tiny", TINY).unwrap();
        let sol = Solution { routes: vec![vec![1, 2], vec![3]] };
        let text = routes_text(&i, &sol);
        assert!(text.starts_with("# TINY: 2 vehicles, distance 30.00, checker: feasible"), "{text}");
        assert_eq!(parse_routes("sol", &text).unwrap(), sol);
        assert_eq!(parse_routes("sol", "Route 1 : 3 1\nCost 12\nRoute 2: 2\n").unwrap().routes, vec![vec![3, 1], vec![2]]);
        match parse_routes("sol", "Route 1: 1 2\nRoute 2: 3 x\n") {
            Err(SolomonError::Parse { line, reason, .. }) => assert_eq!((line, reason.as_str()), (2, "'x' is not a customer id")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_routes("sol", "nothing here"), Err(SolomonError::Parse { line: 1, .. })));
        assert!(matches!(parse_routes("sol", "Route 1 1 2"), Err(SolomonError::Parse { line: 1, .. })));
    }

    fn row(instance: &str, vehicle_gap: i64, gap: f64) -> BenchRow {
        BenchRow {
            instance: instance.into(),
            vehicles: 10 + vehicle_gap as usize,
            distance: 1000.0 * (1.0 + gap / 100.0),
            bks_vehicles: 10,
            bks_distance: 1000.0,
            vehicle_gap,
            distance_gap_pct: gap,
            feasible: true,
            violations: vec![],
            seconds: 1.0,
            time_capped: false,
        }
    }

    #[test]
    fn families_and_their_summary() {
        assert_eq!([family("R101"), family("RC208"), family("C1_2_1"), family("RC2_10_3")], ["R1", "RC2", "C1_2", "RC2_10"]);
        let rows = vec![row("R101", 1, -2.0), row("R102", 0, 1.0), row("R103", 0, 3.0), row("C101", 0, 0.0)];
        let s = summary(&rows);
        assert_eq!(s.iter().map(|f| f.family.as_str()).collect::<Vec<_>>(), ["R1", "C1", "all"]);
        assert_eq!((s[0].instances, s[0].above_bks_vehicles, s[0].extra_vehicles, s[0].at_bks), (3, 1, 1, 0));
        assert_eq!(s[0].mean_gap_matching, Some(2.0));
        assert_eq!((s[2].instances, s[2].at_bks), (4, 1));
        assert!(summary_table(&rows).contains("| all | 4 | 1 | +1 | 1.33 | 1 | 0 | 0 |"));
    }

    fn samples() -> (std::path::PathBuf, Vec<Bks>) {
        let dir = sample_dir().expect("Solomon sample folder (data/testdata/vrp-sample or SOLOMON_DIR) is missing");
        let bks = read_bks(&dir.join("bks.csv")).expect("bks.csv");
        (dir, bks)
    }

    #[test]
    fn reads_the_six_sample_instances() {
        let (dir, bks) = samples();
        let names: Vec<&str> = bks.iter().map(|b| b.instance.as_str()).collect();
        assert_eq!(names, ["C101", "C201", "R101", "R201", "RC101", "RC201"]);
        for b in &bks {
            let i = read(&dir.join(format!("{}.txt", b.instance))).expect("instance");
            assert_eq!(i.name, b.instance);
            assert_eq!(i.vehicles, 25);
            assert_eq!(i.customers.len(), 100, "{}", i.name);
            let ids: Vec<u32> = i.customers.iter().map(|c| c.id).collect();
            assert_eq!(ids, (1..=100).collect::<Vec<u32>>(), "{}", i.name);
            assert_eq!(i.depot.id, 0);
            // Series 1 has short horizons and capacity 200; series 2 long horizons and 700 or 1000.
            let series2 = i.name.ends_with("201");
            assert_eq!(i.capacity > 200, series2, "{}: capacity {}", i.name, i.capacity);
            assert!(i.customers.iter().all(|c| c.due <= i.depot.due && c.ready <= c.due), "{}", i.name);
        }
        assert!(bks.iter().all(|b| b.vehicles >= 3 && b.distance > 500.0));
    }

    #[test]
    fn out_and_back_routes_are_feasible_except_for_the_fleet_size() {
        // One truck per customer: every window is reachable straight from the depot in the
        // Solomon sets, so the checker's only complaint must be the number of vehicles.
        let (dir, bks) = samples();
        for b in &bks {
            let i = read(&dir.join(format!("{}.txt", b.instance))).expect("instance");
            let c = check(&i, &Solution { routes: i.customers.iter().map(|c| vec![c.id]).collect() });
            assert_eq!(c.violations, vec![format!("100 routes but only 25 vehicles")], "{}", i.name);
            let expected: f64 = i.customers.iter().map(|c| 2.0 * euclid(&i.depot, c)).sum();
            assert!((c.distance - expected).abs() < 1e-6);
            assert!(c.distance > b.distance, "{}: out-and-back beats the best known", i.name);
        }
    }

    #[test]
    fn the_engine_solves_the_six_samples_feasibly() {
        let (dir, bks) = samples();
        let o = SolveOptions { seed: 7, generations: 20, max_seconds: None, mode: SearchMode::Reproducible };
        for b in &bks {
            let i = read(&dir.join(format!("{}.txt", b.instance))).expect("instance");
            let s = solve(&i, &o).expect("solve");
            let c = check(&i, &s);
            assert!(c.feasible(), "{}: {:?}", i.name, c.violations);
            // Never better than the best known under the hierarchical objective.
            assert!(c.vehicles > b.vehicles || (c.vehicles == b.vehicles && c.distance >= b.distance - 0.01), "{}: {} / {:.2}", i.name, c.vehicles, c.distance);
        }
    }

    #[test]
    fn the_engine_solves_the_tiny_instance_feasibly() {
        let i = parse("tiny", TINY).unwrap();
        let o = SolveOptions { seed: 1, generations: 30, max_seconds: None, mode: SearchMode::Reproducible };
        let s = solve(&i, &o).unwrap();
        let c = check(&i, &s);
        assert!(c.feasible(), "{:?}", c.violations);
        assert_eq!(c.vehicles, 2);
    }
}
