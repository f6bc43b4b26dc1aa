//! Bansos tables on either store. The SQL is portable (both dialects accept it); sums are cast to
//! BIGINT because PostgreSQL's SUM of bigint is numeric.

use super::model::{NewDelivery, NewHandout, RwLedger, Target};
use super::rollup::Figures;
use crate::store::{Store, StoreError, Tx};
use crate::wilayah::AreaCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// Good packages of a delivery row, as SQL (mirrors `PackageCounts::usable`).
const USABLE: &str = "packages_received - CASE WHEN packages_returned > packages_damaged THEN packages_returned - packages_damaged ELSE 0 END";
const GEN: &str = "CAST(MAX(CASE WHEN generated THEN 1 ELSE 0 END) AS BIGINT)";

/// The current revision of the bansos data (bumped by every write).
pub async fn revision(store: &Store) -> Result<i64, StoreError> {
    let rev: i64 = crate::on_pool!(store, p => sqlx::query("SELECT rev FROM bansos_revision WHERE id = 1").fetch_one(p).await?.try_get("rev"))?;
    Ok(rev)
}

/// Starts a bansos write: bumps the revision first, which also serialises bansos writers (row
/// lock in PostGIS, the write lock in SQLite) so two hand-outs cannot both pass the same check.
pub async fn begin_write(store: &Store) -> Result<Tx, StoreError> {
    let mut tx = store.begin().await?;
    bump_revision(&mut tx).await?;
    Ok(tx)
}

/// Bumps the data revision inside a write transaction (see `begin_write`).
pub async fn bump_revision(tx: &mut Tx) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE bansos_revision SET rev = rev + 1 WHERE id = 1").execute(c).await.map(|_| ()))?;
    Ok(())
}

fn rw_code(s: &str) -> Result<AreaCode, StoreError> {
    AreaCode::parse(s).map_err(|e| StoreError::Invalid(format!("bansos rw {s}: {e}")))
}

/// Current figures per RW: targets, and the sums of records not replaced by a correction, with
/// the time of the RW's last write (target set, record or correction posted).
pub async fn rw_figures(store: &Store) -> Result<BTreeMap<AreaCode, Figures>, StoreError> {
    let targets = "SELECT rw, target_kk AS v, CAST(CASE WHEN generated THEN 1 ELSE 0 END AS BIGINT) AS g, updated_at AS at FROM bansos_target";
    let deliveries = format!(
        "SELECT rw, CAST(SUM(packages_received) AS BIGINT) AS r, CAST(SUM(packages_damaged) AS BIGINT) AS d, \
         CAST(SUM(packages_returned) AS BIGINT) AS t, CAST(SUM({USABLE}) AS BIGINT) AS u, {GEN} AS g, MAX(created_at) AS at FROM bansos_delivery x \
         WHERE NOT EXISTS (SELECT 1 FROM bansos_delivery y WHERE y.corrects = x.id) GROUP BY rw"
    );
    let handouts = format!(
        "SELECT rw, CAST(SUM(kk_served) AS BIGINT) AS v, {GEN} AS g, MAX(created_at) AS at FROM bansos_handout x \
         WHERE NOT EXISTS (SELECT 1 FROM bansos_handout y WHERE y.corrects = x.id) GROUP BY rw"
    );
    type At = Option<DateTime<Utc>>;
    let mut out: BTreeMap<AreaCode, Figures> = BTreeMap::new();
    let (t, d, h) = crate::on_pool!(store, p => {
        let t = sqlx::query(targets).fetch_all(p).await?;
        let d = sqlx::query(&deliveries).fetch_all(p).await?;
        let h = sqlx::query(&handouts).fetch_all(p).await?;
        let dd = d
            .iter()
            .map(|r| Ok((r.try_get::<String, _>("rw")?, [r.try_get::<i64, _>("r")?, r.try_get("d")?, r.try_get("t")?, r.try_get("u")?], r.try_get::<i64, _>("g")? != 0, r.try_get::<At, _>("at")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let tt = t.iter().map(|r| Ok((r.try_get::<String, _>("rw")?, r.try_get::<i64, _>("v")?, r.try_get::<i64, _>("g")? != 0, r.try_get::<At, _>("at")?))).collect::<Result<Vec<_>, sqlx::Error>>()?;
        let hh = h.iter().map(|r| Ok((r.try_get::<String, _>("rw")?, r.try_get::<i64, _>("v")?, r.try_get::<i64, _>("g")? != 0, r.try_get::<At, _>("at")?))).collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok::<_, sqlx::Error>((tt, dd, hh))
    })?;
    for (rw, v, g, at) in t {
        let f = out.entry(rw_code(&rw)?).or_default();
        f.target_kk = v.max(0) as u64;
        f.generated |= g;
        f.updated_at = f.updated_at.max(at);
    }
    for (rw, [r, dmg, ret, usable], g, at) in d {
        let f = out.entry(rw_code(&rw)?).or_default();
        f.packages_received = r.max(0) as u64;
        f.packages_damaged = dmg.max(0) as u64;
        f.packages_returned = ret.max(0) as u64;
        f.packages_usable = usable.max(0) as u64;
        f.generated |= g;
        f.updated_at = f.updated_at.max(at);
    }
    for (rw, v, g, at) in h {
        let f = out.entry(rw_code(&rw)?).or_default();
        f.served_kk = v.max(0) as u64;
        f.generated |= g;
        f.updated_at = f.updated_at.max(at);
    }
    Ok(out)
}

/// Packages received and KK served per day inside `area` (the RW itself or every RW whose code
/// starts with it; `31` is the province), counting only records not replaced by a correction, oldest day first.
pub async fn daily(store: &Store, area: &str) -> Result<(Vec<(NaiveDate, i64)>, Vec<(NaiveDate, i64)>), StoreError> {
    let d = "SELECT date AS day, CAST(SUM(packages_received) AS BIGINT) AS v FROM bansos_delivery x WHERE (rw = $1 OR rw LIKE $2) \
             AND NOT EXISTS (SELECT 1 FROM bansos_delivery y WHERE y.corrects = x.id) GROUP BY date ORDER BY date";
    let h = "SELECT date AS day, CAST(SUM(kk_served) AS BIGINT) AS v FROM bansos_handout x WHERE (rw = $1 OR rw LIKE $2) \
             AND NOT EXISTS (SELECT 1 FROM bansos_handout y WHERE y.corrects = x.id) GROUP BY date ORDER BY date";
    // Codes are digits and dots only: the prefix holds no LIKE wildcard.
    let prefix = format!("{area}.%");
    let r = crate::on_pool!(store, p => {
        let dd = sqlx::query(d).bind(area).bind(&prefix).fetch_all(p).await?.iter()
            .map(|r| Ok((r.try_get::<NaiveDate, _>("day")?, r.try_get::<i64, _>("v")?))).collect::<Result<Vec<_>, sqlx::Error>>()?;
        let hh = sqlx::query(h).bind(area).bind(&prefix).fetch_all(p).await?.iter()
            .map(|r| Ok((r.try_get::<NaiveDate, _>("day")?, r.try_get::<i64, _>("v")?))).collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok::<_, sqlx::Error>((dd, hh))
    })?;
    Ok(r)
}

/// The ledger of one RW inside a write, leaving out the records `skip_delivery` / `skip_handout`
/// (the ones a correction is about to replace).
pub async fn ledger(tx: &mut Tx, rw: &AreaCode, skip_delivery: Option<i64>, skip_handout: Option<i64>) -> Result<RwLedger, StoreError> {
    let t = "SELECT COALESCE(CAST(SUM(target_kk) AS BIGINT), 0) AS v FROM bansos_target WHERE rw = $1";
    let d = format!(
        "SELECT COALESCE(CAST(SUM({USABLE}) AS BIGINT), 0) AS v FROM bansos_delivery x WHERE rw = $1 AND id <> $2 \
         AND NOT EXISTS (SELECT 1 FROM bansos_delivery y WHERE y.corrects = x.id)"
    );
    let h = "SELECT COALESCE(CAST(SUM(kk_served) AS BIGINT), 0) AS v FROM bansos_handout x WHERE rw = $1 AND id <> $2 \
         AND NOT EXISTS (SELECT 1 FROM bansos_handout y WHERE y.corrects = x.id)";
    let (target, usable, served): (i64, i64, i64) = crate::on_tx!(tx, c => {
        let target: i64 = sqlx::query(t).bind(rw.as_str()).fetch_one(&mut *c).await?.try_get("v")?;
        let usable: i64 = sqlx::query(&d).bind(rw.as_str()).bind(skip_delivery.unwrap_or(0)).fetch_one(&mut *c).await?.try_get("v")?;
        let served: i64 = sqlx::query(h).bind(rw.as_str()).bind(skip_handout.unwrap_or(0)).fetch_one(&mut *c).await?.try_get("v")?;
        Ok::<_, sqlx::Error>((target, usable, served))
    })?;
    Ok(RwLedger { target_kk: target.max(0) as u64, usable: usable.max(0) as u64, served: served.max(0) as u64 })
}

/// Which table a record lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Delivery,
    Handout,
}

impl Kind {
    pub fn table(self) -> &'static str {
        match self {
            Kind::Delivery => "bansos_delivery",
            Kind::Handout => "bansos_handout",
        }
    }
}

/// The RW of record `id` and the id of the record correcting it, if any.
pub async fn find(tx: &mut Tx, kind: Kind, id: i64) -> Result<Option<(String, Option<i64>)>, StoreError> {
    let sql = format!("SELECT x.rw AS rw, (SELECT y.id FROM {t} y WHERE y.corrects = x.id) AS by FROM {t} x WHERE x.id = $1", t = kind.table());
    let row = crate::on_tx!(tx, c => match sqlx::query(&sql).bind(id).fetch_optional(c).await? {
        Some(r) => Some((r.try_get::<String, _>("rw")?, r.try_get::<Option<i64>, _>("by")?)),
        None => None,
    });
    Ok(row)
}

pub async fn insert_delivery(tx: &mut Tx, d: &NewDelivery, actor: &str, generated: bool) -> Result<i64, StoreError> {
    let c_ = d.counts;
    let id: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO bansos_delivery (rw, date, provider, bast_ref, packages_sent, packages_received, packages_damaged, packages_short, \
         packages_returned, corrects, generated, actor, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id")
        .bind(d.rw.as_str()).bind(d.date).bind(&d.provider).bind(&d.bast_ref)
        .bind(i64::from(c_.sent)).bind(i64::from(c_.received)).bind(i64::from(c_.damaged)).bind(i64::from(c_.short)).bind(i64::from(c_.returned))
        .bind(d.corrects).bind(generated).bind(actor).bind(Utc::now())
        .fetch_one(c).await?.try_get("id"))?;
    Ok(id)
}

pub async fn insert_handout(tx: &mut Tx, h: &NewHandout, actor: &str, generated: bool) -> Result<i64, StoreError> {
    let id: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO bansos_handout (rw, date, kk_served, corrects, generated, actor, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id")
        .bind(h.rw.as_str()).bind(h.date).bind(i64::from(h.kk_served)).bind(h.corrects).bind(generated).bind(actor).bind(Utc::now())
        .fetch_one(c).await?.try_get("id"))?;
    Ok(id)
}

/// Current target of every RW that has one.
pub async fn targets(tx: &mut Tx) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = crate::on_tx!(tx, c => sqlx::query("SELECT rw, target_kk FROM bansos_target").fetch_all(c).await?
        .iter().map(|r| Ok((r.try_get("rw")?, r.try_get("target_kk")?))).collect::<Result<Vec<_>, sqlx::Error>>())?;
    Ok(rows.into_iter().collect())
}

/// KK served per RW (records not corrected).
pub async fn served(tx: &mut Tx) -> Result<HashMap<String, i64>, StoreError> {
    let sql = "SELECT rw, CAST(SUM(kk_served) AS BIGINT) AS v FROM bansos_handout x \
               WHERE NOT EXISTS (SELECT 1 FROM bansos_handout y WHERE y.corrects = x.id) GROUP BY rw";
    let rows: Vec<(String, i64)> = crate::on_tx!(tx, c => sqlx::query(sql).fetch_all(c).await?
        .iter().map(|r| Ok((r.try_get("rw")?, r.try_get("v")?))).collect::<Result<Vec<_>, sqlx::Error>>())?;
    Ok(rows.into_iter().collect())
}

/// Inserts or replaces one target.
pub async fn upsert_target(tx: &mut Tx, t: &Target, generated: bool) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO bansos_target (rw, target_kk, generated, updated_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (rw) DO UPDATE SET target_kk = excluded.target_kk, generated = excluded.generated, updated_at = excluded.updated_at")
        .bind(t.rw.as_str()).bind(i64::from(t.target_kk)).bind(generated).bind(Utc::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// How many records of each kind exist (used to keep the demo load idempotent).
pub async fn counts(store: &Store) -> Result<(i64, i64, i64), StoreError> {
    let sql = "SELECT (SELECT COUNT(*) FROM bansos_target) AS t, (SELECT COUNT(*) FROM bansos_delivery) AS d, (SELECT COUNT(*) FROM bansos_handout) AS h";
    let r = crate::on_pool!(store, p => {
        let r = sqlx::query(sql).fetch_one(p).await?;
        Ok::<_, sqlx::Error>((r.try_get::<i64, _>("t")?, r.try_get::<i64, _>("d")?, r.try_get::<i64, _>("h")?))
    })?;
    Ok(r)
}

/// A stored delivery, as listed for an RW.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryRecord {
    pub id: i64,
    pub rw: String,
    pub date: NaiveDate,
    pub provider: String,
    pub bast_ref: String,
    pub packages_sent: i64,
    pub packages_received: i64,
    pub packages_damaged: i64,
    pub packages_short: i64,
    pub packages_returned: i64,
    pub corrects: Option<i64>,
    /// Id of the record that replaced this one; such a record no longer counts.
    pub corrected_by: Option<i64>,
    pub generated: bool,
    pub actor: String,
    pub created_at: chrono::DateTime<Utc>,
}

/// A stored hand-out, as listed for an RW.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandoutRecord {
    pub id: i64,
    pub rw: String,
    pub date: NaiveDate,
    pub kk_served: i64,
    pub corrects: Option<i64>,
    pub corrected_by: Option<i64>,
    pub generated: bool,
    pub actor: String,
    pub created_at: chrono::DateTime<Utc>,
}

/// Every record of one RW (corrected ones included, marked), oldest first.
pub async fn records(store: &Store, rw: &AreaCode) -> Result<(Vec<DeliveryRecord>, Vec<HandoutRecord>), StoreError> {
    let dsql = "SELECT x.*, (SELECT y.id FROM bansos_delivery y WHERE y.corrects = x.id) AS corrected_by FROM bansos_delivery x WHERE x.rw = $1 ORDER BY x.id";
    let hsql = "SELECT x.*, (SELECT y.id FROM bansos_handout y WHERE y.corrects = x.id) AS corrected_by FROM bansos_handout x WHERE x.rw = $1 ORDER BY x.id";
    let r = crate::on_pool!(store, p => {
        let d = sqlx::query(dsql).bind(rw.as_str()).fetch_all(p).await?.iter().map(|r| Ok(DeliveryRecord {
            id: r.try_get("id")?, rw: r.try_get("rw")?, date: r.try_get("date")?, provider: r.try_get("provider")?, bast_ref: r.try_get("bast_ref")?,
            packages_sent: r.try_get("packages_sent")?, packages_received: r.try_get("packages_received")?,
            packages_damaged: r.try_get("packages_damaged")?, packages_short: r.try_get("packages_short")?,
            packages_returned: r.try_get("packages_returned")?, corrects: r.try_get("corrects")?, corrected_by: r.try_get("corrected_by")?,
            generated: r.try_get("generated")?, actor: r.try_get("actor")?, created_at: r.try_get("created_at")?,
        })).collect::<Result<Vec<_>, sqlx::Error>>()?;
        let h = sqlx::query(hsql).bind(rw.as_str()).fetch_all(p).await?.iter().map(|r| Ok(HandoutRecord {
            id: r.try_get("id")?, rw: r.try_get("rw")?, date: r.try_get("date")?, kk_served: r.try_get("kk_served")?,
            corrects: r.try_get("corrects")?, corrected_by: r.try_get("corrected_by")?,
            generated: r.try_get("generated")?, actor: r.try_get("actor")?, created_at: r.try_get("created_at")?,
        })).collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok::<_, sqlx::Error>((d, h))
    })?;
    Ok(r)
}

/// How many bansos rows (target, deliveries, hand-outs) name this RW, read inside `tx`: an RW
/// with any cannot be deleted (OGC API `DELETE`), its records would lose their place.
pub async fn references(tx: &mut Tx, rw: &AreaCode) -> Result<i64, StoreError> {
    let sql = "SELECT (SELECT COUNT(*) FROM bansos_target WHERE rw = $1) + (SELECT COUNT(*) FROM bansos_delivery WHERE rw = $1) + (SELECT COUNT(*) FROM bansos_handout WHERE rw = $1) AS n";
    let n: i64 = crate::on_tx!(tx, c => sqlx::query_scalar(sql).bind(rw.as_str()).fetch_one(c).await?);
    Ok(n)
}
