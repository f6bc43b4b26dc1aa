//! The GENERATED logistics flow of `sigap init` (issue 11, "Demo data"): receipts at the demo
//! gudang — two against pledges, so one pledge is `diterima_sebagian` and one `selesai`, one line
//! partly refused with a reason, lots with expiry for the items that need one (one lot expiring
//! within the flag window) — and requests in every state of the request machine, each moved
//! through `ops` as the HTTP path moves it (history rows, audit, stock leaving at dispatch, FEFO).
//! Every receipt, request and pledge made here is stored `generated`; the reports and the public
//! recap say so. Dates are relative to the day of the load (BAST dates in the past, expiries in
//! the future), so the data stays valid whenever it is loaded. The kolaborator, units' places and
//! quantities are invented.

use super::komitmen::{BarisInput, KomitmenInput, Status as KStatus, StatusInput};
use super::ops;
use super::penerimaan::{AlasanTolak, BarisPenerimaanInput, PenerimaanInput};
use super::permintaan::{AjukanInput, Keputusan, KirimInput, PermintaanInput, Status, TerimaBaris, TerimaInput, VerifikasiInput};
use crate::store::{Store, Tx};
use crate::wilayah::{Atlas, Level};
use chrono::{Duration, NaiveDate};

/// Who the demo flow records as the actor (as the rest of `sigap init`).
const ACTOR: &str = "sigap-init";
/// The demo collaborator (data/demo/logistik_komitmen.json) whose agreed pledge the first receipt
/// fulfils in part, and who pledges the goods of the third receipt.
const DONATUR: &str = "PT Contoh Sejahtera (GENERATED)";
const DONATUR_NOMOR: &str = "DEMO-NIB-0001";

/// What the flow stored: receipts, and requests per final status (in `Status::ALL` order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoAlur {
    pub penerimaan: usize,
    pub komitmen: usize,
    pub permintaan: Vec<(Status, usize)>,
}

impl DemoAlur {
    pub fn permintaan_total(&self) -> usize {
        self.permintaan.iter().map(|(_, n)| n).sum()
    }
}

fn line(barang: &str, jumlah: f64, satuan: Option<&str>) -> BarisInput {
    BarisInput { barang: barang.into(), jumlah, satuan: satuan.map(str::to_string) }
}

struct Lot<'a> {
    barang: &'a str,
    lot: &'a str,
    /// Days from the load day; `None` for items without expiry.
    exp: Option<i64>,
    satuan: Option<&'a str>,
    diumumkan: f64,
    diterima: f64,
    ditolak: Option<(f64, AlasanTolak, &'a str)>,
}

fn receipt(today: NaiveDate, gudang: &str, komitmen_id: Option<i64>, pengirim: &str, bast: &str, days_ago: i64, lots: &[Lot]) -> PenerimaanInput {
    PenerimaanInput {
        gudang: gudang.into(),
        komitmen_id,
        pengirim: pengirim.into(),
        bast_nomor: bast.into(),
        bast_tanggal: (today - Duration::days(days_ago)).to_string(),
        baris: lots
            .iter()
            .map(|l| BarisPenerimaanInput {
                barang: l.barang.into(),
                lot: Some(l.lot.into()),
                kedaluwarsa: l.exp.map(|d| (today + Duration::days(d)).to_string()),
                satuan: l.satuan.map(str::to_string),
                jumlah_diumumkan: l.diumumkan,
                jumlah_diterima: l.diterima,
                jumlah_ditolak: l.ditolak.map_or(0.0, |t| t.0),
                alasan_tolak: l.ditolak.map(|t| t.1),
                kondisi: l.ditolak.map(|t| t.2.to_string()),
            })
            .collect(),
        catatan: Some("GENERATED demo: penerimaan contoh, bukan data resmi".into()),
    }
}

/// One demo request and how far it goes.
struct Minta<'a> {
    tempat: &'a str,
    baris: Vec<BarisInput>,
    /// Returned first with this reason, then resubmitted with these lines and this answer.
    kembali: Option<(&'a str, Option<Vec<BarisInput>>, &'a str)>,
    /// Approved from this gudang (with the part lines and reason, if any).
    setuju: Option<(&'a str, Vec<BarisInput>, Option<&'a str>)>,
    kirim: bool,
    /// Confirmed: per item (received, damaged, short).
    terima: Option<Vec<(&'a str, f64, f64, f64)>>,
}

/// Mainland kelurahan to act as requesting units: the first of each of the five mainland kota and
/// then the second, by code (deterministic for a given atlas).
fn units(atlas: &Atlas, n: usize) -> Vec<String> {
    let mut kel: Vec<&crate::wilayah::Area> = atlas.list(Level::Kelurahan, None).into_iter().filter(|a| !a.code.as_str().starts_with("31.01")).collect();
    kel.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    let mut per_kota: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for a in &kel {
        per_kota.entry(&a.code.as_str()[..5]).or_default().push(a.code.as_str());
    }
    let mut out = Vec::new();
    for round in 0.. {
        let before = out.len();
        for list in per_kota.values() {
            if let Some(k) = list.get(round) {
                out.push(k.to_string());
            }
        }
        if out.len() >= n || out.len() == before {
            break;
        }
    }
    out.truncate(n);
    out
}

/// Loads the generated receipts and requests into a store that has neither yet (a second run, or
/// a store already in use, adds nothing). Needs the demo catalog, gudang and pledges
/// (`super::load_demo`) first; `today` is the day of the load (Jakarta).
pub async fn load(store: &Store, atlas: &Atlas, today: NaiveDate) -> anyhow::Result<DemoAlur> {
    // Read before the transaction: no second pooled connection while it is held.
    if !super::store::list_penerimaan(store, None).await?.is_empty() || !super::store::list_permintaan(store, None, None).await?.is_empty() {
        return Ok(DemoAlur::default());
    }
    let pledge = super::store::list_komitmen(store, Some(KStatus::Disepakati.as_str()))
        .await?
        .into_iter()
        .find(|k| k.generated && k.kolaborator == DONATUR && k.gudang == "DINSOS")
        .map(|k| k.id);
    let units = units(atlas, 7);
    anyhow::ensure!(units.len() == 7, "the atlas has too few kelurahan for the logistics demo requests");
    let mut out = DemoAlur::default();
    let mut tx = store.begin().await?;
    flow(&mut tx, atlas, today, pledge, &units, &mut out).await?;
    tx.commit().await?;
    Ok(out)
}

async fn flow(tx: &mut Tx, atlas: &Atlas, today: NaiveDate, pledge: Option<i64>, units: &[String], out: &mut DemoAlur) -> anyhow::Result<()> {
    // 1. Part of the agreed sembako pledge arrives at Dinas Sosial; 20 packages are torn.
    let r1 = receipt(today, "DINSOS", pledge, DONATUR, "BAST/DEMO/PNR/001", 12, &[
        Lot { barang: "SEMBAKO-PAKET-149500", lot: "SBK-DEMO-01", exp: Some(120), satuan: None, diumumkan: 2000.0, diterima: 1980.0, ditolak: Some((20.0, AlasanTolak::Rusak, "20 paket kemasan sobek")) },
        Lot { barang: "PANGAN-BERAS-5KG", lot: "BRS-DEMO-01", exp: Some(300), satuan: None, diumumkan: 1200.0, diterima: 1200.0, ditolak: None },
    ]);
    ops::create_penerimaan(tx, &r1, today, ACTOR, true).await?;
    // 2. A donation without pledge at Dinas Kesehatan; the paracetamol lot expires within 30 days.
    let r2 = receipt(today, "DINKES", None, "Donasi masyarakat (GENERATED)", "BAST/DEMO/PNR/002", 9, &[
        Lot { barang: "APD-HAND-SANITIZER", lot: "HS-DEMO-01", exp: Some(400), satuan: Some("karton"), diumumkan: 20.0, diterima: 20.0, ditolak: None },
        Lot { barang: "OBAT-PARASETAMOL", lot: "PCT-DEMO-01", exp: Some(25), satuan: None, diumumkan: 400.0, diterima: 400.0, ditolak: None },
        Lot { barang: "ALKES-OKSIMETER", lot: "OKS-DEMO-01", exp: None, satuan: None, diumumkan: 100.0, diterima: 96.0, ditolak: Some((4.0, AlasanTolak::TidakSesuaiSpesifikasi, "4 unit tanpa sertifikat kalibrasi")) },
    ]);
    ops::create_penerimaan(tx, &r2, today, ACTOR, true).await?;
    // 3. A new pledge of protective gear for the fire service, agreed and delivered whole.
    let kolab = crate::ksbb::store::approved_kolaborator_by_nomor(tx, DONATUR_NOMOR).await?;
    let mut pledge2 = None;
    if let Some(kolaborator_id) = kolab {
        let input = KomitmenInput {
            kolaborator_id,
            gudang: "GULKARMAT".into(),
            tanggal_harap: (today - Duration::days(6)).to_string(),
            baris: vec![line("APD-HAZMAT", 2.0, Some("karton")), line("APD-SARUNG-TANGAN", 1.0, Some("karton"))],
            catatan: Some("GENERATED demo".into()),
        };
        let k = ops::create_komitmen(tx, &input, ACTOR, true).await?;
        ops::komitmen_status(tx, k.head.id, &StatusInput { status: KStatus::Disepakati, alasan: None, versi: k.head.versi }, ACTOR).await?;
        pledge2 = Some(k.head.id);
        out.komitmen += 1;
    }
    let r3 = receipt(today, "GULKARMAT", pledge2, DONATUR, "BAST/DEMO/PNR/003", 5, &[
        Lot { barang: "APD-HAZMAT", lot: "HZ-DEMO-01", exp: None, satuan: Some("karton"), diumumkan: 2.0, diterima: 2.0, ditolak: None },
        Lot { barang: "APD-SARUNG-TANGAN", lot: "ST-DEMO-01", exp: None, satuan: Some("karton"), diumumkan: 1.0, diterima: 1.0, ditolak: None },
    ]);
    ops::create_penerimaan(tx, &r3, today, ACTOR, true).await?;
    out.penerimaan = 3;

    // Requests, one or two per final state.
    let requests = [
        Minta { tempat: "Posko RW 03 (GENERATED)", baris: vec![line("SEMBAKO-PAKET-149500", 100.0, None), line("PANGAN-BERAS-5KG", 50.0, None)], kembali: None, setuju: None, kirim: false, terima: None },
        Minta {
            tempat: "Puskesmas kelurahan (GENERATED)",
            baris: vec![line("APD-HAND-SANITIZER", 2.0, Some("karton"))],
            kembali: Some(("Lengkapi jumlah petugas yang membutuhkan di catatan", None, "")),
            setuju: None,
            kirim: false,
            terima: None,
        },
        Minta { tempat: "Kantor kelurahan (GENERATED)", baris: vec![line("SEMBAKO-PAKET-149500", 200.0, None)], kembali: None, setuju: Some(("DINSOS", vec![], None)), kirim: false, terima: None },
        Minta {
            tempat: "Posko RW 07 (GENERATED)",
            baris: vec![line("SEMBAKO-PAKET-149500", 300.0, None), line("PANGAN-BERAS-5KG", 200.0, None)],
            kembali: None,
            setuju: Some(("DINSOS", vec![line("PANGAN-BERAS-5KG", 100.0, None)], Some("Stok beras dibagi rata antarwilayah"))),
            kirim: false,
            terima: None,
        },
        Minta { tempat: "Puskesmas kecamatan (GENERATED)", baris: vec![line("OBAT-PARASETAMOL", 50.0, None), line("ALKES-OKSIMETER", 10.0, None)], kembali: None, setuju: Some(("DINKES", vec![], None)), kirim: true, terima: None },
        Minta {
            tempat: "Posko RW 01 (GENERATED)",
            baris: vec![line("SEMBAKO-PAKET-149500", 150.0, None), line("PANGAN-BERAS-5KG", 100.0, None)],
            kembali: None,
            setuju: Some(("DINSOS", vec![], None)),
            kirim: true,
            terima: Some(vec![("SEMBAKO-PAKET-149500", 148.0, 2.0, 0.0), ("PANGAN-BERAS-5KG", 97.0, 0.0, 3.0)]),
        },
        Minta {
            tempat: "Pos pemadam sektor (GENERATED)",
            baris: vec![line("APD-HAZMAT", 40.0, None)],
            kembali: Some(("Sebutkan jumlah petugas lapangan", Some(vec![line("APD-HAZMAT", 30.0, None)]), "30 petugas lapangan")),
            setuju: Some(("GULKARMAT", vec![], None)),
            kirim: true,
            terima: Some(vec![("APD-HAZMAT", 30.0, 0.0, 0.0)]),
        },
    ];
    let mut counts: std::collections::HashMap<Status, usize> = Default::default();
    for (i, m) in requests.into_iter().enumerate() {
        let no = i + 1;
        let input = PermintaanInput { unit: units[i].clone(), lon: None, lat: None, tempat: Some(m.tempat.into()), baris: m.baris, catatan: Some("GENERATED demo".into()) };
        let mut p = ops::create_permintaan(tx, atlas, &input, ACTOR, true).await?;
        if let Some((alasan, baris, jawab)) = m.kembali {
            let v = VerifikasiInput { keputusan: Keputusan::Kembalikan, versi: p.head.versi, gudang: None, baris: vec![], alasan: Some(alasan.into()) };
            p = ops::verifikasi(tx, p.head.id, &v, None, today, ACTOR).await?;
            if m.setuju.is_some() {
                let a = AjukanInput { versi: p.head.versi, baris, catatan: (!jawab.is_empty()).then(|| jawab.to_string()) };
                p = ops::ajukan_ulang(tx, p.head.id, &a, ACTOR).await?;
            }
        }
        if let Some((gudang, baris, alasan)) = m.setuju {
            let v = VerifikasiInput { keputusan: Keputusan::Setuju, versi: p.head.versi, gudang: Some(gudang.into()), baris, alasan: alasan.map(str::to_string) };
            p = ops::verifikasi(tx, p.head.id, &v, None, today, ACTOR).await?;
        }
        if m.kirim {
            p = ops::kirim(tx, p.head.id, &KirimInput { versi: p.head.versi, surat_jalan: format!("SJ/DEMO/{no:03}") }, today, ACTOR).await?;
        }
        if let Some(lines) = m.terima {
            let t = TerimaInput {
                versi: p.head.versi,
                bast_nomor: format!("BAST/DEMO/TRM/{no:03}"),
                bast_tanggal: (today - Duration::days(1)).to_string(),
                baris: lines.iter().map(|(b, d, r, k)| TerimaBaris { barang: b.to_string(), diterima: *d, rusak: *r, kurang: *k }).collect(),
                catatan: Some("GENERATED demo".into()),
            };
            p = ops::terima(tx, p.head.id, &t, today, ACTOR).await?;
        }
        let status = Status::parse(&p.head.status).ok_or_else(|| anyhow::anyhow!("demo request {} ended in status {}", p.head.id, p.head.status))?;
        *counts.entry(status).or_default() += 1;
    }
    out.permintaan = Status::ALL.iter().map(|s| (*s, counts.get(s).copied().unwrap_or(0))).collect();
    Ok(())
}
