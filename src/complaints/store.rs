//! Complaints in both stores. Portable SQL with `$n` placeholders; each request's writes
//! (complaint row, history entry, audit entry, idempotency record) share one transaction.

use super::model::{Category, Channel, Flag, Status};
use crate::store::{Store, StoreError, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

/// A complaint as stored. `reporter_contact` and the exact point never leave through public views.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Complaint {
    pub id: i64,
    pub channel: Channel,
    pub category: Category,
    pub description: String,
    pub reporter_contact: Option<String>,
    /// The point as the channel sent it (before any swap correction).
    pub reported: Option<[f64; 2]>,
    pub accuracy_m: Option<f64>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub kelurahan: Option<String>,
    pub rw: Option<String>,
    pub unit: String,
    pub status: Status,
    pub flags: Vec<Flag>,
    #[schema(value_type = Object)]
    pub routing: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One append-only history line: who, when, from, to, why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub from_unit: Option<String>,
    pub to_unit: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

pub struct NewComplaint<'a> {
    pub channel: Channel,
    pub category: Category,
    pub description: &'a str,
    pub reporter_contact: Option<&'a str>,
    pub reported: Option<[f64; 2]>,
    pub accuracy_m: Option<f64>,
    pub routing: &'a super::routing::Routing,
    pub at: DateTime<Utc>,
}

impl<'a> NewComplaint<'a> {
    /// The complaint of a checked intake as routed.
    pub fn of(req: &'a super::model::Intake, routing: &'a super::routing::Routing, at: DateTime<Utc>) -> NewComplaint<'a> {
        NewComplaint {
            channel: req.channel,
            category: req.category,
            description: &req.description,
            reporter_contact: req.reporter_contact.as_deref(),
            reported: req.geotag.map(|g| [g.lon, g.lat]),
            accuracy_m: req.geotag.and_then(|g| g.accuracy_m),
            routing,
            at,
        }
    }
}

pub struct NewEvent<'a> {
    pub complaint_id: i64,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub from_unit: Option<&'a str>,
    pub to_unit: &'a str,
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
}

fn flags_text(f: &[Flag]) -> String {
    f.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",")
}

fn bad(what: &str, v: &str) -> StoreError {
    StoreError::Invalid(format!("stored {what} {v:?} is unknown"))
}

pub async fn insert(tx: &mut Tx, c: &NewComplaint<'_>) -> Result<i64, StoreError> {
    let r = c.routing;
    let routing = serde_json::to_string(r).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let (lon, lat) = r.point.map(|p| (Some(p[0]), Some(p[1]))).unwrap_or((None, None));
    let id: i64 = crate::on_tx!(tx, conn => sqlx::query(
        "INSERT INTO complaints (channel, category, description, reporter_contact, reported_lon, reported_lat, accuracy_m,
           lon, lat, kelurahan, rw, unit, status, flags, routing, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$16) RETURNING id")
        .bind(c.channel.as_str()).bind(c.category.as_str()).bind(c.description).bind(c.reporter_contact)
        .bind(c.reported.map(|p| p[0])).bind(c.reported.map(|p| p[1])).bind(c.accuracy_m)
        .bind(lon).bind(lat).bind(r.kelurahan.as_ref().map(|k| k.kode.clone())).bind(r.rw.as_ref().map(|k| k.kode.clone()))
        .bind(&r.unit).bind(r.status.as_str()).bind(flags_text(&r.flags)).bind(routing).bind(c.at)
        .fetch_one(conn).await?.try_get("id"))?;
    Ok(id)
}

pub async fn append(tx: &mut Tx, e: &NewEvent<'_>) -> Result<(), StoreError> {
    crate::on_tx!(tx, conn => sqlx::query(
        "INSERT INTO complaint_history (complaint_id, at, actor, action, from_status, to_status, from_unit, to_unit, reason, note)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)")
        .bind(e.complaint_id).bind(e.at).bind(e.actor).bind(e.action).bind(e.from_status.map(|s| s.as_str()))
        .bind(e.to_status.as_str()).bind(e.from_unit).bind(e.to_unit).bind(e.reason).bind(e.note)
        .execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// A re-location's new routing and the point as reported.
pub struct Relocated<'a> {
    pub routing: &'a super::routing::Routing,
    pub reported: Option<[f64; 2]>,
    pub accuracy_m: Option<f64>,
}

/// Moves the complaint only if nobody changed it since it was read (status and unit as
/// expected); returns false on a lost race so the caller answers 409 instead of overwriting.
pub async fn update_holder(
    tx: &mut Tx,
    id: i64,
    expect: (Status, &str),
    status: Status,
    unit: &str,
    relocated: Option<Relocated<'_>>,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = match relocated {
        None => crate::on_tx!(tx, conn => sqlx::query(
            "UPDATE complaints SET status = $1, unit = $2, updated_at = $3 WHERE id = $4 AND status = $5 AND unit = $6")
            .bind(status.as_str()).bind(unit).bind(at).bind(id).bind(expect.0.as_str()).bind(expect.1)
            .execute(conn).await?.rows_affected()),
        Some(Relocated { routing: r, reported, accuracy_m: acc }) => {
            let routing = serde_json::to_string(r).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let (lon, lat) = r.point.map(|p| (Some(p[0]), Some(p[1]))).unwrap_or((None, None));
            crate::on_tx!(tx, conn => sqlx::query(
                "UPDATE complaints SET status = $1, unit = $2, updated_at = $3, lon = $7, lat = $8, kelurahan = $9, rw = $10,
                   flags = $11, routing = $12, reported_lon = $13, reported_lat = $14, accuracy_m = $15
                 WHERE id = $4 AND status = $5 AND unit = $6")
                .bind(status.as_str()).bind(unit).bind(at).bind(id).bind(expect.0.as_str()).bind(expect.1)
                .bind(lon).bind(lat).bind(r.kelurahan.as_ref().map(|k| k.kode.clone())).bind(r.rw.as_ref().map(|k| k.kode.clone()))
                .bind(flags_text(&r.flags)).bind(routing).bind(reported.map(|p| p[0])).bind(reported.map(|p| p[1])).bind(acc)
                .execute(conn).await?.rows_affected())
        }
    };
    Ok(n == 1)
}

const COLS: &str = "id, channel, category, description, reporter_contact, reported_lon, reported_lat, accuracy_m, lon, lat,
  kelurahan, rw, unit, status, flags, routing, created_at, updated_at";

/// A `complaints` row as both stores return it (words and JSON as text); [`Complaint`] is made
/// from it by `TryFrom`, which refuses unknown stored words.
#[derive(sqlx::FromRow)]
struct ComplaintRow {
    id: i64,
    channel: String,
    category: String,
    description: String,
    reporter_contact: Option<String>,
    reported_lon: Option<f64>,
    reported_lat: Option<f64>,
    accuracy_m: Option<f64>,
    lon: Option<f64>,
    lat: Option<f64>,
    kelurahan: Option<String>,
    rw: Option<String>,
    unit: String,
    status: String,
    flags: String,
    routing: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn word<T>(what: &str, v: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(v).ok_or_else(|| bad(what, v))
}

impl TryFrom<ComplaintRow> for Complaint {
    type Error = StoreError;

    fn try_from(r: ComplaintRow) -> Result<Complaint, StoreError> {
        Ok(Complaint {
            id: r.id,
            channel: word("channel", &r.channel, Channel::parse)?,
            category: word("category", &r.category, Category::parse)?,
            description: r.description,
            reporter_contact: r.reporter_contact,
            reported: r.reported_lon.zip(r.reported_lat).map(|(a, b)| [a, b]),
            accuracy_m: r.accuracy_m,
            lon: r.lon,
            lat: r.lat,
            kelurahan: r.kelurahan,
            rw: r.rw,
            unit: r.unit,
            status: word("status", &r.status, Status::parse)?,
            flags: r.flags.split(',').filter(|s| !s.is_empty()).map(|f| word("flag", f, Flag::parse)).collect::<Result<_, _>>()?,
            routing: serde_json::from_str(&r.routing).map_err(|e| StoreError::Invalid(e.to_string()))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A `complaint_history` row.
#[derive(sqlx::FromRow)]
struct HistoryRow {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    from_status: Option<String>,
    to_status: String,
    from_unit: Option<String>,
    to_unit: String,
    reason: Option<String>,
    note: Option<String>,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;

    fn try_from(r: HistoryRow) -> Result<HistoryEntry, StoreError> {
        Ok(HistoryEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            from_status: r.from_status.map(|s| word("status", &s, Status::parse)).transpose()?,
            to_status: word("status", &r.to_status, Status::parse)?,
            from_unit: r.from_unit,
            to_unit: r.to_unit,
            reason: r.reason,
            note: r.note,
        })
    }
}

/// A history row as the monthly report reads it.
#[derive(sqlx::FromRow)]
struct EventRow {
    complaint_id: i64,
    at: DateTime<Utc>,
    from_unit: Option<String>,
    to_unit: String,
    to_status: String,
}

impl TryFrom<EventRow> for super::report::Event {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<super::report::Event, StoreError> {
        Ok(super::report::Event { complaint_id: r.complaint_id, at: r.at, from_unit: r.from_unit, to_unit: r.to_unit, to_status: word("status", &r.to_status, Status::parse)? })
    }
}

/// A `complaint_units` row.
#[derive(sqlx::FromRow)]
struct UnitRow {
    id: String,
    nama: String,
    jenis: String,
    kanal: String,
    aktif: bool,
}

impl TryFrom<UnitRow> for super::model::Unit {
    type Error = StoreError;

    fn try_from(r: UnitRow) -> Result<super::model::Unit, StoreError> {
        Ok(super::model::Unit {
            id: r.id,
            nama: r.nama,
            jenis: word("unit kind", &r.jenis, super::model::UnitKind::parse)?,
            kanal: r.kanal.split(';').filter(|s| !s.is_empty()).map(|c| word("channel", c, Channel::parse)).collect::<Result<_, _>>()?,
            aktif: r.aktif,
        })
    }
}

/// Converts fetched rows into domain values.
fn domain<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<Option<Complaint>, StoreError> {
    let sql = format!("SELECT {COLS} FROM complaints WHERE id = $1");
    let row: Option<ComplaintRow> = crate::on_pool!(store, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
    row.map(Complaint::try_from).transpose()
}

/// Reads inside a transaction (so a check and the write that follows see the same row).
pub async fn get_tx(tx: &mut Tx, id: i64) -> Result<Option<Complaint>, StoreError> {
    let sql = format!("SELECT {COLS} FROM complaints WHERE id = $1");
    let row: Option<ComplaintRow> = crate::on_tx!(tx, conn => sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?);
    row.map(Complaint::try_from).transpose()
}

/// Locks the complaint row for the rest of the transaction (a no-op update: a row lock on
/// PostgreSQL, the writer lock SQLite already holds); false when there is no such complaint.
pub async fn lock(tx: &mut Tx, id: i64) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, conn => sqlx::query("UPDATE complaints SET updated_at = updated_at WHERE id = $1").bind(id).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

pub async fn history(store: &Store, id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
    let sql = "SELECT id, at, actor, action, from_status, to_status, from_unit, to_unit, reason, note FROM complaint_history WHERE complaint_id = $1 ORDER BY id";
    let rows: Vec<HistoryRow> = crate::on_pool!(store, p => sqlx::query_as(sql).bind(id).fetch_all(p).await?);
    domain(rows)
}

/// Queue / search filter; every field is already parsed.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub unit: Option<String>,
    pub status: Option<Status>,
    pub since: Option<DateTime<Utc>>,
    /// min lon, min lat, max lon, max lat.
    pub bbox: Option<[f64; 4]>,
    pub flag: Option<Flag>,
    pub limit: i64,
    pub offset: i64,
}

/// One page of complaints (newest first) and the total that match.
pub async fn list(store: &Store, f: &Filter) -> Result<(Vec<Complaint>, i64), StoreError> {
    let mut conds = vec!["1=1".to_string()];
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if f.unit.is_some() {
        conds.push(format!("unit = {}", next()));
    }
    if f.status.is_some() {
        conds.push(format!("status = {}", next()));
    }
    if f.since.is_some() {
        conds.push(format!("created_at >= {}", next()));
    }
    if f.bbox.is_some() {
        let (a, b, c, d) = (next(), next(), next(), next());
        conds.push(format!("lon >= {a} AND lat >= {b} AND lon <= {c} AND lat <= {d}"));
    }
    if f.flag.is_some() {
        conds.push(format!("(',' || flags || ',') LIKE {}", next()));
    }
    let (lim, off) = (next(), next());
    let wh = conds.join(" AND ");
    let page_sql = format!("SELECT {COLS} FROM complaints WHERE {wh} ORDER BY id DESC LIMIT {lim} OFFSET {off}");
    let count_sql = format!("SELECT COUNT(*) AS n FROM complaints WHERE {wh}");
    macro_rules! bind_all {
        ($q:expr) => {{
            let mut q = $q;
            if let Some(u) = &f.unit { q = q.bind(u.clone()); }
            if let Some(s) = f.status { q = q.bind(s.as_str()); }
            if let Some(t) = f.since { q = q.bind(t); }
            if let Some(b) = f.bbox { q = q.bind(b[0]).bind(b[1]).bind(b[2]).bind(b[3]); }
            if let Some(fl) = f.flag { q = q.bind(format!("%,{},%", fl.as_str())); }
            q
        }};
    }
    let (rows, total): (Vec<ComplaintRow>, i64) = crate::on_pool!(store, p => {
        let rows = bind_all!(sqlx::query_as(&page_sql)).bind(f.limit).bind(f.offset).fetch_all(p).await?;
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql)).fetch_one(p).await?;
        (rows, total)
    });
    Ok((domain(rows)?, total))
}

/// History events up to `end`, for the monthly report.
pub async fn events_before(store: &Store, end: DateTime<Utc>) -> Result<Vec<super::report::Event>, StoreError> {
    let sql = "SELECT complaint_id, at, from_unit, to_unit, to_status FROM complaint_history WHERE at < $1 ORDER BY complaint_id, id";
    let rows: Vec<EventRow> = crate::on_pool!(store, p => sqlx::query_as(sql).bind(end).fetch_all(p).await?);
    domain(rows)
}

/// Counts rows of the complaint tables; tests use it to show nothing was half-written.
pub async fn counts(store: &Store) -> Result<(i64, i64), StoreError> {
    crate::on_pool!(store, p => {
        let a: i64 = sqlx::query("SELECT COUNT(*) AS n FROM complaints").fetch_one(p).await?.try_get("n")?;
        let b: i64 = sqlx::query("SELECT COUNT(*) AS n FROM complaint_history").fetch_one(p).await?.try_get("n")?;
        Ok((a, b))
    })
}

/// A stored photo's metadata.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    #[serde(skip)]
    pub storage_key: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_attachment(tx: &mut Tx, complaint_id: i64, key: &str, ctype: &str, bytes: i64, sha: &str, at: DateTime<Utc>) -> Result<i64, StoreError> {
    Ok(crate::on_tx!(tx, conn => sqlx::query(
        "INSERT INTO complaint_attachments (complaint_id, storage_key, content_type, bytes, sha256, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
        .bind(complaint_id).bind(key).bind(ctype).bind(bytes).bind(sha).bind(at).fetch_one(conn).await?.try_get("id"))?)
}

const ATTACHMENT_COLS: &str = "SELECT id, storage_key, content_type, bytes, sha256, created_at FROM complaint_attachments WHERE complaint_id = $1 ORDER BY id";

pub async fn attachments(store: &Store, complaint_id: i64) -> Result<Vec<Attachment>, StoreError> {
    Ok(crate::on_pool!(store, p => sqlx::query_as(ATTACHMENT_COLS).bind(complaint_id).fetch_all(p).await?))
}

/// The photos of a complaint, read inside the transaction that adds one.
pub async fn attachments_tx(tx: &mut Tx, complaint_id: i64) -> Result<Vec<Attachment>, StoreError> {
    Ok(crate::on_tx!(tx, conn => sqlx::query_as(ATTACHMENT_COLS).bind(complaint_id).fetch_all(conn).await?))
}

/// Stores the hash of an upload secret of a complaint (the secret itself is never stored).
pub async fn add_upload_secret(tx: &mut Tx, complaint_id: i64, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    crate::on_tx!(tx, conn => sqlx::query("INSERT INTO complaint_upload_secrets (secret_hash, complaint_id, created_at) VALUES ($1,$2,$3)")
        .bind(hash).bind(complaint_id).bind(at).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// Whether `hash` is an upload secret hash of the complaint.
pub async fn upload_secret_matches(store: &Store, complaint_id: i64, hash: &str) -> Result<bool, StoreError> {
    let n: i64 = crate::on_pool!(store, p => sqlx::query_scalar("SELECT COUNT(*) FROM complaint_upload_secrets WHERE complaint_id = $1 AND secret_hash = $2")
        .bind(complaint_id).bind(hash).fetch_one(p).await?);
    Ok(n > 0)
}

/// Units stored in `complaint_units` (seeded by `load_demo`, edited by admins).
pub async fn stored_units(store: &Store) -> Result<Vec<super::model::Unit>, StoreError> {
    let rows: Vec<UnitRow> = crate::on_pool!(store, p => sqlx::query_as(UNITS).fetch_all(p).await?);
    domain(rows)
}

/// [`stored_units`] through the caller's transaction.
pub async fn stored_units_tx(tx: &mut Tx) -> Result<Vec<super::model::Unit>, StoreError> {
    let rows: Vec<UnitRow> = crate::on_tx!(tx, c => sqlx::query_as(UNITS).fetch_all(c).await?);
    domain(rows)
}

const UNITS: &str = "SELECT id, nama, jenis, kanal, aktif FROM complaint_units ORDER BY id";

pub async fn upsert_unit(tx: &mut Tx, u: &super::model::Unit) -> Result<(), StoreError> {
    let kanal = u.kanal.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(";");
    crate::on_tx!(tx, conn => sqlx::query(
        "INSERT INTO complaint_units (id, nama, jenis, kanal, aktif, updated_at) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (id) DO UPDATE SET nama = excluded.nama, jenis = excluded.jenis, kanal = excluded.kanal, aktif = excluded.aktif, updated_at = excluded.updated_at")
        .bind(&u.id).bind(&u.nama).bind(u.jenis.as_str()).bind(kanal).bind(u.aktif).bind(Utc::now()).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// Marks a complaint with its source identity (a bulk import's `import:<batch>:<row>`). The
/// unique index on `external_ref` refuses a second complaint from the same source row.
pub async fn set_external_ref(tx: &mut Tx, id: i64, external_ref: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, conn => sqlx::query("UPDATE complaints SET external_ref = $1 WHERE id = $2")
        .bind(external_ref).bind(id).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// The source identities already stored that start with `prefix` (one import batch), read
/// before an import's transactions so a re-run skips what an earlier run committed.
pub async fn external_refs_with_prefix(store: &Store, prefix: &str) -> Result<std::collections::HashSet<String>, StoreError> {
    // substr rather than LIKE: a batch name may hold % or _. PostgreSQL's substr takes int4.
    let len = i32::try_from(prefix.chars().count()).map_err(|_| StoreError::Invalid("prefix too long".into()))?;
    let sql = "SELECT external_ref FROM complaints WHERE external_ref IS NOT NULL AND substr(external_ref, 1, $2) = $1";
    crate::on_pool!(store, p => {
        let rows = sqlx::query(sql).bind(prefix).bind(len).fetch_all(p).await?;
        rows.iter().map(|r| r.try_get::<String, _>("external_ref").map_err(StoreError::from)).collect()
    })
}

/// One new complaint of an intake batch and what is stored beside it (see [`insert_intakes`]).
pub struct IntakeRow<'a> {
    pub complaint: NewComplaint<'a>,
    /// Audit and history actor.
    pub actor: &'a str,
    pub secret_hash: &'a str,
    /// Key and request hash whose claim gets the answer (none for an unkeyed intake).
    pub key: Option<(&'a str, &'a str)>,
    /// The answer stored for the key is `answer_head` + id + this (the id is not known before).
    pub answer_after: &'a str,
}

/// The columns of one intake, in the order both dialects below take them.
struct IntakeCols {
    channel: &'static str,
    category: &'static str,
    reported: [Option<f64>; 2],
    point: [Option<f64>; 2],
    kelurahan: Option<String>,
    rw: Option<String>,
    flags: String,
    routing: String,
    /// The audit entry's `after`.
    after: serde_json::Value,
}

impl IntakeCols {
    fn of(c: &NewComplaint<'_>) -> Result<IntakeCols, StoreError> {
        let r = c.routing;
        Ok(IntakeCols {
            channel: c.channel.as_str(),
            category: c.category.as_str(),
            reported: [c.reported.map(|p| p[0]), c.reported.map(|p| p[1])],
            point: [r.point.map(|p| p[0]), r.point.map(|p| p[1])],
            kelurahan: r.kelurahan.as_ref().map(|k| k.kode.clone()),
            rw: r.rw.as_ref().map(|k| k.kode.clone()),
            flags: flags_text(&r.flags),
            routing: serde_json::to_string(r).map_err(|e| StoreError::Invalid(e.to_string()))?,
            after: serde_json::json!({"unit": r.unit, "status": r.status, "routing": r}),
        })
    }
}

// PostgreSQL: the batch as one array per column, one statement. The ids are drawn first (a
// materialised CTE, so each row's `nextval` runs once) and every table takes them from there:
// no reliance on the order RETURNING gives rows back.
//
// The keys' answers are written as an upsert on the key the batch claimed (it always exists, so
// it always updates), not as `UPDATE … FROM input`: sqlx prepares the statement once per
// connection and PostgreSQL then reuses a generic plan made from the statistics of that moment.
// Made while `idempotency` was small (a fresh database, the first minute of a load), the join
// became a scan of every key of the scope hashed against the batch, kept while the table grew:
// 7.5–12 ms per batch of ~12 instead of < 1 ms (pg_stat_statements; auto_explain showed the
// plan). An upsert finds each row through the primary key's arbiter probe whatever the plan.
const INTAKES_PG: &str = "WITH input AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('complaints', 'id')) AS id, t.*
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[],
      $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::timestamptz[], $19::text[], $20::text[], $21::text[],
      $22::text[], $23::text[], $24::text[], $25::text[], $26::text[])
      WITH ORDINALITY AS t(channel, category, description, reporter_contact, reported_lon, reported_lat, accuracy_m, lon, lat,
        kelurahan, rw, unit, status, flags, routing, at, actor, reason, detail, after, secret_hash, key, request_hash, answer_after, ord)),
  c AS (INSERT INTO complaints (id, channel, category, description, reporter_contact, reported_lon, reported_lat, accuracy_m,
      lon, lat, kelurahan, rw, unit, status, flags, routing, created_at, updated_at)
    SELECT id, channel, category, description, reporter_contact, reported_lon, reported_lat, accuracy_m,
      lon, lat, kelurahan, rw, unit, status, flags, routing, at, at FROM input ORDER BY ord),
  h AS (INSERT INTO complaint_history (complaint_id, at, actor, action, from_status, to_status, from_unit, to_unit, reason, note)
    SELECT id, at, actor, 'masuk', NULL, status, NULL, unit, reason, detail FROM input ORDER BY ord),
  a AS (INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after)
    SELECT at, actor, 'complaint.create', 'complaint', id::text, NULL, after::jsonb FROM input ORDER BY ord),
  s AS (INSERT INTO complaint_upload_secrets (secret_hash, complaint_id, created_at) SELECT secret_hash, id, at FROM input),
  f AS (INSERT INTO idempotency (scope, key, request_hash, status, response, created_at)
    SELECT $1, key, request_hash, 201, $2 || id::text || answer_after, at FROM input WHERE key IS NOT NULL
    ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status, response = excluded.response)
  SELECT id FROM input ORDER BY ord";

/// Parameters per intake in [`sqlite_intakes`].
const SQLITE_PER_ROW: usize = 24;

/// SQLite: no data-modifying CTEs nor arrays, but one query may hold several statements sharing
/// numbered parameters, and a multi-row `VALUES`. The writer holds the write lock, and one
/// `INSERT` gives its rows consecutive ids in `VALUES` order (checked on the ids it returns), so
/// the i-th of n complaints has id `max(id) - (n - 1 - i)` in the statements after it.
fn sqlite_intakes(n: usize) -> String {
    let p = |i: usize, k: usize| format!("${}", 2 + i * SQLITE_PER_ROW + k);
    let id = |i: usize| format!("((SELECT max(id) FROM complaints) - {})", n - 1 - i);
    let rows = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join(",\n  ");
    let complaints = rows(&|i| format!("({}, {}, {})", (1..=15).map(|k| p(i, k)).collect::<Vec<_>>().join(", "), p(i, 16), p(i, 16)));
    let history = rows(&|i| format!("({}, {}, {}, 'masuk', NULL, {}, NULL, {}, {}, {})", id(i), p(i, 16), p(i, 17), p(i, 13), p(i, 12), p(i, 18), p(i, 19)));
    let audit = rows(&|i| format!("({}, {}, 'complaint.create', 'complaint', CAST({} AS TEXT), NULL, {})", p(i, 16), p(i, 17), id(i), p(i, 20)));
    let secrets = rows(&|i| format!("({}, {}, {})", p(i, 21), id(i), p(i, 16)));
    let answers = rows(&|i| format!("({}, {}, {}, {})", p(i, 22), p(i, 23), id(i), p(i, 24)));
    format!(
        "INSERT INTO complaints (channel, category, description, reporter_contact, reported_lon, reported_lat, accuracy_m,
  lon, lat, kelurahan, rw, unit, status, flags, routing, created_at, updated_at) VALUES
  {complaints} RETURNING id;
INSERT INTO complaint_history (complaint_id, at, actor, action, from_status, to_status, from_unit, to_unit, reason, note) VALUES
  {history};
INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) VALUES
  {audit};
INSERT INTO complaint_upload_secrets (secret_hash, complaint_id, created_at) VALUES
  {secrets};
UPDATE idempotency SET request_hash = v.column2, status = 201, response = $2 || v.column3 || v.column4
  FROM (VALUES {answers}) AS v WHERE idempotency.scope = $1 AND idempotency.key = v.column1"
    )
}

/// The rows of a whole intake batch in **one** round trip: each complaint, its `masuk` history
/// line, its audit entry, its upload secret and the stored answer of its key (in `scope`) —
/// what `ops::create_routed`, `add_upload_secret` and `idempotency::finish` write in five
/// statements per intake. Returns the ids in the order of `rows`. Store-specific SQL on purpose:
/// it is the intake writer's hot path (`intake.rs`); `tests/complaints_intake_batch.rs` checks
/// the rows on both stores.
pub async fn insert_intakes(tx: &mut Tx, scope: &str, answer_head: &str, rows: &[IntakeRow<'_>]) -> Result<Vec<i64>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let cols = rows.iter().map(|r| IntakeCols::of(&r.complaint)).collect::<Result<Vec<_>, _>>()?;
    match tx {
        Tx::Postgis(t) => {
            let text = |f: &dyn Fn(usize) -> Option<String>| (0..rows.len()).map(f).collect::<Vec<Option<String>>>();
            let num = |f: &dyn Fn(&IntakeCols) -> Option<f64>| cols.iter().map(f).collect::<Vec<_>>();
            let (c, x) = (|i: usize| &rows[i].complaint, |i: usize| &rows[i]);
            let ids: Vec<i64> = sqlx::query_scalar(INTAKES_PG)
                .bind(scope)
                .bind(answer_head)
                .bind(text(&|i| Some(cols[i].channel.into())))
                .bind(text(&|i| Some(cols[i].category.into())))
                .bind(text(&|i| Some(c(i).description.into())))
                .bind(text(&|i| c(i).reporter_contact.map(Into::into)))
                .bind(num(&|k| k.reported[0]))
                .bind(num(&|k| k.reported[1]))
                .bind(rows.iter().map(|r| r.complaint.accuracy_m).collect::<Vec<_>>())
                .bind(num(&|k| k.point[0]))
                .bind(num(&|k| k.point[1]))
                .bind(text(&|i| cols[i].kelurahan.clone()))
                .bind(text(&|i| cols[i].rw.clone()))
                .bind(text(&|i| Some(c(i).routing.unit.clone())))
                .bind(text(&|i| Some(c(i).routing.status.as_str().into())))
                .bind(text(&|i| Some(cols[i].flags.clone())))
                .bind(text(&|i| Some(cols[i].routing.clone())))
                .bind(rows.iter().map(|r| r.complaint.at).collect::<Vec<_>>())
                .bind(text(&|i| Some(x(i).actor.into())))
                .bind(text(&|i| Some(c(i).routing.reason.as_str().into())))
                .bind(text(&|i| Some(c(i).routing.detail.clone())))
                .bind(text(&|i| Some(cols[i].after.to_string())))
                .bind(text(&|i| Some(x(i).secret_hash.into())))
                .bind(text(&|i| x(i).key.map(|k| k.0.into())))
                .bind(text(&|i| x(i).key.map(|k| k.1.into())))
                .bind(text(&|i| Some(x(i).answer_after.into())))
                .fetch_all(&mut **t)
                .await?;
            if ids.len() != rows.len() {
                return Err(StoreError::Invalid(format!("intake batch of {} stored {} complaints", rows.len(), ids.len())));
            }
            Ok(ids)
        }
        Tx::Gpkg(t) => {
            let sql = sqlite_intakes(rows.len());
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(scope).bind(answer_head);
            for (r, k) in rows.iter().zip(&cols) {
                let (c, rt) = (&r.complaint, r.complaint.routing);
                q = q
                    .bind(k.channel).bind(k.category).bind(c.description).bind(c.reporter_contact)
                    .bind(k.reported[0]).bind(k.reported[1]).bind(c.accuracy_m).bind(k.point[0]).bind(k.point[1])
                    .bind(k.kelurahan.as_deref()).bind(k.rw.as_deref()).bind(rt.unit.as_str()).bind(rt.status.as_str()).bind(k.flags.as_str())
                    .bind(k.routing.as_str()).bind(c.at).bind(r.actor).bind(rt.reason.as_str()).bind(rt.detail.as_str()).bind(&k.after)
                    .bind(r.secret_hash).bind(r.key.map(|k| k.0)).bind(r.key.map(|k| k.1)).bind(r.answer_after);
            }
            let mut ids = q.fetch_all(&mut **t).await?;
            ids.sort_unstable();
            // Consecutive ids, as the statements after the first assume (see `sqlite_intakes`).
            let consecutive = ids.len() == rows.len() && ids.windows(2).all(|w| w[1] == w[0] + 1);
            if !consecutive {
                return Err(StoreError::Invalid(format!("intake batch of {} got ids {ids:?}, not consecutive", rows.len())));
            }
            Ok(ids)
        }
    }
}

/// Stores upload secrets of several complaints (`(complaint id, secret hash)`) in one statement:
/// the replays of an intake batch.
pub async fn add_upload_secrets(tx: &mut Tx, secrets: &[(i64, &str)], at: DateTime<Utc>) -> Result<(), StoreError> {
    if secrets.is_empty() {
        return Ok(());
    }
    match tx {
        Tx::Postgis(t) => {
            let (ids, hashes): (Vec<i64>, Vec<&str>) = secrets.iter().copied().unzip();
            sqlx::query("INSERT INTO complaint_upload_secrets (secret_hash, complaint_id, created_at) SELECT h, c, $3 FROM unnest($1::text[], $2::int8[]) AS t(h, c)")
                .bind(hashes).bind(ids).bind(at).execute(&mut **t).await?;
        }
        Tx::Gpkg(t) => {
            let values = (0..secrets.len()).map(|i| format!("(${}, ${}, $1)", 2 + 2 * i, 3 + 2 * i)).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO complaint_upload_secrets (secret_hash, complaint_id, created_at) VALUES {values}");
            let mut q = sqlx::query(&sql).bind(at);
            for (id, h) in secrets {
                q = q.bind(*h).bind(*id);
            }
            q.execute(&mut **t).await?;
        }
    }
    Ok(())
}
