//! Pledges (komitmen kolaborator), seed Lampiran B rows 2–3: the Bidang Kolaborasi dan Kemitraan
//! agrees with a kolaborator which items and how many, to arrive at a gudang by a date. Plain
//! values and the status machine; no SQL, no HTTP.
//!
//! `draf → disepakati → diterima_sebagian → selesai`, and `batal` from `draf` or `disepakati`
//! (goods already received cannot be un-pledged). The two receipt states follow the received
//! quantities (`after_receipt`); people move only `draf → disepakati` and `→ batal`.

use super::model::{parse_kode, LogistikError, MAX_NOTE};
use crate::text;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most lines in one pledge.
pub const MAX_BARIS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draf,
    Disepakati,
    DiterimaSebagian,
    Selesai,
    Batal,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Draf, Status::Disepakati, Status::DiterimaSebagian, Status::Selesai, Status::Batal];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draf => "draf",
            Status::Disepakati => "disepakati",
            Status::DiterimaSebagian => "diterima_sebagian",
            Status::Selesai => "selesai",
            Status::Batal => "batal",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether a person may move a pledge from `self` to `to` (receipt states are not theirs).
    pub fn manual_step(self, to: Status) -> Result<(), LogistikError> {
        let ok = matches!((self, to), (Status::Draf, Status::Disepakati) | (Status::Draf | Status::Disepakati, Status::Batal));
        if ok {
            return Ok(());
        }
        let why = match to {
            Status::DiterimaSebagian | Status::Selesai => "follows the received quantities (a receipt at the gudang), not a request".to_string(),
            _ => format!("a pledge that is {} cannot become {}", self.as_str(), to.as_str()),
        };
        Err(LogistikError::conflict("status", format!("{} → {}: {why}", self.as_str(), to.as_str())))
    }
}

/// The status a received quantity puts an agreed pledge in: lines as (pledged, received).
pub fn after_receipt(lines: &[(i64, i64)]) -> Status {
    if lines.iter().all(|(j, d)| d >= j) {
        Status::Selesai
    } else if lines.iter().any(|(_, d)| *d > 0) {
        Status::DiterimaSebagian
    } else {
        Status::Disepakati
    }
}

/// One pledged line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BarisInput {
    pub barang: String,
    /// Quantity, > 0, in `satuan`.
    pub jumlah: f64,
    /// The item's base unit (default) or one of its packing units.
    #[serde(default)]
    pub satuan: Option<String>,
}

/// Request body of `POST /api/v1/logistik/komitmen`: a new pledge, in `draf`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KomitmenInput {
    /// The collaborator, by its id in the one collaborator registry (`GET /api/v1/ksbb/kolaborator`):
    /// it must be approved by Bidang Kolaborasi. Its name is kept with the pledge.
    pub kolaborator_id: i64,
    /// The gudang the goods are to arrive at.
    pub gudang: String,
    /// Expected date, YYYY-MM-DD.
    pub tanggal_harap: String,
    pub baris: Vec<BarisInput>,
    #[serde(default)]
    pub catatan: Option<String>,
}

/// A checked pledge; line quantities are converted against the catalog by `ops`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKomitmen {
    pub kolaborator_id: i64,
    pub gudang: String,
    pub tanggal_harap: NaiveDate,
    pub catatan: Option<String>,
}

impl KomitmenInput {
    pub fn check(&self) -> Result<NewKomitmen, LogistikError> {
        let tanggal_harap = NaiveDate::parse_from_str(self.tanggal_harap.trim(), "%Y-%m-%d")
            .map_err(|_| LogistikError::invalid("tanggal_harap", format!("tanggal_harap {:?} is not a date (YYYY-MM-DD)", self.tanggal_harap)))?;
        if self.baris.is_empty() {
            return Err(LogistikError::invalid("baris", "a pledge needs at least one line"));
        }
        if self.baris.len() > MAX_BARIS {
            return Err(LogistikError::invalid("baris", format!("at most {MAX_BARIS} lines")));
        }
        for (i, b) in self.baris.iter().enumerate() {
            let kode = parse_kode(&format!("baris[{i}].barang"), &b.barang)?;
            if self.baris[..i].iter().any(|o| o.barang.trim() == kode) {
                return Err(LogistikError::invalid(&format!("baris[{i}].barang"), format!("{kode} is on two lines; put the total on one")));
            }
        }
        Ok(NewKomitmen {
            kolaborator_id: self.kolaborator_id,
            gudang: parse_kode("gudang", &self.gudang)?,
            tanggal_harap,
            catatan: text::optional("catatan", self.catatan.as_deref(), MAX_NOTE)?.map(str::to_string),
        })
    }
}

/// Request body of `POST /api/v1/logistik/komitmen/{id}/kolaborator`: names the registered
/// collaborator of a pledge recorded before the registry was shared (its typed name matched no
/// approved collaborator, so the migration left it unlinked). The typed name stays as written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KolaboratorLinkInput {
    /// An approved collaborator of the registry (`GET /api/v1/ksbb/kolaborator`).
    pub kolaborator_id: i64,
    /// The `versi` the link is based on.
    pub versi: i64,
}

/// Request body of `POST /api/v1/logistik/komitmen/{id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// disepakati | batal
    pub status: Status,
    /// Required for batal.
    #[serde(default)]
    pub alasan: Option<String>,
    /// The `versi` the change is based on.
    pub versi: i64,
}

impl StatusInput {
    /// The checked reason (required to cancel).
    pub fn check(&self) -> Result<Option<String>, LogistikError> {
        let alasan = text::optional("alasan", self.alasan.as_deref(), MAX_NOTE)?.map(str::to_string);
        if self.status == Status::Batal && alasan.is_none() {
            return Err(LogistikError::invalid("alasan", "a cancellation needs an alasan"));
        }
        Ok(alasan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_agree_or_cancel_receipts_do_the_rest() {
        assert!(Status::Draf.manual_step(Status::Disepakati).is_ok());
        assert!(Status::Draf.manual_step(Status::Batal).is_ok());
        assert!(Status::Disepakati.manual_step(Status::Batal).is_ok());
        for (from, to) in [(Status::Disepakati, Status::Selesai), (Status::Draf, Status::DiterimaSebagian), (Status::DiterimaSebagian, Status::Batal), (Status::Batal, Status::Draf), (Status::Selesai, Status::Batal), (Status::Disepakati, Status::Disepakati)] {
            assert_eq!(from.manual_step(to).unwrap_err().field(), "status", "{from:?} → {to:?}");
        }
        assert_eq!(after_receipt(&[(10, 0), (5, 0)]), Status::Disepakati);
        assert_eq!(after_receipt(&[(10, 4), (5, 0)]), Status::DiterimaSebagian);
        assert_eq!(after_receipt(&[(10, 10), (5, 6)]), Status::Selesai);
    }
}
