//! Receipt at a gudang (penerimaan), seed Lampiran B rows 3–5: goods handed over by a kolaborator
//! (against a pledge or not) are checked by the Bidang Logistik — count, expiry, condition — and
//! only what is accepted enters stock. The paper is the BAST (number and date, unique per
//! receipt), with photos of the goods and the hand-over. Plain values and checks; the catalog
//! conversions and the stored state are applied by `ops`.

use super::model::{parse_kode, Barang, LogistikError, Milli, MAX_NOTE, MAX_TEXT};
use crate::text;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most lines in one receipt.
pub const MAX_BARIS: usize = 200;
/// Longest BAST number or lot code.
pub const MAX_NOMOR: usize = 60;
/// Most photos one receipt (or one confirmation) may carry.
pub const MAX_FOTO: i64 = 10;

/// Why goods were refused at the gudang.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlasanTolak {
    Rusak,
    Kedaluwarsa,
    TidakSesuaiSpesifikasi,
}

impl AlasanTolak {
    pub fn as_str(self) -> &'static str {
        match self {
            AlasanTolak::Rusak => "rusak",
            AlasanTolak::Kedaluwarsa => "kedaluwarsa",
            AlasanTolak::TidakSesuaiSpesifikasi => "tidak_sesuai_spesifikasi",
        }
    }
}

/// One checked line of goods: what the sender announced, what was accepted into stock, what was
/// refused (and why). The gap, if any, is missing goods (`kurang`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BarisPenerimaanInput {
    pub barang: String,
    /// Lot or batch code as printed on the goods; default: the BAST number (goods of one paper
    /// stay traceable to it).
    #[serde(default)]
    pub lot: Option<String>,
    /// Expiry date YYYY-MM-DD; required for items that need one.
    #[serde(default)]
    pub kedaluwarsa: Option<String>,
    /// The unit of the three quantities: the item's base unit (default) or a packing unit.
    #[serde(default)]
    pub satuan: Option<String>,
    /// Quantity on the sender's paper, > 0.
    pub jumlah_diumumkan: f64,
    /// Counted and accepted into stock, ≥ 0.
    pub jumlah_diterima: f64,
    /// Counted and refused, ≥ 0 (needs `alasan_tolak`).
    #[serde(default)]
    pub jumlah_ditolak: f64,
    #[serde(default)]
    pub alasan_tolak: Option<AlasanTolak>,
    /// Condition noted at the check (kemasan penyok, segel utuh).
    #[serde(default)]
    pub kondisi: Option<String>,
}

/// Request body of `POST /api/v1/logistik/penerimaan`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PenerimaanInput {
    /// The gudang receiving the goods.
    pub gudang: String,
    /// The pledge the goods fulfil, if any (its received quantities follow).
    #[serde(default)]
    pub komitmen_id: Option<i64>,
    /// Who handed the goods over (a kolaborator organisation; no personal contact is stored).
    pub pengirim: String,
    /// BAST number, unique over all receipts.
    pub bast_nomor: String,
    /// BAST date, YYYY-MM-DD, not after today.
    pub bast_tanggal: String,
    pub baris: Vec<BarisPenerimaanInput>,
    #[serde(default)]
    pub catatan: Option<String>,
}

/// A checked receipt head (lines are converted against the catalog by `ops`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPenerimaan {
    pub gudang: String,
    pub komitmen_id: Option<i64>,
    pub pengirim: String,
    pub bast_nomor: String,
    pub bast_tanggal: NaiveDate,
    pub catatan: Option<String>,
}

/// A line after conversion to the item's base unit (thousandths).
#[derive(Debug, Clone, PartialEq)]
pub struct NewBaris {
    pub barang: String,
    pub lot: String,
    pub kedaluwarsa: Option<NaiveDate>,
    pub diumumkan: Milli,
    pub diterima: Milli,
    pub ditolak: Milli,
    pub alasan_tolak: Option<AlasanTolak>,
    pub kondisi: Option<String>,
}

/// A date field, `YYYY-MM-DD`.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, LogistikError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| LogistikError::invalid(field, format!("{field} {s:?} is not a date (YYYY-MM-DD)")))
}

/// A BAST number or lot code: printable text without spaces at the ends, kept as written.
pub fn parse_nomor(field: &str, s: &str) -> Result<String, LogistikError> {
    Ok(text::required(field, s, MAX_NOMOR)?.to_string())
}

impl PenerimaanInput {
    /// What needs no catalog or store: texts, dates (the BAST not after `today`), line count,
    /// codes, and each (item, lot) once.
    pub fn check(&self, today: NaiveDate) -> Result<NewPenerimaan, LogistikError> {
        let bast_nomor = parse_nomor("bast_nomor", &self.bast_nomor)?;
        let bast_tanggal = parse_date("bast_tanggal", &self.bast_tanggal)?;
        if bast_tanggal > today {
            return Err(LogistikError::invalid("bast_tanggal", format!("bast_tanggal {bast_tanggal} is after today ({today}): a BAST is signed when the goods arrive")));
        }
        if self.baris.is_empty() {
            return Err(LogistikError::invalid("baris", "a receipt needs at least one line"));
        }
        if self.baris.len() > MAX_BARIS {
            return Err(LogistikError::invalid("baris", format!("at most {MAX_BARIS} lines")));
        }
        let mut seen: Vec<(String, String)> = Vec::with_capacity(self.baris.len());
        for (i, b) in self.baris.iter().enumerate() {
            let kode = parse_kode(&format!("baris[{i}].barang"), &b.barang)?;
            let lot = match &b.lot {
                Some(l) => parse_nomor(&format!("baris[{i}].lot"), l)?,
                None => bast_nomor.clone(),
            };
            if let Some(k) = &b.kedaluwarsa {
                parse_date(&format!("baris[{i}].kedaluwarsa"), k)?;
            }
            text::optional(&format!("baris[{i}].kondisi"), b.kondisi.as_deref(), MAX_TEXT)?;
            if seen.iter().any(|(k, l)| *k == kode && *l == lot) {
                return Err(LogistikError::invalid(&format!("baris[{i}].lot"), format!("{kode} lot {lot} is on two lines; give each line its own lot or put the total on one")));
            }
            seen.push((kode, lot));
        }
        Ok(NewPenerimaan {
            gudang: parse_kode("gudang", &self.gudang)?,
            komitmen_id: self.komitmen_id,
            pengirim: text::required("pengirim", &self.pengirim, MAX_TEXT)?.to_string(),
            bast_nomor,
            bast_tanggal,
            catatan: text::optional("catatan", self.catatan.as_deref(), MAX_NOTE)?.map(str::to_string),
        })
    }
}

/// A quantity that may be 0 (accepted or refused), else the catalog's rules.
pub(crate) fn jumlah0(item: &Barang, v: f64, satuan: Option<&str>, field: &str, satuan_field: &str) -> Result<Milli, LogistikError> {
    if v == 0.0 {
        // The satuan must still be one the item knows.
        item.to_base(1.0, satuan, field, satuan_field).map(|_| 0)
    } else if v < 0.0 {
        Err(LogistikError::invalid(field, format!("{field} is {v}; a quantity cannot be negative")))
    } else {
        item.to_base(v, satuan, field, satuan_field)
    }
}

impl BarisPenerimaanInput {
    /// The line `i` against its catalog item on the receipt date `today`: quantities in base units,
    /// accepted + refused within what was announced, a reason for any refusal, an expiry for items
    /// that need one, and nothing expired accepted (expired goods are refused with `kedaluwarsa`:
    /// they never enter stock, so they can never be dispatched).
    pub fn check(&self, i: usize, item: &Barang, lot: String, today: NaiveDate) -> Result<NewBaris, LogistikError> {
        let f = |name: &str| format!("baris[{i}].{name}");
        let satuan = self.satuan.as_deref();
        let diumumkan = item.to_base(self.jumlah_diumumkan, satuan, &f("jumlah_diumumkan"), &f("satuan"))?;
        let diterima = jumlah0(item, self.jumlah_diterima, satuan, &f("jumlah_diterima"), &f("satuan"))?;
        let ditolak = jumlah0(item, self.jumlah_ditolak, satuan, &f("jumlah_ditolak"), &f("satuan"))?;
        if diterima + ditolak > diumumkan {
            return Err(LogistikError::invalid(&f("jumlah_diterima"), format!("accepted {} + refused {} is more than the {} announced ({})", self.jumlah_diterima, self.jumlah_ditolak, self.jumlah_diumumkan, item.satuan)));
        }
        match (ditolak > 0, self.alasan_tolak) {
            (true, None) => return Err(LogistikError::invalid(&f("alasan_tolak"), "refused goods need an alasan_tolak: rusak, kedaluwarsa or tidak_sesuai_spesifikasi")),
            (false, Some(_)) => return Err(LogistikError::invalid(&f("alasan_tolak"), "alasan_tolak is for refused goods; jumlah_ditolak is 0")),
            _ => {}
        }
        let kedaluwarsa = self.kedaluwarsa.as_deref().map(|k| parse_date(&f("kedaluwarsa"), k)).transpose()?;
        match kedaluwarsa {
            None if item.perlu_kedaluwarsa => {
                return Err(LogistikError::invalid(&f("kedaluwarsa"), format!("{} needs an expiry date on every lot", item.kode)));
            }
            Some(k) if k < today && diterima > 0 => {
                return Err(LogistikError::invalid(&f("kedaluwarsa"), format!("lot {lot} expired on {k}: expired goods are not taken into stock; record them as jumlah_ditolak with alasan_tolak kedaluwarsa")));
            }
            _ => {}
        }
        Ok(NewBaris {
            barang: item.kode.clone(),
            lot,
            kedaluwarsa,
            diumumkan,
            diterima,
            ditolak,
            alasan_tolak: self.alasan_tolak,
            kondisi: text::optional(&f("kondisi"), self.kondisi.as_deref(), MAX_TEXT)?.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logistics::model::{BarangInput, Jenis, Konversi, MILLI};

    fn sanitizer() -> Barang {
        BarangInput {
            kode: "HS-500".into(),
            jenis: Jenis::Apd,
            nama: "Hand sanitizer 500 ml".into(),
            spesifikasi: None,
            satuan: "botol".into(),
            bulat: true,
            perlu_kedaluwarsa: true,
            konversi: vec![Konversi { satuan: "dus".into(), isi: 24.0 }],
            versi: None,
        }
        .check()
        .unwrap()
    }

    fn line() -> BarisPenerimaanInput {
        BarisPenerimaanInput {
            barang: "HS-500".into(),
            lot: Some("L1".into()),
            kedaluwarsa: Some("2027-06-30".into()),
            satuan: Some("dus".into()),
            jumlah_diumumkan: 10.0,
            jumlah_diterima: 9.0,
            jumlah_ditolak: 1.0,
            alasan_tolak: Some(AlasanTolak::Rusak),
            kondisi: None,
        }
    }

    #[test]
    fn a_line_is_counted_in_base_units_and_refusals_need_a_reason() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let b = line().check(0, &sanitizer(), "L1".into(), today).unwrap();
        assert_eq!((b.diumumkan, b.diterima, b.ditolak), (240 * MILLI, 216 * MILLI, 24 * MILLI));
        let bad = |l: BarisPenerimaanInput| l.check(0, &sanitizer(), "L1".into(), today).unwrap_err().field().to_string();
        assert_eq!(bad(BarisPenerimaanInput { alasan_tolak: None, ..line() }), "baris[0].alasan_tolak");
        assert_eq!(bad(BarisPenerimaanInput { jumlah_ditolak: 0.0, ..line() }), "baris[0].alasan_tolak");
        assert_eq!(bad(BarisPenerimaanInput { jumlah_diterima: 10.0, ..line() }), "baris[0].jumlah_diterima");
        assert_eq!(bad(BarisPenerimaanInput { jumlah_diterima: -1.0, ..line() }), "baris[0].jumlah_diterima");
        assert_eq!(bad(BarisPenerimaanInput { jumlah_diumumkan: 0.0, ..line() }), "baris[0].jumlah_diumumkan");
        assert_eq!(bad(BarisPenerimaanInput { satuan: Some("kg".into()), jumlah_diterima: 0.0, ..line() }), "baris[0].satuan");
        assert_eq!(bad(BarisPenerimaanInput { satuan: None, jumlah_diterima: 1.5, ..line() }), "baris[0].jumlah_diterima");
        assert_eq!(bad(BarisPenerimaanInput { kedaluwarsa: None, ..line() }), "baris[0].kedaluwarsa");
        assert_eq!(bad(BarisPenerimaanInput { kedaluwarsa: Some("2026-11-26".into()), ..line() }), "baris[0].kedaluwarsa");
        // An expired lot refused whole is recorded.
        let expired = BarisPenerimaanInput { kedaluwarsa: Some("2026-11-26".into()), jumlah_diterima: 0.0, jumlah_ditolak: 10.0, alasan_tolak: Some(AlasanTolak::Kedaluwarsa), ..line() };
        assert_eq!(expired.check(0, &sanitizer(), "L1".into(), today).unwrap().diterima, 0);
    }

    #[test]
    fn a_receipt_names_its_paper_and_each_lot_once() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let input = PenerimaanInput {
            gudang: "BALAIKOTA".into(),
            komitmen_id: None,
            pengirim: "PT Contoh".into(),
            bast_nomor: "BAST/001".into(),
            bast_tanggal: "2026-11-27".into(),
            baris: vec![line()],
            catatan: None,
        };
        assert_eq!(input.check(today).unwrap().bast_nomor, "BAST/001");
        let bad = |f: fn(&mut PenerimaanInput)| {
            let mut i = input.clone();
            f(&mut i);
            i.check(today).unwrap_err().field().to_string()
        };
        assert_eq!(bad(|i| i.bast_nomor = " ".into()), "bast_nomor");
        assert_eq!(bad(|i| i.bast_tanggal = "27-11-2026".into()), "bast_tanggal");
        assert_eq!(bad(|i| i.bast_tanggal = "2026-11-28".into()), "bast_tanggal");
        assert_eq!(bad(|i| i.baris.clear()), "baris");
        assert_eq!(bad(|i| i.baris.push(line())), "baris[1].lot");
        assert_eq!(bad(|i| i.pengirim = "a\u{0}".into()), "pengirim");
        assert_eq!(bad(|i| i.baris[0].kedaluwarsa = Some("besok".into())), "baris[0].kedaluwarsa");
    }
}
