//! `sigap logistik …`: catalog import (CSV or XLSX, the formats these offices keep their lists
//! in) and listings. Display stays here.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use super::model::{self, BarangRow};
use super::{ops, store as lstore};
use crate::cli::progress_bar;
use crate::store::Store;
use clap::{Args, Subcommand};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum LogistikCommand {
    /// Import the catalog (barang) from CSV or XLSX: columns kode,jenis,nama,spesifikasi,satuan,
    /// bulat,perlu_kedaluwarsa,konversi (`karton=40;dus=10`); all-or-nothing with every bad line listed.
    ImportBarang(ImportBarangArgs),
    /// List the catalog.
    Barang,
    /// List the gudang with their kelurahan.
    Gudang,
    /// List pledges (komitmen kolaborator), newest first.
    Komitmen {
        /// Only pledges in this status (draf, disepakati, diterima_sebagian, selesai, batal).
        #[arg(long)]
        status: Option<String>,
    },
    /// Needs against gudang stock per item: what is short and at which units.
    Kebutuhan {
        /// Only this item.
        #[arg(long)]
        barang: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `sigap report logistics --from --to --format json|csv|xlsx [--out FILE]`.
#[derive(Args)]
pub struct LaporanArgs {
    /// First day, YYYY-MM-DD (default: the first of the month of --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, not after today (default: today, Jakarta time).
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: super::laporan::Format,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Prints or writes the report of a period, the same as `GET /api/v1/logistik/laporan`.
pub async fn laporan_cmd(store: &Store, atlas: &crate::wilayah::Atlas, args: LaporanArgs) -> anyhow::Result<()> {
    use super::laporan::{render, Format, Periode};
    use std::io::Write;
    if args.format == Format::Xlsx && args.out.is_none() {
        anyhow::bail!("--format xlsx writes a binary workbook: give --out FILE.xlsx");
    }
    let today = model::jakarta_today();
    let periode = Periode::parse(args.from.as_deref(), args.to.as_deref(), today).map_err(|e| {
        let flag = match e.field() {
            "dari" => "--from",
            "sampai" => "--to",
            other => other,
        };
        anyhow::anyhow!("{flag}: {e}")
    })?;
    let laporan = ops::laporan(store, atlas, periode, today).await?;
    let bytes = render(&laporan, args.format).map_err(|e| anyhow::anyhow!("{e}"))?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "laporan {} s.d. {}: {} barang, {} baris per gudang, {} per kota, {} per unit → {}",
                periode.dari, periode.sampai, laporan.per_barang.len(), laporan.per_gudang.len(), laporan.per_kota.len(), laporan.per_unit.len(), path.display()
            );
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

#[derive(Args)]
pub struct ImportBarangArgs {
    /// .csv or .xlsx (first sheet; first row is the header).
    pub file: PathBuf,
    /// Check and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub async fn run(store: &Store, cmd: LogistikCommand) -> anyhow::Result<()> {
    match cmd {
        LogistikCommand::ImportBarang(args) => import_barang(store, args).await,
        LogistikCommand::Barang => {
            for b in lstore::list_barang(store, None).await? {
                let k: Vec<String> = b.barang.konversi.iter().map(|k| format!("{}={}", k.satuan, k.isi)).collect();
                println!("{:<20} {:<15} {:<40} {:<8} {}{}", b.barang.kode, b.barang.jenis.as_str(), b.barang.nama, b.barang.satuan, k.join(";"), if b.generated { "  (generated)" } else { "" });
            }
            Ok(())
        }
        LogistikCommand::Gudang => {
            for g in lstore::list_gudang(store).await? {
                println!("{:<12} {:<50} {:>9.4} {:>8.4} {} {}", g.kode, g.nama, g.lon, g.lat, g.kelurahan, if g.aktif { "aktif" } else { "nonaktif" });
            }
            Ok(())
        }
        LogistikCommand::Komitmen { status } => {
            let status = match status.as_deref().map(str::trim) {
                None => None,
                Some(s) => Some(super::komitmen::Status::parse(s).ok_or_else(|| anyhow::anyhow!("--status {s:?} is not one of draf, disepakati, diterima_sebagian, selesai, batal"))?),
            };
            for k in lstore::list_komitmen(store, status.map(super::komitmen::Status::as_str)).await? {
                println!("{:>6} {:<18} {:<12} {} {}", k.id, k.status, k.gudang, k.tanggal_harap, k.kolaborator);
            }
            Ok(())
        }
        LogistikCommand::Kebutuhan { barang, json } => {
            let view = ops::kebutuhan_vs_stok(store, None, barang.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
                return Ok(());
            }
            println!("{:<22} {:>12} {:>12} {:>12} {:>12}  satuan  unit terbanyak kurang", "barang", "kebutuhan", "bersih", "stok", "kurang");
            for v in view.iter().filter(|v| v.kebutuhan > 0.0 || v.stok_gudang > 0.0) {
                let top = v.unit_kurang.first().map(|u| format!("{} ({})", u.unit, u.kurang)).unwrap_or_default();
                println!("{:<22} {:>12} {:>12} {:>12} {:>12}  {:<6}  {top}", v.barang, v.kebutuhan, v.kebutuhan_bersih, v.stok_gudang, v.kurang, v.satuan);
            }
            Ok(())
        }
    }
}

/// Reads an import file's rows as header-keyed text cells (header names lower-cased, trimmed).
pub fn read_rows(path: &Path) -> anyhow::Result<Vec<BarangRow>> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let table: Vec<Vec<String>> = match ext.as_str() {
        "csv" | "txt" => {
            let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
            rdr.records().map(|r| r.map(|r| r.iter().map(str::to_string).collect())).collect::<Result<_, _>>()?
        }
        "xlsx" | "xls" | "ods" => {
            use calamine::Reader;
            let mut wb = calamine::open_workbook_auto(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
            let range = wb.worksheet_range_at(0).ok_or_else(|| anyhow::anyhow!("{} has no sheet", path.display()))??;
            range.rows().map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect()).collect()
        }
        other => anyhow::bail!("{}: unknown file type {other:?}; give a .csv or .xlsx file", path.display()),
    };
    rows_from_table(&table)
}

/// Header-keyed rows of a table whose first row is the header; line numbers count the header as 1.
pub fn rows_from_table(table: &[Vec<String>]) -> anyhow::Result<Vec<BarangRow>> {
    let Some((header, body)) = table.split_first() else { anyhow::bail!("the file is empty") };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let missing: Vec<&str> = ["kode", "jenis", "nama", "satuan"].into_iter().filter(|c| !header.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        anyhow::bail!("header lacks column(s) {} (columns: {})", missing.join(", "), model::IMPORT_COLUMNS.join(","));
    }
    Ok(body
        .iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| BarangRow { line: i + 2, cells: header.iter().cloned().zip(r.iter().cloned()).collect::<HashMap<_, _>>() })
        .collect())
}

/// Imports the catalog in one transaction; any bad line rejects the whole file, listing every problem.
pub async fn import_barang(store: &Store, args: ImportBarangArgs) -> anyhow::Result<()> {
    let rows = read_rows(&args.file)?;
    let items = match model::parse_barang_rows(&rows) {
        Ok(items) => items,
        Err(errors) => {
            for e in &errors {
                eprintln!("  {e}");
            }
            anyhow::bail!("import rejected: {} problem(s) in {}; nothing was changed", errors.len(), args.file.display());
        }
    };
    if args.dry_run {
        println!("dry run: {} barang checked; nothing written", items.len());
        return Ok(());
    }
    let pb = progress_bar(items.len() as u64, "menyimpan katalog");
    let mut tx = store.begin().await?;
    let stats = ops::import_barang(&mut tx, &items, &actor(), false, &|n| pb.set_position(n as u64))
        .await
        .map_err(|e| anyhow::anyhow!("import rejected: {e}; nothing was changed"))?;
    tx.commit().await?;
    pb.finish_and_clear();
    println!("barang: {} rows; {} created, {} updated, {} unchanged ({})", stats.rows, stats.created, stats.updated, stats.unchanged, store.kind());
    Ok(())
}
