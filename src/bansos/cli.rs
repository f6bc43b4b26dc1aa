//! `sigap import targets` and `sigap generate bansos`.
// Display stays in the CLI.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use super::{demo, model, ops, store as bstore};
use crate::cli::{load_atlas, progress_bar};
use crate::store::Store;
use crate::wilayah::{rwgen, AreaCode, AtlasConfig, Level};
use clap::Args;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

#[derive(Args)]
pub struct ImportTargetsArgs {
    /// CSV with columns rw,target_kk (optional generated).
    pub file: PathBuf,
    /// Check and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Imports targets in one transaction; any bad line rejects the whole file, listing every problem.
pub async fn import_targets(store: &Store, args: ImportTargetsArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let known = |c: &AreaCode| atlas.get(c).is_some_and(|a| a.level == Level::Rw);
    let (targets, generated) = match model::parse_targets(&text, &known) {
        Ok(t) => t,
        Err(errors) => {
            for e in &errors {
                eprintln!("  {e}");
            }
            anyhow::bail!("import rejected: {} problem(s) in {}; nothing was changed", errors.len(), args.file.display());
        }
    };
    let total: u64 = targets.iter().map(|t| u64::from(t.target_kk)).sum();
    if args.dry_run {
        println!("dry run: {} RW targets, {total} KK; nothing written", targets.len());
        return Ok(());
    }
    let pb = progress_bar(targets.len() as u64, "menyimpan target");
    let mut tx = bstore::begin_write(store).await?;
    let actor = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
    let stats = ops::import_targets(&mut tx, &targets, generated, &actor, &|n| pb.set_position(n as u64)).await.map_err(|e| anyhow::anyhow!("import rejected: {e}; nothing was changed"))?;
    tx.commit().await?;
    pb.finish_and_clear();
    println!(
        "targets: {} rows, {} KK; {} created, {} updated, {} unchanged ({})",
        stats.rows, stats.total_kk, stats.created, stats.updated, stats.unchanged, store.kind()
    );
    Ok(())
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Population per kelurahan (year,city,district,subdistrict,population,…).
    #[arg(long, default_value = "data/penduduk/jakarta_population_density.csv")]
    pub population: PathBuf,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Directory for bansos_targets.csv, bansos_deliveries.csv, bansos_handouts.csv.
    #[arg(long, default_value = "data/demo")]
    pub out_dir: PathBuf,
}

/// Writes the demo files from the kelurahan and RW in the store.
pub async fn generate(store: &Store, args: GenerateArgs) -> anyhow::Result<()> {
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let kelurahan = atlas.list(Level::Kelurahan, None);
    anyhow::ensure!(!kelurahan.is_empty(), "no kelurahan in the store; run `sigap init` first");
    let kec_names: HashMap<AreaCode, String> = atlas.list(Level::Kecamatan, None).into_iter().map(|a| (a.code.clone(), a.name.clone())).collect();
    let table = rwgen::read_population(&std::fs::read_to_string(&args.population)?)?;
    let (pop, missing) = rwgen::population_by_code(&kelurahan, &kec_names, &table);
    let pop: BTreeMap<AreaCode, u64> = pop.into_iter().collect();
    let mut rws: BTreeMap<AreaCode, Vec<AreaCode>> = BTreeMap::new();
    for rw in atlas.list(Level::Rw, None) {
        if let Some(p) = &rw.parent {
            rws.entry(p.clone()).or_default().push(rw.code.clone());
        }
    }
    let d = demo::generate(&pop, &rws, args.seed)?;
    demo::check(&d).map_err(|e| anyhow::anyhow!("generated demo breaks the rules: {e}"))?;
    let (t, dl, h) = demo::to_csv(&d);
    std::fs::create_dir_all(&args.out_dir)?;
    std::fs::write(args.out_dir.join("bansos_targets.csv"), t)?;
    std::fs::write(args.out_dir.join("bansos_deliveries.csv"), dl)?;
    std::fs::write(args.out_dir.join("bansos_handouts.csv"), h)?;
    let served: u64 = d.handouts.iter().map(|h| u64::from(h.kk_served)).sum();
    println!(
        "GENERATED bansos demo (seed {}): {} RW targets = {} KK, {} deliveries, {} hand-outs ({served} KK served) in {}; population unmatched for {:?}",
        args.seed,
        d.targets.len(),
        demo::TOTAL_KK,
        d.deliveries.len(),
        d.handouts.len(),
        args.out_dir.display(),
        missing
    );
    Ok(())
}
