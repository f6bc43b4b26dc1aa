//! The stock ledger's rules (issue 11 part 6), as plain values: which lots a movement out takes
//! (FEFO: first expiry, first out; expired lots never), how a lot is flagged against its expiry,
//! and the manual movements the Bidang Logistik books (adjustment after a stock count, write-off,
//! transfer between gudang, return). The balance itself is derived from the append-only ledger
//! (`logistik_mutasi`) and kept beside it in `logistik_saldo` in the same transaction.

use super::model::{parse_kode, LogistikError, Milli, MAX_NOTE};
use super::penerimaan::{parse_date, parse_nomor};
use crate::text;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Days ahead a lot counts as expiring soon when the caller does not say (`?hari=`).
pub const HARI_SEGERA: i64 = 30;
/// Longest look-ahead a caller may ask for.
pub const MAX_HARI: i64 = 3650;

/// One lot's balance in one gudang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub lot: String,
    pub kedaluwarsa: Option<NaiveDate>,
    pub jumlah: Milli,
}

/// What a movement out takes from one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ambil {
    pub lot: String,
    pub kedaluwarsa: Option<NaiveDate>,
    pub jumlah: Milli,
}

/// Picks `want` from `lots` first expiry first (lots without expiry last, then by lot code, so the
/// choice is the same on every store), skipping lots expired on `today`. `Err` holds what is
/// available (not expired) when that is less than `want`.
pub fn fefo(lots: &[Lot], today: NaiveDate, want: Milli) -> Result<Vec<Ambil>, Milli> {
    let mut usable: Vec<&Lot> = lots.iter().filter(|l| l.jumlah > 0 && l.kedaluwarsa.is_none_or(|k| k >= today)).collect();
    usable.sort_by(|a, b| (a.kedaluwarsa.is_none(), a.kedaluwarsa, &a.lot).cmp(&(b.kedaluwarsa.is_none(), b.kedaluwarsa, &b.lot)));
    let available: Milli = usable.iter().map(|l| l.jumlah).sum();
    if available < want {
        return Err(available);
    }
    let mut left = want;
    let mut out = Vec::new();
    for l in usable {
        if left == 0 {
            break;
        }
        let take = left.min(l.jumlah);
        out.push(Ambil { lot: l.lot.clone(), kedaluwarsa: l.kedaluwarsa, jumlah: take });
        left -= take;
    }
    Ok(out)
}

/// A lot against its expiry on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusLot {
    /// Past its expiry: not dispatched; to be written off.
    Kedaluwarsa,
    /// Expires within the look-ahead.
    Segera,
    /// Later, or no expiry.
    Baik,
}

/// How `kedaluwarsa` stands on `today` with `hari` days of look-ahead.
pub fn status_lot(kedaluwarsa: Option<NaiveDate>, today: NaiveDate, hari: i64) -> StatusLot {
    match kedaluwarsa {
        Some(k) if k < today => StatusLot::Kedaluwarsa,
        Some(k) if (k - today).num_days() <= hari => StatusLot::Segera,
        _ => StatusLot::Baik,
    }
}

/// The look-ahead of a near-expiry question: 0..=`MAX_HARI` days, default `HARI_SEGERA`.
pub fn parse_hari(hari: Option<i64>) -> Result<i64, LogistikError> {
    match hari {
        None => Ok(HARI_SEGERA),
        Some(h) if (0..=MAX_HARI).contains(&h) => Ok(h),
        Some(h) => Err(LogistikError::invalid("hari", format!("hari is {h}; give 0 to {MAX_HARI} days"))),
    }
}

/// Why goods are written off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlasanHapus {
    Kedaluwarsa,
    Rusak,
}

impl AlasanHapus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlasanHapus::Kedaluwarsa => "kedaluwarsa",
            AlasanHapus::Rusak => "rusak",
        }
    }
}

/// The movements booked by hand. Dispatches are not among them: they leave with a request's
/// surat jalan (part 7); receipts come with their BAST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JenisManual {
    /// After a stock count: the lot holds `jumlah_hitung`; the difference is booked (`alasan`).
    Penyesuaian,
    /// Goods removed for expiry or damage (`alasan_hapus`).
    Penghapusan,
    /// Goods moved to `ke_gudang`: FEFO unless `lot` is named; each lot keeps its code and expiry.
    Transfer,
    /// Goods coming back into a gudang (undelivered, returned by a unit), with `alasan`.
    Retur,
}

impl JenisManual {
    pub fn as_str(self) -> &'static str {
        match self {
            JenisManual::Penyesuaian => "penyesuaian",
            JenisManual::Penghapusan => "penghapusan",
            JenisManual::Transfer => "transfer",
            JenisManual::Retur => "retur",
        }
    }
}

/// Request body of `POST /api/v1/logistik/mutasi`: one movement by hand (Bidang Logistik). Which
/// fields are required depends on `jenis`; a field another `jenis` uses is refused naming it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MutasiInput {
    pub jenis: JenisManual,
    /// The gudang the movement acts at (for a transfer: the one goods leave).
    pub gudang: String,
    pub barang: String,
    /// The lot (required except for a transfer, which picks FEFO without it).
    #[serde(default)]
    pub lot: Option<String>,
    /// Quantity in `satuan`, > 0 (penghapusan, transfer, retur).
    #[serde(default)]
    pub jumlah: Option<f64>,
    /// Counted quantity in `satuan`, ≥ 0 (penyesuaian).
    #[serde(default)]
    pub jumlah_hitung: Option<f64>,
    /// The item's base unit (default) or a packing unit.
    #[serde(default)]
    pub satuan: Option<String>,
    /// Transfer: the receiving gudang.
    #[serde(default)]
    pub ke_gudang: Option<String>,
    /// Retur of a new lot: its expiry date, YYYY-MM-DD.
    #[serde(default)]
    pub kedaluwarsa: Option<String>,
    /// Penghapusan: kedaluwarsa | rusak.
    #[serde(default)]
    pub alasan_hapus: Option<AlasanHapus>,
    /// Why (required for penyesuaian and retur; a note otherwise).
    #[serde(default)]
    pub alasan: Option<String>,
}

/// A checked manual movement (the quantity still in the request's satuan).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedMutasi {
    pub jenis: JenisManual,
    pub gudang: String,
    pub barang: String,
    pub lot: Option<String>,
    pub ke_gudang: Option<String>,
    pub kedaluwarsa: Option<NaiveDate>,
    /// The quantity, the field it came from, and whether 0 is allowed (a count may find nothing).
    pub jumlah: (f64, &'static str, bool),
    pub alasan: Option<String>,
}

impl MutasiInput {
    /// Codes, texts, dates and which fields this `jenis` needs or refuses.
    pub fn check(&self) -> Result<CheckedMutasi, LogistikError> {
        use JenisManual::*;
        let j = self.jenis;
        let unused = |field: &str, present: bool| {
            if present {
                Err(LogistikError::invalid(field, format!("{field} is not used by a {} movement", j.as_str())))
            } else {
                Ok(())
            }
        };
        let needed = |field: &str| LogistikError::invalid(field, format!("a {} movement needs {field}", j.as_str()));
        unused("jumlah_hitung", j != Penyesuaian && self.jumlah_hitung.is_some())?;
        unused("jumlah", j == Penyesuaian && self.jumlah.is_some())?;
        unused("ke_gudang", j != Transfer && self.ke_gudang.is_some())?;
        unused("kedaluwarsa", j != Retur && self.kedaluwarsa.is_some())?;
        unused("alasan_hapus", j != Penghapusan && self.alasan_hapus.is_some())?;
        let gudang = parse_kode("gudang", &self.gudang)?;
        let lot = self.lot.as_deref().map(|l| parse_nomor("lot", l)).transpose()?;
        if lot.is_none() && j != Transfer {
            return Err(needed("lot"));
        }
        let jumlah = match j {
            Penyesuaian => (self.jumlah_hitung.ok_or_else(|| needed("jumlah_hitung"))?, "jumlah_hitung", true),
            _ => (self.jumlah.ok_or_else(|| needed("jumlah"))?, "jumlah", false),
        };
        let ke_gudang = match (&self.ke_gudang, j) {
            (Some(k), _) => {
                let k = parse_kode("ke_gudang", k)?;
                if k == gudang {
                    return Err(LogistikError::invalid("ke_gudang", format!("a transfer goes to another gudang, not back to {gudang}")));
                }
                Some(k)
            }
            (None, Transfer) => return Err(needed("ke_gudang")),
            (None, _) => None,
        };
        let note = text::optional("alasan", self.alasan.as_deref(), MAX_NOTE)?.map(str::to_string);
        let alasan = match (j, self.alasan_hapus) {
            (Penyesuaian | Retur, _) if note.is_none() => return Err(needed("alasan")),
            (Penghapusan, None) => return Err(needed("alasan_hapus")),
            (Penghapusan, Some(a)) => Some(match note {
                Some(n) => format!("{}: {n}", a.as_str()),
                None => a.as_str().to_string(),
            }),
            _ => note,
        };
        Ok(CheckedMutasi {
            jenis: j,
            gudang,
            barang: parse_kode("barang", &self.barang)?,
            lot,
            ke_gudang,
            kedaluwarsa: self.kedaluwarsa.as_deref().map(|k| parse_date("kedaluwarsa", k)).transpose()?,
            jumlah,
            alasan,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn fefo_takes_the_first_expiry_and_never_an_expired_lot() {
        let today = d("2026-11-28");
        let lots = [
            Lot { lot: "TANPA".into(), kedaluwarsa: None, jumlah: 50 },
            Lot { lot: "LAMA".into(), kedaluwarsa: Some(d("2026-11-27")), jumlah: 100 },
            Lot { lot: "B".into(), kedaluwarsa: Some(d("2027-03-01")), jumlah: 30 },
            Lot { lot: "A".into(), kedaluwarsa: Some(d("2026-12-01")), jumlah: 20 },
            Lot { lot: "HARI-INI".into(), kedaluwarsa: Some(today), jumlah: 5 },
        ];
        let picks = fefo(&lots, today, 40).unwrap();
        assert_eq!(picks.iter().map(|a| (a.lot.as_str(), a.jumlah)).collect::<Vec<_>>(), [("HARI-INI", 5), ("A", 20), ("B", 15)]);
        assert_eq!(fefo(&lots, today, 105).unwrap().last().map(|a| (a.lot.as_str(), a.jumlah)), Some(("TANPA", 50)));
        assert_eq!(fefo(&lots, today, 106), Err(105), "the expired lot of 100 is not available");
    }

    #[test]
    fn lots_are_flagged_against_their_expiry() {
        let today = d("2026-11-28");
        assert_eq!(status_lot(Some(d("2026-11-27")), today, 30), StatusLot::Kedaluwarsa);
        assert_eq!(status_lot(Some(today), today, 0), StatusLot::Segera);
        assert_eq!(status_lot(Some(d("2026-12-28")), today, 30), StatusLot::Segera);
        assert_eq!(status_lot(Some(d("2026-12-29")), today, 30), StatusLot::Baik);
        assert_eq!(status_lot(None, today, 30), StatusLot::Baik);
        assert_eq!(parse_hari(None), Ok(HARI_SEGERA));
        assert_eq!(parse_hari(Some(-1)).unwrap_err().field(), "hari");
    }

    #[test]
    fn manual_movements_name_their_fields() {
        let m = |v: serde_json::Value| serde_json::from_value::<MutasiInput>(v).unwrap().check();
        let field = |v: serde_json::Value| m(v).unwrap_err().field().to_string();
        assert_eq!(field(serde_json::json!({"jenis": "transfer", "gudang": "A", "ke_gudang": "A", "barang": "X", "jumlah": 1})), "ke_gudang");
        assert_eq!(field(serde_json::json!({"jenis": "transfer", "gudang": "A", "barang": "X", "jumlah": 1})), "ke_gudang");
        assert_eq!(field(serde_json::json!({"jenis": "penyesuaian", "gudang": "A", "barang": "X", "lot": "L", "jumlah_hitung": 0, "alasan": " "})), "alasan");
        assert_eq!(field(serde_json::json!({"jenis": "penyesuaian", "gudang": "A", "barang": "X", "lot": "L", "jumlah": 3, "alasan": "x"})), "jumlah");
        assert_eq!(field(serde_json::json!({"jenis": "penghapusan", "gudang": "A", "barang": "X", "jumlah": 3, "alasan_hapus": "rusak"})), "lot");
        assert_eq!(field(serde_json::json!({"jenis": "penghapusan", "gudang": "A", "barang": "X", "lot": "L", "jumlah": 3})), "alasan_hapus");
        assert_eq!(field(serde_json::json!({"jenis": "retur", "gudang": "A", "barang": "X", "lot": "L", "jumlah": 3, "alasan": "x", "ke_gudang": "B"})), "ke_gudang");
        let h = m(serde_json::json!({"jenis": "penghapusan", "gudang": "A", "barang": "X", "lot": "L", "jumlah": 2, "alasan_hapus": "rusak", "alasan": "basah"})).unwrap();
        assert_eq!(h.alasan.as_deref(), Some("rusak: basah"));
        assert!(serde_json::from_value::<MutasiInput>(serde_json::json!({"jenis": "pengeluaran", "gudang": "A"})).is_err(), "dispatch is not booked by hand");
    }
}
