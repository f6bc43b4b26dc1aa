//! The GENERATED KSBB demo of `sigap init` (issue 13, "Data"). No public dataset of Jakarta
//! lokbin/loksem with a usable licence was found (see README.md), so the sites are generated and
//! say so: each stands at the point of a market ("Pasar …") among the OpenStreetMap named points
//! shipped in `data/testdata/osm-poi-jakarta-testpoints` (© OpenStreetMap contributors, ODbL) —
//! a market is where such sites are, and an OSM point is on land, not in a river — kept only when
//! the atlas places it on land in a mainland kelurahan, one per kelurahan, chosen and typed
//! (lokbin, loksem, promosi) with a fixed seed. A few generated UMKM trade at each, and one
//! invented donor confirms a collaboration at three of them with a BAST for some of their UMKM, so
//! the public page, its roll-up and the site tiles show something. Everything goes through `ops`
//! with the API's checks; sites and UMKM are stored `generated`.

use super::model::{csv_table, Bentuk, KonfirmasiInput, RealisasiInput, RealisasiUmkmInput, SiteInput};
use super::{ops, store as kstore};
use super::store::SiteFilter;
use crate::store::{Store, Tx};
use crate::wilayah::Atlas;
use chrono::{Datelike, Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// The seed of the choice of markets, their kinds and the UMKM per site.
pub const SEED: u64 = 2026;
/// How many sites the demo places.
pub const SITES: usize = 30;
/// Where the OSM named points are, under the data directory.
pub const POI_FILE: &str = "testdata/osm-poi-jakarta-testpoints/poi_jakarta.json";
const ACTOR: &str = "sigap-init";
/// The demo donor of data/demo/logistik_komitmen.json (registered and approved by the logistics
/// demo, shown on the public page).
const DONATUR_NOMOR: &str = "DEMO-AHU-0002";

/// What the demo stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoKsbb {
    pub sites: usize,
    pub umkm: usize,
    pub konfirmasi: usize,
    pub realisasi: usize,
}

/// A site chosen for the demo.
#[derive(Debug, Clone)]
pub struct DemoSite {
    pub kode: String,
    pub input: SiteInput,
}

/// The named points whose name starts with "Pasar " (the file is a JSON array of
/// `{name, lat, lon}` with bare `NaN` names, read leniently).
pub fn markets(poi_json: &str) -> anyhow::Result<Vec<(String, f64, f64)>> {
    let v: Vec<serde_json::Value> = serde_json::from_str(&poi_json.replace(": NaN", ": null"))?;
    Ok(v.iter()
        .filter_map(|p| {
            let name = p["name"].as_str()?.trim();
            let (lon, lat) = (p["lon"].as_f64()?, p["lat"].as_f64()?);
            (name.starts_with("Pasar ") && name.len() < 60).then(|| (name.to_string(), lon, lat))
        })
        .collect())
}

/// The demo sites: markets the atlas places on land in a mainland kelurahan (the same check as
/// the API's), the first of each kelurahan, shuffled with `seed`, the first `n`, typed in turn
/// lokbin, loksem, promosi.
pub fn pick(atlas: &Atlas, markets: &[(String, f64, f64)], seed: u64, n: usize) -> Vec<DemoSite> {
    use super::model::Jenis;
    let mut seen = std::collections::HashSet::new();
    let mut ok: Vec<(&str, f64, f64)> = Vec::new();
    for (name, lon, lat) in markets {
        let probe = SiteInput { kode: None, nama: name.clone(), jenis: Jenis::Lokbin, lon: *lon, lat: *lat, footprint: None, kapasitas: 1, pj_nama: None, pj_telepon: None, sumber: None };
        let Ok(site) = probe.check() else { continue };
        let Ok(placed) = super::model::place(atlas, &site) else { continue };
        if !placed.kelurahan.as_str().starts_with("31.01") && seen.insert(placed.kelurahan.as_str().to_string()) {
            ok.push((name.as_str(), *lon, *lat));
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    ok.shuffle(&mut rng);
    ok.into_iter()
        .take(n)
        .enumerate()
        .map(|(i, (name, lon, lat))| {
            let (jenis, kata, kode) = [(Jenis::Lokbin, "Lokbin", "LOKBIN"), (Jenis::Loksem, "Loksem", "LOKSEM"), (Jenis::Promosi, "Lokasi promosi", "PROMOSI")][i % 3];
            DemoSite {
                kode: format!("DEMO-{kode}-{:02}", i + 1),
                input: SiteInput {
                    kode: None,
                    nama: format!("{kata} contoh dekat {name} (GENERATED)"),
                    jenis,
                    lon,
                    lat,
                    footprint: None,
                    kapasitas: rng.gen_range(20..=120),
                    pj_nama: None,
                    pj_telepon: None,
                    sumber: Some(format!("GENERATED demo (sigap init, seed {seed}): bukan data resmi; titik dari {name:?} di OpenStreetMap (© kontributor OpenStreetMap, ODbL)")),
                },
            }
        })
        .collect()
}

/// The UMKM table of the demo: 3 to 6 per site (seeded), invented names, no phone.
fn umkm_csv(sites: &[DemoSite], seed: u64) -> (String, Vec<Vec<String>>) {
    const SEKTOR: [&str; 5] = ["kuliner", "kriya", "fesyen", "jasa", "perdagangan"];
    const DINAS: [&str; 4] = ["ppkukm", "ppkukm", "kpkp", "parekraf"];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x554d_4b4d);
    let mut csv = String::from("kode,nama_usaha,nama_pemilik,sektor,dinas,status_verifikasi,lokasi\n");
    let mut per_site = Vec::with_capacity(sites.len());
    let mut no = 0;
    for s in sites {
        let mut kodes = Vec::new();
        for _ in 0..rng.gen_range(3..=6) {
            no += 1;
            let kode = format!("DEMO-UMKM-{no:04}");
            let status = if rng.gen_bool(0.85) { "terverifikasi" } else { "belum" };
            csv.push_str(&format!(
                "{kode},Usaha Contoh {no:04} (GENERATED),Pemilik Contoh {no:04},{},{},{status},{}\n",
                SEKTOR[rng.gen_range(0..SEKTOR.len())],
                DINAS[rng.gen_range(0..DINAS.len())],
                s.kode
            ));
            kodes.push(kode);
        }
        per_site.push(kodes);
    }
    (csv, per_site)
}

/// Loads the demo into a store without any KSBB site (a second run, or a store with real sites,
/// adds nothing). `data` is the data directory (`POI_FILE` under it); `today` the load day.
pub async fn load(store: &Store, atlas: &Atlas, data: &Path, today: NaiveDate) -> anyhow::Result<DemoKsbb> {
    // Read before the transaction: no second pooled connection while it is held.
    if !kstore::sites(store, &SiteFilter { include_retired: true, ..Default::default() }).await?.is_empty() {
        return Ok(DemoKsbb::default());
    }
    let path = data.join(POI_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let sites = pick(atlas, &markets(&text)?, SEED, SITES);
    anyhow::ensure!(sites.len() == SITES, "only {} of {SITES} demo sites found on land in mainland kelurahan", sites.len());
    let mut tx = store.begin().await?;
    let out = write(&mut tx, atlas, &sites, today).await?;
    tx.commit().await?;
    Ok(out)
}

async fn write(tx: &mut Tx, atlas: &Atlas, sites: &[DemoSite], today: NaiveDate) -> anyhow::Result<DemoKsbb> {
    let mut out = DemoKsbb::default();
    for s in sites {
        let checked = s.input.check().map_err(|e| anyhow::anyhow!("demo site {}: {e}", s.kode))?;
        ops::create_site(tx, atlas, &s.kode, &checked, ACTOR, true).await?;
        out.sites += 1;
    }
    let (csv, per_site) = umkm_csv(sites, SEED);
    let table = csv_table(&csv)?;
    let report = ops::import_umkm(tx, atlas, &table, super::ops::ImportMode { dry_run: false, skip_invalid: false }, ACTOR, true, &|_, _| {}).await?;
    out.umkm = report.created;
    // One confirmed collaboration (goods) at the first three sites, and its BAST for half of their UMKM.
    let donor = kstore::approved_kolaborator_by_nomor(tx, DONATUR_NOMOR).await?;
    if let Some(donor) = donor {
        let umkm: Vec<&String> = per_site.iter().take(3).flatten().collect();
        let input = KonfirmasiInput {
            bentuk: Bentuk::Sarana,
            uraian: "Gerobak dan etalase dagang (GENERATED demo)".into(),
            lokasi: sites.iter().take(3).map(|s| s.kode.clone()).collect(),
            jadwal_mulai: (today - Duration::days(20)).to_string(),
            jadwal_selesai: (today + Duration::days(10)).to_string(),
            nilai_per_paket: Some(1_500_000),
            jumlah_paket: Some(umkm.len() as i64),
            penyalur_kolaborator_id: None,
            jumlah_pinjaman: None,
            biaya_admin: None,
            biaya_originasi: None,
            biaya_asuransi: None,
            jadwal_akad: None,
            draf_econtract: None,
            penerima: vec![],
        };
        let k = input.check().map_err(|e| anyhow::anyhow!("demo Konfirmasi: {e}"))?;
        let konf = ops::submit_konfirmasi(tx, donor, &k, today.year(), ACTOR).await?;
        out.konfirmasi = 1;
        let r = RealisasiInput {
            id_kolaborasi: konf.id_kolaborasi.clone(),
            jenis: super::model::JenisRealisasi::Bast,
            nomor_dokumen: "BAST/KSBB/DEMO/001".into(),
            tanggal: (today - Duration::days(5)).to_string(),
            keterangan: Some("GENERATED demo".into()),
            umkm: umkm.iter().step_by(2).map(|k| RealisasiUmkmInput { kode: k.to_string(), jumlah: 1, status: None, alasan: None }).collect(),
            econtract: None,
            periode: None,
            agregator_id: None,
            jumlah: None,
        };
        let r = r.check().map_err(|e| anyhow::anyhow!("demo Realisasi: {e}"))?;
        ops::submit_realisasi(tx, donor, &r, ACTOR).await?;
        out.realisasi = 1;
    }
    Ok(out)
}
