//! The writes, each inside the caller's transaction: check against the atlas and the stored
//! state, write the rows, append the audit entry. Shared by HTTP, the CLI and the demo loader.

use super::model::{self, jakarta_today, to_f64, Barang, CatatanInput, Jenis, JenisCatatan, KebutuhanVsStok, LogistikError, Milli, NewGudang, UnitFigure};
use std::collections::BTreeMap;
use super::komitmen::{KomitmenInput, Status, StatusInput};
use super::penerimaan::{PenerimaanInput, MAX_FOTO};
use super::store::{self as lstore, BarangRecord, BarisRow, CatatanRow, FotoRow, GudangRecord, KomitmenRow, NewCatatan, NewMutasi, PenerimaanBarisRow, PenerimaanRow, RiwayatRow};
use crate::complaints::attachments::{sniff, AttachmentStore};
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
    /// The photo store failed (disk, network): a 500, nothing recorded.
    #[error("attachment store: {0}")]
    Attachment(#[from] std::io::Error),
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

/// A receipt line as answered, quantities in the item's base satuan; `kurang` is what was
/// announced but neither accepted nor refused (missing at the count).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BarisPenerimaan {
    pub barang: String,
    pub lot: String,
    pub kedaluwarsa: Option<chrono::NaiveDate>,
    pub jumlah_diumumkan: f64,
    pub jumlah_diterima: f64,
    pub jumlah_ditolak: f64,
    pub kurang: f64,
    pub alasan_tolak: Option<String>,
    pub kondisi: Option<String>,
}

/// A receipt with its lines and its photos.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Penerimaan {
    #[serde(flatten)]
    pub head: PenerimaanRow,
    pub baris: Vec<BarisPenerimaan>,
    pub foto: Vec<FotoRow>,
}

impl Penerimaan {
    pub fn from_rows((head, baris, foto): (PenerimaanRow, Vec<PenerimaanBarisRow>, Vec<FotoRow>)) -> Penerimaan {
        let baris = baris
            .into_iter()
            .map(|b| BarisPenerimaan {
                barang: b.barang,
                lot: b.lot,
                kedaluwarsa: b.kedaluwarsa,
                jumlah_diumumkan: to_f64(b.diumumkan),
                jumlah_diterima: to_f64(b.diterima),
                jumlah_ditolak: to_f64(b.ditolak),
                kurang: to_f64(b.diumumkan - b.diterima - b.ditolak),
                alasan_tolak: b.alasan_tolak,
                kondisi: b.kondisi,
            })
            .collect();
        Penerimaan { head, baris, foto }
    }
}

/// Books a receipt at a gudang (Lampiran B rows 3–5): the gudang must be active, the BAST number
/// unused (409 naming `bast_nomor`), every line an item of the catalog checked by
/// `BarisPenerimaanInput::check`; against a pledge, the pledge must be agreed and for this gudang
/// and every line one of its items. Only accepted quantities enter stock, each as a `penerimaan`
/// movement of the ledger; a lot already in the gudang must keep its expiry. The pledge's
/// received quantities and status follow (history entry when the status moves). One audit entry.
pub async fn create_penerimaan(tx: &mut Tx, input: &PenerimaanInput, today: chrono::NaiveDate, actor: &str) -> Result<Penerimaan, OpError> {
    let p = input.check(today)?;
    match lstore::get_gudang_tx(tx, &p.gudang).await? {
        None => return Err(LogistikError::invalid("gudang", format!("unknown gudang {}", p.gudang)).into()),
        Some(g) if !g.aktif => return Err(LogistikError::invalid("gudang", format!("gudang {} is not active", p.gudang)).into()),
        Some(_) => {}
    }
    let pledge = match p.komitmen_id {
        None => None,
        Some(kid) => {
            let (head, baris, _) = lstore::get_komitmen_tx(tx, kid).await?.ok_or_else(|| LogistikError::invalid("komitmen_id", format!("unknown komitmen {kid}")))?;
            let status = Status::parse(&head.status).ok_or_else(|| StoreError::Invalid(format!("komitmen {kid}: status {}", head.status)))?;
            if !matches!(status, Status::Disepakati | Status::DiterimaSebagian) {
                return Err(LogistikError::conflict("komitmen_id", format!("komitmen {kid} is {}: only an agreed pledge (disepakati, diterima_sebagian) takes receipts", head.status)).into());
            }
            if head.gudang != p.gudang {
                return Err(LogistikError::invalid("gudang", format!("komitmen {kid} is to arrive at gudang {}, not {}", head.gudang, p.gudang)).into());
            }
            Some((head, baris))
        }
    };
    let mut lines = Vec::with_capacity(input.baris.len());
    for (i, b) in input.baris.iter().enumerate() {
        let kode = b.barang.trim();
        let item = lstore::get_barang_tx(tx, kode).await?.ok_or_else(|| LogistikError::invalid(&format!("baris[{i}].barang"), format!("unknown barang {kode}")))?;
        if let Some((head, baris)) = &pledge {
            if !baris.iter().any(|l| l.barang == item.barang.kode) {
                return Err(LogistikError::invalid(&format!("baris[{i}].barang"), format!("{kode} is not pledged in komitmen {}; book it as a receipt without komitmen_id", head.id)).into());
            }
        }
        let lot = match &b.lot {
            Some(l) => l.trim().to_string(),
            None => p.bast_nomor.clone(),
        };
        let line = b.check(i, &item.barang, lot, today)?;
        if let Some(s) = lstore::saldo_lot_tx(tx, &p.gudang, &line.barang, &line.lot).await? {
            if s.kedaluwarsa != line.kedaluwarsa {
                let was = s.kedaluwarsa.map_or("no expiry".to_string(), |d| d.to_string());
                return Err(LogistikError::conflict(&format!("baris[{i}].lot"), format!("lot {} of {} is already in gudang {} with {was}; one lot has one expiry: give this lot its own code", line.lot, line.barang, p.gudang)).into());
            }
        }
        lines.push(line);
    }
    if let Some(other) = lstore::penerimaan_by_bast_tx(tx, &p.bast_nomor).await? {
        return Err(bast_taken(&p.bast_nomor, other).into());
    }
    let id = match lstore::insert_penerimaan(tx, &p, actor).await? {
        Some(id) => id,
        None => return Err(LogistikError::conflict("bast_nomor", format!("BAST {} was booked by another receipt at the same moment", p.bast_nomor)).into()),
    };
    let referensi = format!("penerimaan/{id}");
    for (no, line) in lines.iter().enumerate() {
        lstore::insert_penerimaan_baris(tx, id, no as i64 + 1, line).await?;
        if line.diterima > 0 {
            let m = NewMutasi { jenis: "penerimaan", gudang: &p.gudang, barang: &line.barang, lot: &line.lot, kedaluwarsa: line.kedaluwarsa, jumlah: line.diterima, referensi: Some(&referensi), alasan: None };
            lstore::apply_mutasi(tx, &m, actor).await?;
        }
    }
    if let Some((head, _)) = &pledge {
        for line in lines.iter().filter(|l| l.diterima > 0) {
            lstore::add_komitmen_diterima(tx, head.id, &line.barang, line.diterima).await?;
        }
        let (_, baris, _) = lstore::get_komitmen_tx(tx, head.id).await?.ok_or_else(|| StoreError::Invalid(format!("komitmen {} vanished inside a receipt", head.id)))?;
        let to = super::komitmen::after_receipt(&baris.iter().map(|b| (b.jumlah, b.diterima)).collect::<Vec<_>>());
        if to.as_str() != head.status {
            if !lstore::set_komitmen_status(tx, head.id, &head.status, to.as_str(), head.versi).await? {
                return Err(LogistikError::conflict("komitmen_id", format!("komitmen {} changed while this receipt was booked; retry", head.id)).into());
            }
            let why = format!("penerimaan {id} (BAST {})", p.bast_nomor);
            lstore::insert_riwayat(tx, head.id, actor, Some(&head.status), to.as_str(), Some(&why)).await?;
        }
    }
    let rows = lstore::get_penerimaan_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("penerimaan {id} vanished inside its own write")))?;
    let out = Penerimaan::from_rows(rows);
    audit_change(tx, actor, "logistik.penerimaan.create", "logistik_penerimaan", &id.to_string(), None, json(&out)).await?;
    Ok(out)
}

fn bast_taken(nomor: &str, other: i64) -> LogistikError {
    LogistikError::conflict("bast_nomor", format!("BAST {nomor} is already the paper of receipt {other}; each receipt has its own BAST number"))
}

/// A photo as stored and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FotoStored {
    pub id: i64,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
}

/// A photo checked and put in the AttachmentStore before its record is written: the caller
/// writes the record with `record_foto` (in a keyed write) and removes the file when that did not
/// commit, so only this upload's own file is ever removed.
pub use super::store::StagedFoto;

/// Sniffs the type (JPEG, PNG, WebP by content, like complaint photos) and stores the bytes under
/// a content-hash key with a nonce (`logistik/<dokumen>/<id>/<sha>-<nonce>.<ext>`, issue 9's
/// scheme); a wrong type is a 415 naming `body`.
pub async fn stage_foto(att: &dyn AttachmentStore, dokumen: &str, id: i64, bytes: &[u8]) -> Result<StagedFoto, OpError> {
    let (ctype, ext) = sniff(bytes).ok_or_else(|| LogistikError::unsupported("body", "a photo must be a JPEG, PNG or WebP image (recognised by its content)"))?;
    let sha = crate::store::idempotency::request_hash(bytes);
    let (nonce, _) = crate::complaints::ops::new_upload_secret();
    let key = format!("logistik/{dokumen}/{id}/{}-{}.{ext}", &sha[..16], &nonce[..16]);
    att.put(&key, bytes).await?;
    Ok(StagedFoto { key, content_type: ctype, sha256: sha, bytes: bytes.len() as i64 })
}

/// Records a staged photo of a paper: the paper is locked, each image once per paper (409 naming
/// `body`), at most `MAX_FOTO` (409 naming `foto`); audited.
pub async fn record_foto(tx: &mut Tx, dokumen: &str, id: i64, f: &StagedFoto, actor: &str) -> Result<FotoStored, OpError> {
    if !lstore::lock_dokumen(tx, dokumen, id).await? {
        return Err(LogistikError::not_found("id", format!("no {dokumen} {id}")).into());
    }
    let existing = lstore::fotos_tx(tx, dokumen, id).await?;
    if let Some(same) = existing.iter().find(|x| x.sha256 == f.sha256) {
        return Err(LogistikError::conflict("body", format!("this photo is already attached to {dokumen} {id} as photo {}", same.id)).into());
    }
    if existing.len() as i64 >= MAX_FOTO {
        return Err(LogistikError::conflict("foto", format!("{dokumen} {id} already has {MAX_FOTO} photos")).into());
    }
    let fid = lstore::insert_foto(tx, dokumen, id, f, actor).await?;
    let out = FotoStored { id: fid, content_type: f.content_type.to_string(), bytes: f.bytes, sha256: f.sha256.clone() };
    audit_change(tx, actor, &format!("logistik.{dokumen}.foto"), &format!("logistik_{dokumen}"), &id.to_string(), None, json(&out)).await?;
    Ok(out)
}

