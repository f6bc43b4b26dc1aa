//! BNBA (Daftar Nama dan Alamat penerima) and BAST (Berita Acara Serah Terima) of one kelurahan
//! or RW under one decree (seed 002 step 6), as PDF (pdf-writer, the Base-14 Helvetica: no font
//! file to ship) and XLSX (rust_xlsxwriter). Built from the decree's items only, so a printed list
//! is exactly what was decreed; NIK and No. KK appear masked.

use super::sk::SkItem;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Jenis {
    /// Daftar nama dan alamat penerima (the list by name and address).
    Bnba,
    /// Berita acara serah terima (the hand-over record, signed per household).
    Bast,
}

impl Jenis {
    pub fn parse(s: &str) -> Option<Jenis> {
        match s {
            "bnba" => Some(Jenis::Bnba),
            "bast" => Some(Jenis::Bast),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Jenis::Bnba => "bnba",
            Jenis::Bast => "bast",
        }
    }

    fn judul(self) -> &'static str {
        match self {
            Jenis::Bnba => "DAFTAR NAMA DAN ALAMAT PENERIMA BANTUAN SOSIAL (BNBA)",
            Jenis::Bast => "BERITA ACARA SERAH TERIMA BANTUAN SOSIAL (BAST)",
        }
    }
}

/// What a document says besides its rows.
#[derive(Debug, Clone)]
pub struct Kepala {
    pub jenis: Jenis,
    pub sk_nomor: String,
    pub sk_tanggal: chrono::NaiveDate,
    pub sk_versi: i64,
    /// "Kelurahan Cideng (31.71.01.1002)" or "RW 001, Kelurahan Cideng (31.71.01.1002.001)".
    pub wilayah: String,
}

/// Text as WinAnsi bytes for the Base-14 font (Latin-1 covers Indonesian names; anything else
/// becomes `?`).
fn latin1(s: &str) -> Vec<u8> {
    s.chars().map(|c| if (c as u32) < 256 && !c.is_control() { c as u32 as u8 } else { b'?' }).collect()
}

/// Cuts text to what fits `width` points at `size` (Helvetica averages about 0.5 em per
/// character; a little short rather than over the column line).
fn fit(s: &str, width: f32, size: f32) -> String {
    let max = ((width - 4.0) / (size * 0.52)).max(3.0) as usize;
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(max - 3).collect::<String>())
    }
}

/// The RW number of an RW code (`31.71.01.1002.001` → `001`).
fn rw_no(rw: &str) -> &str {
    rw.rsplit('.').next().unwrap_or(rw)
}

const W: f32 = 595.0;
const H: f32 = 842.0;
const M: f32 = 36.0;
const ROW: f32 = 16.0;
/// Columns: title and width (points); the widths sum to the page width less the margins.
const COLS: [(&str, f32); 7] = [("No", 26.0), ("NIK", 88.0), ("Nama", 128.0), ("Alamat", 150.0), ("RT", 26.0), ("Jiwa", 30.0), ("Tanda tangan", 75.0)];

/// One line of the table: a heading per RW, a household, or an RW's subtotal.
enum Baris<'a> {
    Rw(&'a str),
    Item(usize, &'a SkItem),
    Subtotal(&'a str, usize, i64),
}

/// The PDF: header on every page (title, SK number and date, area), the table by RW and RT,
/// subtotals per RW, the total, signature blocks for the Lurah and the receiver, "Halaman i dari
/// n" on every page. `items` in RW, RT order (as `store::sk_items` reads them).
pub fn pdf(k: &Kepala, items: &[SkItem]) -> Vec<u8> {
    let mut lines: Vec<Baris> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let rw = items[i].rw.as_str();
        lines.push(Baris::Rw(rw));
        let start = i;
        while i < items.len() && items[i].rw == rw {
            lines.push(Baris::Item(i + 1, &items[i]));
            i += 1;
        }
        lines.push(Baris::Subtotal(rw, i - start, items[start..i].iter().map(|x| x.jumlah_anggota).sum()));
    }
    let top = H - M - 64.0;
    let per_page = ((top - M - 30.0) / ROW) as usize;
    // The closing block (total and signatures) needs about 9 rows; give it a page if needed.
    let mut pages: Vec<&[Baris]> = lines.chunks(per_page.max(1)).collect();
    let last_fill = pages.last().map_or(0, |p| p.len());
    let closing_on_new_page = last_fill + 9 > per_page;
    let n_pages = pages.len() + usize::from(closing_on_new_page);
    if closing_on_new_page {
        pages.push(&[]);
    }
    let (catalog, tree, font, bold) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    let page_ids: Vec<Ref> = (0..n_pages).map(|p| Ref::new(10 + 2 * p as i32)).collect();
    pdf.pages(tree).kids(page_ids.iter().copied()).count(n_pages as i32);
    pdf.type1_font(font).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let total_kk = items.len();
    let total_jiwa: i64 = items.iter().map(|x| x.jumlah_anggota).sum();
    for (p, rows) in pages.iter().enumerate() {
        let mut c = Content::new();
        let text = |c: &mut Content, f: &[u8], size: f32, x: f32, y: f32, s: &str| {
            c.begin_text();
            c.set_font(Name(f), size);
            c.next_line(x, y);
            c.show(Str(&latin1(s)));
            c.end_text();
        };
        text(&mut c, b"F2", 11.0, M, H - M - 10.0, k.jenis.judul());
        text(&mut c, b"F1", 9.0, M, H - M - 26.0, &format!("Berdasarkan SK Penetapan Nomor {} tanggal {} (versi {})", k.sk_nomor, k.sk_tanggal.format("%d-%m-%Y"), k.sk_versi));
        text(&mut c, b"F1", 9.0, M, H - M - 40.0, &k.wilayah);
        // Table header, on pages with rows only: the closing page (total and signatures when they
        // did not fit) carries the document header and page number above, not an empty table.
        let mut y = top;
        c.set_line_width(0.5);
        if !rows.is_empty() {
            let mut x = M;
            for (t, w) in COLS {
                text(&mut c, b"F2", 8.0, x + 2.0, y + 4.0, t);
                x += w;
            }
        }
        let hline = |c: &mut Content, y: f32| {
            c.move_to(M, y);
            c.line_to(W - M, y);
            c.stroke();
        };
        // Vertical lines of one row: every column for the header and a household, only the
        // outer border for an RW heading or subtotal (their text spans the row).
        let vlines = |c: &mut Content, y: f32, all: bool| {
            let mut x = M;
            for (i, (_, w)) in COLS.iter().enumerate() {
                if all || i == 0 {
                    c.move_to(x, y);
                    c.line_to(x, y + ROW);
                    c.stroke();
                }
                x += w;
            }
            c.move_to(x, y);
            c.line_to(x, y + ROW);
            c.stroke();
        };
        if rows.is_empty() {
            text(&mut c, b"F1", 8.0, M, y + 4.0, &format!("(lanjutan halaman {})", p));
        } else {
            hline(&mut c, y + ROW);
            hline(&mut c, y);
            vlines(&mut c, y, true);
        }
        for r in rows.iter() {
            y -= ROW;
            match r {
                Baris::Rw(rw) => text(&mut c, b"F2", 8.0, M + 2.0, y + 4.0, &format!("RW {}", rw_no(rw))),
                Baris::Item(no, it) => {
                    let cells = [no.to_string(), it.nik.clone(), it.nama.clone(), it.alamat.clone(), it.rt.clone(), it.jumlah_anggota.to_string(), String::new()];
                    let mut x = M;
                    for ((_, w), v) in COLS.iter().zip(cells) {
                        text(&mut c, b"F1", 8.0, x + 2.0, y + 4.0, &fit(&v, *w, 8.0));
                        x += w;
                    }
                }
                Baris::Subtotal(rw, kk, jiwa) => text(&mut c, b"F2", 8.0, M + 2.0, y + 4.0, &format!("Jumlah RW {}: {kk} KK, {jiwa} jiwa", rw_no(rw))),
            }
            hline(&mut c, y);
            vlines(&mut c, y, matches!(r, Baris::Item(..)));
        }
        if p + 1 == n_pages {
            y -= 2.0 * ROW;
            text(&mut c, b"F2", 9.0, M, y, &format!("JUMLAH: {total_kk} KK, {total_jiwa} jiwa"));
            if k.jenis == Jenis::Bast {
                y -= ROW;
                text(&mut c, b"F1", 8.0, M, y, &format!("Telah diserahkan {total_kk} paket bantuan sosial kepada penerima tersebut di atas, yang menandatangani kolom tanda tangan."));
            }
            y -= 2.0 * ROW;
            text(&mut c, b"F1", 9.0, M, y, "Lurah,");
            text(&mut c, b"F1", 9.0, W / 2.0 + 40.0, y, if k.jenis == Jenis::Bast { "Yang menerima," } else { "Ketua RW," });
            y -= 4.0 * ROW;
            text(&mut c, b"F1", 9.0, M, y, "(.................................)");
            text(&mut c, b"F1", 9.0, W / 2.0 + 40.0, y, "(.................................)");
            text(&mut c, b"F1", 7.0, M, y - 10.0, "NIP.");
        }
        text(&mut c, b"F1", 8.0, W - M - 70.0, M - 14.0, &format!("Halaman {} dari {}", p + 1, n_pages));
        let content_id = Ref::new(11 + 2 * p as i32);
        let mut page = pdf.page(page_ids[p]);
        page.media_box(Rect::new(0.0, 0.0, W, H)).parent(tree).contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), font).pair(Name(b"F2"), bold);
        page.finish();
        pdf.stream(content_id, &c.finish());
    }
    pdf.finish()
}

/// The document as PDF or XLSX bytes with its content type (CPU work: run it off the async
/// workers).
pub fn render(k: &Kepala, items: &[SkItem], xlsx_format: bool) -> Result<(Vec<u8>, &'static str), rust_xlsxwriter::XlsxError> {
    if xlsx_format {
        xlsx(k, items).map(|b| (b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    } else {
        Ok((pdf(k, items), "application/pdf"))
    }
}

/// The XLSX: the same header lines, then one row per household (No, RW, RT, NIK, Nama, Alamat,
/// Jiwa, Tanda tangan), RW subtotals, the total. NIK and No. KK masked, written as text.
pub fn xlsx(k: &Kepala, items: &[SkItem]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(match k.jenis {
        Jenis::Bnba => "BNBA",
        Jenis::Bast => "BAST",
    })?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, k.jenis.judul(), &bold)?;
    ws.write_string(1, 0, format!("Berdasarkan SK Penetapan Nomor {} tanggal {} (versi {})", k.sk_nomor, k.sk_tanggal.format("%d-%m-%Y"), k.sk_versi))?;
    ws.write_string(2, 0, &k.wilayah)?;
    let head = ["No", "RW", "RT", "NIK", "No. KK", "Nama", "Alamat", "Jiwa", "Tanda tangan"];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(4, c as u16, *h, &bold)?;
    }
    for (c, w) in [5.0, 6.0, 5.0, 18.0, 18.0, 28.0, 36.0, 6.0, 16.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let mut r = 5u32;
    let mut i = 0;
    while i < items.len() {
        let rw = items[i].rw.clone();
        let (start, mut jiwa) = (i, 0i64);
        while i < items.len() && items[i].rw == rw {
            let it = &items[i];
            ws.write_number(r, 0, (i + 1) as f64)?;
            ws.write_string(r, 1, rw_no(&it.rw))?;
            ws.write_string(r, 2, &it.rt)?;
            ws.write_string(r, 3, &it.nik)?;
            ws.write_string(r, 4, &it.no_kk)?;
            ws.write_string(r, 5, &it.nama)?;
            ws.write_string(r, 6, &it.alamat)?;
            ws.write_number(r, 7, it.jumlah_anggota as f64)?;
            jiwa += it.jumlah_anggota;
            r += 1;
            i += 1;
        }
        ws.write_string_with_format(r, 0, format!("Jumlah RW {}: {} KK, {jiwa} jiwa", rw_no(&rw), i - start), &bold)?;
        r += 1;
    }
    let jiwa: i64 = items.iter().map(|x| x.jumlah_anggota).sum();
    ws.write_string_with_format(r + 1, 0, format!("JUMLAH: {} KK, {jiwa} jiwa", items.len()), &bold)?;
    ws.write_string(r + 3, 0, "Lurah,")?;
    ws.write_string(r + 3, 5, if k.jenis == Jenis::Bast { "Yang menerima," } else { "Ketua RW," })?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fits_and_is_latin1() {
        assert_eq!(latin1("Siti Aminah é ✓"), b"Siti Aminah \xe9 ?".to_vec());
        assert_eq!(fit("pendek", 100.0, 8.0), "pendek");
        let long = fit(&"x".repeat(200), 100.0, 8.0);
        assert!(long.ends_with("...") && long.len() < 30);
        assert_eq!(rw_no("31.71.01.1002.001"), "001");
        assert_eq!(Jenis::parse("bast"), Some(Jenis::Bast));
        assert_eq!(Jenis::parse("sk"), None);
    }

    #[test]
    fn pages_are_numbered_and_the_closing_block_gets_room() {
        let items: Vec<SkItem> = (0..80)
            .map(|i| SkItem {
                household_id: i,
                rw: format!("31.71.01.1002.00{}", 1 + i / 40),
                rt: format!("{:03}", 1 + (i % 40) / 10),
                nik: "3171**********01".into(),
                no_kk: "3171**********03".into(),
                nama: format!("Warga Contoh Nomor {i} (data buatan)"),
                alamat: format!("Jl. Contoh Gang {} No. {i}, sebuah alamat yang sangat panjang sekali", i % 7),
                jumlah_anggota: 1 + i % 6,
                nik_hash: String::new(),
                kk_hash: String::new(),
            })
            .collect();
        let k = Kepala { jenis: Jenis::Bnba, sk_nomor: "2/2026".into(), sk_tanggal: chrono::NaiveDate::from_ymd_opt(2026, 4, 22).unwrap(), sk_versi: 2, wilayah: "Kelurahan Cideng (31.71.01.1002)".into() };
        let pdf = pdf(&k, &items);
        let text = String::from_utf8_lossy(&pdf);
        // 80 households + 2 RW headings + 2 subtotals = 84 lines = two full pages; the total and
        // signatures go to a third.
        assert!(text.contains("(Halaman 1 dari 3)") && text.contains("(Halaman 3 dari 3)") && !text.contains("dari 4"));
        // Every page, the closing one too, has the header: title, SK number, area, page x of y;
        // the closing page has no empty table under it.
        let pages: Vec<&str> = text.split("endstream").filter(|s| s.contains("Halaman")).collect();
        assert_eq!(pages.len(), 3);
        for (i, page) in pages.iter().enumerate() {
            for s in ["DAFTAR NAMA DAN ALAMAT PENERIMA BANTUAN SOSIAL", "Nomor 2/2026 tanggal 22-04-2026", "Kelurahan Cideng"] {
                assert!(page.contains(s), "page {} shows {s}", i + 1);
            }
            assert!(page.contains(&format!("(Halaman {} dari 3)", i + 1)));
        }
        assert!(pages[2].contains("(JUMLAH: 80 KK, 276 jiwa)") && pages[2].contains("(Lurah,)") && pages[2].contains("(lanjutan halaman 2)"));
        assert!(!pages[2].contains("(Tanda tangan)") && pages[1].contains("(Tanda tangan)"), "no empty table on the closing page");
        assert!(text.contains("(JUMLAH: 80 KK, 276 jiwa)"), "13 cycles of 1..=6 and 1, 2");
        assert!(text.contains("...)"), "long text is cut to its column");
        if let Ok(dir) = std::env::var("SIGAP_TEST_TMP") {
            let _ = std::fs::write(format!("{dir}/bnba-sample.pdf"), &pdf);
            let _ = std::fs::write(format!("{dir}/bast-sample.pdf"), super::pdf(&Kepala { jenis: Jenis::Bast, ..k.clone() }, &items[..30]));
        }
        assert!(xlsx(&k, &items).unwrap().starts_with(b"PK"));
    }
}
