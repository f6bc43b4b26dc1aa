//! `sigap prepare rw`: turns a named RW layer (the 2012 RW layer of mainland Jakarta) into the
//! coded, fitted RW layer `sigap init` loads (`data/wilayah/rw.geojson`), with its report.
//!
//! The heavy work (crosswalk, merge, repair, conflation with the kelurahan) runs here, once, at
//! data-preparation time; `sigap init` then imports the result through the normal importer like
//! any other layer, so its cost stays that of an import. A newer official RW layer that carries
//! codes needs no preparation: `sigap import boundaries FILE --level rw --fit-to-parent`.

use super::{load_atlas, progress_bar};
use crate::store::Store;
use crate::wilayah::fit::{self, FitReport};
use crate::wilayah::geojson_io::{self, RawFeature};
use crate::wilayah::import::{self, ImportOptions, Report};
use crate::wilayah::rwsource::{self, Fields, SourceReport};
use crate::wilayah::{Area, AreaCode, Atlas, AtlasConfig, Level};
use anyhow::Context;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct PrepareRwArgs {
    /// The named RW layer (GeoJSON, WGS84) with kota/kecamatan/kelurahan names and RW labels.
    #[arg(long, default_value = "data/wilayah/rw-2012/rw_jakarta.geojson")]
    pub source: PathBuf,
    /// Reviewed name → code table (kab_name,kec_name,kel_name,kode,reason).
    #[arg(long, default_value = "data/wilayah/rw-crosswalk.csv")]
    pub crosswalk: PathBuf,
    /// Generated RW kept for the kelurahan the source does not cover (`sigap generate rw`).
    #[arg(long, default_value = "data/demo/rw.geojson")]
    pub generated: PathBuf,
    #[arg(long, default_value = "data/wilayah/rw.geojson")]
    pub out: PathBuf,
    #[arg(long, default_value = "data/wilayah/rw-import-report.md")]
    pub report: PathBuf,
    /// Population per kelurahan (year,city,district,subdistrict,population,…), split equally over
    /// each kelurahan's RW as `penduduk_perkiraan` (the planner's default stop weights).
    #[arg(long, default_value = "data/penduduk/jakarta_population_density.csv")]
    pub population: PathBuf,
    /// How the source is credited (the layer's description and the report).
    #[arg(long, default_value = SOURCE_2012)]
    pub source_note: String,
    /// Source key written on every real RW feature (`sumber`), stored per RW and carried by the
    /// API, the OGC collection and the tiles.
    #[arg(long, default_value = SOURCE_2012_KEY)]
    pub source_key: String,
    /// Year of the source, written on every real RW feature (`tahun`).
    #[arg(long, default_value_t = 2012)]
    pub year: i32,
}

/// How the 2012 layer is credited on every feature it gave (see data/wilayah/rw-2012/SOURCE.md).
pub const SOURCE_2012: &str = "RW Jakarta c. 2012 (InaSAFE data, source given as OpenStreetMap, ODbL; unverified)";
/// The source key of the 2012 layer (`sumber` of every real RW).
pub const SOURCE_2012_KEY: &str = "inasafe-osm-2012";

fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

pub async fn prepare_rw(store: &Store, args: PrepareRwArgs) -> anyhow::Result<()> {
    let source_key = import::check_source(&args.source_key).map_err(|e| anyhow::anyhow!("--source-key: {e}"))?;
    let year = import::check_year(args.year.into()).map_err(|e| anyhow::anyhow!("--year: {e}"))?;
    let stored = load_atlas(store, AtlasConfig::default()).await?;
    anyhow::ensure!(stored.len(Level::Kelurahan) > 0, "no kelurahan in the store; run `sigap init` first");
    // The RW being replaced play no part: fit and check against kota, kecamatan and kelurahan.
    let parents = Atlas::new(stored.all().iter().filter(|a| a.level != Level::Rw).cloned().collect(), AtlasConfig::default());
    let text = std::fs::read_to_string(&args.source).with_context(|| format!("reading {}", args.source.display()))?;
    let features = geojson_io::read_features(&text).with_context(|| format!("reading {}", args.source.display()))?;
    let crosswalk = rwsource::read_crosswalk(&std::fs::read_to_string(&args.crosswalk).with_context(|| format!("reading {}", args.crosswalk.display()))?)
        .map_err(anyhow::Error::msg)?;
    let (real, source) = rwsource::assemble(features, &Fields::default(), &parents, &crosswalk);
    if !source.ok() {
        for r in &source.refused {
            println!("REFUSED: {r}");
        }
        anyhow::bail!("the RW layer was refused ({} problem(s)); nothing was written", source.refused.len());
    }
    let pb = progress_bar(0, "menyesuaikan RW");
    let progress = |stage: &str, done: usize, total: usize| {
        pb.set_message(stage.to_string());
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    };
    let started = std::time::Instant::now();
    let (mut fitted, fit) = fit::fit_to_parent(real, &parents, &progress);
    for a in &mut fitted {
        a.source = Some(source_key.clone());
        a.year = Some(year);
    }

    let fit_secs = started.elapsed().as_secs_f64();
    let with_real: BTreeSet<AreaCode> = fitted.iter().filter_map(|a| a.parent.clone()).collect();
    let gen_text = std::fs::read_to_string(&args.generated).with_context(|| format!("reading {}", args.generated.display()))?;
    let mut generated = Vec::new();
    for f in geojson_io::read_features(&gen_text)? {
        let code = f.properties.get("kode").and_then(|v| v.as_str()).map(AreaCode::parse).transpose()?;
        let (Some(code), Ok(g)) = (code, f.geometry) else { anyhow::bail!("{}: feature {} has no kode or geometry", args.generated.display(), f.index) };
        if code.parent().is_some_and(|p| !with_real.contains(&p)) {
            generated.push(Area { name: format!("RW {}", code.as_str().rsplit('.').next().unwrap_or("")), level: Level::Rw, parent: code.parent(), code, geometry: g, generated: true, source: Some(import::SOURCE_GENERATED.into()), year: None });
        }
    }
    // Coordinates are written at full precision: rounding them (even to 1e-7°, ≈ 1 cm) folds the
    // hair-thin slivers the fit hands to neighbours into self-intersections (1,391 invalid RW
    // measured), which the importer would then have to repair on every `sigap init`.
    let mut all: Vec<Area> = fitted.into_iter().chain(generated).collect();
    all.sort_by(|a, b| a.code.cmp(&b.code));
    let mut fc = geojson_io::areas_collection(all.iter(), "rw");
    if let Some(fm) = fc.foreign_members.as_mut() {
        fm.insert(
            "description".into(),
            format!("RW of DKI Jakarta: real RW ({}) fitted to the 2025 kelurahan where the source has them, generated RW (`generated: true`) elsewhere; made by `sigap prepare rw`, see rw-import-report.md", args.source_note).into(),
        );
    }
    let kelurahan = parents.list(Level::Kelurahan, None);
    let kec_names: std::collections::HashMap<AreaCode, String> = parents.list(Level::Kecamatan, None).into_iter().map(|a| (a.code.clone(), a.name.clone())).collect();
    let table = crate::wilayah::rwgen::read_population(&std::fs::read_to_string(&args.population).with_context(|| format!("reading {}", args.population.display()))?)?;
    let (population, _) = crate::wilayah::rwgen::population_by_code(&kelurahan, &kec_names, &table);
    let mut siblings: BTreeMap<&AreaCode, u64> = BTreeMap::new();
    for a in &all {
        if let Some(p) = &a.parent {
            *siblings.entry(p).or_default() += 1;
        }
    }
    for (f, a) in fc.features.iter_mut().zip(&all) {
        if let Some(p) = f.properties.as_mut() {
            if let Some(k) = &a.parent {
                let share = population.get(k).copied().unwrap_or(0) as f64 / siblings.get(k).copied().unwrap_or(1).max(1) as f64;
                p.insert("penduduk_perkiraan".into(), (share.round() as u64).into());
            }
        }
    }
    let out_text = serde_json::to_string(&fc)?;
    // Check the layer as `sigap init` will read it, before anything is written.
    let check: Vec<RawFeature> = geojson_io::read_features(&out_text)?;
    let (_, import_report) = import::validate(check, &ImportOptions::new(Level::Rw), &parents, &progress);
    pb.finish_and_clear();
    if !import_report.ok() {
        print!("{}", import_report.render());
        anyhow::bail!("the prepared RW layer does not pass the importer; nothing was written");
    }
    let md = render_report(&args, &parents, &all, &source, &fit, &import_report, fit_secs);
    write_atomic(&args.out, &out_text)?;
    write_atomic(&args.report, &md)?;
    let real_n = all.iter().filter(|a| !a.generated).count();
    println!(
        "{} RW written to {} ({} real in {} kelurahan, {} generated); fit {:.1} s; report {}",
        all.len(),
        args.out.display(),
        real_n,
        with_real.len(),
        all.len() - real_n,
        fit_secs,
        args.report.display()
    );
    Ok(())
}

fn render_report(args: &PrepareRwArgs, parents: &Atlas, all: &[Area], src: &SourceReport, fit: &FitReport, import: &Report, fit_secs: f64) -> String {
    let mut s = String::new();
    let real: Vec<&Area> = all.iter().filter(|a| !a.generated).collect();
    let kel_real: BTreeSet<&AreaCode> = real.iter().filter_map(|a| a.parent.as_ref()).collect();
    let mut per_kel: BTreeMap<&AreaCode, (usize, usize)> = BTreeMap::new();
    for a in all {
        if let Some(p) = &a.parent {
            let e = per_kel.entry(p).or_default();
            if a.generated { e.1 += 1 } else { e.0 += 1 }
        }
    }
    let _ = writeln!(s, "# Import report of the RW layer\n");
    let _ = writeln!(
        s,
        "Made by `sigap prepare rw` (source `{}`, crosswalk `{}`, generated RW from `{}`) on a store loaded by `sigap init`; \
         `sigap init` loads the result, `{}`, through the normal importer. Areas in m² on the local equirectangular projection \
         around Jakarta (as in `import-report.md`). Source: {}, year {}.\n",
        args.source.display(), args.crosswalk.display(), args.generated.display(), args.out.display(), args.source_note, args.year
    );
    let _ = writeln!(s, "## Summary\n");
    let _ = writeln!(s, "- source polygons: {}; RW written: {} real in {} kelurahan, {} generated in {} kelurahan (Kepulauan Seribu and mainland kelurahan without real RW)", src.features, real.len(), kel_real.len(), all.len() - real.len(), per_kel.len() - kel_real.len());
    let exact = src.names.iter().filter(|n| n.how == "exact").count();
    let _ = writeln!(s, "- kelurahan name triples: {} ({} exact after normalisation, {} through the reviewed crosswalk, {} unmatched)", src.names.len(), exact, src.names.len() - exact - src.unmatched().count(), src.unmatched().count());
    let _ = writeln!(s, "- polygons left out: {} ({} blank labels, {} unparseable labels); their ground is filled by neighbours or reported unassigned", src.dropped.len(), src.dropped.iter().filter(|d| d.reason.starts_with("blank")).count(), src.dropped.iter().filter(|d| !d.reason.starts_with("blank")).count());
    let _ = writeln!(s, "- multi-part RW merged into one MultiPolygon: {} RW from {} polygons", src.merged.len(), src.merged.iter().map(|m| m.parts).sum::<usize>());
    let _ = writeln!(s, "- invalid polygons repaired (MakeValid): {}", src.repaired.len());
    let moved: f64 = fit.kelurahan.iter().map(|k| k.moved_m2()).sum();
    let area: f64 = fit.kelurahan.iter().map(|k| k.area_m2).sum();
    let _ = writeln!(s, "- fit to the kelurahan: {:.0} m² moved over {:.0} m² of kelurahan with real RW ({:.1} %): clipped {:.0}, sibling overlaps removed {:.0}, filled {:.0} in {} parts ({} slivers < {:.0} m²)",
        moved, area, 100.0 * moved / area.max(1.0),
        fit.kelurahan.iter().map(|k| k.clipped_m2).sum::<f64>(), fit.kelurahan.iter().map(|k| k.overlap_m2).sum::<f64>(),
        fit.kelurahan.iter().map(|k| k.filled_m2).sum::<f64>(), fit.kelurahan.iter().map(|k| k.fill_parts).sum::<usize>(),
        fit.kelurahan.iter().map(|k| k.slivers).sum::<usize>(), fit::SLIVER_PART_M2);
    let _ = writeln!(s, "- tolerance: after the fit the RW of a kelurahan overlap by construction by nothing and leave at most {:.0} m² uncovered besides the unassigned parts; worst residual gap measured: {:.2} m²", fit::FIT_TOLERANCE_M2, fit.worst_residual_gap_m2());
    let _ = writeln!(s, "- unassigned (uncovered parts > {:.0} m², left without RW): {} parts, {:.0} m²", fit::LARGE_GAP_M2, fit.unassigned.len(), fit.unassigned.iter().map(|u| u.area_m2).sum::<f64>());
    let _ = writeln!(s, "- RW mostly (> {:.0} %) outside the kelurahan their names say: {} (reported, clipped to their own kelurahan, not moved); emptied by the clip: {}", 100.0 * (1.0 - fit::ELSEWHERE_SHARE), fit.elsewhere.len(), fit.emptied.len());
    let _ = writeln!(s, "- fit time: {fit_secs:.1} s (once, here; `sigap init` only imports the result)\n");
    let _ = writeln!(s, "## Names matched through the crosswalk\n");
    let _ = writeln!(s, "| kota | kecamatan | kelurahan (source) | polygons | 2025 code | reason |\n|---|---|---|---:|---|---|");
    for n in src.names.iter().filter(|n| n.how != "exact") {
        let _ = writeln!(s, "| {} | {} | {} | {} | {} | {} |", n.kota, n.kecamatan, n.kelurahan, n.polygons, n.kode.as_deref().unwrap_or("UNMATCHED"), n.how.trim_start_matches("crosswalk: "));
    }
    if !src.unused_crosswalk.is_empty() {
        let _ = writeln!(s, "\nCrosswalk rows no feature used: {}", src.unused_crosswalk.join("; "));
    }
    let _ = writeln!(s, "\n## Polygons left out\n\n| source OBJECTID | kelurahan | reason |\n|---|---|---|");
    for d in &src.dropped {
        let _ = writeln!(s, "| {} | {} | {} |", d.id, d.kode.as_deref().unwrap_or("-"), d.reason);
    }
    let _ = writeln!(s, "\n## Repaired\n");
    for r in &src.repaired {
        let _ = writeln!(s, "- OBJECTID {} ({}): {} — area change {:.0} m²", r.id, r.kode, r.problem, r.area_change_m2);
    }
    let _ = writeln!(s, "\n## Multi-part RW merged\n");
    let _ = writeln!(s, "{}", src.merged.iter().map(|m| format!("{} ({} parts)", m.kode, m.parts)).collect::<Vec<_>>().join(", "));
    let _ = writeln!(s, "\n## RW mostly outside their named kelurahan\n\n| RW | share inside own kelurahan | mostly in | share there |\n|---|---:|---|---:|");
    for e in &fit.elsewhere {
        let _ = writeln!(s, "| {} | {:.0} % | {} | {:.0} % |", e.rw, 100.0 * e.own_share, e.mostly_in.as_deref().unwrap_or("-"), 100.0 * e.share);
    }
    if !fit.emptied.is_empty() {
        let _ = writeln!(s, "\nEmptied by the clip (nothing inside their kelurahan; not written): {}", fit.emptied.join(", "));
    }
    let _ = writeln!(s, "\n## Unassigned ground (no RW)\n\n| kelurahan | m² | point inside (lon, lat) |\n|---|---:|---|");
    for u in &fit.unassigned {
        let _ = writeln!(s, "| {} | {:.0} | {:.5}, {:.5} |", u.kelurahan, u.area_m2, u.at.0, u.at.1);
    }
    let _ = writeln!(s, "\n## Per kelurahan\n");
    let _ = writeln!(s, "`moved` = clipped + sibling overlap removed + filled, and its share of the kelurahan area. `source names` are the (kecamatan / kelurahan) of the source polygons.\n");
    let _ = writeln!(s, "| kode | kelurahan | RW | kind | moved m² | moved % | fill parts | slivers | unassigned m² | source names |\n|---|---|---:|---|---:|---:|---:|---:|---:|---|");
    let fits: BTreeMap<&str, &fit::KelurahanFit> = fit.kelurahan.iter().map(|k| (k.kode.as_str(), k)).collect();
    for k in parents.list(Level::Kelurahan, None) {
        let (r, g) = per_kel.get(&k.code).copied().unwrap_or_default();
        let names: Vec<String> = src.names.iter().filter(|n| n.kode.as_deref() == Some(k.code.as_str())).map(|n| format!("{} / {}", n.kecamatan, n.kelurahan)).collect();
        match fits.get(k.code.as_str()) {
            Some(f) => {
                let _ = writeln!(s, "| {} | {} | {} | real {} | {:.0} | {:.1} | {} | {} | {:.0} | {} |", k.code, k.name, r, args.year, f.moved_m2(), 100.0 * f.moved_m2() / f.area_m2.max(1.0), f.fill_parts, f.slivers, f.unassigned_m2, names.join("; "));
            }
            None => {
                let _ = writeln!(s, "| {} | {} | {} | generated | | | | | | {} |", k.code, k.name, g, if names.is_empty() { "not in the source".to_string() } else { names.join("; ") });
            }
        }
    }
    let _ = writeln!(s, "\n## Importer check of the written layer\n\nAs `sigap init` will see it (overlaps between RW of different kelurahan follow the kelurahan layer's own overlaps, see `import-report.md`).\n\n```\n{}```", import.render());
    s
}
