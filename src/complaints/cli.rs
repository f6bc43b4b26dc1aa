//! `sigap report complaints` and `sigap complaints import`: thin wrappers over the same `ops`
//! the HTTP handlers use.
// Display stays in the CLI.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use super::model::{Category, Channel, Intake};
use super::ops::{create, units};
use super::report::{self, Month};
use super::routing::Geotag;
use crate::store::Store;
use crate::wilayah::Atlas;
use anyhow::Context;
use chrono::Utc;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Calendar month in WIB, YYYY-MM.
    #[arg(long)]
    pub month: String,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq)]
pub enum Format {
    Csv,
    Json,
}

pub async fn report_cmd(store: &Store, atlas: &Atlas, args: ReportArgs) -> anyhow::Result<()> {
    let month = Month::parse(&args.month)?;
    let r = super::ops::report(store, atlas, month).await?;
    match args.format {
        Format::Csv => print!("{}", report::to_csv(&r)?),
        Format::Json => println!("{}", serde_json::to_string_pretty(&r)?),
    }
    Ok(())
}

/// Every row is stored with its identity `import:<batch>:<row>` (unique in the store), so running
/// the same import again (after a crash, a kill, a lost terminal) adds only the rows that were
/// not committed yet.
#[derive(clap::Args)]
#[command(after_help = "Re-running is safe: each row is stored with the identity import:<batch>:<row> (unique in the store), \
so a second run of the same file adds only the rows an interrupted run did not commit. The batch defaults to the \
file's content hash; give --batch when you fix rejected lines in place and re-run (row numbers then stay the identity).")]
pub struct ImportArgs {
    /// CSV (columns channel,category,description,lon,lat[,accuracy_m]) or GeoJSON FeatureCollection
    /// of points (properties channel, category, description).
    pub file: PathBuf,
    /// Name of this import (1..100 characters, no control characters). Rows are identified by
    /// batch and row number (CSV record number counting the header as 1, GeoJSON feature number
    /// from 1). Default: `sha256-` and the first 16 hex digits of the file's SHA-256.
    #[arg(long)]
    pub batch: Option<String>,
}

/// One input row; `line` names it in the rejection list.
struct Row {
    line: usize,
    intake: Result<Intake, String>,
}

fn parse_rows(path: &std::path::Path, text: &str) -> anyhow::Result<Vec<Row>> {
    let mk = |line: usize, ch: Option<&str>, cat: Option<&str>, desc: Option<&str>, g: Result<Option<Geotag>, String>| -> Row {
        let intake = (|| {
            let channel = match ch.map(str::trim).filter(|s| !s.is_empty()) {
                None => Channel::Import,
                Some(c) => Channel::parse(c).ok_or_else(|| format!("unknown channel {c:?}"))?,
            };
            let c = cat.map(str::trim).unwrap_or("");
            let category = Category::parse(c).ok_or_else(|| format!("unknown category {c:?}"))?;
            let description = desc.map(str::trim).filter(|d| !d.is_empty()).ok_or("description is empty")?.to_string();
            Ok(Intake { channel, category, description, reporter_contact: None, geotag: g? })
        })();
        Row { line, intake }
    };
    if path.extension().is_some_and(|e| e == "geojson" || e == "json") {
        let gj: geojson::GeoJson = text.parse().context("parsing GeoJSON")?;
        let geojson::GeoJson::FeatureCollection(fc) = gj else { anyhow::bail!("expected a FeatureCollection") };
        Ok(fc.features.iter().enumerate().map(|(i, f)| {
            let p = |k: &str| f.property(k).and_then(|v| v.as_str()).map(String::from);
            let g = match f.geometry.as_ref().map(|g| &g.value) {
                None => Ok(None),
                Some(geojson::Value::Point(c)) if c.len() >= 2 => Ok(Some(Geotag { lon: c[0], lat: c[1], accuracy_m: f.property("accuracy_m").and_then(|v| v.as_f64()) })),
                Some(_) => Err("geometry must be a Point".to_string()),
            };
            mk(i + 1, p("channel").as_deref(), p("category").as_deref(), p("description").as_deref(), g)
        }).collect())
    } else {
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
        let headers = rdr.headers()?.clone();
        let col = |n: &str| headers.iter().position(|h| h == n);
        let (ch, cat, desc, lon, lat, acc) = (col("channel"), col("category"), col("description"), col("lon"), col("lat"), col("accuracy_m"));
        let mut out = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    out.push(Row { line, intake: Err(e.to_string()) });
                    continue;
                }
            };
            let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).filter(|s| !s.is_empty());
            let num = |c: Option<usize>, name: &str| get(c).map(|v| v.parse::<f64>().map_err(|_| format!("{name}={v:?} is not a number"))).transpose();
            let g = (|| match (num(lon, "lon")?, num(lat, "lat")?) {
                (Some(lon), Some(lat)) => Ok(Some(Geotag { lon, lat, accuracy_m: num(acc, "accuracy_m")? })),
                (None, None) => Ok(None),
                _ => Err("lon and lat must both be given or both be empty".to_string()),
            })();
            out.push(mk(line, get(ch), get(cat), get(desc), g));
        }
        Ok(out)
    }
}

/// Summary of an import: counts per routing reason, the rows an earlier run of the same batch
/// had committed already, and the rejected rows.
#[derive(Debug, Default, serde::Serialize)]
pub struct ImportSummary {
    pub batch: String,
    pub imported: usize,
    pub already_imported: usize,
    pub by_reason: BTreeMap<String, usize>,
    pub rejected: Vec<(usize, String)>,
}

/// The batch name: the caller's, checked, or the file's content hash.
fn batch_name(given: Option<&str>, bytes: &[u8]) -> anyhow::Result<String> {
    use sha2::Digest;
    match given {
        Some(b) => Ok(crate::text::required("batch", b, 100)?.to_string()),
        None => Ok(format!("sha256-{:x}", sha2::Sha256::digest(bytes)).chars().take(23).collect()),
    }
}

/// What every stored identity of `batch` starts with.
fn batch_prefix(batch: &str) -> String {
    format!("import:{batch}:")
}

/// The stored identity of row `line` of `batch`.
fn row_ref(batch: &str, line: usize) -> String {
    format!("{}{line}", batch_prefix(batch))
}

/// Routes and stores every valid row not stored by an earlier run of the same batch, one
/// transaction per 500 rows (each row with its identity, so a chunk is committed whole or not
/// at all); bad rows are listed, not stored.
pub async fn import_file(store: &Store, atlas: &Atlas, path: &std::path::Path, batch: Option<&str>, progress: &dyn Fn(u64, u64)) -> anyhow::Result<ImportSummary> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let batch = batch_name(batch, &bytes)?;
    let text = std::str::from_utf8(&bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    let rows = parse_rows(path, text)?;
    let total = rows.len() as u64;
    // Read before any transaction: never a second pooled connection while one is held.
    let us = units(store).await?;
    let done = super::store::external_refs_with_prefix(store, &batch_prefix(&batch)).await?;
    let mut sum = ImportSummary { batch: batch.clone(), ..Default::default() };
    for chunk in rows.chunks(500) {
        let mut tx = store.begin().await?;
        for row in chunk {
            let rref = row_ref(&batch, row.line);
            if done.contains(&rref) {
                sum.already_imported += 1;
                continue;
            }
            match &row.intake {
                Err(e) => sum.rejected.push((row.line, e.clone())),
                Ok(req) => match create(&mut tx, atlas, &us, req, "cli:import", Utc::now()).await {
                    Ok((id, r)) => {
                        super::store::set_external_ref(&mut tx, id, &rref).await?;
                        sum.imported += 1;
                        *sum.by_reason.entry(r.reason.as_str().to_string()).or_default() += 1;
                    }
                    // A store failure is not a bad row: stop, and the open chunk rolls back whole.
                    Err(super::ops::ComplaintError::Store(e)) => return Err(e.into()),
                    Err(e) => sum.rejected.push((row.line, format!("{}: {e}", e.field().unwrap_or_default()))),
                },
            }
        }
        tx.commit().await?;
        progress(chunk.len() as u64, total);
    }
    Ok(sum)
}

pub async fn import_cmd(store: &Store, atlas: &Atlas, args: ImportArgs) -> anyhow::Result<()> {
    let pb = crate::cli::progress_bar(0, "pengaduan");
    let sum = import_file(store, atlas, &args.file, args.batch.as_deref(), &|n, total| {
        pb.set_length(total);
        pb.inc(n)
    }).await?;
    pb.finish_and_clear();
    println!("batch: {} (jalankan ulang dengan --batch {} untuk melanjutkan)", sum.batch, sum.batch);
    println!("diimpor: {}", sum.imported);
    println!("sudah ada (impor sebelumnya): {}", sum.already_imported);
    for (reason, n) in &sum.by_reason {
        println!("  {reason:24} {n}");
    }
    println!("ditolak: {}", sum.rejected.len());
    for (line, why) in sum.rejected.iter().take(50) {
        println!("  baris {line}: {why}");
    }
    Ok(())
}
