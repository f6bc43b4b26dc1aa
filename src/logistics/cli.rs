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
    /// Receipts at a gudang (penerimaan): list, show, book one from a JSON file.
    #[command(subcommand)]
    Penerimaan(PenerimaanCmd),
    /// The stock ledger (mutasi): list movements, book one by hand from a JSON file.
    #[command(subcommand)]
    Mutasi(MutasiCmd),
    /// Stock per gudang × item × lot with expiry flags (`--kedaluwarsa`: the near-expiry report).
    Stok {
        #[arg(long)]
        gudang: Option<String>,
        #[arg(long)]
        barang: Option<String>,
        /// Look-ahead in days for `segera` (default 30).
        #[arg(long)]
        hari: Option<i64>,
        /// Only lots expired or expiring within `--hari`.
        #[arg(long)]
        kedaluwarsa: bool,
    },
    /// Requests (permintaan): list, show, and the steps an operator takes from a terminal.
    #[command(subcommand)]
    Permintaan(PermintaanCmd),
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

/// `sigap logistik penerimaan …`
#[derive(Subcommand)]
pub enum PenerimaanCmd {
    /// Receipts, newest first.
    List {
        #[arg(long)]
        gudang: Option<String>,
    },
    /// One receipt with its lines and photos, as JSON.
    Show { id: i64 },
    /// Book a receipt: FILE holds the body of `POST /api/v1/logistik/penerimaan` (`-`: stdin).
    Book { file: PathBuf },
}

/// `sigap logistik mutasi …`
#[derive(Subcommand)]
pub enum MutasiCmd {
    /// Movements, newest first.
    List {
        #[arg(long)]
        gudang: Option<String>,
        #[arg(long)]
        barang: Option<String>,
        #[arg(long)]
        lot: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Book a movement by hand: FILE holds the body of `POST /api/v1/logistik/mutasi` (`-`: stdin).
    Book { file: PathBuf },
}

/// `sigap logistik permintaan …`
#[derive(Subcommand)]
pub enum PermintaanCmd {
    /// Requests, newest first.
    List {
        /// diajukan, dikembalikan, disetujui, dikirim, diterima.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        unit: Option<String>,
    },
    /// One request with its lines, history, dispatched lots and photos, as JSON.
    Show { id: i64 },
    /// Approve (whole, or `--baris KODE=JUMLAH` in the item's satuan with `--alasan`) or return
    /// (`--kembalikan --alasan …`) at the versi read.
    Verifikasi {
        id: i64,
        #[arg(long)]
        versi: i64,
        /// Return the request to the unit (needs --alasan).
        #[arg(long)]
        kembalikan: bool,
        #[arg(long)]
        gudang: Option<String>,
        #[arg(long, value_name = "KODE=JUMLAH")]
        baris: Vec<String>,
        #[arg(long)]
        alasan: Option<String>,
    },
    /// Dispatch an approved request (stock leaves FEFO).
    Kirim {
        id: i64,
        #[arg(long)]
        versi: i64,
        #[arg(long)]
        surat_jalan: String,
    },
    /// A unit's new request: FILE holds the body of `POST /api/v1/logistik/permintaan` (unit,
    /// lon/lat or the kelurahan unit's own kelurahan, baris; `-`: stdin), checked like the API.
    Buat { file: PathBuf },
    /// Confirm receipt: FILE holds the body of `POST …/permintaan/{id}/terima` (`-`: stdin).
    Terima { id: i64, file: PathBuf },
    /// Resubmit a returned request (lines unchanged).
    Ajukan {
        id: i64,
        #[arg(long)]
        versi: i64,
        #[arg(long)]
        catatan: Option<String>,
    },
}

/// A refusal as the terminal says it: the field, then why.
fn refused(e: ops::OpError) -> anyhow::Error {
    match e {
        ops::OpError::Logistik(l) => anyhow::anyhow!("{}: {l}", l.field()),
        other => anyhow::anyhow!("{other}"),
    }
}

fn checked(e: model::LogistikError) -> anyhow::Error {
    anyhow::anyhow!("{}: {e}", e.field())
}

/// A typed request body from a JSON file (`-`: standard input), with the same rules as the API.
fn body<T: serde::de::DeserializeOwned>(file: &Path) -> anyhow::Result<T> {
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
    };
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Runs one write of `ops` in its own transaction, committed only when it succeeds.
macro_rules! in_tx {
    ($store:expr, |$tx:ident| $op:expr) => {{
        let mut tx = $store.begin().await?;
        let out = {
            let $tx = &mut tx;
            $op.await.map_err(refused)?
        };
        tx.commit().await?;
        out
    }};
}

async fn penerimaan(store: &Store, cmd: PenerimaanCmd) -> anyhow::Result<()> {
    match cmd {
        PenerimaanCmd::List { gudang } => {
            for p in lstore::list_penerimaan(store, gudang.as_deref()).await? {
                println!("{:>6} {:<12} {} {:<24} {}", p.id, p.gudang, p.bast_tanggal, p.bast_nomor, p.pengirim);
            }
            Ok(())
        }
        PenerimaanCmd::Show { id } => {
            let rows = lstore::get_penerimaan(store, id).await?.ok_or_else(|| anyhow::anyhow!("id: no penerimaan {id}"))?;
            print_json(&ops::Penerimaan::from_rows(rows))
        }
        PenerimaanCmd::Book { file } => {
            let input: super::penerimaan::PenerimaanInput = body(&file)?;
            let today = model::jakarta_today();
            input.check(today).map_err(checked)?;
            let who = actor();
            let out = in_tx!(store, |tx| ops::create_penerimaan(tx, &input, today, &who, false));
            print_json(&out)
        }
    }
}

async fn mutasi(store: &Store, cmd: MutasiCmd) -> anyhow::Result<()> {
    match cmd {
        MutasiCmd::List { gudang, barang, lot, limit } => {
            let f = lstore::MutasiFilter { gudang: gudang.as_deref(), barang: barang.as_deref(), lot: lot.as_deref(), sebelum: None };
            for m in lstore::list_mutasi(store, &f, limit.clamp(1, 1000)).await? {
                let m = ops::Mutasi::from(m);
                println!("{:>8} {} {:<16} {:<12} {:<20} {:<16} {:>12} {}", m.row.id, m.row.at.format("%Y-%m-%d %H:%M"), m.row.jenis, m.row.gudang, m.row.barang, m.row.lot, m.jumlah, m.row.referensi.unwrap_or_default());
            }
            Ok(())
        }
        MutasiCmd::Book { file } => {
            let input: super::stok::MutasiInput = body(&file)?;
            input.check().map_err(checked)?;
            let (today, who) = (model::jakarta_today(), actor());
            let out = in_tx!(store, |tx| ops::book_mutasi(tx, &input, today, &who));
            print_json(&out)
        }
    }
}

async fn permintaan(store: &Store, cmd: PermintaanCmd) -> anyhow::Result<()> {
    use super::permintaan::{AjukanInput, BarisInput, Keputusan, KirimInput, Status, TerimaInput, VerifikasiInput};
    let (today, who) = (model::jakarta_today(), actor());
    let out = match cmd {
        PermintaanCmd::List { status, unit } => {
            let status = match status.as_deref().map(str::trim) {
                None => None,
                Some(s) => Some(Status::parse(s).ok_or_else(|| anyhow::anyhow!("--status {s:?} is not one of diajukan, dikembalikan, disetujui, dikirim, diterima"))?),
            };
            for p in lstore::list_permintaan(store, status.map(Status::as_str), unit.as_deref()).await? {
                println!("{:>6} {:<12} v{:<3} {:<16} {:<12} {}", p.id, p.status, p.versi, p.unit, p.gudang.unwrap_or_default(), p.tempat.unwrap_or_default());
            }
            return Ok(());
        }
        PermintaanCmd::Show { id } => {
            let rows = lstore::get_permintaan(store, id).await?.ok_or_else(|| anyhow::anyhow!("id: no permintaan {id}"))?;
            let foto = lstore::fotos(store, "permintaan", id).await?;
            return print_json(&ops::Permintaan::from_rows(rows).with_foto(foto));
        }
        PermintaanCmd::Verifikasi { id, versi, kembalikan, gudang, baris, alasan } => {
            let baris = baris
                .iter()
                .map(|b| {
                    let (kode, j) = b.split_once('=').ok_or_else(|| anyhow::anyhow!("--baris {b:?}: give KODE=JUMLAH"))?;
                    let jumlah: f64 = j.trim().parse().map_err(|_| anyhow::anyhow!("--baris {b:?}: {j:?} is not a number"))?;
                    Ok(BarisInput { barang: kode.trim().to_string(), jumlah, satuan: None })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let keputusan = if kembalikan { Keputusan::Kembalikan } else { Keputusan::Setuju };
            let input = VerifikasiInput { keputusan, versi, gudang, baris, alasan };
            input.check().map_err(checked)?;
            in_tx!(store, |tx| ops::verifikasi(tx, id, &input, None, today, &who))
        }
        PermintaanCmd::Kirim { id, versi, surat_jalan } => {
            let input = KirimInput { versi, surat_jalan };
            input.check().map_err(checked)?;
            in_tx!(store, |tx| ops::kirim(tx, id, &input, today, &who))
        }
        PermintaanCmd::Buat { file } => {
            let input: super::permintaan::PermintaanInput = body(&file)?;
            input.check().map_err(checked)?;
            let unit = input.unit.trim();
            // The API's 404 naming `unit`: the same unit list tokens are checked against.
            if !crate::cli::token::known_unit(store, unit).await? {
                anyhow::bail!("unit: unknown unit {unit:?}: give a kelurahan code or a unit id (sigap units list)");
            }
            let atlas = crate::cli::load_atlas(store, crate::wilayah::AtlasConfig::default()).await?;
            in_tx!(store, |tx| ops::create_permintaan(tx, &atlas, &input, &who, false))
        }
        PermintaanCmd::Terima { id, file } => {
            let input: TerimaInput = body(&file)?;
            input.check(today).map_err(checked)?;
            in_tx!(store, |tx| ops::terima(tx, id, &input, today, &who))
        }
        PermintaanCmd::Ajukan { id, versi, catatan } => {
            let input = AjukanInput { versi, baris: None, catatan };
            input.check().map_err(checked)?;
            in_tx!(store, |tx| ops::ajukan_ulang(tx, id, &input, &who))
        }
    };
    eprintln!("permintaan {}: {} (versi {})", out.head.id, out.head.status, out.head.versi);
    print_json(&out)
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
                // The registry id, or `-` for an old pledge whose typed name matched no collaborator.
                let id = k.kolaborator_id.map_or_else(|| "-".to_string(), |i| i.to_string());
                println!("{:>6} {:<18} {:<12} {} {:>6} {}", k.id, k.status, k.gudang, k.tanggal_harap, id, k.kolaborator);
            }
            Ok(())
        }
        LogistikCommand::Penerimaan(cmd) => penerimaan(store, cmd).await,
        LogistikCommand::Mutasi(cmd) => mutasi(store, cmd).await,
        LogistikCommand::Permintaan(cmd) => permintaan(store, cmd).await,
        LogistikCommand::Stok { gudang, barang, hari, kedaluwarsa } => {
            let hari = super::stok::parse_hari(hari).map_err(|e| anyhow::anyhow!("--hari: {e}"))?;
            for s in ops::saldo(store, gudang.as_deref(), barang.as_deref(), hari, kedaluwarsa, model::jakarta_today()).await.map_err(refused)? {
                let exp = s.row.kedaluwarsa.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
                println!("{:<12} {:<20} {:<16} {:<10} {:>12} {:<6} {:?}", s.row.gudang, s.row.barang, s.row.lot, exp, s.jumlah, s.satuan, s.status);
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
