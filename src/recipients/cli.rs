//! `sigap recipients import|match|quota|eligibility|proposal|decree|document|handout|keygen|rekey`. Prints
//! reasons, counts and records without personal data (never a NIK or a name); the documents go to
//! a file. Every write goes through the same `ops` as HTTP, acting as an admin of this machine.
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
    /// Bottom-up proposals (usulan): create one from an RW's recap file, list, show, move a desk.
    #[command(subcommand)]
    Proposal(ProposalCommand),
    /// Decrees (SK penetapan): make a version of the accepted list, list them, show one.
    #[command(subcommand)]
    Decree(DecreeCommand),
    /// Write the BNBA or BAST of a kelurahan or RW under a decree to a file (PDF or XLSX).
    Document(DocumentArgs),
    /// Hand-out by name (penyaluran): record a round's packages from the RW's signed list,
    /// correct a record made against the wrong household.
    #[command(subcommand, alias = "penyaluran")]
    Handout(HandoutCommand),
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
        RecipientsCommand::Proposal(cmd) => print(proposal(store, cmd).await?),
        RecipientsCommand::Decree(cmd) => print(decree(store, cmd).await?),
        RecipientsCommand::Document(args) => {
            let (path, n) = document(store, args).await?;
            println!("{} written: {n} household(s)", path.display());
            Ok(())
        }
        RecipientsCommand::Handout(cmd) => print(handout(store, cmd).await?),
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
    let (name, format, bytes) = read_file(&args.file)?;
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

/// Prints an answer as JSON (records without personal data: desks, counts, numbers of decrees).
fn print(v: serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

#[derive(Subcommand)]
pub enum ProposalCommand {
    /// Create a proposal of RW `--rw` from its recap file (CSV/XLSX, columns as for a batch): the
    /// rows are imported as a batch of source usulan and the proposal starts at the RT desk.
    Create {
        /// The proposal's RW (31.71.01.1002.001).
        #[arg(long)]
        rw: String,
        file: PathBuf,
        /// A note kept with the first step.
        #[arg(long)]
        catatan: Option<String>,
    },
    /// List proposals, newest first, with desk and counts.
    List {
        #[arg(long)]
        rw: Option<String>,
        #[arg(long)]
        kelurahan: Option<String>,
        /// Only proposals at this desk (rt, rw, kelurahan, …, biro_kesos, ditetapkan).
        #[arg(long)]
        tahap: Option<String>,
    },
    /// One proposal with its history of steps.
    Show { id: i64 },
    /// Forward (teruskan) or send back one step (kembalikan, with --alasan), naming the version read.
    Step {
        id: i64,
        /// teruskan | kembalikan
        #[arg(long)]
        aksi: String,
        #[arg(long)]
        versi: i64,
        #[arg(long)]
        alasan: Option<String>,
    },
}

/// Runs a proposal command through the same ops as `POST/GET /api/v1/recipients/proposals…`;
/// returns what it prints.
pub async fn proposal(store: &Store, cmd: ProposalCommand) -> anyhow::Result<serde_json::Value> {
    use super::store as rstore;
    let who = actor();
    let v = match cmd {
        ProposalCommand::Create { rw, file, catatan } => {
            let pii = Pii::from_env()?;
            let atlas = load_atlas(store, AtlasConfig::default()).await?;
            let rw = crate::wilayah::AreaCode::parse(rw.trim()).map_err(|e| anyhow::anyhow!("--rw: {e}"))?;
            anyhow::ensure!(rw.level() == crate::wilayah::Level::Rw && atlas.get(&rw).is_some(), "--rw {rw} is not an RW in the loaded boundaries");
            let catatan = crate::text::optional("catatan", catatan.as_deref(), 500)?.unwrap_or("-").to_string();
            let (name, format, bytes) = read_file(&file)?;
            let mut prepared = refused_whole(ops::prepare(&bytes, format, &atlas), &file)?;
            prepared.candidates.iter_mut().for_each(|c| super::model::restrict_to_rw(c, &rw));
            let mut tx = store.begin().await?;
            let meta = ops::BatchMeta { sumber: Sumber::Usulan, nama_file: &name, actor: &who, generated: false };
            let p = refused_whole(ops::propose(&mut tx, &pii, &meta, &prepared, &rw, &catatan).await, &file)?;
            tx.commit().await?;
            serde_json::json!({"usulan": p.usulan, "batch": p.laporan.batch, "rumah_tangga_baru": p.laporan.rumah_tangga_baru, "rumah_tangga_gabung": p.laporan.rumah_tangga_gabung})
        }
        ProposalCommand::List { rw, kelurahan, tahap } => {
            let tahap = match tahap.as_deref() {
                None => None,
                Some(t) => Some(super::usulan::Tahap::parse(t).ok_or_else(|| anyhow::anyhow!("--tahap {t:?} is not a proposal desk"))?),
            };
            serde_json::to_value(rstore::usulan_list(store, rw.as_deref(), kelurahan.as_deref(), tahap.map(|t| t.as_str())).await?)?
        }
        ProposalCommand::Show { id } => {
            let u = rstore::usulan(store, id).await?.ok_or_else(|| anyhow::anyhow!("no proposal {id}"))?;
            serde_json::json!({"usulan": u, "langkah": rstore::usulan_steps(store, id).await?})
        }
        ProposalCommand::Step { id, aksi, versi, alasan } => {
            let aksi: super::usulan::Aksi = serde_json::from_value(serde_json::json!(aksi)).map_err(|_| anyhow::anyhow!("--aksi {aksi:?} is not teruskan or kembalikan"))?;
            let input = super::model::LangkahInput { aksi, versi, alasan };
            let alasan = input.check()?;
            let mut tx = store.begin().await?;
            let u = ops::move_usulan(&mut tx, id, aksi, versi, &alasan, &super::usulan::Pelaku::Admin, &who).await?;
            tx.commit().await?;
            serde_json::to_value(u)?
        }
    };
    Ok(v)
}

#[derive(Subcommand)]
pub enum DecreeCommand {
    /// Freeze the accepted list as a new decree version (sets the bansos targets per RW).
    Create {
        /// The number as signed ("386 Tahun 2020"), unique.
        #[arg(long)]
        nomor: String,
        /// The date it was signed (YYYY-MM-DD), not in the future.
        #[arg(long)]
        tanggal: chrono::NaiveDate,
    },
    /// Every version, newest first.
    List,
    /// One version with its households per RW.
    Show { id: i64 },
}

/// Runs a decree command through the same ops as `/api/v1/recipients/decrees…`; returns what it prints.
pub async fn decree(store: &Store, cmd: DecreeCommand) -> anyhow::Result<serde_json::Value> {
    use super::store as rstore;
    let v = match cmd {
        DecreeCommand::Create { nomor, tanggal } => {
            let input = super::sk::SkInput { nomor, tanggal };
            let nomor = input.check(crate::bansos::model::jakarta_today()).map_err(|(field, detail)| anyhow::anyhow!("--{field}: {detail}"))?;
            let mut tx = store.begin().await?;
            let d = ops::decree(&mut tx, &nomor, tanggal, &actor()).await?;
            tx.commit().await?;
            serde_json::to_value(d)?
        }
        DecreeCommand::List => serde_json::to_value(rstore::sk_list(store).await?)?,
        DecreeCommand::Show { id } => {
            let sk = rstore::sk(store, id).await?.ok_or_else(|| anyhow::anyhow!("no decree {id}"))?;
            let mut per_rw = std::collections::BTreeMap::new();
            for i in rstore::sk_items(store, id, "").await? {
                *per_rw.entry(i.rw).or_insert(0i64) += 1;
            }
            serde_json::json!({"sk": sk, "per_rw": per_rw})
        }
    };
    Ok(v)
}

#[derive(Args)]
pub struct DocumentArgs {
    /// bnba | bast
    pub jenis: String,
    /// The decree's id.
    #[arg(long)]
    pub sk: i64,
    /// The kelurahan (31.71.01.1002).
    #[arg(long)]
    pub kelurahan: Option<String>,
    /// Only this RW of the kelurahan.
    #[arg(long)]
    pub rw: Option<String>,
    /// The file to write; its extension (.pdf or .xlsx) says which format.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes a BNBA/BAST (the same `ops::document` and `dokumen::render` as HTTP); returns the path
/// and the number of households printed.
pub async fn document(store: &Store, args: DocumentArgs) -> anyhow::Result<(PathBuf, usize)> {
    let jenis = super::dokumen::Jenis::parse(&args.jenis).ok_or_else(|| anyhow::anyhow!("{:?} is not bnba or bast", args.jenis))?;
    let xlsx = match args.out.extension().and_then(|e| e.to_str()) {
        Some("pdf") => false,
        Some("xlsx") => true,
        _ => anyhow::bail!("--out {} must end in .pdf or .xlsx", args.out.display()),
    };
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let parts = ops::document(store, &atlas, args.sk, jenis, args.rw.as_deref(), args.kelurahan.as_deref(), xlsx).await?;
    let (bytes, _) = super::dokumen::render(&parts.kepala, &parts.items, xlsx)?;
    std::fs::write(&args.out, bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.out.display()))?;
    Ok((args.out, parts.items.len()))
}

#[derive(Subcommand)]
pub enum HandoutCommand {
    /// Record one round's packages from the list the RW's petugas ticked (all or none), as
    /// `POST /api/v1/recipients/handouts`: households of the current SK that received their
    /// package (diterima) or had it taken back (ditarik: tidak_di_lokasi | tidak_layak). A
    /// household receives once per round; its first package counts in the bansos `kk_served`.
    /// The file is CSV (`,` or `;`) with the header `household_id,status,alasan,keterangan` (alasan only
    /// for ditarik, keterangan optional), 1 to 500 households, e.g.
    /// `1042,diterima,,` and `1043,ditarik,tidak_di_lokasi,mudik`.
    Record {
        /// The round (putaran, 1…100).
        #[arg(long)]
        putaran: i64,
        /// The day of the hand-out (YYYY-MM-DD, not in the future); default today in Jakarta.
        #[arg(long)]
        tanggal: Option<chrono::NaiveDate>,
        /// Who handed the packages out at the point (e.g. "Ketua RT 003").
        #[arg(long)]
        petugas: Option<String>,
        /// The list (CSV, UTF-8).
        file: PathBuf,
    },
    /// Correct hand-out record ID made against the wrong household, as
    /// `POST /api/v1/recipients/handouts/{id}/koreksi`: the record is voided with the reason
    /// (kept as history) and, with --household-id, that household of the current SK is
    /// recorded instead (same round, status and day); bansos `kk_served` follows.
    Correct {
        /// The hand-out record's id.
        id: i64,
        /// Why the record is wrong (kept with the voided record and in the audit).
        #[arg(long)]
        alasan: String,
        /// The household that did receive (or whose package was taken back) instead.
        #[arg(long)]
        household_id: Option<i64>,
    },
}

/// A hand-out record as the CLI prints it: ids, RW, status, no name and no NIK.
fn record_line(r: &super::store::PenyaluranRecord) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "putaran": r.putaran, "household_id": r.household_id, "rw": r.rw, "rt": r.rt, "status": r.status,
        "alasan": r.alasan, "tanggal": r.tanggal, "bansos_handout_id": r.bansos_handout_id,
        "koreksi_alasan": r.koreksi_alasan, "pengganti_id": r.pengganti_id,
    })
}

/// An `OpError` with the field it names, as the HTTP problem's `field` does; a field of
/// `items[i]` also names the file's line (header on line 1).
fn named(e: OpError, lines: bool) -> anyhow::Error {
    let field = match &e {
        OpError::Invalid { field, .. } | OpError::Bad { field, .. } | OpError::NotFound { field, .. } | OpError::Conflict { field, .. } | OpError::Outside { field, .. } => Some(field.clone()),
        _ => None,
    };
    match field {
        Some(f) => anyhow::anyhow!("{}: {e}", field_name(&f, lines)),
        None => e.into(),
    }
}

/// `items[3].alasan` → `line 5 (items[3].alasan)` for a record file; `id` → `ID`, other fields
/// as the flag that sets them (`--household-id`).
fn field_name(field: &str, lines: bool) -> String {
    if let Some(i) = field.strip_prefix("items[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok()) {
        if lines {
            return format!("line {} ({field})", i + 2);
        }
    }
    match field {
        "id" => "ID".into(),
        f => format!("--{}", f.replace('_', "-")),
    }
}

/// The records of a hand-out list: each CSV line read into the HTTP body's item type, a
/// malformed line named by its number.
fn handout_items(file: &std::path::Path) -> anyhow::Result<Vec<super::penyaluran::PenyaluranItem>> {
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    // `,` or `;` (what a spreadsheet in an Indonesian locale saves), told by the header line.
    let header_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if header_line.contains(&b';') && !header_line.contains(&b',') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).trim(csv::Trim::All).from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?.iter().map(str::to_lowercase).collect();
    anyhow::ensure!(
        header == ["household_id", "status", "alasan", "keterangan"],
        "{}: line 1 must be the header household_id,status,alasan,keterangan (got {})",
        file.display(),
        header.join(",")
    );
    let mut items = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| anyhow::anyhow!("{} line {line}: {e}", file.display()))?;
        let cell = |n: usize| rec.get(n).map(str::trim).filter(|v| !v.is_empty());
        let household_id = cell(0)
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| anyhow::anyhow!("{} line {line}: household_id {:?} is not a household id (a whole number)", file.display(), rec.get(0).unwrap_or("")))?;
        let status = cell(1).ok_or_else(|| anyhow::anyhow!("{} line {line}: status is empty: diterima or ditarik", file.display()))?;
        let status = serde_json::from_value(serde_json::json!(status)).map_err(|_| anyhow::anyhow!("{} line {line}: status {status:?} is not diterima or ditarik", file.display()))?;
        let alasan = cell(2)
            .map(|a| serde_json::from_value(serde_json::json!(a)).map_err(|_| anyhow::anyhow!("{} line {line}: alasan {a:?} is not tidak_di_lokasi or tidak_layak", file.display())))
            .transpose()?;
        items.push(super::penyaluran::PenyaluranItem { household_id, status, alasan, keterangan: cell(3).map(str::to_string) });
    }
    Ok(items)
}

/// Runs a hand-out command through the same checks and ops as HTTP, as an admin of this
/// machine: the bansos revision bumped first in the transaction (hand-outs are bansos writes,
/// serialised on both stores), all or nothing. Returns what it prints.
pub async fn handout(store: &Store, cmd: HandoutCommand) -> anyhow::Result<serde_json::Value> {
    let atlas = load_atlas(store, AtlasConfig::default()).await?;
    let who = actor();
    let v = match cmd {
        HandoutCommand::Record { putaran, tanggal, petugas, file } => {
            let today = crate::bansos::model::jakarta_today();
            let input = super::penyaluran::PenyaluranInput { putaran, tanggal: tanggal.unwrap_or(today), petugas, items: handout_items(&file)? };
            let (petugas, items) = input.check(today).map_err(|(field, detail)| anyhow::anyhow!("{}: {detail}", field_name(&field, true)))?;
            let mut tx = store.begin().await?;
            crate::bansos::store::bump_revision(&mut tx).await?;
            let h = ops::hand_out(&mut tx, &atlas, input.putaran, input.tanggal, petugas.as_deref(), &items, None, &who).await.map_err(|e| named(e, true))?;
            tx.commit().await?;
            serde_json::json!({
                "putaran": h.putaran, "sk_id": h.sk_id, "diterima": h.diterima, "ditarik": h.ditarik, "bansos_handouts": h.bansos_handouts,
                "records": h.records.iter().map(record_line).collect::<Vec<_>>(),
            })
        }
        HandoutCommand::Correct { id, alasan, household_id } => {
            let input = super::penyaluran::KoreksiInput { alasan, household_id };
            let k = input.check().map_err(|(field, detail)| anyhow::anyhow!("{}: {detail}", field_name(&field, false)))?;
            let mut tx = store.begin().await?;
            crate::bansos::store::bump_revision(&mut tx).await?;
            let c = ops::correct_handout(&mut tx, &atlas, id, &k, None, &who).await.map_err(|e| named(e, false))?;
            tx.commit().await?;
            serde_json::json!({"dibatalkan": record_line(&c.dibatalkan), "pengganti": c.pengganti.as_ref().map(record_line), "bansos_handouts": c.bansos_handouts})
        }
    };
    Ok(v)
}

/// A file's name, format (by extension) and bytes.
fn read_file(file: &std::path::Path) -> anyhow::Result<(String, Format, Vec<u8>)> {
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let format = Format::from_name(&name).ok_or_else(|| anyhow::anyhow!("{name}: the file must end in .csv or .xlsx"))?;
    Ok((name, format, bytes))
}

/// A refused file listed problem by problem (codes and lines only), as an error.
fn refused_whole<T>(r: Result<T, OpError>, file: &std::path::Path) -> anyhow::Result<T> {
    match r {
        Err(OpError::File(problems)) => {
            for p in &problems {
                eprintln!("  {p}");
            }
            anyhow::bail!("refused: {} problem(s) with {}; nothing was changed", problems.len(), file.display())
        }
        other => Ok(other?),
    }
}
