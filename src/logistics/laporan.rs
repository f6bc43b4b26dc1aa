//! Reports (laporan) of availability, receipt and distribution — the seed's reports to the Ketua
//! Harian with a copy to the Bidang Akuntabilitas dan Pengawasan (Lampiran B row 10), and the
//! public recap the Bidang Data publishes for kolaborator. Plain values and the roll-ups; the
//! store reads the ledger, `ops::laporan` joins the two. JSON, CSV and XLSX (the format these
//! offices work in, written with rust_xlsxwriter).
//!
//! Definitions, all from the append-only ledger `logistik_mutasi` so a report of a past period
//! can be recomputed and agrees with the stock:
//! - `tersedia`: the balance at the end of `sampai` (Jakarta time); `kedaluwarsa` the part of it in
//!   lots whose expiry is before `sampai` (not dispatchable that day).
//! - `diterima`: accepted into stock by receipts (`penerimaan` movements) within the period.
//! - `disalurkan`: dispatched to units (`pengeluaran` movements of requests) within the period.
//!
//! Per gudang and per item everything is where the gudang is; per kota, `tersedia` and `diterima`
//! count in the kota of the gudang and `disalurkan` in the kota of the delivery point (where the
//! goods went); per unit only `disalurkan`.

use super::model::{to_f64, LogistikError, Milli};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A period of whole days in Jakarta time, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Periode {
    pub dari: NaiveDate,
    pub sampai: NaiveDate,
}

/// The first day any report looks at when none is given (before sigap kept any logistics).
pub const AWAL: NaiveDate = match NaiveDate::from_ymd_opt(2020, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

impl Periode {
    /// `dari` and `sampai` as YYYY-MM-DD; default `sampai` today, `dari` the first of its month.
    /// `dari` after `sampai`, or `sampai` after today, is refused naming the field.
    pub fn parse(dari: Option<&str>, sampai: Option<&str>, today: NaiveDate) -> Result<Periode, LogistikError> {
        let date = |field: &str, s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| LogistikError::invalid(field, format!("{field} {s:?} is not a date YYYY-MM-DD")))
        };
        let sampai = sampai.map(|s| date("sampai", s)).transpose()?.unwrap_or(today);
        let dari = match dari {
            Some(d) => date("dari", d)?,
            None => sampai.with_day0(0).unwrap_or(sampai),
        };
        if sampai > today {
            return Err(LogistikError::invalid("sampai", format!("sampai {sampai} is after today ({today}): a report covers what happened")));
        }
        if dari > sampai {
            return Err(LogistikError::invalid("dari", format!("dari {dari} is after sampai {sampai}")));
        }
        Ok(Periode { dari, sampai })
    }

    /// Everything up to `today` (the public recap).
    pub fn sejak_awal(today: NaiveDate) -> Periode {
        Periode { dari: AWAL.min(today), sampai: today }
    }

    /// First instant of `dari` in Jakarta (UTC+7), inclusive.
    pub fn mulai(&self) -> DateTime<Utc> {
        wib_midnight(self.dari)
    }

    /// First instant after `sampai` in Jakarta, exclusive.
    pub fn akhir(&self) -> DateTime<Utc> {
        wib_midnight(self.sampai + Duration::days(1))
    }
}

fn wib_midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - Duration::hours(7)
}

/// Balance of one item at one gudang at the end of the period (thousandths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StokAkhir {
    pub gudang: String,
    pub barang: String,
    pub jumlah: Milli,
    pub kedaluwarsa: Milli,
}

/// Receipts of one item at one gudang within the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masuk {
    pub gudang: String,
    pub barang: String,
    pub jumlah: Milli,
}

/// Dispatches of one item from one gudang to one unit (delivery kota) within the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keluar {
    pub gudang: String,
    pub barang: String,
    pub unit: String,
    pub kota: String,
    pub jumlah: Milli,
}

/// What an item is called and counted in.
#[derive(Debug, Clone)]
pub struct Item {
    pub nama: String,
    pub satuan: String,
}

/// One line of a report: the dimension(s) of its table, the item, and the three figures in the
/// item's base satuan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BarisLaporan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gudang: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kota: Option<String>,
    /// Kota name from the atlas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kota_nama: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub barang: String,
    pub nama: String,
    pub satuan: String,
    /// Balance at the end of the period.
    pub tersedia: f64,
    /// Part of `tersedia` in lots already expired (not dispatchable).
    pub kedaluwarsa: f64,
    /// Accepted into stock within the period.
    pub diterima: f64,
    /// Dispatched to units within the period.
    pub disalurkan: f64,
}

/// The report of one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Laporan {
    #[serde(flatten)]
    pub periode: Periode,
    pub dibuat: DateTime<Utc>,
    pub per_barang: Vec<BarisLaporan>,
    pub per_gudang: Vec<BarisLaporan>,
    pub per_kota: Vec<BarisLaporan>,
    pub per_unit: Vec<BarisLaporan>,
    /// True when the figures include generated demo data (receipts and requests made by
    /// `sigap init`): not real stock or distribution.
    pub generated: bool,
}

/// The public recap: per item and per kota only (no gudang stock per unit, no unit, no names).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rekap {
    #[serde(flatten)]
    pub periode: Periode,
    pub dibuat: DateTime<Utc>,
    pub per_barang: Vec<BarisLaporan>,
    pub per_kota: Vec<BarisLaporan>,
    /// True when the figures include generated demo data (`sigap init`).
    pub generated: bool,
}

impl From<Laporan> for Rekap {
    fn from(l: Laporan) -> Rekap {
        Rekap { periode: l.periode, dibuat: l.dibuat, per_barang: l.per_barang, per_kota: l.per_kota, generated: l.generated }
    }
}

#[derive(Default, Clone, Copy)]
struct Sum {
    tersedia: Milli,
    kedaluwarsa: Milli,
    diterima: Milli,
    disalurkan: Milli,
}

impl Sum {
    fn is_zero(&self) -> bool {
        self.tersedia == 0 && self.kedaluwarsa == 0 && self.diterima == 0 && self.disalurkan == 0
    }
}

/// What a report is made of, as read from the store.
#[derive(Debug, Clone, Default)]
pub struct Bahan {
    pub stok: Vec<StokAkhir>,
    pub masuk: Vec<Masuk>,
    pub keluar: Vec<Keluar>,
    /// Some of it comes from generated demo papers.
    pub generated: bool,
}

/// Key of a table line: (gudang, kota, unit, barang); unused parts are empty.
type Key = (String, String, String, String);

/// Rolls the ledger's figures up into the four tables; lines that are all zero are left out.
/// `kota_of` gives a gudang's kota, `kota_nama` a kota's name.
pub fn susun(
    periode: Periode,
    dibuat: DateTime<Utc>,
    bahan: &Bahan,
    items: &BTreeMap<String, Item>,
    kota_of: &dyn Fn(&str) -> String,
    kota_nama: &dyn Fn(&str) -> Option<String>,
) -> Laporan {
    let mut tables: [BTreeMap<Key, Sum>; 4] = Default::default();
    let e = String::new;
    let keys = |g: &str, kota: &str, unit: Option<&str>, b: &str| -> [Option<Key>; 4] {
        [
            Some((e(), e(), e(), b.to_string())),
            Some((g.to_string(), kota_of(g), e(), b.to_string())),
            Some((e(), kota.to_string(), e(), b.to_string())),
            unit.map(|u| (e(), kota.to_string(), u.to_string(), b.to_string())),
        ]
    };
    let mut add = |ks: [Option<Key>; 4], f: &dyn Fn(&mut Sum)| {
        for (t, k) in tables.iter_mut().zip(ks) {
            if let Some(k) = k {
                f(t.entry(k).or_default());
            }
        }
    };
    for s in &bahan.stok {
        let (j, x) = (s.jumlah, s.kedaluwarsa);
        add(keys(&s.gudang, &kota_of(&s.gudang), None, &s.barang), &|v| {
            v.tersedia += j;
            v.kedaluwarsa += x;
        });
    }
    for m in &bahan.masuk {
        let j = m.jumlah;
        add(keys(&m.gudang, &kota_of(&m.gudang), None, &m.barang), &|v| v.diterima += j);
    }
    for k in &bahan.keluar {
        let j = k.jumlah;
        add(keys(&k.gudang, &k.kota, Some(&k.unit), &k.barang), &|v| v.disalurkan += j);
    }
    let lines = |t: &BTreeMap<Key, Sum>| -> Vec<BarisLaporan> {
        t.iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|((g, kota, u, b), v)| {
                let item = items.get(b);
                let some = |s: &String| (!s.is_empty()).then(|| s.clone());
                BarisLaporan {
                    gudang: some(g),
                    kota: some(kota),
                    kota_nama: some(kota).and_then(|k| kota_nama(&k)),
                    unit: some(u),
                    barang: b.clone(),
                    nama: item.map(|i| i.nama.clone()).unwrap_or_default(),
                    satuan: item.map(|i| i.satuan.clone()).unwrap_or_default(),
                    tersedia: to_f64(v.tersedia),
                    kedaluwarsa: to_f64(v.kedaluwarsa),
                    diterima: to_f64(v.diterima),
                    disalurkan: to_f64(v.disalurkan),
                }
            })
            .collect()
    };
    Laporan { periode, dibuat, per_barang: lines(&tables[0]), per_gudang: lines(&tables[1]), per_kota: lines(&tables[2]), per_unit: lines(&tables[3]), generated: bahan.generated }
}

/// The output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// The report as bytes of a format (JSON pretty-printed).
pub fn render(l: &Laporan, f: Format) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    Ok(match f {
        Format::Json => serde_json::to_vec_pretty(l)?,
        Format::Csv => csv(l)?,
        Format::Xlsx => xlsx(l)?,
    })
}

/// The four tables with the name each has in CSV (`bagian`) and as an XLSX sheet.
fn bagian(l: &Laporan) -> [(&'static str, &'static str, &[BarisLaporan]); 4] {
    [
        ("per_barang", "Per barang", &l.per_barang),
        ("per_gudang", "Per gudang", &l.per_gudang),
        ("per_kota", "Per kota", &l.per_kota),
        ("per_unit", "Per unit", &l.per_unit),
    ]
}

/// Columns of the CSV and of every XLSX sheet.
pub const KOLOM: [&str; 12] = ["bagian", "gudang", "kota", "kota_nama", "unit", "barang", "nama", "satuan", "tersedia", "kedaluwarsa", "diterima", "disalurkan"];

fn cells(b: &BarisLaporan) -> [String; 7] {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    [o(&b.gudang), o(&b.kota), o(&b.kota_nama), o(&b.unit), b.barang.clone(), b.nama.clone(), b.satuan.clone()]
}

/// One CSV table: a `bagian` column names the table each line belongs to.
pub fn csv(l: &Laporan) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(KOLOM)?;
    for (name, _, rows) in bagian(l) {
        for b in rows {
            let mut r = vec![name.to_string()];
            r.extend(cells(b));
            r.extend([b.tersedia, b.kedaluwarsa, b.diterima, b.disalurkan].map(|v| v.to_string()));
            w.write_record(&r)?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The XLSX: a "Ringkasan" sheet (title, period, when made, definitions), then one sheet per table.
pub fn xlsx(l: &Laporan) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as F, Workbook};
    let mut wb = Workbook::new();
    let bold = F::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("Ringkasan")?;
    ws.write_string_with_format(0, 0, "Laporan Logistik: ketersediaan, penerimaan dan penyaluran", &bold)?;
    ws.write_string(1, 0, format!("Periode {} s.d. {}", l.periode.dari.format("%d-%m-%Y"), l.periode.sampai.format("%d-%m-%Y")))?;
    ws.write_string(2, 0, format!("Dibuat {} UTC oleh sigap", l.dibuat.format("%Y-%m-%d %H:%M")))?;
    let notes = [
        "tersedia: saldo gudang pada akhir periode; kedaluwarsa: bagiannya yang sudah lewat tanggal kedaluwarsa",
        "diterima: diterima masuk stok (penerimaan) dalam periode",
        "disalurkan: dikirim ke unit (permintaan) dalam periode; per kota menurut kota titik antar",
    ];
    for (i, n) in notes.iter().enumerate() {
        ws.write_string(4 + i as u32, 0, *n)?;
    }
    if l.generated {
        let note = format!("Catatan: laporan ini memuat {} dari sigap init, bukan data resmi", crate::bansos::export::GENERATED);
        ws.write_string_with_format(4 + notes.len() as u32 + 1, 0, note, &bold)?;
    }
    ws.set_column_width(0, 100)?;
    for (_, sheet, rows) in bagian(l) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet)?;
        for (c, h) in KOLOM.iter().skip(1).enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, b) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in cells(b).iter().enumerate() {
                ws.write_string(r, c as u16, v)?;
            }
            for (c, v) in [b.tersedia, b.kedaluwarsa, b.diterima, b.disalurkan].iter().enumerate() {
                ws.write_number(r, 7 + c as u16, *v)?;
            }
        }
        ws.set_column_width(5, 36)?;
    }
    wb.save_to_buffer()
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Numbers as Indonesians write them: `.` between thousands, `,` before decimals.
fn angka(v: f64) -> String {
    let s = format!("{v}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if frac.is_empty() { format!("{sign}{out}") } else { format!("{sign}{out},{frac}") }
}

/// The public recap as a small self-contained page in Indonesian (no script, no external files).
pub fn html(r: &Rekap) -> String {
    let table = |title: &str, first: &str, rows: &[BarisLaporan], label: &dyn Fn(&BarisLaporan) -> String| {
        let mut t = format!("<h2>{}</h2>\n<table>\n<thead><tr><th>{}</th><th>Barang</th><th>Satuan</th><th>Tersedia</th><th>Diterima</th><th>Disalurkan</th></tr></thead>\n<tbody>\n", esc(title), esc(first));
        if rows.is_empty() {
            t.push_str("<tr><td colspan=\"6\">Belum ada data.</td></tr>\n");
        }
        for b in rows {
            t.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                esc(&label(b)), esc(&b.nama), esc(&b.satuan), angka(b.tersedia), angka(b.diterima), angka(b.disalurkan)
            ));
        }
        t.push_str("</tbody>\n</table>\n");
        t
    };
    let kota = |b: &BarisLaporan| b.kota_nama.clone().or_else(|| b.kota.clone()).unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>Rekap Logistik Gugus Tugas</title>\n<style>body{{font-family:sans-serif;margin:1.5rem;max-width:60rem}}table{{border-collapse:collapse;width:100%;margin-bottom:2rem}}\
th,td{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}}td.n{{text-align:right}}caption{{text-align:left}}</style>\n</head>\n<body>\n\
<h1>Rekap Logistik</h1>\n<p>Ketersediaan, penerimaan dan penyaluran barang logistik Gugus Tugas, periode {} s.d. {}. \
<em>Tersedia</em>: stok gudang pada akhir periode; <em>diterima</em>: barang yang diterima masuk gudang; \
<em>disalurkan</em>: barang yang dikirim ke unit penerima (per kota menurut tujuan pengiriman). \
Data dalam format JSON: <a href=\"/api/v1/publik/logistik/rekap\">/api/v1/publik/logistik/rekap</a>. Lokasi gudang ada di peta (lapisan gudang).</p>\n\
{}{}{}<p><small>Diperbarui {} UTC.</small></p>\n</body>\n</html>\n",
        r.periode.dari.format("%d-%m-%Y"),
        r.periode.sampai.format("%d-%m-%Y"),
        if r.generated {
            format!("<p id=\"generated\"><strong>Catatan:</strong> rekap ini memuat {} dari <code>sigap init</code>, bukan data resmi.</p>\n", crate::bansos::export::GENERATED)
        } else {
            String::new()
        },
        table("Per barang", "Kode", &r.per_barang, &|b| b.barang.clone()),
        table("Per kota", "Kota", &r.per_kota, &kota),
        r.dibuat.format("%Y-%m-%d %H:%M"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_period_is_whole_jakarta_days() {
        let today = d("2026-11-27");
        let p = Periode::parse(Some("2026-11-01"), Some("2026-11-27"), today).unwrap();
        assert_eq!(p.mulai().to_rfc3339(), "2026-10-31T17:00:00+00:00");
        assert_eq!(p.akhir().to_rfc3339(), "2026-11-27T17:00:00+00:00");
        assert_eq!(Periode::parse(None, None, today).unwrap(), Periode { dari: d("2026-11-01"), sampai: today });
        assert_eq!(Periode::parse(Some("2026-11-28"), None, today).unwrap_err().field(), "dari");
        assert_eq!(Periode::parse(None, Some("2026-11-28"), today).unwrap_err().field(), "sampai");
        assert_eq!(Periode::parse(Some("27-11-2026"), None, today).unwrap_err().field(), "dari");
    }

    #[test]
    fn figures_roll_up_per_table() {
        let p = Periode { dari: d("2026-11-01"), sampai: d("2026-11-27") };
        let items: BTreeMap<String, Item> = [("M".to_string(), Item { nama: "Masker".into(), satuan: "pcs".into() })].into();
        let stok = vec![StokAkhir { gudang: "A".into(), barang: "M".into(), jumlah: 5000, kedaluwarsa: 1000 }, StokAkhir { gudang: "B".into(), barang: "M".into(), jumlah: 2000, kedaluwarsa: 0 }];
        let masuk = vec![Masuk { gudang: "A".into(), barang: "M".into(), jumlah: 9000 }];
        let keluar = vec![
            Keluar { gudang: "A".into(), barang: "M".into(), unit: "u1".into(), kota: "31.72".into(), jumlah: 3000 },
            Keluar { gudang: "A".into(), barang: "M".into(), unit: "u2".into(), kota: "31.72".into(), jumlah: 1000 },
        ];
        let kota_of = |g: &str| if g == "A" { "31.71".to_string() } else { "31.73".to_string() };
        let l = susun(p, Utc::now(), &Bahan { stok, masuk, keluar, generated: false }, &items, &kota_of, &|k: &str| (k == "31.71").then(|| "Jakarta Pusat".to_string()));
        let b = &l.per_barang[0];
        assert_eq!((b.tersedia, b.kedaluwarsa, b.diterima, b.disalurkan, b.nama.as_str()), (7.0, 1.0, 9.0, 4.0, "Masker"));
        assert_eq!(l.per_gudang.len(), 2);
        let kota: Vec<(&str, f64, f64)> = l.per_kota.iter().map(|k| (k.kota.as_deref().unwrap(), k.tersedia, k.disalurkan)).collect();
        assert_eq!(kota, [("31.71", 5.0, 0.0), ("31.72", 0.0, 4.0), ("31.73", 2.0, 0.0)], "dispatches count where they went");
        assert_eq!(l.per_kota[0].kota_nama.as_deref(), Some("Jakarta Pusat"));
        assert_eq!(l.per_unit.iter().map(|u| (u.unit.as_deref().unwrap(), u.disalurkan)).collect::<Vec<_>>(), [("u1", 3.0), ("u2", 1.0)]);
        let text = String::from_utf8(csv(&l).unwrap()).unwrap();
        assert!(text.starts_with("bagian,gudang,kota,kota_nama,unit,barang"), "{text}");
        assert_eq!(text.lines().count(), 1 + 1 + 2 + 3 + 2);
        let page = html(&Rekap::from(l.clone()));
        assert!(page.contains("<td>Jakarta Pusat</td>") && page.contains("lang=\"id\"") && !page.contains("u1"), "no units on the public page");
        assert!(!page.contains("dibangkitkan"), "real figures carry no generated note");
        let page = html(&Rekap::from(Laporan { generated: true, ..l }));
        assert!(page.contains("id=\"generated\"") && page.contains("data contoh (dibangkitkan)"), "{page}");
        assert_eq!((angka(1920.0), angka(1234567.5), angka(-1000.0), angka(12.0)), ("1.920".into(), "1.234.567,5".into(), "-1.000".into(), "12".into()));
        assert_eq!(esc("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
