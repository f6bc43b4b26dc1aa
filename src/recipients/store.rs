//! Recipient tables on either store, portable SQL. Personal numbers are read and written only in
//! their sealed (`*_enc`), hashed (`*_hash`) and masked (`*_mask`) forms; opening a seal is the
//! caller's business (and audited).

use super::model::{Alasan, Sumber};
use super::sk::SkItem;
use crate::store::{Store, StoreError, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

/// A batch row as inserted.
pub struct NewBatch<'a> {
    pub sumber: Sumber,
    pub nama_file: &'a str,
    pub format: &'a str,
    pub file_sha256: &'a str,
    pub rows_total: i64,
    pub rows_valid: i64,
    pub rows_ditolak: i64,
    pub generated: bool,
    pub actor: &'a str,
}

pub async fn insert_batch(tx: &mut Tx, b: &NewBatch<'_>) -> Result<i64, StoreError> {
    let id: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO recipient_batch (sumber, nama_file, format, file_sha256, rows_total, rows_valid, rows_ditolak, generated, actor, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id")
        .bind(b.sumber.as_str()).bind(b.nama_file).bind(b.format).bind(b.file_sha256).bind(b.rows_total).bind(b.rows_valid)
        .bind(b.rows_ditolak).bind(b.generated).bind(b.actor).bind(Utc::now())
        .fetch_one(c).await?.try_get("id"))?;
    Ok(id)
}

/// Sealed, hashed and masked forms of one personal number.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub enc: Vec<u8>,
    pub hash: String,
    pub mask: String,
}

/// A household as inserted.
pub struct NewHousehold<'a> {
    pub rw: &'a str,
    pub rt: &'a str,
    pub nik: &'a Sealed,
    pub kk: &'a Sealed,
    pub nama: &'a str,
    pub alamat: &'a str,
    pub jumlah_anggota: i64,
    pub telepon_enc: Option<&'a [u8]>,
    pub program: &'a str,
    pub luar_dki: bool,
    pub generated: bool,
}

/// Rows per multi-row statement of an import: 19 columns × 1,000 stays under SQLite's 32,766
/// bound parameters (and PostgreSQL's 65,535); at a million rows the round trips, not the SQL,
/// were the cost of the row-by-row import.
pub const IMPORT_CHUNK: usize = 1000;

/// Placeholder `n` (1-based) of a statement on this transaction's store: `$n` on PostgreSQL,
/// a plain `?` on SQLite. Why not `$n` on both: sqlx binds SQLite arguments by asking SQLite
/// each parameter's name, and SQLite finds a name by walking the statement's list of names, so a
/// 19,000-parameter insert costs 19,000² steps — 87 % of a GeoPackage import's CPU (perf); `?`
/// parameters have no name to walk. Bound in order, so the two forms are the same statement.
fn placeholder(tx: &Tx, n: usize) -> String {
    match tx {
        Tx::Gpkg(_) => "?".into(),
        Tx::Postgis(_) => format!("${n}"),
    }
}

/// `$1,…,$n` (or `?,…`): the list of an `IN (…)` ([`placeholder`]).
fn in_list(tx: &Tx, n: usize) -> String {
    (1..=n).map(|i| placeholder(tx, i)).collect::<Vec<_>>().join(",")
}

/// `($1,…,$cols), ($cols+1,…)`: `rows` groups of placeholders ([`placeholder`]).
fn value_groups(tx: &Tx, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (1..=cols).map(|c| placeholder(tx, r * cols + c)).collect::<Vec<_>>().join(",")))
        .collect::<Vec<_>>()
        .join(",")
}

/// SQLite's page cache of the transaction's connection, in KiB (GeoPackage only; PostgreSQL's
/// shared buffers are the server's). A large import inserts into the two unique hash indexes at
/// random places; with SQLite's default 2 MiB cache a large transaction can spill dirty pages to
/// the WAL and read them back. A precaution, not measured on its own: the 285 s of 100,000
/// households were the named placeholders ([`placeholder`]), not the cache. `kib` = `None`
/// restores the default.
pub async fn import_cache(tx: &mut Tx, kib: Option<i64>) -> Result<(), StoreError> {
    if let Tx::Gpkg(t) = tx {
        // A PRAGMA takes no bound parameter; the number is ours, never input.
        let sql = format!("PRAGMA cache_size = -{}", kib.unwrap_or(2000).max(2000));
        sqlx::query(&sql).execute(&mut **t).await?;
    }
    Ok(())
}

/// Rows from which an import refreshes PostgreSQL's statistics of the tables it filled.
pub const ANALYZE_FROM: usize = 10_000;

/// After a large import (`rows` ≥ [`ANALYZE_FROM`]), PostgreSQL only: `ANALYZE` of the tables
/// the import filled, inside the import's transaction (ANALYZE counts the rows the transaction
/// itself inserted, and the statistics commit or roll back with it: nothing half-written).
/// Why: right after a 1.2M-household import into fresh tables autovacuum had not analysed them
/// yet, the planner still took them for nearly empty and read the sources of an RW's page by a
/// scan of every row (median 224 ms a page instead of a few ms). Costs a sample of 30,000 rows
/// a table (`default_statistics_target`), well under a second; small batches leave it to
/// autovacuum. It holds ANALYZE's lock (not a lock on reads or inserts) until the commit.
/// SQLite's planner has no such statistics to go stale here (it plans from the indexes).
pub async fn analyze_after_import(tx: &mut Tx, rows: usize) -> Result<(), StoreError> {
    if rows < ANALYZE_FROM {
        return Ok(());
    }
    if let Tx::Postgis(t) = tx {
        sqlx::query("ANALYZE recipient_household, recipient_row, recipient_near_dup").execute(&mut **t).await?;
    }
    Ok(())
}

/// Every household holding one of these NIK hashes or No. KK hashes: (id, nik_hash, kk_hash).
/// One query per [`IMPORT_CHUNK`] of each list, through the unique indexes on both hashes.
pub async fn find_households(tx: &mut Tx, nik_hashes: &[&str], kk_hashes: &[&str]) -> Result<Vec<(i64, String, String)>, StoreError> {
    let mut out = Vec::new();
    for (col, hashes) in [("nik_hash", nik_hashes), ("kk_hash", kk_hashes)] {
        for chunk in hashes.chunks(IMPORT_CHUNK) {
            let list = in_list(tx, chunk.len());
            let sql = format!("SELECT id, nik_hash, kk_hash FROM recipient_household WHERE {col} IN ({list})");
            let rows = crate::on_tx!(tx, c => {
                let mut q = sqlx::query(&sql);
                for h in chunk {
                    q = q.bind(*h);
                }
                q.fetch_all(c).await?.iter().map(|r| Ok((r.try_get("id")?, r.try_get("nik_hash")?, r.try_get("kk_hash")?))).collect::<Result<Vec<(i64, String, String)>, sqlx::Error>>()
            })?;
            out.extend(rows);
        }
    }
    Ok(out)
}

/// Inserts households; answers their ids in the order given. PostgreSQL: [`copy_households`];
/// SQLite: [`IMPORT_CHUNK`] a statement.
pub async fn insert_households(tx: &mut Tx, hs: &[NewHousehold<'_>]) -> Result<Vec<i64>, StoreError> {
    if let Tx::Postgis(t) = tx {
        return copy_households(t, hs).await;
    }
    let mut by_hash: std::collections::HashMap<String, i64> = std::collections::HashMap::with_capacity(hs.len());
    let now = Utc::now();
    for chunk in hs.chunks(IMPORT_CHUNK) {
        let sql = format!(
            "INSERT INTO recipient_household (rw, rt, nik_enc, nik_hash, nik_mask, kk_enc, kk_hash, kk_mask, nama, alamat, jumlah_anggota, \
             telepon_enc, program, luar_dki, generated, created_at) VALUES {} RETURNING id, nik_hash",
            value_groups(tx, chunk.len(), 16)
        );
        let ids = crate::on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q.bind(h.rw).bind(h.rt).bind(&h.nik.enc).bind(&h.nik.hash).bind(&h.nik.mask).bind(&h.kk.enc).bind(&h.kk.hash).bind(&h.kk.mask)
                    .bind(h.nama).bind(h.alamat).bind(h.jumlah_anggota).bind(h.telepon_enc).bind(h.program).bind(h.luar_dki).bind(h.generated).bind(now);
            }
            q.fetch_all(c).await?.iter().map(|r| Ok((r.try_get("nik_hash")?, r.try_get("id")?))).collect::<Result<Vec<(String, i64)>, sqlx::Error>>()
        })?;
        by_hash.extend(ids);
    }
    // The NIK hash is unique, so the ids are matched by it, not by the order RETURNING gives.
    hs.iter().map(|h| by_hash.get(&h.nik.hash).copied()).collect::<Option<Vec<i64>>>().ok_or_else(|| StoreError::Invalid("a household just inserted did not come back".into()))
}

/// PostgreSQL: the households' ids taken from the table's sequence first (in the order given,
/// so ids still follow the file), then the rows sent with `COPY` **sorted by NIK hash**. Why:
/// at 1.2M households the unique index on the random-keyed NIK hash was most of the insert
/// (each new key on a random page once the index outgrows the shared buffers); in hash order
/// that index fills from left to right, and `COPY` skips planning a 16,000-parameter statement
/// per 1,000 rows. Measured in `src/recipients/README.md` (Scale).
async fn copy_households(c: &mut sqlx::PgConnection, hs: &[NewHousehold<'_>]) -> Result<Vec<i64>, StoreError> {
    if hs.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('recipient_household', 'id')) FROM generate_series(1, $1)")
        .bind(hs.len() as i64)
        .fetch_all(&mut *c)
        .await?;
    ids.sort_unstable();
    let mut order: Vec<usize> = (0..hs.len()).collect();
    order.sort_unstable_by(|a, b| hs[*a].nik.hash.cmp(&hs[*b].nik.hash));
    let now = Utc::now().to_rfc3339();
    copy_in(
        c,
        "COPY recipient_household (id, rw, rt, nik_enc, nik_hash, nik_mask, kk_enc, kk_hash, kk_mask, nama, alamat, jumlah_anggota, \
         telepon_enc, program, luar_dki, generated, created_at) FROM STDIN",
        order,
        |w, i| {
            let h = &hs[i];
            w.int(Some(ids[i])).text(Some(h.rw)).text(Some(h.rt));
            w.bytes(Some(&h.nik.enc)).text(Some(&h.nik.hash)).text(Some(&h.nik.mask));
            w.bytes(Some(&h.kk.enc)).text(Some(&h.kk.hash)).text(Some(&h.kk.mask));
            w.text(Some(h.nama)).text(Some(h.alamat)).int(Some(h.jumlah_anggota)).bytes(h.telepon_enc).text(Some(h.program));
            w.bool(h.luar_dki).bool(h.generated).text(Some(&now));
        },
    )
    .await?;
    Ok(ids)
}

/// Inserts a batch's rows, each with its status and reasons (as JSON): `COPY` on PostgreSQL,
/// [`IMPORT_CHUNK`] a statement on SQLite.
pub async fn insert_rows(tx: &mut Tx, rows: &[NewRow<'_>]) -> Result<(), StoreError> {
    let alasan = rows.iter().map(|r| serde_json::to_string(r.alasan)).collect::<Result<Vec<_>, _>>().map_err(|e| StoreError::Invalid(format!("recipient_row.alasan: {e}")))?;
    if let Tx::Postgis(t) = tx {
        copy_in(
            t,
            "COPY recipient_row (batch_id, line, rw, rt, nik_enc, nik_hash, nik_mask, kk_enc, kk_hash, kk_mask, nama, alamat, jumlah_anggota, \
             telepon_enc, program, status, alasan, luar_dki, household_id) FROM STDIN",
            rows.iter().zip(&alasan),
            |w, (r, alasan)| {
                w.int(Some(r.batch_id)).int(Some(r.line)).text(r.rw).text(r.rt);
                w.bytes(r.nik.map(|s| s.enc.as_slice())).text(r.nik.map(|s| s.hash.as_str())).text(r.nik.map(|s| s.mask.as_str()));
                w.bytes(r.kk.map(|s| s.enc.as_slice())).text(r.kk.map(|s| s.hash.as_str())).text(r.kk.map(|s| s.mask.as_str()));
                w.text(r.nama).text(r.alamat).int(r.jumlah_anggota).bytes(r.telepon_enc).text(Some(r.program));
                w.text(Some(if r.valid { "valid" } else { "ditolak" })).text(Some(alasan)).bool(r.luar_dki).int(r.household_id);
            },
        )
        .await?;
        return Ok(());
    }
    for (chunk, alasan) in rows.chunks(IMPORT_CHUNK).zip(alasan.chunks(IMPORT_CHUNK)) {
        let sql = format!(
            "INSERT INTO recipient_row (batch_id, line, rw, rt, nik_enc, nik_hash, nik_mask, kk_enc, kk_hash, kk_mask, nama, alamat, jumlah_anggota, \
             telepon_enc, program, status, alasan, luar_dki, household_id) VALUES {}",
            value_groups(tx, chunk.len(), 19)
        );
        crate::on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for (r, alasan) in chunk.iter().zip(alasan) {
                q = q.bind(r.batch_id).bind(r.line).bind(r.rw).bind(r.rt)
                    .bind(r.nik.map(|s| &s.enc)).bind(r.nik.map(|s| &s.hash)).bind(r.nik.map(|s| &s.mask))
                    .bind(r.kk.map(|s| &s.enc)).bind(r.kk.map(|s| &s.hash)).bind(r.kk.map(|s| &s.mask))
                    .bind(r.nama).bind(r.alamat).bind(r.jumlah_anggota).bind(r.telepon_enc).bind(r.program)
                    .bind(if r.valid { "valid" } else { "ditolak" }).bind(alasan).bind(r.luar_dki).bind(r.household_id);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// One row after another in PostgreSQL's `COPY` text format: fields separated by tabs, `\N`
/// for NULL, backslash, tab, newline and carriage return escaped (cleaning refuses control
/// characters, but a value is escaped whatever it holds), `bytea` as `\\x` + hex.
#[derive(Default)]
struct CopyRow {
    buf: Vec<u8>,
    fields: usize,
}

impl CopyRow {
    fn sep(&mut self) {
        if self.fields > 0 {
            self.buf.push(b'\t');
        }
        self.fields += 1;
    }

    fn text(&mut self, v: Option<&str>) -> &mut Self {
        self.sep();
        match v {
            None => self.buf.extend_from_slice(b"\\N"),
            Some(v) => {
                for b in v.bytes() {
                    match b {
                        b'\\' => self.buf.extend_from_slice(b"\\\\"),
                        b'\t' => self.buf.extend_from_slice(b"\\t"),
                        b'\n' => self.buf.extend_from_slice(b"\\n"),
                        b'\r' => self.buf.extend_from_slice(b"\\r"),
                        _ => self.buf.push(b),
                    }
                }
            }
        }
        self
    }

    fn bytes(&mut self, v: Option<&[u8]>) -> &mut Self {
        self.sep();
        match v {
            None => self.buf.extend_from_slice(b"\\N"),
            Some(v) => {
                self.buf.extend_from_slice(b"\\\\x");
                self.buf.extend_from_slice(hex::encode(v).as_bytes());
            }
        }
        self
    }

    fn int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            None => self.text(None),
            Some(v) => self.text(Some(&v.to_string())),
        }
    }

    fn bool(&mut self, v: bool) -> &mut Self {
        self.text(Some(if v { "t" } else { "f" }))
    }

    fn end(&mut self) {
        self.buf.push(b'\n');
        self.fields = 0;
    }
}

/// Streams `items` to PostgreSQL with `statement` (`COPY … FROM STDIN`), `row` writing each
/// one's fields, in messages of about 4 MiB: the server parses and inserts one message while the
/// next is built. An error (a refused value, a unique hash taken meanwhile) comes back at the
/// end and fails the caller's transaction; a `COPY` dropped half-way is cancelled by sqlx.
async fn copy_in<T>(c: &mut sqlx::PgConnection, statement: &str, items: impl IntoIterator<Item = T>, mut row: impl FnMut(&mut CopyRow, T)) -> Result<u64, StoreError> {
    let mut copy = c.copy_in_raw(statement).await?;
    let mut w = CopyRow::default();
    for item in items {
        row(&mut w, item);
        w.end();
        if w.buf.len() >= 4 << 20 {
            copy.send(std::mem::take(&mut w.buf)).await?;
        }
    }
    if !w.buf.is_empty() {
        copy.send(w.buf).await?;
    }
    Ok(copy.finish().await?)
}

/// A row as inserted (personal numbers sealed; absent when the cell could not be read as one).
pub struct NewRow<'a> {
    pub batch_id: i64,
    pub line: i64,
    pub rw: Option<&'a str>,
    pub rt: Option<&'a str>,
    pub nik: Option<&'a Sealed>,
    pub kk: Option<&'a Sealed>,
    pub nama: Option<&'a str>,
    pub alamat: Option<&'a str>,
    pub jumlah_anggota: Option<i64>,
    pub telepon_enc: Option<&'a [u8]>,
    pub program: &'a str,
    pub valid: bool,
    pub alasan: &'a [Alasan],
    pub luar_dki: bool,
    pub household_id: Option<i64>,
}

/// Households of these RWs still on the list (not marked a duplicate): id, rw, nama, alamat,
/// by id. [`IMPORT_CHUNK`] RW codes a query; an import reads them before adding its own.
pub async fn rw_households(tx: &mut Tx, rws: &[&str]) -> Result<Vec<(i64, String, String, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in rws.chunks(IMPORT_CHUNK) {
        let list = in_list(tx, chunk.len());
        let sql = format!("SELECT id, rw, nama, alamat FROM recipient_household WHERE rw IN ({list}) AND duplikat_dari IS NULL ORDER BY id");
        let rows = crate::on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for rw in chunk {
                q = q.bind(*rw);
            }
            q.fetch_all(c).await?.iter().map(|r| Ok((r.try_get("id")?, r.try_get("rw")?, r.try_get("nama")?, r.try_get("alamat")?))).collect::<Result<Vec<_>, sqlx::Error>>()
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// A pair flagged for a person to decide (`household_a < household_b`).
pub struct NewNearDup<'a> {
    pub rw: &'a str,
    pub household_a: i64,
    pub household_b: i64,
    pub jenis: &'a str,
    pub skor_nama: f64,
    pub skor_alamat: f64,
}

/// Flags pairs for a person to decide, [`IMPORT_CHUNK`] a statement; a pair already flagged
/// (by an earlier batch) is left as it is. Returns how many are new. The caller passes each pair
/// once (a statement that met the same pair twice would count on the store's own rule for it).
pub async fn insert_near_dups(tx: &mut Tx, pairs: &[NewNearDup<'_>]) -> Result<i64, StoreError> {
    let now = Utc::now();
    let mut added = 0;
    for chunk in pairs.chunks(IMPORT_CHUNK) {
        let sql = format!(
            "INSERT INTO recipient_near_dup (rw, household_a, household_b, jenis, skor_nama, skor_alamat, created_at) VALUES {} \
             ON CONFLICT (household_a, household_b) DO NOTHING",
            value_groups(tx, chunk.len(), 7)
        );
        added += crate::on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q.bind(p.rw).bind(p.household_a).bind(p.household_b).bind(p.jenis).bind(p.skor_nama).bind(p.skor_alamat).bind(now);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(added as i64)
}

/// A batch as listed (no personal data).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct BatchRecord {
    pub id: i64,
    pub sumber: String,
    pub nama_file: String,
    pub format: String,
    pub file_sha256: String,
    pub rows_total: i64,
    pub rows_valid: i64,
    pub rows_ditolak: i64,
    pub generated: bool,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

pub async fn batch(store: &Store, id: i64) -> Result<Option<BatchRecord>, StoreError> {
    let sql = "SELECT id, sumber, nama_file, format, file_sha256, rows_total, rows_valid, rows_ditolak, generated, actor, created_at FROM recipient_batch WHERE id = $1";
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, BatchRecord>(sql).bind(id).fetch_optional(p).await)?)
}

/// One stored row of a batch, as its report shows it (NIK masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowReport {
    /// Line of the CSV file or row of the sheet (the header is line 1).
    pub line: i64,
    /// `valid` or `ditolak`.
    pub status: String,
    pub alasan: Vec<Alasan>,
    /// Masked NIK (`3171**********01`), when the cell held a 16-digit NIK.
    pub nik: Option<String>,
    pub rw: Option<String>,
    /// NIK issued outside DKI Jakarta (flagged, not refused).
    pub luar_dki: bool,
    pub household_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RowRow {
    line: i64,
    status: String,
    alasan: String,
    nik_mask: Option<String>,
    rw: Option<String>,
    luar_dki: bool,
    household_id: Option<i64>,
}

impl TryFrom<RowRow> for RowReport {
    type Error = StoreError;
    fn try_from(r: RowRow) -> Result<RowReport, StoreError> {
        let alasan = serde_json::from_str::<Vec<StoredAlasan>>(&r.alasan).map_err(|e| StoreError::Invalid(format!("recipient_row.alasan: {e}")))?;
        Ok(RowReport {
            line: r.line,
            status: r.status,
            alasan: alasan.into_iter().map(|a| Alasan { kode: a.kode, kolom: a.kolom, keterangan: a.keterangan }).collect(),
            nik: r.nik_mask,
            rw: r.rw,
            luar_dki: r.luar_dki,
            household_id: r.household_id,
        })
    }
}

#[derive(serde::Deserialize)]
struct StoredAlasan {
    kode: String,
    kolom: String,
    keterangan: String,
}

/// Every row of a batch, in line order.
pub async fn batch_rows(store: &Store, batch_id: i64) -> Result<Vec<RowReport>, StoreError> {
    let sql = "SELECT line, status, alasan, nik_mask, rw, luar_dki, household_id FROM recipient_row WHERE batch_id = $1 ORDER BY line";
    let rows = crate::on_pool!(store, p => sqlx::query_as::<_, RowRow>(sql).bind(batch_id).fetch_all(p).await)?;
    rows.into_iter().map(RowReport::try_from).collect()
}

/// A household as answered: NIK and No. KK masked, the sources that listed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Household {
    pub id: i64,
    pub rw: String,
    pub rt: String,
    /// Masked NIK of the head of household.
    pub nik: String,
    /// Masked No. KK.
    pub no_kk: String,
    pub nama: String,
    pub alamat: String,
    pub jumlah_anggota: i64,
    /// Programmes already received (PKH, BPNT, …), as listed by the sources.
    pub program: Vec<String>,
    pub luar_dki: bool,
    /// Sources (sumber) whose rows became this household, each once.
    pub sumber: Vec<String>,
    /// Set when a person decided this is the same household as another one.
    pub duplikat_dari: Option<i64>,
    /// Result of matching with the population register (`padan`, `tidak_padan`, `meninggal`,
    /// `pindah`); absent until matched.
    pub padan: Option<String>,
    pub padan_alasan: Option<String>,
    /// Eligibility (`layak`, `tidak_layak`, `melebihi_kuota`, `belum_dipadankan`) with its
    /// reason; absent until assessed.
    pub kelayakan: Option<String>,
    pub kelayakan_alasan: Option<String>,
    /// Verification state: `diterima_rw`, `ditolak_rw`, `diterima_lurah`, `ditolak_lurah`,
    /// `dikembalikan_kecamatan`; absent until the RW decides.
    pub verifikasi: Option<String>,
    pub generated: bool,
}

#[derive(sqlx::FromRow)]
struct HouseholdRow {
    id: i64,
    rw: String,
    rt: String,
    nik_mask: String,
    kk_mask: String,
    nama: String,
    alamat: String,
    jumlah_anggota: i64,
    program: String,
    luar_dki: bool,
    #[sqlx(skip)]
    sumber: Option<String>,
    duplikat_dari: Option<i64>,
    padan: Option<String>,
    padan_alasan: Option<String>,
    kelayakan: Option<String>,
    kelayakan_alasan: Option<String>,
    verifikasi: Option<String>,
    generated: bool,
}

impl From<HouseholdRow> for Household {
    fn from(r: HouseholdRow) -> Household {
        let split = |s: &str| s.split(',').filter(|x| !x.is_empty()).map(String::from).collect::<Vec<_>>();
        let mut sumber = split(r.sumber.as_deref().unwrap_or(""));
        sumber.sort();
        sumber.dedup();
        Household {
            id: r.id,
            rw: r.rw,
            rt: r.rt,
            nik: r.nik_mask,
            no_kk: r.kk_mask,
            nama: r.nama,
            alamat: r.alamat,
            jumlah_anggota: r.jumlah_anggota,
            program: split(&r.program),
            luar_dki: r.luar_dki,
            sumber,
            duplikat_dari: r.duplikat_dari,
            padan: r.padan,
            padan_alasan: r.padan_alasan,
            kelayakan: r.kelayakan,
            kelayakan_alasan: r.kelayakan_alasan,
            verifikasi: r.verifikasi,
            generated: r.generated,
        }
    }
}

/// Which households a list shows: an RW, or every RW of a kelurahan, or all; `after` pages by id.
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    pub rw: Option<String>,
    pub kelurahan: Option<String>,
    pub after: i64,
    pub limit: i64,
}

/// The sources of a household as one comma-separated text (portable: a correlated subquery
/// over the distinct sources, joined in Rust).
const HOUSEHOLD_COLS: &str = "h.id, h.rw, h.rt, h.nik_mask, h.kk_mask, h.nama, h.alamat, h.jumlah_anggota, h.program, h.luar_dki, h.duplikat_dari, h.padan, h.padan_alasan, h.kelayakan, h.kelayakan_alasan, h.verifikasi, h.generated";

async fn with_sources(store: &Store, rows: Vec<HouseholdRow>) -> Result<Vec<Household>, StoreError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    // Ids are integers read from the store: safe to inline, and one query for the page.
    let sql = format!(
        "SELECT DISTINCT r.household_id AS id, b.sumber AS sumber FROM recipient_row r JOIN recipient_batch b ON b.id = r.batch_id \
         WHERE r.household_id IN ({})",
        ids.join(",")
    );
    let pairs: Vec<(i64, String)> = crate::on_pool!(store, p => sqlx::query(&sql).fetch_all(p).await?
        .iter().map(|r| Ok((r.try_get("id")?, r.try_get("sumber")?))).collect::<Result<Vec<_>, sqlx::Error>>())?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let s: Vec<&str> = pairs.iter().filter(|(id, _)| *id == r.id).map(|(_, s)| s.as_str()).collect();
            r.sumber = Some(s.join(","));
            Household::from(r)
        })
        .collect())
}

/// A page of households. Only the filters given are in the SQL, and a kelurahan is a range of RW
/// codes (`rw >= '31.71.01.1001.' AND rw < '31.71.01.1001/'`), so both stores use the (rw, id)
/// index: with `($2 = '' OR rw = $2)` or `LIKE $3 || '.%'` SQLite walked the households by id and
/// an RW operator's page cost a scan of the whole list at a million households.
pub async fn households(store: &Store, f: &HouseholdFilter) -> Result<Vec<Household>, StoreError> {
    let mut texts: Vec<String> = Vec::new();
    let mut cond = String::new();
    if let Some(rw) = &f.rw {
        texts.push(rw.clone());
        cond.push_str(&format!(" AND h.rw = ${}", texts.len() + 2));
    }
    if let Some(k) = &f.kelurahan {
        texts.push(format!("{k}."));
        texts.push(format!("{k}/"));
        cond.push_str(&format!(" AND h.rw >= ${} AND h.rw < ${}", texts.len() + 1, texts.len() + 2));
    }
    let sql = format!("SELECT {HOUSEHOLD_COLS} FROM recipient_household h WHERE h.id > $1{cond} ORDER BY h.id LIMIT $2");
    let rows = crate::on_pool!(store, p => {
        let mut q = sqlx::query_as::<_, HouseholdRow>(&sql).bind(f.after).bind(f.limit);
        for t in &texts {
            q = q.bind(t);
        }
        q.fetch_all(p).await
    })?;
    with_sources(store, rows).await
}

pub async fn household(store: &Store, id: i64) -> Result<Option<Household>, StoreError> {
    let sql = format!("SELECT {HOUSEHOLD_COLS} FROM recipient_household h WHERE h.id = $1");
    let row = crate::on_pool!(store, p => sqlx::query_as::<_, HouseholdRow>(&sql).bind(id).fetch_optional(p).await)?;
    Ok(with_sources(store, row.into_iter().collect()).await?.pop())
}

/// The sealed NIK and No. KK of a household, with its RW, read inside a transaction (for the
/// audited full read).
pub async fn sealed_numbers(tx: &mut Tx, id: i64) -> Result<Option<(String, Vec<u8>, Vec<u8>)>, StoreError> {
    let row = crate::on_tx!(tx, c => match sqlx::query("SELECT rw, nik_enc, kk_enc FROM recipient_household WHERE id = $1").bind(id).fetch_optional(c).await? {
        Some(r) => Some((r.try_get("rw")?, r.try_get("nik_enc")?, r.try_get("kk_enc")?)),
        None => None,
    });
    Ok(row)
}

/// A near-duplicate pair as answered (names, no numbers).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct NearDup {
    pub id: i64,
    pub rw: String,
    pub household_a: i64,
    pub household_b: i64,
    /// `nama_alamat_mirip` (similar name and address) or `nik_kk_silang` (the NIK is on one
    /// household, the No. KK on another).
    pub jenis: String,
    pub skor_nama: f64,
    pub skor_alamat: f64,
    pub keputusan: Option<String>,
    pub alasan: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

const NEAR_COLS: &str = "id, rw, household_a, household_b, jenis, skor_nama, skor_alamat, keputusan, alasan, decided_by, decided_at";

/// Pairs in an RW or a kelurahan (or all), open ones only unless `all`.
pub async fn near_dups(store: &Store, rw: Option<&str>, kelurahan: Option<&str>, all: bool) -> Result<Vec<NearDup>, StoreError> {
    let sql = format!(
        "SELECT {NEAR_COLS} FROM recipient_near_dup WHERE ($1 = '' OR rw = $1) AND ($2 = '' OR rw LIKE $2 || '.%') \
         AND ($3 OR keputusan IS NULL) ORDER BY id LIMIT 1000"
    );
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, NearDup>(&sql).bind(rw.unwrap_or("")).bind(kelurahan.unwrap_or("")).bind(all).fetch_all(p).await)?)
}

pub async fn near_dup(tx: &mut Tx, id: i64) -> Result<Option<NearDup>, StoreError> {
    let sql = format!("SELECT {NEAR_COLS} FROM recipient_near_dup WHERE id = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, NearDup>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Records a decision if none was made yet; returns whether it was recorded.
pub async fn decide(tx: &mut Tx, id: i64, keputusan: &str, alasan: &str, actor: &str) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE recipient_near_dup SET keputusan = $2, alasan = $3, decided_by = $4, decided_at = $5 WHERE id = $1 AND keputusan IS NULL")
        .bind(id).bind(keputusan).bind(alasan).bind(actor).bind(Utc::now()).execute(c).await?.rows_affected());
    Ok(n == 1)
}

/// Marks `dup` a duplicate of `of` (a `sama` decision).
pub async fn mark_duplicate(tx: &mut Tx, dup: i64, of: i64) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE recipient_household SET duplikat_dari = $2 WHERE id = $1 AND duplikat_dari IS NULL")
        .bind(dup).bind(of).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Row counts of the recipient tables (batches, rows, households, near-duplicates, proposals and
/// their steps, decrees and their items), for tests
/// and the CLI summary.
pub async fn counts(store: &Store) -> Result<[i64; 8], StoreError> {
    let sql = "SELECT (SELECT COUNT(*) FROM recipient_batch) AS b, (SELECT COUNT(*) FROM recipient_row) AS r, \
               (SELECT COUNT(*) FROM recipient_household) AS h, (SELECT COUNT(*) FROM recipient_near_dup) AS n, \
               (SELECT COUNT(*) FROM recipient_usulan) AS u, (SELECT COUNT(*) FROM recipient_usulan_langkah) AS l, \
               (SELECT COUNT(*) FROM recipient_sk) AS s, (SELECT COUNT(*) FROM recipient_sk_item) AS i";
    let r = crate::on_pool!(store, p => {
        let r = sqlx::query(sql).fetch_one(p).await?;
        Ok::<_, sqlx::Error>([r.try_get::<i64, _>("b")?, r.try_get("r")?, r.try_get("h")?, r.try_get("n")?, r.try_get("u")?, r.try_get("l")?, r.try_get("s")?, r.try_get("i")?])
    })?;
    Ok(r)
}

/// Every sealed value (table, id, column, bytes) not under the key `is_current` accepts, for
/// key rotation.
pub async fn stale_seals(tx: &mut Tx, is_current: &dyn Fn(&[u8]) -> bool) -> Result<Vec<(&'static str, i64, &'static str, Vec<u8>)>, StoreError> {
    let mut out = Vec::new();
    for (table, cols) in [("recipient_household", ["nik_enc", "kk_enc", "telepon_enc"]), ("recipient_row", ["nik_enc", "kk_enc", "telepon_enc"])] {
        let sql = format!("SELECT id, {} FROM {table}", cols.join(", "));
        let rows: Vec<(i64, [Option<Vec<u8>>; 3])> = crate::on_tx!(tx, c => sqlx::query(&sql).fetch_all(c).await?
            .iter().map(|r| Ok((r.try_get("id")?, [r.try_get(cols[0])?, r.try_get(cols[1])?, r.try_get(cols[2])?])))
            .collect::<Result<Vec<_>, sqlx::Error>>())?;
        for (id, vals) in rows {
            for (col, v) in cols.iter().zip(vals) {
                if let Some(v) = v.filter(|v| !is_current(v)) {
                    out.push((table, id, *col, v));
                }
            }
        }
    }
    Ok(out)
}

/// Replaces one sealed value (key rotation).
pub async fn reseal(tx: &mut Tx, table: &str, id: i64, col: &str, v: &[u8]) -> Result<(), StoreError> {
    // Table and column come from `stale_seals`' fixed lists, never from input.
    let sql = format!("UPDATE {table} SET {col} = $2 WHERE id = $1");
    crate::on_tx!(tx, c => sqlx::query(&sql).bind(id).bind(v).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Whether `code` is in the boundary table `table` (`rw` or `kelurahan`; a fixed name, never input).
pub async fn area_exists(store: &Store, table: &str, code: &str) -> Result<bool, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE kode = $1");
    let n: i64 = crate::on_pool!(store, p => sqlx::query_scalar(&sql).bind(code).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Households to match with the register (on the list, not a duplicate): id, sealed NIK, sealed
/// No. KK, nama. All of them with `ulang`, else only those not matched yet.
pub async fn to_match(store: &Store, ulang: bool) -> Result<Vec<(i64, Vec<u8>, Vec<u8>, String)>, StoreError> {
    let sql = "SELECT id, nik_enc, kk_enc, nama FROM recipient_household WHERE duplikat_dari IS NULL AND ($1 OR padan IS NULL) ORDER BY id";
    let rows = crate::on_pool!(store, p => sqlx::query(sql).bind(ulang).fetch_all(p).await?
        .iter().map(|r| Ok((r.try_get("id")?, r.try_get("nik_enc")?, r.try_get("kk_enc")?, r.try_get("nama")?))).collect::<Result<Vec<_>, sqlx::Error>>())?;
    Ok(rows)
}

/// Stores one household's matching result.
pub async fn set_padan(tx: &mut Tx, id: i64, padan: &str, alasan: &str, sumber: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE recipient_household SET padan = $2, padan_alasan = $3, padan_sumber = $4, padan_at = $5 WHERE id = $1")
        .bind(id).bind(padan).bind(alasan).bind(sumber).bind(Utc::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The quota of a kecamatan or kelurahan before this write (None: had none), then the new one.
pub async fn upsert_quota(tx: &mut Tx, wilayah: &str, kuota: i64, actor: &str) -> Result<Option<i64>, StoreError> {
    let before = crate::on_tx!(tx, c => {
        let old: Option<i64> = sqlx::query_scalar("SELECT kuota FROM recipient_quota WHERE wilayah = $1").bind(wilayah).fetch_optional(&mut *c).await?;
        sqlx::query("INSERT INTO recipient_quota (wilayah, kuota, actor, updated_at) VALUES ($1,$2,$3,$4) \
                     ON CONFLICT (wilayah) DO UPDATE SET kuota = excluded.kuota, actor = excluded.actor, updated_at = excluded.updated_at")
            .bind(wilayah).bind(kuota).bind(actor).bind(Utc::now()).execute(&mut *c).await?;
        Ok::<_, sqlx::Error>(old)
    })?;
    Ok(before)
}

/// Every quota: wilayah code → kuota.
pub async fn quotas(tx: &mut Tx) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = crate::on_tx!(tx, c => sqlx::query("SELECT wilayah, kuota FROM recipient_quota").fetch_all(c).await?
        .iter().map(|r| Ok((r.try_get("wilayah")?, r.try_get("kuota")?))).collect::<Result<Vec<_>, sqlx::Error>>())?;
    Ok(rows.into_iter().collect())
}

/// What eligibility needs of every household on the list, by id.
pub async fn eligibility_facts(tx: &mut Tx) -> Result<Vec<super::eligibility::Facts>, StoreError> {
    let rows = crate::on_tx!(tx, c => sqlx::query("SELECT id, rw, program, padan FROM recipient_household WHERE duplikat_dari IS NULL ORDER BY id")
        .fetch_all(c).await?
        .iter().map(|r| Ok(super::eligibility::Facts { id: r.try_get("id")?, rw: r.try_get("rw")?, program: r.try_get("program")?, padan: r.try_get("padan")? }))
        .collect::<Result<Vec<_>, sqlx::Error>>())?;
    Ok(rows)
}

pub async fn set_kelayakan(tx: &mut Tx, id: i64, kelayakan: &str, alasan: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE recipient_household SET kelayakan = $2, kelayakan_alasan = $3 WHERE id = $1")
        .bind(id).bind(kelayakan).bind(alasan).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// What a verification needs of a household, read through the transaction: rw, kelayakan,
/// verifikasi, verifikasi_versi.
pub async fn verification_state(tx: &mut Tx, id: i64) -> Result<Option<(String, Option<String>, Option<String>, i64)>, StoreError> {
    let row = crate::on_tx!(tx, c => match sqlx::query("SELECT rw, kelayakan, verifikasi, verifikasi_versi FROM recipient_household WHERE id = $1 AND duplikat_dari IS NULL")
        .bind(id).fetch_optional(c).await? {
        Some(r) => Some((r.try_get("rw")?, r.try_get("kelayakan")?, r.try_get("verifikasi")?, r.try_get("verifikasi_versi")?)),
        None => None,
    });
    Ok(row)
}

/// One verification decision as stored.
pub struct Decision<'a> {
    pub tahap: &'a str,
    pub keputusan: &'a str,
    pub alasan: &'a str,
    pub actor: &'a str,
}

/// Moves a household to `state` if its version is still `versi` (else nothing: returns false),
/// and appends the decision to its history.
pub async fn verify(tx: &mut Tx, id: i64, versi: i64, state: &str, d: &Decision<'_>) -> Result<bool, StoreError> {
    let now = Utc::now();
    let Decision { tahap, keputusan, alasan, actor } = *d;
    let moved = crate::on_tx!(tx, c => {
        let n = sqlx::query("UPDATE recipient_household SET verifikasi = $2, verifikasi_versi = verifikasi_versi + 1 WHERE id = $1 AND verifikasi_versi = $3")
            .bind(id).bind(state).bind(versi).execute(&mut *c).await?.rows_affected();
        if n == 1 {
            sqlx::query("INSERT INTO recipient_verifikasi (household_id, tahap, keputusan, alasan, actor, at) VALUES ($1,$2,$3,$4,$5,$6)")
                .bind(id).bind(tahap).bind(keputusan).bind(alasan).bind(actor).bind(now).execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(n == 1)
    })?;
    Ok(moved)
}

/// One decision in a household's verification history.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct VerifikasiRecord {
    pub id: i64,
    pub tahap: String,
    pub keputusan: String,
    pub alasan: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub async fn verification_history(store: &Store, id: i64) -> Result<Vec<VerifikasiRecord>, StoreError> {
    let sql = "SELECT id, tahap, keputusan, alasan, actor, at FROM recipient_verifikasi WHERE household_id = $1 ORDER BY id";
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, VerifikasiRecord>(sql).bind(id).fetch_all(p).await)?)
}

/// Creates a proposal (usulan) at the RT desk for its batch, with its first history row.
pub async fn insert_usulan(tx: &mut Tx, rw: &str, batch_id: i64, catatan: &str, actor: &str) -> Result<i64, StoreError> {
    let now = Utc::now();
    let id = crate::on_tx!(tx, c => {
        let id: i64 = sqlx::query("INSERT INTO recipient_usulan (rw, batch_id, tahap, versi, actor, created_at, updated_at) VALUES ($1,$2,'rt',0,$3,$4,$4) RETURNING id")
            .bind(rw).bind(batch_id).bind(actor).bind(now).fetch_one(&mut *c).await?.try_get("id")?;
        sqlx::query("INSERT INTO recipient_usulan_langkah (usulan_id, dari, ke, aksi, alasan, actor, at) VALUES ($1,NULL,'rt','buat',$2,$3,$4)")
            .bind(id).bind(catatan).bind(actor).bind(now).execute(&mut *c).await?;
        Ok::<_, sqlx::Error>(id)
    })?;
    Ok(id)
}

/// A proposal as answered (no personal data: counts only).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct UsulanRecord {
    pub id: i64,
    pub rw: String,
    /// The batch (source `usulan`) holding the proposal's rows.
    pub batch_id: i64,
    /// The desk holding it: rt, rw, kelurahan, kecamatan, biro_pemerintahan, diskominfotik,
    /// dukcapil, biro_kesos, ditetapkan.
    pub tahap: String,
    /// Name it when moving the proposal (a proposal moved meanwhile is a 409).
    pub versi: i64,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Households the proposal's valid rows formed or joined.
    pub rumah_tangga: i64,
    /// Of those, not matched with the population register yet.
    pub belum_dipadankan: i64,
}

const USULAN_SELECT: &str = "SELECT u.id, u.rw, u.batch_id, u.tahap, u.versi, u.actor, u.created_at, u.updated_at, \
    (SELECT COUNT(DISTINCT r.household_id) FROM recipient_row r WHERE r.batch_id = u.batch_id AND r.household_id IS NOT NULL) AS rumah_tangga, \
    (SELECT COUNT(*) FROM recipient_household h WHERE h.padan IS NULL AND h.duplikat_dari IS NULL \
       AND h.id IN (SELECT r.household_id FROM recipient_row r WHERE r.batch_id = u.batch_id)) AS belum_dipadankan \
    FROM recipient_usulan u";

/// One proposal, read through a transaction (what a move needs).
pub async fn usulan_tx(tx: &mut Tx, id: i64) -> Result<Option<UsulanRecord>, StoreError> {
    let sql = format!("{USULAN_SELECT} WHERE u.id = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, UsulanRecord>(&sql).bind(id).fetch_optional(c).await)?)
}

pub async fn usulan(store: &Store, id: i64) -> Result<Option<UsulanRecord>, StoreError> {
    let sql = format!("{USULAN_SELECT} WHERE u.id = $1");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, UsulanRecord>(&sql).bind(id).fetch_optional(p).await)?)
}

/// Proposals of an RW or a kelurahan (or all), at one desk or all, newest first (at most 1,000).
pub async fn usulan_list(store: &Store, rw: Option<&str>, kelurahan: Option<&str>, tahap: Option<&str>) -> Result<Vec<UsulanRecord>, StoreError> {
    let sql = format!("{USULAN_SELECT} WHERE ($1 = '' OR u.rw = $1) AND ($2 = '' OR u.rw LIKE $2 || '.%') AND ($3 = '' OR u.tahap = $3) ORDER BY u.id DESC LIMIT 1000");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, UsulanRecord>(&sql)
        .bind(rw.unwrap_or("")).bind(kelurahan.unwrap_or("")).bind(tahap.unwrap_or("")).fetch_all(p).await)?)
}

/// One move of a proposal as stored.
pub struct Langkah<'a> {
    pub dari: &'a str,
    pub ke: &'a str,
    pub aksi: &'a str,
    pub alasan: &'a str,
    pub actor: &'a str,
}

/// Moves a proposal if its version is still `versi` (else nothing: returns false), and appends
/// the move to its history.
pub async fn move_usulan(tx: &mut Tx, id: i64, versi: i64, l: &Langkah<'_>) -> Result<bool, StoreError> {
    let now = Utc::now();
    let Langkah { dari, ke, aksi, alasan, actor } = *l;
    let moved = crate::on_tx!(tx, c => {
        let n = sqlx::query("UPDATE recipient_usulan SET tahap = $2, versi = versi + 1, updated_at = $4 WHERE id = $1 AND versi = $3")
            .bind(id).bind(ke).bind(versi).bind(now).execute(&mut *c).await?.rows_affected();
        if n == 1 {
            sqlx::query("INSERT INTO recipient_usulan_langkah (usulan_id, dari, ke, aksi, alasan, actor, at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
                .bind(id).bind(dari).bind(ke).bind(aksi).bind(alasan).bind(actor).bind(now).execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(n == 1)
    })?;
    Ok(moved)
}

/// One step in a proposal's history: from which desk to which, who, when, why.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct LangkahRecord {
    pub id: i64,
    /// Absent on the first row (the proposal's creation).
    pub dari: Option<String>,
    pub ke: String,
    /// buat, teruskan, kembalikan.
    pub aksi: String,
    pub alasan: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub async fn usulan_steps(store: &Store, id: i64) -> Result<Vec<LangkahRecord>, StoreError> {
    let sql = "SELECT id, dari, ke, aksi, alasan, actor, at FROM recipient_usulan_langkah WHERE usulan_id = $1 ORDER BY id";
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, LangkahRecord>(sql).bind(id).fetch_all(p).await)?)
}

/// A decree item as stored (public so the scale bench reads a kelurahan's households as items).
#[derive(sqlx::FromRow)]
pub struct SkItemRow {
    household_id: i64,
    rw: String,
    rt: String,
    nik_mask: String,
    kk_mask: String,
    nama: String,
    alamat: String,
    jumlah_anggota: i64,
    nik_hash: String,
    kk_hash: String,
}

impl From<SkItemRow> for SkItem {
    fn from(r: SkItemRow) -> SkItem {
        SkItem {
            household_id: r.household_id,
            rw: r.rw,
            rt: r.rt,
            nik: r.nik_mask,
            no_kk: r.kk_mask,
            nama: r.nama,
            alamat: r.alamat,
            jumlah_anggota: r.jumlah_anggota,
            nik_hash: r.nik_hash,
            kk_hash: r.kk_hash,
        }
    }
}

/// The accepted list a decree freezes, read through the transaction: households on the list
/// (not a duplicate), `layak`, accepted by the Lurah (`diterima_lurah`), and not only known from
/// a proposal still on its way (a household whose every row comes from a proposal before the
/// Biro Kesos desk waits for it).
pub async fn sk_candidates(tx: &mut Tx) -> Result<Vec<SkItem>, StoreError> {
    let sql = "SELECT h.id AS household_id, h.rw, h.rt, h.nik_mask, h.kk_mask, h.nama, h.alamat, h.jumlah_anggota, h.nik_hash, h.kk_hash \
               FROM recipient_household h WHERE h.duplikat_dari IS NULL AND h.kelayakan = 'layak' AND h.verifikasi = 'diterima_lurah' \
               AND EXISTS (SELECT 1 FROM recipient_row r LEFT JOIN recipient_usulan u ON u.batch_id = r.batch_id \
                           WHERE r.household_id = h.id AND (u.id IS NULL OR u.tahap IN ('biro_kesos', 'ditetapkan'))) \
               ORDER BY h.id";
    let rows = crate::on_tx!(tx, c => sqlx::query_as::<_, SkItemRow>(sql).fetch_all(c).await)?;
    Ok(rows.into_iter().map(SkItem::from).collect())
}

const SK_ITEM_COLS: &str = "household_id, rw, rt, nik_mask, kk_mask, nama, alamat, jumlah_anggota, nik_hash, kk_hash";

/// The items of a decree version (ordered by RW, RT, household), through a transaction.
pub async fn sk_items_tx(tx: &mut Tx, sk_id: i64) -> Result<Vec<SkItem>, StoreError> {
    let sql = format!("SELECT {SK_ITEM_COLS} FROM recipient_sk_item WHERE sk_id = $1 ORDER BY rw, rt, household_id");
    let rows = crate::on_tx!(tx, c => sqlx::query_as::<_, SkItemRow>(&sql).bind(sk_id).fetch_all(c).await)?;
    Ok(rows.into_iter().map(SkItem::from).collect())
}

/// The items of a decree version in one RW prefix (an RW or a kelurahan; empty: all), ordered by
/// RW, RT, household.
pub async fn sk_items(store: &Store, sk_id: i64, prefix: &str) -> Result<Vec<SkItem>, StoreError> {
    let sql = format!("SELECT {SK_ITEM_COLS} FROM recipient_sk_item WHERE sk_id = $1 AND ($2 = '' OR rw = $2 OR rw LIKE $2 || '.%') ORDER BY rw, rt, household_id");
    let rows = crate::on_pool!(store, p => sqlx::query_as::<_, SkItemRow>(&sql).bind(sk_id).bind(prefix).fetch_all(p).await)?;
    Ok(rows.into_iter().map(SkItem::from).collect())
}

/// A decree version as listed (no personal data).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct SkRecord {
    pub id: i64,
    /// 1, 2, …: a change is a new version.
    pub versi: i64,
    pub nomor: String,
    pub tanggal: chrono::NaiveDate,
    /// SHA-256 of the list (`sk::content_hash`).
    pub hash: String,
    pub rumah_tangga: i64,
    /// People in those households (sum of jumlah_anggota).
    pub jiwa: i64,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

const SK_COLS: &str = "id, versi, nomor, tanggal, hash, rumah_tangga, jiwa, actor, created_at";

/// The current (latest) decree, through a transaction.
pub async fn current_sk_tx(tx: &mut Tx) -> Result<Option<SkRecord>, StoreError> {
    let sql = format!("SELECT {SK_COLS} FROM recipient_sk ORDER BY versi DESC LIMIT 1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, SkRecord>(&sql).fetch_optional(c).await)?)
}

pub async fn sk_by_nomor_tx(tx: &mut Tx, nomor: &str) -> Result<Option<SkRecord>, StoreError> {
    let sql = format!("SELECT {SK_COLS} FROM recipient_sk WHERE nomor = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, SkRecord>(&sql).bind(nomor).fetch_optional(c).await)?)
}

pub async fn sk(store: &Store, id: i64) -> Result<Option<SkRecord>, StoreError> {
    let sql = format!("SELECT {SK_COLS} FROM recipient_sk WHERE id = $1");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, SkRecord>(&sql).bind(id).fetch_optional(p).await)?)
}

/// Every version, newest first.
pub async fn sk_list(store: &Store) -> Result<Vec<SkRecord>, StoreError> {
    let sql = format!("SELECT {SK_COLS} FROM recipient_sk ORDER BY versi DESC");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, SkRecord>(&sql).fetch_all(p).await)?)
}

/// Stores a decree version and its items (multi-row inserts of 500: one round trip per 500
/// households, within SQLite's bound-parameter limit).
pub async fn insert_sk(tx: &mut Tx, versi: i64, nomor: &str, tanggal: chrono::NaiveDate, hash: &str, items: &[SkItem], actor: &str) -> Result<i64, StoreError> {
    let now = Utc::now();
    let jiwa: i64 = items.iter().map(|i| i.jumlah_anggota).sum();
    let id = crate::on_tx!(tx, c => {
        let id: i64 = sqlx::query("INSERT INTO recipient_sk (versi, nomor, tanggal, hash, rumah_tangga, jiwa, actor, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id")
            .bind(versi).bind(nomor).bind(tanggal).bind(hash).bind(items.len() as i64).bind(jiwa).bind(actor).bind(now)
            .fetch_one(&mut *c).await?.try_get("id")?;
        for chunk in items.chunks(500) {
            let values: Vec<String> = (0..chunk.len())
                .map(|k| { let b = k * 11; format!("(${},${},${},${},${},${},${},${},${},${},${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11) })
                .collect();
            let sql = format!("INSERT INTO recipient_sk_item (sk_id, {SK_ITEM_COLS}) VALUES {}", values.join(","));
            let mut q = sqlx::query(&sql);
            for i in chunk {
                q = q.bind(id).bind(i.household_id).bind(&i.rw).bind(&i.rt).bind(&i.nik).bind(&i.no_kk).bind(&i.nama).bind(&i.alamat)
                    .bind(i.jumlah_anggota).bind(&i.nik_hash).bind(&i.kk_hash);
            }
            q.execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(id)
    })?;
    Ok(id)
}

/// Proposals at the Biro Kesos desk with a household in decree `sk_id` (id, versi): the decree
/// moves them to `ditetapkan`.
pub async fn proposals_decreed(tx: &mut Tx, sk_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    let sql = "SELECT u.id, u.versi FROM recipient_usulan u WHERE u.tahap = 'biro_kesos' AND EXISTS (SELECT 1 FROM recipient_row r \
               JOIN recipient_sk_item i ON i.household_id = r.household_id AND i.sk_id = $1 WHERE r.batch_id = u.batch_id) ORDER BY u.id";
    let rows = crate::on_tx!(tx, c => sqlx::query(sql).bind(sk_id).fetch_all(c).await?
        .iter().map(|r| Ok((r.try_get("id")?, r.try_get("versi")?))).collect::<Result<Vec<(i64, i64)>, sqlx::Error>>())?;
    Ok(rows)
}

/// What a hand-out by name needs of one household, read through the transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HandoutFacts {
    /// 1 when the household was marked a duplicate.
    pub duplikat: i64,
    pub kelayakan: Option<String>,
    pub verifikasi: Option<String>,
    /// Its RW in the decree `sk_id` (absent: not in that decree).
    pub sk_rw: Option<String>,
    /// Its record of this round, if any (`diterima` / `ditarik`; a voided one does not count).
    pub this_round: Option<String>,
    /// Packages it received in any round (records not voided).
    pub received: i64,
}

/// The facts of household `id` against decree `sk_id` and round `putaran` (None: no such household).
pub async fn handout_facts(tx: &mut Tx, id: i64, sk_id: i64, putaran: i64) -> Result<Option<HandoutFacts>, StoreError> {
    let sql = "SELECT CAST(CASE WHEN h.duplikat_dari IS NULL THEN 0 ELSE 1 END AS BIGINT) AS duplikat, h.kelayakan, h.verifikasi, \
               (SELECT i.rw FROM recipient_sk_item i WHERE i.sk_id = $2 AND i.household_id = h.id) AS sk_rw, \
               (SELECT p.status FROM recipient_penyaluran p WHERE p.putaran = $3 AND p.household_id = h.id AND p.koreksi_at IS NULL) AS this_round, \
               (SELECT COUNT(*) FROM recipient_penyaluran p WHERE p.household_id = h.id AND p.status = 'diterima' AND p.koreksi_at IS NULL) AS received \
               FROM recipient_household h WHERE h.id = $1";
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, HandoutFacts>(sql).bind(id).bind(sk_id).bind(putaran).fetch_optional(c).await)?)
}

/// KK served in RW `rw` by bansos hand-outs recorded as counts (not corrected, not written by a
/// hand-out by name), with their ids.
pub async fn count_only_handouts(tx: &mut Tx, rw: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let sql = "SELECT x.id, x.kk_served FROM bansos_handout x WHERE x.rw = $1 AND x.kk_served > 0 \
               AND NOT EXISTS (SELECT 1 FROM bansos_handout y WHERE y.corrects = x.id) \
               AND NOT EXISTS (SELECT 1 FROM recipient_penyaluran p WHERE p.bansos_handout_id = x.id OR p.koreksi_bansos_id = x.id) ORDER BY x.id";
    let rows = crate::on_tx!(tx, c => sqlx::query(sql).bind(rw).fetch_all(c).await?
        .iter().map(|r| Ok((r.try_get("id")?, r.try_get("kk_served")?))).collect::<Result<Vec<(i64, i64)>, sqlx::Error>>())?;
    Ok(rows)
}

/// Whether RW `rw` takes hand-outs by name only: named by the current decree, or already holding
/// a hand-out by name; and whether bansos hand-out `corrects` (if any) was written by one.
pub async fn named_rw(tx: &mut Tx, rw: &str, corrects: Option<i64>) -> Result<(Option<String>, bool, bool), StoreError> {
    let sql = "SELECT (SELECT s.nomor FROM recipient_sk s WHERE s.versi = (SELECT MAX(versi) FROM recipient_sk) \
                       AND EXISTS (SELECT 1 FROM recipient_sk_item i WHERE i.sk_id = s.id AND i.rw = $1)) AS sk, \
               (SELECT COUNT(*) FROM recipient_penyaluran p WHERE p.rw = $1) AS named, \
               (SELECT COUNT(*) FROM recipient_penyaluran p WHERE p.bansos_handout_id = $2 OR p.koreksi_bansos_id = $2) AS corrects_named";
    let r = crate::on_tx!(tx, c => {
        let r = sqlx::query(sql).bind(rw).bind(corrects.unwrap_or(0)).fetch_one(c).await?;
        Ok::<_, sqlx::Error>((r.try_get::<Option<String>, _>("sk")?, r.try_get::<i64, _>("named")? > 0, r.try_get::<i64, _>("corrects_named")? > 0))
    })?;
    Ok(r)
}

/// A hand-out record as stored.
pub struct NewPenyaluran<'a> {
    pub putaran: i64,
    pub household_id: i64,
    pub sk_id: i64,
    pub rw: &'a str,
    pub status: &'a str,
    pub alasan: Option<&'a str>,
    pub keterangan: Option<&'a str>,
    pub petugas: Option<&'a str>,
    pub tanggal: chrono::NaiveDate,
    pub bansos_handout_id: Option<i64>,
    pub actor: &'a str,
}

/// Stores a hand-out record; `None` when the household already has one in this round not voided
/// (the unique (putaran, household) among records not voided holds even against a writer the
/// checks did not see).
pub async fn insert_penyaluran(tx: &mut Tx, p: &NewPenyaluran<'_>) -> Result<Option<i64>, StoreError> {
    let sql = "INSERT INTO recipient_penyaluran (putaran, household_id, sk_id, rw, status, alasan, keterangan, petugas, tanggal, bansos_handout_id, actor, created_at) \
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (putaran, household_id) WHERE koreksi_at IS NULL DO NOTHING RETURNING id";
    let id = crate::on_tx!(tx, c => sqlx::query_scalar::<_, i64>(sql).bind(p.putaran).bind(p.household_id).bind(p.sk_id).bind(p.rw).bind(p.status)
        .bind(p.alasan).bind(p.keterangan).bind(p.petugas).bind(p.tanggal).bind(p.bansos_handout_id).bind(p.actor).bind(Utc::now())
        .fetch_optional(c).await)?;
    Ok(id)
}

/// A stored hand-out record as a correction needs it, read through the transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PenyaluranRow {
    pub id: i64,
    pub putaran: i64,
    pub household_id: i64,
    pub rw: String,
    pub status: String,
    pub alasan: Option<String>,
    pub keterangan: Option<String>,
    pub petugas: Option<String>,
    pub tanggal: chrono::NaiveDate,
    pub koreksi_at: Option<DateTime<Utc>>,
    pub koreksi_actor: Option<String>,
    pub pengganti_id: Option<i64>,
    /// Other records of the household, not voided, where it received (any round).
    pub received_elsewhere: i64,
}

pub async fn penyaluran_row(tx: &mut Tx, id: i64) -> Result<Option<PenyaluranRow>, StoreError> {
    let sql = "SELECT p.id, p.putaran, p.household_id, p.rw, p.status, p.alasan, p.keterangan, p.petugas, p.tanggal, p.koreksi_at, p.koreksi_actor, \
               p.pengganti_id, (SELECT COUNT(*) FROM recipient_penyaluran o WHERE o.household_id = p.household_id AND o.id <> p.id \
               AND o.status = 'diterima' AND o.koreksi_at IS NULL) AS received_elsewhere FROM recipient_penyaluran p WHERE p.id = $1";
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, PenyaluranRow>(sql).bind(id).fetch_optional(c).await)?)
}

/// The newest bansos hand-out of RW `rw` still in force (not corrected) that hand-outs by name
/// wrote (or a correction of one) and that counts at least one KK: the row a voided hand-out's
/// count is taken back from (id, kk_served, date). The RW's sum is what counts, so any such row
/// will do; the newest keeps the older days' figures as written.
pub async fn named_bansos_head(tx: &mut Tx, rw: &str) -> Result<Option<(i64, i64, chrono::NaiveDate)>, StoreError> {
    let sql = "SELECT x.id, x.kk_served, x.date FROM bansos_handout x WHERE x.rw = $1 AND x.kk_served > 0 \
               AND NOT EXISTS (SELECT 1 FROM bansos_handout y WHERE y.corrects = x.id) \
               AND EXISTS (SELECT 1 FROM recipient_penyaluran p WHERE p.bansos_handout_id = x.id OR p.koreksi_bansos_id = x.id) \
               ORDER BY x.id DESC LIMIT 1";
    let row = crate::on_tx!(tx, c => sqlx::query(sql).bind(rw).fetch_optional(c).await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("kk_served")?, r.try_get("date")?))).transpose())?;
    Ok(row)
}

/// Voids record `id` (not voided yet: else `false`, nothing changed), keeping it as history.
pub async fn void_penyaluran(tx: &mut Tx, id: i64, alasan: &str, actor: &str, pengganti_id: Option<i64>, koreksi_bansos_id: Option<i64>) -> Result<bool, StoreError> {
    let sql = "UPDATE recipient_penyaluran SET koreksi_alasan = $2, koreksi_actor = $3, koreksi_at = $4, pengganti_id = $5, koreksi_bansos_id = $6 \
               WHERE id = $1 AND koreksi_at IS NULL";
    let n = crate::on_tx!(tx, c => sqlx::query(sql).bind(id).bind(alasan).bind(actor).bind(Utc::now()).bind(pengganti_id).bind(koreksi_bansos_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A hand-out record as listed: the household as decreed (NIK masked), what happened, when, by whom.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PenyaluranRecord {
    pub id: i64,
    pub putaran: i64,
    pub household_id: i64,
    pub sk_id: i64,
    pub rw: String,
    pub rt: String,
    pub nama: String,
    /// Masked NIK of the head of household.
    pub nik: String,
    /// `diterima` or `ditarik`.
    pub status: String,
    /// Why it was taken back: `tidak_di_lokasi`, `tidak_layak`.
    pub alasan: Option<String>,
    pub keterangan: Option<String>,
    pub petugas: Option<String>,
    pub tanggal: chrono::NaiveDate,
    /// The bansos hand-out row this household counts in (`kk_served`); absent for a package taken
    /// back and for a household that had already received in an earlier round.
    pub bansos_handout_id: Option<i64>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    /// Set when the record was voided (recorded against the wrong household): why, by whom,
    /// when, and the record that replaces it (absent when only voided). A voided record stays
    /// listed (history) but counts nowhere.
    pub koreksi_alasan: Option<String>,
    pub koreksi_actor: Option<String>,
    pub koreksi_at: Option<DateTime<Utc>>,
    pub pengganti_id: Option<i64>,
    /// The bansos correction row that took this household's count back (absent when it did not
    /// count, or still counts through another record).
    pub koreksi_bansos_id: Option<i64>,
}

const PENYALURAN_SELECT: &str = "SELECT p.id, p.putaran, p.household_id, p.sk_id, p.rw, i.rt, i.nama, i.nik_mask AS nik, p.status, p.alasan, p.keterangan, \
    p.petugas, p.tanggal, p.bansos_handout_id, p.actor, p.created_at, p.koreksi_alasan, p.koreksi_actor, p.koreksi_at, p.pengganti_id, \
    p.koreksi_bansos_id FROM recipient_penyaluran p \
    JOIN recipient_sk_item i ON i.sk_id = p.sk_id AND i.household_id = p.household_id";

/// One record, through the transaction.
pub async fn penyaluran_tx(tx: &mut Tx, id: i64) -> Result<Option<PenyaluranRecord>, StoreError> {
    let sql = format!("{PENYALURAN_SELECT} WHERE p.id = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, PenyaluranRecord>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Filter of the hand-out list: a round, an area prefix (RW or kelurahan; empty: all), a status
/// (empty: both), a page after an id.
pub struct PenyaluranFilter<'a> {
    pub putaran: i64,
    pub area: &'a str,
    pub status: &'a str,
    pub after: i64,
    pub limit: i64,
}

pub async fn penyaluran_list(store: &Store, f: &PenyaluranFilter<'_>) -> Result<Vec<PenyaluranRecord>, StoreError> {
    let sql = format!(
        "{PENYALURAN_SELECT} WHERE p.putaran = $1 AND ($2 = '' OR p.rw = $2 OR p.rw LIKE $2 || '.%') AND ($3 = '' OR p.status = $3) AND p.id > $4 ORDER BY p.id LIMIT $5"
    );
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, PenyaluranRecord>(&sql).bind(f.putaran).bind(f.area).bind(f.status).bind(f.after).bind(f.limit).fetch_all(p).await)?)
}

/// One RW's round against the current decree: its KK in the SK, how many received, how many
/// packages were taken back and why, how many have no record yet.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PenyaluranRingkasan {
    pub rw: String,
    pub sk_kk: i64,
    pub diterima: i64,
    pub ditarik_tidak_di_lokasi: i64,
    pub ditarik_tidak_layak: i64,
    pub belum: i64,
}

pub async fn penyaluran_ringkasan(store: &Store, sk_id: i64, putaran: i64, area: &str) -> Result<Vec<PenyaluranRingkasan>, StoreError> {
    let sql = "SELECT i.rw, CAST(COUNT(*) AS BIGINT) AS sk_kk, \
               CAST(SUM(CASE WHEN p.status = 'diterima' THEN 1 ELSE 0 END) AS BIGINT) AS diterima, \
               CAST(SUM(CASE WHEN p.alasan = 'tidak_di_lokasi' THEN 1 ELSE 0 END) AS BIGINT) AS ditarik_tidak_di_lokasi, \
               CAST(SUM(CASE WHEN p.alasan = 'tidak_layak' THEN 1 ELSE 0 END) AS BIGINT) AS ditarik_tidak_layak, \
               CAST(SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS belum \
               FROM recipient_sk_item i LEFT JOIN recipient_penyaluran p ON p.household_id = i.household_id AND p.putaran = $2 AND p.koreksi_at IS NULL \
               WHERE i.sk_id = $1 AND ($3 = '' OR i.rw = $3 OR i.rw LIKE $3 || '.%') GROUP BY i.rw ORDER BY i.rw";
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, PenyaluranRingkasan>(sql).bind(sk_id).bind(putaran).bind(area).fetch_all(p).await)?)
}

/// The current decree (latest version), from the pool.
pub async fn current_sk(store: &Store) -> Result<Option<SkRecord>, StoreError> {
    let sql = format!("SELECT {SK_COLS} FROM recipient_sk ORDER BY versi DESC LIMIT 1");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, SkRecord>(&sql).fetch_optional(p).await)?)
}

/// One page (by id, after `after`) of sealed numbers with their lookup hashes from `table`
/// (`recipient_household` or `recipient_row`, fixed names, never input): id, sealed NIK, NIK
/// hash, sealed No. KK, No. KK hash (absent on a refused row without them).
pub type SealedHashes = (i64, Option<Vec<u8>>, Option<String>, Option<Vec<u8>>, Option<String>);

pub async fn sealed_hashes(tx: &mut Tx, table: &str, after: i64, limit: i64) -> Result<Vec<SealedHashes>, StoreError> {
    let sql = format!("SELECT id, nik_enc, nik_hash, kk_enc, kk_hash FROM {table} WHERE id > $1 ORDER BY id LIMIT $2");
    let rows = crate::on_tx!(tx, c => sqlx::query(&sql).bind(after).bind(limit).fetch_all(c).await?
        .iter().map(|r| Ok((r.try_get("id")?, r.try_get("nik_enc")?, r.try_get("nik_hash")?, r.try_get("kk_enc")?, r.try_get("kk_hash")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>())?;
    Ok(rows)
}

/// Replaces the lookup hashes of one row of `table` (a fixed name from the rehash).
pub async fn set_hashes(tx: &mut Tx, table: &str, id: i64, nik_hash: Option<&str>, kk_hash: Option<&str>) -> Result<(), StoreError> {
    let sql = format!("UPDATE {table} SET nik_hash = $2, kk_hash = $3 WHERE id = $1");
    crate::on_tx!(tx, c => sqlx::query(&sql).bind(id).bind(nik_hash).bind(kk_hash).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Moves the decree items of a household from its old lookup hashes to the new ones (an item
/// holding another value keeps it; `sk_items_off_household` then finds it).
pub async fn rehash_sk_items(tx: &mut Tx, household_id: i64, nik: (&str, &str), kk: (&str, &str)) -> Result<(), StoreError> {
    let sql = "UPDATE recipient_sk_item SET nik_hash = CASE WHEN nik_hash = $2 THEN $3 ELSE nik_hash END, \
               kk_hash = CASE WHEN kk_hash = $4 THEN $5 ELSE kk_hash END WHERE household_id = $1";
    crate::on_tx!(tx, c => sqlx::query(sql).bind(household_id).bind(nik.0).bind(nik.1).bind(kk.0).bind(kk.1).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Decree items whose lookup hashes differ from their household's (a household's numbers never
/// change, so after a rehash there are none).
pub async fn sk_items_off_household(tx: &mut Tx) -> Result<i64, StoreError> {
    let sql = "SELECT COUNT(*) FROM recipient_sk_item i JOIN recipient_household h ON h.id = i.household_id \
               WHERE i.nik_hash <> h.nik_hash OR i.kk_hash <> h.kk_hash";
    Ok(crate::on_tx!(tx, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)?)
}
