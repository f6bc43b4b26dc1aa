//! `sigap ksbb …`: UMKM import (CSV/XLSX, per-row report), the site layer (create, edit or
//! move, retire, list), collaborators, Konfirmasi, the Realisasi and repayment reports and the
//! discrepancy flags, through the same `ops` and reads as the API.
// Display stays in the CLI.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use super::model::{csv_table, jakarta_year, parse_kode, xlsx_table, JenisRealisasi, Keputusan, KonfirmasiInput, PksInput, ReviewInput, SiteInput, Table};
use super::ops::{self, ImportMode};
use super::store::{self as kstore, SiteFilter};
use crate::cli::{load_atlas, progress_bar};
use crate::store::Store;
use crate::wilayah::AtlasConfig;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum KsbbCommand {
    /// Import UMKM target data from CSV or XLSX (by extension); prints every bad row.
    ImportUmkm(ImportUmkmArgs),
    /// Create a site from a JSON file shaped like the API body (with `kode`).
    SiteCreate { file: PathBuf },
    /// Replace (edit or move) a site from a JSON file; `--version` is the version you read.
    SiteUpdate {
        kode: String,
        #[arg(long)]
        version: i64,
        file: PathBuf,
    },
    /// Retire a site (nonaktif).
    SiteRetire {
        kode: String,
        #[arg(long)]
        version: i64,
        #[arg(long)]
        alasan: String,
    },
    /// List the active sites as CSV (kode,jenis,kelurahan,kapasitas,umkm,version,nama).
    Sites,
    /// Submit a Formulir Konfirmasi (JSON shaped like the API body) for collaborator `--kolaborator`
    /// (e.g. typed in from a paper form by Bidang Kolaborasi); prints the ID kolaborasi and contacts.
    Konfirmasi {
        #[arg(long)]
        kolaborator: i64,
        file: PathBuf,
    },
    /// List collaborators as CSV (id,jenis,status,pks,nama), optionally of one status.
    Kolaborator {
        #[arg(long)]
        status: Option<String>,
    },
    /// Bidang Kolaborasi's review: `--setujui --pks-nomor N --mulai D --selesai D`, or `--tolak --alasan TEXT`.
    KolaboratorReview {
        id: i64,
        #[arg(long, conflicts_with = "tolak")]
        setujui: bool,
        #[arg(long)]
        tolak: bool,
        #[arg(long)]
        pks_nomor: Option<String>,
        #[arg(long)]
        mulai: Option<String>,
        #[arg(long)]
        selesai: Option<String>,
        #[arg(long)]
        alasan: Option<String>,
    },
    /// List Formulir Realisasi reports as CSV (id,id_kolaborasi,jenis,pelapor,nomor_dokumen,tanggal,periode,umkm,jumlah,kurang),
    /// oldest first; the same read as `GET /api/v1/ksbb/realisasi`.
    Realisasi {
        /// Only reports under this ID kolaborasi.
        #[arg(long)]
        id_kolaborasi: Option<String>,
        /// Only reports filed by or under the IDs of this collaborator.
        #[arg(long)]
        kolaborator: Option<i64>,
        /// Only one kind: bast, disbursement, angsuran, serah_dana.
        #[arg(long)]
        jenis: Option<String>,
        /// Print the API's JSON instead of CSV.
        #[arg(long)]
        json: bool,
    },
    /// One Realisasi report with its UMKM lines and documents.
    RealisasiShow {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// The repayment state per UMKM (disbursed, repaid, outstanding, latest period and status) as
    /// CSV, from the fintech's disbursement and repayment reports.
    Angsuran {
        #[arg(long)]
        id_kolaborasi: Option<String>,
        #[arg(long)]
        kolaborator: Option<i64>,
    },
    /// List discrepancy flags as CSV (id,id_kolaborasi,kolaborator,jenis,umkm,sumber_a,nilai_a,sumber_b,nilai_b,status,catatan).
    Flags {
        #[arg(long)]
        kolaborator: Option<i64>,
        /// terbuka | selesai
        #[arg(long)]
        status: Option<String>,
    },
    /// Resolve an open flag with a note (audited as the CLI user; a flag is never deleted).
    FlagResolve {
        id: i64,
        #[arg(long)]
        catatan: String,
    },
}

#[derive(Args)]
pub struct ImportUmkmArgs {
    pub file: PathBuf,
    /// Check and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Store the good rows, report the bad ones (default: any bad row rejects the file).
    #[arg(long)]
    pub skip_invalid: bool,
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// Reads a CSV or XLSX file (chosen by extension) into a table.
pub fn read_file(path: &std::path::Path) -> anyhow::Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let table = if xlsx { xlsx_table(&bytes)? } else { csv_table(std::str::from_utf8(&bytes)?)? };
    Ok(table)
}

fn site_input(path: &std::path::Path) -> anyhow::Result<SiteInput> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn refused(e: ops::OpError) -> anyhow::Error {
    match &e {
        ops::OpError::Ksbb(k) => anyhow::anyhow!("refused ({}): {e}; nothing was changed", k.field()),
        ops::OpError::Store(_) => anyhow::anyhow!("{e}"),
    }
}

pub async fn run(store: &Store, cmd: KsbbCommand) -> anyhow::Result<()> {
    match cmd {
        KsbbCommand::ImportUmkm(args) => import_umkm(store, args).await,
        KsbbCommand::SiteCreate { file } => {
            let input = site_input(&file)?;
            let kode = parse_kode("kode", input.kode.as_deref().unwrap_or(""))?;
            let site = input.check()?;
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            let mut tx = store.begin().await?;
            let rec = ops::create_site(&mut tx, &atlas, &kode, &site, &actor(), false).await.map_err(refused)?;
            tx.commit().await?;
            println!("site {} created in kelurahan {} (version {})", rec.kode, rec.kelurahan, rec.version);
            Ok(())
        }
        KsbbCommand::SiteUpdate { kode, version, file } => {
            let site = site_input(&file)?.check()?;
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            let mut tx = store.begin().await?;
            let rec = ops::update_site(&mut tx, &atlas, &kode, version, &site, &actor()).await.map_err(refused)?;
            tx.commit().await?;
            println!("site {} now at version {} in kelurahan {}", rec.kode, rec.version, rec.kelurahan);
            Ok(())
        }
        KsbbCommand::SiteRetire { kode, version, alasan } => {
            let alasan = crate::text::required("--alasan", &alasan, 2000)?.to_string();
            let mut tx = store.begin().await?;
            let rec = ops::retire_site(&mut tx, &kode, version, &alasan, &actor()).await.map_err(refused)?;
            tx.commit().await?;
            println!("site {} retired (version {})", rec.kode, rec.version);
            Ok(())
        }
        KsbbCommand::Kolaborator { status } => {
            println!("id,jenis,status,pks,nama");
            for k in kstore::kolaborators(store, status.as_deref()).await? {
                println!("{},{},{},{},{:?}", k.id, k.jenis, k.status, k.pks_nomor.unwrap_or_default(), k.nama);
            }
            Ok(())
        }
        KsbbCommand::KolaboratorReview { id, setujui, tolak, pks_nomor, mulai, selesai, alasan } => {
            anyhow::ensure!(setujui ^ tolak, "give --setujui or --tolak");
            let pks = setujui.then(|| PksInput { nomor: pks_nomor.unwrap_or_default(), tanggal_mulai: mulai.unwrap_or_default(), tanggal_selesai: selesai.unwrap_or_default() });
            let input = ReviewInput { keputusan: if setujui { Keputusan::Setujui } else { Keputusan::Tolak }, pks, alasan };
            let review = input.check().map_err(|e| anyhow::anyhow!("refused ({}): {e}", e.field()))?;
            let mut tx = store.begin().await?;
            let rec = ops::review_kolaborator(&mut tx, id, &review, &actor()).await.map_err(refused)?;
            tx.commit().await?;
            println!("collaborator {} ({}) is {}{}", rec.id, rec.nama, rec.status, rec.pks_nomor.map(|n| format!(", PKS {n}")).unwrap_or_default());
            Ok(())
        }
        KsbbCommand::Konfirmasi { kolaborator, file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let input: KonfirmasiInput = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let k = input.check().map_err(|e| anyhow::anyhow!("refused ({}): {e}", e.field()))?;
            let mut tx = store.begin().await?;
            let out = ops::submit_konfirmasi(&mut tx, kolaborator, &k, jakarta_year(), &actor()).await.map_err(refused)?;
            tx.commit().await?;
            println!("ID kolaborasi {}", out.id_kolaborasi);
            for p in out.penanggung_jawab {
                println!("  {} (kelurahan {}): {} {}", p.lokasi, p.kelurahan, p.nama.unwrap_or_else(|| "hubungi kelurahan".into()), p.telepon.unwrap_or_default());
            }
            Ok(())
        }
        KsbbCommand::Realisasi { id_kolaborasi, kolaborator, jenis, json } => {
            if let Some(j) = jenis.as_deref().filter(|j| JenisRealisasi::parse(j).is_none()) {
                anyhow::bail!("--jenis {j:?} is not one of bast, disbursement, angsuran, serah_dana");
            }
            let list: Vec<ops::Realisasi> =
                ops::realisasi_list(store, kolaborator, id_kolaborasi.as_deref()).await?.into_iter().filter(|r| jenis.as_deref().is_none_or(|j| r.head.jenis == j)).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            println!("id,id_kolaborasi,jenis,pelapor,nomor_dokumen,tanggal,periode,umkm,jumlah,kurang");
            for r in &list {
                let h = &r.head;
                let jumlah = h.jumlah.unwrap_or_else(|| r.umkm.iter().map(|l| l.jumlah).sum());
                println!(
                    "{},{},{},{},{:?},{},{},{},{jumlah},{}",
                    h.id,
                    h.id_kolaborasi,
                    h.jenis,
                    h.pelapor_id,
                    h.nomor_dokumen,
                    h.tanggal,
                    h.periode.as_deref().unwrap_or(""),
                    r.umkm.len(),
                    r.kurang.join(";")
                );
            }
            Ok(())
        }
        KsbbCommand::RealisasiShow { id, json } => {
            let r = ops::realisasi_one(store, id).await?.ok_or_else(|| anyhow::anyhow!("no Realisasi {id}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            let h = &r.head;
            println!("Realisasi {} ({}) under {} by collaborator {}: {:?} of {}", h.id, h.jenis, h.id_kolaborasi, h.pelapor_id, h.nomor_dokumen, h.tanggal);
            for (k, v) in [("periode", h.periode.clone()), ("econtract", h.econtract.clone()), ("agregator", h.agregator_id.map(|a| a.to_string())), ("jumlah", h.jumlah.map(|j| j.to_string()))] {
                if let Some(v) = v {
                    println!("  {k}: {v}");
                }
            }
            for l in &r.umkm {
                println!("  UMKM {} {} {}{}", l.umkm_kode, l.jumlah, l.status.as_deref().unwrap_or(""), l.alasan.as_deref().map(|a| format!(" ({a})")).unwrap_or_default());
            }
            for d in &r.lampiran {
                println!("  lampiran {} {} {} {} bytes sha256 {}", d.id, d.jenis, d.content_type, d.bytes, d.sha256);
            }
            if !r.kurang.is_empty() {
                println!("  kurang: {}", r.kurang.join(", "));
            }
            Ok(())
        }
        KsbbCommand::Angsuran { id_kolaborasi, kolaborator } => {
            println!("id_kolaborasi,umkm,disalurkan,dibayar,sisa,periode_terakhir,status_terakhir,alasan");
            for p in ops::pelunasan(&ops::realisasi_list(store, kolaborator, id_kolaborasi.as_deref()).await?) {
                println!(
                    "{},{},{},{},{},{},{},{:?}",
                    p.id_kolaborasi,
                    p.kode,
                    p.disalurkan,
                    p.dibayar,
                    p.sisa,
                    p.periode_terakhir.unwrap_or_default(),
                    p.status_terakhir.unwrap_or_default(),
                    p.alasan_terakhir.unwrap_or_default()
                );
            }
            Ok(())
        }
        KsbbCommand::Flags { kolaborator, status } => {
            if let Some(st) = status.as_deref().filter(|st| !matches!(*st, "terbuka" | "selesai")) {
                anyhow::bail!("--status {st:?} is not one of terbuka, selesai");
            }
            println!("id,id_kolaborasi,kolaborator,jenis,umkm,sumber_a,nilai_a,sumber_b,nilai_b,status,catatan");
            for f in kstore::flags(store, kolaborator, status.as_deref()).await? {
                println!(
                    "{},{},{},{},{},{},{},{},{},{},{:?}",
                    f.id,
                    f.id_kolaborasi,
                    f.kolaborator_id,
                    f.jenis,
                    f.umkm_kode.unwrap_or_default(),
                    f.sumber_a,
                    f.nilai_a,
                    f.sumber_b,
                    f.nilai_b,
                    f.status,
                    f.catatan.unwrap_or_default()
                );
            }
            Ok(())
        }
        KsbbCommand::FlagResolve { id, catatan } => {
            let catatan = crate::text::required("--catatan", &catatan, 2000)?.to_string();
            let mut tx = store.begin().await?;
            let f = ops::resolve_flag(&mut tx, id, &catatan, &actor()).await.map_err(refused)?;
            tx.commit().await?;
            println!("flag {} ({} under {}) resolved: {}", f.id, f.jenis, f.id_kolaborasi, f.catatan.unwrap_or_default());
            Ok(())
        }
        KsbbCommand::Sites => {
            println!("kode,jenis,kelurahan,kapasitas,umkm,version,nama");
            for (s, n) in kstore::sites(store, &SiteFilter::default()).await? {
                println!("{},{},{},{},{n},{},{:?}", s.kode, s.jenis, s.kelurahan, s.kapasitas, s.version, s.nama);
            }
            Ok(())
        }
    }
}

/// Imports in one transaction with a progress bar; prints every bad row and a summary.
pub async fn import_umkm(store: &Store, args: ImportUmkmArgs) -> anyhow::Result<()> {
    let table = read_file(&args.file)?;
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let pb = progress_bar(table.len().saturating_sub(1) as u64, "menyimpan UMKM");
    let mode = ImportMode { dry_run: args.dry_run, skip_invalid: args.skip_invalid };
    let mut tx = store.begin().await?;
    let result = ops::import_umkm(&mut tx, &atlas, &table, mode, &actor(), false, &|n, total| {
        pb.set_length(total as u64);
        pb.set_position(n as u64);
    })
    .await;
    pb.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(ops::OpError::Ksbb(super::model::KsbbError::Rows { detail, rows })) => {
            for r in rows.iter().filter(|r| r.outcome == "error") {
                eprintln!("  line {} ({}): {}", r.line, r.field.as_deref().unwrap_or(""), r.detail.as_deref().unwrap_or(""));
            }
            anyhow::bail!("import rejected: {detail}");
        }
        Err(e) => return Err(refused(e)),
    };
    tx.commit().await?;
    for r in report.rows.iter().filter(|r| r.outcome == "error") {
        eprintln!("  skipped line {} ({}): {}", r.line, r.field.as_deref().unwrap_or(""), r.detail.as_deref().unwrap_or(""));
    }
    println!(
        "UMKM: {} rows; {} created, {} updated, {} unchanged, {} invalid{} ({})",
        report.rows.len(),
        report.created,
        report.updated,
        report.unchanged,
        report.errors,
        if args.dry_run { "; dry run, nothing written" } else { "" },
        store.kind()
    );
    Ok(())
}
