//! The writes, each inside the caller's transaction: check against the atlas and the stored
//! state, write the rows, append the audit entry. Shared by HTTP, the CLI and the demo loader.

use super::model::{Barang, LogistikError, NewGudang};
use super::store::{self as lstore, BarangRecord, GudangRecord};
use crate::store::audit::{self, AuditEntry};
use crate::store::{StoreError, Tx};
use crate::wilayah::Atlas;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Logistik(#[from] LogistikError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn audit_change(tx: &mut Tx, actor: &str, action: &str, entity: &str, id: &str, before: Option<serde_json::Value>, after: Option<serde_json::Value>) -> Result<(), StoreError> {
    audit::record(tx, AuditEntry { actor, action, entity, entity_id: id, before, after }).await
}

fn json(v: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Adds an item to the catalog; 409 naming `kode` when the code is taken.
pub async fn create_barang(tx: &mut Tx, b: &Barang, actor: &str, generated: bool) -> Result<BarangRecord, OpError> {
    if !lstore::insert_barang(tx, b, generated).await? {
        return Err(LogistikError::conflict("kode", format!("barang {} already exists; edit it with PUT and its versi", b.kode)).into());
    }
    audit_change(tx, actor, "logistik.barang.create", "logistik_barang", &b.kode, None, json(b)).await?;
    stored_barang(tx, &b.kode).await
}

async fn stored_barang(tx: &mut Tx, kode: &str) -> Result<BarangRecord, OpError> {
    lstore::get_barang_tx(tx, kode).await?.ok_or_else(|| StoreError::Invalid(format!("barang {kode} vanished inside its own write")).into())
}

/// Edits an item that is still at `versi` (the version the editor read); the audit entry keeps
/// the record before and after.
pub async fn update_barang(tx: &mut Tx, b: &Barang, versi: i64, actor: &str) -> Result<BarangRecord, OpError> {
    let before = lstore::get_barang_tx(tx, &b.kode).await?.ok_or_else(|| LogistikError::not_found("kode", format!("no barang {}", b.kode)))?;
    if before.versi != versi || !lstore::update_barang(tx, b, versi).await? {
        return Err(LogistikError::conflict("versi", format!("barang {} is at versi {}, not {versi}: it was changed since it was read; reload and edit again", b.kode, before.versi)).into());
    }
    audit_change(tx, actor, "logistik.barang.update", "logistik_barang", &b.kode, json(&before.barang), json(b)).await?;
    stored_barang(tx, &b.kode).await
}

/// Summary of a catalog import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Imports checked catalog lines: new codes are created, changed ones updated (audited), equal
/// ones left alone. The caller commits or drops the transaction as one.
pub async fn import_barang(tx: &mut Tx, items: &[Barang], actor: &str, generated: bool, progress: &(dyn Fn(usize) + Sync)) -> Result<ImportStats, OpError> {
    let mut stats = ImportStats { rows: items.len(), ..ImportStats::default() };
    for (i, b) in items.iter().enumerate() {
        match lstore::get_barang_tx(tx, &b.kode).await? {
            None => {
                create_barang(tx, b, actor, generated).await?;
                stats.created += 1;
            }
            Some(old) if old.barang == *b => stats.unchanged += 1,
            Some(old) => {
                update_barang(tx, b, old.versi, actor).await?;
                stats.updated += 1;
            }
        }
        progress(i + 1);
    }
    Ok(stats)
}

/// Where the atlas puts a gudang: its kelurahan and kota codes. A point outside Jakarta is refused
/// naming `lon`, with the swapped-coordinates hint when lat,lon would be inside.
pub fn locate_gudang(atlas: &Atlas, lon: f64, lat: f64) -> Result<(String, String), LogistikError> {
    let swapped = || atlas.locate(lat, lon).is_ok_and(|l| l.in_jakarta());
    let hint = |detail: String| {
        if swapped() {
            format!("{detail}; lon and lat look swapped: send the longitude (≈ 106.8) first, then the latitude (≈ -6.2)")
        } else {
            detail
        }
    };
    let loc = atlas.locate(lon, lat).map_err(|e| LogistikError::invalid(e.field().unwrap_or("lon"), hint(e.to_string())))?;
    match (loc.in_jakarta(), &loc.kelurahan, &loc.kota) {
        (true, Some(kel), Some(kota)) => Ok((kel.kode.clone(), kota.kode.clone())),
        _ => Err(LogistikError::invalid("lon", hint(format!("{lon},{lat} is outside Jakarta (no kelurahan within the tolerance)")))),
    }
}

/// Adds a gudang, located by the atlas; 409 naming `kode` when the code is taken.
pub async fn create_gudang(tx: &mut Tx, atlas: &Atlas, g: &NewGudang, actor: &str, generated: bool) -> Result<GudangRecord, OpError> {
    let (kel, kota) = locate_gudang(atlas, g.lon, g.lat)?;
    if !lstore::insert_gudang(tx, g, &kel, &kota, generated).await? {
        return Err(LogistikError::conflict("kode", format!("gudang {} already exists; edit it with PUT and its versi", g.kode)).into());
    }
    let rec = stored_gudang(tx, &g.kode).await?;
    audit_change(tx, actor, "logistik.gudang.create", "logistik_gudang", &g.kode, None, json(&rec)).await?;
    Ok(rec)
}

async fn stored_gudang(tx: &mut Tx, kode: &str) -> Result<GudangRecord, OpError> {
    lstore::get_gudang_tx(tx, kode).await?.ok_or_else(|| StoreError::Invalid(format!("gudang {kode} vanished inside its own write")).into())
}

/// Edits (or moves) a gudang still at `versi`; a move is located again by the atlas.
pub async fn update_gudang(tx: &mut Tx, atlas: &Atlas, g: &NewGudang, versi: i64, actor: &str) -> Result<GudangRecord, OpError> {
    let (kel, kota) = locate_gudang(atlas, g.lon, g.lat)?;
    let before = lstore::get_gudang_tx(tx, &g.kode).await?.ok_or_else(|| LogistikError::not_found("kode", format!("no gudang {}", g.kode)))?;
    if before.versi != versi || !lstore::update_gudang(tx, g, &kel, &kota, versi).await? {
        return Err(LogistikError::conflict("versi", format!("gudang {} is at versi {}, not {versi}: it was changed since it was read; reload and edit again", g.kode, before.versi)).into());
    }
    let rec = stored_gudang(tx, &g.kode).await?;
    audit_change(tx, actor, "logistik.gudang.update", "logistik_gudang", &g.kode, json(&before), json(&rec)).await?;
    Ok(rec)
}
