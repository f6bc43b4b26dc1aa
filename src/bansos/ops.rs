//! The writes, each inside the caller's transaction: check against the atlas and the RW's ledger,
//! store, audit. Shared by the HTTP handlers, the CLI import and the demo loader.

use super::model::{check_ledger, NewDelivery, NewHandout, RecordError, RwLedger, Target};
use super::store::{self as bstore, Kind};
use crate::store::audit::{self, AuditEntry};
use crate::store::{StoreError, Tx};
use crate::wilayah::{AreaCode, Atlas, Level};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a write returns: the new record's id and the RW's totals after it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Written {
    pub id: i64,
    pub rw: String,
    pub corrects: Option<i64>,
    pub target_kk: u64,
    /// Good packages at the RW (received, less good ones taken back by the provider).
    pub packages_usable: u64,
    pub served_kk: u64,
    pub generated: bool,
}

fn known_rw(atlas: &Atlas, rw: &AreaCode) -> Result<(), RecordError> {
    match atlas.get(rw) {
        Some(a) if a.level == Level::Rw => Ok(()),
        _ => Err(RecordError::invalid("rw", format!("unknown RW {rw}: no such RW in the loaded boundaries"))),
    }
}

/// Checks the record a correction points at: same kind, same RW, not already corrected.
async fn check_correction(tx: &mut Tx, kind: Kind, id: i64, rw: &AreaCode) -> Result<(), OpError> {
    let what = match kind {
        Kind::Delivery => "delivery",
        Kind::Handout => "hand-out",
    };
    match bstore::find(tx, kind, id).await? {
        None => Err(RecordError::NotFound { field: "corrects".into(), detail: format!("no {what} with id {id} to correct") }.into()),
        Some((other, _)) if other != rw.as_str() => {
            Err(RecordError::invalid("corrects", format!("{what} {id} is for RW {other}, not {rw}; a correction keeps the RW")).into())
        }
        Some((_, Some(by))) => Err(RecordError::Conflict {
            field: "corrects".into(),
            detail: format!("{what} {id} was already corrected by {by}; correct {by} instead"),
        }
        .into()),
        Some((_, None)) => Ok(()),
    }
}

pub async fn record_delivery(tx: &mut Tx, atlas: &Atlas, d: &NewDelivery, actor: &str, generated: bool) -> Result<Written, OpError> {
    known_rw(atlas, &d.rw)?;
    if let Some(old) = d.corrects {
        check_correction(tx, Kind::Delivery, old, &d.rw).await?;
    }
    let before = bstore::ledger(tx, &d.rw, d.corrects, None).await?;
    let after = RwLedger { usable: before.usable + d.counts.usable(), ..before };
    check_ledger(&d.rw, after, "packages_received")?;
    let id = bstore::insert_delivery(tx, d, actor, generated).await?;
    let record = serde_json::json!({
        "id": id, "rw": d.rw.as_str(), "date": d.date, "provider": d.provider, "bast_ref": d.bast_ref,
        "packages_sent": d.counts.sent, "packages_received": d.counts.received, "packages_damaged": d.counts.damaged,
        "packages_short": d.counts.short, "packages_returned": d.counts.returned, "corrects": d.corrects, "generated": generated,
    });
    audit_write(tx, actor, Kind::Delivery, id, d.corrects, record).await?;
    Ok(Written { id, rw: d.rw.to_string(), corrects: d.corrects, target_kk: after.target_kk, packages_usable: after.usable, served_kk: after.served, generated })
}

/// Records KK served as a count. An RW whose households are handed out by name (named by the
/// current recipients decree, or holding a hand-out by name) takes none, except a correction to
/// 0 of a count recorded before: its `kk_served` is the named hand-outs' (`recipients::ops::hand_out`).
pub async fn record_handout(tx: &mut Tx, atlas: &Atlas, h: &NewHandout, actor: &str, generated: bool) -> Result<Written, OpError> {
    if let Some(why) = crate::recipients::ops::count_handout_refused(tx, &h.rw, h.corrects, h.kk_served).await? {
        return Err(RecordError::invalid("rw", why).into());
    }
    write_handout(tx, atlas, h, actor, generated).await
}

/// Writes a hand-out row after the ledger check (served within good packages and target), with
/// its audit entry. Used by `record_handout` and by the recipients' hand-outs by name.
pub async fn write_handout(tx: &mut Tx, atlas: &Atlas, h: &NewHandout, actor: &str, generated: bool) -> Result<Written, OpError> {
    known_rw(atlas, &h.rw)?;
    if let Some(old) = h.corrects {
        check_correction(tx, Kind::Handout, old, &h.rw).await?;
    }
    let before = bstore::ledger(tx, &h.rw, None, h.corrects).await?;
    let after = RwLedger { served: before.served + u64::from(h.kk_served), ..before };
    check_ledger(&h.rw, after, "kk_served")?;
    let id = bstore::insert_handout(tx, h, actor, generated).await?;
    let record = serde_json::json!({"id": id, "rw": h.rw.as_str(), "date": h.date, "kk_served": h.kk_served, "corrects": h.corrects, "generated": generated});
    audit_write(tx, actor, Kind::Handout, id, h.corrects, record).await?;
    Ok(Written { id, rw: h.rw.to_string(), corrects: h.corrects, target_kk: after.target_kk, packages_usable: after.usable, served_kk: after.served, generated })
}

async fn audit_write(tx: &mut Tx, actor: &str, kind: Kind, id: i64, corrects: Option<i64>, after: serde_json::Value) -> Result<(), StoreError> {
    let action = match (kind, corrects) {
        (Kind::Delivery, None) => "bansos.delivery.create",
        (Kind::Delivery, Some(_)) => "bansos.delivery.correct",
        (Kind::Handout, None) => "bansos.handout.create",
        (Kind::Handout, Some(_)) => "bansos.handout.correct",
    };
    let entity_id = id.to_string();
    audit::record(
        tx,
        AuditEntry {
            actor,
            action,
            entity: kind.table(),
            entity_id: &entity_id,
            before: corrects.map(|c| serde_json::json!({"replaces": c})),
            after: Some(after),
        },
    )
    .await
}

/// Summary of a targets import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetStats {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub total_kk: u64,
}

/// Stores targets (insert or replace per RW; RWs not in the list keep theirs). Refuses a target
/// below the KK already served there, listing every such RW.
pub async fn import_targets(tx: &mut Tx, targets: &[Target], generated: bool, actor: &str, progress: &(dyn Fn(usize) + Sync)) -> Result<TargetStats, OpError> {
    let existing = bstore::targets(tx).await?;
    let served = bstore::served(tx).await?;
    let below: Vec<String> = targets
        .iter()
        .filter_map(|t| {
            let s = served.get(t.rw.as_str()).copied().unwrap_or(0);
            (i64::from(t.target_kk) < s).then(|| format!("{} (target {} < {} KK already served)", t.rw, t.target_kk, s))
        })
        .collect();
    if !below.is_empty() {
        return Err(RecordError::exceeds("target_kk", format!("targets below KK already served: {}", below.join(", "))).into());
    }
    let mut stats = TargetStats { rows: targets.len(), ..TargetStats::default() };
    for (i, t) in targets.iter().enumerate() {
        stats.total_kk += u64::from(t.target_kk);
        match existing.get(t.rw.as_str()) {
            Some(&old) if old == i64::from(t.target_kk) => {
                stats.unchanged += 1;
                continue;
            }
            Some(_) => stats.updated += 1,
            None => stats.created += 1,
        }
        bstore::upsert_target(tx, t, generated).await?;
        audit::record(
            tx,
            AuditEntry {
                actor,
                action: "bansos.target.set",
                entity: "bansos_target",
                entity_id: t.rw.as_str(),
                before: existing.get(t.rw.as_str()).map(|v| serde_json::json!({"target_kk": v})),
                after: Some(serde_json::json!({"target_kk": t.target_kk, "generated": generated})),
            },
        )
        .await?;
        progress(i + 1);
    }
    Ok(stats)
}
