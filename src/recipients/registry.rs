//! Matching with the population register (pemadanan data with Dukcapil, seed 001 A and C): behind
//! the [`PopulationRegistry`] trait so Dukcapil's web service can plug in later; the default,
//! [`FileRegistry`], reads a register extract file.
//!
//! The extract is a CSV (UTF-8) with the columns `nik,no_kk,nama,status` where `status` is `hidup`,
//! `meninggal` or `pindah` (moved out of DKI), optionally `keterangan`. It holds personal data: keep
//! it beside the keys, not in the repository (the test extract in `data/testdata/recipients/` is
//! generated).

use super::model;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use utoipa::ToSchema;

/// The outcome of matching one household (seed terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Padan {
    /// NIK, No. KK and name agree with the register.
    Padan,
    /// Not found, or the No. KK or the name differ (the reason says which).
    TidakPadan,
    /// The register records the person as deceased.
    Meninggal,
    /// The register records the person as moved out.
    Pindah,
}

impl Padan {
    pub const ALL: [Padan; 4] = [Padan::Padan, Padan::TidakPadan, Padan::Meninggal, Padan::Pindah];

    pub fn as_str(self) -> &'static str {
        match self {
            Padan::Padan => "padan",
            Padan::TidakPadan => "tidak_padan",
            Padan::Meninggal => "meninggal",
            Padan::Pindah => "pindah",
        }
    }
}

/// What is asked about one household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub nik: String,
    pub no_kk: String,
    pub nama: String,
}

/// The register's answer with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Hasil {
    pub padan: Padan,
    pub alasan: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("register extract {path}: {detail}")]
    File { path: String, detail: String },
    #[error("population register unavailable: {0}")]
    Unavailable(String),
}

/// A population register that matches households in batches (one call per batch, so a web
/// service is not called once per household). Answers come back in query order.
pub trait PopulationRegistry: Send + Sync {
    /// Names the register in results and the audit log (`file:dukcapil_2026-11.csv`).
    fn name(&self) -> String;
    fn match_batch<'a>(&'a self, queries: &'a [Query]) -> Pin<Box<dyn Future<Output = Result<Vec<Hasil>, RegistryError>> + Send + 'a>>;
}

/// Names at least this similar (Jaro-Winkler, after normalising) are the same person.
pub const NAMA_SAMA: f64 = 0.85;

#[derive(Debug, Clone)]
struct Entry {
    no_kk: String,
    nama: String,
    status: Padan,
    keterangan: String,
}

/// The register extract in memory, keyed by NIK.
#[derive(Debug, Clone)]
pub struct FileRegistry {
    name: String,
    by_nik: HashMap<String, Entry>,
}

impl FileRegistry {
    /// Reads an extract; any bad line refuses the file, listing every one.
    pub fn from_csv(name: &str, text: &str) -> Result<FileRegistry, RegistryError> {
        let err = |detail: String| RegistryError::File { path: name.into(), detail };
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = rdr.headers().map_err(|e| err(e.to_string()))?.iter().map(|h| h.to_ascii_lowercase()).collect();
        let col = |n: &str| header.iter().position(|h| h == n);
        let (Some(nik), Some(kk), Some(nama), Some(status)) = (col("nik"), col("no_kk"), col("nama"), col("status")) else {
            return Err(err(format!("header must have nik,no_kk,nama,status (found {})", header.join(","))));
        };
        let ket = col("keterangan");
        let mut by_nik = HashMap::new();
        let mut problems = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("line {line}: {e}"));
                    continue;
                }
            };
            let get = |c: usize| rec.get(c).unwrap_or("").to_string();
            let cell = model::Cell { text: get(nik), numeric: false };
            let n = match model::check_nik(&cell) {
                Ok((n, _)) => n,
                Err(a) => {
                    problems.push(format!("line {line}: {}", a.keterangan));
                    continue;
                }
            };
            let st = match get(status).to_ascii_lowercase().as_str() {
                "hidup" => Padan::Padan,
                "meninggal" => Padan::Meninggal,
                "pindah" => Padan::Pindah,
                other => {
                    problems.push(format!("line {line}: status {other:?} is not hidup, meninggal or pindah"));
                    continue;
                }
            };
            let e = Entry { no_kk: get(kk), nama: get(nama), status: st, keterangan: ket.map(get).unwrap_or_default() };
            if by_nik.insert(n, e).is_some() {
                problems.push(format!("line {line}: the NIK appears twice"));
            }
        }
        if !problems.is_empty() {
            return Err(err(problems.join("; ")));
        }
        Ok(FileRegistry { name: format!("file:{name}"), by_nik })
    }

    /// Reads an extract from a path.
    pub fn open(path: &std::path::Path) -> Result<FileRegistry, RegistryError> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let text = std::fs::read_to_string(path).map_err(|e| RegistryError::File { path: path.display().to_string(), detail: e.to_string() })?;
        FileRegistry::from_csv(&name, &text)
    }

    /// The rule, one household at a time.
    pub fn check(&self, q: &Query) -> Hasil {
        let Some(e) = self.by_nik.get(&q.nik) else {
            return Hasil { padan: Padan::TidakPadan, alasan: "NIK tidak ditemukan di data kependudukan".into() };
        };
        match e.status {
            Padan::Meninggal | Padan::Pindah => {
                let what = if e.status == Padan::Meninggal { "meninggal" } else { "pindah" };
                let ket = if e.keterangan.is_empty() { String::new() } else { format!(" ({})", e.keterangan) };
                return Hasil { padan: e.status, alasan: format!("tercatat {what} di data kependudukan{ket}") };
            }
            _ => {}
        }
        if e.no_kk != q.no_kk {
            return Hasil { padan: Padan::TidakPadan, alasan: "No. KK berbeda dengan data kependudukan".into() };
        }
        let score = strsim::jaro_winkler(&model::normalise(&e.nama), &model::normalise(&q.nama));
        if score < NAMA_SAMA {
            return Hasil { padan: Padan::TidakPadan, alasan: format!("nama berbeda dengan data kependudukan (kemiripan {score:.2})") };
        }
        Hasil { padan: Padan::Padan, alasan: "NIK, No. KK dan nama sesuai".into() }
    }
}

impl PopulationRegistry for FileRegistry {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn match_batch<'a>(&'a self, queries: &'a [Query]) -> Pin<Box<dyn Future<Output = Result<Vec<Hasil>, RegistryError>> + Send + 'a>> {
        Box::pin(async move { Ok(queries.iter().map(|q| self.check(q)).collect()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXTRACT: &str = "nik,no_kk,nama,status,keterangan\n\
        3171014101900001,3171010101200003,Siti Aminah,hidup,\n\
        3171010101900009,3171010101200009,Ani,meninggal,2021-07-02\n\
        3171010202900009,3171010101200010,Joko,pindah,\n";

    fn q(nik: &str, kk: &str, nama: &str) -> Query {
        Query { nik: nik.into(), no_kk: kk.into(), nama: nama.into() }
    }

    #[test]
    fn each_outcome_with_its_reason() {
        let r = FileRegistry::from_csv("x.csv", EXTRACT).unwrap();
        assert_eq!(r.check(&q("3171014101900001", "3171010101200003", "SITI AMINAH")).padan, Padan::Padan);
        let h = r.check(&q("3171014101900001", "3171010101200004", "Siti Aminah"));
        assert!(h.padan == Padan::TidakPadan && h.alasan.contains("No. KK"), "{h:?}");
        let h = r.check(&q("3171014101900001", "3171010101200003", "Budi"));
        assert!(h.padan == Padan::TidakPadan && h.alasan.contains("nama"), "{h:?}");
        assert!(r.check(&q("3171014101900002", "1", "x")).alasan.contains("tidak ditemukan"));
        let h = r.check(&q("3171010101900009", "3171010101200009", "Ani"));
        assert!(h.padan == Padan::Meninggal && h.alasan.contains("2021-07-02"), "{h:?}");
        assert_eq!(r.check(&q("3171010202900009", "x", "Joko")).padan, Padan::Pindah);
    }

    #[test]
    fn bad_extracts_are_refused_with_every_line() {
        assert!(FileRegistry::from_csv("x", "nik,nama\n").unwrap_err().to_string().contains("nik,no_kk,nama,status"));
        let e = FileRegistry::from_csv("x", "nik,no_kk,nama,status\n3.17E+15,1,a,hidup\n3171014101900001,1,a,hilang\n3171014101900001,1,a,hidup\n3171014101900001,1,a,hidup\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("line 3") && e.contains("line 5: the NIK appears twice"), "{e}");
    }
}
