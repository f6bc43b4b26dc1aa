//! Logistics records as plain values, and the checks every record passes before it is stored.
//!
//! Kepgub DKI 659/2020, Lampiran B row 1: the catalog of needs and availability holds at least
//! *jenis, nama, spesifikasi, satuan*; Lampiran A.3 names the storage locations (gudang). Terms
//! follow the seed: barang (item), gudang, kebutuhan (need), ketersediaan (availability).
//!
//! Quantities are held as whole thousandths of the item's base satuan (`Jumlah`), so sums are
//! exact on both stores and a fraction of a kilogram is expressible, while an item counted in
//! pieces (`bulat`) refuses any fraction after conversion.

use crate::text::{self, TextError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest name, specification or place text.
pub const MAX_TEXT: usize = 200;
/// Longest note.
pub const MAX_NOTE: usize = 1000;
/// Largest quantity in one record, in base units: far above any real consignment.
pub const MAX_JUMLAH: f64 = 1_000_000_000.0;
/// Most packing units (conversions) one item may have.
pub const MAX_KONVERSI: usize = 10;

/// Why a record was refused. `field` names the request field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogistikError {
    /// The value itself is malformed, out of range, or names something unknown.
    #[error("{detail}")]
    Invalid { field: String, detail: String },
    /// The thing named in the path does not exist.
    #[error("{detail}")]
    NotFound { field: String, detail: String },
    /// The record changed since it was read, or the key is taken.
    #[error("{detail}")]
    Conflict { field: String, detail: String },
    /// The caller may not act on this record (another unit's, another gudang's).
    #[error("{detail}")]
    Forbidden { field: String, detail: String },
    /// The body is of a type not taken (a photo that is not JPEG, PNG or WebP): 415.
    #[error("{detail}")]
    Unsupported { field: String, detail: String },
}

impl LogistikError {
    pub fn invalid(field: &str, detail: impl Into<String>) -> LogistikError {
        LogistikError::Invalid { field: field.into(), detail: detail.into() }
    }
    pub fn not_found(field: &str, detail: impl Into<String>) -> LogistikError {
        LogistikError::NotFound { field: field.into(), detail: detail.into() }
    }
    pub fn conflict(field: &str, detail: impl Into<String>) -> LogistikError {
        LogistikError::Conflict { field: field.into(), detail: detail.into() }
    }
    pub fn forbidden(field: &str, detail: impl Into<String>) -> LogistikError {
        LogistikError::Forbidden { field: field.into(), detail: detail.into() }
    }
    pub fn unsupported(field: &str, detail: impl Into<String>) -> LogistikError {
        LogistikError::Unsupported { field: field.into(), detail: detail.into() }
    }
    pub fn field(&self) -> &str {
        match self {
            LogistikError::Unsupported { field, .. } => field,
            LogistikError::Invalid { field, .. }
            | LogistikError::NotFound { field, .. }
            | LogistikError::Conflict { field, .. }
            | LogistikError::Forbidden { field, .. } => field,
        }
    }
}

impl From<TextError> for LogistikError {
    fn from(e: TextError) -> LogistikError {
        LogistikError::invalid(e.field(), e.to_string())
    }
}

fn req(field: &str, s: &str, max: usize) -> Result<String, LogistikError> {
    Ok(text::required(field, s, max)?.to_string())
}

fn opt(field: &str, s: Option<&str>, max: usize) -> Result<Option<String>, LogistikError> {
    Ok(text::optional(field, s, max)?.map(str::to_string))
}

/// A code (barang, gudang): letters, digits, `.`, `_`, `-`, 1–40 characters, starting with a
/// letter or digit; kept as given (codes appear on paper BASTs and must match them).
pub fn parse_kode(field: &str, s: &str) -> Result<String, LogistikError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 40
        && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(LogistikError::invalid(field, format!("{field} {s:?} is not a code: 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit")));
    }
    Ok(t.to_string())
}

/// Jenis barang (seed: "Jenis, nama, spesifikasi, dan satuan logistik").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Jenis {
    /// Alat pelindung diri (masker, sarung tangan, hazmat).
    Apd,
    Obat,
    Pangan,
    AlatKesehatan,
    Sembako,
    Lainnya,
}

impl Jenis {
    pub const ALL: [Jenis; 6] = [Jenis::Apd, Jenis::Obat, Jenis::Pangan, Jenis::AlatKesehatan, Jenis::Sembako, Jenis::Lainnya];

    pub fn as_str(self) -> &'static str {
        match self {
            Jenis::Apd => "apd",
            Jenis::Obat => "obat",
            Jenis::Pangan => "pangan",
            Jenis::AlatKesehatan => "alat_kesehatan",
            Jenis::Sembako => "sembako",
            Jenis::Lainnya => "lainnya",
        }
    }

    pub fn parse(s: &str) -> Option<Jenis> {
        Jenis::ALL.into_iter().find(|j| j.as_str() == s.trim().to_ascii_lowercase().replace([' ', '-'], "_"))
    }
}

/// Today's date in Jakarta: expiry is judged by the local day (one definition, bansos's).
pub use crate::bansos::model::jakarta_today;

/// A quantity in thousandths of the item's base satuan: exact sums on both stores.
pub type Milli = i64;

/// Thousandths per base unit.
pub const MILLI: i64 = 1000;

/// A positive quantity with at most three decimals, as thousandths. `field` names it in errors.
pub fn parse_jumlah(field: &str, v: f64) -> Result<Milli, LogistikError> {
    if !v.is_finite() {
        return Err(LogistikError::invalid(field, format!("{field} must be a finite number")));
    }
    if v <= 0.0 {
        return Err(LogistikError::invalid(field, format!("{field} is {v}; a quantity must be more than 0")));
    }
    if v > MAX_JUMLAH {
        return Err(LogistikError::invalid(field, format!("{field} is {v}; more than {MAX_JUMLAH} in one record is not plausible")));
    }
    let m = (v * MILLI as f64).round();
    if (m - v * MILLI as f64).abs() > 1e-6 * m.max(1.0) {
        return Err(LogistikError::invalid(field, format!("{field} is {v}; at most three decimals")));
    }
    Ok(m as Milli)
}

/// Thousandths back to a number for answers.
pub fn to_f64(m: Milli) -> f64 {
    m as f64 / MILLI as f64
}

/// One packing unit of an item: `isi` base units per `satuan` (a karton of 40 pcs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Konversi {
    /// Packing unit, e.g. karton, dus, box.
    pub satuan: String,
    /// Base units in one packing unit, e.g. 40.
    pub isi: f64,
}

/// Request body of `POST /api/v1/logistik/barang` and `PUT /api/v1/logistik/barang/{kode}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BarangInput {
    /// Catalog code, e.g. APD-MASKER-3PLY (ignored on PUT if equal to the path; must match it).
    pub kode: String,
    pub jenis: Jenis,
    pub nama: String,
    #[serde(default)]
    pub spesifikasi: Option<String>,
    /// Base unit quantities are kept in (pcs, kg, paket, botol).
    pub satuan: String,
    /// Counted in whole pieces (no fractions after conversion). Default true.
    #[serde(default = "yes")]
    pub bulat: bool,
    /// Every lot needs an expiry date (obat, pangan, hand sanitizer).
    #[serde(default)]
    pub perlu_kedaluwarsa: bool,
    /// Packing units other than the base unit.
    #[serde(default)]
    pub konversi: Vec<Konversi>,
    /// On PUT: the `versi` the edit was based on (409 if the item changed since).
    #[serde(default)]
    pub versi: Option<i64>,
}

fn yes() -> bool {
    true
}

/// A checked catalog item.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Barang {
    pub kode: String,
    pub jenis: Jenis,
    pub nama: String,
    pub spesifikasi: Option<String>,
    pub satuan: String,
    pub bulat: bool,
    pub perlu_kedaluwarsa: bool,
    pub konversi: Vec<Konversi>,
}

fn parse_satuan(field: &str, s: &str) -> Result<String, LogistikError> {
    let t = req(field, s, 30)?.to_lowercase();
    if t.chars().any(|c| c.is_whitespace()) {
        return Err(LogistikError::invalid(field, format!("{field} {t:?} must be one word (pcs, kg, karton)")));
    }
    Ok(t)
}

impl BarangInput {
    pub fn check(&self) -> Result<Barang, LogistikError> {
        let satuan = parse_satuan("satuan", &self.satuan)?;
        let bulat = self.bulat;
        if self.konversi.len() > MAX_KONVERSI {
            return Err(LogistikError::invalid("konversi", format!("at most {MAX_KONVERSI} packing units")));
        }
        let mut konversi = Vec::with_capacity(self.konversi.len());
        for (i, k) in self.konversi.iter().enumerate() {
            let s = parse_satuan(&format!("konversi[{i}].satuan"), &k.satuan)?;
            if s == satuan || konversi.iter().any(|o: &Konversi| o.satuan == s) {
                return Err(LogistikError::invalid(&format!("konversi[{i}].satuan"), format!("satuan {s:?} is listed twice")));
            }
            let isi = parse_jumlah(&format!("konversi[{i}].isi"), k.isi)?;
            if bulat && isi % MILLI != 0 {
                return Err(LogistikError::invalid(&format!("konversi[{i}].isi"), format!("{} is counted in whole {satuan}; a {s} must hold a whole number", self.nama.trim())));
            }
            konversi.push(Konversi { satuan: s, isi: to_f64(isi) });
        }
        Ok(Barang {
            kode: parse_kode("kode", &self.kode)?,
            jenis: self.jenis,
            nama: req("nama", &self.nama, MAX_TEXT)?,
            spesifikasi: opt("spesifikasi", self.spesifikasi.as_deref(), MAX_NOTE)?,
            satuan,
            bulat,
            perlu_kedaluwarsa: self.perlu_kedaluwarsa,
            konversi,
        })
    }
}

impl Barang {
    /// `jumlah` given in `satuan` (the base unit or one of its packing units) as base thousandths.
    /// `field` names the quantity, `satuan_field` the unit, in errors.
    pub fn to_base(&self, jumlah: f64, satuan: Option<&str>, field: &str, satuan_field: &str) -> Result<Milli, LogistikError> {
        let m = parse_jumlah(field, jumlah)?;
        let s = satuan.map(|s| s.trim().to_lowercase()).unwrap_or_else(|| self.satuan.clone());
        let base = if s == self.satuan {
            m
        } else {
            let k = self.konversi.iter().find(|k| k.satuan == s).ok_or_else(|| {
                let known: Vec<&str> = std::iter::once(self.satuan.as_str()).chain(self.konversi.iter().map(|k| k.satuan.as_str())).collect();
                LogistikError::invalid(satuan_field, format!("{} is counted in {}; satuan {s:?} has no conversion (known: {})", self.kode, self.satuan, known.join(", ")))
            })?;
            // isi has at most three decimals; the product is in millionths, back to thousandths.
            let isi = (k.isi * MILLI as f64).round() as i128;
            let p = i128::from(m) * isi;
            if p % i128::from(MILLI) != 0 {
                return Err(LogistikError::invalid(field, format!("{jumlah} {s} is not a whole number of thousandths of a {}", self.satuan)));
            }
            i64::try_from(p / i128::from(MILLI)).map_err(|_| LogistikError::invalid(field, format!("{field} is too large")))?
        };
        if self.bulat && base % MILLI != 0 {
            return Err(LogistikError::invalid(field, format!("{} is counted in whole {}; {jumlah} {s} is {} {}", self.kode, self.satuan, to_f64(base), self.satuan)));
        }
        if to_f64(base) > MAX_JUMLAH {
            return Err(LogistikError::invalid(field, format!("{field} is {} {}; more than {MAX_JUMLAH} in one record is not plausible", to_f64(base), self.satuan)));
        }
        Ok(base)
    }
}

/// One catalog line of an import file (CSV or XLSX), as text cells.
#[derive(Debug, Clone, Default)]
pub struct BarangRow {
    pub line: usize,
    pub cells: std::collections::HashMap<String, String>,
}

/// Columns of a catalog import: `kode,jenis,nama,spesifikasi,satuan,bulat,perlu_kedaluwarsa,konversi`
/// where `konversi` is `karton=40;dus=10` (optional columns: spesifikasi, bulat, perlu_kedaluwarsa,
/// konversi).
pub const IMPORT_COLUMNS: [&str; 8] = ["kode", "jenis", "nama", "spesifikasi", "satuan", "bulat", "perlu_kedaluwarsa", "konversi"];

fn parse_bool(field: &str, s: &str, default: bool) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(default),
        "true" | "1" | "ya" | "yes" | "y" => Ok(true),
        "false" | "0" | "tidak" | "no" | "n" => Ok(false),
        other => Err(format!("{field} {other:?} is not ya/tidak")),
    }
}

/// Parses and checks import rows; every bad line is reported (with its line number), so a file
/// can be fixed in one pass. A code repeated in the file is an error.
pub fn parse_barang_rows(rows: &[BarangRow]) -> Result<Vec<Barang>, Vec<String>> {
    let mut errors = Vec::new();
    let mut out: Vec<Barang> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for row in rows {
        let cell = |c: &str| row.cells.get(c).map(String::as_str).unwrap_or("");
        let line = row.line;
        let jenis = match Jenis::parse(cell("jenis")) {
            Some(j) => j,
            None => {
                errors.push(format!("line {line}: jenis {:?} is not one of {}", cell("jenis"), Jenis::ALL.map(Jenis::as_str).join(", ")));
                continue;
            }
        };
        let bulat = parse_bool("bulat", cell("bulat"), true);
        let exp = parse_bool("perlu_kedaluwarsa", cell("perlu_kedaluwarsa"), false);
        let (bulat, exp) = match (bulat, exp) {
            (Ok(b), Ok(e)) => (b, e),
            (Err(e), _) | (_, Err(e)) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let mut konversi = Vec::new();
        let mut bad = None;
        for part in cell("konversi").split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=').map(|(s, n)| (s.trim(), n.trim().replace(',', ".").parse::<f64>())) {
                Some((s, Ok(isi))) => konversi.push(Konversi { satuan: s.to_string(), isi }),
                _ => bad = Some(format!("line {line}: konversi {part:?} is not satuan=isi (karton=40)")),
            }
        }
        if let Some(b) = bad {
            errors.push(b);
            continue;
        }
        let spes = cell("spesifikasi");
        let input = BarangInput {
            kode: cell("kode").into(),
            jenis,
            nama: cell("nama").into(),
            spesifikasi: (!spes.trim().is_empty()).then(|| spes.to_string()),
            satuan: cell("satuan").into(),
            bulat,
            perlu_kedaluwarsa: exp,
            konversi,
            versi: None,
        };
        match input.check() {
            Ok(b) => {
                if let Some(first) = seen.insert(b.kode.clone(), line) {
                    errors.push(format!("line {line}: kode {} appears again (first on line {first})", b.kode));
                } else {
                    out.push(b);
                }
            }
            Err(e) => errors.push(format!("line {line}: {}: {e}", e.field())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Request body of `POST /api/v1/logistik/gudang` and `PUT /api/v1/logistik/gudang/{kode}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GudangInput {
    /// Code, e.g. BALAIKOTA.
    pub kode: String,
    pub nama: String,
    #[serde(default)]
    pub alamat: Option<String>,
    /// WGS84 longitude (≈ 106.8).
    pub lon: f64,
    /// WGS84 latitude (≈ -6.2).
    pub lat: f64,
    /// Accepts receipts and dispatches. Default true.
    #[serde(default = "yes")]
    pub aktif: bool,
    /// On PUT: the `versi` the edit was based on.
    #[serde(default)]
    pub versi: Option<i64>,
}

/// A checked gudang, not yet located (the atlas adds its kelurahan).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewGudang {
    pub kode: String,
    pub nama: String,
    pub alamat: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub aktif: bool,
}

impl GudangInput {
    pub fn check(&self) -> Result<NewGudang, LogistikError> {
        Ok(NewGudang {
            kode: parse_kode("kode", &self.kode)?,
            nama: req("nama", &self.nama, MAX_TEXT)?,
            alamat: opt("alamat", self.alamat.as_deref(), MAX_TEXT)?,
            lon: self.lon,
            lat: self.lat,
            aktif: self.aktif,
        })
    }
}

/// Kebutuhan (a unit's need) or ketersediaan (what a unit has on hand), seed Lampiran B row 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JenisCatatan {
    Kebutuhan,
    Ketersediaan,
}

impl JenisCatatan {
    pub fn as_str(self) -> &'static str {
        match self {
            JenisCatatan::Kebutuhan => "kebutuhan",
            JenisCatatan::Ketersediaan => "ketersediaan",
        }
    }
    pub fn parse(s: &str) -> Option<JenisCatatan> {
        match s {
            "kebutuhan" => Some(JenisCatatan::Kebutuhan),
            "ketersediaan" => Some(JenisCatatan::Ketersediaan),
            _ => None,
        }
    }
}

/// Request body of `PUT /api/v1/logistik/unit/{unit}/{catatan}/{barang}`: the unit's current
/// figure for one item (it replaces the previous one; history is in the audit log).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatatanInput {
    /// Quantity, > 0, in `satuan`.
    pub jumlah: f64,
    /// The item's base unit (default) or one of its packing units.
    #[serde(default)]
    pub satuan: Option<String>,
    /// Where the goods are needed or kept: longitude (default: the unit's office, not stored).
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
    /// Place name (posko, puskesmas, RW).
    #[serde(default)]
    pub tempat: Option<String>,
    #[serde(default)]
    pub catatan: Option<String>,
    /// The `versi` of the figure this one replaces, when the caller read it (409 if it moved).
    #[serde(default)]
    pub versi: Option<i64>,
}

/// A checked need/availability figure (quantity still in the request's satuan).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCatatan {
    pub titik: Option<(f64, f64)>,
    pub tempat: Option<String>,
    pub catatan: Option<String>,
}

impl CatatanInput {
    /// Checks what needs no catalog: the point is both or neither, texts are clean.
    pub fn check(&self) -> Result<CheckedCatatan, LogistikError> {
        let titik = match (self.lon, self.lat) {
            (Some(lon), Some(lat)) => Some((lon, lat)),
            (None, None) => None,
            (Some(_), None) => return Err(LogistikError::invalid("lat", "lat is required with lon")),
            (None, Some(_)) => return Err(LogistikError::invalid("lon", "lon is required with lat")),
        };
        Ok(CheckedCatatan { titik, tempat: opt("tempat", self.tempat.as_deref(), MAX_TEXT)?, catatan: opt("catatan", self.catatan.as_deref(), MAX_NOTE)? })
    }
}

/// One unit's figures for one item, as the needs-vs-stock view reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFigure {
    pub unit: String,
    pub kota: Option<String>,
    pub kebutuhan: Milli,
    pub ketersediaan: Milli,
}

/// Where an item is short: one unit's need not covered by what it has.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitKurang {
    pub unit: String,
    pub kota: Option<String>,
    pub kebutuhan: f64,
    pub ketersediaan: f64,
    /// kebutuhan − ketersediaan, in the item's base satuan.
    pub kurang: f64,
}

/// Needs against stock for one item (seed Lampiran B rows 1 and 6: the units check the
/// availability against their needs before they request).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KebutuhanVsStok {
    pub barang: String,
    pub nama: String,
    pub satuan: String,
    /// Sum of the units' needs.
    pub kebutuhan: f64,
    /// Sum of what the units report they have.
    pub ketersediaan_unit: f64,
    /// Needs the units' own availability does not cover (summed per unit, so one unit's surplus
    /// does not hide another's shortfall).
    pub kebutuhan_bersih: f64,
    /// Dispatchable stock in all gudang (expired lots excluded).
    pub stok_gudang: f64,
    pub stok_per_gudang: std::collections::BTreeMap<String, f64>,
    /// What the gudang cannot cover: kebutuhan_bersih − stok_gudang, at least 0.
    pub kurang: f64,
    /// The units with a shortfall, largest first.
    pub unit_kurang: Vec<UnitKurang>,
}

/// The needs-vs-stock view of one item from the units' figures and the stock per gudang.
pub fn kebutuhan_vs_stok(barang: &Barang, units: &[UnitFigure], stok: &std::collections::BTreeMap<String, Milli>) -> KebutuhanVsStok {
    let mut unit_kurang: Vec<(Milli, UnitKurang)> = units
        .iter()
        .filter(|u| u.kebutuhan > u.ketersediaan)
        .map(|u| {
            let k = u.kebutuhan - u.ketersediaan;
            (k, UnitKurang { unit: u.unit.clone(), kota: u.kota.clone(), kebutuhan: to_f64(u.kebutuhan), ketersediaan: to_f64(u.ketersediaan), kurang: to_f64(k) })
        })
        .collect();
    unit_kurang.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.unit.cmp(&b.1.unit)));
    let bersih: Milli = unit_kurang.iter().map(|(k, _)| k).sum();
    let total_stok: Milli = stok.values().sum();
    KebutuhanVsStok {
        barang: barang.kode.clone(),
        nama: barang.nama.clone(),
        satuan: barang.satuan.clone(),
        kebutuhan: to_f64(units.iter().map(|u| u.kebutuhan).sum()),
        ketersediaan_unit: to_f64(units.iter().map(|u| u.ketersediaan).sum()),
        kebutuhan_bersih: to_f64(bersih),
        stok_gudang: to_f64(total_stok),
        stok_per_gudang: stok.iter().map(|(g, m)| (g.clone(), to_f64(*m))).collect(),
        kurang: to_f64((bersih - total_stok).max(0)),
        unit_kurang: unit_kurang.into_iter().map(|(_, u)| u).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker() -> Barang {
        BarangInput {
            kode: "APD-MASKER".into(),
            jenis: Jenis::Apd,
            nama: "Masker bedah 3 ply".into(),
            spesifikasi: None,
            satuan: "pcs".into(),
            bulat: true,
            perlu_kedaluwarsa: false,
            konversi: vec![Konversi { satuan: "karton".into(), isi: 40.0 }],
            versi: None,
        }
        .check()
        .unwrap()
    }

    #[test]
    fn quantities_are_positive_thousandths() {
        assert_eq!(parse_jumlah("j", 2.5).unwrap(), 2500);
        assert_eq!(parse_jumlah("j", 0.001).unwrap(), 1);
        assert!(parse_jumlah("j", 0.0).is_err());
        assert!(parse_jumlah("j", -1.0).is_err());
        assert!(parse_jumlah("j", 1.0005).is_err());
        assert!(parse_jumlah("j", f64::NAN).is_err());
    }

    #[test]
    fn conversions_and_pieces() {
        let m = masker();
        assert_eq!(m.to_base(3.0, Some("karton"), "jumlah", "satuan").unwrap(), 120 * MILLI);
        assert_eq!(m.to_base(7.0, None, "jumlah", "satuan").unwrap(), 7 * MILLI);
        assert_eq!(m.to_base(0.5, Some("KARTON"), "jumlah", "satuan").unwrap(), 20 * MILLI);
        let e = m.to_base(1.5, Some("pcs"), "jumlah", "satuan").unwrap_err();
        assert_eq!(e.field(), "jumlah");
        let e = m.to_base(0.01, Some("karton"), "jumlah", "satuan").unwrap_err();
        assert_eq!(e.field(), "jumlah", "0.4 pcs");
        let e = m.to_base(1.0, Some("kg"), "jumlah", "satuan").unwrap_err();
        assert_eq!(e.field(), "satuan");
        assert!(e.to_string().contains("karton"), "{e}");
    }

    #[test]
    fn shortfall_is_per_unit_then_against_stock() {
        let m = masker();
        let u = |unit: &str, k: i64, t: i64| UnitFigure { unit: unit.into(), kota: Some("31.71".into()), kebutuhan: k * MILLI, ketersediaan: t * MILLI };
        // A's surplus of 50 must not hide B's shortfall of 80.
        let units = [u("A", 10, 60), u("B", 100, 20), u("C", 30, 0)];
        let stok = [("BALAIKOTA".to_string(), 70 * MILLI), ("DINSOS".to_string(), 10 * MILLI)].into_iter().collect();
        let v = kebutuhan_vs_stok(&m, &units, &stok);
        assert_eq!((v.kebutuhan, v.ketersediaan_unit, v.kebutuhan_bersih, v.stok_gudang, v.kurang), (140.0, 80.0, 110.0, 80.0, 30.0));
        assert_eq!(v.unit_kurang.iter().map(|x| (x.unit.as_str(), x.kurang)).collect::<Vec<_>>(), [("B", 80.0), ("C", 30.0)]);
        let plenty = [("BALAIKOTA".to_string(), 500 * MILLI)].into_iter().collect();
        assert_eq!(kebutuhan_vs_stok(&m, &units, &plenty).kurang, 0.0);
    }

    #[test]
    fn catalog_rows_report_every_bad_line() {
        let row = |line: usize, pairs: &[(&str, &str)]| BarangRow { line, cells: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
        let good = row(2, &[("kode", "BERAS-5KG"), ("jenis", "pangan"), ("nama", "Beras 5 kg"), ("satuan", "karung"), ("perlu_kedaluwarsa", "ya"), ("konversi", "palet=40")]);
        let ok = parse_barang_rows(std::slice::from_ref(&good)).unwrap();
        assert_eq!(ok[0].konversi[0].isi, 40.0);
        assert!(ok[0].perlu_kedaluwarsa);
        let bad = parse_barang_rows(&[
            good.clone(),
            row(3, &[("kode", "X"), ("jenis", "senjata"), ("nama", "x"), ("satuan", "pcs")]),
            row(4, &[("kode", "BERAS-5KG"), ("jenis", "pangan"), ("nama", "lagi"), ("satuan", "karung")]),
            row(5, &[("kode", "Y"), ("jenis", "apd"), ("nama", ""), ("satuan", "pcs")]),
            row(6, &[("kode", "Z"), ("jenis", "apd"), ("nama", "z"), ("satuan", "pcs"), ("konversi", "karton=2.5")]),
        ])
        .unwrap_err();
        assert_eq!(bad.len(), 4, "{bad:?}");
        assert!(bad[0].starts_with("line 3") && bad[1].starts_with("line 4") && bad[2].contains("nama") && bad[3].contains("konversi[0].isi"), "{bad:?}");
    }
}
