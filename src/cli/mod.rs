//! Command line: set-up, import, serve. Long work shows a progress bar and ends with a summary.
// The CLI is where sigap prints (lib code reports through callbacks and return values).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod boundaries;
pub mod prepare;
pub mod token;

use crate::api::{self, AppState, Config};
use crate::store::Store;
use crate::wilayah::{Atlas, AtlasConfig, AtlasHandle, Level};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "sigap", version, about = "Spatial backbone of DKI Jakarta's crisis response")]
pub struct Cli {
    /// Store: a GeoPackage path (embedded default) or postgres://… for PostGIS.
    #[arg(long, env = "DATABASE_URL", default_value = "var/sigap.gpkg", global = true)]
    pub database_url: String,
    /// Directory of the shipped data (boundaries, demo layers).
    #[arg(long, env = "SIGAP_DATA", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create the store and load the shipped Jakarta data (idempotent: unchanged areas are skipped).
    Init,
    /// Serve the HTTP API, tiles and the web map.
    Serve(ServeArgs),
    /// Import a layer, with a validation report; a rejected import changes nothing.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Generate demo data (labelled as generated everywhere).
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Complaints (CRM): bulk import.
    #[command(subcommand)]
    Complaints(ComplaintsCommand),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// KSBB UMKM: UMKM target data, the site layer (lokbin, loksem, promosi), collaborators, Konfirmasi.
    #[command(subcommand)]
    Ksbb(crate::ksbb::cli::KsbbCommand),
    /// Locate one point from the command line: `sigap locate 106.8272 -6.1754` (longitude first).
    // Every Jakarta latitude is negative: read `-6.1754` as a number, not as a flag.
    #[command(allow_negative_numbers = true)]
    Locate {
        /// Longitude, WGS84 degrees (Jakarta ≈ 106.7 … 107.0).
        lon: f64,
        /// Latitude, WGS84 degrees (Jakarta ≈ -6.4 … -6.1; negative south of the equator).
        lat: f64,
    },
    /// Plan truck routes day by day from the warehouses to the RW drop points.
    Plan(Box<crate::planner::cli::PlanArgs>),
    /// Solve Solomon/Homberger VRPTW instances, check them independently, compare with the best known.
    Solomon(crate::planner::cli::SolomonArgs),
    /// Logistics (Kepgub 659/2020): catalog import, listings.
    #[command(subcommand)]
    Logistik(crate::logistics::cli::LogistikCommand),
    /// Recipients (penerima bansos) by name: import, matching, quotas, eligibility, keys.
    #[command(subcommand)]
    Recipients(crate::recipients::cli::RecipientsCommand),
    /// Prepare a shipped layer from its raw source (data-preparation time, not `sigap init`).
    #[command(subcommand)]
    Prepare(PrepareCommand),
}

#[derive(Subcommand)]
pub enum PrepareCommand {
    /// The RW layer from a named RW source: crosswalk, labels, merge, repair, fit to the kelurahan.
    Rw(prepare::PrepareRwArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on; when 8080 is taken pick another, e.g. `--bind 127.0.0.1:8081`
    /// (`0.0.0.0:8080` listens on every interface).
    #[arg(long, env = "SIGAP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    #[command(flatten)]
    pub atlas: AtlasArgs,
    /// Tile URL template for the web map; point it at martin with http://host:3000/{layer}/{z}/{x}/{y}
    #[arg(long, env = "SIGAP_TILE_URL", default_value = "/tiles/{layer}/{z}/{x}/{y}.mvt")]
    pub tile_url: String,
    /// Optional online raster basemap: a tile URL template such as
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png` (none by default: the map works offline).
    #[arg(long, env = "SIGAP_BASEMAP")]
    pub basemap: Option<String>,
    /// Directory of the web map served at `/` (index.html, app.js and its npm packages from
    /// `scripts/web-setup.sh`).
    #[arg(long, env = "SIGAP_WEB_DIR", default_value = "web")]
    pub web_dir: PathBuf,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// How often (ms) to poll the store's boundaries revision, so edits made by other sigap
    /// processes on the same PostGIS (or a CLI import) reach this one's atlas and tiles.
    #[arg(long, env = "SIGAP_ATLAS_POLL_MS", default_value_t = Config::default().atlas_poll_ms)]
    pub atlas_poll_ms: u64,
}

#[derive(Args, Clone, Copy)]
pub struct AtlasArgs {
    /// Metres within which a point in no kelurahan is assigned to the nearest (`gap`), beyond it is `outside`.
    #[arg(long, env = "SIGAP_GAP_TOLERANCE_M", default_value_t = AtlasConfig::default().gap_tolerance_m)]
    pub gap_tolerance_m: f64,
    /// Metres from another kelurahan at which a point is flagged `near_boundary`.
    #[arg(long, env = "SIGAP_NEAR_BOUNDARY_M", default_value_t = AtlasConfig::default().near_boundary_m)]
    pub near_boundary_m: f64,
}

impl AtlasArgs {
    pub fn config(self) -> AtlasConfig {
        AtlasConfig { gap_tolerance_m: self.gap_tolerance_m, near_boundary_m: self.near_boundary_m }
    }
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Boundaries from GeoJSON or GeoPackage.
    Boundaries(boundaries::ImportArgs),
    /// Bansos targets per RW from CSV (`rw,target_kk`); all-or-nothing with a report of bad lines.
    Targets(crate::bansos::cli::ImportTargetsArgs),
}

#[derive(Subcommand)]
pub enum ComplaintsCommand {
    /// Route and store complaints from CSV or GeoJSON, with a progress bar and a summary of reasons.
    Import(crate::complaints::cli::ImportArgs),
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Monthly complaints report per unit (Pergub 39/2019 art. 11).
    Complaints(crate::complaints::cli::ReportArgs),
    /// Logistics report of a period: availability, receipt and distribution per item, gudang,
    /// kota and unit (Kepgub 659/2020), as JSON, CSV or XLSX.
    Logistics(crate::logistics::cli::LaporanArgs),
}

#[derive(Subcommand)]
pub enum GenerateCommand {
    /// The demo RW layer: cells inside each kelurahan, count from 2024 population.
    Rw(boundaries::GenerateRwArgs),
    /// The bansos demo: targets summing to 1.194.633 KK and a partial delivery history.
    Bansos(crate::bansos::cli::GenerateArgs),
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
pub fn progress_bar(len: u64, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:24} [{bar:40}] {pos}/{len} {elapsed}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(msg.to_string());
    pb
}

/// `Atlas::load` with the CLI's error context; the server loads through the same function.
pub async fn load_atlas(store: &Store, config: AtlasConfig) -> anyhow::Result<Atlas> {
    Atlas::load(store, config).await.context("loading boundaries")
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Benchmarks need no store: do not create one.
    if let Command::Solomon(args) = cli.command {
        return tokio::task::spawn_blocking(move || crate::planner::cli::run_solomon(args)).await?;
    }
    let store = Store::open(&cli.database_url).await.with_context(|| format!("opening store {}", cli.database_url))?;
    let result = dispatch(cli, &store).await;
    store.close().await;
    result
}

async fn dispatch(cli: Cli, store: &Store) -> anyhow::Result<()> {
    match cli.command {
        Command::Init => boundaries::init(store, &cli.data_dir).await,
        Command::Import(ImportCommand::Boundaries(args)) => boundaries::import_cmd(store, args).await,
        Command::Generate(GenerateCommand::Rw(args)) => boundaries::generate_rw(store, args).await,
        Command::Import(ImportCommand::Targets(args)) => crate::bansos::cli::import_targets(store, args).await,
        Command::Generate(GenerateCommand::Bansos(args)) => crate::bansos::cli::generate(store, args).await,
        Command::Token(cmd) => token::run(store, cmd).await,
        Command::Locate { lon, lat } => {
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            println!("{}", serde_json::to_string_pretty(&atlas.locate(lon, lat)?)?);
            Ok(())
        }
        Command::Serve(args) => serve(store.clone(), &cli.data_dir, args).await,
        Command::Prepare(PrepareCommand::Rw(args)) => prepare::prepare_rw(store, args).await,
        Command::Plan(args) => crate::planner::cli::run(store, &cli.data_dir, *args).await,
        Command::Solomon(_) => anyhow::bail!("sigap solomon runs without a store (see run)"),
        Command::Recipients(cmd) => crate::recipients::cli::run(store, cmd).await,
        Command::Complaints(ComplaintsCommand::Import(args)) => {
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            crate::complaints::cli::import_cmd(store, &atlas, args).await
        }
        Command::Logistik(cmd) => crate::logistics::cli::run(store, cmd).await,
        Command::Ksbb(cmd) => crate::ksbb::cli::run(store, cmd).await,
        Command::Report(ReportCommand::Complaints(args)) => {
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            crate::complaints::cli::report_cmd(store, &atlas, args).await
        }
        Command::Report(ReportCommand::Logistics(args)) => {
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            crate::logistics::cli::laporan_cmd(store, &atlas, args).await
        }
    }
}

async fn serve(store: Store, data_dir: &std::path::Path, args: ServeArgs) -> anyhow::Result<()> {
    let config = Config {
        atlas: args.atlas.config(),
        body_limit: args.body_limit,
        web_dir: args.web_dir,
        tile_url: args.tile_url,
        basemap: args.basemap,
        atlas_poll_ms: args.atlas_poll_ms,
        roads: Some(data_dir.join("roads/jakarta_roads.geojson")),
        roads_cache: Some(PathBuf::from("var/cache/roads")),
        ..Config::default()
    };
    let atlas = load_atlas(&store, config.atlas).await?;
    if atlas.len(Level::Kelurahan) == 0 {
        tracing::warn!("no kelurahan loaded; run `sigap init` to load the shipped Jakarta boundaries");
    }
    tracing::info!(
        kota = atlas.len(Level::Kota),
        kecamatan = atlas.len(Level::Kecamatan),
        kelurahan = atlas.len(Level::Kelurahan),
        rw = atlas.len(Level::Rw),
        store = store.kind(),
        "atlas loaded"
    );
    // A plan job runs inside this process, so one left queued/running by an earlier process
    // will never finish: say so instead of letting a client poll it forever.
    let interrupted = crate::planner::store::fail_interrupted(&store).await?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "plan jobs cut off by a restart marked failed");
    }
    let state = AppState::new(store, AtlasHandle::new(atlas), Arc::new(config));
    crate::logistics::peta::refresh(&state.store, &state.tiles).await;
    let sync = state.spawn_atlas_sync();
    // Read the roads and index the atlas for tiles in the background, before the first visitor.
    let warm = state.tiles.clone();
    tokio::task::spawn_blocking(move || warm.warm_basemap());
    let app = api::router(state);
    let listener = tokio::net::TcpListener::bind(&args.bind).await.with_context(|| format!("binding {}", args.bind))?;
    // The bound address, not the requested one: `--bind 127.0.0.1:0` picks a free port.
    let addr = listener.local_addr().with_context(|| format!("reading the address bound for {}", args.bind))?;
    tracing::info!("sigap listening on http://{addr}");
    // With the peer address, for the per-client photo upload limit (behind a proxy: the proxy's).
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    sync.abort();
    // The caller (`run`) closes the pool once this returns: every in-flight request has been
    // answered by then, so nothing is cut off mid-transaction.
    tracing::info!("sigap stopped: in-flight requests answered");
    Ok(())
}

/// Resolves on SIGTERM (what systemd, Kubernetes and `kill` send) or Ctrl-C. axum then stops
/// accepting connections, lets in-flight requests finish and closes idle keep-alive ones.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    let which = tokio::select! {
        _ = ctrl_c => "Ctrl-C",
        _ = term => "SIGTERM",
    };
    tracing::info!(signal = which, "shutting down: finishing in-flight requests");
}
