//! The writes, each inside the caller's transaction: check against the atlas and the stored
//! state, write the rows, append the audit entry. Shared by HTTP, the CLI and the demo loader.

use super::model::{self, jakarta_today, to_f64, Barang, CatatanInput, Jenis, JenisCatatan, KebutuhanVsStok, LogistikError, Milli, NewGudang, UnitFigure};
use std::collections::BTreeMap;
use super::komitmen::{KomitmenInput, Status, StatusInput};
use super::store::{self as lstore, BarangRecord, BarisRow, CatatanRow, GudangRecord, KomitmenRow, NewCatatan, RiwayatRow};
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

/// Where the atlas puts a gudang (or any place a unit names): its kelurahan and kota codes. A point outside Jakarta is refused
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

/// A unit's figure as answered: the stored row with the quantity in the item's base satuan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Catatan {
    #[serde(flatten)]
    pub row: CatatanRow,
    /// In the item's base satuan.
    pub jumlah: f64,
}

impl From<CatatanRow> for Catatan {
    fn from(row: CatatanRow) -> Catatan {
        Catatan { jumlah: to_f64(row.jumlah), row }
    }
}

/// Sets a unit's need or availability for one item (replacing the previous figure, audited with
/// it). The quantity is converted to the item's base satuan; the place, when given, is located
/// by the atlas, else a kelurahan unit stands at its own kelurahan.
pub async fn set_catatan(tx: &mut Tx, atlas: &Atlas, unit: &str, barang: &str, jenis: JenisCatatan, input: &CatatanInput, actor: &str) -> Result<Catatan, OpError> {
    let c = input.check()?;
    let item = lstore::get_barang_tx(tx, barang).await?.ok_or_else(|| LogistikError::not_found("barang", format!("no barang {barang} in the catalog")))?;
    let jumlah = item.barang.to_base(input.jumlah, input.satuan.as_deref(), "jumlah", "satuan")?;
    let (kel, kota) = match c.titik {
        Some((lon, lat)) => {
            let (k, o) = locate_gudang(atlas, lon, lat)?;
            (Some(k), Some(o))
        }
        None if crate::complaints::model::is_kelurahan_code(unit) => (Some(unit.to_string()), unit.get(..5).map(str::to_string)),
        None => (None, None),
    };
    let before = lstore::get_catatan_tx(tx, unit, barang, jenis).await?;
    if let Some(v) = input.versi {
        let at = before.as_ref().map_or(0, |b| b.versi);
        if at != v {
            return Err(LogistikError::conflict("versi", format!("the {} figure of {unit} for {barang} is at versi {at}, not {v}; reload it", jenis.as_str())).into());
        }
    }
    let new = NewCatatan {
        unit,
        barang,
        jenis,
        jumlah,
        titik: c.titik,
        kelurahan: kel.as_deref(),
        kota: kota.as_deref(),
        tempat: c.tempat.as_deref(),
        catatan: c.catatan.as_deref(),
    };
    lstore::upsert_catatan(tx, &new, actor).await?;
    let after = lstore::get_catatan_tx(tx, unit, barang, jenis).await?.ok_or_else(|| StoreError::Invalid("catatan vanished inside its own write".into()))?;
    let id = format!("{unit}/{}/{barang}", jenis.as_str());
    let before = before.map(Catatan::from);
    let after = Catatan::from(after);
    audit_change(tx, actor, &format!("logistik.{}.set", jenis.as_str()), "logistik_catatan", &id, before.as_ref().and_then(json), json(&after)).await?;
    Ok(after)
}

/// Clears a unit's figure (the need is met, nothing is left); 404 naming `barang` when none is set.
pub async fn clear_catatan(tx: &mut Tx, unit: &str, barang: &str, jenis: JenisCatatan, actor: &str) -> Result<Catatan, OpError> {
    let before = lstore::get_catatan_tx(tx, unit, barang, jenis).await?
        .ok_or_else(|| LogistikError::not_found("barang", format!("{unit} has no {} figure for {barang}", jenis.as_str())))?;
    lstore::delete_catatan(tx, unit, barang, jenis).await?;
    let before = Catatan::from(before);
    let id = format!("{unit}/{}/{barang}", jenis.as_str());
    audit_change(tx, actor, &format!("logistik.{}.clear", jenis.as_str()), "logistik_catatan", &id, json(&before), None).await?;
    Ok(before)
}

/// The needs-vs-stock view of every item (of one `jenis`, or only `barang`): a read shared by the
/// API and the CLI. An unknown `barang` is a 404 naming it.
pub async fn kebutuhan_vs_stok(store: &crate::store::Store, jenis: Option<Jenis>, barang: Option<&str>) -> Result<Vec<KebutuhanVsStok>, OpError> {
    let mut items = lstore::list_barang(store, jenis).await?;
    if let Some(b) = barang {
        items.retain(|i| i.barang.kode == b);
        if items.is_empty() {
            return Err(LogistikError::not_found("barang", format!("no barang {b} in the catalog")).into());
        }
    }
    let figures = lstore::list_catatan(store, None, barang).await?;
    let stok = lstore::stok_per_gudang(store, jakarta_today()).await?;
    Ok(items
        .iter()
        .map(|item| {
            let mut units: BTreeMap<&str, UnitFigure> = BTreeMap::new();
            for f in figures.iter().filter(|f| f.barang == item.barang.kode) {
                let u = units.entry(&f.unit).or_insert_with(|| UnitFigure { unit: f.unit.clone(), kota: None, kebutuhan: 0, ketersediaan: 0 });
                match JenisCatatan::parse(&f.jenis) {
                    Some(JenisCatatan::Kebutuhan) => {
                        u.kebutuhan += f.jumlah;
                        u.kota = f.kota.clone().or(u.kota.take());
                    }
                    Some(JenisCatatan::Ketersediaan) => u.ketersediaan += f.jumlah,
                    None => {}
                }
            }
            let units: Vec<UnitFigure> = units.into_values().collect();
            let per_gudang: BTreeMap<String, Milli> = stok.iter().filter(|(b, _, _)| *b == item.barang.kode).map(|(_, g, j)| (g.clone(), *j)).collect();
            model::kebutuhan_vs_stok(&item.barang, &units, &per_gudang)
        })
        .collect())
}

/// A pledged line as answered, in the item's base satuan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BarisKomitmen {
    pub barang: String,
    pub jumlah: f64,
    pub diterima: f64,
}

/// A pledge with its lines and status history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Komitmen {
    #[serde(flatten)]
    pub head: KomitmenRow,
    pub baris: Vec<BarisKomitmen>,
    pub riwayat: Vec<RiwayatRow>,
}

impl Komitmen {
    pub fn from_rows((head, baris, riwayat): (KomitmenRow, Vec<BarisRow>, Vec<RiwayatRow>)) -> Komitmen {
        let baris = baris.into_iter().map(|b| BarisKomitmen { barang: b.barang, jumlah: to_f64(b.jumlah), diterima: to_f64(b.diterima) }).collect();
        Komitmen { head, baris, riwayat }
    }
}

async fn stored_komitmen(tx: &mut Tx, id: i64) -> Result<Komitmen, OpError> {
    let rows = lstore::get_komitmen_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("komitmen {id} vanished inside its own write")))?;
    Ok(Komitmen::from_rows(rows))
}

/// Records a new pledge in `draf`: the gudang must exist and be active, every line an item of the
/// catalog in a satuan it knows; the first history entry and the audit entry go with it.
pub async fn create_komitmen(tx: &mut Tx, input: &KomitmenInput, actor: &str) -> Result<Komitmen, OpError> {
    let k = input.check()?;
    match lstore::get_gudang_tx(tx, &k.gudang).await? {
        None => return Err(LogistikError::invalid("gudang", format!("unknown gudang {}", k.gudang)).into()),
        Some(g) if !g.aktif => return Err(LogistikError::invalid("gudang", format!("gudang {} is not active", k.gudang)).into()),
        Some(_) => {}
    }
    let mut lines = Vec::with_capacity(input.baris.len());
    for (i, b) in input.baris.iter().enumerate() {
        let kode = b.barang.trim();
        let item = lstore::get_barang_tx(tx, kode).await?.ok_or_else(|| LogistikError::invalid(&format!("baris[{i}].barang"), format!("unknown barang {kode}")))?;
        let jumlah = item.barang.to_base(b.jumlah, b.satuan.as_deref(), &format!("baris[{i}].jumlah"), &format!("baris[{i}].satuan"))?;
        lines.push((item.barang.kode, jumlah));
    }
    let id = lstore::insert_komitmen(tx, &k, actor).await?;
    for (barang, jumlah) in &lines {
        lstore::insert_baris(tx, id, barang, *jumlah).await?;
    }
    lstore::insert_riwayat(tx, id, actor, None, Status::Draf.as_str(), None).await?;
    let out = stored_komitmen(tx, id).await?;
    audit_change(tx, actor, "logistik.komitmen.create", "logistik_komitmen", &id.to_string(), None, json(&out)).await?;
    Ok(out)
}

/// Agrees or cancels a pledge from the status and `versi` it was read at (409 naming `versi` when
/// it moved, naming `status` when the step is not allowed); history and audit record it.
pub async fn komitmen_status(tx: &mut Tx, id: i64, input: &StatusInput, actor: &str) -> Result<Komitmen, OpError> {
    let alasan = input.check()?;
    let (head, _, _) = lstore::get_komitmen_tx(tx, id).await?.ok_or_else(|| LogistikError::not_found("id", format!("no komitmen {id}")))?;
    let from = Status::parse(&head.status).ok_or_else(|| StoreError::Invalid(format!("komitmen {id}: status {}", head.status)))?;
    if head.versi != input.versi {
        return Err(LogistikError::conflict("versi", format!("komitmen {id} is at versi {} ({}), not {}; reload it", head.versi, head.status, input.versi)).into());
    }
    from.manual_step(input.status)?;
    if !lstore::set_komitmen_status(tx, id, from.as_str(), input.status.as_str(), input.versi).await? {
        return Err(LogistikError::conflict("versi", format!("komitmen {id} changed while this request ran; reload it")).into());
    }
    lstore::insert_riwayat(tx, id, actor, Some(from.as_str()), input.status.as_str(), alasan.as_deref()).await?;
    let out = stored_komitmen(tx, id).await?;
    let before = serde_json::json!({"status": from.as_str(), "versi": head.versi});
    let after = serde_json::json!({"status": input.status.as_str(), "versi": out.head.versi, "alasan": alasan});
    audit_change(tx, actor, "logistik.komitmen.status", "logistik_komitmen", &id.to_string(), Some(before), Some(after)).await?;
    Ok(out)
}
