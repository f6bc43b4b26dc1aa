//! Requests (permintaan), seed Lampiran B rows 6–9: a unit requests goods for a delivery point;
//! the Bidang Logistik verifies (approves all or part from a gudang, or returns it with a
//! reason); the Sekretariat dispatches (stock leaves, FEFO, with a surat jalan); the unit confirms
//! receipt with a BAST and, per line, what arrived, what was damaged and what was short. Plain
//! values, the status machine and the checks; no SQL, no HTTP.
//!
//! `diajukan → disetujui → dikirim → diterima`, and `diajukan → dikembalikan` (with a reason)
//! `→ diajukan` again when the unit resubmits it (corrected lines optional). Each step needs the
//! status and `versi` it was read at.

use super::model::{parse_kode, LogistikError, MAX_NOTE, MAX_TEXT};
use super::penerimaan::{parse_date, parse_nomor};
use crate::text;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most lines in one request.
pub const MAX_BARIS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Diajukan,
    Dikembalikan,
    Disetujui,
    Dikirim,
    Diterima,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Diajukan, Status::Dikembalikan, Status::Disetujui, Status::Dikirim, Status::Diterima];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Diajukan => "diajukan",
            Status::Dikembalikan => "dikembalikan",
            Status::Disetujui => "disetujui",
            Status::Dikirim => "dikirim",
            Status::Diterima => "diterima",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether a request may move from `self` to `to`: a 409 naming `status` otherwise (a request
    /// confirmed twice, dispatched before approval, approved twice).
    pub fn step(self, to: Status) -> Result<(), LogistikError> {
        let ok = matches!(
            (self, to),
            (Status::Diajukan, Status::Disetujui | Status::Dikembalikan)
                | (Status::Dikembalikan, Status::Diajukan)
                | (Status::Disetujui, Status::Dikirim)
                | (Status::Dikirim, Status::Diterima)
        );
        if ok {
            Ok(())
        } else {
            Err(LogistikError::conflict("status", format!("a request that is {} cannot become {}", self.as_str(), to.as_str())))
        }
    }
}

/// One requested line: an item, a quantity and its satuan, as a pledge's line.
pub use super::komitmen::BarisInput;

fn check_baris(baris: &[BarisInput], allow_empty: bool) -> Result<(), LogistikError> {
    if baris.is_empty() && !allow_empty {
        return Err(LogistikError::invalid("baris", "a request needs at least one line"));
    }
    if baris.len() > MAX_BARIS {
        return Err(LogistikError::invalid("baris", format!("at most {MAX_BARIS} lines")));
    }
    for (i, b) in baris.iter().enumerate() {
        let kode = parse_kode(&format!("baris[{i}].barang"), &b.barang)?;
        if baris[..i].iter().any(|o| o.barang.trim() == kode) {
            return Err(LogistikError::invalid(&format!("baris[{i}].barang"), format!("{kode} is on two lines; put the total on one")));
        }
    }
    Ok(())
}

/// Request body of `POST /api/v1/logistik/permintaan`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermintaanInput {
    /// The requesting unit (a kelurahan code or a unit id); a penerima token's own unit.
    pub unit: String,
    /// Delivery point (WGS84); default: a kelurahan unit's own kelurahan office point is not
    /// known, so a unit that is not a kelurahan must give one.
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
    /// Place name (posko, puskesmas, RW office).
    #[serde(default)]
    pub tempat: Option<String>,
    pub baris: Vec<BarisInput>,
    #[serde(default)]
    pub catatan: Option<String>,
}

/// A checked request head (lines are converted against the catalog by `ops`).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPermintaan {
    pub titik: Option<(f64, f64)>,
    pub tempat: Option<String>,
    pub catatan: Option<String>,
}

impl PermintaanInput {
    /// Lines (each item once), texts, and the point as both-or-neither.
    pub fn check(&self) -> Result<CheckedPermintaan, LogistikError> {
        check_baris(&self.baris, false)?;
        Ok(CheckedPermintaan {
            titik: super::model::titik(self.lon, self.lat)?,
            tempat: text::optional("tempat", self.tempat.as_deref(), MAX_TEXT)?.map(str::to_string),
            catatan: text::optional("catatan", self.catatan.as_deref(), MAX_NOTE)?.map(str::to_string),
        })
    }
}

/// Request body of `POST /api/v1/logistik/permintaan/{id}/ajukan`: the unit resubmits a returned
/// request at the `versi` it read, optionally with corrected lines (they replace the old ones)
/// and a note answering the return's reason (kept in the history).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AjukanInput {
    pub versi: i64,
    /// The corrected lines; absent: the lines as they were requested.
    #[serde(default)]
    pub baris: Option<Vec<BarisInput>>,
    /// The unit's answer to the return's reason.
    #[serde(default)]
    pub catatan: Option<String>,
}

impl AjukanInput {
    pub fn check(&self) -> Result<Option<String>, LogistikError> {
        if let Some(b) = &self.baris {
            check_baris(b, false)?;
        }
        Ok(text::optional("catatan", self.catatan.as_deref(), MAX_NOTE)?.map(str::to_string))
    }
}

/// The Bidang Logistik's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Keputusan {
    /// Approve (all, or the quantities given in `baris`).
    Setuju,
    /// Return to the requester with an `alasan`.
    Kembalikan,
}

/// Request body of `POST /api/v1/logistik/permintaan/{id}/verifikasi`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifikasiInput {
    pub keputusan: Keputusan,
    /// The `versi` the request was read at.
    pub versi: i64,
    /// The gudang to dispatch from; default: the nearest active gudang that holds every approved
    /// quantity (expired lots excluded).
    #[serde(default)]
    pub gudang: Option<String>,
    /// Approve part: the approved quantity per item (at most what was requested; 0 drops a line;
    /// items not named are approved whole).
    #[serde(default)]
    pub baris: Vec<BarisInput>,
    /// Required to return a request, and to approve less than requested.
    #[serde(default)]
    pub alasan: Option<String>,
}

impl VerifikasiInput {
    pub fn check(&self) -> Result<(Option<String>, Option<String>), LogistikError> {
        check_baris(&self.baris, true)?;
        let alasan = text::optional("alasan", self.alasan.as_deref(), MAX_NOTE)?.map(str::to_string);
        if self.keputusan == Keputusan::Kembalikan {
            if alasan.is_none() {
                return Err(LogistikError::invalid("alasan", "a returned request needs an alasan for the unit"));
            }
            if self.gudang.is_some() || !self.baris.is_empty() {
                return Err(LogistikError::invalid(if self.gudang.is_some() { "gudang" } else { "baris" }, "gudang and baris are for an approval"));
            }
        }
        Ok((self.gudang.as_deref().map(|g| parse_kode("gudang", g)).transpose()?, alasan))
    }
}

/// Request body of `POST /api/v1/logistik/permintaan/{id}/kirim` (Sekretariat).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KirimInput {
    pub versi: i64,
    /// Surat jalan number (printed on the delivery note).
    pub surat_jalan: String,
}

impl KirimInput {
    pub fn check(&self) -> Result<String, LogistikError> {
        parse_nomor("surat_jalan", &self.surat_jalan)
    }
}

/// One confirmed line: what arrived in good order, damaged, and short; together what was sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerimaBaris {
    pub barang: String,
    /// Received in good order, in the item's base unit.
    pub diterima: f64,
    #[serde(default)]
    pub rusak: f64,
    #[serde(default)]
    pub kurang: f64,
}

/// Request body of `POST /api/v1/logistik/permintaan/{id}/terima` (the receiving unit).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerimaInput {
    pub versi: i64,
    pub bast_nomor: String,
    /// YYYY-MM-DD, not after today.
    pub bast_tanggal: String,
    /// Every dispatched line once.
    pub baris: Vec<TerimaBaris>,
    #[serde(default)]
    pub catatan: Option<String>,
}

impl TerimaInput {
    pub fn check(&self, today: NaiveDate) -> Result<(String, NaiveDate, Option<String>), LogistikError> {
        let nomor = parse_nomor("bast_nomor", &self.bast_nomor)?;
        let tanggal = parse_date("bast_tanggal", &self.bast_tanggal)?;
        if tanggal > today {
            return Err(LogistikError::invalid("bast_tanggal", format!("bast_tanggal {tanggal} is after today ({today})")));
        }
        Ok((nomor, tanggal, text::optional("catatan", self.catatan.as_deref(), MAX_NOTE)?.map(str::to_string)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_moves_one_step_at_a_time() {
        assert!(Status::Diajukan.step(Status::Disetujui).is_ok());
        assert!(Status::Diajukan.step(Status::Dikembalikan).is_ok());
        assert!(Status::Disetujui.step(Status::Dikirim).is_ok());
        assert!(Status::Dikirim.step(Status::Diterima).is_ok());
        assert!(Status::Dikembalikan.step(Status::Diajukan).is_ok(), "a returned request is resubmitted");
        for (from, to) in [(Status::Diterima, Status::Diterima), (Status::Diajukan, Status::Dikirim), (Status::Dikembalikan, Status::Disetujui), (Status::Disetujui, Status::Disetujui), (Status::Disetujui, Status::Diajukan), (Status::Diajukan, Status::Diajukan)] {
            assert_eq!(from.step(to).unwrap_err().field(), "status", "{from:?} → {to:?}");
        }
        let v = VerifikasiInput { keputusan: Keputusan::Kembalikan, versi: 1, gudang: None, baris: vec![], alasan: None };
        assert_eq!(v.check().unwrap_err().field(), "alasan");
        let a = AjukanInput { versi: 2, baris: Some(vec![]), catatan: None };
        assert_eq!(a.check().unwrap_err().field(), "baris", "a resubmission with lines needs at least one");
        let a = AjukanInput { versi: 2, baris: None, catatan: Some("ok\u{0}".into()) };
        assert_eq!(a.check().unwrap_err().field(), "catatan");
    }
}
