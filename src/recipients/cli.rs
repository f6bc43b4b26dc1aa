//! `sigap recipients import|keygen|rekey`. Prints reasons and counts, never a NIK or a name.
// Display stays in the CLI.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use super::crypt::Pii;
use super::model::{Format, Sumber};
use super::ops::{self, OpError};
use crate::api::Role;
use crate::cli::{load_atlas, progress_bar};
use crate::store::Store;
use crate::wilayah::AtlasConfig;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum RecipientsCommand {
    /// Import one batch of candidate data (CSV or XLSX) from one source, with cleaning and
    /// dedup; a refused file changes nothing.
    Import(ImportArgs),
    /// Match households with the population register extract (Dukcapil): padan, tidak_padan,
    /// meninggal or pindah, with the reason.
    Match(MatchArgs),
    /// Set the quota (kuota) of a kecamatan or kelurahan.
    Quota {
        /// Kecamatan (31.71.01) or kelurahan (31.71.01.1002) code.
        code: String,
        /// KK the area may receive.
        kuota: i64,
    },
    /// Assess every household: programmes already received, matching result, quota.
    Eligibility,
    /// Print a new random key (64 hex digits) for SIGAP_PII_KEY or SIGAP_PII_HASH_KEY.
    Keygen,
    /// Re-seal every NIK, No. KK and telephone under the current SIGAP_PII_KEY (key rotation:
    /// the previous key in SIGAP_PII_OLD_KEYS while this runs) and recompute every lookup hash
    /// under the current SIGAP_PII_HASH_KEY (hash-key rotation), in one transaction.
    Rekey,
}

#[derive(Args)]
pub struct MatchArgs {
    /// Register extract CSV: nik,no_kk,nama,status (hidup|meninggal|pindah)[,keterangan].
    #[arg(long, env = "SIGAP_DUKCAPIL_EXTRACT")]
    pub register: PathBuf,
    /// Match every household again, not only those not matched yet.
    #[arg(long)]
    pub ulang: bool,
}

/// Matches households with a register extract; prints the counts per outcome.
pub async fn match_cmd(store: &Store, pii: &Pii, args: MatchArgs) -> anyhow::Result<ops::MatchReport> {
    let reg = super::registry::FileRegistry::open(&args.register)?;
    let (ids, queries) = ops::matching_queries(store, pii, args.ulang).await?;
    let hasil = super::registry::PopulationRegistry::match_batch(&reg, &queries).await?;
    let mut tx = store.begin().await?;
    let r = ops::record_matching(&mut tx, &super::registry::PopulationRegistry::name(&reg), &ids, &hasil, &actor()).await?;
    tx.commit().await?;
    println!("{} households matched with {}: {} padan, {} tidak padan, {} meninggal, {} pindah", r.diperiksa, r.register, r.padan, r.tidak_padan, r.meninggal, r.pindah);
    Ok(r)
}

#[derive(Args)]
pub struct ImportArgs {
    /// disnaker | dinsos | pd-lain | usulan
    #[arg(long, value_enum)]
    pub sumber: Sumber,
    /// The file (.csv UTF-8 with `,` or `;`, or .xlsx: first sheet, header on row 1).
    pub file: PathBuf,
    /// Read and clean only; print the report and store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub async fn run(store: &Store, cmd: RecipientsCommand) -> anyhow::Result<()> {
    match cmd {
        RecipientsCommand::Import(args) => import(store, &Pii::from_env()?, args).await,
        RecipientsCommand::Match(args) => match_cmd(store, &Pii::from_env()?, args).await.map(|_| ()),
        RecipientsCommand::Quota { code, kuota } => {
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            let mut tx = store.begin().await?;
            let q = ops::set_quota(&mut tx, &atlas, &code, kuota, &actor()).await?;
            tx.commit().await?;
            println!("kuota {}: {} KK (before: {})", q.wilayah, q.kuota, q.sebelumnya.map(|k| k.to_string()).unwrap_or_else(|| "none".into()));
            Ok(())
        }
        RecipientsCommand::Eligibility => {
            let mut tx = store.begin().await?;
            let r = ops::assess_eligibility(&mut tx, &actor()).await?;
            tx.commit().await?;
            println!("{} layak, {} tidak layak, {} melebihi kuota, {} belum dipadankan", r.layak, r.tidak_layak, r.melebihi_kuota, r.belum_dipadankan);
            for q in &r.kuota {
                println!("  kuota {}: {} KK, {} layak, {} melebihi", q.wilayah, q.kuota, q.layak, q.melebihi_kuota);
            }
            Ok(())
        }
        RecipientsCommand::Keygen => {
            println!("{}", Pii::generate_key());
            Ok(())
        }
        RecipientsCommand::Rekey => {
            let pii = Pii::from_env()?;
            let mut tx = store.begin().await?;
            let n = ops::rekey(&mut tx, &pii, &actor()).await?;
            let h = ops::rehash(&mut tx, &pii, &actor()).await?;
            tx.commit().await?;
            println!("re-sealed {n} value(s) under the current key; lookup hashes moved to the current hash key: {} household(s), {} row(s)", h.households, h.rows);
            Ok(())
        }
    }
}

/// Imports one file in one transaction; a file-level problem refuses it, listing every problem.
pub async fn import(store: &Store, pii: &Pii, args: ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let name = args.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let format = Format::from_name(&name).ok_or_else(|| anyhow::anyhow!("{name}: the file must end in .csv or .xlsx"))?;
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let prepared = match ops::prepare(&bytes, format, &atlas) {
        Ok(p) => p,
        Err(OpError::File(problems)) => {
            for p in &problems {
                eprintln!("  {p}");
            }
            anyhow::bail!("import refused: {} problem(s) with {}; nothing was changed", problems.len(), args.file.display());
        }
        Err(e) => return Err(e.into()),
    };
    let refused: Vec<_> = prepared.candidates.iter().filter(|c| !c.valid()).collect();
    for c in refused.iter().take(50) {
        let codes: Vec<&str> = c.alasan.iter().map(|a| a.kode.as_str()).collect();
        eprintln!("  line {}: ditolak ({})", c.line, codes.join(", "));
    }
    if refused.len() > 50 {
        eprintln!("  … and {} more refused rows (all are stored with their reasons: GET /api/v1/recipients/batches/ID)", refused.len() - 50);
    }
    if args.dry_run {
        println!("dry run: {} rows, {} valid, {} ditolak; nothing written", prepared.candidates.len(), prepared.candidates.len() - refused.len(), refused.len());
        return Ok(());
    }
    let pb = progress_bar(prepared.candidates.len() as u64, "menyimpan calon penerima");
    let mut tx = store.begin().await?;
    let who = actor();
    let meta = ops::BatchMeta { sumber: args.sumber, nama_file: &name, actor: &who, generated: false };
    let report = ops::import(&mut tx, pii, &meta, &prepared, &|n| pb.set_position(n as u64))
        .await
        .map_err(|e| anyhow::anyhow!("import refused: {e}; nothing was changed"))?;
    tx.commit().await?;
    pb.finish_and_clear();
    let b = &report.batch;
    println!(
        "batch {} ({}, {}): {} rows, {} valid, {} ditolak, {} luar DKI; {} rumah tangga baru, {} gabung; {} pasangan mirip to decide ({})",
        b.id,
        b.sumber,
        b.nama_file,
        b.rows_total,
        b.rows_valid,
        b.rows_ditolak,
        report.luar_dki,
        report.rumah_tangga_baru,
        report.rumah_tangga_gabung,
        report.mirip_baru,
        store.kind()
    );
    Ok(())
}

/// The unit of an RW or Lurah token must be an RW or kelurahan in the store.
pub async fn check_token_unit(store: &Store, role: Role, unit: Option<&str>) -> anyhow::Result<()> {
    let (table, example) = if role == Role::Rw { ("rw", "31.71.01.1001.008") } else { ("kelurahan", "31.71.01.1001") };
    let Some(u) = unit else {
        anyhow::bail!("a {} token needs --unit (the {table} code it works for, e.g. {example})", role.as_str());
    };
    anyhow::ensure!(super::store::area_exists(store, table, u).await?, "--unit {u:?} is not a {table} code in the store (e.g. {example}; run `sigap init` first)");
    Ok(())
}
