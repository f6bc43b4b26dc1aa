//! Boundary import, the shipped-data loader and the demo RW generator.

use super::{load_atlas, progress_bar};
use crate::store::boundaries::{self, UpsertStats};
use crate::store::Store;
use crate::wilayah::geojson_io::{self, RawFeature};
use crate::wilayah::import::{self, ImportOptions, Report};
use crate::wilayah::{rwgen, AreaCode, AtlasConfig, Level};
use anyhow::Context;
use clap::Args;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ImportArgs {
    /// GeoJSON (.geojson/.json) or GeoPackage (.gpkg) file.
    pub file: PathBuf,
    #[arg(long)]
    pub level: Level,
    /// Property holding the Kemendagri code.
    #[arg(long, default_value = "kode")]
    pub code_field: String,
    /// Property holding the area name.
    #[arg(long, default_value = "nama")]
    pub name_field: String,
    /// GeoPackage layer (table) to read; default: the level name.
    #[arg(long)]
    pub layer: Option<String>,
    /// Mark the layer as generated (demo data). Features with `"generated": true` are marked
    /// generated either way.
    #[arg(long)]
    pub generated: bool,
    /// Fit each area to its parent before checking it (RW layers from another source than the
    /// kelurahan): clip to the parent, hand uncovered ground up to 2 ha to the sibling sharing the
    /// longest edge, report larger holes as unassigned and areas lying mostly in another parent.
    #[arg(long)]
    pub fit_to_parent: bool,
    /// Source key stored on every feature without a `sumber` property of its own (e.g.
    /// `dukcapil-2025`; a–z, 0–9, '-', '_', '.'); generated features default to `generated`.
    #[arg(long)]
    pub source: Option<String>,
    /// Year the source describes, stored on every feature without a `tahun` property.
    #[arg(long)]
    pub year: Option<i32>,
    /// Also write the report as JSON to this path.
    #[arg(long)]
    pub report_json: Option<PathBuf>,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {0}: {1}")]
    Read(String, String),
    #[error("import rejected: {} feature(s) failed validation; nothing was changed", .0.rejected.len())]
    Rejected(Box<Report>),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Reads features from a GeoJSON or GeoPackage file.
pub async fn read_file(path: &Path, layer: &str, code_field: &str, name_field: &str) -> Result<Vec<RawFeature>, ImportError> {
    let shown = path.display().to_string();
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gpkg")) {
        return read_gpkg(path, layer, code_field, name_field).await.map_err(|e| ImportError::Read(shown, e));
    }
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::Read(shown.clone(), e.to_string()))?;
    geojson_io::read_features(&text).map_err(|e| ImportError::Read(shown, e.to_string()))
}

async fn read_gpkg(path: &Path, layer: &str, code_field: &str, name_field: &str) -> Result<Vec<RawFeature>, String> {
    use sqlx::Row;
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.map_err(|e| e.to_string())?;
    let geom_col: String = sqlx::query("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = $1")
        .bind(layer)
        .fetch_optional(&pool)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no feature layer `{layer}` in the GeoPackage (use --layer)"))?
        .try_get(0)
        .map_err(|e| e.to_string())?;
    let srs: i64 = sqlx::query("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = $1")
        .bind(layer)
        .fetch_one(&pool)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| e.to_string())?;
    if srs != 4326 {
        return Err(format!("layer `{layer}` is in srs {srs}; boundaries must be EPSG:4326 (ogr2ogr -t_srs EPSG:4326)"));
    }
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let sql = format!("SELECT CAST({} AS TEXT) AS kode, CAST({} AS TEXT) AS nama, {} AS geom FROM {}", q(code_field), q(name_field), q(&geom_col), q(layer));
    let rows = sqlx::query(&sql).fetch_all(&pool).await.map_err(|e| e.to_string())?;
    pool.close().await;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut properties = geojson::JsonObject::new();
            if let Ok(Some(k)) = r.try_get::<Option<String>, _>("kode") {
                properties.insert(code_field.into(), k.into());
            }
            if let Ok(Some(n)) = r.try_get::<Option<String>, _>("nama") {
                properties.insert(name_field.into(), n.into());
            }
            let geometry = r
                .try_get::<Vec<u8>, _>("geom")
                .map_err(|e| e.to_string())
                .and_then(|b| crate::store::geom::from_gpkg(&b));
            RawFeature { index: i + 1, properties, geometry }
        })
        .collect())
}

/// Validates and stores a layer in one transaction. Returns the report and what changed.
pub async fn import_features(
    store: &Store,
    features: Vec<RawFeature>,
    opts: &ImportOptions,
    actor: &str,
    dry_run: bool,
) -> Result<(Report, UpsertStats), ImportError> {
    let existing = load_atlas(store, AtlasConfig::default()).await.map_err(|e| ImportError::Read("store".into(), e.to_string()))?;
    let pb = progress_bar(features.len() as u64, "memeriksa");
    let progress = |stage: &str, done: usize, total: usize| {
        pb.set_message(stage.to_string());
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    };
    let (areas, report) = import::validate(features, opts, &existing, &progress);
    pb.finish_and_clear();
    if !report.ok() {
        return Err(ImportError::Rejected(Box::new(report)));
    }
    if dry_run {
        return Ok((report, UpsertStats::default()));
    }
    let pb = progress_bar(areas.len() as u64, "menyimpan");
    let mut tx = store.begin().await?;
    let stats = boundaries::upsert(&mut tx, &areas, actor, &|n| pb.set_position(n as u64)).await?;
    tx.commit().await?;
    pb.finish_and_clear();
    Ok((report, stats))
}

pub async fn import_path(store: &Store, path: &Path, opts: &ImportOptions, actor: &str) -> Result<(Report, UpsertStats), ImportError> {
    let features = read_file(path, opts.level.as_str(), &opts.code_field, &opts.name_field).await?;
    import_features(store, features, opts, actor, false).await
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub async fn import_cmd(store: &Store, args: ImportArgs) -> anyhow::Result<()> {
    // Checked once here, so a bad flag is one message rather than one rejection per feature.
    let source = args.source.as_deref().map(import::check_source).transpose().map_err(|e| anyhow::anyhow!("--source: {e}"))?;
    let year = args.year.map(|y| import::check_year(y.into())).transpose().map_err(|e| anyhow::anyhow!("--year: {e}"))?;
    let opts = ImportOptions {
        level: args.level,
        code_field: args.code_field.clone(),
        name_field: args.name_field.clone(),
        generated: args.generated,
        fit_to_parent: args.fit_to_parent,
        diagnostics: true,
        source,
        year,
    };
    let layer = args.layer.clone().unwrap_or_else(|| args.level.as_str().to_string());
    let features = read_file(&args.file, &layer, &args.code_field, &args.name_field).await?;
    let result = import_features(store, features, &opts, &actor(), args.dry_run).await;
    let report = match &result {
        Ok((r, _)) => r,
        Err(ImportError::Rejected(r)) => r.as_ref(),
        Err(e) => anyhow::bail!("{e}"),
    };
    print!("{}", report.render());
    if let Some(p) = &args.report_json {
        std::fs::write(p, serde_json::to_string_pretty(report)?)?;
    }
    let (_, stats) = result?;
    if args.dry_run {
        println!("dry run: nothing written");
    } else {
        println!("stored: {} created, {} updated, {} unchanged ({})", stats.created, stats.updated, stats.unchanged, store.kind());
    }
    Ok(())
}

/// The shipped layers, in load order (parents first).
pub fn shipped_layers(data: &Path) -> Vec<(Level, PathBuf, bool)> {
    vec![
        (Level::Kota, data.join("wilayah/kota.geojson"), false),
        (Level::Kecamatan, data.join("wilayah/kecamatan.geojson"), false),
        (Level::Kelurahan, data.join("wilayah/kelurahan.geojson"), false),
        (Level::Rw, data.join("wilayah/rw.geojson"), false),
    ]
}

/// How `sigap init` (and the tests) import a shipped layer: every check that can reject, but not
/// the layer-wide figures (overlaps, gaps), which `import-report.md` and `rw-import-report.md`
/// already hold and which would take most of the init time (measured in the README).
pub fn shipped_options(level: Level, generated: bool) -> ImportOptions {
    ImportOptions { generated, diagnostics: false, ..ImportOptions::new(level) }
}

/// Loads the shipped Jakarta data into the store.
pub async fn init(store: &Store, data: &Path) -> anyhow::Result<()> {
    for (level, path, generated) in shipped_layers(data) {
        let opts = shipped_options(level, generated);
        let (report, stats) = import_path(store, &path, &opts, "sigap-init").await.with_context(|| format!("importing {}", path.display()))?;
        println!(
            "{:<10} {:>5} features, {} repaired; stored {} new, {} updated, {} unchanged",
            level.as_str(),
            report.features,
            report.repaired.len(),
            stats.created,
            stats.updated,
            stats.unchanged
        );
    }
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let pb = progress_bar(0, "bansos demo");
    let loaded = crate::bansos::load_demo(store, &atlas, &|done, total| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    })
    .await
    .context("loading the bansos demo data")?;
    pb.finish_and_clear();
    match loaded {
        crate::bansos::demo::Loaded::Skipped { targets, deliveries, handouts } => {
            println!("bansos     already has data ({targets} targets, {deliveries} deliveries, {handouts} hand-outs); demo not loaded")
        }
        crate::bansos::demo::Loaded::Loaded { targets, total_kk, deliveries, handouts } => println!(
            "bansos     {targets} RW targets ({total_kk} KK), {deliveries} deliveries, {handouts} hand-outs loaded (GENERATED demo data)"
        ),
    }
    crate::complaints::load_demo(store, &atlas).await.context("loading the complaint units")?;
    let l = crate::logistics::load_demo(store, &atlas).await.context("loading the logistics demo")?;
    println!("logistik   {} barang, {} gudang, {} komitmen added (GENERATED demo; gudang positions approximate)", l.barang, l.gudang, l.komitmen);
    let today = crate::logistics::model::jakarta_today();
    let alur = crate::logistics::demo::load(store, &atlas, today).await.context("loading the logistics demo receipts and requests")?;
    if alur == Default::default() {
        println!("logistik   already has receipts or requests; demo receipts and requests not loaded");
    } else {
        let states: Vec<String> = alur.permintaan.iter().map(|(s, n)| format!("{} {n}", s.as_str())).collect();
        println!(
            "logistik   {} penerimaan, {} komitmen, {} permintaan ({}) added (GENERATED demo)",
            alur.penerimaan,
            alur.komitmen,
            alur.permintaan_total(),
            states.join(", ")
        );
    }
    let k = crate::ksbb::demo::load(store, &atlas, data, today).await.context("loading the KSBB demo sites and UMKM")?;
    if k == Default::default() {
        println!("ksbb       already has sites; demo sites and UMKM not loaded");
    } else {
        println!(
            "ksbb       {} sites (lokbin, loksem, promosi at OSM market points), {} UMKM, {} konfirmasi, {} realisasi added (GENERATED demo, not real sites)",
            k.sites, k.umkm, k.konfirmasi, k.realisasi
        );
    }
    println!("store ready: {} (run `sigap serve`)", store.kind());
    Ok(())
}

#[derive(Args)]
pub struct GenerateRwArgs {
    /// Population per kelurahan (year,city,district,subdistrict,population,…).
    #[arg(long, default_value = "data/penduduk/jakarta_population_density.csv")]
    pub population: PathBuf,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    #[arg(long, default_value = "data/demo/rw.geojson")]
    pub out: PathBuf,
}

/// Writes the demo RW layer from the kelurahan in the store.
pub async fn generate_rw(store: &Store, args: GenerateRwArgs) -> anyhow::Result<()> {
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let kelurahan = atlas.list(Level::Kelurahan, None);
    anyhow::ensure!(!kelurahan.is_empty(), "no kelurahan in the store; run `sigap init` or import kelurahan first");
    let kec_names: HashMap<AreaCode, String> =
        atlas.list(Level::Kecamatan, None).into_iter().map(|a| (a.code.clone(), a.name.clone())).collect();
    let table = rwgen::read_population(&std::fs::read_to_string(&args.population)?)?;
    let (pop, missing) = rwgen::population_by_code(&kelurahan, &kec_names, &table);
    let pb = progress_bar(kelurahan.len() as u64, "membangkitkan RW");
    let mut rws = Vec::new();
    for k in &kelurahan {
        let n = rwgen::rw_count(pop.get(&k.code).copied().unwrap_or(0));
        rws.extend(rwgen::generate_kelurahan(k, n, args.seed));
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut fc = geojson_io::areas_collection(rws.iter(), "rw_demo_generated");
    if let Some(fm) = fc.foreign_members.as_mut() {
        fm.insert(
            "description".into(),
            format!("GENERATED demo RW layer (not official): Voronoi cells inside each kelurahan, RW count = population 2024 / {}, seed {}", rwgen::PEOPLE_PER_RW, args.seed).into(),
        );
    }
    for (f, a) in fc.features.iter_mut().zip(&rws) {
        if let Some(p) = f.properties.as_mut() {
            let share = pop.get(a.parent.as_ref().unwrap_or(&a.code)).copied().unwrap_or(0) as f64;
            let siblings = rws.iter().filter(|r| r.parent == a.parent).count().max(1) as f64;
            p.insert("penduduk_perkiraan".into(), ((share / siblings).round() as u64).into());
        }
    }
    std::fs::write(&args.out, serde_json::to_string(&fc)?)?;
    println!("{} RW in {} kelurahan written to {} (seed {}); population unmatched for {:?}", rws.len(), kelurahan.len(), args.out.display(), args.seed, missing);
    Ok(())
}
