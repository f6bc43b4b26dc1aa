//! `sigap plan`: plans from files or from the atlas, writes JSON, CSV and GeoJSON, shows a
//! progress bar per depot-day and ends with a summary in Indonesian number format.
// Display stays in the CLI.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use super::model::{Budget, PlanRequest, PlanSettings};
use super::network::{RoadMatrix, RoadNetwork};
use super::plan::{id_number, Plan};
use super::replan::{self, ReplanRequest};
use super::sources;
use super::{plan_within, GreatCircle};
use crate::store::Store;
use crate::wilayah::Atlas;

/// Households in the Jakarta PSBB bansos programme (seed 001): one package per KK.
pub const JAKARTA_KK: u64 = 1_194_633;

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// Warehouses from a file instead of the gudang table: JSON array or CSV
    /// (id,name,lon,lat,stock,trucks,truck_capacity[,shift_start,shift_end,cost_per_km]); the
    /// shipped data/demo/depots.json holds GENERATED stock figures.
    #[arg(long, required_unless_present = "from_logistics", conflicts_with = "from_logistics")]
    pub depots: Option<PathBuf>,
    /// Drop points: JSON array or CSV (id,lon,lat,packages[,name,window_start,window_end,kelurahan,kecamatan]).
    #[arg(long, required_unless_present_any = ["from_atlas", "from_logistics"], conflicts_with_all = ["from_atlas", "from_logistics"])]
    pub stops: Option<PathBuf>,
    /// The approved, not yet dispatched logistics requests as stops, each from the gudang that
    /// approved it; depots are the gudang with their real stock (ledger balance, expired lots
    /// excluded): a request its gudang cannot cover is unassigned with reason `stock`.
    #[arg(long, conflicts_with_all = ["from_atlas", "delivered", "previous", "slots"])]
    pub from_logistics: bool,
    /// With --from-logistics: only the requests holding this item (catalog code).
    #[arg(long, requires = "from_logistics")]
    pub barang: Option<String>,
    /// With --from-logistics: trucks per gudang and day.
    #[arg(long, requires = "from_logistics", default_value_t = crate::logistics::rencana::DEFAULT_TRUCKS)]
    pub trucks: i64,
    /// With --from-logistics: base units one truck carries.
    #[arg(long, requires = "from_logistics", default_value_t = crate::logistics::rencana::DEFAULT_CAPACITY)]
    pub truck_capacity: i64,
    /// One drop point inside every RW of the atlas (run `sigap init` first); packages per RW are
    /// --packages-total split by the RW population estimates of --rw-population (GENERATED targets).
    #[arg(long)]
    pub from_atlas: bool,
    #[arg(long, default_value_t = JAKARTA_KK)]
    pub packages_total: u64,
    /// With --from-atlas: ignore the bansos targets and deliveries in the store and split
    /// --packages-total by population (by default the store's remaining packages are used when
    /// it has targets).
    #[arg(long, requires = "from_atlas")]
    pub population_targets: bool,
    /// GeoJSON with `kode` and `penduduk_perkiraan` per RW (default: the shipped RW layer).
    #[arg(long)]
    pub rw_population: Option<PathBuf>,
    /// Edited drop points (JSON or CSV `id,lon,lat`) replacing the RW interior points.
    #[arg(long, requires = "from_atlas")]
    pub drop_points: Option<PathBuf>,
    /// Horizon in working days.
    #[arg(long)]
    pub days: i64,
    /// Folder for plan.json, plan.csv and routes.geojson.
    #[arg(long, default_value = "var/plan")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Work budget per depot-day (reproducible search): each generation is 5 % of a vrp-core
    /// generation for the start solution plus 100,000 stops looked at by the ejection pool and
    /// SISR, scaled down for depot-days of fewer than 100 stops; the same plan on any machine load.
    #[arg(long, default_value_t = Budget::default().generations)]
    pub generations: usize,
    /// Depot-days solved in parallel (each solve stays single-threaded and reproducible).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Date of working day 1 (YYYY-MM-DD); later days skip weekends.
    #[arg(long)]
    pub start_date: Option<NaiveDate>,
    /// Coordination slots agreed with each kecamatan (JSON or CSV `kecamatan,window_start,window_end`,
    /// e.g. `31.71.01,09:00,12:00`): the window of every RW in that kecamatan without its own.
    #[arg(long)]
    pub slots: Option<PathBuf>,
    /// Full settings as JSON (travel, service time, ...); the flags above override it.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Re-plan: packages already received per stop (JSON array or CSV `stop,packages`); served
    /// stops drop out, partly served keep their remainder.
    #[arg(long)]
    pub delivered: Option<PathBuf>,
    /// Re-plan: the previous plan.json, whose routes of --freeze-day stay on their trucks on day 1.
    #[arg(long, requires = "freeze_day")]
    pub previous: Option<PathBuf>,
    #[arg(long, requires = "previous")]
    pub freeze_day: Option<u32>,
    /// Trips one truck may make a day, reloading at its gudang in between (default: the
    /// settings' value, 1).
    #[arg(long)]
    pub max_trips: Option<u32>,
    /// Minutes at the gudang between two trips of a truck.
    #[arg(long)]
    pub reload_min: Option<f64>,
    /// Drive on this road network (GeoJSON from OSM, e.g. data/roads/jakarta_roads.geojson)
    /// instead of great-circle distance × circuity; speeds and congestion from settings.roads.
    #[arg(long)]
    pub roads: Option<PathBuf>,
    /// Where the road travel table is cached between plans (keyed by network and points).
    #[arg(long, default_value = "var/cache/roads")]
    pub roads_cache: PathBuf,
}

/// Builds the request the flags describe. The atlas is only read with `--from-atlas`;
/// `remaining` (packages still owed per RW, from the bansos records) replaces the population
/// split when the store has targets.
pub fn request(args: &PlanArgs, atlas: Option<&Atlas>, remaining: Option<&BTreeMap<String, i64>>, data_dir: &Path) -> anyhow::Result<PlanRequest> {
    let Some(depots) = &args.depots else { anyhow::bail!("give --depots FILE, or --from-logistics for the gudang and their stock") };
    let depots = sources::read_depots(depots)?;
    let stops = match (&args.stops, atlas) {
        (Some(path), _) => sources::read_stops(path)?,
        (None, Some(atlas)) => {
            let mut stops = match remaining {
                Some(remaining) => sources::stops_from_atlas(atlas, |code| remaining.get(code.as_str()).copied()),
                None => {
                    let pop_path = args.rw_population.clone().unwrap_or_else(|| data_dir.join("wilayah/rw.geojson"));
                    let population = sources::rw_population(&pop_path)?;
                    let targets = sources::apportion(args.packages_total, &population);
                    let stops = sources::stops_from_atlas(atlas, |code| targets.get(code.as_str()).map(|&n| n as i64));
                    if stops.is_empty() {
                        anyhow::bail!("the atlas has no RW with a population estimate in {}: run `sigap init` first", pop_path.display());
                    }
                    stops
                }
            };
            if let Some(path) = &args.drop_points {
                let points = sources::read_drop_points(path)?;
                let notes = sources::apply_drop_points(&mut stops, &points, atlas).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                for n in notes {
                    eprintln!("peringatan: {n}");
                }
            }
            stops
        }
        (None, None) => anyhow::bail!("give --stops FILE or --from-atlas"),
    };
    let mut stops = stops;
    if let Some(path) = &args.slots {
        let slots = sources::read_slots(path)?;
        let n = sources::apply_slots(&mut stops, &slots).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        eprintln!("{} titik RW mendapat jadwal kecamatan", id_number(n as u64));
    }
    let settings = settings(args)?;
    let request = PlanRequest { depots, stops, settings, frozen: vec![] };
    if args.delivered.is_none() && args.previous.is_none() {
        return Ok(request);
    }
    replan_request(args, request)
}

/// The plan settings the flags describe (`--settings FILE`, overridden by the flags).
fn settings(args: &PlanArgs) -> anyhow::Result<PlanSettings> {
    let mut settings: PlanSettings = match &args.settings {
        Some(p) => serde_json::from_str(&std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
            .with_context(|| format!("settings in {}", p.display()))?,
        None => PlanSettings::default(),
    };
    settings.days = args.days;
    settings.seed = args.seed;
    settings.budget.generations = args.generations;
    settings.threads = args.threads;
    if let Some(n) = args.max_trips {
        settings.reload.max_trips = n;
    }
    if let Some(m) = args.reload_min {
        settings.reload.reload_min = m;
    }
    if args.start_date.is_some() {
        settings.start_date = args.start_date;
    }
    Ok(settings)
}

/// A re-plan of `request` from `--delivered` and `--previous`.
fn replan_request(args: &PlanArgs, request: PlanRequest) -> anyhow::Result<PlanRequest> {
    let delivered = match &args.delivered {
        Some(p) => sources::read_delivered(p)?,
        None => vec![],
    };
    let previous: Option<Plan> = match &args.previous {
        Some(p) => Some(
            serde_json::from_str(&std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
                .with_context(|| format!("previous plan {}", p.display()))?,
        ),
        None => None,
    };
    let (request, s) = replan::remaining(ReplanRequest { request, delivered, previous, freeze_day: args.freeze_day })?;
    eprintln!(
        "Rencana ulang: {} titik sudah terlayani, {} sebagian, {} rute hari ini dibekukan",
        id_number(s.served.len() as u64),
        id_number(s.partly_served.len() as u64),
        s.frozen_routes
    );
    Ok(request)
}

/// Writes plan.json, plan.csv (one row per stop visit) and routes.geojson (one line per truck-day).
pub fn write_outputs(plan: &Plan, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let json = out.join("plan.json");
    std::fs::write(&json, plan.to_json()?).with_context(|| format!("writing {}", json.display()))?;
    let csv = out.join("plan.csv");
    let file = std::fs::File::create(&csv).with_context(|| format!("writing {}", csv.display()))?;
    plan.write_csv(std::io::BufWriter::new(file))?;
    let geo = out.join("routes.geojson");
    std::fs::write(&geo, serde_json::to_string(&plan.to_geojson())?).with_context(|| format!("writing {}", geo.display()))?;
    Ok(vec![json, csv, geo])
}

/// Summary lines in Indonesian.
pub fn summary(plan: &Plan, seconds: f64) -> String {
    let t = &plan.totals;
    let mut lines = vec![
        format!("Rencana distribusi selesai dalam {seconds:.1} detik"),
        format!(
            "Titik RW: {} (terjadwal {}, sebagian {}, tidak terjadwal {})",
            id_number(t.stops as u64),
            id_number(t.stops_planned as u64),
            id_number(t.stops_partly_planned as u64),
            id_number(t.stops_unassigned as u64)
        ),
        format!(
            "Paket: {} diminta, {} terjadwal, {} tidak terjadwal",
            id_number(t.packages_requested),
            id_number(t.packages_planned),
            id_number(t.packages_unassigned)
        ),
        format!(
            "Hari kerja terpakai: {} dari {}; truk-hari: {}; rit: {}; jarak: {} km",
            t.days_used,
            plan.meta.horizon_days,
            id_number(t.truck_days as u64),
            id_number(t.trips as u64),
            id_number(t.distance_m / 1000)
        ),
    ];
    for d in &t.depots {
        lines.push(format!("  {}: {} paket, {} truk-hari, {} km, sisa stok {}", d.depot, id_number(d.packages_planned), d.truck_days, id_number(d.distance_m / 1000), id_number(d.stock_left)));
    }
    let mut reasons: std::collections::BTreeMap<&str, (usize, u64)> = Default::default();
    for u in &plan.unassigned {
        let e = reasons.entry(u.reason.as_str()).or_default();
        e.0 += 1;
        e.1 += u.packages as u64;
    }
    for (r, (n, p)) in reasons {
        lines.push(format!("  tidak terjadwal ({r}): {} titik, {} paket", id_number(n as u64), id_number(p)));
    }
    lines.join("\n")
}

/// Reads the road network with the request's road settings and says what was kept.
fn load_network(path: &Path, req: &PlanRequest) -> anyhow::Result<RoadNetwork> {
    let started = Instant::now();
    let net = RoadNetwork::load(path, &req.settings.roads)?;
    let s = &net.stats;
    eprintln!(
        "jaringan jalan {}: {} ruas, {} simpul ({} dipakai, komponen terhubung terbesar dari {}), {} km, {:.1} detik",
        path.display(),
        id_number(s.drivable_segments as u64),
        id_number(s.nodes as u64),
        id_number(s.nodes_kept as u64),
        id_number(s.components as u64),
        id_number(s.km.round() as u64),
        started.elapsed().as_secs_f64()
    );
    Ok(net)
}

/// The road matrix for a request ([`RoadMatrix::for_request`]), saying where the table came from.
pub fn road_matrix<'a>(net: &'a RoadNetwork, req: &PlanRequest, cache: &Path) -> RoadMatrix<'a> {
    let started = Instant::now();
    let (m, points, hit) = RoadMatrix::for_request(net, req, Some(cache));
    eprintln!(
        "tabel waktu tempuh {} titik: {} ({:.1} detik)",
        id_number(points as u64),
        if hit { "dari cache" } else { "dihitung" },
        started.elapsed().as_secs_f64()
    );
    m
}

/// Packages still owed per RW (target KK − good packages delivered, one package per KK), or
/// `None` when the store has no bansos targets.
pub async fn remaining_from_bansos(store: &Store) -> anyhow::Result<Option<BTreeMap<String, i64>>> {
    let figures = crate::bansos::store::rw_figures(store).await?;
    if figures.values().all(|f| f.target_kk == 0) {
        return Ok(None);
    }
    let remaining = figures
        .iter()
        .map(|(rw, f)| (rw.as_str().to_string(), sources::remaining(f.target_kk as i64, f.packages_usable as i64)))
        .collect();
    Ok(Some(remaining))
}

pub async fn run(store: &Store, data_dir: &Path, args: PlanArgs) -> anyhow::Result<()> {
    let atlas = crate::cli::load_atlas(store, Default::default()).await?;
    let remaining = if args.from_atlas && !args.population_targets { remaining_from_bansos(store).await? } else { None };
    if let Some(r) = &remaining {
        eprintln!(
            "sisa paket dari data penyaluran bansos: {} paket untuk {} RW",
            id_number(r.values().map(|&n| n.max(0) as u64).sum()),
            id_number(r.values().filter(|&&n| n > 0).count() as u64)
        );
    }
    let req = if args.from_logistics {
        let input = crate::logistics::rencana::RencanaInput {
            barang: args.barang.clone(),
            trucks: args.trucks,
            truck_capacity: args.truck_capacity,
            settings: settings(&args)?,
        };
        let req = crate::logistics::rencana::from_store(store, &input, crate::logistics::model::jakarta_today())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!("{} permintaan disetujui dari {} gudang (stok dari buku mutasi)", id_number(req.stops.len() as u64), id_number(req.depots.len() as u64));
        req
    } else {
        request(&args, args.from_atlas.then_some(&atlas), remaining.as_ref(), data_dir)?
    };
    let out = args.out.clone();
    let days = args.days.max(0) as u64;
    let depots = req.depots.len() as u64;
    let started = Instant::now();
    let roads = args.roads.clone();
    let cache = args.roads_cache.clone();
    let plan = tokio::task::spawn_blocking(move || -> anyhow::Result<Plan> {
        let network = match &roads {
            // Settings first (a bad speed names its field), then the network they weigh.
            Some(path) => {
                req.clone().validate()?;
                Some(load_network(path, &req)?)
            }
            None => None,
        };
        let road_matrix = network.as_ref().map(|net| road_matrix(net, &req, &cache));
        let great_circle = GreatCircle::new(req.settings.travel);
        let travel: &dyn super::TravelMatrix = match &road_matrix {
            Some(m) => m,
            None => &great_circle,
        };
        let pb = crate::cli::progress_bar(days * depots, "merencanakan rute");
        let inside = sources::atlas_area(&atlas);
        let progress = |p: &super::Progress| {
            pb.set_position(p.done as u64);
            pb.set_message(format!("hari {} {}", p.day, p.depot));
        };
        let plan = plan_within(req, travel, &inside, &progress);
        pb.finish_and_clear();
        Ok(plan?)
    })
    .await??;
    let seconds = started.elapsed().as_secs_f64();
    let files = write_outputs(&plan, &out)?;
    println!("{}", summary(&plan, seconds));
    for f in files {
        println!("  {}", f.display());
    }
    Ok(())
}

/// `sigap solomon`: solves Solomon/Homberger VRPTW instances with the planner's search, checks
/// every answer with the independent checker and compares with the best known solutions.
#[derive(Args, Debug, Clone)]
pub struct SolomonArgs {
    /// Instance files (`R101.txt`) or folders; a folder means every instance its `bks.csv` lists.
    #[arg(required = true)]
    pub instances: Vec<PathBuf>,
    /// Best known solutions (`instance,vehicles,distance,…`); default: `bks.csv` beside each instance.
    #[arg(long)]
    pub bks: Option<PathBuf>,
    /// `reproducible` (what plans use: one thread, a work budget) or `quality` (vrp-core's
    /// default heuristic on all cores for --seconds).
    #[arg(long, default_value = "reproducible")]
    pub mode: String,
    /// Reproducible mode: work budget per run, in generations: 5 % of them are vrp-core
    /// generations that build the start, and each one is 100,000 stops looked at by the ejection
    /// pool (at most 60 %, route minimisation) and SISR (distance). 6000 take about 10 s of one
    /// quiet core on a 100-customer instance; a loaded machine takes longer, never plans otherwise.
    #[arg(long, default_value_t = 6000)]
    pub generations: usize,
    /// Reproducible mode: runs with seeds seed, seed+1, … side by side on as many threads, the
    /// best kept (fewest routes, then distance); the result still repeats.
    #[arg(long, default_value_t = 2)]
    pub runs: usize,
    /// Quality mode: seconds per instance. Reproducible mode: the safety cap (a run it stops is
    /// marked as not repeatable).
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for one `NAME.routes` per instance (`Route 1: 5 3 7`), checkable with --check.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Check these routes (a `.routes` file or a published solution) against the one instance
    /// given, without solving.
    #[arg(long)]
    pub check: Option<PathBuf>,
}

fn solomon_bks(args: &SolomonArgs, dir: &Path) -> anyhow::Result<Vec<super::solomon::Bks>> {
    let path = args.bks.clone().unwrap_or_else(|| dir.join("bks.csv"));
    if !path.exists() {
        return Ok(vec![]);
    }
    Ok(super::solomon::read_bks(&path)?)
}

/// Runs `sigap solomon`; prints one line per instance on stderr, then the table and the summary
/// per family as Markdown on stdout. Fails when a solution is infeasible.
pub fn run_solomon(args: SolomonArgs) -> anyhow::Result<()> {
    use super::engine::SearchMode;
    use super::solomon::{self, BenchBudget, Bks};
    let mode = match args.mode.as_str() {
        "reproducible" => SearchMode::Reproducible,
        "quality" => SearchMode::Quality,
        other => anyhow::bail!("--mode: '{other}' is not reproducible or quality"),
    };
    if let Some(routes) = &args.check {
        let [instance] = args.instances.as_slice() else { anyhow::bail!("--check takes exactly one instance file") };
        let inst = solomon::read(instance)?;
        let text = std::fs::read_to_string(routes).with_context(|| format!("reading {}", routes.display()))?;
        let sol = solomon::parse_routes(&routes.display().to_string(), &text)?;
        print!("{}", solomon::routes_text(&inst, &sol));
        let c = solomon::check(&inst, &sol);
        anyhow::ensure!(c.feasible(), "{} violation(s)", c.violations.len());
        return Ok(());
    }
    let mut work: Vec<(PathBuf, Option<Bks>)> = Vec::new();
    for path in &args.instances {
        if path.is_dir() {
            let bks = solomon_bks(&args, path)?;
            anyhow::ensure!(!bks.is_empty(), "{}: no bks.csv listing the instances", path.display());
            work.extend(bks.into_iter().map(|b| (path.join(format!("{}.txt", b.instance)), Some(b))).filter(|(p, _)| p.exists()));
        } else {
            let dir = path.parent().unwrap_or(Path::new("."));
            let stem = path.file_stem().map(|s| s.to_string_lossy().to_uppercase()).unwrap_or_default();
            let b = solomon_bks(&args, dir)?.into_iter().find(|b| b.instance.to_uppercase() == stem);
            work.push((path.clone(), b));
        }
    }
    let budget = BenchBudget {
        seconds: args.seconds,
        generations: (mode == SearchMode::Reproducible).then_some(args.generations),
        mode,
        seed: args.seed,
        runs: args.runs,
    };
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    }
    let mut rows = Vec::new();
    let mut infeasible = 0;
    for (path, bks) in work {
        let inst = solomon::read(&path)?;
        // Without a best known solution the row still shows vehicles and distance.
        let b = bks.unwrap_or(Bks { instance: inst.name.clone(), vehicles: 0, distance: f64::NAN });
        let (row, sol) = solomon::bench_one(&inst, &b, budget)?;
        eprintln!(
            "{}: {} vehicles (BKS {}), {:.2} (BKS {:.2}, {:+.2} %), {}, {:.1} s{}",
            row.instance,
            row.vehicles,
            row.bks_vehicles,
            row.distance,
            row.bks_distance,
            row.distance_gap_pct,
            if row.feasible { "feasible".to_string() } else { format!("INFEASIBLE: {}", row.violations.join("; ")) },
            row.seconds,
            if row.time_capped { ", time cap hit: not repeatable" } else { "" }
        );
        if let Some(out) = &args.out {
            let file = out.join(format!("{}.routes", inst.name));
            std::fs::write(&file, solomon::routes_text(&inst, &sol)).with_context(|| format!("writing {}", file.display()))?;
        }
        infeasible += usize::from(!row.feasible);
        rows.push(row);
    }
    let label = match mode {
        SearchMode::Reproducible => {
            format!("reproducible, {} generations × {} runs (seeds from {}), cap {} s", args.generations, args.runs, args.seed, args.seconds)
        }
        SearchMode::Quality => format!("quality, {} s per instance", args.seconds),
    };
    println!("## Solomon VRPTW: {label}\n\n{}\n{}", solomon::table(&rows), solomon::summary_table(&rows));
    anyhow::ensure!(infeasible == 0, "{infeasible} solution(s) failed the checker");
    Ok(())
}
